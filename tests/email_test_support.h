// What the e-mail channel tests share (email_test.cc, email_mime_test.cc,
// email_outbound_test.cc): their includes, a fixed parse time and the helpers
// that build raw mail and parse it.
#ifndef HELPDESK_TESTS_EMAIL_TEST_SUPPORT_H_
#define HELPDESK_TESTS_EMAIL_TEST_SUPPORT_H_

#include "helpdesk/channels/email.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "channels/email_classify.h"
#include "channels/email_header_text.h"
#include "channels/email_text.h"
#include "internal/text_checks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/testing/status_matchers.h"

namespace helpdesk {

inline const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 1, 5, 9, 0, 0),
                                                      absl::UTCTimeZone());

// Joins header and body lines with CRLF.
inline std::string Mail(std::initializer_list<std::string> lines) {
  return absl::StrCat(absl::StrJoin(lines, "\r\n"), "\r\n");
}

inline v1::InboundMessage MustParse(absl::string_view raw,
                                            const EmailInboundOptions& options = {}) {
  absl::StatusOr<v1::InboundMessage> m = NewEmailInbound(options)->Parse(raw, kNow);
  EXPECT_THAT(m, testing::IsOk());
  return m.ok() ? *m : v1::InboundMessage();
}

inline std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& warnings) {
  return absl::StrJoin(warnings, " | ");
}

}  // namespace helpdesk

#endif  // HELPDESK_TESTS_EMAIL_TEST_SUPPORT_H_
