#pragma once

// A parser of the Prometheus text exposition format 0.0.4 (what `GET /metrics` returns) and the
// few queries the report needs on one scrape: find a sample, sum a metric, and a histogram
// quantile with PromQL's histogram_quantile semantics.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mdg::monitor {

/// One sample line of a scrape, owning its strings.
struct sample {
    std::string name;
    /// Label pairs (name, unescaped value), sorted by name; names are unique.
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;                         ///< may be +Inf, -Inf or NaN
    std::optional<std::int64_t> timestamp_ms; ///< the optional trailing timestamp

    /// The value of label `key`, or empty when the sample has no such label.
    [[nodiscard]] std::optional<std::string_view> label(std::string_view key) const noexcept;
};

/// One label constraint: the sample must carry label `name` with exactly `value`.
struct label_view {
    std::string_view name;
    std::string_view value;
};

/// A set of label constraints, all of which must hold (a subset match: the sample may carry
/// more labels). A non-owning view: build it in the call (`{{"kind", "handler_timeout"}}`) or
/// from a span that outlives the call.
class label_filter {
  public:
    label_filter() = default;
    // Implicit on purpose, so that a braced list or a span can be passed where a filter goes.
    label_filter(std::initializer_list<label_view> items) noexcept
        : items_(items.begin(), items.size()) {}
    label_filter(std::span<const label_view> items) noexcept : items_(items) {}
    label_filter(const std::vector<label_view>& items) noexcept : items_(items) {}

    /// Whether `s` carries every label of the filter with the same value.
    [[nodiscard]] bool matches(const sample& s) const noexcept;

  private:
    std::span<const label_view> items_; // outlives: the call the filter is passed to
};

/// Parses a whole scrape. Handles HELP, TYPE and comment lines, blank lines, CRLF line ends,
/// escaped label values (\\, \", \n), trailing commas in label sets, +Inf/-Inf/NaN values and
/// optional millisecond timestamps. Stops at the first malformed line: the result is then an
/// error (`errc::invalid_number` for a bad value or timestamp, `errc::invalid_argument` for
/// anything else) and `error` receives one line, "line N: reason". On success `error` is
/// cleared. Pure; thread-safe.
[[nodiscard]] result<std::vector<sample>> parse_prometheus_text(std::string_view text,
                                                                std::string& error);

/// The first sample named `name` that matches `filter`, or nullptr. The pointer points into
/// `samples` and is valid as long as that storage is.
[[nodiscard]] const sample* find_sample(std::span<const sample> samples, std::string_view name,
                                        label_filter filter = {}) noexcept;

/// The sum of the values of all samples named `name` that match `filter`; empty when no sample
/// matches (a missing metric is not a zero).
[[nodiscard]] std::optional<double> sum_samples(std::span<const sample> samples,
                                                std::string_view name,
                                                label_filter filter = {}) noexcept;

/// PromQL's histogram_quantile(q, sum by (le) (<name>_bucket{filter})) on one scrape: buckets
/// of every matching series are summed per `le`, made monotonic, and the quantile is
/// interpolated linearly inside its bucket (from 0 for the first bucket if its bound is > 0).
/// A quantile in the +Inf bucket gives the highest finite bound. Like Prometheus: q < 0 gives
/// -Inf, q > 1 gives +Inf, and NaN when there is no +Inf bucket, fewer than two buckets or no
/// observations. Bucket samples whose `le` does not parse are ignored.
[[nodiscard]] double histogram_quantile(double q, std::span<const sample> samples,
                                        std::string_view histogram_name, label_filter filter = {});

} // namespace mdg::monitor
