#include "cli/log_values.hpp"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "cli/detail/text.hpp"

namespace mdg::cli {

namespace {

std::span<const std::string_view> names_of(log_setting s) {
    switch (s) {
    case log_setting::format:
        return log_format_names;
    case log_setting::target:
        return log_target_names;
    case log_setting::level:
        break;
    }
    return log_level_names;
}

} // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view s) noexcept {
    using spdlog::level::level_enum;
    constexpr std::array<level_enum, log_level_names.size()> levels{
        level_enum::trace, level_enum::debug, level_enum::info,     level_enum::warn,
        level_enum::warn,  level_enum::err,   level_enum::critical, level_enum::off};
    const auto it = std::find(log_level_names.begin(), log_level_names.end(), s);
    if (it == log_level_names.end()) {
        return std::nullopt;
    }
    return levels[static_cast<std::size_t>(it - log_level_names.begin())];
}

std::string log_values_list(log_setting s) {
    return fmt::format("{}", fmt::join(names_of(s), ", "));
}

std::string log_value_problem(log_setting s, std::string_view value) {
    const auto names = names_of(s);
    if (std::find(names.begin(), names.end(), value) != names.end()) {
        return {};
    }
    return fmt::format("must be one of {}, got {}", log_values_list(s), detail::quoted(value));
}

core::log_options to_log_options(const std::optional<std::string>& level,
                                 const std::optional<std::string>& format,
                                 const std::optional<std::string>& target, core::log_options base) {
    if (level) {
        if (auto l = parse_log_level(*level)) {
            base.level = *l;
        }
    }
    if (format) {
        if (auto f = core::parse_log_format(*format)) {
            base.format = *f;
        }
    }
    if (target) {
        if (auto t = core::parse_log_target(*target)) {
            base.target = *t;
        }
    }
    return base;
}

} // namespace mdg::cli
