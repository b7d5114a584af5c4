#pragma once

// The deploy-validation report of `mdgate report`: scrapes go in (report_builder), a `report`
// comes out, with every figure measured, every rate given with its exact confidence interval,
// every claim against a target no stronger than the data (statistics.hpp), and an exit code to
// gate a rollout on. Rendering to Markdown and JSON is here too; the charts are in svg.hpp.
//
// No I/O: the caller scrapes (scrape.hpp) and writes the files. Times are injected.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "monitor/counter_track.hpp"
#include "monitor/journal_baseline.hpp"
#include "monitor/prom_text.hpp"
#include "monitor/scrape.hpp"
#include "monitor/statistics.hpp"

namespace mdg::monitor {

/// The event counters the report follows, each the increase of one gateway counter over the
/// window (summed over its label series, across restarts).
enum class event_metric : std::uint8_t {
    handler_timeouts,  ///< mdgate_handler_timeouts_total
    network_errors,    ///< mdgate_network_errors_total (every kind)
    callback_timeouts, ///< mdgate_callback_timeouts_total (every consumer)
    error_logs,        ///< mdgate_log_messages_total{level="error"|"critical"}
    queue_drops,       ///< mdgate_queue_dropped_total{reason="full"|"drop_oldest"}: lost data
    queue_conflated,   ///< mdgate_queue_dropped_total{reason="conflated"}: replaced, not lost
    book_gaps,         ///< mdgate_book_gaps_total
    book_resyncs,      ///< mdgate_book_resyncs_total
    reconnects,        ///< mdgate_reconnects_total (every connection)
    count_,
};
inline constexpr std::size_t event_metric_count = static_cast<std::size_t>(event_metric::count_);

/// Stable snake_case key of a metric (the JSON key).
[[nodiscard]] std::string_view to_string(event_metric m) noexcept;
/// The metric's name for people ("Handler timeouts").
[[nodiscard]] std::string_view title(event_metric m) noexcept;

/// Success criteria (the "Target" column). Rates are judged statistically (met only when the
/// one-sided upper confidence bound is below the target); counts are facts about the window.
struct report_targets {
    double handler_timeouts_per_hour = 1.0;  ///< rate < this
    double network_errors_per_hour = 2.0;    ///< rate < this
    std::uint64_t max_callback_timeouts = 0; ///< count in the window <= this
    std::uint64_t max_error_logs = 0;        ///< ERROR (and CRITICAL) log lines <= this
    std::uint64_t max_queue_drops = 0;       ///< items lost by full queues <= this
    double min_messages_per_minute = 1.0;    ///< every full minute of the window >= this
};

/// Rollback triggers (defaults from the old runbook). Each fires only on evidence: a rate
/// trigger when the one-sided lower confidence bound of the rate is above its threshold.
struct rollback_triggers {
    double handler_timeouts_per_hour = 10.0; ///< fires when proven above this
    /// Fires when the RSS peak exceeds it; also the memory success criterion. Empty: no limit.
    std::optional<double> rss_limit_bytes = 1024.0 * 1024.0 * 1024.0;
    /// Fires when restarts exceed this, or the gateway is unreachable at the end (a crash).
    std::uint32_t max_restarts = 0;
};

/// What to build a report for.
struct report_options {
    std::string target; ///< what was watched, e.g. "http://127.0.0.1:8080"
    std::string source; ///< how: "scrape every 5 s" or "Prometheus http://..."
    std::chrono::seconds planned_duration{1800};
    /// Check times, from the window start (a check beyond the actual window is "not reached").
    std::vector<std::chrono::seconds> checks;
    std::optional<baseline> base; ///< from read_baseline_toml
    report_targets targets;
    rollback_triggers triggers;
    double confidence = 0.95;
};

/// An event counter over the window, with its statistics.
struct event_figure {
    event_metric metric = event_metric::handler_timeouts;
    bool measured = false;             ///< the gateway exported the series
    std::uint64_t count = 0;           ///< events in the window (a lower bound across a restart)
    double hours = 0;                  ///< the exposure (the observed span)
    std::optional<rate_interval> rate; ///< two-sided exact interval; empty when hours is 0
    std::optional<std::uint64_t> baseline_count; ///< the baseline's count of the same event
    double baseline_hours = 0;
    std::optional<rate_interval> baseline_rate;
    std::optional<rate_change> vs_baseline; ///< exact conditional test against the baseline
};

/// One minute of throughput.
struct minute_figure {
    unix_nanos start; ///< the minute is [start, start + 60 s), minutes counted from the window
    double messages = 0;
};

/// The per-minute message series and its summary.
struct throughput_figures {
    bool measured = false;
    double total_messages = 0;
    std::vector<minute_figure> per_minute;  ///< full minutes only
    std::optional<double> min, median, max; ///< of per_minute; empty with no full minute
    double partial_messages = 0;            ///< after the last full minute
    double partial_seconds = 0;
    /// From the baseline's throughput lines (messages * 60 / interval).
    std::optional<double> baseline_min, baseline_median, baseline_max;
};

/// RSS over the window.
struct memory_figures {
    bool measured = false;
    double now_bytes = 0;
    double peak_bytes = 0;
    std::optional<double> growth_bytes_per_hour; ///< least-squares slope; >= 2 points
    std::vector<std::pair<unix_nanos, double>> series;
};

/// The figures at one check time.
struct check_figures {
    std::chrono::seconds offset{0}; ///< the planned check time, from the window start
    bool reached = false;
    unix_nanos at; ///< the scrape the figures come from (at or just after)
    std::array<std::optional<std::uint64_t>, event_metric_count> counts{}; ///< so far
    std::optional<rate_interval> handler_timeout_rate;
    std::optional<double> rss_bytes;
    std::optional<double> last_minute_messages; ///< messages in the 60 s before `at`
    std::uint32_t restarts = 0;
    std::optional<double> uptime_seconds; ///< at - process_start_time_seconds
    std::uint64_t scrape_failures = 0;    ///< so far
};

/// One success criterion and its outcome.
struct criterion {
    std::string key;    ///< stable JSON key
    std::string name;   ///< for people
    std::string target; ///< e.g. "< 1/h"
    std::string actual;
    verdict outcome = verdict::not_yet_demonstrable;
    std::optional<double> hours_needed; ///< for not_yet_demonstrable, when known
    std::string note;                   ///< why, in plain words
};

/// One rollback trigger and whether it fired.
struct trigger {
    std::string key;
    std::string name;
    std::string threshold;
    std::string observed;
    bool fired = false;
    std::string note;
};

/// Exit codes of `mdgate report` (CI/CD gating; docs/report.md). Each outcome has its own
/// code, so a pipeline never mistakes a typo in its arguments for a rollback.
enum class report_exit : int {
    all_met = 0,      ///< every success criterion met, no trigger
    not_met = 1,      ///< some criterion not met or not demonstrable
    usage = 2,        ///< bad command-line arguments (never a report's outcome)
    not_measured = 3, ///< could not measure (unreachable, series missing, output not written)
    rollback = 4,     ///< a rollback trigger fired
};

/// The finished report: plain data, rendered by render_markdown / render_json.
struct report {
    std::string target;
    std::string source;
    unix_nanos generated_at;
    unix_nanos window_start;
    unix_nanos window_end;
    std::chrono::seconds planned_duration{0};
    bool cut_short = false;
    std::string end_reason; ///< e.g. "the planned duration elapsed", "stopped by SIGINT"
    std::optional<unix_nanos> first_scrape; ///< first and last successful scrape: the span
    std::optional<unix_nanos> last_scrape;  ///< every count and rate covers
    double observed_hours = 0;
    std::uint64_t scrapes_ok = 0;
    std::uint64_t scrapes_failed = 0;
    std::string last_scrape_error;
    bool unreachable_at_end = false;
    std::optional<unix_nanos> unreachable_since;

