// Reports as CSV and SVG charts (the drawing is shared with the simulator's
// charts: internal/svg_chart.h).
#include "helpdesk/report_charts.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "helpdesk/sla.h"
#include "internal/svg_chart.h"

namespace helpdesk {
namespace {

using internal::XmlText;

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\n\r") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.9g", absl::ToDoubleSeconds(d)); }

void AppendRowCsv(std::string* out, const Report& report, const ReportRow& row) {
  const std::string key = CsvField(row.key);
  auto line = [&](absl::string_view metric, absl::string_view statistic,
                  absl::string_view value) {
    absl::StrAppend(out, key, ",", CsvField(metric), ",", CsvField(statistic), ",", value,
                    "\n");
  };
  auto wanted = [&](ReportMetric m) {
    return report.spec.metrics.empty() ||
           std::find(report.spec.metrics.begin(), report.spec.metrics.end(), m) !=
               report.spec.metrics.end();
  };
  if (wanted(ReportMetric::kCreated)) line("created", "count", absl::StrCat(row.created));
  if (wanted(ReportMetric::kSolved)) line("solved", "count", absl::StrCat(row.solved));
  if (wanted(ReportMetric::kReopened)) line("reopened", "count", absl::StrCat(row.reopened));
  const std::pair<ReportMetric, const DurationFigures*> durations[] = {
      {ReportMetric::kFirstReply, &row.first_reply},
      {ReportMetric::kResolution, &row.resolution},
      {ReportMetric::kRequesterWait, &row.requester_wait},
      {ReportMetric::kAgentWork, &row.agent_work},
  };
  for (const auto& [metric, f] : durations) {
    if (!wanted(metric)) continue;
    const std::string name = ReportMetricName(metric);
    line(name, "count", absl::StrCat(f->count));
    if (f->count == 0) continue;
    line(name, "mean", Seconds(f->mean));
    line(name, "p50", Seconds(f->p50));
    line(name, "p90", Seconds(f->p90));
    line(name, "p99", Seconds(f->p99));
  }
  if (wanted(ReportMetric::kRepliesToResolve)) {
    const CountFigures& r = row.replies_to_resolve;
    line("replies_to_resolve", "count", absl::StrCat(r.count));
    if (r.count > 0) {
      line("replies_to_resolve", "mean", absl::StrFormat("%.9g", r.mean));
      line("replies_to_resolve", "p50", absl::StrCat(r.p50));
      line("replies_to_resolve", "p90", absl::StrCat(r.p90));
      line("replies_to_resolve", "p99", absl::StrCat(r.p99));
    }
  }
  for (const SlaFigures& s : row.sla) {
    const std::string name = absl::StrCat("sla.", SlaMetricName(s.metric));
    line(name, "met", absl::StrCat(s.met));
    line(name, "breached", absl::StrCat(s.breached));
    line(name, "achievement", absl::StrFormat("%.9g", s.achievement));
  }
  for (const auto& [tag, n] : row.top_tags) line("top_tags", tag, absl::StrCat(n));
  for (size_t i = 0; i < row.backlog.size() && i < report.backlog_times.size(); ++i) {
    line("backlog",
         absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", report.backlog_times[i], absl::UTCTimeZone()),
         absl::StrCat(row.backlog[i]));
  }
}

std::string Hours(double hours) {
  return hours >= 48 ? absl::StrFormat("%.3gd", hours / 24) : absl::StrFormat("%.3gh", hours);
}

}  // namespace

std::string ReportCsv(const Report& report) {
  std::string out = "row,metric,statistic,value\n";
  AppendRowCsv(&out, report, report.total);
  for (const ReportRow& row : report.rows) AppendRowCsv(&out, report, row);
  return out;
}

