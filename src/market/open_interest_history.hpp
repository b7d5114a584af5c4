#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "model/decimal.hpp"

namespace mdg::market {

/// One bucket of open_interest_history: the open interest at the end of the bucket that starts
/// at `bucket_start`.
struct oi_sample {
    unix_nanos bucket_start;
    model::decimal value;
    friend bool operator==(const oi_sample&, const oi_sample&) = default;
};

/// Open-interest history of one instrument resampled into fixed buckets (default 5 minutes,
/// 288 deep = 24 h), so that 100 ms ticker updates cannot crowd out the venue's 5-minute REST
/// series (the old service's did). Live samples keep the last value per bucket; a REST series
/// merges in by bucket start without duplicates and never overrides a live value.
///
/// The window is the `depth` buckets ending at the newest bucket seen. Slots are indexed by
/// bucket number modulo depth, so every operation is O(1) except the skip over empty buckets
/// when time jumps, which is O(min(jump, depth)). Buckets with no sample (feed down) stay empty.
///
/// All memory is allocated by the constructor. Owned by ticker_state; not thread-safe.
class open_interest_history {
  public:
    static constexpr std::size_t default_depth = 288;
    static constexpr std::chrono::nanoseconds default_bucket_width = std::chrono::minutes{5};

    /// Preconditions: depth > 0, bucket_width > 0.
    explicit open_interest_history(std::size_t depth = default_depth,
                                   std::chrono::nanoseconds bucket_width = default_bucket_width);

    /// A live sample at time `ts`: its bucket takes `value` (the last one wins). Returns false,
    /// and changes nothing, when `ts` falls in a bucket older than the newest one.
    bool record(unix_nanos ts, model::decimal value) noexcept;
    /// A sample from another series (REST): fills its bucket only when it is empty. Returns
    /// false when the bucket already has a value or is older than the window.
    bool merge(unix_nanos ts, model::decimal value) noexcept;

    /// Number of non-empty buckets in the window.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t depth() const noexcept { return slots_.size(); }
    [[nodiscard]] std::chrono::nanoseconds bucket_width() const noexcept {
        return std::chrono::nanoseconds{width_};
    }
    /// The newest non-empty bucket, if any.
    [[nodiscard]] std::optional<oi_sample> newest() const noexcept;
    /// The value of the bucket containing `ts`, if that bucket is in the window and non-empty.
    [[nodiscard]] std::optional<model::decimal> at(unix_nanos ts) const noexcept;

    /// Calls f(const oi_sample&) for each non-empty bucket, oldest first.
    template <class F> void for_each(F&& f) const {
        if (!started_) {
            return;
        }
        const auto n = static_cast<std::int64_t>(slots_.size());
        for (std::int64_t b = newest_bucket_ - n + 1; b <= newest_bucket_; ++b) {
            const slot& s = slots_[index(b)];
            if (s.used && s.bucket == b) {
                f(oi_sample{unix_nanos{b * width_}, s.value});
            }
        }
    }

  private:
    struct slot {
        std::int64_t bucket = 0;
        model::decimal value;
        bool used = false;
    };

    [[nodiscard]] std::int64_t bucket_of(unix_nanos ts) const noexcept;
    [[nodiscard]] std::size_t index(std::int64_t bucket) const noexcept;
    [[nodiscard]] bool in_window(std::int64_t bucket) const noexcept;
    // Moves the window so that `bucket` is the newest, emptying the slots that fall out.
    void advance_to(std::int64_t bucket) noexcept;

    std::vector<slot> slots_;
    std::int64_t width_;
    std::int64_t newest_bucket_ = 0;
    std::size_t size_ = 0;
    bool started_ = false;
};

} // namespace mdg::market
