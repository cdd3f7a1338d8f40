// Views: saved ticket queries (a name, filters, a sort and columns), kept by
// an agent for themselves or shared with every agent by an admin, with their
// ticket counts (issue 16).
//
//   helpdesk::ViewSpec spec{.name = "Urgent e-mail"};
//   spec.filter.add_priorities(v1::PRIORITY_URGENT);
//   spec.filter.add_channels(v1::CHANNEL_EMAIL);
//   spec.sort = "-updated_at";
//   auto view = desk->views().Create(helpdesk::AgentActor(7), spec);
//   auto page = desk->views().Run(helpdesk::AgentActor(7), view->id());
//   auto counts = desk->views().Counts(helpdesk::AgentActor(7));
//
// Who may do what (Action::kUseViews, kManageSharedViews in access.h): every
// staff viewer (system, integration, admin, agent, light agent) lists, reads
// and runs the shared views; agents, light agents and admins keep personal
// views (only their owner sees them: another's personal view is NotFound);
// only admins and the system create, change or delete shared views.
// Customers may do nothing here (PermissionDenied). Running a view applies
// the runner's own ticket visibility, so a shared view shows each agent only
// the tickets they may see, and a view's count is the runner's count.
//
// Returned by Desk::views(); desk.h lists the error codes every call shares.
// Thread safety: as the Desk (thread-safe when the store is); owned by the
// Desk and valid while it lives. The store must implement the views methods
// of store.h (the built-in stores do); otherwise calls answer Unimplemented.
#ifndef HELPDESK_DESK_VIEWS_H_
#define HELPDESK_DESK_VIEWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/export.h"
#include "helpdesk/store.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/view.pb.h"

namespace helpdesk {

class DeskCore;

// What a view is. Checked on Create and Update; every error is
// InvalidArgument naming the field and the value (NotFound for a group or
// agent id that does not exist).
struct ViewSpec {
  // 1 to 200 bytes of text; unique per owner (AlreadyExists otherwise).
  std::string name;
  // True: shared with every agent (admins only). False: the acting agent's.
  bool shared = false;
  // The filters (v1::TicketFilter). Statuses must be the workflow's,
  // priorities, types, channels and status categories valid enum values,
  // custom field names and values as on a ticket, groups and agents must
  // exist; assignee_is_viewer excludes assignee_id.
  v1::TicketFilter filter;
  // One of kViewSortNames: "created_at" (oldest first), "-created_at",
  // "updated_at", "-updated_at", "priority" (most urgent, then oldest),
  // "id", "sla_next_deadline" (next deadline first).
  std::string sort = "created_at";
  // 1 to 50 distinct column names: one of kViewColumnNames, or
  // "custom_fields.<name>" for a custom field.
  std::vector<std::string> columns = {"id", "subject", "status", "priority",
                                      "updated_at"};
};

// The sort and column names a view may use.
HELPDESK_EXPORT const std::vector<std::string>& ViewSortNames();
HELPDESK_EXPORT const std::vector<std::string>& ViewColumnNames();

// The TicketSort a view's sort name stands for. Errors: InvalidArgument
// "sort: unknown field '<name>'".
HELPDESK_EXPORT absl::StatusOr<TicketSort> ViewSortOf(absl::string_view name);

// One page of a view's tickets.
struct ViewPage {
  v1::SavedView view;
  TicketPage page;
};

// A view and how many tickets it shows its runner.
struct ViewCount {
  v1::SavedView view;
  int64_t count = 0;
};

class HELPDESK_EXPORT Views {
 public:
  Views(const Views&) = delete;
  Views& operator=(const Views&) = delete;

  // Stores a new view (version 1) owned by the acting agent, or shared.
  // Errors: PermissionDenied (customers; a shared view by anyone but an
  // admin or the system); InvalidArgument as ViewSpec says, and for a
  // personal view of an actor that is not an agent; AlreadyExists for a
  // name the owner already uses.
  absl::StatusOr<v1::SavedView> Create(const v1::Actor& actor, const ViewSpec& spec);

  // Replaces view `id` with `spec` (its `shared` must stay as it is). With
  // expected_version set, Aborted unless the view is at that version.
  // Errors: NotFound for a missing view or another agent's personal view;
  // PermissionDenied for a shared view changed by anyone but an admin or the
  // system; as Create.
  absl::StatusOr<v1::SavedView> Update(const v1::Actor& actor, int64_t id,
                                       const ViewSpec& spec,
                                       std::optional<int64_t> expected_version = {});

  // Deletes view `id`. Errors as Update.
  absl::Status Delete(const v1::Actor& actor, int64_t id);

  // Errors: NotFound for a missing view or another agent's personal view.
  absl::StatusOr<v1::SavedView> Get(const v1::Actor& viewer, int64_t id);

  // The viewer's personal views, then the shared ones, each by id.
  absl::StatusOr<std::vector<v1::SavedView>> List(const v1::Actor& viewer);

  // One page of the view's tickets in its sort, restricted to what the viewer
  // may see; `cursor` is a previous page's next_cursor (empty: the first);
  // `limit` 1 to kMaxQueryLimit. Errors: as Get; InvalidArgument for a bad
  // limit or cursor, or a view with assignee_is_viewer run by a viewer who
  // is not an agent.
  absl::StatusOr<ViewPage> Run(const v1::Actor& viewer, int64_t id,
                               absl::string_view cursor = "", int limit = 50);

  // Every view List returns with the number of tickets it shows the viewer
  // (views with assignee_is_viewer count 0 for a viewer who is not an agent).
  absl::StatusOr<std::vector<ViewCount>> Counts(const v1::Actor& viewer);

 private:
  friend class Desk;
  explicit Views(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_VIEWS_H_
