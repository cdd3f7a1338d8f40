// Views: saved ticket queries and their counts (issue 16;
// helpdesk/desk/views.h).
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "desk/desk_impl.h"
#include "storage/ticket_query.h"

namespace helpdesk {
namespace {

constexpr size_t kMaxViewNameBytes = 200;
constexpr size_t kMaxViewColumns = 50;
constexpr absl::string_view kCustomFieldColumn = "custom_fields.";

absl::Status Unknown(absl::string_view field, absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown field ", Quote(name)));
}

// The owner of the view `a` makes with `shared`, or an error.
absl::StatusOr<int64_t> OwnerFor(const Access& a, bool shared) {
  if (shared) {
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageSharedViews));
    return 0;
  }
  HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kUseViews));
  if (!a.IsAgent()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared: only agents own personal views; ", a.Describe(),
        " may only use shared views"));
  }
  return a.actor.id();
}

// Whether `a` may read view `v` (its own or a shared one).
bool MaySee(const Access& a, const v1::SavedView& v) {
  if (v.owner_agent_id() == 0) return true;
  return a.IsAgent() && a.actor.id() == v.owner_agent_id();
}

// Loads view `id` as `a` may see it (NotFound otherwise).
absl::StatusOr<v1::SavedView> LoadView(Transaction& tx, const Access& a, int64_t id) {
  HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kUseViews));
  absl::StatusOr<v1::SavedView> v = tx.GetView(id);
  if (absl::IsNotFound(v.status()) || (v.ok() && !MaySee(a, *v))) {
    return absl::NotFoundError(absl::StrCat("view ", id, " not found"));
  }
  return v;
}

// Loads view `id` for a change by `a`.
absl::StatusOr<v1::SavedView> LoadViewForChange(Transaction& tx, const Access& a,
                                                int64_t id) {
  HELPDESK_ASSIGN_OR_RETURN(v1::SavedView v, LoadView(tx, a, id));
  if (v.owner_agent_id() == 0) {
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageSharedViews));
  }
  return v;
}

// The query `view` runs for `a`, or nullopt when it can show `a` nothing
// (assignee_is_viewer for a viewer who is not an agent).
absl::StatusOr<std::optional<TicketQuery>> QueryFor(const Access& a,
                                                    const v1::SavedView& view) {
  TicketQuery q = internal::FilterToQuery(view.filter());
  HELPDESK_ASSIGN_OR_RETURN(q.sort, ViewSortOf(view.sort()));
  if (view.filter().assignee_is_viewer()) {
    if (!a.IsAgent()) return std::optional<TicketQuery>();
    q.assignee_id = a.actor.id();
  }
  q.visible_to = VisibilityFor(a);
  return std::optional<TicketQuery>(std::move(q));
}

}  // namespace

const std::vector<std::string>& ViewSortNames() {
  static const auto* names = new std::vector<std::string>{
      "created_at", "-created_at", "updated_at",       "-updated_at",
      "priority",   "id",          "sla_next_deadline"};
  return *names;
}

const std::vector<std::string>& ViewColumnNames() {
  static const auto* names = new std::vector<std::string>{
      "id",         "subject",      "status",          "status_category",
      "priority",   "type",         "channel",         "requester",
      "organization", "assignee",   "group",           "tags",
      "created_at", "updated_at",   "solved_at",       "sla_next_deadline",
      "message_count", "public_reply_count", "cc",     "followers"};
  return *names;
}

absl::StatusOr<TicketSort> ViewSortOf(absl::string_view name) {
  static constexpr std::pair<absl::string_view, TicketSort> kSorts[] = {
      {"created_at", TicketSort::kCreatedAsc},
      {"-created_at", TicketSort::kCreatedDesc},
      {"updated_at", TicketSort::kUpdatedAsc},
      {"-updated_at", TicketSort::kUpdatedDesc},
      {"priority", TicketSort::kPriorityThenOldest},
      {"id", TicketSort::kIdAsc},
      {"sla_next_deadline", TicketSort::kSlaDeadlineAsc},
  };
  for (const auto& [n, sort] : kSorts) {
    if (n == name) return sort;
  }
  return Unknown("sort", name);
}

