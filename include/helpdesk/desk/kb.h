// The knowledge base through the desk: articles in several locales with
// drafts, revisions and visibility; search; suggestions that deflect
// questions before they become tickets; FAQ drafts made from agents' replies.
//
//   helpdesk::KnowledgeBase& kb = desk->kb();
//   auto a = kb.Create(agent, {.locale = "es", .title = "Descargar facturas",
//                              .body_markdown = "Entra en **Facturación**..."});
//   kb.Publish(agent, a->id(), "es");
//   auto page = kb.Search(helpdesk::AnonymousVisitor(),
//                         {.query = "facturacion", .locale = "es"});
//   // page->results[0].snippet_html: "... <mark>Facturación</mark> ..."
//
// Who may do what (helpdesk/access.h, "Knowledge base articles"): readers
// find the articles their audience allows (anonymous visitors: published
// PUBLIC ones); an article a reader may not see answers NotFound, exactly as
// a missing one. Writing articles needs kManageKbArticles (agents, admins,
// integrations, the system); so does reading drafts and revisions.
//
// Returned by Desk::kb(); desk.h gives the error codes every call shares.
// Thread safety: as the Desk (thread-safe when the store is); owned by the
// Desk and valid while it lives.
#ifndef HELPDESK_DESK_KB_H_
#define HELPDESK_DESK_KB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "helpdesk/export.h"
#include "helpdesk/v1/common.pb.h"
#include "helpdesk/v1/kb.pb.h"

namespace helpdesk {

class DeskCore;

// The actor of a reader nobody signed in (a public help center page, a web
// form or chat before the customer is known): kind KIND_UNSPECIFIED, id 0.
// Only the knowledge base's reading calls (Get, View, Search, Suggest, Vote,
// RecordOutcome of its own sessions) accept it.
HELPDESK_EXPORT v1::Actor AnonymousVisitor();

struct NewKbArticle {
  // The first translation (a draft).
  std::string locale;
  std::string title;
  std::string body_markdown;
  std::string category;
  std::string section;
  std::vector<std::string> tags;
  v1::KbArticle::Visibility visibility = v1::KbArticle::PUBLIC;
  // RESTRICTED: the groups whose agents and the organizations whose contacts
  // see it (at least one).
  std::vector<int64_t> group_ids;
  std::vector<int64_t> organization_ids;
};

// One translation rendered for a reader.
struct KbArticleView {
  int64_t article_id = 0;
  std::string locale;
  std::string title;
  // RenderMarkdown of the body: safe to embed.
  std::string html;
  std::string category;
  std::string section;
};

struct KbSearchOptions {
  // What the user typed; see ParseKbQuery (helpdesk/kb.h): words, "phrases",
  // prefix*; nothing in it is an error.
  std::string query;
  // The language to search in (its stemmer); empty: the contact's locale, else
  // KbOptions::default_locale.
  std::string locale;
  int limit = 10;  // 1 to 100
  int offset = 0;
};

struct KbSearchResult {
  int64_t article_id = 0;
  std::string locale;
  std::string title;  // as written (escape it when embedding)
  std::string category;
  std::string section;
  // A passage of the body, HTML-escaped, matches in <mark>...</mark>.
  std::string snippet_html;
  double score = 0;
};

struct KbSearchPage {
  // Only articles the reader may see; a page is full (limit results) unless
  // no more visible articles match.
  std::vector<KbSearchResult> results;
};

struct KbSuggestOptions {
  // Suggestions for a ticket (agents: its subject and first message), or for
  // a draft question (a web form or chat before a ticket exists).
  int64_t ticket_id = 0;
  std::string question;
  std::string locale;  // as KbSearchOptions::locale
  int limit = 5;       // 1 to 20
};

// Deflection over every suggestion session: how many questions the
// knowledge base answered before they became tickets.
struct KbDeflectionReport {
  int64_t sessions = 0;  // draft-question sessions (ticket sessions are not counted)
  int64_t deflected = 0;
  int64_t tickets_opened = 0;
  int64_t pending = 0;
  // deflected / (deflected + tickets_opened); 0 when neither.
  double deflection_rate = 0;
};

struct KbFaqDraftOptions {
  int64_t ticket_id = 0;
  // The agent's public reply to turn into the answer; 0: the ticket's last
  // public reply.
  int64_t message_id = 0;
  // The draft's locale; empty: the requester's locale, else the default.
  std::string locale;
  std::string category;
  std::string section;
  v1::KbArticle::Visibility visibility = v1::KbArticle::PUBLIC;
};

class HELPDESK_EXPORT KnowledgeBase {
 public:
  KnowledgeBase(const KnowledgeBase&) = delete;
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;

