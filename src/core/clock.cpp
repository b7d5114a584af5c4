#include "core/clock.hpp"

namespace mdg::core {

unix_nanos system_clock::now() const noexcept {
    const auto d = std::chrono::system_clock::now().time_since_epoch();
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()};
}

std::chrono::steady_clock::time_point system_clock::steady_now() const noexcept {
    return std::chrono::steady_clock::now();
}

const clock& default_clock() noexcept {
    static const system_clock instance;
    return instance;
}

// Relaxed is enough: the manual clock carries no data other than its own value.
unix_nanos manual_clock::now() const noexcept {
    return {now_.load(std::memory_order_relaxed)};
}

std::chrono::steady_clock::time_point manual_clock::steady_now() const noexcept {
    return std::chrono::steady_clock::time_point{
        std::chrono::nanoseconds{now_.load(std::memory_order_relaxed)}};
}

void manual_clock::set(unix_nanos t) noexcept {
    now_.store(t.value, std::memory_order_relaxed);
}

void manual_clock::advance(std::chrono::nanoseconds d) noexcept {
    now_.fetch_add(d.count(), std::memory_order_relaxed);
}

} // namespace mdg::core
