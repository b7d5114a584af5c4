#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace mdg::cli {

/// The values of `log.level` in the file and of `--log-level` on the command line (one list
/// for both), most verbose first. `warning` is a synonym of `warn`: it is the name every log
/// line prints.
inline constexpr std::array<std::string_view, 8> log_level_names{
    "trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
/// The values of `log.format` / `--log-format` (core::parse_log_format reads each).
inline constexpr std::array<std::string_view, 2> log_format_names{"text", "json"};
/// The values of `log.target` / `--log-target` (core::parse_log_target reads each).
inline constexpr std::array<std::string_view, 2> log_target_names{"stderr", "journald"};

/// One of `log_level_names` as spdlog's level; nullopt for anything else (case-sensitive, as
/// the file is). Pure.
[[nodiscard]] std::optional<spdlog::level::level_enum> parse_log_level(std::string_view s) noexcept;

/// The three settings of [log] that the command line can also give.
enum class log_setting : std::uint8_t { level, format, target };

/// The accepted values of `s`, e.g. "text, json".
[[nodiscard]] std::string log_values_list(log_setting s);

/// "" when `value` is valid for `s`; otherwise why not, without naming the key:
/// `must be one of trace, debug, ..., off, got 'verbose'` (the value quoted and escaped as in
/// every configuration error). The file's check and the command line's both use it. Pure.
[[nodiscard]] std::string log_value_problem(log_setting s, std::string_view value);

/// The logging options these (already valid) spellings give; unset ones keep `base`'s.
[[nodiscard]] core::log_options to_log_options(const std::optional<std::string>& level,
                                               const std::optional<std::string>& format,
                                               const std::optional<std::string>& target,
                                               core::log_options base = {});

} // namespace mdg::cli
