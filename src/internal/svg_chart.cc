// The SVG drawing shared by the simulator's and the reports' charts.
#include "internal/svg_chart.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace helpdesk::internal {

std::string XmlText(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

const char* ChartColour(int i) {
  static constexpr const char* kColours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                             "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                             "#9c755f", "#bab0ac"};
  return kColours[((i % 10) + 10) % 10];
}

std::string SvgOpen(int width, int height) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
}

void SvgClose(std::string* svg) { absl::StrAppend(svg, "</svg>\n"); }

void AppendTitle(std::string* svg, int x, int y, absl::string_view title) {
  absl::StrAppend(svg, "<text x=\"", x, "\" y=\"", y, "\" font-weight=\"bold\">",
                  XmlText(title), "</text>\n");
}

void AppendValueAxes(std::string* svg, int plot_x, int plot_y, int plot_w, int plot_h,
                     double top, const std::function<std::string(double)>& label) {
  absl::StrAppendFormat(svg,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                        "stroke=\"#333\"/>\n<line x1=\"%d\" y1=\"%d\" "
                        "x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                        plot_x, plot_y, plot_x, plot_y + plot_h, plot_x, plot_y + plot_h,
                        plot_x + plot_w, plot_y + plot_h);
  for (int tick = 0; tick <= 4; ++tick) {
    const double v = top * tick / 4;
    const double y = plot_y + plot_h - plot_h * tick / 4.0;
    absl::StrAppendFormat(svg,
                          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\" "
                          "font-size=\"10\">%s</text>\n",
                          plot_x + 1, y, plot_x + plot_w, y, plot_x - 4, y + 3,
                          XmlText(label(v)));
  }
}

}  // namespace helpdesk::internal
