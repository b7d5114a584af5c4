#pragma once

#include <atomic>

#include "metrics/detail/cache_line.hpp"

namespace mdg::metrics {

/// A value that goes up and down (Prometheus type `gauge`), stored as a double.
/// Owned by the `registry` that created it; references stay valid for the registry's
/// lifetime. Thread-safe: every operation is a relaxed atomic (add/sub are a lock-free
/// compare-exchange loop) and never allocates.
class alignas(detail::cache_line_size) gauge {
  public:
    gauge() = default;
    gauge(const gauge&) = delete;
    gauge& operator=(const gauge&) = delete;
    gauge(gauge&&) = delete;
    gauge& operator=(gauge&&) = delete;
    ~gauge() = default;

    /// Replaces the value.
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    /// Adds `d` (may be negative).
    void add(double d = 1.0) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
    /// Subtracts `d`.
    void sub(double d = 1.0) noexcept { value_.fetch_sub(d, std::memory_order_relaxed); }

    /// The current value.
    [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
    static_assert(std::atomic<double>::is_always_lock_free, "gauge needs lock-free doubles");
};

} // namespace mdg::metrics
