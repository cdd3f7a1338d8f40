// Relevance of knowledge base search on a fixture of articles written for
// the test, with known best answers per query: prints precision@3 and MRR
// and holds them above floors. The fixture is a pair of JSON-lines files in
// tests/data/kb/ named by the test's parameter ("<name>_articles.jsonl",
// "<name>_queries.jsonl"): "dev" (30 articles, 13 queries, written with the
// search) and "relevance" (223 articles in Spanish and English, 83 queries,
// written apart from it; scripts/check_kb_fixture.py checks it).
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "kb_fixture.pb.h"

namespace helpdesk {
namespace {

// Floors: precision@3 counts relevant articles in the top 3 over
// min(3, number of relevant articles); MRR is the mean reciprocal rank of the
// first relevant article (0 when none is in the top 10).
constexpr double kMinPrecisionAt3 = 0.6;
constexpr double kMinMrr = 0.7;

template <typename Row>
std::vector<Row> ReadJsonLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Row row;
    auto status = google::protobuf::util::JsonStringToMessage(line, &row);
    EXPECT_TRUE(status.ok()) << path << ":" << n << ": " << status.ToString();
    rows.push_back(std::move(row));
  }
  return rows;
}

class KbRelevanceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(KbRelevanceTest, PrecisionAndMrrOnTheFixture) {
  const std::string kFixture = GetParam();
  const std::string dir = HELPDESK_TEST_DATA_DIR "/kb/";
  const auto articles =
      ReadJsonLines<testing::KbFixtureArticle>(absl::StrCat(dir, kFixture, "_articles.jsonl"));
  const auto queries =
      ReadJsonLines<testing::KbFixtureQuery>(absl::StrCat(dir, kFixture, "_queries.jsonl"));
  ASSERT_FALSE(articles.empty());
  ASSERT_FALSE(queries.empty());

  ManualClock clock(absl::FromUnixSeconds(1767600000));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, OpenSqliteStore(":memory:"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Desk> desk,
                       Desk::Open({.store = store.get(), .clock = &clock}));
  const v1::Actor system = SystemActor();
  std::map<int64_t, std::string> key_of;
  for (const auto& a : articles) {
    NewKbArticle in{.locale = a.locale(),
                    .title = a.title(),
                    .body_markdown = a.body(),
                    .category = a.category(),
                    .section = a.section(),
                    .tags = {a.tags().begin(), a.tags().end()},
                    .visibility = a.visibility() == "agents" ? v1::KbArticle::AGENTS
                                                             : v1::KbArticle::PUBLIC};
    ASSERT_OK_AND_ASSIGN(v1::KbArticle stored, desk->kb().Create(system, in));
    ASSERT_OK(desk->kb().Publish(system, stored.id(), a.locale()).status());
    key_of[stored.id()] = a.key();
  }

  double precision_sum = 0;
  double rr_sum = 0;
  for (const auto& q : queries) {
    ASSERT_OK_AND_ASSIGN(KbSearchPage page,
                         desk->kb().Search(system, {.query = q.query(), .locale = q.locale()}));
    std::vector<std::string> got;
    for (const KbSearchResult& r : page.results) got.push_back(key_of[r.article_id]);
    const std::set<std::string> relevant(q.relevant().begin(), q.relevant().end());
    int in_top3 = 0;
    double rr = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (!relevant.contains(got[i])) continue;
      if (i < 3) ++in_top3;
      if (rr == 0) rr = 1.0 / static_cast<double>(i + 1);
    }
    const double p3 =
        static_cast<double>(in_top3) / static_cast<double>(std::min<size_t>(3, relevant.size()));
    precision_sum += p3;
    rr_sum += rr;
    std::string top;
    for (size_t i = 0; i < got.size() && i < 3; ++i) absl::StrAppend(&top, " ", got[i]);
    std::cout << "  [" << q.locale() << "] " << q.query() << ": P@3 " << p3 << " RR " << rr
              << " top3:" << top << "\n";
  }
  const double n = static_cast<double>(queries.size());
  const double precision = precision_sum / n;
  const double mrr = rr_sum / n;
  std::cout << "fixture '" << kFixture << "': " << articles.size() << " articles, "
            << queries.size() << " queries: precision@3 " << precision << ", MRR " << mrr
            << "\n";
  EXPECT_GE(precision, kMinPrecisionAt3);
  EXPECT_GE(mrr, kMinMrr);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, KbRelevanceTest, ::testing::Values("dev", "relevance"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return std::string(param.param);
                         });

}  // namespace
}  // namespace helpdesk
