#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "core/result.hpp"
#include "perf/measure.hpp"
#include "perf/readers.hpp"

namespace mdg::perf {

/// What one benchmark run pushes the same frames through (issue #7).
enum class scenario : std::uint8_t {
    floor,         ///< (a) read WebSocket frames and discard them
    decode,        ///< (b) read and decode
    pipeline,      ///< (c) the gateway: read, decode, shard queue, market state, one consumer
    slow_consumer, ///< (d) (c) plus a consumer that sleeps in every callback
};
[[nodiscard]] std::string_view to_string(scenario s) noexcept;
/// The table's short name: "a floor", "b decode", "c pipeline", "d slow consumer".
[[nodiscard]] std::string_view label(scenario s) noexcept;

struct scenario_options {
    std::string url;                 ///< ws://127.0.0.1:PORT/v5/public/linear, `?rate=N` paces
    std::vector<std::string> topics; ///< what to subscribe
    std::chrono::milliseconds warmup{1000};   ///< run, not measured
    std::chrono::milliseconds duration{5000}; ///< measured
    std::size_t shards = 2;
    std::size_t consumer_threads = 4;
    std::chrono::nanoseconds spin = std::chrono::microseconds{50}; ///< gateway_options::spin
    std::size_t book_levels = 25;               ///< levels per side copied for each consumer
    std::chrono::microseconds slow_sleep{1000}; ///< (d): sleep in every slow callback
    /// The source process, to report its CPU share (a saturated source means the figure is
    /// the source's, not ours). Empty: not reported.
    std::optional<pid_t> source_pid;
    /// Sample RSS this often during the measured window (soak); zero: only at the end.
    std::chrono::milliseconds rss_interval{0};
    /// (c, d): the data API on (HTTP on 127.0.0.1, any port), its cache a consumer of the pool.
    bool api = false;
    /// (c, d) with `api`: readers of the API cache during the measured window (`--readers`).
    reader_options readers;
};

/// Percentiles of one latency, in microseconds.
struct latency_figures {
    std::uint64_t count = 0;
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
};
[[nodiscard]] latency_figures figures_of(const latency_histogram& h);

/// The figures of one scenario run, over its measured window.
struct scenario_result {
    perf::scenario kind = scenario::floor;
    double seconds = 0;         ///< length of the measured window
    std::uint64_t messages = 0; ///< (a, b) data frames read; (c, d) frames applied to state
    double messages_per_s = 0;
    double cpu_seconds = 0;         ///< this process, all threads
    double cpu_per_million = 0;     ///< CPU seconds per million messages
    double cpu_percent = 0;         ///< of one core
    double source_cpu_percent = -1; ///< the flood source's, of one core (-1: unknown)
    std::uint64_t peak_rss = 0;     ///< VmHWM, reset at the scenario's start
    std::uint64_t rss_end = 0;
    latency_figures read_to_applied;     ///< (c, d): frame routed -> state applied (shard)
    latency_figures applied_to_callback; ///< (c, d): state applied -> the consumer's callback
    double callbacks_per_s = 0;          ///< (c, d): the measuring consumer's calls
    double slow_callbacks_per_s = 0;     ///< (d)
    std::uint64_t conflated = 0;         ///< (c, d): states the measuring consumer skipped
    std::uint64_t decode_errors = 0;
    std::uint64_t gaps = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t queue_drops = 0; ///< shard queue full (each one costs a resync)
    std::uint64_t books_live = 0;  ///< at the end
    std::uint64_t books_total = 0;
    std::vector<rss_sample> rss_samples; ///< with rss_interval
    reader_figures readers;              ///< with scenario_options::readers
};

/// Runs one scenario against a flood source at `opts.url`: connect, subscribe, warm up,
/// measure, stop. Blocks the calling thread for warmup + duration (plus connect and stop).
/// Must be called from a thread that is not running any io_context. Errors: the connection
/// failed or never delivered a frame (`reason`).
[[nodiscard]] result<scenario_result> run_scenario(scenario s, const scenario_options& opts,
                                                   std::string& reason);

/// The fan-out mode (`mdgate bench --fanout`): the gateway at a fixed ingest rate with the data
/// API on, and WebSocket subscribers of its stream in this process.
struct fanout_options {
    double rate = 75'000;                             ///< the source's pace, messages per second
    std::vector<std::string> channels;                ///< stream channels each subscriber takes
    std::chrono::milliseconds slow_close_after{2000}; ///< `[api] slow_close_after` under test
};

/// The figures of one fan-out run, over its measured window.
struct fanout_result {
    std::size_t subscribers = 0;              ///< reading subscribers
    bool stalled = false;                     ///< plus one that never reads
    scenario_result ingest;                   ///< the gateway's figures (messages = frames applied)
    latency_figures read_to_subscriber;       ///< ts_recv -> the subscriber's read, all subscribers
    double messages_per_subscriber_per_s = 0; ///< mean over the reading subscribers
    double min_per_subscriber_per_s = 0;
    double max_per_subscriber_per_s = 0;
    std::uint64_t conflated = 0;           ///< mdgate_stream_conflated_total in the window
    std::uint64_t conflated_snapshots = 0; ///< "conflated":true seen by the reading ones
    std::uint64_t stream_dropped = 0;      ///< mdgate_stream_dropped_total in the window
    std::uint64_t reading_closed = 0;      ///< reading subscribers closed (should be 0)
    double client_cpu_percent = 0;     ///< the subscribers' thread (included in ingest.cpu_percent)
    std::uint64_t too_slow_closes = 0; ///< mdgate_stream_closed_total{reason="too_slow"}
    double stalled_closed_after_s = -1; ///< since it subscribed (-1: not closed)
};

/// Runs one fan-out run: the gateway (as (c), HTTP on 127.0.0.1:0) against the source at
/// `opts.url` paced at `f.rate`, with `subscribers` reading subscribers (and a stalled one);
/// warm up, measure, and with a stalled one wait (up to slow_close_after + 10 s) for it to be
/// closed. Blocks the calling thread.
[[nodiscard]] result<fanout_result> run_fanout(const scenario_options& opts,
                                               const fanout_options& f, std::size_t subscribers,
                                               bool stalled, std::string& reason);

/// Everything `mdgate bench` measured: per scenario, one result per repetition.
struct bench_report {
    std::string machine;    ///< CPU model and core count (from /proc/cpuinfo)
    std::string parameters; ///< one line: symbols, depth, mix, duration, ...
    std::size_t frames_per_pass = 0;
    std::size_t bytes_per_pass = 0;
    std::vector<std::pair<scenario, std::vector<scenario_result>>> runs;
    /// Fixed-rate runs (c at a paced source): the target rate and the result.
    std::vector<std::pair<double, scenario_result>> rates;
    std::optional<scenario_result> soak;
    /// `--readers`: (c) with readers, one per repetition, each right after the (c) in `runs`.
    std::vector<scenario_result> with_readers;
    std::vector<fanout_result> fanout; ///< without subscribers, with N, with N + stalled
    fanout_options fanout_opts;
    double soak_slope_per_hour = 0;
    double soak_bound_per_hour = 0;
};

/// "Intel(R) Xeon(R) ... x 2" from /proc/cpuinfo; "unknown" when unreadable.
[[nodiscard]] std::string machine_description();

/// The human table (median and spread per figure, ratios to (a)), then rate and soak lines.
[[nodiscard]] std::string render_table(const bench_report& r);
/// The same as JSON (every repetition's figures and the summaries).
[[nodiscard]] std::string render_json(const bench_report& r);

} // namespace mdg::perf
