#pragma once

#include <chrono>
#include <thread>

namespace mdg::core {

/// Tells the CPU this is a busy-wait loop (x86 `pause`, ARM `yield`): cheaper for a sibling
/// hyper-thread and for the memory order machine than a bare loop.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield");
#endif
}

/// Busy-waits until `ready()` is true or `budget` has passed; returns ready()'s last value.
///
/// For a thread about to park on a futex or condition variable when more work is likely within
/// microseconds: parking and being woken costs two context switches and a wake-up latency that
/// a loaded machine stretches to milliseconds. The first iterations only `pause`; after that
/// the loop yields its core between checks, so that on a machine with fewer cores than busy
/// threads the spinner does not starve the producer it waits for. A zero budget checks once.
template <class Ready> bool spin_until(Ready&& ready, std::chrono::nanoseconds budget) noexcept {
    if (ready()) {
        return true;
    }
    if (budget.count() <= 0) {
        return false;
    }
    const auto until = std::chrono::steady_clock::now() + budget;
    for (unsigned n = 1;; ++n) {
        if (n < 64) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
        if (ready()) {
            return true;
        }
        if ((n & 15U) == 0 && std::chrono::steady_clock::now() >= until) {
            return false;
        }
    }
}

} // namespace mdg::core
