#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "metrics/detail/cache_line.hpp"

namespace mdg::metrics {

/// A histogram with upper bounds fixed at creation (Prometheus type `histogram`). A value `v`
/// is counted in the first bucket whose bound is >= v (Prometheus `le`), or in the implicit
/// `+Inf` bucket; NaN goes to `+Inf` and makes the sum NaN, as in the Go client.
/// Buckets are stored non-cumulative and made cumulative at exposition; the total count is
/// the sum of the buckets, so the `+Inf` bucket always equals `_count`.
///
/// Owned by the `registry` that created it; references stay valid for the registry's
/// lifetime. Thread-safe: `observe` is a short search plus two relaxed atomic updates,
/// lock-free and allocation-free. A reader racing with writers may see the sum and the
/// buckets one observation apart.
class alignas(detail::cache_line_size) histogram {
  public:
    /// `upper_bounds` must be strictly increasing and free of NaN; a trailing `+Inf` is
    /// dropped (it is always implied). May be empty (only the `+Inf` bucket).
    /// Throws std::invalid_argument otherwise.
    explicit histogram(std::span<const double> upper_bounds);
    histogram(const histogram&) = delete;
    histogram& operator=(const histogram&) = delete;
    histogram(histogram&&) = delete;
    histogram& operator=(histogram&&) = delete;
    ~histogram() = default;

    /// Records one value (in the unit of the bounds).
    void observe(double v) noexcept;
    /// Records a duration given in nanoseconds as seconds, for bounds in seconds.
    void observe_ns(std::int64_t ns) noexcept { observe(static_cast<double>(ns) * 1e-9); }

    /// The finite upper bounds, strictly increasing.
    [[nodiscard]] std::span<const double> bounds() const noexcept { return bounds_; }
    /// Observations in bucket `i` alone (not cumulative); `i == bounds().size()` is the `+Inf`
    /// bucket; 0 when `i > bounds().size()`.
    [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept;
    /// Total observations.
    [[nodiscard]] std::uint64_t count() const noexcept;
    /// Sum of the observed values.
    [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::vector<std::atomic<std::uint64_t>> buckets_; // bounds_.size() + 1, never resized
    std::atomic<double> sum_{0.0};
};

} // namespace mdg::metrics
