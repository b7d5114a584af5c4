#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mdg::cli {

/// Parses a configuration duration: a whole, non-negative number followed by a unit, one of
/// `ms`, `s`, `m`, `h` ("250ms", "20s", "5m", "1h", "0s"). Bare numbers, fractions, signs,
/// spaces and values above 1000 hours are rejected (nullopt). Pure; thread-safe.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// The shortest exact spelling of `d` that parse_duration reads back: "1h", "90s", "250ms",
/// "0s". Precondition: `d` is not negative.
[[nodiscard]] std::string format_duration(std::chrono::milliseconds d);

} // namespace mdg::cli
