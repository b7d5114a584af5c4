#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/result.hpp"

namespace mdg::core {

/// How each log event is rendered when it goes to a stream.
enum class log_format : std::uint8_t {
    text, ///< `2026-11-29 06:00:00.123 [warning] msg` (UTC, milliseconds)
    json, ///< `{"ts":"2026-11-29T06:00:00.123Z","level":"warning","msg":"..."}`
};

/// Where log events go.
enum class log_target : std::uint8_t {
    standard_error, ///< stderr, one line per event (spelled "stderr" in config and CLI)
    journald,       ///< the systemd journal, structured fields; falls back to stderr if absent
};

/// Logging setup for the process. `level` stays first so `{level}` keeps working.
struct log_options {
    spdlog::level::level_enum level = spdlog::level::info;
    log_format format = log_format::text;
    log_target target = log_target::standard_error;
    std::string ident = "mdgate"; ///< journald SYSLOG_IDENTIFIER and the logger's name
};

/// Parses "text" or "json". Anything else is `errc::invalid_argument` (the CLI exits with 2).
[[nodiscard]] result<log_format> parse_log_format(std::string_view s) noexcept;
/// Parses "stderr" or "journald". Anything else is `errc::invalid_argument`.
[[nodiscard]] result<log_target> parse_log_target(std::string_view s) noexcept;
/// The config/CLI spelling: "text", "json".
[[nodiscard]] std::string_view to_string(log_format f) noexcept;
/// The config/CLI spelling: "stderr", "journald".
[[nodiscard]] std::string_view to_string(log_target t) noexcept;

/// Sets up the process-wide (spdlog default) logger. Call once from main before any thread
/// starts; calling it again replaces the logger (tests do). Thread-safe afterwards: the sink
/// serialises writes, one `write` per line.
void init_logging(const log_options& opts);

/// Lines written so far at `level` by any logger built here, over every format and target
/// (including the fallback warning), for `mdgate_log_messages_total{level}`. Thread-safe
/// (relaxed atomic loads); `off` and out-of-range levels read 0.
[[nodiscard]] std::uint64_t log_messages(spdlog::level::level_enum level) noexcept;

/// The level name used in every format: trace, debug, info, warning, error, critical.
[[nodiscard]] std::string_view level_name(spdlog::level::level_enum level) noexcept;

/// syslog priority of a level: critical 2, error 3, warning 4, info 6, debug and trace 7.
[[nodiscard]] int syslog_priority(spdlog::level::level_enum level) noexcept;

/// One event, as the formatters see it. `msg` is a view valid only during the call.
struct log_record {
    std::chrono::system_clock::time_point ts;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string_view msg;
};

/// `s` as the body of a JSON string (no quotes): `"` and `\` escaped, `\n` `\r` `\t` short,
/// other control characters as `\u00XX`, valid UTF-8 passed through and every byte that is
/// not part of valid UTF-8 replaced by `\ufffd`, so the output is always valid JSON. Pure.
[[nodiscard]] std::string json_escape(std::string_view s);

/// `s` made safe for one line of a line-oriented log: printable text (valid UTF-8, tabs,
/// backslashes) is kept byte for byte; line breaks and other control characters become
/// `\n`, `\r`, `\xNN`, and invalid UTF-8 bytes become U+FFFD. One event can then never
/// span two lines or forge a marker line (`[HANDLER_TIMEOUT] ...`) from network text. Pure.
[[nodiscard]] std::string printable_line(std::string_view s);

/// The text line for `r`, without the newline: `2026-11-29 06:00:00.123 [warning] msg`. Pure.
[[nodiscard]] std::string format_text(const log_record& r);

/// The JSON object for `r`, without the newline:
/// `{"ts":"2026-11-29T06:00:00.123Z","level":"warning","msg":"..."}`. Pure.
[[nodiscard]] std::string format_json(const log_record& r);

/// The journald fields for `r`, each `NAME=value`: MESSAGE (as `printable_line`, so
/// `journalctl | grep` sees one line per event), PRIORITY (`syslog_priority`),
/// SYSLOG_IDENTIFIER (`ident`) and MDGATE_LEVEL (`level_name`). Pure.
[[nodiscard]] std::vector<std::string> journald_fields(const log_record& r, std::string_view ident);

/// Signature of `sd_journal_sendv`: returns >= 0 on success, a negative errno on failure.
using journal_send_fn = int (*)(const struct iovec* iov, int n);

/// The sink `init_logging` installs, for tests and for callers building their own logger.
/// Writes lines in `opts.format` to `out` (not owned; must outlive the sink), or sends
/// `journald_fields` through `send` when `opts.target` is journald (nullptr: `sd_journal_sendv`
/// after checking that /run/systemd/journal/socket exists, since sd_journal_sendv itself drops
/// lines silently without it); the first failed send switches the sink to `out` for good and
/// writes one warning saying so. Counts every line in `log_messages`. Thread-safe (internal mutex).
[[nodiscard]] spdlog::sink_ptr make_log_sink(const log_options& opts, std::FILE* out,
                                             journal_send_fn send = nullptr);

/// Lets a repeated message through once per key per interval and counts what it held back,
/// so a flood of bad frames produces one line a minute, not one per frame.
/// Thread-safe (a mutex; only error paths call it, never the steady-state hot path).
class log_limiter {
  public:
    explicit log_limiter(std::chrono::steady_clock::duration interval = std::chrono::minutes{1})
        : interval_(interval) {}

    /// Returns true when a line for `key` may be written now; `suppressed` then receives the
    /// number of lines held back for that key since the last one written.
    [[nodiscard]] bool allow(std::string_view key, std::chrono::steady_clock::time_point now,
                             std::uint64_t& suppressed);

  private:
    struct entry {
        std::chrono::steady_clock::time_point last{};
        std::uint64_t suppressed = 0;
        bool seen = false;
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::chrono::steady_clock::duration interval_;
    std::mutex mu_;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries_;
};

/// The process-wide limiter used by MDG_LOG_LIMITED.
[[nodiscard]] log_limiter& default_log_limiter();

/// Logs at `level` at most once per minute per `key`, appending the suppressed count.
template <class... Args>
void log_limited(spdlog::level::level_enum level, std::string_view key,
                 fmt::format_string<Args...> fmt, Args&&... args) {
    std::uint64_t suppressed = 0;
    if (!default_log_limiter().allow(key, std::chrono::steady_clock::now(), suppressed)) {
        return;
    }
    auto text = fmt::format(fmt, std::forward<Args>(args)...);
    if (suppressed > 0) {
        spdlog::log(level, "{} ({} similar suppressed)", text, suppressed);
    } else {
        spdlog::log(level, "{}", text);
    }
}

} // namespace mdg::core
