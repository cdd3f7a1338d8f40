// SqliteStore's knowledge base search in memory (storage/sqlite_kb_cache.h):
// every page equals the FTS5 search's (a second store on the same file opened
// with kb_memory_index = false: same hits, same order, the same score bit
// for bit, same display fields) on seeded articles and queries (words,
// prefixes, several words; languages, drafts, audiences, pages), after
// updates, visibility and audience changes, and after a write from another
// store on the file; the memory path is really taken (stats), kept up to
// date by this store's commits without a rebuild, rebuilt after another
// store's; a snapshot older than the index and a transaction that wrote
// the knowledge base see what they must; phrases too.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "helpdesk/access.h"
#include "helpdesk/kb.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/status_matchers.h"
#include "storage/sqlite_kb_cache.h"

namespace helpdesk {
namespace {

std::string TempPath() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = absl::StrCat(::testing::TempDir(), "/sqlite_kb_memory_test_", info->name(),
                                  "_", getpid(), ".db");
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(path, suffix).c_str());
  }
  return path;
}

const std::vector<std::string>& Words() {
  static const auto* w = new std::vector<std::string>{
      "factura", "facturas", "facturación", "pago",    "pagos",    "cuenta",   "contraseña",
      "acceso",  "envío",    "devolución",  "tarjeta", "cliente",  "invoice",  "invoices",
      "payment", "refund",   "login",       "password", "vpn",     "portal",   "printer",
      "impresora", "licencia", "garantía",  "soporte", "error",    "problema", "Ñandú",
      "café",    "naïve",    "über",        "x1",      "ab12cd",   "wifi",     "router"};
  return *w;
}

// A seeded article: 1-2 translations (es, en), drafts now and then, every
// visibility, groups and organizations from small sets.
class Articles {
 public:
  explicit Articles(uint32_t seed) : rng_(seed) {}

  std::string Text(int n) {
    // Zipf-like: low indexes much more often, so some words are everywhere.
    std::string s;
    for (int i = 0; i < n; ++i) {
      const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
      const auto w = static_cast<size_t>(u * u * u * static_cast<double>(Words().size()));
      absl::StrAppend(&s, i ? " " : "", Words()[std::min(w, Words().size() - 1)]);
    }
    return s;
  }

  void Randomize(v1::KbArticle* a) {
    std::uniform_int_distribution<int> pct(0, 99);
    std::uniform_int_distribution<int> len(1, 40);
    const int v = pct(rng_);
    a->set_visibility(v < 50   ? v1::KbArticle::PUBLIC
                      : v < 70 ? v1::KbArticle::AGENTS
                               : v1::KbArticle::RESTRICTED);
    a->clear_group_ids();
    a->clear_organization_ids();
    if (pct(rng_) < 40) a->add_group_ids(1 + pct(rng_) % 3);
    if (pct(rng_) < 30) a->add_organization_ids(10 + pct(rng_) % 3);
    a->clear_tags();
    if (pct(rng_) < 20) a->add_tags(Text(1));
    a->clear_translations();
    const int locales = pct(rng_) < 30 ? 2 : 1;
    for (int i = 0; i < locales; ++i) {
      v1::KbTranslation* t = a->add_translations();
      t->set_locale(locales == 2 ? (i == 0 ? "es" : "en") : (pct(rng_) < 50 ? "es" : "en"));
      t->set_title(Text(1 + len(rng_) / 8));
      t->set_body_markdown(absl::StrCat(Text(len(rng_)), "\n\n**", Text(2), "** ", Text(len(rng_))));
      t->set_state(pct(rng_) < 85 ? v1::KbTranslation::PUBLISHED : v1::KbTranslation::DRAFT);
    }
  }

