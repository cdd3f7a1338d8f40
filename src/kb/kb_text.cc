// Knowledge base: the text analysis search shares between stores (folding,
// words, Snowball stemming, stop words), query parsing and snippets.
#include <libstemmer.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "helpdesk/kb.h"
#include "internal/text_checks.h"

namespace helpdesk {
namespace {

constexpr size_t kMaxWordBytes = 64;

// Decodes the code point at `i` (valid UTF-8 of length `len`).
uint32_t DecodeAt(absl::string_view s, size_t i, size_t len) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  switch (len) {
    case 1:
      return p[0];
    case 2:
      return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    case 3:
      return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    default:
      return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
             (p[3] & 0x3Fu);
  }
}


// Latin-1 letters U+00C0..U+00FF folded (U+00D7 and U+00F7 are not letters).
constexpr const char* kLatin1Fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e",  "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u",  "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e",  "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u",  "u", "u", "y", "th", "y"};

// Latin Extended-A U+0100..U+017F, by ranges.
const char* FoldLatinExtendedA(uint32_t cp) {
  struct Range {
    uint32_t last;
    const char* fold;
  };
  static constexpr Range kRanges[] = {
      {0x105, "a"}, {0x10D, "c"}, {0x111, "d"}, {0x11B, "e"}, {0x123, "g"},  {0x127, "h"},
      {0x131, "i"}, {0x133, "ij"}, {0x135, "j"}, {0x138, "k"}, {0x142, "l"}, {0x14B, "n"},
      {0x151, "o"}, {0x153, "oe"}, {0x159, "r"}, {0x161, "s"}, {0x167, "t"}, {0x173, "u"},
      {0x175, "w"}, {0x178, "y"}, {0x17E, "z"}, {0x17F, "s"}};
  for (const Range& r : kRanges) {
    if (cp <= r.last) return r.fold;
  }
  return nullptr;
}

// Whether a code point is part of a word.
bool IsWordChar(uint32_t cp) {
  if (cp < 0x80) return absl::ascii_isalnum(static_cast<unsigned char>(cp));
  if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE0F) return false;  // variation selectors
  if (cp == 0xFEFF) return false;
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  if (cp >= 0x1F000) return false;                 // emoji and pictographs
  return true;
}

// Appends the folded form of one code point of a word.
void FoldInto(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(absl::ascii_tolower(static_cast<unsigned char>(cp)));
    return;
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    out->append(kLatin1Fold[cp - 0xC0]);
    return;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    out->append(FoldLatinExtendedA(cp));
    return;
  }
  if (cp >= 0x300 && cp <= 0x36F) return;  // combining marks
  // Greek: capitals to small, tonos removed.
  if (cp >= 0x391 && cp <= 0x3A9) cp += 0x20;
  switch (cp) {
    case 0x386: case 0x3AC: cp = 0x3B1; break;
    case 0x388: case 0x3AD: cp = 0x3B5; break;
    case 0x389: case 0x3AE: cp = 0x3B7; break;
    case 0x38A: case 0x3AF: case 0x3CA: case 0x390: cp = 0x3B9; break;
    case 0x38C: case 0x3CC: cp = 0x3BF; break;
    case 0x38E: case 0x3CD: case 0x3CB: case 0x3B0: cp = 0x3C5; break;
    case 0x38F: case 0x3CE: cp = 0x3C9; break;
    case 0x3C2: cp = 0x3C3; break;
    default: break;
  }
  // Cyrillic: capitals to small; ё to е.
  if (cp >= 0x410 && cp <= 0x42F) cp += 0x20;
  if (cp >= 0x400 && cp <= 0x40F) cp += 0x50;
  if (cp == 0x451) cp = 0x435;
  internal::AppendUtf8(cp, out);
}

