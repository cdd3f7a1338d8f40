// Internal: the SVG drawing the simulator's and the reports' charts share:
// text escaping, the document's frame, a panel's axes with value ticks, the
// palette. Self-contained SVG: no scripts, fonts or external references.
#ifndef HELPDESK_SRC_INTERNAL_SVG_CHART_H_
#define HELPDESK_SRC_INTERNAL_SVG_CHART_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace helpdesk::internal {

// `text` with &, <, > and " escaped for XML text and attributes.
std::string XmlText(absl::string_view text);

// The i-th colour of a ten-colour palette (cycling).
const char* ChartColour(int i);

// Starts a document of width x height with a white background; the caller
// appends "</svg>\n" (SvgClose).
std::string SvgOpen(int width, int height);
void SvgClose(std::string* svg);

// A panel's title at (x, y), bold.
void AppendTitle(std::string* svg, int x, int y, absl::string_view title);

// Axes of a plot area (left and bottom lines) with five horizontal grid
// lines labelled 0, top/4, ... top by `label`.
void AppendValueAxes(std::string* svg, int plot_x, int plot_y, int plot_w, int plot_h,
                     double top, const std::function<std::string(double)>& label);

}  // namespace helpdesk::internal

#endif  // HELPDESK_SRC_INTERNAL_SVG_CHART_H_
