// Saved views (Desk::views()): list with counts, create (personal or shared),
// run (a page of tickets in the view's sort, with its columns), delete. The
// Desk asks the access component (kUseViews, kManageSharedViews): customers
// get 403, another agent's personal view is 404.
#include "absl/strings/numbers.h"
#include "helpdesk/desk/views.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {

absl::StatusOr<ApiServer::Reply> ApiServer::ListViews(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<ViewCount> counts,
                            options_.desk->views().Counts(c.who()));
  api::ViewList out;
  for (ViewCount& v : counts) {
    api::ViewWithCount* o = out.add_views();
    *o->mutable_view() = std::move(v.view);
    o->set_count(v.count);
  }
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::CreateView(Call& c) {
  api::CreateViewRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  ViewSpec spec;
  spec.name = in.name();
  spec.shared = in.shared();
  spec.filter = in.filter();
  if (!in.sort().empty()) spec.sort = in.sort();
  if (!in.columns().empty()) spec.columns.assign(in.columns().begin(), in.columns().end());
  HELPDESK_ASSIGN_OR_RETURN(v1::SavedView view, options_.desk->views().Create(c.who(), spec));
  return JsonReply(view, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::RunView(Call& c) {
  for (const auto& [k, v] : c.req.params) {
    if (k != "limit" && k != "cursor") {
      return absl::InvalidArgumentError(absl::StrCat("query: unknown parameter '", k, "'"));
    }
  }
  int limit = 50;
  if (c.req.has_param("limit")) {
    const std::string s = c.req.get_param_value("limit");
    int64_t l = 0;
    if (!absl::SimpleAtoi(s, &l) || l < 1 || l > kMaxQueryLimit) {
      return absl::InvalidArgumentError(absl::StrCat(
          "limit: '", s.substr(0, 40), "' is not in [1, ", kMaxQueryLimit, "]"));
    }
    limit = static_cast<int>(l);
  }
  HELPDESK_ASSIGN_OR_RETURN(
      ViewPage page,
      options_.desk->views().Run(c.who(), c.id, c.req.get_param_value("cursor"), limit));
  api::ViewTickets out;
  *out.mutable_view() = std::move(page.view);
  for (v1::Ticket& t : page.page.tickets) *out.add_tickets() = std::move(t);
  out.set_next_cursor(page.page.next_cursor);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::DeleteView(Call& c) {
  HELPDESK_RETURN_IF_ERROR(options_.desk->views().Delete(c.who(), c.id));
  return Reply{.status = 204, .body = "{}"};
}

}  // namespace helpdesk::serve
