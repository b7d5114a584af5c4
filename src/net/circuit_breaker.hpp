#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace mdg::net {

/// Guards a shared check (the REST connectivity probe): after `failures_to_open` failures in a
/// row it opens and refuses further checks for `cooldown`, then lets one trial through
/// (half-open); a success closes it. State changes are reported so that the caller logs once
/// per change instead of once per attempt.
///
/// Not thread-safe: owned by the component that runs the probe.
class circuit_breaker {
  public:
    using clock = std::chrono::steady_clock;
    enum class state : std::uint8_t { closed, open, half_open };

    struct options {
        std::uint32_t failures_to_open = 1;
        std::chrono::milliseconds cooldown{30'000};
    };

    explicit circuit_breaker(options opts) : opts_(opts) {}

    /// Whether a check may run now (moves open -> half_open when the cooldown is over).
    [[nodiscard]] bool allow(clock::time_point now);
    /// Records the outcome of a check; returns true when the state changed.
    bool on_success();
    bool on_failure(clock::time_point now);

    [[nodiscard]] state current() const noexcept { return state_; }

  private:
    options opts_;
    state state_ = state::closed;
    std::uint32_t failures_ = 0;
    clock::time_point open_until_{};
};

[[nodiscard]] std::string_view to_string(circuit_breaker::state s) noexcept;

} // namespace mdg::net
