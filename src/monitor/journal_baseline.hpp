#pragma once

// The core of `mdgate baseline --from-journal`: count the old service's (and mdgate's) log
// markers in `journalctl -u UNIT` output, measure the span the lines cover, and keep the raw
// counts and hours in a TOML file, so that a later report can compare against the baseline
// with exact statistics (statistics.hpp) rather than against "20-30 per hour" from a grep.
//
// Line formats understood (docs/migration.md, log markers; core/log.hpp):
//   journal prefix (optional): `Nov 28 08:34:35 host ident[pid]: ` (journalctl's default
//     "short" format, no year, local time; fractional seconds allowed) or
//     `2025-11-28T08:34:35+0000 host ident[pid]: ` (short-iso)
//   old service record: `2025-11-28 08:34:35,123 - logger.name - ERROR - message`
//   mdgate record: `2026-11-29 06:00:00.123 [error] message` (log format text),
//     `{"ts":"2026-11-29T06:00:00.123Z","level":"error","msg":"..."}` (json), and the earlier
//     spdlog layouts `2026-11-29T06:00:00.123456Z error message`, `[2026-11-29 06:00:00.123]
//     [mdgate] [error] message`
// A journal line whose message is not a record (traceback stack lines, print() output, and
// every line of mdgate logging natively to journald, where the journal holds the bare message)
// is a "line without record": its markers count, but it has no level, so it is not in
// error_lines (use `journalctl -p err` for those). journalctl's `-- ... --` lines are meta
// lines; anything else is unparseable, counted and skipped, never fatal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace mdg::monitor {

/// One `WebSocket messages received: N in the last S seconds` line.
struct throughput_sample {
    unix_nanos at;                      ///< when the line was logged (see baseline::first_seen)
    std::uint64_t messages = 0;         ///< N
    std::uint32_t interval_seconds = 0; ///< S as printed: the configured interval, not the
                                        ///< time that really elapsed (§4.5)
    friend bool operator==(const throughput_sample&, const throughput_sample&) = default;
};

/// Event counts over an observed span of a service's log: the input of every baseline rate.
struct baseline {
    std::string source; ///< free text: the unit, host and journalctl query the counts come from
    /// The earliest and latest line timestamps, as civil time read as if it were UTC: journal
    /// prefixes are the journal's local time, mdgate's own ISO records are UTC. Empty when no
    /// line carried a timestamp.
    std::optional<unix_nanos> first_seen;
    std::optional<unix_nanos> last_seen;
    /// last_seen - first_seen in hours: the exposure of every count (0 with < 2 timestamps).
    /// Slightly shorter than the query window when the log is quiet at its ends.
    double hours = 0;

    /// `[HANDLER_TIMEOUT]` events. The old service wrote each one twice (the message and a
    /// `[HANDLER_TIMEOUT] Full traceback:` line); the second line is not another event.
    std::uint64_t handler_timeouts = 0;
    /// Lines containing `[HANDLER_TIMEOUT]`: what `grep -c HANDLER_TIMEOUT` reports.
    std::uint64_t handler_timeout_lines = 0;
    /// `Network connectivity validation failed` lines (one per failed probe).
    std::uint64_t network_validation_failures = 0;
    /// `Message callback timeout for` lines.
    std::uint64_t callback_timeouts = 0;
    /// Log records at ERROR level or above (each record is one line; the stack lines of a
    /// traceback are lines without record, and so is every line mdgate sends to journald
    /// natively, whose level the short journal format does not show).
    std::uint64_t error_lines = 0;
    /// error_lines without the `Full traceback:` follow-up records: distinct error events.
    std::uint64_t error_events = 0;
    /// Every throughput line, in log order.
    std::vector<throughput_sample> throughput;

    std::uint64_t lines_total = 0;          ///< non-blank lines read
    std::uint64_t lines_without_record = 0; ///< journal lines whose message is not a record
    std::uint64_t lines_meta = 0;           ///< journalctl's `-- ... --` lines
    std::uint64_t lines_unparseable = 0;    ///< neither a journal line nor a log record

    /// `count / hours`, or NaN when hours is 0.
    [[nodiscard]] double per_hour(std::uint64_t count) const noexcept;
};

/// How to read a journal.
struct journal_options {
    std::string source; ///< copied to baseline::source
    /// The year of the first year-less journal prefix when no line carries a dated log record
    /// to anchor it (1970 when empty). A dated record always wins. Later lines move to the next
    /// year when the month goes backwards (Dec -> Jan).
    std::optional<int> assumed_year;
};

/// Counts a journal line by line, so a 12-hour journal never has to be in memory at once.
/// Owned by one reader; not thread-safe.
class journal_scanner {
  public:
    explicit journal_scanner(journal_options opts);

    /// Reads one line (without its '\n'; a trailing '\r' is ignored). Never fails: a line it
    /// cannot read is counted in lines_unparseable.
    void feed_line(std::string_view line);

    /// The counts so far, with years resolved and the span computed. Can be called repeatedly.
    [[nodiscard]] baseline finish() const;

  private:
    // A timestamp before its year is known: journal prefixes carry none.
    struct stamp {
        int year = 0; ///< the year when known (has_year), else the year offset since the first line
        bool has_year = false;
        unsigned month = 0;
        unsigned day = 0;
        std::int64_t nanos_of_day = 0;
    };
    struct pending_sample {
        stamp at;
        std::uint64_t messages = 0;
        std::uint32_t interval_seconds = 0;
    };
    void note_time(const stamp& s);
    [[nodiscard]] unix_nanos resolve(const stamp& s, int base_year) const noexcept;

    journal_options opts_;
    baseline counts_; // time fields are filled in by finish()
    std::vector<pending_sample> samples_;
    int year_offset_ = 0;
    unsigned last_month_ = 0;
    std::optional<stamp> first_dated_; // min / max of stamps with a year
    std::optional<stamp> last_dated_;
    std::optional<stamp> first_undated_; // min / max of year-less stamps
    std::optional<stamp> last_undated_;
    std::optional<int> base_year_; // from the first line with both a journal prefix and a record
};

/// Scans a whole journal text (convenience over journal_scanner).
[[nodiscard]] baseline scan_journal(std::string_view text, const journal_options& opts);

/// Scans a journal file line by line. Fails only when the file cannot be opened or read:
/// `error` then receives one line naming the path.
[[nodiscard]] result<baseline> scan_journal_file(const std::string& path,
                                                 const journal_options& opts, std::string& error);

/// The baseline as a TOML document: source, first_seen, last_seen, hours, [counts] (raw
/// counts, so exact statistics can be recomputed), [rates_per_hour] (for people; omitted when
/// hours is 0), [lines] and one [[throughput]] table per sample.
[[nodiscard]] std::string write_baseline_toml(const baseline& b);

/// Reads what write_baseline_toml wrote (or a hand-written file of the same shape). Required:
/// source, hours (>= 0) and every [counts] key; rates, when present, must agree with counts /
/// hours; unknown keys are rejected so a typo cannot pass silently. On failure the result is
/// `errc::invalid_argument` and `error` holds one line naming the key (or the TOML syntax
/// error's line and column).
[[nodiscard]] result<baseline> read_baseline_toml(std::string_view text, std::string& error);

} // namespace mdg::monitor
