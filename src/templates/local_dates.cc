// Dates in a contact's language: month and weekday names for en, es, pt, fr
// and de, and each language's usual long date.
//
// Hand tables rather than ICU: Debian's libicu would give every locale, but
// it is a large runtime dependency for helpdesk::core (which needs only Abseil
// and protobuf), its output changes with the ICU version (CLDR updates move
// commas and "at"), which would make rendered mail differ between hosts and
// tests non-deterministic across distributions; five languages are twelve
// lines each. absl::FormatTime does the rest in the contact's IANA zone.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "helpdesk/templates.h"
#include "templates/template_program.h"

namespace helpdesk {
namespace {

struct LocaleNames {
  absl::string_view language;
  absl::string_view months[12];
  absl::string_view short_months[12];
  // Monday first, as absl::GetWeekday counts.
  absl::string_view weekdays[7];
  absl::string_view short_weekdays[7];
  absl::string_view default_pattern;
};

constexpr LocaleNames kLocales[] = {
    {"en",
     {"January", "February", "March", "April", "May", "June", "July", "August", "September",
      "October", "November", "December"},
     {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
     {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
     {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
     "%B %-d, %Y, %H:%M"},
    {"es",
     {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
      "octubre", "noviembre", "diciembre"},
     {"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
     {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"},
     {"lun", "mar", "mié", "jue", "vie", "sáb", "dom"},
     "%-d de %B de %Y, %H:%M"},
    {"pt",
     {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
      "outubro", "novembro", "dezembro"},
     {"jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"},
     {"segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
      "domingo"},
     {"seg", "ter", "qua", "qui", "sex", "sáb", "dom"},
     "%-d de %B de %Y, %H:%M"},
    {"fr",
     {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
      "octobre", "novembre", "décembre"},
     {"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
      "nov.", "déc."},
     {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},
     {"lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."},
     "%-d %B %Y à %H:%M"},
    {"de",
     {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
      "Oktober", "November", "Dezember"},
     {"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
      "Dez."},
     {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"},
     {"Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."},
     "%-d. %B %Y, %H:%M"},
};

// The table for `locale`'s language ("pt-BR", "pt_BR" and "PT" are "pt"), or
// nullptr.
const LocaleNames* FindLocale(absl::string_view locale) {
  const std::string language =
      absl::AsciiStrToLower(locale.substr(0, locale.find_first_of("-_")));
  for (const LocaleNames& names : kLocales) {
    if (names.language == language) return &names;
  }
  return nullptr;
}

int WeekdayIndex(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

namespace templates_internal {
bool IsKnownLocale(absl::string_view locale) { return FindLocale(locale) != nullptr; }
}  // namespace templates_internal

std::string FormatLocalDate(absl::Time t, absl::string_view locale, absl::TimeZone zone,
                            absl::string_view pattern) {
  const LocaleNames* names = FindLocale(locale);
  if (names == nullptr) names = &kLocales[0];
  if (pattern.empty()) pattern = names->default_pattern;
  const absl::CivilSecond civil = absl::ToCivilSecond(t, zone);
  const int month = civil.month() - 1;
  const int weekday = WeekdayIndex(absl::GetWeekday(civil));
  // Names replace their specifiers before FormatTime sees the pattern; a
  // literal '%' in a name would be read as a specifier, so names are escaped.
  std::string expanded;
  auto append_name = [&expanded](absl::string_view name) {
    for (char c : name) {
      expanded.push_back(c);
      if (c == '%') expanded.push_back('%');
    }
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      expanded.push_back(pattern[i]);
      continue;
    }
    const char spec = pattern[i + 1];
    if (spec == 'B') {
      append_name(names->months[month]);
    } else if (spec == 'b') {
      append_name(names->short_months[month]);
    } else if (spec == 'A') {
      append_name(names->weekdays[weekday]);
    } else if (spec == 'a') {
      append_name(names->short_weekdays[weekday]);
    } else if (spec == '-' && i + 2 < pattern.size() && pattern[i + 2] == 'd') {
      absl::StrAppend(&expanded, civil.day());
      ++i;
    } else {
      expanded.push_back('%');
      expanded.push_back(spec);
    }
    ++i;
  }
  return absl::FormatTime(expanded, t, zone);
}

}  // namespace helpdesk