// A language's Snowball stemmer and the stems it gave for the words seen
// lately (a lookup costs a fraction of a stemming: bench/kb_bench's
// snippets stem every word of each hit's text). Two generations of at most
// kMaxMemo words each: when the recent one is full it becomes the older one
// (the older dropped), and a word found in the older is brought back, so
// frequent words stay whatever the vocabulary's size.
struct LanguageStemmer {
  static constexpr size_t kMaxMemo = 65536;
  sb_stemmer* stemmer = nullptr;
  absl::flat_hash_map<std::string, std::string> recent;
  absl::flat_hash_map<std::string, std::string> older;
};

// One stemmer per language and thread (a Snowball stemmer is not
// thread-safe).
class Stemmers {
 public:
  ~Stemmers() {
    for (auto& [lang, s] : stemmers_) {
      if (s.stemmer != nullptr) sb_stemmer_delete(s.stemmer);
    }
  }
  // Null when `language` has no stemmer.
  LanguageStemmer* For(absl::string_view language) {
    auto it = stemmers_.find(language);
    if (it == stemmers_.end()) {
      sb_stemmer* s = nullptr;
      // Only ISO 639-1 codes: libstemmer also knows names like "porter".
      if (language.size() == 2) s = sb_stemmer_new(std::string(language).c_str(), "UTF_8");
      it = stemmers_.emplace(std::string(language), LanguageStemmer{.stemmer = s}).first;
    }
    return it->second.stemmer == nullptr ? nullptr : &it->second;
  }

 private:
  // node_hash_map: For's pointers stay valid as languages are added.
  absl::node_hash_map<std::string, LanguageStemmer> stemmers_;
};

Stemmers& ThreadStemmers() {
  thread_local Stemmers stemmers;
  return stemmers;
}

// Adds a stem to the recent generation of the memo; the stem as stored.
const std::string& Remember(LanguageStemmer* stemmer, absl::string_view folded,
                            std::string stem) {
  if (stemmer->recent.size() >= LanguageStemmer::kMaxMemo) {
    stemmer->older = std::move(stemmer->recent);
    stemmer->recent.clear();
  }
  return stemmer->recent.emplace(std::string(folded), std::move(stem)).first->second;
}

// The stem of a folded word: a view valid until the next stemming on this
// thread (it may point into the memo, or be `folded` itself).
absl::string_view StemView(LanguageStemmer* stemmer, absl::string_view folded) {
  if (stemmer == nullptr || folded.empty()) return folded;
  auto it = stemmer->recent.find(folded);
  if (it != stemmer->recent.end()) return it->second;
  it = stemmer->older.find(folded);
  if (it != stemmer->older.end()) return Remember(stemmer, folded, it->second);
  const sb_symbol* out =
      sb_stemmer_stem(stemmer->stemmer, reinterpret_cast<const sb_symbol*>(folded.data()),
                      static_cast<int>(folded.size()));
  if (out == nullptr) return folded;  // out of memory: index the word unstemmed
  return Remember(stemmer, folded,
                  std::string(reinterpret_cast<const char*>(out),
                              static_cast<size_t>(sb_stemmer_length(stemmer->stemmer))));
}

std::string Stem(LanguageStemmer* stemmer, const std::string& folded) {
  return std::string(StemView(stemmer, folded));
}