std::string ReportBacklogSvg(const Report& report) {
  constexpr int kW = 900, kH = 420, kPlotX = 60, kPlotY = 50, kPlotW = 640, kPlotH = 300;
  std::vector<const ReportRow*> lines = {&report.total};
  for (size_t i = 0; i < report.rows.size() && i < 9; ++i) lines.push_back(&report.rows[i]);
  int64_t top_count = 1;
  for (const ReportRow* r : lines) {
    for (int64_t b : r->backlog) top_count = std::max(top_count, b);
  }
  const double top = static_cast<double>(top_count) * 1.1;
  std::string svg = internal::SvgOpen(kW, kH);
  internal::AppendTitle(&svg, 16, 28, "Backlog over time (tickets not solved)");
  internal::AppendValueAxes(&svg, kPlotX, kPlotY, kPlotW, kPlotH, top,
                            [](double v) { return absl::StrFormat("%.0f", v); });
  const size_t n = report.backlog_times.size();
  auto x_of = [&](size_t i) {
    return kPlotX + (n <= 1 ? 0.0 : static_cast<double>(kPlotW) * i / (n - 1));
  };
  if (n > 0) {
    for (size_t i : {size_t{0}, n - 1}) {
      absl::StrAppendFormat(
          &svg, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
          x_of(i), kPlotY + kPlotH + 16,
          XmlText(absl::FormatTime("%Y-%m-%d %H:%M", report.backlog_times[i],
                                   absl::UTCTimeZone())));
    }
  }
  for (size_t l = 0; l < lines.size(); ++l) {
    const ReportRow& r = *lines[l];
    std::string points;
    for (size_t i = 0; i < r.backlog.size() && i < n; ++i) {
      absl::StrAppendFormat(&points, "%s%.1f,%.1f", i == 0 ? "" : " ", x_of(i),
                            kPlotY + kPlotH - kPlotH * static_cast<double>(r.backlog[i]) / top);
    }
    absl::StrAppendFormat(&svg,
                          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"%d\"><title>%s</title></polyline>\n",
                          points, internal::ChartColour(static_cast<int>(l)), l == 0 ? 3 : 1,
                          XmlText(r.key));
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"%d\" y=\"%d\">%s</text>\n",
                          kPlotX + kPlotW + 20, kPlotY + 18 * static_cast<int>(l),
                          internal::ChartColour(static_cast<int>(l)), kPlotX + kPlotW + 38,
                          kPlotY + 18 * static_cast<int>(l) + 10, XmlText(r.key));
  }
  internal::SvgClose(&svg);
  return svg;
}

absl::StatusOr<std::string> ReportDistributionSvg(const Report& report, ReportMetric metric) {
  const DurationFigures* f = nullptr;
  switch (metric) {
    case ReportMetric::kFirstReply: f = &report.total.first_reply; break;
    case ReportMetric::kResolution: f = &report.total.resolution; break;
    case ReportMetric::kRequesterWait: f = &report.total.requester_wait; break;
    case ReportMetric::kAgentWork: f = &report.total.agent_work; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "metric \"", ReportMetricName(metric),
          "\" has no distribution (first_reply, resolution, requester_wait, agent_work)"));
  }
  constexpr int kW = 760, kH = 400, kPlotX = 60, kPlotY = 50, kPlotW = 660, kPlotH = 280;
  constexpr int kBins = 20;
  const double span_h = std::max(absl::ToDoubleHours(f->p99), 1.0 / 60);
  std::vector<int64_t> bins(kBins, 0);
  for (absl::Duration d : f->values) {
    int b = static_cast<int>(absl::ToDoubleHours(d) / span_h * kBins);
    bins[std::clamp(b, 0, kBins - 1)] += 1;
  }
  const double top = static_cast<double>(std::max<int64_t>(
                         1, *std::max_element(bins.begin(), bins.end()))) *
                     1.1;
  std::string svg = internal::SvgOpen(kW, kH);
  internal::AppendTitle(
      &svg, 16, 28,
      absl::StrCat(ReportMetricName(metric), ": ", f->count, " tickets, p50 ",
                   Hours(absl::ToDoubleHours(f->p50)), ", p90 ",
                   Hours(absl::ToDoubleHours(f->p90)), ", p99 ",
                   Hours(absl::ToDoubleHours(f->p99)),
                   report.spec.business_time ? " (business time)" : ""));
  internal::AppendValueAxes(&svg, kPlotX, kPlotY, kPlotW, kPlotH, top,
                            [](double v) { return absl::StrFormat("%.0f", v); });
  const double bw = static_cast<double>(kPlotW) / kBins;
  for (int b = 0; b < kBins; ++b) {
    const double h = kPlotH * static_cast<double>(bins[b]) / top;
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"%s\"><title>%s-%s: %d</title></rect>\n",
                          kPlotX + b * bw + 1, kPlotY + kPlotH - h, bw - 2, h,
                          internal::ChartColour(0), XmlText(Hours(span_h * b / kBins)),
                          XmlText(Hours(span_h * (b + 1) / kBins)), bins[b]);
  }
  for (const auto& [name, d, colour] :
       {std::tuple<const char*, absl::Duration, int>{"p50", f->p50, 1},
        std::tuple<const char*, absl::Duration, int>{"p90", f->p90, 2}}) {
    const double x = kPlotX + kPlotW * std::min(1.0, absl::ToDoubleHours(d) / span_h);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                          "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s"
                          "</text>\n",
                          x, kPlotY, x, kPlotY + kPlotH, internal::ChartColour(colour), x + 3,
                          kPlotY + 12, internal::ChartColour(colour), name);
  }
  absl::StrAppendFormat(&svg,
                        "<text x=\"%d\" y=\"%d\" fill=\"#555\">0</text><text x=\"%d\" y=\"%d\" "
                        "text-anchor=\"end\" fill=\"#555\">%s</text>\n",
                        kPlotX, kPlotY + kPlotH + 16, kPlotX + kPlotW, kPlotY + kPlotH + 16,
                        XmlText(Hours(span_h)));
  internal::SvgClose(&svg);
  return svg;
}

