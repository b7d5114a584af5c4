#include "net/connect_budget.hpp"

#include <algorithm>

namespace mdg::net {

connect_budget::clock::time_point connect_budget::reserve(clock::time_point now) {
    const std::lock_guard lock{mu_};
    // The slot cannot be earlier than the last one reserved (reservations are ordered).
    auto at = reserved_.empty() ? now : std::max(now, reserved_.back());
    // Pace: a token bucket refilled at rate_per_second, holding at most `burst` tokens.
    if (!started_) {
        started_ = true;
        refilled_ = at;
    }
    const std::chrono::duration<double> since = at - refilled_;
    tokens_ = std::min(opts_.burst, tokens_ + since.count() * opts_.rate_per_second);
    refilled_ = at;
    if (tokens_ < 1.0) {
        const auto wait = std::chrono::duration<double>((1.0 - tokens_) / opts_.rate_per_second);
        at += std::chrono::duration_cast<clock::duration>(wait);
        tokens_ = 1.0;
        refilled_ = at;
    }
    tokens_ -= 1.0;
    // Hard cap: max_per_window starts in any window.
    while (!reserved_.empty() && reserved_.front() + opts_.window <= at) {
        reserved_.pop_front();
    }
    if (reserved_.size() >= opts_.max_per_window) {
        at = std::max(at, reserved_.front() + opts_.window);
        while (!reserved_.empty() && reserved_.front() + opts_.window <= at) {
            reserved_.pop_front();
        }
    }
    reserved_.push_back(at);
    return at;
}

std::size_t connect_budget::in_window(clock::time_point now) {
    const std::lock_guard lock{mu_};
    return static_cast<std::size_t>(std::count_if(reserved_.begin(), reserved_.end(), [&](auto t) {
        return t <= now && t + opts_.window > now;
    }));
}

} // namespace mdg::net
