#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace mdg::net {

/// Exponential backoff with full jitter for one connection's retry loop: the k-th wait is
/// uniform in [0, min(cap, base * 2^k)], so connections that fail together retry apart. The
/// count resets once a connection has stayed up for `stable_after`; it never gives up.
///
/// Owned by one connection's retry loop; not thread-safe.
class backoff {
  public:
    struct options {
        std::chrono::milliseconds base{1000};
        std::chrono::milliseconds cap{60'000};
        std::chrono::milliseconds stable_after{30'000};
    };

    explicit backoff(options opts, std::uint64_t seed = std::random_device{}());

    /// The wait before the next attempt; counts the attempt.
    [[nodiscard]] std::chrono::milliseconds next();
    /// The connection is up (live) at `now`.
    void on_up(std::chrono::steady_clock::time_point now);
    /// The connection went down at `now`: if it had been up for `stable_after`, the backoff
    /// starts again from `base`.
    void on_down(std::chrono::steady_clock::time_point now);

    /// Attempts since the last reset.
    [[nodiscard]] std::uint32_t attempt() const noexcept { return attempt_; }
    /// The upper bound of the next wait.
    [[nodiscard]] std::chrono::milliseconds ceiling() const noexcept;

  private:
    options opts_;
    std::mt19937_64 rng_;
    std::uint32_t attempt_ = 0;
    std::optional<std::chrono::steady_clock::time_point> up_since_;
};

} // namespace mdg::net
