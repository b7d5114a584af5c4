#pragma once

#include <atomic>
#include <cstdint>

#include "metrics/detail/cache_line.hpp"

namespace mdg::metrics {

/// A monotonic 64-bit counter (Prometheus type `counter`).
/// Owned by the `registry` that created it; references stay valid for the registry's
/// lifetime. Thread-safe: `inc` is one relaxed atomic add, lock-free and allocation-free.
class alignas(detail::cache_line_size) counter {
  public:
    counter() = default;
    counter(const counter&) = delete;
    counter& operator=(const counter&) = delete;
    counter(counter&&) = delete;
    counter& operator=(counter&&) = delete;
    ~counter() = default;

    /// Adds `n` (wraps modulo 2^64, which at one billion per second takes 584 years).
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }

    /// The current total; concurrent increments may or may not be included.
    [[nodiscard]] std::uint64_t value() const noexcept {
        return value_.load(std::memory_order_relaxed);
    }

  private:
    std::atomic<std::uint64_t> value_{0};
};

} // namespace mdg::metrics
