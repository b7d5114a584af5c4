#include "market/open_interest_history.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace mdg::market {

open_interest_history::open_interest_history(std::size_t depth,
                                             std::chrono::nanoseconds bucket_width)
    : slots_(depth), width_(bucket_width.count()) {
    MDG_CHECK(depth > 0, "open_interest_history depth must be positive");
    MDG_CHECK(width_ > 0, "open_interest_history bucket width must be positive");
}

std::int64_t open_interest_history::bucket_of(unix_nanos ts) const noexcept {
    // Floor division, so that buckets stay aligned for times before the epoch too.
    const std::int64_t q = ts.value / width_;
    return (ts.value % width_ < 0) ? q - 1 : q;
}

std::size_t open_interest_history::index(std::int64_t bucket) const noexcept {
    const auto n = static_cast<std::int64_t>(slots_.size());
    const std::int64_t r = bucket % n;
    return static_cast<std::size_t>(r < 0 ? r + n : r);
}

bool open_interest_history::in_window(std::int64_t bucket) const noexcept {
    return started_ && bucket <= newest_bucket_ &&
           bucket > newest_bucket_ - static_cast<std::int64_t>(slots_.size());
}

void open_interest_history::advance_to(std::int64_t bucket) noexcept {
    if (started_ && bucket <= newest_bucket_) {
        return;
    }
    // Each slot between the old newest and the new one now belongs to a bucket with no sample
    // yet; whatever it held is older than the window. A jump longer than the window empties
    // every slot once.
    const auto n = static_cast<std::int64_t>(slots_.size());
    const std::int64_t from = started_ ? std::max(newest_bucket_ + 1, bucket - n + 1) : bucket;
    for (std::int64_t b = from; b <= bucket; ++b) {
        slot& s = slots_[index(b)];
        if (s.used) {
            s.used = false;
            --size_;
        }
    }
    newest_bucket_ = bucket;
    started_ = true;
}

bool open_interest_history::record(unix_nanos ts, model::decimal value) noexcept {
    const std::int64_t b = bucket_of(ts);
    if (started_ && b < newest_bucket_) {
        return false;
    }
    advance_to(b);
    slot& s = slots_[index(b)];
    if (!s.used) {
        ++size_;
    }
    s = slot{b, value, true};
    return true;
}

bool open_interest_history::merge(unix_nanos ts, model::decimal value) noexcept {
    const std::int64_t b = bucket_of(ts);
    if (started_ && b <= newest_bucket_ - static_cast<std::int64_t>(slots_.size())) {
        return false;
    }
    advance_to(b);
    slot& s = slots_[index(b)];
    if (s.used) {
        return false;
    }
    s = slot{b, value, true};
    ++size_;
    return true;
}

std::optional<oi_sample> open_interest_history::newest() const noexcept {
    if (!started_) {
        return std::nullopt;
    }
    // record() and merge() fill the bucket they move the window to, so it is never empty.
    const slot& s = slots_[index(newest_bucket_)];
    MDG_ASSERT(s.used && s.bucket == newest_bucket_, "the newest bucket holds a sample");
    return oi_sample{unix_nanos{newest_bucket_ * width_}, s.value};
}

std::optional<model::decimal> open_interest_history::at(unix_nanos ts) const noexcept {
    const std::int64_t b = bucket_of(ts);
    if (!in_window(b)) {
        return std::nullopt;
    }
    const slot& s = slots_[index(b)];
    if (s.used && s.bucket == b) {
        return s.value;
    }
    return std::nullopt;
}

} // namespace mdg::market
