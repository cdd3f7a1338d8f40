// MemoryStore: a Store kept in process memory.
//
// For tests, examples and short-lived desks: nothing survives the process. It
// implements the full Store contract (transactions with rollback, optimistic
// versions, stable cursors) and passes the same conformance suite as the
// durable stores, so a test written against it means the same on SQLite.
//
//   std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
#ifndef HELPDESK_STORAGE_MEMORY_STORE_H_
#define HELPDESK_STORAGE_MEMORY_STORE_H_

#include <memory>

#include "helpdesk/export.h"
#include "helpdesk/store.h"

namespace helpdesk {

// Returns an empty in-memory store named "helpdesk.memory".
//
// Thread safety: thread-safe. One read-write transaction runs at a time (a
// second Begin(kReadWrite) waits); read-only transactions run concurrently
// with each other and see the state as of their Begin.
HELPDESK_EXPORT std::unique_ptr<Store> NewMemoryStore();

}  // namespace helpdesk

#endif  // HELPDESK_STORAGE_MEMORY_STORE_H_