    std::string version; ///< mdgate_build_info{version} (or /v1/status)
    std::optional<unix_nanos> gateway_started_at;
    std::uint32_t restarts = 0;
    std::optional<gateway_status> status; ///< the last /v1/status read, if any

    std::string baseline_source;
    std::optional<double> baseline_hours;

    bool measured = false;
    std::vector<std::string> measure_problems; ///< why not, or series that are missing

    std::array<event_figure, event_metric_count> events{};
    std::optional<double> rss_limit_bytes; ///< the limit of the memory criterion and trigger
    throughput_figures throughput;
    memory_figures memory;
    std::vector<check_figures> checks;
    std::vector<criterion> criteria;
    std::vector<trigger> triggers;
    double confidence = 0.95;

    report_exit exit = report_exit::not_measured;
    std::string verdict; ///< one plain sentence

    [[nodiscard]] const event_figure& event(event_metric m) const noexcept {
        return events[static_cast<std::size_t>(m)];
    }
    [[nodiscard]] double window_seconds() const noexcept;
};

/// Current figures, for progress lines while the window runs.
struct live_figures {
    double elapsed_seconds = 0;
    std::uint64_t scrapes_ok = 0;
    std::uint64_t scrapes_failed = 0;
    std::array<std::optional<std::uint64_t>, event_metric_count> counts{};
    std::optional<double> last_minute_messages;
    std::optional<double> rss_bytes;
    std::uint32_t restarts = 0;
};

/// Accumulates scrapes fed in time order and assembles the report. Keeps only what the report
/// needs (counter tracks, RSS and cumulative message points), not the scrapes.
/// Owned by the report loop; not thread-safe.
class report_builder {
  public:
    /// `window_start`: when watching began (check times count from it).
    report_builder(report_options opts, unix_nanos window_start);

