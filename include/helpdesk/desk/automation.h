// Automation through the desk (issue 14; DeskOptions::rules, templates,
// macros): the dry run of the rules on a ticket, and macros applied as one
// command. Triggers and time-based automations themselves need no call: the
// Desk runs triggers inside every command and automations in Desk::Tick.
//
// Returned by Desk::automation(); desk.h says who may do what and the error
// codes every call shares. Thread safety: as the Desk (thread-safe when the
// store is); owned by the Desk and valid while it lives.
#ifndef HELPDESK_DESK_AUTOMATION_H_
#define HELPDESK_DESK_AUTOMATION_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/desk_options.h"
#include "helpdesk/export.h"
#include "helpdesk/rules.h"
#include "helpdesk/v1/ticket.pb.h"

namespace helpdesk {

class DeskCore;

class HELPDESK_EXPORT Automation {
 public:
  Automation(const Automation&) = delete;
  Automation& operator=(const Automation&) = delete;

  // The dry run: for every rule in order, whether it would fire on the
  // ticket now and why, or why not. Triggers are judged against the ticket's
  // last change (the events of its latest command that no rule wrote);
  // automations against the desk's clock and the firings kept for the
  // ticket. Nothing is written. Errors: FailedPrecondition when the desk has
  // no rules; NotFound when the ticket does not exist or `viewer` may not
  // see it; PermissionDenied for viewers who may see it but not its rules
  // (customers; Action::kExplainRules).
  absl::StatusOr<std::vector<RuleExplanation>> Explain(const v1::Actor& viewer,
                                                       int64_t ticket_id);

  // Applies macro `macro_name` (DeskOptions::macros) to the ticket as one
  // command by `actor`: its field changes (one FIELDS_CHANGED event with the
  // typed changes, checked by the workflow as Tickets::Update checks them)
  // and its message rendered from its template over the changed ticket (a
  // public reply, sent as agents' replies are, or an internal note), both in
  // one transaction, in which the triggers then run. Returns the ticket as
  // stored. Errors: NotFound for an unknown macro (naming it) or ticket;
  // PermissionDenied when `actor` may not change the ticket's fields (or
  // reply / add a note, for the macro's message); Aborted when
  // `expected_version` is given and the ticket is at another version;
  // FailedPrecondition for a status move the workflow refuses or a closed
  // ticket; ResourceExhausted when the message would exceed the template
  // limit.
  absl::StatusOr<v1::Ticket> ApplyMacro(const v1::Actor& actor, int64_t ticket_id,
                                        absl::string_view macro_name,
                                        std::optional<int64_t> expected_version = std::nullopt);

 private:
  friend class Desk;
  explicit Automation(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_AUTOMATION_H_
