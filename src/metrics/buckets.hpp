#pragma once

#include <array>

namespace mdg::metrics {

/// Default bounds for latencies in seconds: 1 us .. 10 s in 1-2.5-5 steps.
inline constexpr std::array<double, 22> latency_seconds_buckets{
    1e-6, 2.5e-6, 5e-6,  1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
    5e-3, 0.01,   0.025, 0.05, 0.1,    0.25, 0.5,  1.0,    2.5,  5.0,  10.0,
};

/// Default bounds for consumer callback durations in seconds: 1 ms .. 30 s.
inline constexpr std::array<double, 14> callback_duration_seconds_buckets{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
};

} // namespace mdg::metrics
