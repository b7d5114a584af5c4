#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mdg::net {

/// Decides which reconnect-failure lines one connection writes during an outage, so a long
/// outage costs a handful of lines instead of several per attempt. While the backoff still
/// grows, every failed attempt gets one line (the waits double, so these thin out by
/// themselves); once the backoff's wait is at its cap, the first capped failure gets a line and
/// after that one summary per `summary_every` ("still down for 3m12s, 17 attempts, last error
/// ..."); the attempts in between are quiet (the caller logs them at debug).
///
/// Pure bookkeeping driven by the caller's clock readings (tests pass their own). Owned by one
/// connection's retry loop; not thread-safe.
class outage_log {
  public:
    using clock = std::chrono::steady_clock;

    enum class verdict : std::uint8_t {
        line,    ///< write this attempt's failure line
        summary, ///< write a summary of the outage so far
        quiet,   ///< write nothing above debug
    };

    explicit outage_log(clock::duration summary_every = std::chrono::minutes{1})
        : summary_every_(summary_every) {}

    /// The connection was lost at `now` after being up: the outage starts (if not already).
    void on_down(clock::time_point now);
    /// A connect attempt failed at `now` with `error`; `capped`: the backoff's wait for the
    /// next attempt is at its cap. Starts the outage if `on_down` did not (a first connect
    /// failing at startup). Returns what to write.
    [[nodiscard]] verdict on_failure(clock::time_point now, bool capped, std::string_view error);
    /// The connection is up again: the outage is over and the counts start again.
    void on_up();

    /// True from `on_down` or a failure until `on_up`.
    [[nodiscard]] bool down() const noexcept { return since_.has_value(); }
    /// Failed attempts in this outage.
    [[nodiscard]] std::uint64_t attempts() const noexcept { return attempts_; }
    /// How long the connection has been down at `now` (zero when it is up).
    [[nodiscard]] clock::duration down_for(clock::time_point now) const noexcept;
    /// The error of the last failed attempt.
    [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

  private:
    clock::duration summary_every_;
    std::optional<clock::time_point> since_;
    std::optional<clock::time_point> last_summary_; // set once the waits are capped
    std::uint64_t attempts_ = 0;
    std::string last_error_;
};

/// A duration for a log line, to the second: "45s", "3m12s", "2h05m07s". Pure.
[[nodiscard]] std::string format_down_time(std::chrono::steady_clock::duration d);

} // namespace mdg::net