// Checks `spec` and fills the stored fields of `view` from it.
static absl::Status CheckSpec(DeskCore& core, Transaction& tx, const ViewSpec& spec,
                              v1::SavedView* view) {
  HELPDESK_RETURN_IF_ERROR(CheckRequiredText("name", spec.name, kMaxViewNameBytes));
  HELPDESK_RETURN_IF_ERROR(ViewSortOf(spec.sort).status());
  if (spec.columns.empty() || spec.columns.size() > kMaxViewColumns) {
    return absl::InvalidArgumentError(absl::StrCat(
        "columns: ", spec.columns.size(), " columns; a view has 1 to ",
        kMaxViewColumns));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    const std::string& c = spec.columns[i];
    const std::string field = absl::StrCat("columns[", i, "]");
    if (absl::StartsWith(c, kCustomFieldColumn)) {
      v1::CustomFieldValue any;
      any.set_flag(true);
      HELPDESK_RETURN_IF_ERROR(core.CheckCustomField(
          field, c.substr(kCustomFieldColumn.size()), any));
    } else if (std::find(ViewColumnNames().begin(), ViewColumnNames().end(), c) ==
               ViewColumnNames().end()) {
      return Unknown(field, c);
    }
    if (!seen.insert(c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": column ", Quote(c), " is listed twice"));
    }
  }
  const v1::TicketFilter& f = spec.filter;
  for (int i = 0; i < f.statuses_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(
        core.StatusCategoryOf(absl::StrCat("filter.statuses[", i, "]"), f.statuses(i))
            .status());
  }
  for (int i = 0; i < f.status_categories_size(); ++i) {
    const int c = f.status_categories(i);
    if (c == v1::STATUS_CATEGORY_UNSPECIFIED || !v1::StatusCategory_IsValid(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.status_categories[", i, "] ", c, " is not a status category"));
    }
  }
  for (int i = 0; i < f.priorities_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(DeskCore::CheckPriority(
        absl::StrCat("filter.priorities[", i, "]"),
        static_cast<v1::Priority>(f.priorities(i))));
  }
  for (int i = 0; i < f.types_size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(DeskCore::CheckType(absl::StrCat("filter.types[", i, "]"),
                                                 static_cast<v1::TicketType>(f.types(i))));
  }
  for (int i = 0; i < f.channels_size(); ++i) {
    const int c = f.channels(i);
    if (!v1::Channel_IsValid(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.channels[", i, "] ", c, " is not a channel"));
    }
  }
  for (int i = 0; i < f.custom_fields_size(); ++i) {
    const v1::CustomFieldFilter& cf = f.custom_fields(i);
    const std::string field = absl::StrCat("filter.custom_fields[", i, "]");
    v1::CustomFieldValue any;
    any.set_flag(true);
    HELPDESK_RETURN_IF_ERROR(core.CheckCustomField(field, cf.name(), any));
    for (int j = 0; j < cf.any_of_size(); ++j) {
      HELPDESK_RETURN_IF_ERROR(core.CheckCustomField(absl::StrCat(field, ".any_of[", j, "]"),
                                                     cf.name(), cf.any_of(j)));
    }
  }
  // Tags are stored normalised (lower case, trimmed): so is the filter.
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<std::string> tags,
      core.NormalizeTags("filter.tags",
                         std::vector<std::string>(f.tags().begin(), f.tags().end())));
  HELPDESK_RETURN_IF_ERROR(
      CheckText("filter.subject_contains", f.subject_contains(),
                core.options().limits.max_subject_bytes));
  if (f.assignee_is_viewer() && f.has_assignee_id()) {
    return absl::InvalidArgumentError(
        "filter.assignee_is_viewer: set together with filter.assignee_id");
  }
  if (f.has_assignee_id() && f.assignee_id() != 0) {
    HELPDESK_RETURN_IF_ERROR(
        DeskCore::GetAgentNamed(tx, "filter.assignee_id", f.assignee_id()).status());
  }
  if (f.has_group_id() && f.group_id() != 0) {
    HELPDESK_RETURN_IF_ERROR(DeskCore::CheckGroupExists(tx, "filter.group_id", f.group_id()));
  }
  if (f.has_requester_id() && f.requester_id() != 0) {
    HELPDESK_RETURN_IF_ERROR(
        DeskCore::CheckContactExists(tx, "filter.requester_id", f.requester_id()));
  }
  view->set_name(spec.name);
  *view->mutable_filter() = spec.filter;
  view->mutable_filter()->clear_tags();
  for (std::string& t : tags) view->mutable_filter()->add_tags(std::move(t));
  view->set_sort(spec.sort);
  view->clear_columns();
  for (const std::string& c : spec.columns) view->add_columns(c);
  return absl::OkStatus();
}

