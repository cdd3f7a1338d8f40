// Early-return helpers for absl::Status and absl::StatusOr (Debian's Abseil
// 20220623 ships none), as the examples in store.h and channel.h use them:
//
//   absl::Status Save(helpdesk::Transaction& tx, v1::Ticket* t) {
//     HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(t, t->version()));
//     HELPDESK_ASSIGN_OR_RETURN(v1::Ticket again, tx.GetTicket(t->id()));
//     ...
//   }
//
// Prefixed, so they never clash with a host's own RETURN_IF_ERROR.
#ifndef HELPDESK_STATUS_MACROS_H_
#define HELPDESK_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define HELPDESK_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::absl::Status helpdesk_status_ = (expr);            \
    if (!helpdesk_status_.ok()) return helpdesk_status_; \
  } while (0)

#define HELPDESK_STATUS_CONCAT_INNER_(a, b) a##b
#define HELPDESK_STATUS_CONCAT_(a, b) HELPDESK_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not OK, else
// moves the value into `lhs` (which may be a declaration: `auto x`).
#define HELPDESK_ASSIGN_OR_RETURN(lhs, rexpr)                                   \
  HELPDESK_ASSIGN_OR_RETURN_IMPL_(                                             \
      HELPDESK_STATUS_CONCAT_(helpdesk_statusor_, __LINE__), lhs, rexpr)
#define HELPDESK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // HELPDESK_STATUS_MACROS_H_
