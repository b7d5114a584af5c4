#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mdg::exchange {

/// What a connection's two deadlines say about it (docs/feed.md, "What a stall is").
///
/// A **stall** is a connection that delivers nothing while it should: no frame of any kind
/// (data, ack or pong) within the deadline that fires first, either `receive_timeout` since
/// the last frame (the receive watchdog) or `pong_timeout` since a ping that is still
/// unanswered (the pong deadline, when nothing at all came after that ping). Whichever
/// detector sees it, it is one stall: one `[HANDLER_TIMEOUT]` line, one handler timeout.
///
/// A **missed pong** is a pong deadline passed while frames still arrive after the ping: the
/// connection delivers data but does not answer pings. Not a stall; a network error of kind
/// `pong_timeout`. Both end the connection (it reconnects). Pure: the caller passes the time.
class liveness {
  public:
    using clock = std::chrono::steady_clock;

    enum class verdict : std::uint8_t { ok, stall, missed_pong };
    /// Which deadline found the stall (a log field; counts do not depend on it).
    enum class detector : std::uint8_t { none, receive_watchdog, pong_deadline };

    struct finding {
        verdict what = verdict::ok;
        detector by = detector::none;
        clock::duration silent{}; ///< since the last frame (or since up, before any frame)
    };

    liveness(std::chrono::milliseconds pong_timeout,
             std::chrono::milliseconds receive_timeout) noexcept
        : pong_timeout_(pong_timeout), receive_timeout_(receive_timeout) {}

    /// A new connection is up at `now`: silence is counted from here, no ping outstanding.
    void on_up(clock::time_point now) noexcept {
        last_rx_ = now;
        ping_sent_.reset();
    }
    /// A frame of any kind arrived at `t`.
    void on_frame(clock::time_point t) noexcept { last_rx_ = t; }
    /// A ping went out at `t`; the deadline runs from the oldest unanswered one.
    void on_ping(clock::time_point t) noexcept {
        if (!ping_sent_) {
            ping_sent_ = t;
        }
    }
    /// The pong to our ping arrived.
    void on_pong() noexcept { ping_sent_.reset(); }

    /// The verdict at `now`: the receive watchdog first, then the pong deadline.
    [[nodiscard]] finding check(clock::time_point now) const noexcept;

    [[nodiscard]] clock::time_point last_rx() const noexcept { return last_rx_; }

  private:
    std::chrono::milliseconds pong_timeout_;
    std::chrono::milliseconds receive_timeout_;
    clock::time_point last_rx_{};
    std::optional<clock::time_point> ping_sent_;
};

[[nodiscard]] std::string_view to_string(liveness::detector d) noexcept;

} // namespace mdg::exchange