absl::StatusOr<v1::SavedView> Views::Create(const v1::Actor& actor, const ViewSpec& spec) {
  return impl_->Run(TransactionMode::kReadWrite,
                    [&](Transaction& tx) -> absl::StatusOr<v1::SavedView> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
                      HELPDESK_ASSIGN_OR_RETURN(int64_t owner, OwnerFor(a, spec.shared));
                      v1::SavedView view;
                      view.set_owner_agent_id(owner);
                      HELPDESK_RETURN_IF_ERROR(CheckSpec(*impl_, tx, spec, &view));
                      const absl::Time now = impl_->Now();
                      *view.mutable_created_at() = ToTimestamp(now);
                      *view.mutable_updated_at() = ToTimestamp(now);
                      HELPDESK_RETURN_IF_ERROR(tx.InsertView(&view));
                      return view;
                    });
}

absl::StatusOr<v1::SavedView> Views::Update(const v1::Actor& actor, int64_t id,
                                            const ViewSpec& spec,
                                            std::optional<int64_t> expected_version) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::SavedView> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::SavedView view, LoadViewForChange(tx, a, id));
        if (spec.shared != (view.owner_agent_id() == 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "shared: view ", id, " is ", view.owner_agent_id() == 0 ? "" : "not ",
              "shared; create a new view instead"));
        }
        if (expected_version && *expected_version != view.version()) {
          return absl::AbortedError(absl::StrCat("view ", id, ": expected version ",
                                                 *expected_version, ", stored version ",
                                                 view.version()));
        }
        HELPDESK_RETURN_IF_ERROR(CheckSpec(*impl_, tx, spec, &view));
        *view.mutable_updated_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateView(&view, view.version()));
        return view;
      });
}

absl::Status Views::Delete(const v1::Actor& actor, int64_t id) {
  return impl_
      ->Run(TransactionMode::kReadWrite,
            [&](Transaction& tx) -> absl::StatusOr<bool> {
              HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
              HELPDESK_RETURN_IF_ERROR(LoadViewForChange(tx, a, id).status());
              HELPDESK_RETURN_IF_ERROR(tx.DeleteView(id));
              return true;
            })
      .status();
}

absl::StatusOr<v1::SavedView> Views::Get(const v1::Actor& viewer, int64_t id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::SavedView> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      return LoadView(tx, a, id);
                    });
}

// The views `a` lists: its own, then the shared ones.
static absl::StatusOr<std::vector<v1::SavedView>> ListFor(Transaction& tx,
                                                          const Access& a) {
  HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kUseViews));
  std::vector<v1::SavedView> out;
  if (a.IsAgent() && a.actor.id() != 0) {
    HELPDESK_ASSIGN_OR_RETURN(out, tx.ListViews(a.actor.id()));
  }
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::SavedView> shared, tx.ListViews(0));
  for (v1::SavedView& v : shared) out.push_back(std::move(v));
  return out;
}

absl::StatusOr<std::vector<v1::SavedView>> Views::List(const v1::Actor& viewer) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<std::vector<v1::SavedView>> {
                      HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
                      return ListFor(tx, a);
                    });
}

absl::StatusOr<ViewPage> Views::Run(const v1::Actor& viewer, int64_t id,
                                    absl::string_view cursor, int limit) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<ViewPage> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        ViewPage out;
        HELPDESK_ASSIGN_OR_RETURN(out.view, LoadView(tx, a, id));
        HELPDESK_ASSIGN_OR_RETURN(std::optional<TicketQuery> q, QueryFor(a, out.view));
        if (!q) {
          return absl::InvalidArgumentError(absl::StrCat(
              "view ", id, " lists the tickets assigned to its runner; ",
              a.Describe(), " is not an agent"));
        }
        q->cursor = std::string(cursor);
        q->limit = limit;
        HELPDESK_ASSIGN_OR_RETURN(out.page, tx.QueryTickets(*q));
        return out;
      });
}

absl::StatusOr<std::vector<ViewCount>> Views::Counts(const v1::Actor& viewer) {
  return impl_->Run(
      TransactionMode::kReadOnly,
      [&](Transaction& tx) -> absl::StatusOr<std::vector<ViewCount>> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::SavedView> views, ListFor(tx, a));
        std::vector<ViewCount> out;
        for (v1::SavedView& v : views) {
          ViewCount& c = out.emplace_back();
          HELPDESK_ASSIGN_OR_RETURN(std::optional<TicketQuery> q, QueryFor(a, v));
          if (q) {
            HELPDESK_ASSIGN_OR_RETURN(c.count, tx.CountTickets(*q));
          }
          c.view = std::move(v);
        }
        return out;
      });
}

}  // namespace helpdesk
