// The knowledge base through the Desk: search, suggestions with reasons,
// and deflection (what followed a suggestion session).
#include <map>

#include "desk/desk_kb.h"

namespace helpdesk {
namespace {

using desk_kb::KbReader;

constexpr size_t kMaxQueryBytes = 1000;
constexpr size_t kMaxQuestionBytes = 10000;

// A translation of a loaded article.
const v1::KbTranslation* TranslationOf(const v1::KbArticle& a, absl::string_view locale) {
  for (const v1::KbTranslation& t : a.translations()) {
    if (t.locale() == locale) return &t;
  }
  return nullptr;
}

bool Contains(const KbQueryTerm& q, const std::vector<KbToken>& tokens) {
  const size_t len = q.terms.size();
  for (size_t i = 0; len > 0 && i + len <= tokens.size(); ++i) {
    bool all = true;
    for (size_t k = 0; k < len && all; ++k) all = KbTermMatches(q, k, tokens[i + k].term);
    if (all) return true;
  }
  return false;
}

// Why an article was suggested: the query's words found in its title, its
// text and its tags, and who may see it when not everyone.
std::string ReasonFor(const v1::KbArticle& a, const v1::KbTranslation& t,
                      absl::string_view plain, const KbQuery& q, absl::string_view language) {
  const std::vector<KbToken> title = AnalyzeKbText(t.title(), language);
  const std::vector<KbToken> body = AnalyzeKbText(plain, language);
  std::vector<std::string> in_title, in_body, tags;
  for (const KbQueryTerm& term : q.terms) {
    const std::string quoted = absl::StrCat("'", term.text, term.prefix ? "*'" : "'");
    if (Contains(term, title)) {
      in_title.push_back(quoted);
    } else if (Contains(term, body)) {
      in_body.push_back(quoted);
    }
  }
  for (const std::string& tag : a.tags()) {
    const std::vector<KbToken> tag_terms = AnalyzeKbText(tag, language);
    for (const KbQueryTerm& term : q.terms) {
      if (Contains(term, tag_terms)) {
        tags.push_back(absl::StrCat("'", tag, "'"));
        break;
      }
    }
  }
  std::vector<std::string> parts;
  if (!in_title.empty()) parts.push_back(absl::StrCat("title matches ", absl::StrJoin(in_title, ", ")));
  if (!in_body.empty()) parts.push_back(absl::StrCat("text matches ", absl::StrJoin(in_body, ", ")));
  if (!tags.empty()) parts.push_back(absl::StrCat("tagged ", absl::StrJoin(tags, ", ")));
  if (a.visibility() == v1::KbArticle::AGENTS) parts.push_back("agents only");
  if (a.visibility() == v1::KbArticle::RESTRICTED) parts.push_back("restricted");
  return absl::StrJoin(parts, "; ");
}

struct Found {
  KbSearchResult result;
  std::string reason;
};

// Runs one search for `reader` and builds results (with reasons when
// `reasons`).
absl::StatusOr<std::vector<Found>> RunSearch(DeskCore& core, Transaction& tx,
                                             const KbReader& reader, absl::string_view text,
                                             const std::string& locale_given, int limit,
                                             int offset, bool reasons) {
  HELPDESK_ASSIGN_OR_RETURN(std::string locale,
                            desk_kb::PickLocale(core, "locale", locale_given, reader.locale));
  const std::string language = KbLanguageOf(locale);
  KbQuery query = ParseKbQuery(text, locale);
  std::vector<Found> out;
  if (query.empty()) return out;
  KbSearchRequest request;
  request.query = query;
  request.language = language;
  request.audience = reader.audience;
  // Drafts are for managing articles, not for answering: search shows
  // published text only, to everyone.
  request.audience.drafts = false;
  request.limit = limit;
  request.offset = offset;
  HELPDESK_ASSIGN_OR_RETURN(std::vector<KbSearchHit> hits, tx.SearchKbArticles(request));
  std::map<int64_t, v1::KbArticle> loaded;
  for (KbSearchHit& h : hits) {
    // The store gave what a result shows: no article load, no Markdown
    // parse (the store filtered the audience before ranking). Reasons need
    // the article's tags and visibility: those still load it.
    if (h.has_display && !reasons) {
      Found f;
      f.result.article_id = h.article_id;
      f.result.locale = std::move(h.locale);
      f.result.title = std::move(h.title);
      f.result.category = std::move(h.category);
      f.result.section = std::move(h.section);
      f.result.snippet_html = KbSnippet(h.plain_text, query, language);
      f.result.score = h.score;
      out.push_back(std::move(f));
      continue;
    }
    auto it = loaded.find(h.article_id);
    if (it == loaded.end()) {
      HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a, tx.GetKbArticle(h.article_id));
      it = loaded.emplace(h.article_id, std::move(a)).first;
    }
    const v1::KbArticle& a = it->second;
    const v1::KbTranslation* t = TranslationOf(a, h.locale);
    // A store that returned what the reader may not see is broken: never
    // show it.
    if (t == nullptr || t->state() != v1::KbTranslation::PUBLISHED ||
        !KbAudienceAllows(reader.audience, internal::KbFactsOf(a))) {
      return absl::InternalError(absl::StrCat("search returned article ", h.article_id, " (",
                                              h.locale, ") outside the reader's audience"));
    }
    HELPDESK_ASSIGN_OR_RETURN(std::string plain, MarkdownToPlainText(t->body_markdown()));
    Found f;
    f.result.article_id = a.id();
    f.result.locale = t->locale();
    f.result.title = t->title();
    f.result.category = a.category();
    f.result.section = a.section();
    f.result.snippet_html = KbSnippet(plain, query, language);
    f.result.score = h.score;
    if (reasons) f.reason = ReasonFor(a, *t, plain, query, language);
    out.push_back(std::move(f));
  }
  return out;
}

absl::Status CheckQueryText(absl::string_view field, absl::string_view text, size_t max) {
  return internal::CheckText(field, text, max);
}

}  // namespace

