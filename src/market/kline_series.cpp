#include "market/kline_series.hpp"

#include <vector>

namespace mdg::market {

std::string_view to_string(kline_status s) noexcept {
    switch (s) {
    case kline_status::updated:
        return "updated";
    case kline_status::appended:
        return "appended";
    case kline_status::ignored_older:
        return "ignored_older";
    }
    return "unknown";
}

kline_series::kline_series(std::size_t capacity) : ring_(capacity) {}

kline_status kline_series::upsert(const model::kline& k) noexcept {
    kline_status status = kline_status::appended;
    if (!ring_.empty()) {
        const unix_nanos newest_start = ring_.back().start;
        if (k.start < newest_start) {
            ++ignored_;
            return kline_status::ignored_older;
        }
        if (k.start == newest_start) {
            status = kline_status::updated;
        }
    }
    if (status == kline_status::updated) {
        // The venue resends the open candle as it changes; the last version (and its confirm
        // flag) is the truth.
        ring_.back() = k;
        ++updated_;
    } else {
        if (ring_.full()) {
            ring_.pop_front();
        }
        ring_.push_back(k);
        ++appended_;
    }
    ts_exchange_ = k.ts_exchange;
    ts_recv_ = k.ts_recv;
    return status;
}

std::size_t kline_series::merge(std::span<const model::kline> history) {
    struct entry {
        model::kline k;
        bool from_history = false; // added or replaced by this merge
    };
    std::vector<entry> all;
    all.reserve(ring_.size() + history.size());
    std::size_t i = 0; // in the ring
    std::size_t j = 0; // in the history
    while (i < ring_.size() || j < history.size()) {
        if (j == history.size() || (i < ring_.size() && ring_[i].start < history[j].start)) {
            all.push_back({ring_[i++], false});
        } else if (i == ring_.size() || history[j].start < ring_[i].start) {
            all.push_back({history[j++], true});
        } else {
            // The same candle from both: the stream's, unless only the history saw it close.
            const bool replace = !ring_[i].confirm && history[j].confirm;
            all.push_back({replace ? history[j] : ring_[i], replace});
            ++i;
            ++j;
        }
    }
    // When more than the capacity, the oldest go.
    const std::size_t first = all.size() > ring_.capacity() ? all.size() - ring_.capacity() : 0;
    ring_.clear();
    std::size_t added = 0;
    for (std::size_t k = first; k < all.size(); ++k) {
        ring_.push_back(all[k].k);
        added += all[k].from_history ? 1U : 0U;
    }
    merged_ += added;
    return added;
}

} // namespace mdg::market