  std::string Query() {
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<int> words(1, 4);
    const int k = kind(rng_);
    if (k == 0) return absl::StrCat(Text(1).substr(0, 3), "*");
    if (k == 1) return absl::StrCat(Text(1), " ", Text(1).substr(0, 2), "*");
    if (k == 2) return "zzzunknown";
    return Text(words(rng_));
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

std::vector<KbAudience> Audiences() {
  KbAudience agent{.agents = true, .group_ids = {1}};
  KbAudience customer{.organization_ids = {10, 11}};
  KbAudience all{.everything = true, .drafts = true};
  KbAudience agent_drafts{.agents = true, .drafts = true, .group_ids = {2, 3}};
  return {AnonymousKbAudience(), agent, customer, all, agent_drafts};
}

absl::StatusOr<std::vector<KbSearchHit>> Search(Store& store, const KbSearchRequest& r) {
  absl::StatusOr<std::unique_ptr<Transaction>> tx = store.Begin(TransactionMode::kReadOnly);
  if (!tx.ok()) return tx.status();
  return (*tx)->SearchKbArticles(r);
}

std::string Describe(const std::vector<KbSearchHit>& hits) {
  std::string s;
  for (const KbSearchHit& h : hits) {
    absl::StrAppend(&s, h.article_id, "/", h.locale, ":", absl::StrFormat("%.17g", h.score), " ");
  }
  return s;
}

// A query with phrases: two and three words, a repeated word, mixed with
// words and prefixes; a hyphenated pair.
std::string PhraseQuery(Articles& gen) {
  std::uniform_int_distribution<int> kind(0, 7);
  switch (kind(gen.rng())) {
    case 0:
      return absl::StrCat("\"", gen.Text(3), "\"");
    case 1:
      return absl::StrCat("\"", gen.Text(2), "\" ", gen.Text(1));
    case 2:
      return absl::StrCat(gen.Text(1), " \"", gen.Text(2), "\" ", gen.Text(1).substr(0, 3), "*");
    case 3: {
      const std::string w = gen.Text(1);
      return absl::StrCat("\"", w, " ", w, "\"");
    }
    case 4:
      return absl::StrCat(gen.Text(1), "-", gen.Text(1));
    default:
      return absl::StrCat("\"", gen.Text(2), "\"");
  }
}

// Compares `fast`'s pages with `fts5`'s on `n` seeded queries (`query`'s,
// else Articles::Query's) for every audience, language and a few pages;
// returns how many compared pages had hits.
int ExpectSamePages(Store& fast, Store& fts5, Articles& gen, int n,
                    std::string (*query)(Articles&) = nullptr) {
  int with_hits = 0;
  const std::vector<KbAudience> audiences = Audiences();
  std::uniform_int_distribution<int> pick(0, 99);
  for (int i = 0; i < n; ++i) {
    const std::string q = query != nullptr ? query(gen) : gen.Query();
    KbSearchRequest r;
    const int lang = pick(gen.rng()) % 3;
    r.language = lang == 0 ? "" : lang == 1 ? "es" : "en";
    r.query = ParseKbQuery(q, r.language.empty() ? "es" : r.language);
    if (r.query.empty()) continue;
    r.audience = audiences[static_cast<size_t>(pick(gen.rng())) % audiences.size()];
    const int page = pick(gen.rng());
    r.limit = page < 60 ? 10 : page < 80 ? 1 + pick(gen.rng()) % 5 : 100;
    r.offset = page < 70 ? 0 : pick(gen.rng()) % 30;
    absl::StatusOr<std::vector<KbSearchHit>> want = Search(fts5, r);
    absl::StatusOr<std::vector<KbSearchHit>> got = Search(fast, r);
    EXPECT_TRUE(want.ok()) << want.status();
    EXPECT_TRUE(got.ok()) << got.status();
    if (!want.ok() || !got.ok()) continue;
    if (!want->empty()) ++with_hits;
    EXPECT_EQ(Describe(*got), Describe(*want))
        << "query '" << q << "' language '" << r.language << "' limit " << r.limit
        << " offset " << r.offset << " audience everything " << r.audience.everything
        << " agents " << r.audience.agents;
    for (size_t h = 0; h < std::min(got->size(), want->size()); ++h) {
      EXPECT_EQ((*got)[h].has_display, (*want)[h].has_display);
      EXPECT_EQ((*got)[h].title, (*want)[h].title);
      EXPECT_EQ((*got)[h].category, (*want)[h].category);
      EXPECT_EQ((*got)[h].plain_text, (*want)[h].plain_text);
    }
  }
  return with_hits;
}

SqliteKbIndexStats StatsOf(Store& store) {
  std::optional<SqliteKbIndexStats> s = SqliteKbIndexStatsOf(store);
  EXPECT_TRUE(s.has_value());
  return s.value_or(SqliteKbIndexStats{});
}

struct Stores {
  std::unique_ptr<Store> fast;
  std::unique_ptr<Store> fts5;
};

Stores Open(const std::string& path) {
  Stores s;
  s.fast = *OpenSqliteStore(path);
  s.fts5 = *OpenSqliteStore(path, {.kb_memory_index = false});
  return s;
}

std::vector<v1::KbArticle> Insert(Store& store, Articles& gen, int n) {
  std::vector<v1::KbArticle> out;
  auto tx = *store.Begin(TransactionMode::kReadWrite);
  for (int i = 0; i < n; ++i) {
    v1::KbArticle a;
    a.set_category(absl::StrCat("cat", i % 4));
    gen.Randomize(&a);
    EXPECT_OK(tx->InsertKbArticle(&a));
    out.push_back(a);
  }
  EXPECT_OK(tx->Commit());
  return out;
}

TEST(SqliteKbMemoryTest, PagesEqualFts5Search) {
  const std::string path = TempPath();
  Stores s = Open(path);
  Articles gen(11);
  Insert(*s.fast, gen, 400);
  EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 600), 300);
  const SqliteKbIndexStats stats = StatsOf(*s.fast);
  EXPECT_TRUE(stats.built);
  EXPECT_EQ(stats.builds, 1);
  EXPECT_GT(stats.memory_searches, 500);  // every query here is words or prefixes
  EXPECT_EQ(stats.fts5_searches, 0);
  EXPECT_GT(stats.memory_bytes, 0u);
  EXPECT_EQ(StatsOf(*s.fts5).memory_searches, 0);
  EXPECT_FALSE(StatsOf(*s.fts5).built);
}

