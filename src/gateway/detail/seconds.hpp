#pragma once

#include <chrono>

namespace mdg::gateway::detail {

/// A steady-clock duration in seconds, as the JSON documents and the histograms report it.
[[nodiscard]] inline double seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

} // namespace mdg::gateway::detail