  // Creates an article with one draft translation (revision 1 by `actor`).
  // Errors: PermissionDenied without kManageKbArticles; InvalidArgument for
  // an empty locale or title, a body RenderMarkdown refuses, a RESTRICTED
  // article with no group or organization; NotFound for an unknown group or
  // organization.
  absl::StatusOr<v1::KbArticle> Create(const v1::Actor& actor, const NewKbArticle& article);

  // Saves a new revision of one translation (adding the translation, as a
  // draft, when the locale is new); a published translation stays published
  // with the new text. `note` says why (may be empty). Errors as Create;
  // NotFound for an unknown article.
  absl::StatusOr<v1::KbArticle> Edit(const v1::Actor& actor, int64_t article_id,
                                     const std::string& locale, const std::string& title,
                                     const std::string& body_markdown,
                                     const std::string& note = "");

  // Publishes (or, with publish false, withdraws to draft) one translation.
  // Errors: NotFound for an unknown article or locale; PermissionDenied.
  absl::StatusOr<v1::KbArticle> Publish(const v1::Actor& actor, int64_t article_id,
                                        const std::string& locale, bool publish = true);

  // Changes who sees the article. Errors as Create.
  absl::StatusOr<v1::KbArticle> SetVisibility(const v1::Actor& actor, int64_t article_id,
                                              v1::KbArticle::Visibility visibility,
                                              const std::vector<int64_t>& group_ids,
                                              const std::vector<int64_t>& organization_ids);

  // The article as `reader` may see it: readers without kManageKbArticles get
  // its published translations only and no revisions. Errors: NotFound (also
  // when the reader may not see it, or it has no published translation for
  // them).
  absl::StatusOr<v1::KbArticle> Get(const v1::Actor& reader, int64_t article_id);

  // One translation rendered to safe HTML, counting a view. `locale` empty:
  // the first translation the reader may see. Errors as Get.
  absl::StatusOr<KbArticleView> View(const v1::Actor& reader, int64_t article_id,
                                     const std::string& locale);

  // Records a "was this helpful?" answer. Errors as Get.
  absl::Status Vote(const v1::Actor& reader, int64_t article_id, bool helpful);

  // The line diff (KbLineDiff) of one translation's body between two of its
  // revisions. Errors: NotFound for an unknown article, locale or revision;
  // PermissionDenied without kManageKbArticles.
  absl::StatusOr<std::string> RevisionDiff(const v1::Actor& actor, int64_t article_id,
                                           const std::string& locale, int from_revision,
                                           int to_revision);

  // Full-text search (see KbSearchOptions). A query with no words answers an
  // empty page. Errors: InvalidArgument for a limit outside [1, 100], a
  // negative offset, a query over 1,000 bytes or not UTF-8.
  absl::StatusOr<KbSearchPage> Search(const v1::Actor& reader, const KbSearchOptions& options);

  // Suggests articles for a ticket (the viewer must see the ticket) or a
  // draft question, each with the reason it was suggested, and records the
  // session (returned with its id) so its outcome can be recorded. Errors:
  // InvalidArgument when neither or both of ticket_id and question are given,
  // or as Search; NotFound for a ticket the reader may not see.
  absl::StatusOr<v1::KbSuggestionSession> Suggest(const v1::Actor& reader,
                                                  const KbSuggestOptions& options);

  // Records what followed a draft-question session: the customer opened
  // ticket `opened_ticket_id` (> 0), or (0) said the suggestions answered the
  // question. The first outcome counts; recording again changes nothing.
  // Errors: NotFound for an unknown session, one of another actor (the
  // system, integrations and agents may record any), or a ticket the reader
  // may not see; InvalidArgument for a negative ticket id.
  absl::Status RecordOutcome(const v1::Actor& reader, int64_t session_id,
                             int64_t opened_ticket_id);

  // Deflection over every draft-question session. Errors: PermissionDenied
  // without kViewReports.
  absl::StatusOr<KbDeflectionReport> Deflection(const v1::Actor& actor);

  // Turns an agent's public reply (and the ticket's question) into a draft
  // article in one call: title the ticket's subject, body the question
  // quoted and the reply, linked back (source_ticket_id, source_message_id).
  // Errors: PermissionDenied without kManageKbArticles; NotFound for a
  // ticket the actor may not see or a message not on it;
  // FailedPrecondition when the message is not a public reply or the ticket
  // has none.
  absl::StatusOr<v1::KbArticle> DraftFromReply(const v1::Actor& actor,
                                               const KbFaqDraftOptions& options);

 private:
  friend class Desk;
  explicit KnowledgeBase(DeskCore* impl) : impl_(impl) {}
  DeskCore* impl_;
};

}  // namespace helpdesk

#endif  // HELPDESK_DESK_KB_H_
