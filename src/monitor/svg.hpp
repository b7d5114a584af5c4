#pragma once

// Hand-written SVG charts for the report: one series over time, as a line or as bars, with
// axes, "nice" ticks and an optional horizontal limit line. No dependencies; the output is a
// standalone, well-formed SVG 1.1 document.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdg::monitor {

/// One point: x in minutes from the window start, y in the chart's unit.
struct chart_point {
    double x = 0;
    double y = 0;
};

/// What to draw.
struct chart {
    std::string title;
    std::string x_label = "minutes since window start";
    std::string y_label;
    std::vector<chart_point> points; ///< in x order; non-finite points are skipped
    bool bars = false;               ///< bars of width `bar_width` starting at x, else a line
    double bar_width = 1;
    std::optional<double> limit; ///< a dashed horizontal line, e.g. the RSS limit
    std::string limit_label;
    /// Divides y for the tick labels (e.g. 1048576 with y_label "MiB"); never 0.
    double y_scale = 1;
};

/// Renders `c` (800 x 300 px). With no drawable point the chart shows "no data". Pure.
[[nodiscard]] std::string render_chart_svg(const chart& c);

/// `s` with &, <, >, " and ' escaped and control characters dropped, for XML text and
/// attribute values. Pure.
[[nodiscard]] std::string xml_escape(std::string_view s);

} // namespace mdg::monitor
