#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <span>
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

/// One structured field of an event (`event`, `conn`, `topic`, `attempts`...), logged beside
/// the human message so operators can filter on it. A view: the key and text must outlive the
/// log call (string literals, or values alive for the full expression). Keys are lower-case
/// `[a-z0-9_]` by convention; `ts`, `level` and `msg` are reserved and dropped. Integers are
/// rendered as numbers (JSON) or decimal text; bool is not a field type (say it with an event).
struct log_field {
    std::string_view key;
    std::string_view text; ///< the value when `!is_number`
    std::int64_t number = 0;
    bool is_number = false;

    constexpr log_field(std::string_view k, std::string_view v) noexcept : key(k), text(v) {}
    constexpr log_field(std::string_view k, const char* v) noexcept : key(k), text(v) {}
    log_field(std::string_view k, const std::string& v) noexcept : key(k), text(v) {}
    template <std::integral T>
    requires(!std::same_as<T, bool>) constexpr log_field(std::string_view k, T v) noexcept
        : key(k), number(static_cast<std::int64_t>(v)), is_number(true) {}
};

/// One event, as the formatters see it. `msg` and `fields` are views valid only during the call.
struct log_record {
    std::chrono::system_clock::time_point ts;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string_view msg;
    std::span<const log_field> fields{};
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

/// The text line for `r`, without the newline: `2026-11-29 06:00:00.123 [warning] msg`. The
/// fields are not rendered: the text line stays exactly the message, so greps for the runbook
/// markers (`[HANDLER_TIMEOUT]`, `Failed to reconnect conn_`) and line parsers keep working.
/// Pure.
[[nodiscard]] std::string format_text(const log_record& r);

/// The JSON object for `r`, without the newline:
/// `{"ts":"2026-11-29T06:00:00.123Z","level":"warning","msg":"...","event":"...","attempts":3}`:
/// each field a top-level key after ts/level/msg, in call order, strings escaped as
/// `json_escape`, integers as JSON numbers; reserved or repeated keys are dropped. Pure.
[[nodiscard]] std::string format_json(const log_record& r);

/// The journald name of a field key: `MDGATE_` and the key upper-cased, every character
/// outside [A-Z0-9_] as `_` (`conn` -> `MDGATE_CONN`). Pure.
[[nodiscard]] std::string journald_field_name(std::string_view key);

/// The journald fields for `r`, each `NAME=value`: MESSAGE (as `printable_line`, so
/// `journalctl | grep` sees one line per event), PRIORITY (`syslog_priority`),
/// SYSLOG_IDENTIFIER (`ident`) and MDGATE_LEVEL (`level_name`), then one per field
/// (`journald_field_name`=value, strings as `printable_line`, integers in decimal; reserved
/// or repeated names dropped). Pure.
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

namespace detail {
/// The fields of the event being logged on this thread: set by `log_event` around the logger
/// call (spdlog loggers built here are synchronous, so the sink runs on the same thread), read
/// by the sink. Empty outside a `log_event` call.
[[nodiscard]] std::span<const log_field> current_fields() noexcept;

/// Sets `current_fields` for its lifetime (restoring the previous value: nesting is safe).
class field_scope {
  public:
    explicit field_scope(std::span<const log_field> fields) noexcept;
    ~field_scope();
    field_scope(const field_scope&) = delete;
    field_scope& operator=(const field_scope&) = delete;

  private:
    std::span<const log_field> prev_;
};

/// The line `log_limited_event` writes once allowed: `text`, and when `suppressed` > 0
/// " ({n} similar suppressed)" and a `suppressed` field.
void log_limited_line(spdlog::level::level_enum level, std::initializer_list<log_field> fields,
                      std::string_view text, std::uint64_t suppressed);
} // namespace detail

/// Logs `fmt` at `level` through `logger` with structured `fields`. Costs one level check when
/// the level is disabled (nothing formatted or allocated); thread-safe like the logger.
///     core::log_event(spdlog::level::err, {{"event", "reconnect_failed"}, {"conn", id},
///                     {"attempts", n}}, "Failed to reconnect {} ...", id);
template <class... Args>
void log_event(spdlog::logger& logger, spdlog::level::level_enum level,
               std::initializer_list<log_field> fields, fmt::format_string<Args...> fmt,
               Args&&... args) {
    if (!logger.should_log(level)) {
        return;
    }
    const detail::field_scope scope{std::span<const log_field>{fields.begin(), fields.size()}};
    logger.log(level, fmt, std::forward<Args>(args)...);
}

/// `log_event` through the process-wide (spdlog default) logger.
template <class... Args>
void log_event(spdlog::level::level_enum level, std::initializer_list<log_field> fields,
               fmt::format_string<Args...> fmt, Args&&... args) {
    log_event(*spdlog::default_logger_raw(), level, fields, fmt, std::forward<Args>(args)...);
}

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

/// `log_limited` with structured fields (and a `suppressed` count field when lines were held
/// back). Nothing is counted or formatted when `level` is disabled.
template <class... Args>
void log_limited_event(spdlog::level::level_enum level, std::string_view key,
                       std::initializer_list<log_field> fields, fmt::format_string<Args...> fmt,
                       Args&&... args) {
    if (!spdlog::default_logger_raw()->should_log(level)) {
        return;
    }
    std::uint64_t suppressed = 0;
    if (!default_log_limiter().allow(key, std::chrono::steady_clock::now(), suppressed)) {
        return;
    }
    detail::log_limited_line(level, fields, fmt::format(fmt, std::forward<Args>(args)...),
                             suppressed);
}

} // namespace mdg::core
