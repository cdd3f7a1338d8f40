// GoogleTest matchers for absl::Status and absl::StatusOr<T>, with Abseil's
// names (Debian's Abseil 20220623 ships none):
//
//   EXPECT_THAT(desk->tickets().Get(viewer, 42), IsOk());
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("42")));
//   HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Ticket t, desk->tickets().Get(viewer, 42));
//   HELPDESK_ASSERT_OK(status);
//
// Header-only; link GTest::gmock.
#ifndef HELPDESK_TESTING_STATUS_MATCHERS_H_
#define HELPDESK_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace helpdesk::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::helpdesk::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code)) {
  const absl::Status& s = ::helpdesk::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

MATCHER_P(StatusIs, code, "has code " + ::testing::PrintToString(code)) {
  const absl::Status& s = ::helpdesk::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

}  // namespace helpdesk::testing

#define HELPDESK_MATCHERS_CONCAT_INNER_(a, b) a##b
#define HELPDESK_MATCHERS_CONCAT_(a, b) HELPDESK_MATCHERS_CONCAT_INNER_(a, b)

// Asserts that `rexpr` (a StatusOr) is OK and moves its value into `lhs`.
#define HELPDESK_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                             \
  HELPDESK_ASSERT_OK_AND_ASSIGN_IMPL_(                                        \
      HELPDESK_MATCHERS_CONCAT_(helpdesk_statusor_, __LINE__), lhs, rexpr)
#define HELPDESK_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                        \
  ASSERT_TRUE(statusor.ok()) << statusor.status();                \
  lhs = std::move(statusor).value()

#define HELPDESK_ASSERT_OK(expr) ASSERT_THAT(expr, ::helpdesk::testing::IsOk())
#define HELPDESK_EXPECT_OK(expr) EXPECT_THAT(expr, ::helpdesk::testing::IsOk())

// The same without the prefix, for test code that asks for them by defining
// HELPDESK_STATUS_MACROS_UNPREFIXED (libhelpdesk's own tests do); the
// installed suites use only the prefixed names, so they never clash with a
// host's own ASSERT_OK.
#ifdef HELPDESK_STATUS_MACROS_UNPREFIXED
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) HELPDESK_ASSERT_OK_AND_ASSIGN(lhs, rexpr)
#define ASSERT_OK(expr) HELPDESK_ASSERT_OK(expr)
#define EXPECT_OK(expr) HELPDESK_EXPECT_OK(expr)
#endif

#endif  // HELPDESK_TESTING_STATUS_MATCHERS_H_
