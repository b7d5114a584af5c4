#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mdg {

/// Nanoseconds since the Unix epoch (UTC). Exchange and receive timestamps use this type.
struct unix_nanos {
    std::int64_t value = 0;

    [[nodiscard]] static constexpr unix_nanos from_millis(std::int64_t ms) noexcept {
        return {ms * 1'000'000};
    }
    [[nodiscard]] constexpr std::int64_t millis() const noexcept { return value / 1'000'000; }
    friend constexpr auto operator<=>(unix_nanos, unix_nanos) = default;
    friend constexpr std::chrono::nanoseconds operator-(unix_nanos a, unix_nanos b) noexcept {
        return std::chrono::nanoseconds{a.value - b.value};
    }
};

namespace core {

/// Source of time, injected everywhere so tests and replays control it.
/// Implementations must be thread-safe.
class clock {
  public:
    clock() = default;
    clock(const clock&) = delete;
    clock& operator=(const clock&) = delete;
    clock(clock&&) = delete;
    clock& operator=(clock&&) = delete;
    virtual ~clock() = default;

    /// Wall-clock time, for timestamps that are compared with the exchange's.
    [[nodiscard]] virtual unix_nanos now() const noexcept = 0;
    /// Monotonic time, for durations and deadlines.
    [[nodiscard]] virtual std::chrono::steady_clock::time_point steady_now() const noexcept = 0;
};

/// The real clocks of the machine.
class system_clock final : public clock {
  public:
    [[nodiscard]] unix_nanos now() const noexcept override;
    [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const noexcept override;
};

/// The process-wide system clock.
[[nodiscard]] const clock& default_clock() noexcept;

/// A clock that moves only when told to. Thread-safe for reads; advance from one thread.
class manual_clock final : public clock {
  public:
    explicit manual_clock(unix_nanos start = {}) noexcept : now_(start.value) {}
    [[nodiscard]] unix_nanos now() const noexcept override;
    [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const noexcept override;
    void set(unix_nanos t) noexcept;
    void advance(std::chrono::nanoseconds d) noexcept;

  private:
    std::atomic<std::int64_t> now_;
};

} // namespace core
} // namespace mdg
