#include "market/liquidation_store.hpp"

#include <algorithm>
#include <limits>

#include "core/assert.hpp"
#include "market/detail/hash.hpp"

namespace mdg::market {

namespace {

std::uint64_t dedupe_key(const model::liquidation& l) noexcept {
    std::uint64_t h = detail::mix64(static_cast<std::uint64_t>(l.ts_exchange.value));
    h = detail::hash_combine(h, static_cast<std::uint64_t>(l.position_side));
    h = detail::hash_combine(h, static_cast<std::uint64_t>(l.px.raw));
    return detail::hash_combine(h, static_cast<std::uint64_t>(l.sz.raw));
}

// newest - max_age, saturating instead of overflowing for a huge max_age.
unix_nanos window_start(unix_nanos newest, std::chrono::nanoseconds max_age) noexcept {
    constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
    if (newest.value < lowest + max_age.count()) {
        return unix_nanos{lowest};
    }
    return unix_nanos{newest.value - max_age.count()};
}

} // namespace

liquidation_store::liquidation_store(std::size_t capacity, std::chrono::nanoseconds max_age)
    : ring_(capacity), keys_(2 * capacity), max_age_(max_age) {
    MDG_CHECK(max_age.count() >= 0, "liquidation max_age must not be negative");
}

bool liquidation_store::contains(const model::liquidation& l) const noexcept {
    return keys_.contains(dedupe_key(l));
}

void liquidation_store::evict_oldest() noexcept {
    keys_.erase(dedupe_key(ring_.front()));
    ring_.pop_front();
}

bool liquidation_store::push(const model::liquidation& l) noexcept {
    const std::uint64_t key = dedupe_key(l);
    if (keys_.contains(key)) {
        ++duplicates_;
        return false;
    }
    // The window ends at the newest time seen, including this event's.
    const unix_nanos newest = std::max(newest_ts_exchange_, l.ts_exchange);
    const unix_nanos cutoff = window_start(newest, max_age_);
    if (l.ts_exchange < cutoff) {
        ++expired_;
        return false;
    }
    if (ring_.full()) {
        evict_oldest();
    }
    keys_.insert(key);
    ring_.push_back(l);
    newest_ts_exchange_ = newest;
    last_ts_recv_ = l.ts_recv;
    ++accepted_;
    while (!ring_.empty() && ring_.front().ts_exchange < cutoff) {
        evict_oldest();
        ++aged_out_;
    }
    return true;
}

} // namespace mdg::market