// Calls `f(begin, end, folded)` for each word of `text` in turn: its byte
// range and its folded form (cut to kMaxWordBytes at a code point boundary;
// words that fold to nothing are skipped), held in `*folded` (reused, so a
// word costs no allocation) until f returns. Stops when f returns false.
template <typename F>
void ForEachWord(absl::string_view text, std::string* folded, F&& f) {
  size_t i = 0;
  size_t begin = 0;
  bool in_word = false;
  folded->clear();
  // Ends the current word at `at`; false when f asked to stop.
  auto finish = [&](size_t at) {
    if (!in_word) return true;
    in_word = false;
    if (folded->size() > kMaxWordBytes) {
      // Cut at a code point boundary.
      size_t cut = kMaxWordBytes;
      while (cut > 0 && (static_cast<unsigned char>((*folded)[cut]) & 0xC0) == 0x80) --cut;
      folded->resize(cut);
    }
    bool go_on = true;
    if (!folded->empty()) go_on = f(begin, at, absl::string_view(*folded));
    folded->clear();
    return go_on;
  };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {  // ASCII: what IsWordChar and FoldInto do, inline
      if (absl::ascii_isalnum(c)) {
        if (!in_word) {
          in_word = true;
          begin = i;
        }
        // The run of ASCII letters and digits at once.
        size_t j = i + 1;
        while (j < text.size() && absl::ascii_isalnum(static_cast<unsigned char>(text[j]))) ++j;
        const size_t at = folded->size();
        folded->append(text.data() + i, j - i);
        for (size_t k = at; k < folded->size(); ++k) {
          (*folded)[k] = absl::ascii_tolower(static_cast<unsigned char>((*folded)[k]));
        }
        i = j;
        continue;
      }
      if (!finish(i)) return;
      ++i;
      continue;
    }
    size_t len = internal::Utf8SequenceLength(text, i);
    if (len == 0) {
      if (!finish(i)) return;
      ++i;
      continue;
    }
    uint32_t cp = DecodeAt(text, i, len);
    bool word_char = IsWordChar(cp) || (in_word && cp >= 0x300 && cp <= 0x36F);
    if (word_char) {
      if (!in_word) {
        in_word = true;
        begin = i;
      }
      FoldInto(cp, folded);
    } else if (!finish(i)) {
      return;
    }
    i += len;
  }
  finish(text.size());
}

// Words of `text` with their byte ranges and folded forms.
struct Word {
  size_t begin;
  size_t end;
  std::string folded;
};

std::vector<Word> Words(absl::string_view text) {
  std::vector<Word> words;
  std::string folded;
  ForEachWord(text, &folded, [&](size_t begin, size_t end, absl::string_view f) {
    words.push_back(Word{begin, end, std::string(f)});
    return true;
  });
  return words;
}

const absl::flat_hash_set<std::string>& StopWords(absl::string_view language) {
  static const auto* kLists = new absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>{
      {"es", absl::StrSplit(
                 "de la que el en y a los del se las por un para con no una su al lo como mas o "
                 "pero sus le ya este si porque esta entre cuando muy sin sobre tambien me hasta "
                 "hay donde quien desde todo nos durante uno les ni contra otros ese eso ante "
                 "ellos e esto mi antes algunos unos yo otro otras otra tanto esa estos mucho "
                 "quienes nada muchos cual poco ella estar estas algunas algo nosotros mis tu te "
                 "ti tus ellas es son fue ha han puedo puede hago hacer tengo mio",
                 ' ', absl::SkipEmpty())},
      {"en", absl::StrSplit(
                 "a an the and or of to in on for with is are was were be been by at it this "
                 "that as from how do does did i my me can could you your what why when where "
                 "which who not no so if our we us its into about have has had am will would "
                 "should there their they them he she his her",
                 ' ', absl::SkipEmpty())},
      {"pt", absl::StrSplit(
                 "de a o que e do da em um para com nao uma os no se na por mais as dos como mas "
                 "ao ele das seu sua ou quando muito nos ja eu tambem so pelo pela ate isso ela "
                 "entre sem mesmo aos seus quem nas me esse eles voce essa num nem suas meu minha "
                 "numa pelos qual lhe deles essas esses pelas este dele tu te vos lhes meus "
                 "minhas teu tua nossa nosso posso pode",
                 ' ', absl::SkipEmpty())},
      {"fr", absl::StrSplit(
                 "au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma "
                 "mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se "
                 "ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y est "
                 "sont comment puis peux",
                 ' ', absl::SkipEmpty())},
      {"de", absl::StrSplit(
                 "aber alle als am an auch auf aus bei bin bis bist da damit dann der den des "
                 "dem die das dass du er es ein eine einem einen einer eines fur hat hatte ich "
                 "ihr im in ist ja kann mein meine mit nach nicht noch nun oder sich sie sind so "
                 "uber um und uns von vor war was wie wir zu zum zur wo",
                 ' ', absl::SkipEmpty())},
  };
  static const auto* kNone = new absl::flat_hash_set<std::string>();
  auto it = kLists->find(language);
  return it == kLists->end() ? *kNone : it->second;
}

