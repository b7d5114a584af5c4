#include "cli/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

namespace mdg::cli {

namespace {

// Largest accepted duration: 1000 hours. Far above every sane setting, far below overflow.
constexpr std::int64_t max_duration_ms = 1000LL * 3'600'000;

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty() || text.front() < '0' || text.front() > '9') {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{}) {
        return std::nullopt;
    }
    const std::string_view unit{ptr, static_cast<std::size_t>(text.data() + text.size() - ptr)};
    std::int64_t scale = 0;
    if (unit == "ms") {
        scale = 1;
    } else if (unit == "s") {
        scale = 1000;
    } else if (unit == "m") {
        scale = 60'000;
    } else if (unit == "h") {
        scale = 3'600'000;
    } else {
        return std::nullopt;
    }
    if (value > max_duration_ms / scale) {
        return std::nullopt;
    }
    return std::chrono::milliseconds{value * scale};
}

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    constexpr std::array<std::pair<std::int64_t, std::string_view>, 3> units{
        {{3'600'000, "h"}, {60'000, "m"}, {1000, "s"}}};
    for (const auto& [scale, name] : units) {
        if (ms % scale == 0) {
            return std::to_string(ms / scale) + std::string{name};
        }
    }
    return std::to_string(ms) + "ms";
}

} // namespace mdg::cli
