#include "net/backoff.hpp"

#include <algorithm>

namespace mdg::net {

backoff::backoff(options opts, std::uint64_t seed) : opts_(opts), rng_(seed) {}

std::chrono::milliseconds backoff::ceiling() const noexcept {
    // base * 2^attempt, saturating at the cap (and at 2^30 to keep the shift defined).
    const auto shift = std::min<std::uint32_t>(attempt_, 30);
    const auto base = static_cast<std::uint64_t>(std::max<std::int64_t>(opts_.base.count(), 1));
    const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(opts_.cap.count(), 1));
    const std::uint64_t grown = base << shift;
    return std::chrono::milliseconds{
        static_cast<std::int64_t>((grown >> shift) != base ? cap : std::min(grown, cap))};
}

std::chrono::milliseconds backoff::next() {
    const auto hi = static_cast<std::uint64_t>(ceiling().count());
    ++attempt_;
    // Full jitter: uniform in [0, hi]. Rejection sampling keeps it unbiased.
    const std::uint64_t range = hi + 1;
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t x = rng_();
    while (x >= limit) {
        x = rng_();
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(x % range)};
}

void backoff::on_up(std::chrono::steady_clock::time_point now) {
    up_since_ = now;
}

void backoff::on_down(std::chrono::steady_clock::time_point now) {
    if (up_since_ && now - *up_since_ >= opts_.stable_after) {
        attempt_ = 0;
    }
    up_since_.reset();
}

} // namespace mdg::net