TEST(SqliteKbMemoryTest, OwnUpdatesKeepTheIndexWithoutRebuild) {
  const std::string path = TempPath();
  Stores s = Open(path);
  Articles gen(12);
  std::vector<v1::KbArticle> articles = Insert(*s.fast, gen, 300);
  ExpectSamePages(*s.fast, *s.fts5, gen, 50);  // builds the index
  ASSERT_EQ(StatsOf(*s.fast).builds, 1);
  std::uniform_int_distribution<size_t> pick(0, articles.size() - 1);
  for (int round = 0; round < 6; ++round) {
    {
      auto tx = *s.fast->Begin(TransactionMode::kReadWrite);
      for (int i = 0; i < 25; ++i) {
        v1::KbArticle& a = articles[pick(gen.rng())];
        // New text, visibility, audience, drafts and locales, or only the
        // audience.
        if (i % 3 == 0) {
          a.set_visibility(v1::KbArticle::RESTRICTED);
          a.clear_group_ids();
          a.add_group_ids(1 + i % 3);
        } else {
          gen.Randomize(&a);
        }
        ASSERT_OK(tx->UpdateKbArticle(&a, a.version()));
      }
      ASSERT_OK(tx->Commit());
    }
    std::vector<v1::KbArticle> more = Insert(*s.fast, gen, 10);
    articles.insert(articles.end(), more.begin(), more.end());
    EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 120), 40) << "round " << round;
  }
  const SqliteKbIndexStats stats = StatsOf(*s.fast);
  EXPECT_EQ(stats.builds, 1);
  EXPECT_EQ(stats.applied_commits, 12);
  EXPECT_EQ(stats.fts5_searches, 0);
}

TEST(SqliteKbMemoryTest, AnotherStoresWriteRebuilds) {
  const std::string path = TempPath();
  Stores s = Open(path);
  Articles gen(13);
  std::vector<v1::KbArticle> articles = Insert(*s.fast, gen, 200);
  ExpectSamePages(*s.fast, *s.fts5, gen, 40);
  ASSERT_EQ(StatsOf(*s.fast).builds, 1);
  // The other store (its own memory index off) changes and adds articles.
  {
    auto tx = *s.fts5->Begin(TransactionMode::kReadWrite);
    for (int i = 0; i < 20; ++i) {
      v1::KbArticle& a = articles[static_cast<size_t>(i) * 7];
      gen.Randomize(&a);
      ASSERT_OK(tx->UpdateKbArticle(&a, a.version()));
    }
    ASSERT_OK(tx->Commit());
  }
  Insert(*s.fts5, gen, 20);
  EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 200), 100);
  EXPECT_EQ(StatsOf(*s.fast).builds, 2);
  // A third store with its own index writes too: both indexes follow.
  std::unique_ptr<Store> third = *OpenSqliteStore(path);
  Insert(*third, gen, 5);
  EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 100), 50);
  EXPECT_GT(ExpectSamePages(*third, *s.fts5, gen, 100), 50);
  EXPECT_EQ(StatsOf(*s.fast).builds, 3);
  EXPECT_EQ(StatsOf(*s.fast).fts5_searches, 0);
}

