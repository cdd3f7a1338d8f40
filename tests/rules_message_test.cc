// The message.text conditions (contains, matches and their negations), which
// the engine tests once per run and per operand (a memo shared by the rules
// that repeat a test) and, for regular expressions, through RE2's prefilter:
// on seeded texts and patterns every rule fires exactly when RE2 itself (or
// an ASCII case-folded search) says its condition holds, indexed and
// scanned alike.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/rules.h"
#include "helpdesk/testing/status_matchers.h"
#include "re2/re2.h"
#include "rules_test_util.h"

namespace helpdesk {
namespace {

using ::helpdesk::rules_test::Jan;
using ::helpdesk::rules_test::MessageEvent;
using ::helpdesk::rules_test::OpenTicket;
using ::helpdesk::rules_test::Rules;
using ::helpdesk::testing::IsOk;

// Patterns with literal strings RE2's prefilter looks for (case-sensitive
// and not, alternations, optional parts, non-ASCII letters) and without any.
const std::vector<std::string> kPatterns = {
    "(?i)order #\\d+",  "order #7\\d",        "(?i)(password|log ?in|locked out)",
    "Refund",           "(?i)straße|ÄPFEL",   "\\d{3}-\\d{4}",
    "(?i)^hello",       "down!$",             "(?i)inv(oice)?s? \\d",
    "é",                "(?i)über",           "a.b",
};
const std::vector<std::string> kNeedles = {"order", "REFUND", "log in", "ÄPFEL",
                                           "über",  "#7",     "down"};
const std::vector<std::string> kPieces = {
    "Hello, ", "order #7 12345", "ORDER #71", "order #", "password", "LOGIN",
    "log in", "locked out", "Refund", "refund", "straße", "STRASSE", "äpfel",
    "ÄPFEL", "Äpfel", "555-1234", "down!", "invoices 3", "INV 9", "é", "É",
    "ÜBER", "über", "axb", " ", "\n"};

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}});
}

TEST(RulesMessage, MessageConditionsAgreeWithRe2OnSeededTexts) {
  // Each test three times (rules that repeat a test share its memo), both
  // ways round.
  std::string text;
  std::vector<std::pair<std::string, bool>> expectations;  // rule, positive
  int n = 0;
  for (int copy = 0; copy < 3; ++copy) {
    for (const std::string& p : kPatterns) {
      for (const char* op : {"matches", "not_matches"}) {
        absl::StrAppend(&text, "rules { name: \"r", n++,
                        "\" on { kind: CUSTOMER_MESSAGE } all { field: \"message.text\" op: \"",
                        op, "\" value: \"", Escape(p), "\" } actions { add_tags { tags: [\"x\"] } } }\n");
      }
    }
    for (const std::string& needle : kNeedles) {
      for (const char* op : {"contains", "not_contains"}) {
        absl::StrAppend(&text, "rules { name: \"r", n++,
                        "\" on { kind: CUSTOMER_MESSAGE } all { field: \"message.text\" op: \"",
                        op, "\" value: \"", Escape(needle),
                        "\" } actions { add_tags { tags: [\"x\"] } } }\n");
      }
    }
  }
  absl::StatusOr<RuleSet> rules = Rules(text);
  ASSERT_THAT(rules.status(), IsOk());
  std::vector<std::unique_ptr<RE2>> res;
  for (const std::string& p : kPatterns) {
    res.push_back(std::make_unique<RE2>(p));
    ASSERT_TRUE(res.back()->ok()) << p;
  }
  std::mt19937 rng(20261206);
  const v1::Ticket ticket = OpenTicket();
  for (int round = 0; round < 300; ++round) {
    std::string body;
    const int pieces = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < pieces; ++k) body += kPieces[rng() % kPieces.size()];
    v1::Message message;
    message.set_kind(v1::Message::CUSTOMER_MESSAGE);
    message.set_body_text(body);
    std::vector<std::string> expected;
    int r = 0;
    for (int copy = 0; copy < 3; ++copy) {
      for (const auto& re : res) {
        const bool m = RE2::PartialMatch(body, *re);
        if (m) expected.push_back(absl::StrCat("r", r));
        if (!m) expected.push_back(absl::StrCat("r", r + 1));
        r += 2;
      }
      for (const std::string& needle : kNeedles) {
        const bool c = absl::StrContains(absl::AsciiStrToLower(body),
                                         absl::AsciiStrToLower(needle));
        expected.push_back(absl::StrCat("r", c ? r : r + 1));
        r += 2;
      }
    }
    RuleContext context;
    context.ticket = &ticket;
    context.message = &message;
    context.now = Jan(12, 11);
    for (bool scan : {false, true}) {
      SCOPED_TRACE(absl::StrCat("body \"", body, "\" scan ", scan));
      absl::StatusOr<RuleOutcome> out = rules->Run(
          context, {MessageEvent(v1::Message::CUSTOMER_MESSAGE)}, {.scan_all_rules = scan});
      ASSERT_THAT(out.status(), IsOk());
      EXPECT_EQ(out->fired_rules, expected);
    }
  }
}

TEST(RulesMessage, ExplainAgreesWithRun) {
  absl::StatusOr<RuleSet> rules = Rules(R"pb(
    rules {
      name: "order"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "message.text" op: "matches" value: "(?i)order #\\d+" }
      actions { add_tags { tags: [ "order" ] } }
    }
    rules {
      name: "no order"
      on { kind: CUSTOMER_MESSAGE }
      all { field: "message.text" op: "not_matches" value: "(?i)order #\\d+" }
      actions { add_tags { tags: [ "other" ] } }
    }
  )pb");
  ASSERT_THAT(rules.status(), IsOk());
  const v1::Ticket ticket = OpenTicket();
  for (const char* body : {"About ORDER #42 again", "About order # 42", "no match here"}) {
    SCOPED_TRACE(body);
    v1::Message message;
    message.set_kind(v1::Message::CUSTOMER_MESSAGE);
    message.set_body_text(body);
    RuleContext context;
    context.ticket = &ticket;
    context.message = &message;
    context.now = Jan(12, 11);
    const bool order = RE2::PartialMatch(body, "(?i)order #\\d+");
    absl::StatusOr<std::vector<RuleExplanation>> why =
        rules->Explain(context, {MessageEvent(v1::Message::CUSTOMER_MESSAGE)}, {});
    ASSERT_THAT(why.status(), IsOk());
    ASSERT_EQ(why->size(), 2u);
    EXPECT_EQ((*why)[0].would_fire, order);
    EXPECT_EQ((*why)[1].would_fire, !order);
  }
}

}  // namespace
}  // namespace helpdesk
