#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <sys/types.h>

namespace mdg::perf {

/// CPU seconds used by this process so far, user + system, all threads (getrusage).
[[nodiscard]] double process_cpu_seconds() noexcept;
/// CPU seconds used by the calling thread so far (CLOCK_THREAD_CPUTIME_ID).
[[nodiscard]] double thread_cpu_seconds() noexcept;
/// CPU seconds used so far by another process of this user (/proc/<pid>/stat, user +
/// system); nullopt when it cannot be read.
[[nodiscard]] std::optional<double> other_process_cpu_seconds(pid_t pid);

/// Resident set size now (VmRSS) and its peak (VmHWM) from /proc/self/status, in bytes;
/// 0 when unavailable.
[[nodiscard]] std::uint64_t rss_bytes();
[[nodiscard]] std::uint64_t peak_rss_bytes();
/// Resets the peak (VmHWM) to the current RSS, by writing 5 to /proc/self/clear_refs
/// (Linux 4.0+). Returns false when the kernel refused.
bool reset_peak_rss();

/// A latency histogram with log-linear buckets over nanoseconds (16 sub-buckets per power of
/// two: every recorded value is reported within 6.25% above it), fixed size, no allocation.
///
/// Thread-safety: record() may be called from any number of threads at once (relaxed atomic
/// increments); the readers see a consistent total once the writers have stopped (joined, or
/// synchronised by the caller), and an approximate one while they run.
class latency_histogram {
  public:
    static constexpr std::size_t sub_bits = 4;
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) << sub_bits;

    latency_histogram() = default;
    latency_histogram(const latency_histogram&) = delete;
    latency_histogram& operator=(const latency_histogram&) = delete;
    latency_histogram(latency_histogram&&) = delete;
    latency_histogram& operator=(latency_histogram&&) = delete;
    ~latency_histogram() = default;

    /// Records one value; negative durations count as 0.
    void record(std::chrono::nanoseconds d) noexcept;
    /// Forgets everything (not atomic with respect to concurrent record()s).
    void reset() noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept;
    [[nodiscard]] std::chrono::nanoseconds max() const noexcept;
    /// The value at quantile `q` in [0, 1]: the upper end of the bucket holding the
    /// ceil(q * count)-th value (clamped to the maximum recorded). 0 when empty.
    [[nodiscard]] std::chrono::nanoseconds percentile(double q) const noexcept;

    /// The bucket of a value and the largest value of a bucket (exposed for tests).
    [[nodiscard]] static std::size_t bucket_of(std::uint64_t ns) noexcept;
    [[nodiscard]] static std::uint64_t bucket_upper(std::size_t bucket) noexcept;

  private:
    std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
    std::atomic<std::uint64_t> max_{0};
};

/// Median and spread of repeated measurements.
struct summary {
    double median = 0;
    double min = 0;
    double max = 0;
    /// (max - min) / median, 0 when the median is 0.
    [[nodiscard]] double spread() const noexcept { return median != 0 ? (max - min) / median : 0; }
};
/// Summarises `values` (the median of an even count is the mean of the middle two). An empty
/// span gives zeros.
[[nodiscard]] summary summarize(std::span<const double> values);

/// One memory sample of a soak run.
struct rss_sample {
    double seconds = 0; ///< since the start
    double bytes = 0;
};
/// Least-squares slope of RSS over time, in bytes per hour; 0 with fewer than two samples.
[[nodiscard]] double rss_slope_per_hour(std::span<const rss_sample> samples) noexcept;

} // namespace mdg::perf
