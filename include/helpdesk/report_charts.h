// Reports (helpdesk/reports.h) as CSV and as self-contained SVG charts (no
// scripts, fonts or external references: open in a browser or embed in a
// page or a mail).
//
//   WriteFile("week.csv", ReportCsv(report));
//   WriteFile("backlog.svg", ReportBacklogSvg(report));
//   WriteFile("first_reply.svg", *ReportDistributionSvg(report, ReportMetric::kFirstReply));
//   WriteFile("sla.svg", ReportSlaWeeklySvg(weekly_reports));
#ifndef HELPDESK_REPORT_CHARTS_H_
#define HELPDESK_REPORT_CHARTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "helpdesk/export.h"
#include "helpdesk/reports.h"

namespace helpdesk {

// Every figure of the report, one per line under the header
// "row,metric,statistic,value": counts ("total,created,count,12"), each
// distribution's count, mean, p50, p90 and p99 (durations in seconds,
// "resolution,p90,86400"), SLA met, breached and achievement per metric
// ("sla.first_reply"), top tags ("top_tags,<tag>,<tickets>") and the backlog
// per sample time (RFC 3339, UTC). Rows: "total", then the grouping's rows.
// Fields with commas, quotes or line breaks are quoted.
HELPDESK_EXPORT std::string ReportCsv(const Report& report);

// The backlog over time: one line for the total and one for each of the
// first nine rows.
HELPDESK_EXPORT std::string ReportBacklogSvg(const Report& report);

// A histogram of the total row's first_reply, resolution, requester_wait or
// agent_work (20 bins up to the 99th percentile; longer values in the last
// bin), with the p50 and p90 marked. Errors: InvalidArgument for another
// metric.
HELPDESK_EXPORT absl::StatusOr<std::string> ReportDistributionSvg(const Report& report,
                                                                   ReportMetric metric);

// SLA achievement per period (one report per week, in order), one bar per
// SLA metric in each period.
HELPDESK_EXPORT std::string ReportSlaWeeklySvg(absl::Span<const Report> weeks);

// Thread safety: pure functions; call from any thread.

}  // namespace helpdesk

#endif  // HELPDESK_REPORT_CHARTS_H_