KbSearchRequest Request(const std::string& q) {
  KbSearchRequest r;
  r.query = ParseKbQuery(q, "es");
  r.audience.everything = true;
  r.audience.drafts = true;
  r.limit = 100;
  return r;
}

TEST(SqliteKbMemoryTest, SnapshotsAndOwnWritesSeeTheirState) {
  const std::string path = TempPath();
  Stores s = Open(path);
  Articles gen(14);
  Insert(*s.fast, gen, 100);
  const KbSearchRequest r = Request("factura vpn quokka");
  // A snapshot begun before a commit the index then holds: its page is the
  // one of its snapshot (FTS5 answers it).
  auto old = *s.fast->Begin(TransactionMode::kReadOnly);
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> before, old->SearchKbArticles(r));
  v1::KbArticle quokka;
  quokka.set_visibility(v1::KbArticle::PUBLIC);
  v1::KbTranslation* t = quokka.add_translations();
  t->set_locale("es");
  t->set_title("quokka quokka");
  t->set_body_markdown("quokka");
  t->set_state(v1::KbTranslation::PUBLISHED);
  {
    auto tx = *s.fast->Begin(TransactionMode::kReadWrite);
    ASSERT_OK(tx->InsertKbArticle(&quokka));
    // The writing transaction sees its own article, first.
    ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> own, tx->SearchKbArticles(r));
    ASSERT_FALSE(own.empty());
    EXPECT_EQ(own[0].article_id, quokka.id());
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> again, old->SearchKbArticles(r));
  EXPECT_EQ(Describe(again), Describe(before));
  old.reset();
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> now, Search(*s.fast, r));
  ASSERT_FALSE(now.empty());
  EXPECT_EQ(now[0].article_id, quokka.id());
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> want, Search(*s.fts5, r));
  EXPECT_EQ(Describe(now), Describe(want));
}

// Phrases run in memory (the index keeps positions) with FTS5's pages: two
// and three words, repeated words, phrases mixed with words and prefixes,
// a word FTS5's tokenizer splits ("wi-fi": the phrase "wi fi"), in titles
// and bodies, every audience and language, after this store's updates and
// after another store's write; only a prefix of several tokens runs on
// FTS5.
TEST(SqliteKbMemoryTest, PhrasesRunInMemoryWithFts5Pages) {
  const std::string path = TempPath();
  Stores s = Open(path);
  Articles gen(15);
  Insert(*s.fast, gen, 100);
  for (const char* q : {"\"factura pago\"", "\"vpn portal\" cuenta", "pago \"error problema\"",
                        "\"pago pago\"", "wi-fi router", "\"cuenta factura pago\""}) {
    const KbSearchRequest r = Request(q);
    ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> got, Search(*s.fast, r));
    ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> want, Search(*s.fts5, r));
    EXPECT_EQ(Describe(got), Describe(want)) << q;
  }
  // A prefix of two tokens (FTS5's "a b"*; the parser makes none) runs on
  // FTS5.
  KbSearchRequest prefix_phrase = Request("\"factura pago\"");
  ASSERT_EQ(prefix_phrase.query.terms.size(), 1u);
  prefix_phrase.query.terms[0].prefix = true;
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> got, Search(*s.fast, prefix_phrase));
  ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> want, Search(*s.fts5, prefix_phrase));
  EXPECT_EQ(Describe(got), Describe(want));
  EXPECT_EQ(StatsOf(*s.fast).fts5_searches, 1);
  EXPECT_EQ(StatsOf(*s.fast).memory_searches, 6);

  std::vector<v1::KbArticle> articles = Insert(*s.fast, gen, 300);
  EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 400, PhraseQuery), 200);
  // This store's updates (the index follows: positions removed with their
  // rows), then another store's write (a rebuild).
  std::uniform_int_distribution<size_t> pick(0, articles.size() - 1);
  for (int round = 0; round < 3; ++round) {
    auto tx = *s.fast->Begin(TransactionMode::kReadWrite);
    for (int i = 0; i < 30; ++i) {
      v1::KbArticle& a = articles[pick(gen.rng())];
      gen.Randomize(&a);
      ASSERT_OK(tx->UpdateKbArticle(&a, a.version()));
    }
    ASSERT_OK(tx->Commit());
    EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 150, PhraseQuery), 60)
        << "round " << round;
  }
  EXPECT_EQ(StatsOf(*s.fast).builds, 1);
  Insert(*s.fts5, gen, 20);
  EXPECT_GT(ExpectSamePages(*s.fast, *s.fts5, gen, 150, PhraseQuery), 60);
  EXPECT_EQ(StatsOf(*s.fast).builds, 2);
  EXPECT_EQ(StatsOf(*s.fast).fts5_searches, 1);
}

