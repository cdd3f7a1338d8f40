// Simulation reports as a text table, CSV and SVG.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "helpdesk/sim.h"
#include "internal/svg_chart.h"

namespace helpdesk {
namespace {

struct Column {
  std::string title;
  const Estimate SimPolicyResult::*field;
  bool percent;
};

std::vector<Column> Columns(const SimReport& report) {
  return {
      {"wait mean s", &SimPolicyResult::wait_mean, false},
      {"wait p50 s", &SimPolicyResult::wait_p50, false},
      {"wait p90 s", &SimPolicyResult::wait_p90, false},
      {"wait p99 s", &SimPolicyResult::wait_p99, false},
      {"P(wait)", &SimPolicyResult::probability_of_waiting, true},
      {absl::StrCat("SL ", report.service_level_seconds, "s"),
       &SimPolicyResult::service_level, true},
      {"SLA breach", &SimPolicyResult::sla_breach_rate, true},
      {"abandoned", &SimPolicyResult::abandonment_rate, true},
      {"unanswered", &SimPolicyResult::unanswered_rate, true},
      {"utilisation", &SimPolicyResult::utilisation, true},
      {"Jain", &SimPolicyResult::fairness, false},
      {"handled CV", &SimPolicyResult::handled_cv, false},
  };
}

std::string Number(double v, bool percent) {
  if (std::isnan(v)) return "n/a";
  if (percent) return absl::StrFormat("%.1f%%", 100 * v);
  if (std::fabs(v) >= 100) return absl::StrFormat("%.0f", v);
  if (std::fabs(v) >= 10) return absl::StrFormat("%.1f", v);
  return absl::StrFormat("%.2f", v);
}

std::string Cell(const Estimate& e, bool percent) {
  if (std::isnan(e.mean)) return "n/a";
  if (std::isnan(e.ci95)) return Number(e.mean, percent);
  return absl::StrCat(Number(e.mean, percent), " ±", Number(e.ci95, percent));
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\n") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string CsvNumber(double v) {
  return std::isnan(v) ? "" : absl::StrFormat("%.9g", v);
}

std::string Xml(absl::string_view text) { return internal::XmlText(text); }

// Rows of cells as aligned text: the first column to the left, the others to
// the right.
std::string Aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      // "±" is two bytes and one column.
      size_t w = row[i].size();
      if (row[i].find("±") != std::string::npos) --w;
      width[i] = std::max(width[i], w);
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      size_t w = row[i].size();
      if (row[i].find("±") != std::string::npos) --w;
      const std::string pad(width[i] - w, ' ');
      absl::StrAppend(&out, i == 0 ? "" : "  ",
                      i == 0 ? row[i] + pad : pad + row[i]);
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// The segments of a policy: its ticket types, then VIP and non-VIP.
std::vector<const SimSegmentResult*> Segments(const SimPolicyResult& p) {
  std::vector<const SimSegmentResult*> out;
  for (const SimSegmentResult& g : p.by_ticket_type) out.push_back(&g);
  for (const SimSegmentResult& g : p.by_vip) out.push_back(&g);
  return out;
}

// "type:billing", "vip", "non-vip".
std::string SegmentLabel(const SimPolicyResult& p, size_t index) {
  const SimSegmentResult& g = *Segments(p)[index];
  return index < p.by_ticket_type.size() ? absl::StrCat("type:", g.name)
                                         : g.name;
}

// Whether some policy's agents declined offers or let them time out: only
// then do the table and chart show offers (with every offer accepted at once
// they add nothing, and the report stays as without offers).
bool ShowsOffers(const SimReport& report) {
  for (const SimPolicyResult& p : report.policies) {
    if (p.decline_rate.mean > 0 || p.timeout_rate.mean > 0) return true;
  }
  return false;
}

}  // namespace

std::string SimReportTable(const SimReport& report) {
  const std::vector<Column> columns = Columns(report);
  // Rows of cells: a header, then one row per policy.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"policy", "tickets/rep"};
  for (const Column& c : columns) header.push_back(c.title);
  rows.push_back(header);
  for (const SimPolicyResult& p : report.policies) {
    std::vector<std::string> row = {p.label, absl::StrFormat("%.0f", p.tickets)};
    for (const Column& c : columns) row.push_back(Cell(p.*(c.field), c.percent));
    rows.push_back(row);
  }
  std::string out = absl::StrCat(
      "scenario: ", report.scenario.empty() ? "(unnamed)" : report.scenario,
      "; ", report.replications,
      " replications; mean ±95% confidence half-width\n");
  absl::StrAppend(&out, Aligned(rows));

  // By ticket type, and VIP or not.
  std::vector<std::vector<std::string>> by = {
      {"policy", "kind", "tickets/rep", "wait mean s", "wait p90 s",
       absl::StrCat("SL ", report.service_level_seconds, "s")}};
  for (const SimPolicyResult& p : report.policies) {
    const std::vector<const SimSegmentResult*> segments = Segments(p);
    for (size_t i = 0; i < segments.size(); ++i) {
      const SimSegmentResult& g = *segments[i];
      by.push_back({p.label, SegmentLabel(p, i),
                    absl::StrFormat("%.0f", g.tickets),
                    Cell(g.wait_mean, false), Cell(g.wait_p90, false),
                    Cell(g.service_level, true)});
    }
  }
  if (by.size() > 1) {
    absl::StrAppend(&out, "\nby ticket type and VIP:\n", Aligned(by));
  }

  if (ShowsOffers(report)) {
    std::vector<std::vector<std::string>> offers = {
        {"policy", "offers/rep", "declined", "timed out"}};
    for (const SimPolicyResult& p : report.policies) {
      offers.push_back({p.label, Cell(p.offers, false),
                        Cell(p.decline_rate, true),
                        Cell(p.timeout_rate, true)});
      if (p.by_team.size() < 2) continue;
      for (const SimTeamOffers& team : p.by_team) {
        offers.push_back({absl::StrCat("  team ", team.name),
                          Cell(team.offers, false),
                          Cell(team.decline_rate, true),
                          Cell(team.timeout_rate, true)});
      }
    }
    absl::StrAppend(&out, "\noffers (declined and timed out as shares of "
                          "offers):\n", Aligned(offers));
  }
  return out;
}

std::string SimReportCsv(const SimReport& report) {
  std::string out = "policy,metric,mean,ci95,replications\n";
  const std::vector<std::pair<std::string, const Estimate SimPolicyResult::*>>
      metrics = {
          {"wait_mean_seconds", &SimPolicyResult::wait_mean},
          {"wait_p50_seconds", &SimPolicyResult::wait_p50},
          {"wait_p90_seconds", &SimPolicyResult::wait_p90},
          {"wait_p99_seconds", &SimPolicyResult::wait_p99},
          {"probability_of_waiting", &SimPolicyResult::probability_of_waiting},
          {"service_level", &SimPolicyResult::service_level},
          {"sla_breach_rate", &SimPolicyResult::sla_breach_rate},
          {"abandonment_rate", &SimPolicyResult::abandonment_rate},
          {"unanswered_rate", &SimPolicyResult::unanswered_rate},
          {"utilisation", &SimPolicyResult::utilisation},
          {"fairness_jain", &SimPolicyResult::fairness},
          {"handled_cv", &SimPolicyResult::handled_cv},
          {"offers_per_replication", &SimPolicyResult::offers},
          {"offer_decline_rate", &SimPolicyResult::decline_rate},
          {"offer_timeout_rate", &SimPolicyResult::timeout_rate},
      };
  for (const SimPolicyResult& p : report.policies) {
    const std::string label = CsvField(p.label);
    absl::StrAppend(&out, label, ",tickets_per_replication,",
                    CsvNumber(p.tickets), ",,", report.replications, "\n");
    for (const auto& [name, field] : metrics) {
      const Estimate& e = p.*field;
      absl::StrAppend(&out, label, ",", name, ",", CsvNumber(e.mean), ",",
                      CsvNumber(e.ci95), ",", report.replications, "\n");
    }
    for (const SimTeamOffers& team : p.by_team) {
      const std::pair<std::string, const Estimate*> figures[] = {
          {"offers_per_replication", &team.offers},
          {"offer_decline_rate", &team.decline_rate},
          {"offer_timeout_rate", &team.timeout_rate},
      };
      for (const auto& [name, e] : figures) {
        absl::StrAppend(&out, label, ",",
                        CsvField(absl::StrCat(name, ":team:", team.name)), ",",
                        CsvNumber(e->mean), ",", CsvNumber(e->ci95), ",",
                        report.replications, "\n");
      }
    }
    for (size_t a = 0; a < p.agent_names.size(); ++a) {
      const Estimate& e = p.agent_utilisation[a];
      absl::StrAppend(&out, label, ",",
                      CsvField(absl::StrCat("utilisation:", p.agent_names[a])),
                      ",", CsvNumber(e.mean), ",", CsvNumber(e.ci95), ",",
                      report.replications, "\n");
    }
    const std::vector<const SimSegmentResult*> segments = Segments(p);
    for (size_t i = 0; i < segments.size(); ++i) {
      const SimSegmentResult& g = *segments[i];
      const std::string suffix = SegmentLabel(p, i);
      const std::pair<std::string, Estimate> figures[] = {
          {"tickets_per_replication", {g.tickets, std::nan("")}},
          {"wait_mean_seconds", g.wait_mean},
          {"wait_p90_seconds", g.wait_p90},
          {"service_level", g.service_level},
      };
      for (const auto& [name, e] : figures) {
        absl::StrAppend(&out, label, ",",
                        CsvField(absl::StrCat(name, ":", suffix)), ",",
                        CsvNumber(e.mean), ",", CsvNumber(e.ci95), ",",
                        report.replications, "\n");
      }
    }
  }
  return out;
}

std::string SimReportSvg(const SimReport& report) {
  struct Panel {
    std::string title;
    const Estimate SimPolicyResult::*field;
    bool percent;
  };
  std::vector<Panel> panels = {
      {"Mean wait (s)", &SimPolicyResult::wait_mean, false},
      {"90th percentile wait (s)", &SimPolicyResult::wait_p90, false},
      {absl::StrCat("Service level (answered within ",
                    report.service_level_seconds, " s)"),
       &SimPolicyResult::service_level, true},
      {"SLA breach rate", &SimPolicyResult::sla_breach_rate, true},
      {"Abandonment rate", &SimPolicyResult::abandonment_rate, true},
      {"Agent utilisation", &SimPolicyResult::utilisation, true},
  };
  if (ShowsOffers(report)) {
    panels.push_back(
        {"Offers declined", &SimPolicyResult::decline_rate, true});
    panels.push_back(
        {"Offers timed out", &SimPolicyResult::timeout_rate, true});
  }
  constexpr int kPanelW = 360, kPanelH = 240, kCols = 3, kTop = 60;
  const int n = static_cast<int>(report.policies.size());
  const int rows = (static_cast<int>(panels.size()) + kCols - 1) / kCols;
  const int width = kCols * kPanelW;
  const int height = kTop + rows * kPanelH + 30 + 18 * n;
  std::string svg = internal::SvgOpen(width, height);
  absl::StrAppend(
      &svg, "<text x=\"16\" y=\"28\" font-size=\"18\" font-weight=\"bold\">",
      Xml(report.scenario.empty() ? "Routing simulation" : report.scenario),
      "</text>\n<text x=\"16\" y=\"46\" fill=\"#555\">", report.replications,
      " replications per policy; bars are means, whiskers 95% confidence "
      "intervals</text>\n");
  for (size_t k = 0; k < panels.size(); ++k) {
    const Panel& panel = panels[k];
    const int x0 = static_cast<int>(k % kCols) * kPanelW;
    const int y0 = kTop + static_cast<int>(k / kCols) * kPanelH;
    const int plot_x = x0 + 50, plot_y = y0 + 30, plot_w = kPanelW - 70,
              plot_h = kPanelH - 70;
    double top = 0;
    for (const SimPolicyResult& p : report.policies) {
      const Estimate& e = p.*(panel.field);
      if (!std::isnan(e.mean)) {
        top = std::max(top, e.mean + (std::isnan(e.ci95) ? 0 : e.ci95));
      }
    }
    if (panel.percent) top = std::max(top, 0.01);
    if (top <= 0) top = 1;
    top *= 1.1;
    internal::AppendTitle(&svg, x0 + 16, y0 + 18, panel.title);
    internal::AppendValueAxes(&svg, plot_x, plot_y, plot_w, plot_h, top, [&](double v) {
      return panel.percent ? absl::StrFormat("%.0f%%", 100 * v) : absl::StrFormat("%.3g", v);
    });
    if (n == 0) continue;
    const double slot = static_cast<double>(plot_w) / n;
    const double bar = std::min(40.0, slot * 0.7);
    for (int i = 0; i < n; ++i) {
      const Estimate& e = report.policies[i].*(panel.field);
      const double cx = plot_x + slot * (i + 0.5);
      if (std::isnan(e.mean)) {
        absl::StrAppendFormat(&svg,
                              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                              "fill=\"#999\">n/a</text>\n",
                              cx, plot_y + plot_h - 4);
        continue;
      }
      const double h = plot_h * std::max(0.0, e.mean) / top;
      absl::StrAppendFormat(
          &svg,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          "fill=\"%s\"><title>%s: %s</title></rect>\n",
          cx - bar / 2, plot_y + plot_h - h, bar, h, internal::ChartColour(i),
          Xml(report.policies[i].label), Xml(Cell(e, panel.percent)));
      if (!std::isnan(e.ci95) && e.ci95 > 0) {
        const double lo = plot_y + plot_h - plot_h * std::max(0.0, e.mean - e.ci95) / top;
        const double hi = plot_y + plot_h - plot_h * (e.mean + e.ci95) / top;
        absl::StrAppendFormat(
            &svg,
            "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
            "stroke=\"#222\" fill=\"none\"/>\n",
            cx, lo, hi, cx - 5, lo, cx + 5, cx - 5, hi, cx + 5);
      }
    }
  }
  // Legend.
  const int legend_y = kTop + rows * kPanelH + 10;
  for (int i = 0; i < n; ++i) {
    const SimPolicyResult& p = report.policies[i];
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"16\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
        "<text x=\"34\" y=\"%d\">%s (%s)</text>\n",
        legend_y + 18 * i, internal::ChartColour(i), legend_y + 18 * i + 10,
        Xml(p.label), Xml(p.policy_name));
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace helpdesk
