#include "metrics/detail/proc_parse.hpp"

#include <charconv>
#include <limits>

namespace mdg::metrics::detail {

namespace {

// Splits off the next run of non-blank characters, or returns an empty view at the end.
std::string_view next_token(std::string_view& s) noexcept {
    const auto start = s.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        s = {};
        return {};
    }
    s.remove_prefix(start);
    const auto end = s.find_first_of(" \t\n");
    const auto token = s.substr(0, end);
    s.remove_prefix(token.size());
    return token;
}

std::optional<std::uint64_t> to_uint(std::string_view s) noexcept {
    std::uint64_t v = 0;
    const auto* const end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<proc_stat_fields> parse_proc_pid_stat(std::string_view text) noexcept {
    const auto close = text.rfind(')');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(close + 1);
    // rest starts at field 3 (state); we need fields 14, 15, 22, 23 and 24.
    proc_stat_fields f;
    for (int field = 3; field <= 24; ++field) {
        const auto token = next_token(rest);
        if (token.empty() || token.find('\n') != std::string_view::npos) {
            return std::nullopt;
        }
        std::uint64_t* target = nullptr;
        switch (field) {
        case 14:
            target = &f.utime_ticks;
            break;
        case 15:
            target = &f.stime_ticks;
            break;
        case 22:
            target = &f.starttime_ticks;
            break;
        case 23:
            target = &f.vsize_bytes;
            break;
        case 24:
            target = &f.rss_pages;
            break;
        default:
            continue;
        }
        const auto v = to_uint(token);
        if (!v) {
            return std::nullopt;
        }
        *target = *v;
    }
    return f;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view text) noexcept {
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (next_token(line) == "btime") {
            const auto value = to_uint(next_token(line));
            if (!value || !next_token(line).empty()) {
                return std::nullopt;
            }
            return value;
        }
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_max_open_files(std::string_view text) noexcept {
    constexpr std::string_view key = "Max open files";
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (line.starts_with(key)) {
            line.remove_prefix(key.size());
            const auto soft = next_token(line);
            if (soft == "unlimited") {
                return std::numeric_limits<std::uint64_t>::max();
            }
            return to_uint(soft);
        }
    }
    return std::nullopt;
}

} // namespace mdg::metrics::detail
