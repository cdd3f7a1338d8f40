// Workflow: the statuses a ticket may have, their categories, and the allowed
// moves between them with guards.
//
// A Workflow is built from a v1::WorkflowConfig (see workflow.proto), usually
// written in proto text format, and validated once; Desk then enforces it on
// every status change. Workflow::Default() matches the common help desks:
//
//   new -> open, pending, on_hold, solved (needs an assignee)
//   open <-> pending <-> on_hold, -> solved (needs an assignee)
//   solved -> open, closed;   closed is final
//   a customer's message on a pending or solved ticket reopens it to "open".
//
//   absl::StatusOr<helpdesk::Workflow> wf = helpdesk::Workflow::FromText(R"pb(
//     statuses { name: "new" category: STATUS_CATEGORY_NEW } ...)pb");
//   desk_options.workflow = *wf;
#ifndef HELPDESK_WORKFLOW_H_
#define HELPDESK_WORKFLOW_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/ticket.pb.h"
#include "helpdesk/v1/workflow.pb.h"

namespace helpdesk {

// A validated workflow. Cheap to copy (it shares its immutable tables).
//
// Thread safety: immutable; safe to share across threads.
class HELPDESK_EXPORT Workflow {
 public:
  // The default workflow described above.
  static const Workflow& Default();
  static const v1::WorkflowConfig& DefaultConfig();

  // Validates `config`. Errors: InvalidArgument naming the field and value for
  // a malformed or duplicate status name, a missing category, an unknown status
  // in initial_status, transitions, reopen_from, reopen_to or merged_status;
  // a transition out of a closed status ("closed is final") or with an unknown
  // guard; a status unreachable from the initial status; a status with no path
  // to a closed status; no closed status at all.
  static absl::StatusOr<Workflow> Create(const v1::WorkflowConfig& config);

  // Parses proto text format, then Create(). Errors: InvalidArgument with the
  // parser's line and column for malformed text (unknown fields included).
  static absl::StatusOr<Workflow> FromText(absl::string_view text);

  const v1::WorkflowConfig& config() const;
  const std::string& initial_status() const;
  const std::string& merged_status() const;
  std::vector<std::string> StatusNames() const;

  // The category of a status. Errors: InvalidArgument naming `field` and the
  // unknown name, and listing the known ones.
  absl::StatusOr<v1::StatusCategory> CategoryOf(absl::string_view field,
                                                absl::string_view status) const;

  // Whether `ticket` may move from its status to `to`. A move to the same
  // status is always allowed. Errors: InvalidArgument for an unknown `to`;
  // FailedPrecondition when no transition allows the move (the message names
  // both statuses and the statuses reachable from here) or when a guard fails
  // (the message names the guard).
  absl::Status CheckTransition(const v1::Ticket& ticket,
                               absl::string_view to) const;

  // The status a customer's message moves a ticket in `status` to, if any.
  std::optional<std::string> ReopenTarget(absl::string_view status) const;

 private:
  struct Tables;
  explicit Workflow(std::shared_ptr<const Tables> tables);
  std::shared_ptr<const Tables> tables_;
};

}  // namespace helpdesk

#endif  // HELPDESK_WORKFLOW_H_
