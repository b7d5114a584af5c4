#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mdg::metrics::detail {

/// The fields of `/proc/<pid>/stat` that the process metrics use (see proc(5)).
struct proc_stat_fields {
    std::uint64_t utime_ticks = 0;     ///< field 14, user CPU in clock ticks
    std::uint64_t stime_ticks = 0;     ///< field 15, system CPU in clock ticks
    std::uint64_t starttime_ticks = 0; ///< field 22, start after boot in clock ticks
    std::uint64_t vsize_bytes = 0;     ///< field 23, virtual memory size in bytes
    std::uint64_t rss_pages = 0;       ///< field 24, resident set size in pages
};

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from its last ')'. Returns nullopt on any malformed or
/// missing field (including a negative rss).
[[nodiscard]] std::optional<proc_stat_fields> parse_proc_pid_stat(std::string_view text) noexcept;

/// The `btime` line of `/proc/stat`: boot time in seconds since the epoch, or nullopt.
[[nodiscard]] std::optional<std::uint64_t> parse_boot_time(std::string_view text) noexcept;

/// The soft limit of the "Max open files" line of `/proc/<pid>/limits`; "unlimited" is
/// UINT64_MAX. Returns nullopt if the line is missing or malformed.
[[nodiscard]] std::optional<std::uint64_t> parse_max_open_files(std::string_view text) noexcept;

} // namespace mdg::metrics::detail
