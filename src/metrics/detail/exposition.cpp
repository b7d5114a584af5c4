#include "metrics/detail/exposition.hpp"

#include <algorithm>
#include <type_traits>

#include "metrics/detail/text_format.hpp"

namespace mdg::metrics::detail {

namespace {

// Writes `name{k="v",...,extra_key="extra_value"} ` (no braces when there are no labels).
void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                        const labels& l, std::string_view extra_key = {},
                        std::string_view extra_value = {}) {
    out += name;
    out += suffix;
    if (!l.empty() || !extra_key.empty()) {
        out += '{';
        bool first = true;
        auto pair = [&](std::string_view k, std::string_view v) {
            if (!first) {
                out += ',';
            }
            first = false;
            out += k;
            out += "=\"";
            append_label_value(out, v);
            out += '"';
        };
        for (const auto& [k, v] : l) {
            pair(k, v);
        }
        if (!extra_key.empty()) {
            pair(extra_key, extra_value);
        }
        out += '}';
    }
    out += ' ';
}

void append_histogram(std::string& out, std::string_view name, const labels& l,
                      const histogram_value& h) {
    std::string le;
    for (std::size_t i = 0; i < h.buckets.size(); ++i) {
        le.clear();
        if (i < h.bounds.size()) {
            append_double(le, h.bounds[i]);
        } else {
            le = "+Inf";
        }
        append_series_name(out, name, "_bucket", l, "le", le);
        append_uint(out, h.buckets[i]);
        out += '\n';
    }
    append_series_name(out, name, "_sum", l);
    append_double(out, h.sum);
    out += '\n';
    append_series_name(out, name, "_count", l);
    append_uint(out, h.buckets.empty() ? 0 : h.buckets.back());
    out += '\n';
}

} // namespace

void sort_and_dedupe(exposition& e) {
    for (auto& [name, family] : e.families) {
        auto& s = family.series;
        std::stable_sort(s.begin(), s.end(), [](const series_value& a, const series_value& b) {
            return a.lbls < b.lbls;
        });
        const auto last =
            std::unique(s.begin(), s.end(), [](const series_value& a, const series_value& b) {
                return a.lbls == b.lbls;
            });
        e.rejected += static_cast<std::uint64_t>(s.end() - last);
        s.erase(last, s.end());
    }
}

std::string write_text(const exposition& e) {
    std::string out;
    for (const auto& entry : e.families) {
        // Named references rather than a structured binding: clang 14 cannot capture those.
        const std::string& name = entry.first;
        const family_value& family = entry.second;
        if (family.series.empty()) {
            continue;
        }
        if (!family.help.empty()) {
            out += "# HELP ";
            out += name;
            out += ' ';
            append_help(out, family.help);
            out += '\n';
        }
        out += "# TYPE ";
        out += name;
        out += ' ';
        out += to_string(family.type);
        out += '\n';
        for (const auto& s : family.series) {
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, histogram_value>) {
                        append_histogram(out, name, s.lbls, v);
                    } else {
                        append_series_name(out, name, "", s.lbls);
                        if constexpr (std::is_same_v<T, std::uint64_t>) {
                            append_uint(out, v);
                        } else if constexpr (std::is_same_v<T, std::int64_t>) {
                            append_int(out, v);
                        } else {
                            append_double(out, v);
                        }
                        out += '\n';
                    }
                },
                s.value);
        }
    }
    return out;
}

} // namespace mdg::metrics::detail
