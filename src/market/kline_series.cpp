#include "market/kline_series.hpp"

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

} // namespace mdg::market
