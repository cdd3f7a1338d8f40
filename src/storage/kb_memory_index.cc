// KbMemoryIndex: the in-memory index and its exact MaxScore top-k (see the
// header).
#include "storage/kb_memory_index.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"
#include "storage/kb_bm25.h"

namespace helpdesk::internal {
namespace {

// A bound a computed score can only reach from below: the score of a row is
// a sum of terms each at most its phrase's bound in exact arithmetic, and
// rounding moves each by far less than this share.
constexpr double kBoundSlack = 1e-9;

// Whether a row whose score is at most `bound` (computed: partial sums in
// another order than the score's) is surely below `threshold`.
bool Below(double bound, double threshold) { return bound * (1 + kBoundSlack) < threshold; }

constexpr uint8_t VisibilityCode(KbVisibility v) { return static_cast<uint8_t>(static_cast<int>(v) + 1); }

// One phrase's list during a search: its postings (the term's, or the merge
// of a prefix's terms), idf, bound and position.
struct Cursor {
  const uint32_t* slots = nullptr;
  const uint32_t* counts = nullptr;
  size_t size = 0;
  size_t at = 0;
  double idf = 0;
  double bound = 0;
  size_t phrase = 0;
  // The shortest row of the list, and count_bound[c]: CountBound(c).
  static constexpr uint32_t kCountBounds = 16;
  double min_length = 0;
  double count_bound[kCountBounds] = {};

  // At least the score term of a posting with weighted count `count` (in
  // a row of min_length tokens or more; KbBm25Term falls as the length
  // grows, and so does each of its rounded steps).
  double CountBound(uint32_t count, double avgdl) const {
    return KbBm25Term(idf, static_cast<double>(count), min_length, avgdl) * (1 + kBoundSlack);
  }