std::string ReportSlaWeeklySvg(absl::Span<const Report> weeks) {
  std::map<v1::SlaMetric, int> metrics;
  for (const Report& w : weeks) {
    for (const SlaFigures& s : w.total.sla) metrics.emplace(s.metric, 0);
  }
  int k = 0;
  for (auto& [m, i] : metrics) i = k++;
  constexpr int kPlotX = 60, kPlotY = 50, kPlotH = 260;
  const int plot_w = std::max(300, static_cast<int>(weeks.size()) * 80);
  const int width = kPlotX + plot_w + 200;
  std::string svg = internal::SvgOpen(width, kPlotY + kPlotH + 60);
  internal::AppendTitle(&svg, 16, 28, "SLA achievement per week");
  internal::AppendValueAxes(&svg, kPlotX, kPlotY, plot_w, kPlotH, 1.0, [](double v) {
    return absl::StrFormat("%.0f%%", 100 * v);
  });
  const double slot = weeks.empty() ? plot_w : static_cast<double>(plot_w) / weeks.size();
  const double bar = metrics.empty() ? 0 : std::min(24.0, slot * 0.8 / metrics.size());
  for (size_t w = 0; w < weeks.size(); ++w) {
    const double x0 = kPlotX + slot * w + (slot - bar * metrics.size()) / 2;
    for (const SlaFigures& s : weeks[w].total.sla) {
      const int i = metrics[s.metric];
      const double h = kPlotH * s.achievement;
      absl::StrAppendFormat(&svg,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                            "fill=\"%s\"><title>%s: %.1f%% (%d met, %d breached)</title></rect>\n",
                            x0 + bar * i, kPlotY + kPlotH - h, bar, h, internal::ChartColour(i),
                            XmlText(SlaMetricName(s.metric)), 100 * s.achievement, s.met,
                            s.breached);
    }
    absl::StrAppendFormat(
        &svg, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
        kPlotX + slot * (w + 0.5), kPlotY + kPlotH + 16,
        XmlText(absl::FormatTime("%Y-%m-%d", weeks[w].spec.from, absl::UTCTimeZone())));
  }
  for (const auto& [m, i] : metrics) {
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"%d\" y=\"%d\">%s</text>\n",
                          kPlotX + plot_w + 20, kPlotY + 18 * i, internal::ChartColour(i),
                          kPlotX + plot_w + 38, kPlotY + 18 * i + 10,
                          XmlText(SlaMetricName(m)));
  }
  internal::SvgClose(&svg);
  return svg;
}

}  // namespace helpdesk
