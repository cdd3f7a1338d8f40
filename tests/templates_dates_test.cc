// Dates in templates: each language's names and default pattern, a zone with
// daylight saving time, and the fallbacks (with warnings) for an unknown zone
// or language.
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/templates.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Sunday, 6 December 2026, 09:30 UTC.
const absl::Time kDecember =
    absl::FromCivil(absl::CivilSecond(2026, 12, 6, 9, 30, 0), absl::UTCTimeZone());
// Monday, 6 July 2026, 09:30 UTC.
const absl::Time kJuly =
    absl::FromCivil(absl::CivilSecond(2026, 7, 6, 9, 30, 0), absl::UTCTimeZone());

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

struct LocaleCase {
  std::string locale;
  std::string default_date;
  std::string long_names;  // pattern "%A %B / %a %b"
};

TEST(LocalDatesTest, EachLanguageHasItsNamesAndDefaultPattern) {
  const std::vector<LocaleCase> cases = {
      {"en", "December 6, 2026, 09:30", "Sunday December / Sun Dec"},
      {"es", "6 de diciembre de 2026, 09:30", "domingo diciembre / dom dic"},
      {"pt-BR", "6 de dezembro de 2026, 09:30", "domingo dezembro / dom dez"},
      {"fr_CA", "6 décembre 2026 à 09:30", "dimanche décembre / dim. déc."},
      {"DE", "6. Dezember 2026, 09:30", "Sonntag Dezember / So. Dez."},
  };
  for (const LocaleCase& c : cases) {
    SCOPED_TRACE(c.locale);
    EXPECT_EQ(FormatLocalDate(kDecember, c.locale, absl::UTCTimeZone()), c.default_date);
    EXPECT_EQ(FormatLocalDate(kDecember, c.locale, absl::UTCTimeZone(), "%A %B / %a %b"),
              c.long_names);
  }
}

TEST(LocalDatesTest, MondayAndJulyInEveryLanguage) {
  EXPECT_EQ(FormatLocalDate(kJuly, "en", absl::UTCTimeZone(), "%A, %-d %B"), "Monday, 6 July");
  EXPECT_EQ(FormatLocalDate(kJuly, "es", absl::UTCTimeZone(), "%A, %-d %B"), "lunes, 6 julio");
  EXPECT_EQ(FormatLocalDate(kJuly, "pt", absl::UTCTimeZone(), "%A, %-d %B"),
            "segunda-feira, 6 julho");
  EXPECT_EQ(FormatLocalDate(kJuly, "fr", absl::UTCTimeZone(), "%A, %-d %B"), "lundi, 6 juillet");
  EXPECT_EQ(FormatLocalDate(kJuly, "de", absl::UTCTimeZone(), "%A, %-d %B"), "Montag, 6 Juli");
}

TEST(LocalDatesTest, AZoneWithDaylightSavingTime) {
  const absl::TimeZone madrid = Zone("Europe/Madrid");
  // CET (+1) in December, CEST (+2) in July.
  EXPECT_EQ(FormatLocalDate(kDecember, "es", madrid), "6 de diciembre de 2026, 10:30");
  EXPECT_EQ(FormatLocalDate(kJuly, "es", madrid), "6 de julio de 2026, 11:30");
  // Across the spring change (29 March 2026, 01:00 UTC): 00:30 UTC is 01:30
  // CET, 01:30 UTC is 03:30 CEST.
  const absl::Time before =
      absl::FromCivil(absl::CivilSecond(2026, 3, 29, 0, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(FormatLocalDate(before, "de", madrid, "%H:%M %Z"), "01:30 CET");
  EXPECT_EQ(FormatLocalDate(before + absl::Hours(1), "de", madrid, "%H:%M %Z"), "03:30 CEST");
}

TEST(LocalDatesTest, UnknownLanguageIsEnglish) {
  EXPECT_EQ(FormatLocalDate(kDecember, "ja", absl::UTCTimeZone()), "December 6, 2026, 09:30");
  EXPECT_EQ(FormatLocalDate(kDecember, "", absl::UTCTimeZone()), "December 6, 2026, 09:30");
}

TEST(LocalDatesTest, PercentSignsInPatternsStayLiteral) {
  EXPECT_EQ(FormatLocalDate(kDecember, "fr", absl::UTCTimeZone(), "100%% %B"),
            "100% décembre");
}

// Dates through a template: the contact's locale and zone.
absl::StatusOr<RenderedMessage> RenderDate(const std::string& locale, const std::string& zone,
                                           const std::string& body = "{{ticket.created_at}}") {
  TemplateSetConfig config;
  config.templates.push_back({"t", body, ""});
  absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
  if (!set.ok()) return set.status();
  RenderContext c;
  *c.ticket.mutable_created_at() = ToTimestamp(kDecember);
  c.contact.set_locale(locale);
  c.contact.set_time_zone(zone);
  c.desk_time_zone = Zone("America/Sao_Paulo");
  c.desk_locale = "pt";
  return set->Render("t", TemplateOutput::kText, c);
}

TEST(TemplateDatesTest, ContactLocaleAndZone) {
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, RenderDate("es-ES", "Europe/Madrid"));
  EXPECT_EQ(r.body, "6 de diciembre de 2026, 10:30");
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(TemplateDatesTest, DateHelperPattern) {
  ASSERT_OK_AND_ASSIGN(
      RenderedMessage r,
      RenderDate("fr", "Europe/Madrid", "{{ticket.created_at | date: \"%a %-d %b %Y %H:%M\"}}"));
  EXPECT_EQ(r.body, "dim. 6 déc. 2026 10:30");
}

TEST(TemplateDatesTest, MissingZoneAndLocaleUseTheDesksQuietly) {
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, RenderDate("", ""));
  EXPECT_EQ(r.body, "6 de dezembro de 2026, 06:30");
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(TemplateDatesTest, UnknownZoneFallsBackToTheDesksAndSaysSo) {
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, RenderDate("de", "Mars/Olympus_Mons"));
  EXPECT_EQ(r.body, "6. Dezember 2026, 06:30");
  EXPECT_THAT(r.warnings, ElementsAre(HasSubstr(
                              "contact time_zone 'Mars/Olympus_Mons' is unknown; dates use "
                              "the desk's zone America/Sao_Paulo")));
}

TEST(TemplateDatesTest, UnknownLocaleIsEnglishAndSaysSo) {
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, RenderDate("ja-JP", "UTC"));
  EXPECT_EQ(r.body, "December 6, 2026, 09:30");
  EXPECT_THAT(r.warnings, ElementsAre(HasSubstr("locale 'ja-JP' has no date names")));
}

TEST(TemplateDatesTest, NoDatesNoWarnings) {
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, RenderDate("ja", "Mars/X", "no dates here"));
  EXPECT_THAT(r.warnings, IsEmpty());
}

}  // namespace
}  // namespace helpdesk