// Lists long enough that most of their rows are passed over by the counts
// of their postings alone once a page is full (a common word, several), and
// prefixes of many terms with few rows each (merged through a bit per
// slot): the same pages as FTS5, every limit and offset, scores bit for
// bit. Words of syllables share their beginnings, as the bench's do.
TEST(SqliteKbMemoryTest, LongListsAndPrefixesOfManyTermsEqualFts5) {
  const std::string path = TempPath();
  Stores s = Open(path);
  std::mt19937 rng(21);
  const char* syllables[] = {"ba", "ce", "di", "fo", "blo", "tra", "ple", "nu"};
  std::vector<std::string> words;
  for (const char* a : syllables) {
    for (const char* b : syllables) {
      words.push_back(absl::StrCat(a, b));
      for (const char* c : syllables) words.push_back(absl::StrCat(a, b, c));
    }
  }
  std::shuffle(words.begin(), words.end(), rng);
  // Zipf-like: a few words in most articles, most in a handful.
  auto word = [&] {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return words[std::min(static_cast<size_t>(u * u * u * static_cast<double>(words.size())),
                          words.size() - 1)];
  };
  auto text = [&](int n) {
    std::string t;
    for (int i = 0; i < n; ++i) absl::StrAppend(&t, i ? " " : "", word());
    return t;
  };
  std::uniform_int_distribution<int> len(3, 60);
  std::uniform_int_distribution<int> pct(0, 99);
  {
    auto tx = *s.fast->Begin(TransactionMode::kReadWrite);
    for (int i = 0; i < 1500; ++i) {
      v1::KbArticle a;
      a.set_visibility(pct(rng) < 80 ? v1::KbArticle::PUBLIC : v1::KbArticle::AGENTS);
      v1::KbTranslation* t = a.add_translations();
      t->set_locale("es");
      const std::string w = word();
      t->set_title(pct(rng) < 30 ? absl::StrCat(w, " ", w, " ", text(2)) : text(1 + pct(rng) % 6));
      t->set_body_markdown(text(len(rng)));
      t->set_state(v1::KbTranslation::PUBLISHED);
      ASSERT_OK(tx->InsertKbArticle(&a));
    }
    ASSERT_OK(tx->Commit());
  }
  std::uniform_int_distribution<size_t> letters(2, 5);
  int with_hits = 0;
  for (int i = 0; i < 300; ++i) {
    std::string q;
    switch (i % 4) {
      case 0:
        q = absl::StrCat(word().substr(0, letters(rng)), "*");
        break;
      case 1:
        q = absl::StrCat(word().substr(0, 2), "* ", word());
        break;
      case 2:
        q = words[static_cast<size_t>(pct(rng)) % 8];  // among the commonest
        break;
      default:
        q = text(1 + pct(rng) % 3);
    }
    KbSearchRequest r;
    r.query = ParseKbQuery(q, "es");
    r.language = "es";
    if (pct(rng) < 50) r.audience.agents = true;
    r.limit = i % 3 == 0 ? 1 : i % 3 == 1 ? 10 : 100;
    r.offset = pct(rng) < 70 ? 0 : pct(rng) % 40;
    ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> want, Search(*s.fts5, r));
    ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> got, Search(*s.fast, r));
    if (!want.empty()) ++with_hits;
    EXPECT_EQ(Describe(got), Describe(want)) << "query '" << q << "' limit " << r.limit
                                             << " offset " << r.offset;
  }
  EXPECT_GT(with_hits, 250);
  EXPECT_EQ(StatsOf(*s.fast).fts5_searches, 0);
}

}  // namespace
}  // namespace helpdesk
