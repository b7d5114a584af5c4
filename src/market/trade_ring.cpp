#include "market/trade_ring.hpp"

#include <algorithm>
#include <unordered_set>
#include <vector>

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

std::size_t trade_ring::merge(std::span<const model::trade> history) {
    struct entry {
        model::trade t;
        bool from_history = false;
        std::size_t order = 0; // history first, then the ring: the tie-break at equal times
    };
    std::vector<entry> all;
    all.reserve(history.size() + ring_.size());
    std::unordered_set<std::uint64_t> seen; // ids of the history taken so far
    for (const auto& t : history) {
        // A trade without an id cannot be told from the stream's copy: history needs ids.
        if (t.id.view().empty() || contains(t.id) ||
            !seen.insert(detail::hash_text(t.id.view())).second) {
            ++duplicates_;
            continue;
        }
        all.push_back({t, true, all.size()});
    }
    if (all.empty()) {
        return 0;
    }
    for (std::size_t i = 0; i < ring_.size(); ++i) {
        all.push_back({ring_[i], false, all.size()});
    }
    // Stable by construction (the order breaks ties), without std::stable_sort's buffer.
    std::sort(all.begin(), all.end(), [](const entry& a, const entry& b) {
        if (a.t.ts_exchange != b.t.ts_exchange) {
            return a.t.ts_exchange < b.t.ts_exchange;
        }
        return a.order < b.order;
    });
    const std::size_t keep = std::min(all.size(), ring_.capacity());
    ring_.clear();
    ids_.clear();
    std::size_t added = 0;
    for (std::size_t i = all.size() - keep; i < all.size(); ++i) {
        const auto& e = all[i];
        if (!e.t.id.view().empty()) {
            ids_.insert(detail::hash_text(e.t.id.view()));
        }
        ring_.push_back(e.t);
        last_ts_exchange_ = std::max(last_ts_exchange_, e.t.ts_exchange);
        added += e.from_history ? 1U : 0U;
    }
    accepted_ += added;
    return added;
}

} // namespace mdg::market
