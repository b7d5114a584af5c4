#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "metrics/labels.hpp"
#include "metrics/metric_type.hpp"

namespace mdg::metrics::detail {

/// One histogram series as read at render time.
struct histogram_value {
    std::vector<double> bounds;         ///< finite upper bounds, strictly increasing
    std::vector<std::uint64_t> buckets; ///< cumulative counts, bounds.size() + 1 (last is +Inf)
    double sum = 0.0;
};

/// One series: a canonical (sorted) label set and its value.
struct series_value {
    labels lbls;
    std::variant<std::uint64_t, std::int64_t, double, histogram_value> value;
};

/// One family: HELP, TYPE and its series in the order they were added.
struct family_value {
    std::string help;
    metric_type type = metric_type::untyped;
    std::vector<series_value> series;
};

/// The whole output of one render before it is written as text: families by name (so they
/// come out sorted and once each) plus the count of samples collectors had rejected.
/// Built and used by one render call; not thread-safe.
struct exposition {
    std::map<std::string, family_value, std::less<>> families;
    std::uint64_t rejected = 0;
};

/// Sorts each family's series by labels; a label set seen twice keeps its first value and the
/// later ones are dropped and counted in `e.rejected`.
void sort_and_dedupe(exposition& e);

/// Writes `e` in the Prometheus text format 0.0.4, in order. Families without series are
/// left out, and so is the HELP line of a family whose help is empty.
[[nodiscard]] std::string write_text(const exposition& e);

} // namespace mdg::metrics::detail
