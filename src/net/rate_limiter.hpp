#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace mdg::net {

/// How urgent a REST request is. `bulk` requests (backfill, polling, symbol selection) may use
/// only a share of every window, so that an `urgent` one (the emergency refresh of a stale
/// book) always finds room at once.
enum class rest_priority : std::uint8_t { urgent, bulk };
[[nodiscard]] std::string_view to_string(rest_priority p) noexcept;

/// The venue's REST limits for one IP, as a set of sliding windows: at most `ip.max` requests
/// in any `ip.window` over every endpoint (Bybit: 600 per 5 s per IP; going over gets HTTP 403
/// and a ban of at least 10 minutes), and optionally at most `max` per `window` for one
/// endpoint (a path). A request is granted only when every window it belongs to has room; the
/// verdict otherwise says when to ask again. Bans (the venue said "too many") stop a path, or
/// everything, until a given time.
///
/// Never sleeps and never waits while holding its lock: callers wait on their own timer for
/// `retry_at` and ask again (unlike the old service's limiter, which slept under one global
/// lock and put every market endpoint in one bucket by a substring match). Thread-safe.
class rate_limiter {
  public:
    using clock = std::chrono::steady_clock;

    /// `max` requests in any `window`; max 0 means no limit.
    struct window_limit {
        std::uint32_t max = 0;
        std::chrono::milliseconds window{0};
    };

    struct options {
        /// Every request from this IP. The default keeps a sixth of Bybit's 600 per 5 s free
        /// for other processes on the same address.
        window_limit ip{500, std::chrono::seconds{5}};
        /// The share of every window bulk requests may use (0.1 to 1).
        double bulk_share = 0.8;
        /// Limits of single paths ("/v5/market/kline"), on top of `ip`.
        std::map<std::string, window_limit, std::less<>> endpoints;
    };

    /// Why a request was not granted.
    enum class reason : std::uint8_t { none, ip, endpoint, ip_banned, endpoint_banned };

    struct verdict {
        bool granted = false;
        clock::time_point retry_at{}; ///< when not granted: the earliest time it may be
        reason why = reason::none;
    };

    explicit rate_limiter(options opts);

    /// Grants one request on `endpoint` at `now` (it then counts in every window), or says when
    /// to ask again.
    [[nodiscard]] verdict try_acquire(std::string_view endpoint, rest_priority p,
                                      clock::time_point now);
    /// The venue refused this IP ("access too frequent"): nothing is granted before `until`.
    void ban_ip(clock::time_point until);
    /// The venue refused one path ("too many visits"): that path waits until `until`.
    void ban_endpoint(std::string_view endpoint, clock::time_point until);

    /// Requests granted within the IP window ending at `now`.
    [[nodiscard]] std::size_t in_window(clock::time_point now);
    [[nodiscard]] const options& opts() const noexcept { return opts_; }

  private:
    struct log {
        std::deque<clock::time_point> grants; // ascending, within the window
        clock::time_point banned_until{};
    };
    // The earliest time `l` has room for one more under `cap` (now when it has room already).
    static clock::time_point room_at(log& l, const window_limit& w, std::uint32_t cap,
                                     clock::time_point now);

    options opts_;
    std::mutex mu_;
    log ip_;
    std::map<std::string, log, std::less<>> endpoints_; // only paths with a limit or a ban
};

[[nodiscard]] std::string_view to_string(rate_limiter::reason r) noexcept;

} // namespace mdg::net
