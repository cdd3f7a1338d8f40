#include "helpdesk/workflow.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Ticket TicketIn(absl::string_view status) {
  v1::Ticket t;
  t.set_id(7);
  t.set_status(std::string(status));
  return t;
}

TEST(WorkflowTest, DefaultMatchesCommonHelpDesks) {
  const Workflow& wf = Workflow::Default();
  EXPECT_EQ(wf.initial_status(), "new");
  EXPECT_EQ(wf.merged_status(), "closed");
  EXPECT_THAT(wf.StatusNames(),
              ElementsAre("new", "open", "pending", "on_hold", "solved", "closed"));
  EXPECT_EQ(*wf.CategoryOf("status", "on_hold"), v1::STATUS_CATEGORY_ON_HOLD);
  EXPECT_THAT(wf.CheckTransition(TicketIn("new"), "open"), IsOk());
  EXPECT_THAT(wf.CheckTransition(TicketIn("open"), "open"), IsOk());
  EXPECT_THAT(wf.CheckTransition(TicketIn("open"), "solved"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("requires an assignee")));
  v1::Ticket assigned = TicketIn("open");
  assigned.set_assignee_id(3);
  EXPECT_THAT(wf.CheckTransition(assigned, "solved"), IsOk());
  EXPECT_THAT(wf.CheckTransition(TicketIn("open"), "closed"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot move from 'open' to 'closed' (allowed: "
                                 "pending, on_hold, solved)")));
  EXPECT_THAT(wf.CheckTransition(TicketIn("closed"), "open"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("final")));
  EXPECT_THAT(wf.CheckTransition(TicketIn("open"), "frozen"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("status 'frozen' is not a status")));
  EXPECT_EQ(wf.ReopenTarget("pending"), "open");
  EXPECT_EQ(wf.ReopenTarget("solved"), "open");
  EXPECT_EQ(wf.ReopenTarget("on_hold"), std::nullopt);
  EXPECT_EQ(wf.ReopenTarget("new"), std::nullopt);
}

struct BadConfig {
  std::string name;
  std::string text;
  std::string message;
};

class WorkflowBadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(WorkflowBadConfigTest, IsRefusedWithFieldAndValue) {
  EXPECT_THAT(Workflow::FromText(GetParam().text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(GetParam().message)));
}

constexpr char kBase[] = R"pb(
  statuses { name: "new" category: STATUS_CATEGORY_NEW }
  statuses { name: "open" category: STATUS_CATEGORY_OPEN }
  statuses { name: "closed" category: STATUS_CATEGORY_CLOSED }
  initial_status: "new"
  transitions { from: "new" to: "open" }
  transitions { from: "open" to: "closed" }
)pb";

INSTANTIATE_TEST_SUITE_P(
    Cases, WorkflowBadConfigTest,
    ::testing::Values(
        BadConfig{"Empty", "", "statuses: the workflow has none"},
        BadConfig{"UnknownField", std::string(kBase) + "colour: \"red\"",
                  "workflow: line 8, column"},
        BadConfig{"DuplicateName",
                  std::string(kBase) + "statuses { name: \"open\" category: "
                                       "STATUS_CATEGORY_PENDING }",
                  "statuses[3].name 'open' is listed twice"},
        BadConfig{"BadName",
                  R"pb(statuses { name: "Open Now" category: STATUS_CATEGORY_OPEN })pb",
                  "statuses[0].name 'Open Now' may hold only"},
        BadConfig{"MissingCategory", R"pb(statuses { name: "open" })pb",
                  "statuses[0].category of 'open' is missing"},
        BadConfig{"UnknownInitial",
                  R"pb(statuses { name: "open" category: STATUS_CATEGORY_OPEN }
                       initial_status: "nieuw")pb",
                  "initial_status 'nieuw' is not a status"},
        BadConfig{"ClosedInitial",
                  R"pb(statuses { name: "closed" category: STATUS_CATEGORY_CLOSED }
                       initial_status: "closed")pb",
                  "initial_status 'closed' is of the closed category"},
        BadConfig{"UnknownTransitionTarget",
                  std::string(kBase) + "transitions { from: \"new\" to: \"frozen\" }",
                  "transitions[2].to 'frozen' is not a status"},
        BadConfig{"TransitionOutOfClosed",
                  std::string(kBase) + "transitions { from: \"closed\" to: \"open\" }",
                  "transitions[2].from[0] 'closed' is of the closed category; closed "
                  "is final"},
        BadConfig{"Unreachable",
                  std::string(kBase) +
                      "statuses { name: \"limbo\" category: STATUS_CATEGORY_ON_HOLD }"
                      "transitions { from: \"limbo\" to: \"closed\" }",
                  "statuses[3].name 'limbo' is unreachable from the initial status "
                  "'new'"},
        BadConfig{"NoPathToClosed",
                  std::string(kBase) +
                      "statuses { name: \"trap\" category: STATUS_CATEGORY_PENDING }"
                      "transitions { from: \"open\" to: \"trap\" }",
                  "statuses[3].name 'trap' has no path to a status of the closed "
                  "category"},
        BadConfig{"NoClosedStatus",
                  R"pb(statuses { name: "new" category: STATUS_CATEGORY_NEW }
                       statuses { name: "open" category: STATUS_CATEGORY_OPEN }
                       initial_status: "new"
                       transitions { from: "new" to: "open" })pb",
                  "no status is of the closed category"},
        BadConfig{"MergedNotClosed", std::string(kBase) + "merged_status: \"open\"",
                  "merged_status 'open' must be of the closed category"},
        BadConfig{"ReopenToUnknown",
                  std::string(kBase) + "reopen_from: \"open\" reopen_to: \"again\"",
                  "reopen_to 'again' is not a status"},
        BadConfig{"ReopenFromClosed",
                  std::string(kBase) + "reopen_from: \"closed\" reopen_to: \"open\"",
                  "reopen_from[0] 'closed' is of the closed category"}),
    [](const ::testing::TestParamInfo<BadConfig>& param_info) {
      return param_info.param.name;
    });

TEST(WorkflowTest, WildcardFromMeansEveryOpenStatus) {
  ASSERT_OK_AND_ASSIGN(Workflow wf, Workflow::FromText(std::string(kBase) + R"pb(
    statuses { name: "spam" category: STATUS_CATEGORY_CLOSED }
    transitions { from: "*" to: "spam" }
  )pb"));
  EXPECT_THAT(wf.CheckTransition(TicketIn("new"), "spam"), IsOk());
  EXPECT_THAT(wf.CheckTransition(TicketIn("open"), "spam"), IsOk());
  EXPECT_THAT(wf.CheckTransition(TicketIn("closed"), "spam"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(wf.merged_status(), "closed");  // the first closed status
}

TEST(WorkflowTest, AnyOfSeveralTransitionsMaySatisfyTheGuards) {
  ASSERT_OK_AND_ASSIGN(Workflow wf, Workflow::FromText(std::string(kBase) + R"pb(
    transitions { from: "new" to: "closed" guards: GUARD_TYPE }
    transitions { from: "new" to: "closed" guards: GUARD_GROUP }
  )pb"));
  v1::Ticket t = TicketIn("new");
  EXPECT_THAT(wf.CheckTransition(t, "closed"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("requires a ticket type")));
  t.set_group_id(4);
  EXPECT_THAT(wf.CheckTransition(t, "closed"), IsOk());
}

}  // namespace
}  // namespace helpdesk