void AppendEscaped(absl::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&#39;"); break;
      case '\n': case '\r': case '\t': out->push_back(' '); break;
      default: out->push_back(c);
    }
  }
}

}  // namespace

std::string KbLanguageOf(absl::string_view locale) {
  std::string lang;
  for (char c : locale) {
    if (c == '-' || c == '_') break;
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return "";
    lang.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  if (lang.size() < 2 || lang.size() > 3) return "";
  return lang;
}

bool KbHasStemmer(absl::string_view language) {
  return ThreadStemmers().For(language) != nullptr;
}

std::string FoldKbText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t len = internal::Utf8SequenceLength(text, i);
    if (len == 0) {
      ++i;
      continue;
    }
    uint32_t cp = DecodeAt(text, i, len);
    if (IsWordChar(cp) || (cp >= 0x300 && cp <= 0x36F)) {
      FoldInto(cp, &out);
    } else if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.append(text.data() + i, len);
    }
    i += len;
  }
  return out;
}

std::vector<KbToken> AnalyzeKbText(absl::string_view text, absl::string_view language) {
  LanguageStemmer* stemmer = ThreadStemmers().For(language);
  std::vector<KbToken> tokens;
  std::string folded;
  ForEachWord(text, &folded, [&](size_t begin, size_t end, absl::string_view f) {
    tokens.push_back(KbToken{begin, end, std::string(StemView(stemmer, f))});
    return true;
  });
  return tokens;
}

std::string KbIndexText(absl::string_view text, absl::string_view language) {
  std::string out;
  for (const KbToken& t : AnalyzeKbText(text, language)) {
    if (!out.empty()) out.push_back(' ');
    out.append(t.term);
  }
  return out;
}

bool IsKbStopWord(absl::string_view folded_word, absl::string_view language) {
  return StopWords(language).contains(folded_word);
}

