#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>

namespace mdg::net {

/// The process-wide budget for new connections to one venue: at most `max_per_window`
/// attempts in any `window` (Bybit allows 500 per 5 minutes per IP; the default keeps a
/// margin), and a steady pace of `rate_per_second` after a `burst`, so that ten connections
/// dropping at once do not reconnect in the same instant.
///
/// Shared by every connection of a venue. Thread-safe (a mutex; called once per connection
/// attempt, never per message).
class connect_budget {
  public:
    using clock = std::chrono::steady_clock;

    struct options {
        std::size_t max_per_window = 400;
        std::chrono::seconds window{300};
        double rate_per_second = 4;
        double burst = 4;
    };

    explicit connect_budget(options opts) : opts_(opts), tokens_(opts.burst) {}

    /// Reserves the next attempt at or after `now`; returns the time it may start.
    [[nodiscard]] clock::time_point reserve(clock::time_point now);

    /// Attempts reserved within the window ending at `now`.
    [[nodiscard]] std::size_t in_window(clock::time_point now);

  private:
    options opts_;
    std::mutex mu_;
    double tokens_;
    clock::time_point refilled_{};
    bool started_ = false;
    std::deque<clock::time_point> reserved_; // start times within the window, ascending
};

} // namespace mdg::net