absl::StatusOr<KbSearchPage> KnowledgeBase::Search(const v1::Actor& reader,
                                                   const KbSearchOptions& options) {
  HELPDESK_RETURN_IF_ERROR(CheckQueryText("query", options.query, kMaxQueryBytes));
  if (options.limit < 1 || options.limit > kMaxKbSearchLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", options.limit,
                                                   " is out of range [1, ", kMaxKbSearchLimit,
                                                   "]"));
  }
  if (options.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat("offset ", options.offset, " is negative"));
  }
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<KbSearchPage> {
        HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, reader));
        HELPDESK_ASSIGN_OR_RETURN(std::vector<Found> found,
                                  RunSearch(*impl_, tx, r, options.query, options.locale,
                                            options.limit, options.offset, false));
        KbSearchPage page;
        for (Found& f : found) page.results.push_back(std::move(f.result));
        return page;
      });
}

absl::StatusOr<v1::KbSuggestionSession> KnowledgeBase::Suggest(const v1::Actor& reader,
                                                               const KbSuggestOptions& options) {
  if ((options.ticket_id != 0) == !options.question.empty()) {
    return absl::InvalidArgumentError(
        "ticket_id, question: give exactly one (a ticket, or a draft question)");
  }
  HELPDESK_RETURN_IF_ERROR(CheckQueryText("question", options.question, kMaxQuestionBytes));
  if (options.limit < 1 || options.limit > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", options.limit, " is out of range [1, 20]"));
  }
  return impl_->Run(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::KbSuggestionSession> {
        HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, reader));
        std::string question = options.question;
        if (options.ticket_id != 0) {
          if (!r.access) {
            return absl::NotFoundError(absl::StrCat("ticket ", options.ticket_id, " not found"));
          }
          HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t,
                                    DeskCore::LoadTicket(tx, *r.access, options.ticket_id));
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages,
                                    tx.ListMessages(t.id()));
          question = t.subject();
          for (const v1::Message& m : messages) {
            if (m.kind() == v1::Message::CUSTOMER_MESSAGE) {
              absl::StrAppend(&question, "\n", m.body_text().substr(0, kMaxQuestionBytes));
              break;
            }
          }
        }
        HELPDESK_ASSIGN_OR_RETURN(std::vector<Found> found,
                                  RunSearch(*impl_, tx, r, question, options.locale,
                                            options.limit, 0, true));
        v1::KbSuggestionSession s;
        *s.mutable_actor() = reader;
        s.set_ticket_id(options.ticket_id);
        s.set_question(question);
        HELPDESK_ASSIGN_OR_RETURN(std::string locale,
                                  desk_kb::PickLocale(*impl_, "locale", options.locale, r.locale));
        s.set_locale(locale);
        *s.mutable_created_at() = ToTimestamp(impl_->Now());
        s.set_outcome(v1::KbSuggestionSession::PENDING);
        for (const Found& f : found) {
          v1::KbSuggestion* g = s.add_suggestions();
          g->set_article_id(f.result.article_id);
          g->set_locale(f.result.locale);
          g->set_title(f.result.title);
          g->set_reason(f.reason);
          g->set_score(f.result.score);
        }
        HELPDESK_RETURN_IF_ERROR(tx.InsertKbSuggestionSession(&s));
        return s;
      });
}