KbQuery ParseKbQuery(absl::string_view text, absl::string_view locale) {
  const std::string language = KbLanguageOf(locale);
  LanguageStemmer* stemmer = ThreadStemmers().For(language);
  std::vector<KbQueryTerm> words;  // plain words and prefixes
  std::vector<KbQueryTerm> stop;   // stop words, kept when nothing else is
  std::vector<KbQueryTerm> phrases;
  auto add_plain = [&](absl::string_view chunk) {
    // A chunk is text between quotes; '*' right after a word makes a prefix.
    std::vector<Word> ws = Words(chunk);
    for (Word& w : ws) {
      const bool star = w.end < chunk.size() && chunk[w.end] == '*';
      KbQueryTerm t;
      t.text = std::string(chunk.substr(w.begin, w.end - w.begin));
      if (star && w.folded.size() >= 2) {
        std::string stem = Stem(stemmer, w.folded);
        t.terms.push_back(absl::StartsWith(w.folded, stem) && stem.size() >= 2 ? stem
                                                                               : w.folded);
        t.prefix = true;
        words.push_back(std::move(t));
        continue;
      }
      const bool is_stop = IsKbStopWord(w.folded, language);
      t.terms.push_back(Stem(stemmer, w.folded));
      (is_stop ? stop : words).push_back(std::move(t));
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t q = text.find('"', i);
    if (q == absl::string_view::npos) {
      add_plain(text.substr(i));
      break;
    }
    add_plain(text.substr(i, q - i));
    size_t close = text.find('"', q + 1);
    absl::string_view inner =
        text.substr(q + 1, close == absl::string_view::npos ? absl::string_view::npos
                                                            : close - q - 1);
    std::vector<Word> ws = Words(inner);
    KbQueryTerm t;
    t.text = std::string(inner);
    if (ws.size() > static_cast<size_t>(kMaxKbPhraseWords)) ws.resize(kMaxKbPhraseWords);
    for (Word& w : ws) t.terms.push_back(Stem(stemmer, w.folded));
    if (t.terms.size() == 1) {
      words.push_back(std::move(t));
    } else if (!t.terms.empty()) {
      phrases.push_back(std::move(t));
    }
    if (close == absl::string_view::npos) break;
    i = close + 1;
  }
  KbQuery query;
  absl::flat_hash_set<std::string> seen;
  auto keep = [&](std::vector<KbQueryTerm>& from) {
    for (KbQueryTerm& t : from) {
      if (static_cast<int>(query.terms.size()) >= kMaxKbQueryTerms) return;
      std::string key = absl::StrCat(t.prefix ? "*" : "", absl::StrJoin(t.terms, " "));
      if (!seen.insert(key).second) continue;
      query.terms.push_back(std::move(t));
    }
  };
  keep(phrases);
  keep(words);
  if (query.terms.empty()) keep(stop);
  return query;
}

bool KbTermMatches(const KbQueryTerm& q, size_t i, absl::string_view term) {
  if (i >= q.terms.size()) return false;
  if (q.prefix) return absl::StartsWith(term, q.terms[i]);
  return term == q.terms[i];
}

std::string KbFts5MatchExpression(const KbQuery& query) {
  std::vector<std::string> parts;
  for (const KbQueryTerm& t : query.terms) {
    std::string s = "\"";
    for (size_t i = 0; i < t.terms.size(); ++i) {
      if (i > 0) s.push_back(' ');
      for (char c : t.terms[i]) {
        if (c == '"') s.push_back('"');
        s.push_back(c);
      }
    }
    s.push_back('"');
    if (t.prefix) s.push_back('*');
    parts.push_back(std::move(s));
  }
  return absl::StrJoin(parts, " OR ");
}

namespace {

// Appends `text` escaped, at most `limit` bytes of it (cut at a UTF-8
// boundary, "…" for the rest): a snippet stays short whatever lies between
// its words (50,000 brackets, one endless word).
void AppendBoundedEscaped(absl::string_view text, size_t limit, std::string* out) {
  if (text.size() <= limit) {
    AppendEscaped(text, out);
    return;
  }
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  AppendEscaped(text.substr(0, cut), out);
  out->append("…");
}

constexpr size_t kSnippetMaxGap = 16;   // bytes of non-word text between two words
constexpr size_t kSnippetMaxWord = 64;  // bytes of one word

}  // namespace

namespace {

// What KbSnippet keeps per call, reused by the thread's next calls (a
// snippet then costs no allocation but its result): each word's byte range
// and the range of its index term in `terms`.
struct SnippetScratch {
  std::string folded;
  std::string terms;
  std::vector<size_t> begins, ends;
  std::vector<uint32_t> term_begins, term_ends;
  std::vector<int> match;
  std::vector<int> in_window;
};

// Windows starting past this token are not tried in a text of more tokens
// (long bodies: the first pages are enough).
constexpr size_t kSnippetMaxStart = 2000;

}  // namespace

std::string KbSnippet(absl::string_view plain_text, const KbQuery& query,
                      absl::string_view language, int max_words) {
  if (max_words < 1) max_words = 1;
  thread_local SnippetScratch scratch;
  SnippetScratch& x = scratch;
  // The words the windows below can reach: windows start at token 2001 at
  // most, and a phrase match in one may run past it by its length; one more
  // word tells that the text goes on.
  // A term's words past kMaxKbPhraseWords are not matched (ParseKbQuery
  // keeps no more): matching costs a term's length at each word.
  constexpr size_t kMaxLength = kMaxKbPhraseWords;
  size_t longest = 0;
  for (const KbQueryTerm& q : query.terms) {
    longest = std::max(longest, std::min(q.terms.size(), kMaxLength));
  }
  const size_t cap = kSnippetMaxStart + 2 + static_cast<size_t>(max_words) + longest;
  LanguageStemmer* stemmer = ThreadStemmers().For(language);
  x.terms.clear();
  x.begins.clear();
  x.ends.clear();
  x.term_begins.clear();
  x.term_ends.clear();
  ForEachWord(plain_text, &x.folded, [&](size_t begin, size_t end, absl::string_view f) {
    if (x.begins.size() == cap) return false;
    const absl::string_view term = StemView(stemmer, f);
    x.begins.push_back(begin);
    x.ends.push_back(end);
    x.term_begins.push_back(static_cast<uint32_t>(x.terms.size()));
    x.terms.append(term.data(), term.size());
    x.term_ends.push_back(static_cast<uint32_t>(x.terms.size()));
    return true;
  });
  // n may be `cap` for a longer text: every window tried and every match in
  // them is the same as over all its tokens, and the last is cut ("…").
  const size_t n = x.begins.size();
  auto term_of = [&x](size_t i) {
    return absl::string_view(x.terms).substr(x.term_begins[i], x.term_ends[i] - x.term_begins[i]);
  };
  // Which query term each token is part of a match of (-1: none).
  std::vector<int>& match = x.match;
  match.assign(n, -1);
  for (size_t qi = 0; qi < query.terms.size(); ++qi) {
    const KbQueryTerm& q = query.terms[qi];
    const size_t len = std::min(q.terms.size(), kMaxLength);
    if (len == 0) continue;
    for (size_t i = 0; i + len <= n; ++i) {
      bool all = true;
      for (size_t k = 0; k < len && all; ++k) all = KbTermMatches(q, k, term_of(i + k));
      if (!all) continue;
      for (size_t k = 0; k < len; ++k) {
        if (match[i + k] < 0) match[i + k] = static_cast<int>(qi);
      }
    }
  }
  // The window with the most distinct terms, then the most matches.
  const size_t w = std::min(n, static_cast<size_t>(max_words));
  size_t best = 0;
  std::pair<int, int> best_score{-1, -1};
  // Slid one token at a time: per query term its matches in the window.
  std::vector<int>& in_window = x.in_window;
  in_window.assign(query.terms.size(), 0);
  int distinct = 0;
  int count = 0;
  auto add = [&](size_t i, int delta) {
    if (match[i] < 0) return;
    int& c = in_window[static_cast<size_t>(match[i])];
    if (c == 0) ++distinct;
    c += delta;
    if (c == 0) --distinct;
    count += delta;
  };
  for (size_t i = 0; i < w; ++i) add(i, 1);
  for (size_t s = 0; s + w <= n && n > 0; ++s) {
    if (s > 0) {
      add(s - 1, -1);
      add(s + w - 1, 1);
    }
    std::pair<int, int> score{distinct, count};
    if (score > best_score) {
      best_score = score;
      best = s;
    }
    if (n > kSnippetMaxStart && s > kSnippetMaxStart) break;
  }
  std::string out;
  if (n == 0) return out;
  const size_t end_token = best + w;  // exclusive
  size_t pos = x.begins[best];
  if (best > 0) out.append("… ");
  for (size_t i = best; i < end_token; ++i) {
    AppendBoundedEscaped(plain_text.substr(pos, x.begins[i] - pos), kSnippetMaxGap, &out);
    absl::string_view word = plain_text.substr(x.begins[i], x.ends[i] - x.begins[i]);
    if (match[i] >= 0) {
      out.append("<mark>");
      AppendBoundedEscaped(word, kSnippetMaxWord, &out);
      out.append("</mark>");
    } else {
      AppendBoundedEscaped(word, kSnippetMaxWord, &out);
    }
    pos = x.ends[i];
  }
  if (end_token < n) {
    out.append(" …");
  } else {
    AppendBoundedEscaped(plain_text.substr(pos), kSnippetMaxGap, &out);
  }
  return out;
}

}  // namespace helpdesk