  bool done() const { return at >= size; }
  uint32_t slot() const { return slots[at]; }
  // Moves to the first posting at or after `target` (galloping).
  void SeekTo(uint32_t target) {
    if (at >= size || slots[at] >= target) return;
    size_t step = 1;
    size_t lo = at;
    size_t hi = at + 1;
    while (hi < size && slots[hi] < target) {
      lo = hi;
      step *= 2;
      hi = std::min(size, lo + step);
    }
    at = static_cast<size_t>(std::lower_bound(slots + lo, slots + hi, target) - slots);
  }
};

struct Candidate {
  double score;
  int64_t article_id;
  uint32_t slot;
};

}  // namespace

uint32_t KbMemoryIndex::Intern(absl::string_view name) {
  auto it = name_ids_.find(name);
  if (it != name_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(std::string(name), id);
  return id;
}

void KbMemoryIndex::SetArticleFacts(const KbArticleFacts& facts) {
  Article& a = articles_[facts.id];
  a.facts = facts;
  a.has_facts = true;
  for (uint32_t s : a.slots) slots_[s].visibility = VisibilityCode(facts.visibility);
}

bool KbMemoryIndex::AddRow(const KbIndexRow& row, const KbIndexTerms& terms) {
  if (terms.position_ends.size() != terms.counts.size()) return false;
  uint32_t begin = 0;
  for (uint32_t end : terms.position_ends) {
    if (end <= begin || end > terms.positions.size()) return false;  // one position at least
    begin = end;
  }
  for (uint32_t p : terms.positions) {
    if ((p & ~kKbIndexBodyColumn) >= kKbIndexMaxOffset) return false;
  }
  const auto slot = static_cast<uint32_t>(slots_.size());
  if (!slot_of_doc_.emplace(row.doc_id, slot).second) return false;
  Article& a = articles_[row.article_id];
  if (!a.has_facts) {
    // Until SetArticleFacts: the narrowest reading (KbFactsOf's default).
    a.facts.id = row.article_id;
    a.facts.visibility = KbVisibility::kRestricted;
  }
  a.slots.push_back(slot);
  Slot& s = slots_.emplace_back();
  s.doc_id = row.doc_id;
  s.article_id = row.article_id;
  s.length = terms.length;
  s.locale = Intern(row.locale);
  s.language = Intern(row.language);
  s.visibility = VisibilityCode(a.facts.visibility);
  s.published = row.published;
  begin = 0;
  for (size_t i = 0; i < terms.counts.size(); ++i) {
    const auto& [term, count] = terms.counts[i];
    auto [it, added] = terms_.try_emplace(term);
    if (added) sorted_terms_.insert(term);
    Postings& p = it->second;
    p.slots.push_back(slot);
    p.counts.push_back(count);
    p.max_count = std::max(p.max_count, count);
    p.min_length = std::min(p.min_length, terms.length);
    const uint32_t end = terms.position_ends[i];
    p.positions.insert(p.positions.end(), terms.positions.begin() + begin,
                       terms.positions.begin() + end);
    p.positions.back() |= kLastPosition;
    begin = end;
  }
  postings_ += terms.counts.size();
  ++live_rows_;
  total_length_ += terms.length;
  return true;
}

bool KbMemoryIndex::RemoveArticle(
    int64_t article_id, const std::vector<std::pair<int64_t, KbIndexTerms>>& old_rows) {
  auto it = articles_.find(article_id);
  if (it == articles_.end()) return old_rows.empty();
  size_t removed = 0;
  for (const auto& [doc_id, terms] : old_rows) {
    auto at = slot_of_doc_.find(doc_id);
    if (at == slot_of_doc_.end()) continue;
    const uint32_t slot = at->second;
    slot_of_doc_.erase(at);
    for (const auto& [term, count] : terms.counts) {
      auto p = terms_.find(term);
      if (p == terms_.end()) continue;
      std::vector<uint32_t>& slots = p->second.slots;
      auto pos = std::lower_bound(slots.begin(), slots.end(), slot);
      if (pos == slots.end() || *pos != slot) continue;
      const auto k = static_cast<size_t>(pos - slots.begin());
      p->second.counts.erase(p->second.counts.begin() + static_cast<ptrdiff_t>(k));
      slots.erase(pos);
      // The posting's positions: after the k-th last position.
      std::vector<uint32_t>& positions = p->second.positions;
      size_t begin = 0;
      for (size_t seen = 0; seen < k; ++begin) {
        if (positions[begin] & kLastPosition) ++seen;
      }
      size_t end = begin;  // exclusive: after the posting's last position
      while (end < positions.size() && !(positions[end++] & kLastPosition)) {
      }
      positions.erase(positions.begin() + static_cast<ptrdiff_t>(begin),
                      positions.begin() + static_cast<ptrdiff_t>(end));
      --postings_;
      if (slots.empty()) {
        sorted_terms_.erase(p->first);
        terms_.erase(p);
      }
    }
    Slot& s = slots_[slot];
    s.visibility = 0;
    --live_rows_;
    total_length_ -= s.length;
    ++removed;
  }
  bool all = removed == it->second.slots.size();
  for (uint32_t slot : it->second.slots) {
    Slot& s = slots_[slot];
    if (s.visibility == 0) continue;
    all = false;
    slot_of_doc_.erase(s.doc_id);
    s.visibility = 0;
    --live_rows_;
    total_length_ -= s.length;
  }
  articles_.erase(it);
  return all;
}

bool KbMemoryIndex::Allowed(const Slot& s, uint32_t language, bool any_language,
                            const KbAudience& audience) const {
  if (s.visibility == 0) return false;
  if (!any_language && s.language != language) return false;
  if (!s.published && !audience.drafts) return false;
  if (audience.everything) return true;
  switch (s.visibility) {
    case VisibilityCode(KbVisibility::kPublic):
      return true;
    case VisibilityCode(KbVisibility::kAgents):
      return audience.agents;
    default: {
      auto it = articles_.find(s.article_id);
      return it != articles_.end() && KbAudienceAllows(audience, it->second.facts);
    }
  }
}

void KbMemoryIndex::PhraseRows(const std::vector<const Postings*>& lists,
                               std::vector<uint32_t>* slots, std::vector<uint32_t>* counts) {
  // Each list's posting and the index of that posting's first position.
  struct At {
    const Postings* p;
    size_t at = 0;
    size_t pos = 0;
    bool done() const { return at == p->slots.size(); }
    void Next() {
      while (!(p->positions[pos] & kLastPosition)) ++pos;
      ++pos;
      ++at;
    }
  };
  std::vector<At> at;
  for (const Postings* p : lists) at.push_back(At{.p = p});
  std::vector<size_t> probe(at.size());
  constexpr uint32_t kValue = ~kLastPosition;
  uint32_t target = 0;
  while (true) {
    // Every list to the first row at or after `target` (leapfrog).
    bool all = true;
    for (At& a : at) {
      while (!a.done() && a.p->slots[a.at] < target) a.Next();
      if (a.done()) return;
      if (a.p->slots[a.at] > target) {
        target = a.p->slots[a.at];
        all = false;
      }
    }
    if (!all) continue;
    // Every token is in row `target`: the phrase's instances there, the
    // positions of the first token followed by the others in turn.
    for (size_t i = 0; i < at.size(); ++i) probe[i] = at[i].pos;
    const std::vector<uint32_t>& first = at[0].p->positions;
    uint32_t count = 0;
    for (size_t x = at[0].pos;; ++x) {
      const uint32_t start = first[x] & kValue;
      bool match = true;
      bool exhausted = false;
      for (size_t i = 1; i < at.size() && match; ++i) {
        const std::vector<uint32_t>& list = at[i].p->positions;
        const uint32_t want = start + static_cast<uint32_t>(i);
        size_t& q = probe[i];
        while ((list[q] & kValue) < want && !(list[q] & kLastPosition)) ++q;
        const uint32_t got = list[q] & kValue;
        if (got < want) exhausted = true;  // no later instance either
        match = got == want;
      }
      if (exhausted) break;
      if (match) count += (start & kKbIndexBodyColumn) ? 1 : kKbIndexTitleCount;
      if (first[x] & kLastPosition) break;
    }
    if (count > 0) {
      slots->push_back(target);
      counts->push_back(count);
    }
    if (target == UINT32_MAX) return;
    ++target;
  }
}

void KbMemoryIndex::MergePrefixLists(const std::vector<const Postings*>& lists,
                                     std::vector<uint32_t>* slots,
                                     std::vector<uint32_t>* counts) const {
  // A count per slot, and a bit per slot touched: the slots come out in
  // order by a pass over the bits (a word per 64 slots), not over every
  // slot, and only the touched counts are set back to zero.
  thread_local std::vector<uint32_t> dense;  // all zero between calls
  thread_local std::vector<uint64_t> touched;
  if (dense.size() < slots_.size()) dense.resize(slots_.size(), 0);
  touched.assign((slots_.size() + 63) / 64, 0);
  for (const Postings* p : lists) {
    for (size_t k = 0; k < p->slots.size(); ++k) {
      const uint32_t s = p->slots[k];
      dense[s] += p->counts[k];
      touched[s / 64] |= uint64_t{1} << (s % 64);
    }
  }
  for (size_t w = 0; w < touched.size(); ++w) {
    for (uint64_t bits = touched[w]; bits != 0; bits &= bits - 1) {
      const auto s = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
      slots->push_back(s);
      counts->push_back(dense[s]);
      dense[s] = 0;
    }
  }
}

std::vector<KbIndexHit> KbMemoryIndex::Search(const std::vector<KbIndexPhrase>& phrases,
                                              absl::string_view language,
                                              const KbAudience& audience, int limit,
                                              int offset) const {
  std::vector<KbIndexHit> page;
  if (live_rows_ == 0 || limit <= 0 || phrases.empty()) return page;
  const bool any_language = language.empty();
  uint32_t language_id = 0;
  if (!any_language) {
    auto it = name_ids_.find(language);
    if (it == name_ids_.end()) return page;
    language_id = it->second;
  }
  const double avgdl = static_cast<double>(total_length_) / static_cast<double>(live_rows_);

  // Each phrase's postings: a term's own, or a prefix's terms merged (their
  // counts added per row, as FTS5 counts a prefix phrase's instances).
  std::vector<std::vector<uint32_t>> merged_slots(phrases.size());
  std::vector<std::vector<uint32_t>> merged_counts(phrases.size());
  std::vector<Cursor> cursors;
  for (size_t i = 0; i < phrases.size(); ++i) {
    const KbIndexPhrase& ph = phrases[i];
    Cursor c;
    c.phrase = i;
    uint32_t max_count = 0;
    uint32_t min_length = UINT32_MAX;
    if (ph.tokens.empty() || (ph.prefix && ph.tokens.size() > 1)) continue;
    std::vector<uint32_t>& ms = merged_slots[i];
    std::vector<uint32_t>& mc = merged_counts[i];
    if (ph.tokens.size() > 1) {
      std::vector<const Postings*> lists;
      for (const std::string& token : ph.tokens) {
        auto it = terms_.find(token);
        if (it == terms_.end()) break;
        lists.push_back(&it->second);
      }
      if (lists.size() < ph.tokens.size()) continue;  // a token no row has: no instance
      PhraseRows(lists, &ms, &mc);
      if (ms.empty()) continue;
    } else if (!ph.prefix) {
      auto it = terms_.find(ph.tokens[0]);
      if (it == terms_.end()) continue;  // idf of a phrase no row has: no row scores it
      c.slots = it->second.slots.data();
      c.counts = it->second.counts.data();
      c.size = it->second.slots.size();
      max_count = it->second.max_count;
      min_length = it->second.min_length;
    } else {
      const std::string& token = ph.tokens[0];
      std::vector<const Postings*> lists;
      for (auto it = sorted_terms_.lower_bound(token);
           it != sorted_terms_.end() && absl::StartsWith(*it, token); ++it) {
        lists.push_back(&terms_.find(*it)->second);
      }
      if (lists.empty()) continue;
      if (lists.size() == 1) {
        c.slots = lists[0]->slots.data();
        c.counts = lists[0]->counts.data();
        c.size = lists[0]->slots.size();
        max_count = lists[0]->max_count;
        min_length = lists[0]->min_length;
      } else {
        MergePrefixLists(lists, &ms, &mc);
      }
    }
    if (!ms.empty()) {  // a list made here: its bounds
      for (size_t k = 0; k < ms.size(); ++k) {
        max_count = std::max(max_count, mc[k]);
        min_length = std::min(min_length, slots_[ms[k]].length);
      }
      c.slots = ms.data();
      c.counts = mc.data();
      c.size = ms.size();
    }
    c.idf = KbBm25Idf(live_rows_, static_cast<int64_t>(c.size));
    c.min_length = static_cast<double>(min_length);
    c.bound = c.CountBound(max_count, avgdl);
    for (uint32_t count = 0; count < Cursor::kCountBounds; ++count) {
      c.count_bound[count] = c.CountBound(count, avgdl);
    }
    cursors.push_back(c);
  }
  if (cursors.empty()) return page;

  // MaxScore: lists by bound, ascending; those before `first_essential`
  // cannot lift a row to the threshold alone and are only probed.
  std::sort(cursors.begin(), cursors.end(),
            [](const Cursor& x, const Cursor& y) { return x.bound < y.bound; });
  const size_t n = cursors.size();
  std::vector<double> bound_upto(n);  // bound_upto[j]: cursors 0..j's bounds
  double sum = 0;
  for (size_t j = 0; j < n; ++j) bound_upto[j] = (sum += cursors[j].bound);

  if (offset >= live_rows_) return page;
  const size_t k = static_cast<size_t>(limit) + static_cast<size_t>(std::max(offset, 0));
  auto better = [this](const Candidate& x, const Candidate& y) {
    if (x.score != y.score) return x.score > y.score;
    if (x.article_id != y.article_id) return x.article_id < y.article_id;
    return names_[slots_[x.slot].locale] < names_[slots_[y.slot].locale];
  };
  std::vector<Candidate> heap;  // worst on top (std heap with `better` as less)
  heap.reserve(std::min(k, static_cast<size_t>(live_rows_)) + 1);
  double threshold = 0;  // valid once heap.size() == k
  size_t first_essential = 0;
  std::vector<double> term(phrases.size(), 0.0);

  while (first_essential < n) {
    uint32_t d = UINT32_MAX;
    for (size_t j = first_essential; j < n; ++j) {
      if (!cursors[j].done()) d = std::min(d, cursors[j].slot());
    }
    if (d == UINT32_MAX) break;
    if (heap.size() == k && first_essential + 1 == n) {
      // One list left to walk (a prefix, a rare word beside common ones):
      // a row is bounded by its posting's count alone (the row's length at
      // least the list's shortest), so most rows of the list are passed over
      // without reading their slot. (With several lists to walk the check
      // cost more than it saved in the bench's common-word queries.)
      Cursor& c = cursors[first_essential];
      const uint32_t count = c.counts[c.at];
      const double bound =
          (first_essential > 0 ? bound_upto[first_essential - 1] : 0.0) +
          (count < Cursor::kCountBounds ? c.count_bound[count] : c.CountBound(count, avgdl));
      if (Below(bound, threshold)) {
        ++c.at;
        continue;
      }
    }
    const Slot& row = slots_[d];
    const double length = static_cast<double>(row.length);
    std::fill(term.begin(), term.end(), 0.0);
    double partial = 0;
    for (size_t j = first_essential; j < n; ++j) {
      Cursor& c = cursors[j];
      if (c.done() || c.slot() != d) continue;
      const double t = KbBm25Term(c.idf, static_cast<double>(c.counts[c.at]), length, avgdl);
      term[c.phrase] = t;
      partial += t;
      ++c.at;
    }
    if (!Allowed(row, language_id, any_language, audience)) continue;
    const bool full = heap.size() == k;
    bool pruned = false;
    for (size_t j = first_essential; j-- > 0;) {
      if (full && Below(partial + bound_upto[j], threshold)) {
        pruned = true;
        break;
      }
      Cursor& c = cursors[j];
      c.SeekTo(d);
      if (c.done() || c.slot() != d) continue;
      const double t = KbBm25Term(c.idf, static_cast<double>(c.counts[c.at]), length, avgdl);
      term[c.phrase] = t;
      partial += t;
    }
    if (pruned) continue;
    // The score exactly as kb_bm25 sums it: phrase by phrase, in order.
    double score = 0.0;
    for (double t : term) score += t;
    const Candidate cand{score, row.article_id, d};
    if (full) {
      if (!better(cand, heap.front())) continue;
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = cand;
    } else {
      heap.push_back(cand);
    }
    std::push_heap(heap.begin(), heap.end(), better);
    if (heap.size() == k) {
      threshold = heap.front().score;
      while (first_essential < n && Below(bound_upto[first_essential], threshold)) {
        ++first_essential;
      }
    }
  }

  std::sort_heap(heap.begin(), heap.end(), better);
  for (size_t i = static_cast<size_t>(std::max(offset, 0)); i < heap.size(); ++i) {
    const Slot& s = slots_[heap[i].slot];
    page.push_back(KbIndexHit{.doc_id = s.doc_id,
                              .article_id = s.article_id,
                              .locale = names_[s.locale],
                              .score = heap[i].score});
  }
  return page;
}

void KbMemoryIndex::ShrinkToFit() {
  for (auto& [term, p] : terms_) {
    p.slots.shrink_to_fit();
    p.counts.shrink_to_fit();
    p.positions.shrink_to_fit();
  }
  slots_.shrink_to_fit();
}

size_t KbMemoryIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + slots_.capacity() * sizeof(Slot);
  for (const auto& [term, p] : terms_) {
    const size_t heap = term.capacity() > 15 ? term.capacity() + 1 : 0;
    // A node of terms_ (and its slot and control byte), a std::set node
    // (three pointers and a colour besides the string) with its copy.
    bytes += sizeof(std::pair<const std::string, Postings>) + sizeof(void*) + 1 + heap +
             4 * sizeof(void*) + sizeof(term) + heap +
             (p.slots.capacity() + p.counts.capacity() + p.positions.capacity()) *
                 sizeof(uint32_t);
  }
  for (const auto& [id, a] : articles_) {
    bytes += sizeof(id) + sizeof(a) + a.slots.capacity() * sizeof(uint32_t) +
             (a.facts.group_ids.capacity() + a.facts.organization_ids.capacity()) *
                 sizeof(int64_t);
  }
  bytes += articles_.bucket_count() + slot_of_doc_.bucket_count() +  // control bytes
           slot_of_doc_.size() * sizeof(std::pair<int64_t, uint32_t>);
  for (const std::string& name : names_) bytes += 2 * (sizeof(name) + name.capacity());
  return bytes;
}

}  // namespace helpdesk::internal
