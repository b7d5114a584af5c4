#include "monitor/svg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace mdg::monitor {

namespace {

constexpr double width = 800;
constexpr double height = 300;
constexpr double left = 70;
constexpr double right = 20;
constexpr double top = 30;
constexpr double bottom = 45;
constexpr int target_ticks = 5;

/// A step of 1, 2 or 5 times a power of ten giving about `target_ticks` ticks over `span`.
double nice_step(double span) {
    if (!(span > 0) || !std::isfinite(span)) {
        return 1;
    }
    const double raw = span / target_ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

std::string tick_text(double v) {
    if (std::abs(v) >= 1e6 && std::abs(v) < 1e15) {
        return fmt::format("{:g}M", v / 1e6);
    }
    if (std::abs(v) >= 1e4) {
        return fmt::format("{:g}k", v / 1e3);
    }
    return fmt::format("{:g}", v);
}

} // namespace

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') {
                out.push_back(c);
            }
        }
    }
    return out;
}

std::string render_chart_svg(const chart& c) {
    const double scale = c.y_scale > 0 && std::isfinite(c.y_scale) ? c.y_scale : 1.0;
    std::vector<chart_point> pts;
    for (const auto& p : c.points) {
        if (std::isfinite(p.x) && std::isfinite(p.y)) {
            pts.push_back({p.x, p.y / scale});
        }
    }
    std::string out = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" "
        "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
        "<title>{2}</title>\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
        "<text x=\"{3}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{2}</text>\n",
        width, height, xml_escape(c.title), left);
    const double pw = width - left - right;
    const double ph = height - top - bottom;
    if (pts.empty()) {
        out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n",
                           left + pw / 2, top + ph / 2);
        out += "</svg>\n";
        return out;
    }
    double x0 = pts.front().x;
    double x1 = pts.front().x + (c.bars ? c.bar_width : 0);
    double y0 = 0;
    double y1 = 0;
    for (const auto& p : pts) {
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x + (c.bars ? c.bar_width : 0));
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
    }
    // A plain pair rather than std::optional: GCC 12's -Wmaybe-uninitialized misfires on an
    // optional<double> built in a conditional expression (release builds).
    const bool has_limit = c.limit.has_value() && std::isfinite(*c.limit);
    const double limit = has_limit ? *c.limit / scale : 0.0;
    if (has_limit) {
        y1 = std::max(y1, limit);
        y0 = std::min(y0, limit);
    }
    if (x1 <= x0) {
        x1 = x0 + 1;
    }
    if (y1 <= y0) {
        y1 = y0 + 1;
    }
    const double ystep = nice_step(y1 - y0);
    y1 = std::ceil(y1 / ystep) * ystep;
    y0 = std::floor(y0 / ystep) * ystep;
    const double xstep = nice_step(x1 - x0);
    auto sx = [&](double x) {
        return left + (x - x0) / (x1 - x0) * pw;
    };
    auto sy = [&](double y) {
        return top + ph - (y - y0) / (y1 - y0) * ph;
    };

    // Axes, grid and tick labels.
    out += fmt::format("<g stroke=\"#ccc\" stroke-width=\"1\">\n");
    // Bounded tick counts: extreme values must not make the loops run away.
    const double ny_raw = std::round((y1 - y0) / ystep);
    const int ny = std::isfinite(ny_raw) && ny_raw <= 50 ? static_cast<int>(ny_raw) : 0;
    const double x_first = std::ceil(x0 / xstep) * xstep;
    const double nx_raw = std::floor((x1 - x_first) / xstep + 1e-9);
    const int nx =
        std::isfinite(nx_raw) && nx_raw >= 0 && nx_raw <= 50 ? static_cast<int>(nx_raw) : -1;
    for (int i = 0; i <= ny; ++i) {
        const double y = y0 + i * ystep;
        out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n",
                           left, sy(y), left + pw, sy(y));
    }
    out += "</g>\n<g text-anchor=\"end\">\n";
    for (int i = 0; i <= ny; ++i) {
        const double y = y0 + i * ystep;
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", left - 6, sy(y) + 4,
                           xml_escape(tick_text(y)));
    }
    out += "</g>\n<g text-anchor=\"middle\">\n";
    for (int i = 0; i <= nx; ++i) {
        const double x = x_first + i * xstep;
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", sx(x), top + ph + 16,
                           xml_escape(tick_text(x)));
    }
    out += "</g>\n";
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" "
                       "stroke=\"black\"/>\n",
                       left, top + ph, left + pw);
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                       "stroke=\"black\"/>\n",
                       left, top, top + ph);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       left + pw / 2, height - 8, xml_escape(c.x_label));
    out += fmt::format("<text x=\"14\" y=\"{0:.1f}\" text-anchor=\"middle\" "
                       "transform=\"rotate(-90 14 {0:.1f})\">{1}</text>\n",
                       top + ph / 2, xml_escape(c.y_label));

    // The data.
    if (c.bars) {
        out += "<g fill=\"#4a7fb5\">\n";
        for (const auto& p : pts) {
            const double xa = sx(p.x);
            const double xb = sx(p.x + c.bar_width);
            const double ya = sy(std::max(p.y, 0.0));
            const double yb = sy(std::min(p.y, 0.0));
            out += fmt::format(
                "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n", xa + 1,
                ya, std::max(xb - xa - 2, 1.0), std::max(yb - ya, 0.0));
        }
        out += "</g>\n";
    } else {
        out += "<polyline fill=\"none\" stroke=\"#4a7fb5\" stroke-width=\"2\" points=\"";
        for (std::size_t i = 0; i < pts.size(); ++i) {
            out += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "" : " ", sx(pts[i].x), sy(pts[i].y));
        }
        out += "\"/>\n";
    }
    if (has_limit) {
        out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" "
                           "stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>\n"
                           "<text x=\"{2:.1f}\" y=\"{3:.1f}\" text-anchor=\"end\" "
                           "fill=\"#c0392b\">{4}</text>\n",
                           left, sy(limit), left + pw, sy(limit) - 4, xml_escape(c.limit_label));
    }
    out += "</svg>\n";
    return out;
}

} // namespace mdg::monitor
