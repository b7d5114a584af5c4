#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "metrics/labels.hpp"
#include "metrics/metric_type.hpp"

namespace mdg::metrics {

namespace detail {
struct exposition;
struct family_value;
} // namespace detail

/// What a collector (see `registry::add_collector`) writes its families into during one
/// render: `begin(name, help, type)` and then that family's samples.
///
/// Families meet by name: a family already in the output (registered with the registry or
/// begun by an earlier collector) with the same type is merged, its first HELP kept; one of
/// another type is rejected. A label set already present in the family keeps its first value.
/// Anything rejected (bad name, bad label, invalid UTF-8, a type clash, a sample before any
/// `begin`, a sample that does not fit the family's type, a negative counter) is dropped,
/// never thrown, and counted in `mdgate_metrics_rejected_samples_total`; the calls return
/// false. Rendering never fails because a collector wrote bad data.
///
/// Created by `registry::render` for one collector call and valid only during it; not
/// thread-safe.
class family_writer {
  public:
    /// Writes into `out`, which must outlive the writer. Used by `registry::render`.
    explicit family_writer(detail::exposition& out) noexcept : out_(&out) {}

    /// Starts (or re-opens) family `name`. Returns false if it is rejected, in which case the
    /// samples that follow are dropped until the next `begin`.
    bool begin(std::string_view name, std::string_view help, metric_type type);

    /// Adds a sample to a counter, gauge or untyped family.
    bool sample(const labels& l, double value);
    /// Adds an integer sample (printed exactly, without exponent).
    template <std::integral T> bool sample(const labels& l, T value) {
        if constexpr (std::is_signed_v<T>) {
            return sample_int(l, static_cast<std::int64_t>(value));
        } else {
            return sample_uint(l, static_cast<std::uint64_t>(value));
        }
    }

    /// Adds a histogram series to a histogram family: `upper_bounds` strictly increasing
    /// (a trailing +Inf is ignored), `bucket_counts` non-cumulative with one entry per bound
    /// plus one for +Inf, `sum` the sum of the observations. Rejected if the sizes disagree,
    /// the bounds are not increasing or `l` has an `le` label.
    bool histogram_sample(const labels& l, std::span<const double> upper_bounds,
                          std::span<const std::uint64_t> bucket_counts, double sum);

  private:
    bool sample_int(const labels& l, std::int64_t value);
    bool sample_uint(const labels& l, std::uint64_t value);
    bool reject() noexcept;

    detail::exposition* out_;                 // outlives: this writer (owned by render)
    detail::family_value* current_ = nullptr; // the family being written, or null
};

} // namespace mdg::metrics
