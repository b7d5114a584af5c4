#include "market/trade_ring.hpp"

#include <algorithm>

#include "market/detail/hash.hpp"

namespace mdg::market {

trade_ring::trade_ring(std::size_t capacity) : ring_(capacity), ids_(2 * capacity) {}

bool trade_ring::contains(const model::trade_id& id) const noexcept {
    return !id.view().empty() && ids_.contains(detail::hash_text(id.view()));
}

bool trade_ring::push(const model::trade& t) noexcept {
    const bool has_id = !t.id.view().empty();
    const std::uint64_t key = has_id ? detail::hash_text(t.id.view()) : 0;
    if (has_id && ids_.contains(key)) {
        ++duplicates_;
        return false;
    }
    if (ring_.full()) {
        // Forget the evicted id first: the set then never holds more than capacity() ids.
        const model::trade& evicted = ring_.front();
        if (!evicted.id.view().empty()) {
            ids_.erase(detail::hash_text(evicted.id.view()));
        }
        ring_.pop_front();
    }
    if (has_id) {
        ids_.insert(key);
    }
    ring_.push_back(t);
    last_ts_exchange_ = std::max(last_ts_exchange_, t.ts_exchange);
    last_ts_recv_ = t.ts_recv;
    ++accepted_;
    stale_ = false;
    return true;
}

} // namespace mdg::market