absl::Status KnowledgeBase::RecordOutcome(const v1::Actor& reader, int64_t session_id,
                                          int64_t opened_ticket_id) {
  if (opened_ticket_id < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("opened_ticket_id: ", opened_ticket_id, " is negative"));
  }
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, reader));
    const absl::Status missing =
        absl::NotFoundError(absl::StrCat("suggestion session ", session_id, " not found"));
    absl::StatusOr<v1::KbSuggestionSession> s = tx.GetKbSuggestionSession(session_id);
    if (absl::IsNotFound(s.status())) return missing;
    HELPDESK_RETURN_IF_ERROR(s.status());
    const bool staff = r.access && !r.access->IsContact();
    const bool own = s->actor().kind() == reader.kind() && s->actor().id() == reader.id();
    if (!staff && !own) return missing;
    if (s->outcome() != v1::KbSuggestionSession::PENDING) return absl::OkStatus();
    if (opened_ticket_id > 0 && r.access) {
      HELPDESK_RETURN_IF_ERROR(DeskCore::LoadTicket(tx, *r.access, opened_ticket_id).status());
    }
    s->set_outcome(opened_ticket_id > 0 ? v1::KbSuggestionSession::TICKET_OPENED
                                        : v1::KbSuggestionSession::DEFLECTED);
    s->set_opened_ticket_id(opened_ticket_id);
    *s->mutable_resolved_at() = ToTimestamp(impl_->Now());
    return tx.UpdateKbSuggestionSession(*s);
  });
}

absl::StatusOr<KbDeflectionReport> KnowledgeBase::Deflection(const v1::Actor& actor) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<KbDeflectionReport> {
        if (desk_kb::IsAnonymous(actor)) {
          return absl::PermissionDeniedError("an anonymous visitor may not view reports");
        }
        HELPDESK_ASSIGN_OR_RETURN(Viewer v, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(v, Action::kViewReports));
        KbDeflectionReport report;
        int64_t after = 0;
        while (true) {
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::KbSuggestionSession> page,
                                    tx.ListKbSuggestionSessions(after, 10000));
          for (const v1::KbSuggestionSession& s : page) {
            after = s.id();
            if (s.ticket_id() != 0) continue;
            ++report.sessions;
            switch (s.outcome()) {
              case v1::KbSuggestionSession::DEFLECTED:
                ++report.deflected;
                break;
              case v1::KbSuggestionSession::TICKET_OPENED:
                ++report.tickets_opened;
                break;
              default:
                ++report.pending;
            }
          }
          if (page.size() < 10000) break;
        }
        const int64_t decided = report.deflected + report.tickets_opened;
        report.deflection_rate =
            decided == 0 ? 0 : static_cast<double>(report.deflected) / static_cast<double>(decided);
        return report;
      });
}

}  // namespace helpdesk
