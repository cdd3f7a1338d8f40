// MemoryTransaction: the knowledge base: articles, their search index, suggestion sessions.
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"
#include "storage/kb_index.h"
#include "storage/memory_store_internal.h"

namespace helpdesk::internal {

// --- Knowledge base ---

absl::Status MemoryTransaction::InsertKbArticle(v1::KbArticle* article) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  HELPDESK_ASSIGN_OR_RETURN(internal::KbIndexedArticle indexed,
                            internal::IndexKbArticle(*article));
  article->set_id(++state_->last.kb_article);
  article->set_version(1);
  indexed.facts.id = article->id();
  Remember(state_->kb_articles, article->id());
  Remember(state_->kb_index, article->id());
  state_->kb_articles[article->id()] = *article;
  state_->kb_index[article->id()] = std::move(indexed);
  return absl::OkStatus();
}

absl::Status MemoryTransaction::UpdateKbArticle(v1::KbArticle* article, int64_t expected_version) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->kb_articles.find(article->id());
  if (it == state_->kb_articles.end()) return NotFound("article", article->id());
  if (it->second.version() != expected_version) {
    return absl::AbortedError(absl::StrCat("article ", article->id(), ": expected version ",
                                           expected_version, ", stored version ",
                                           it->second.version()));
  }
  HELPDESK_ASSIGN_OR_RETURN(internal::KbIndexedArticle indexed,
                            internal::IndexKbArticle(*article));
  article->set_version(expected_version + 1);
  Remember(state_->kb_articles, article->id());
  Remember(state_->kb_index, article->id());
  state_->kb_articles[article->id()] = *article;
  state_->kb_index[article->id()] = std::move(indexed);
  return absl::OkStatus();
}

absl::StatusOr<v1::KbArticle> MemoryTransaction::GetKbArticle(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->kb_articles.find(id);
  if (it == state_->kb_articles.end()) return NotFound("article", id);
  return it->second;
}

absl::StatusOr<std::vector<v1::KbArticle>> MemoryTransaction::ListKbArticles(int64_t after_id,
                                                                             int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_RETURN_IF_ERROR(CheckKbListLimit(limit));
  std::vector<v1::KbArticle> out;
  for (auto it = state_->kb_articles.upper_bound(after_id);
       it != state_->kb_articles.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<KbSearchHit>> MemoryTransaction::SearchKbArticles(
    const KbSearchRequest& request) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_RETURN_IF_ERROR(internal::CheckKbSearchRequest(request));
  return internal::SearchKbIndex(state_->kb_index, request);
}

absl::Status MemoryTransaction::InsertKbSuggestionSession(v1::KbSuggestionSession* session) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  session->set_id(++state_->last.kb_session);
  Remember(state_->kb_sessions, session->id());
  state_->kb_sessions[session->id()] = *session;
  return absl::OkStatus();
}

absl::Status MemoryTransaction::UpdateKbSuggestionSession(const v1::KbSuggestionSession& session) {
  HELPDESK_RETURN_IF_ERROR(CheckWritable());
  auto it = state_->kb_sessions.find(session.id());
  if (it == state_->kb_sessions.end()) return NotFound("suggestion session", session.id());
  Remember(state_->kb_sessions, session.id());
  it->second = session;
  return absl::OkStatus();
}

absl::StatusOr<v1::KbSuggestionSession> MemoryTransaction::GetKbSuggestionSession(int64_t id) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  auto it = state_->kb_sessions.find(id);
  if (it == state_->kb_sessions.end()) return NotFound("suggestion session", id);
  return it->second;
}

absl::StatusOr<std::vector<v1::KbSuggestionSession>> MemoryTransaction::ListKbSuggestionSessions(
    int64_t after_id, int limit) {
  HELPDESK_RETURN_IF_ERROR(CheckOpen());
  HELPDESK_RETURN_IF_ERROR(CheckKbListLimit(limit));
  std::vector<v1::KbSuggestionSession> out;
  for (auto it = state_->kb_sessions.upper_bound(after_id);
       it != state_->kb_sessions.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::Status MemoryTransaction::CheckKbListLimit(int limit) {
  if (limit >= 1 && limit <= 10000) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("limit ", limit, " is out of range [1, 10000]"));
}

}  // namespace helpdesk::internal
