// Fuzzes the e-mail InboundAdapter on raw message bytes, then feeds what it
// parsed to a Desk on a memory store, so the whole path from a mailbox to a
// ticket runs on every input. Parse() must accept any input under its size
// limit (it degrades rather than refuses) and return valid UTF-8 without NUL
// bytes in every string field, as helpdesk/channels/email.h promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "helpdesk/channels/email.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/v1/channel.pb.h"
#include "internal/text_checks.h"

namespace {

// Every string field of `message`, recursively, is valid UTF-8 without NUL.
bool StringsAreClean(const google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& value =
            field->is_repeated()
                ? reflection->GetRepeatedStringReference(message, field, i, &scratch)
                : reflection->GetStringReference(message, field, &scratch);
        if (value.find('\0') != std::string::npos) return false;
        if (helpdesk::internal::FindInvalidUtf8(value) != absl::string_view::npos) return false;
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const google::protobuf::Message& sub =
            field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                 : reflection->GetMessage(message, field);
        if (!StringsAreClean(sub)) return false;
      }
    }
  }
  return true;
}

// The only use of the Desk API here: ingests `message` into a fresh desk on a
// memory store (fresh per input, so every run is reproducible on its own).
void IngestIntoFreshDesk(const helpdesk::v1::InboundMessage& message) {
  std::unique_ptr<helpdesk::Store> store = helpdesk::NewMemoryStore();
  helpdesk::ManualClock clock(absl::FromUnixSeconds(1767225600));  // 2026-01-01
  helpdesk::DeskOptions options{.store = store.get(), .clock = &clock};
  options.ingest.desk_email = "help@desk.example";
  options.ingest.acknowledge_new_tickets = true;
  absl::StatusOr<std::unique_ptr<helpdesk::Desk>> desk =
      helpdesk::Desk::Open(std::move(options));
  if (!desk.ok()) std::abort();
  // Any status is fine (a blocked or malformed sender is refused); a crash,
  // leak or hang is not.
  (void)(*desk)->inbox().Ingest(message);
  (void)(*desk)->inbox().Ingest(message);  // the duplicate path
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const email = helpdesk::NewEmailInbound().release();
  absl::string_view raw(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<helpdesk::v1::InboundMessage> message =
      email->Parse(raw, absl::FromUnixSeconds(1767225600));
  if (!message.ok()) std::abort();  // only ResourceExhausted (50 MiB) may fail
  if (!StringsAreClean(*message)) std::abort();
  IngestIntoFreshDesk(*message);
  return 0;
}
