// helpdesk report: a period's figures from the desk's audit log as text or
// CSV, with an SVG chart.
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "commands.h"
#include "flags.h"
#include "helpdesk/calendar.h"
#include "helpdesk/desk.h"
#include "helpdesk/report_charts.h"
#include "helpdesk/reports.h"
#include "print.h"

namespace helpdesk::cli {
namespace {

absl::StatusOr<absl::Time> DateFlag(const Args& a, const std::string& flag) {
  absl::StatusOr<std::string> text = Required(a, flag);
  if (!text.ok()) return text.status();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", *text, absl::UTCTimeZone(), &t, &err) &&
      !absl::ParseTime("%Y-%m-%d %H:%M", *text, absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", *text, "' is not 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'"));
  }
  return t;
}

absl::Status CmdReport(Desk& desk, const Args& a) {
  if (a.positional.size() < 2) {
    return absl::InvalidArgumentError("usage: helpdesk report METRIC|all --from DATE --to DATE");
  }
  ReportSpec spec;
  const std::string metric_arg = a.positional[1];
  if (metric_arg != "all") {
    for (absl::string_view name : absl::StrSplit(metric_arg, ',')) {
      absl::StatusOr<ReportMetric> m = ParseReportMetric(name);
      if (!m.ok()) return m.status();
      spec.metrics.push_back(*m);
    }
  }
  absl::StatusOr<absl::Time> from = DateFlag(a, "from");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> to = DateFlag(a, "to");
  if (!to.ok()) return to.status();
  spec.from = *from;
  spec.to = *to;
  if (std::optional<std::string> g = a.Get("group-by")) {
    absl::StatusOr<ReportGrouping> grouping = ParseReportGrouping(*g);
    if (!grouping.ok()) return grouping.status();
    spec.group_by = *grouping;
  }
  absl::StatusOr<std::optional<int64_t>> step = WholeNumberFlag(a, "step-hours", 1, 24 * 366);
  if (!step.ok()) return step.status();
  if (*step) spec.backlog_step = absl::Hours(**step);
  // Business time on a named calendar of --calendars / $HELPDESK_CALENDARS /
  // the --sla file.
  ReportCalendars calendars;
  if (std::optional<std::string> name = a.Get("business-hours")) {
    absl::StatusOr<std::vector<BusinessCalendar>> known = RuleCalendars(a);
    if (!known.ok()) return known.status();
    std::vector<std::string> names;
    for (const BusinessCalendar& c : *known) {
      if (c.name() == *name) calendars.calendar = c;
      names.push_back(absl::StrCat("'", c.name(), "'"));
    }
    if (!calendars.calendar.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--business-hours '", *name, "' is not a calendar of --calendars, $HELPDESK_CALENDARS "
          "or the --sla file (known: ", names.empty() ? "none" : absl::StrJoin(names, ", "),
          ")"));
    }
    spec.business_time = true;
  }
  absl::StatusOr<Report> report = desk.reports().Compute(SystemActor(), spec, calendars);
  if (!report.ok()) return report.status();

  if (std::optional<std::string> svg_path = a.Get("svg")) {
    const ReportMetric chart = spec.metrics.empty() ? ReportMetric::kBacklog : spec.metrics[0];
    std::string svg;
    if (chart == ReportMetric::kBacklog) {
      svg = ReportBacklogSvg(*report);
    } else if (chart == ReportMetric::kSla) {
      // One report per week of the period.
      std::vector<Report> weeks;
      for (absl::Time w = spec.from; w < spec.to; w += absl::Hours(24 * 7)) {
        ReportSpec week = spec;
        week.from = w;
        week.to = std::min(spec.to, w + absl::Hours(24 * 7));
        week.metrics = {ReportMetric::kSla};
        absl::StatusOr<Report> r = desk.reports().Compute(SystemActor(), week, calendars);
        if (!r.ok()) return r.status();
        weeks.push_back(*std::move(r));
      }
      svg = ReportSlaWeeklySvg(weeks);
    } else {
      absl::StatusOr<std::string> d = ReportDistributionSvg(*report, chart);
      if (!d.ok()) return d.status();
      svg = *std::move(d);
    }
    if (absl::Status s = WriteOutputFile(*svg_path, svg); !s.ok()) return s;
  }
  const std::string csv = ReportCsv(*report);
  if (std::optional<std::string> csv_path = a.Get("csv")) {
    if (*csv_path == "-") {
      std::cout << csv;
      return absl::OkStatus();
    }
    if (absl::Status s = WriteOutputFile(*csv_path, csv); !s.ok()) return s;
  }
  // Text: the CSV's lines as aligned columns.
  std::vector<std::vector<std::string>> rows;
  size_t widths[4] = {0, 0, 0, 0};
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cells = absl::StrSplit(line, absl::MaxSplits(',', 3));
    if (cells.size() != 4) cells = {std::string(line), "", "", ""};
    for (size_t i = 0; i < 4; ++i) widths[i] = std::max(widths[i], cells[i].size());
    rows.push_back(std::move(cells));
  }
  for (const auto& cells : rows) {
    for (size_t i = 0; i < 4; ++i) {
      std::cout << cells[i] << (i + 1 < 4 ? std::string(widths[i] - cells[i].size() + 2, ' ')
                                          : "\n");
    }
  }
  return absl::OkStatus();
}

}  // namespace

CommandGroup ReportCommands() {
  return {"Reports",
          {
              {.name = "report",
               .summary = "figures of a period from the audit log (text, CSV, SVG chart)",
               .usage = "report METRIC[,METRIC...]|all --from DATE --to DATE [--group-by G] "
                        "[--step-hours N] [--business-hours CALENDAR] [--csv FILE|-] [--svg FILE]",
               .flags =
                   "  METRIC              created, solved, reopened, backlog, first_reply,\n"
                   "                      resolution, replies_to_resolve, requester_wait,\n"
                   "                      agent_work, sla, top_tags; or all\n"
                   "  --from, --to DATE   the period [from, to), 'YYYY-MM-DD[ HH:MM]' UTC\n"
                   "  --group-by G        agent, group, tag, channel, priority, type,\n"
                   "                      organization or custom_field.NAME\n"
                   "  --step-hours N      the backlog's sampling step (default 24)\n"
                   "  --business-hours CALENDAR  durations in that calendar's business time\n"
                   "                      (a calendar of --calendars FILE, default\n"
                   "                      $HELPDESK_CALENDARS, or of the --sla file)\n"
                   "  --csv FILE          write CSV (row,metric,statistic,value); - prints it\n"
                   "  --svg FILE          write a chart of the first metric (backlog,\n"
                   "                      a distribution, or SLA achievement per week)\n",
               .run = [](const CommandContext& c) { return CmdReport(c.desk(), c.args); }},
          }};
}

}  // namespace helpdesk::cli
