// The knowledge base over HTTP: search, one article, suggestions for a draft
// question or a ticket, the outcome of a suggestion session, and an agent's
// FAQ draft from a ticket's reply. Readers nobody signed in are the desk's
// AnonymousVisitor(); what each reader finds (public articles only for
// anonymous visitors and customers outside restricted organizations) is the
// desk's access component's answer.
#include "absl/strings/numbers.h"
#include "helpdesk/desk/kb.h"
#include "serve_api.pb.h"
#include "server_internal.h"

namespace helpdesk::serve {
namespace {

v1::Actor Reader(const ApiServer::Call& c) {
  return c.actor ? *c.actor : AnonymousVisitor();
}

// An integer query parameter in [lo, hi]; `fallback` when absent.
absl::StatusOr<int> IntParam(const httplib::Request& req, const char* name, int fallback,
                             int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < lo || n > hi) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": '", v.substr(0, 40),
                                                   "' is not a whole number in [", lo, ", ",
                                                   hi, "]"));
  }
  return n;
}

}  // namespace

absl::StatusOr<ApiServer::Reply> ApiServer::KbSearch(Call& c) {
  KbSearchOptions o;
  o.query = c.req.get_param_value("q");
  o.locale = c.req.get_param_value("locale");
  HELPDESK_ASSIGN_OR_RETURN(o.limit, IntParam(c.req, "limit", 10, 1, 100));
  HELPDESK_ASSIGN_OR_RETURN(o.offset, IntParam(c.req, "offset", 0, 0, 1 << 20));
  HELPDESK_ASSIGN_OR_RETURN(KbSearchPage page, options_.desk->kb().Search(Reader(c), o));
  api::KbSearchResponse out;
  for (const helpdesk::KbSearchResult& r : page.results) {
    api::KbSearchResult* x = out.add_results();
    x->set_article_id(r.article_id);
    x->set_locale(r.locale);
    x->set_title(r.title);
    x->set_category(r.category);
    x->set_section(r.section);
    x->set_snippet_html(r.snippet_html);
    x->set_score(r.score);
  }
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::KbGetArticle(Call& c) {
  HELPDESK_ASSIGN_OR_RETURN(
      helpdesk::KbArticleView v,
      options_.desk->kb().View(Reader(c), c.id, c.req.get_param_value("locale")));
  api::KbArticleView out;
  out.set_article_id(v.article_id);
  out.set_locale(v.locale);
  out.set_title(v.title);
  out.set_html(v.html);
  out.set_category(v.category);
  out.set_section(v.section);
  return JsonReply(out);
}

absl::StatusOr<ApiServer::Reply> ApiServer::KbSuggest(Call& c) {
  api::KbSuggestRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  KbSuggestOptions o{.ticket_id = in.ticket_id(), .question = in.question(),
                     .locale = in.locale(), .limit = in.limit() == 0 ? 5 : in.limit()};
  HELPDESK_ASSIGN_OR_RETURN(v1::KbSuggestionSession s,
                            options_.desk->kb().Suggest(Reader(c), o));
  // The session's actor and question are the caller's own; the rest is what
  // the client needs.
  s.clear_actor();
  return JsonReply(s, 201);
}

absl::StatusOr<ApiServer::Reply> ApiServer::KbOutcome(Call& c) {
  api::KbOutcomeRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  if (in.deflected() == (in.ticket_id() != 0)) {
    return absl::InvalidArgumentError(
        "body: give either deflected: true or the ticketId the customer opened");
  }
  HELPDESK_RETURN_IF_ERROR(
      options_.desk->kb().RecordOutcome(Reader(c), c.id, in.deflected() ? 0 : in.ticket_id()));
  return Reply{.status = 204, .body = "{}"};
}

absl::StatusOr<ApiServer::Reply> ApiServer::FaqDraft(Call& c) {
  api::FaqDraftRequest in;
  HELPDESK_RETURN_IF_ERROR(ParseBody(c.req.body, &in));
  KbFaqDraftOptions o{.ticket_id = c.id, .message_id = in.message_id(), .locale = in.locale(),
                      .category = in.category(), .section = in.section()};
  if (in.visibility() != v1::KbArticle::VISIBILITY_UNSPECIFIED) o.visibility = in.visibility();
  HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a, options_.desk->kb().DraftFromReply(c.who(), o));
  return JsonReply(a, 201);
}

}  // namespace helpdesk::serve