    /// One successful scrape at `at`. Scrapes not later than the previous one are ignored.
    /// A label series first seen after the first scrape counts from 0 (it did not exist yet).
    void feed(unix_nanos at, std::span<const sample> samples);
    /// A scrape at `at` that failed (`error`: one line, kept for the report).
    void feed_failure(unix_nanos at, std::string_view error);
    /// The gateway's /v1/status, when it could be read (version and start time fallbacks).
    void set_status(const gateway_status& s);

    [[nodiscard]] live_figures live() const;

    /// The report for the window [window_start, end]. `cut_short`: stopped before the planned
    /// duration (`end_reason` says why). Can be called more than once.
    [[nodiscard]] report finish(unix_nanos end, bool cut_short, std::string end_reason,
                                unix_nanos generated_at) const;

  private:
    struct series_group {
        bool seen = false;
        std::map<std::string, counter_track> tracks; // by label set
    };
    void feed_group(series_group& g, std::span<const sample> samples, std::string_view name,
                    std::span<const label_view> any_of, std::string_view label_key, unix_nanos at);
    [[nodiscard]] static double increase(const series_group& g) noexcept;
    [[nodiscard]] std::uint32_t restarts() const noexcept;
    [[nodiscard]] std::optional<double> messages_before(unix_nanos t) const noexcept;
    void record_checks(unix_nanos at);

    report_options opts_;
    unix_nanos window_start_;
    std::array<series_group, event_metric_count> events_;
    series_group messages_;
    std::vector<std::pair<unix_nanos, double>> cumulative_messages_;
    std::vector<std::pair<unix_nanos, double>> rss_;
    std::optional<double> process_start_;
    std::optional<double> first_process_start_;
    std::uint32_t start_changes_ = 0;
    std::string version_;
    std::optional<gateway_status> status_;
    std::optional<unix_nanos> first_ok_;
    std::optional<unix_nanos> last_ok_;
    std::optional<unix_nanos> last_attempt_;
    std::optional<unix_nanos> failing_since_;
    std::uint64_t ok_ = 0;
    std::uint64_t failed_ = 0;
    std::string last_error_;
    std::vector<check_figures> checks_;
    std::size_t next_check_ = 0;
};

/// Markdown rendering options.
struct markdown_options {
    /// Paths of the charts as the Markdown should reference them (relative to the report);
    /// empty: no chart section.
    std::string throughput_svg;
    std::string memory_svg;
    /// Replaces "exit code N" after the verdict. `mdgate report` exits with that code; a caller
    /// whose own exit code means something else (`mdgate demo`) says so here instead, so the
    /// report does not contradict the process that wrote it.
    std::optional<std::string> exit_code_note;
};

/// The report as Markdown: header, verdict, executive table (Metric | Baseline | Target |
/// Actual | Verdict), checks, per-minute throughput, memory, success criteria, rollback
/// triggers, measurement notes and a short "how to read the statistics". Pure.
[[nodiscard]] std::string render_markdown(const report& r, const markdown_options& opts = {});

/// The same content as one JSON object (schema "mdgate.report/1", see docs/report.md). Times
/// are RFC 3339 UTC strings; non-finite numbers are null. Pure.
[[nodiscard]] std::string render_json(const report& r);

/// The per-minute throughput chart (bars) as a standalone SVG document. Pure.
[[nodiscard]] std::string render_throughput_svg(const report& r);
/// The RSS chart (line, with the limit when set) as a standalone SVG document. Pure.
[[nodiscard]] std::string render_memory_svg(const report& r);

/// `t` as RFC 3339 UTC with seconds, e.g. "2025-10-29T15:00:23Z".
[[nodiscard]] std::string format_utc(unix_nanos t);

/// Parses a byte size: a whole or decimal number with an optional unit B, KB, MB, GB, TB
/// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. "1GiB", "512MiB", "2e9".
/// Empty on anything else, on negatives and above 2^60. Pure.
[[nodiscard]] std::optional<double> parse_byte_size(std::string_view text);

/// Parses a point in time for --from / --to: "now", "now-30m" (units s, m, h, d), Unix
/// seconds ("1761750000"), or RFC 3339 UTC ("2025-10-29T15:00:00Z", fraction allowed).
/// Empty on anything else. Pure.
[[nodiscard]] std::optional<unix_nanos> parse_time_point(std::string_view text, unix_nanos now);

} // namespace mdg::monitor
