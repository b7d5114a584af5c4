#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/config.hpp"
#include "core/result.hpp"
#include "gateway/gateway.hpp"
#include "model/instrument.hpp"
#include "sim/market_model.hpp"

namespace mdg::app {

struct replay_args {
    std::string file;
    std::vector<std::string> more_files; ///< replayed after `file`, in order
    model::category cat = model::category::linear;
    std::string dump_books; ///< "" or "json"
};

/// `mdgate replay FILE`: drives a recorded capture through decoders, books and market state.
/// Returns the process exit code (2 when the file cannot be read).
int run_replay(const replay_args& args);

struct demo_args {
    std::string duration = "60s";
    std::string symbols = "BTCUSDT,ETHUSDT,SOLUSDT";
    std::string rate = "750";
    bool no_faults = false;
    std::string report = "mdgate-demo-report.md"; ///< "" = no report file
};

/// `mdgate demo`: the embedded default job: the simulator and a watching client in one
/// process, faults on the way, books checked against the simulator's truth at the end.
/// Exit code 1 when a book differs from the truth.
int run_demo(const demo_args& args);

struct chaos_args {
    std::string duration = "60s";
    std::uint64_t seed = 1;
    /// Names, or a count (SIM0000USDT...). With `rate`: about 10x the old service's production
    /// load in data messages (it had 15 symbols and 700 to 900 messages/s).
    std::string symbols = "100";
    std::string rate = "20000";
    std::string round = "15s"; ///< mean time between quiet points
    /// Longest wait at a quiet point for the books: above the connect budget's 5-minute window,
    /// since a run with many drops spends the budget and reconnects wait for it, as they must.
    std::string settle_timeout = "400s";
    std::size_t max_heap_growth_mib = 32;
    std::string faults = "all"; ///< or a comma-separated subset of the catalogue
};

/// `mdgate chaos`: gateway and simulator under a random schedule of every fault, with a slow
/// consumer; books, consumers' accounting, descriptors and heap checked at each quiet point.
/// Exit 1 on any violation, 2 on bad arguments.
int run_chaos(const chaos_args& args);

struct sim_args {
    std::string listen = "127.0.0.1:9000";
    std::string symbols = "BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,DOGEUSDT";
    std::uint64_t seed = 1;
    std::string rate = "750";
    std::string fault_script;
    std::string replay;
    std::string speed = "1";
    model::category cat = model::category::linear;
    std::string duration;
    std::string port_file; ///< write the bound port here (for scripts using port 0)
};

/// `mdgate sim`: the Bybit v5-compatible exchange simulator (docs/simulator.md).
int run_sim(const sim_args& args);

struct run_args {
    std::string config; ///< TOML file; empty = the defaults
    bool check_config = false;
    bool print = false;    ///< with check_config: print the effective configuration
    std::string port_file; ///< write the bound HTTP port here once listening
    cli::overrides overrides;
};

/// `mdgate run`: the gateway until SIGINT/SIGTERM. Exit 2 on a bad configuration.
int run_gateway(const run_args& args);

struct bench_args {
    std::size_t symbols = 10;
    unsigned depth = 50;
    std::string mix = "book"; ///< book | typical
    std::string duration = "5s";
    std::string warmup = "1s";
    std::size_t repetitions = 3;
    std::string json;                    ///< write the JSON report here
    double rate = 0;                     ///< > 0: fixed-rate mode at rate, 10x and 100x
    std::string soak;                    ///< a duration: soak mode
    double soak_bound_mb = 4;            ///< allowed RSS growth, MiB per hour
    std::size_t frames = 100'000;        ///< data frames per pass of the frame set
    std::size_t shards = 1;              ///< 2 cores: 1 shard + the I/O thread (see BENCHMARKS.md)
    std::size_t consumer_threads = 2;    ///< (d) needs 2: the slow consumer holds one
    std::size_t spin_us = 50;            ///< `[dispatch] spin_us` of the gateway under test
    std::string slow_sleep = "1ms";      ///< (d): sleep per slow callback
    std::string scenarios = "abcd";      ///< which of (a)..(d) to run (profiling one path)
    bool fanout = false;                 ///< fan-out mode: stream subscribers (at --rate or 75000)
    std::size_t subscribers = 100;       ///< --fanout: reading subscribers
    std::string slow_close_after = "2s"; ///< --fanout: `[api] slow_close_after` under test
    std::size_t readers = 0;             ///< > 0: (c) again with readers of the API cache
    double reader_rate = 0;              ///< --readers: reads/s in all (0: flat out)
};

/// `mdgate bench`: the end-to-end benchmark (docs/BENCHMARKS.md). Exit 2 on bad arguments or
/// a failed run, 1 when a soak's RSS slope is over its bound.
int run_bench(const bench_args& args);

struct report_args {
    std::string target = "http://127.0.0.1:8080";
    std::string duration = "30m";
    std::string checks; ///< empty: half, 2/3, 5/6 and all of the duration
    std::string baseline;
    std::string out = "report.md";
    std::string json;
    std::string svg_dir;
    std::string interval = "5s";
    std::string token;
    std::string rss_limit = "1GiB"; ///< "none": no memory criterion or trigger
    std::string prometheus;         ///< a Prometheus server: read [from, to] from it
    std::string prom_match;         ///< extra label matchers, e.g. job="mdgate"
    std::string from;
    std::string to;
    double target_handler_timeouts = 1.0; ///< per hour
    double target_network_errors = 2.0;   ///< per hour
    std::uint64_t max_callback_timeouts = 0;
    std::uint64_t max_error_logs = 0;
    std::uint64_t max_queue_drops = 0;
    double min_throughput = 1.0;            ///< messages per full minute
    double trigger_handler_timeouts = 10.0; ///< per hour
    std::uint32_t trigger_restarts = 0;
};

/// `mdgate report`: the deploy-validation report (docs/report.md). Returns 0 all criteria met,
/// 1 some not met or not demonstrable, 2 bad arguments, 3 could not measure, 4 a rollback
/// trigger fired.
int run_report(const report_args& args);

struct baseline_args {
    bool from_journal = false;
    std::string out; ///< empty or "-": stdout
    std::string source;
    int year = 0; ///< year of year-less journal lines when no record dates them; 0: unknown
};

/// `mdgate baseline --from-journal`: journalctl text on stdin to a baseline TOML. Exit 2 on
/// bad input (one line on stderr).
int run_baseline(const baseline_args& args);

/// The gateway's options from a validated configuration.
[[nodiscard]] gateway::gateway_options make_gateway_options(const cli::gateway_config& cfg);
/// Registers the consumers every gateway runs (the liquidation log), with the queue size and
/// callback budget of `[dispatch]`.
void add_builtin_consumers(gateway::gateway& gw, const cli::gateway_config& cfg);

/// "BTCUSDT,ETHUSDT" or a count ("100": SIM0000USDT...).
[[nodiscard]] result<std::vector<sim::symbol_config>> parse_symbols(std::string_view text,
                                                                    std::string& reason);

} // namespace mdg::app
