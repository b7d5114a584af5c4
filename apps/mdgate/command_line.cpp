// mdgate's command line: every subcommand and its options (see command_line.hpp).
#include "apps/mdgate/command_line.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "apps/mdgate/version.hpp"
#include "cli/global_options.hpp"
#include "cli/input_checks.hpp"
#include "cli/listen.hpp"
#include "cli/log_values.hpp"

namespace mdg::app {

namespace {

std::vector<std::string> split_commas(std::string_view rest) {
    std::vector<std::string> list;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        list.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return list;
}

// CLI11 validators over the strict parsers of cli/input_checks.hpp, so that every subcommand
// refuses "nan", "inf", "-1", "10abc", an empty text or an unusable path while parsing, before
// any work (CLI11 prefixes the option's name). `word`: a spelling accepted besides ("max").
using check_fn = std::function<bool(const std::string&, std::string&)>;

CLI::Validator strict(std::string name, check_fn ok, std::string word = {}) {
    return CLI::Validator(
        [ok = std::move(ok), word = std::move(word)](std::string& text) {
            std::string error;
            return (!word.empty() && text == word) || ok(text, error) ? std::string{} : error;
        },
        "", std::move(name));
}

CLI::Validator number(double min, double max, std::string word = {}) {
    return strict(
        "number",
        [=](const std::string& t, std::string& e) {
            return cli::parse_number("", t, min, max, e).has_value();
        },
        std::move(word));
}

CLI::Validator count(std::uint64_t min, std::uint64_t max) {
    return strict("count", [=](const std::string& t, std::string& e) {
        return cli::parse_count("", t, min, max, e).has_value();
    });
}

CLI::Validator duration(std::chrono::milliseconds min, std::chrono::milliseconds max) {
    return strict("duration", [=](const std::string& t, std::string& e) {
        return cli::parse_duration_option("", t, min, max, e).has_value();
    });
}

const CLI::Validator input_file = strict("input file", [](const std::string& t, std::string& e) {
    return cli::check_input_file("", t, e);
});
const CLI::Validator output_file = strict("output file", [](const std::string& t, std::string& e) {
    return cli::check_output_file("", t, e);
});
const CLI::Validator output_file_or_none =
    strict("output file", [](const std::string& t, std::string& e) {
        return t.empty() || cli::check_output_file("", t, e);
    });
const CLI::Validator non_empty = strict("non-empty", [](const std::string& t, std::string& e) {
    e = "must not be empty";
    return !t.empty();
});
// ADDRESS:PORT with an IP address (or localhost): what a listening socket binds to.
const CLI::Validator listen_address =
    strict("listen address", [](const std::string& t, std::string& e) {
        const auto hp = cli::parse_listen(t, e);
        if (hp && !cli::is_bindable_host(hp->host)) {
            e = "'" + hp->host + "' is not an IP address (nor localhost); names are not resolved";
            return false;
        }
        return hp.has_value();
    });

constexpr std::uint64_t max_u32 = 0xffff'ffff;
constexpr double max_rate = 1e9; // far above what one process can send or measure

} // namespace

std::variant<command_line, int> parse_command_line(int argc, const char* const* argv,
                                                   std::ostream& out, std::ostream& err) {
    using namespace std::chrono_literals;
    command_line line;
    CLI::App app{"mdgate: a market-data gateway for crypto exchanges' public WebSocket feeds"};
    app.set_version_flag("--version", std::string("mdgate ") + version());
    app.require_subcommand(1);
    cli::global_options global;
    global.add_to(app, true);

    auto& run = line.run;
    std::string run_category;
    std::string run_symbols;
    std::string run_ws_url;
    std::string run_rest_url;
    std::string run_listen;
    auto* run_cmd = app.add_subcommand(
        "run", "Run the gateway: connect to the venue, keep books and market state, serve "
               "/metrics, /healthz, /readyz and /v1/status (docs/configuration.md)");
    run_cmd->add_flag("--check-config", run.check_config,
                      "validate the configuration and exit (0 valid, 2 invalid)");
    run_cmd->add_flag("--print", run.print, "with --check-config: print the effective TOML");
    auto* cat_opt = run_cmd->add_option("--category", run_category, "spot, linear or inverse")
                        ->check(CLI::IsMember({"spot", "linear", "inverse"}));
    auto* sym_opt =
        run_cmd->add_option("--symbols", run_symbols, "comma-separated symbols")->check(non_empty);
    std::size_t run_top = 0;
    std::string run_by;
    auto* top_opt = run_cmd
                        ->add_option("--top", run_top,
                                     "at start, follow the N symbols with the most 24 h --by "
                                     "in the venue's tickers ([select] top; 0 = venue.symbols)")
                        ->check(count(0, 500));
    auto* by_opt = run_cmd
                       ->add_option("--by", run_by,
                                    "what --top ranks by: turnover24h or volume24h ([select] by)")
                       ->check(CLI::IsMember({"turnover24h", "volume24h"}));
    run_cmd->callback([top_opt, sym_opt] {
        if (top_opt->count() > 0 && sym_opt->count() > 0) {
            throw CLI::ValidationError(
                "--top and --symbols are exclusive: --top chooses the symbols");
        }
    });
    auto* ws_opt =
        run_cmd->add_option("--ws-url", run_ws_url, "venue WebSocket URL")->check(non_empty);
    auto* rest_opt =
        run_cmd->add_option("--rest-url", run_rest_url, "venue REST base URL")->check(non_empty);
    auto* listen_opt =
        run_cmd->add_option("--listen", run_listen, "HTTP address:port (/metrics etc.)")
            ->check(listen_address);
    run_cmd
        ->add_option("--port-file", run.port_file,
                     "write the bound HTTP port to this file once listening")
        ->check(output_file);
    std::string run_record;
    auto* record_opt = run_cmd->add_option(
        "--record", run_record,
        "record every frame received and request sent into this directory (docs/recording.md)");

    auto& replay = line.replay;
    auto* replay_cmd = app.add_subcommand(
        "replay", "Replay a recorded capture (one raw frame per line) through decoders, books "
                  "and market state, then print a summary or the books");
    replay_cmd->add_option("file", replay.file, "capture file, e.g. *.frames.jsonl")
        ->required()
        ->check(non_empty);
    replay_cmd->add_option("more", replay.more_files,
                           "more captures, recordings (*.jsonl.zst) or recording directories, "
                           "replayed in order after FILE");
    std::string replay_category = "linear";
    replay_cmd->add_option("--category", replay_category, "spot, linear, inverse or option")
        ->check(CLI::IsMember({"spot", "linear", "inverse", "option"}))
        ->capture_default_str();
    replay_cmd
        ->add_option("--dump-books", replay.dump_books,
                     "print the final books instead of the summary (format: json)")
        ->check(CLI::IsMember({"json"}));

    auto& sim = line.sim;
    std::string sim_category = "linear";
    auto* sim_cmd = app.add_subcommand(
        "sim", "Run the Bybit v5-compatible exchange simulator (WebSocket + REST on one port)");
    sim_cmd->add_option("--listen", sim.listen, "ADDRESS:PORT to listen on")
        ->capture_default_str()
        ->check(listen_address);
    sim_cmd->add_option("--symbols", sim.symbols, "comma-separated symbols, or a count (100)")
        ->capture_default_str()
        ->check(non_empty);
    sim_cmd->add_option("--seed", sim.seed, "seed of the simulated market")
        ->capture_default_str()
        ->check(count(0, UINT64_MAX));
    sim_cmd->add_option("--rate", sim.rate, "market events per second per category, or max")
        ->capture_default_str()
        ->check(number(0.001, max_rate, "max"));
    sim_cmd->add_option("--fault-script", sim.fault_script, "timed faults, one JSON per line")
        ->check(input_file);
    sim_cmd->add_option("--replay", sim.replay, "serve this capture instead of a market")
        ->check(input_file);
    sim_cmd->add_option("--speed", sim.speed, "replay speed: 1, N or max")
        ->capture_default_str()
        ->check(number(0.001, 1e6, "max"));
    sim_cmd->add_option("--category", sim_category, "category of the replayed capture")
        ->check(CLI::IsMember({"spot", "linear", "inverse"}))
        ->capture_default_str();
    sim_cmd->add_option("--duration", sim.duration, "stop after this long (60s, 5m)")
        ->check(duration(1ms, 1000h));
    sim_cmd
        ->add_option("--port-file", sim.port_file,
                     "write the bound port to this file once listening (with port 0)")
        ->check(output_file);

    auto& demo = line.demo;
    auto* demo_cmd = app.add_subcommand(
        "demo", "Run the simulator and a watching client together, inject faults, check books");
    demo_cmd->add_option("--duration", demo.duration, "how long (e.g. 60s)")
        ->capture_default_str()
        ->check(duration(5s, 1000h));
    demo_cmd->add_option("--symbols", demo.symbols, "comma-separated symbols, or a count")
        ->capture_default_str()
        ->check(non_empty);
    demo_cmd->add_option("--rate", demo.rate, "market events per second")
        ->capture_default_str()
        ->check(number(0.001, max_rate));
    demo_cmd->add_flag("--no-faults", demo.no_faults, "inject no faults");
    demo_cmd
        ->add_option("--report", demo.report,
                     "write the deploy-validation report of the run here (\"\" = none)")
        ->capture_default_str()
        ->check(output_file_or_none);

    auto& chaos = line.chaos;
    auto* chaos_cmd = app.add_subcommand(
        "chaos", "Run the gateway against the simulator under a random schedule of every fault "
                 "with a slow consumer; check books, accounting, descriptors and heap at each "
                 "quiet point (docs/reliability.md)");
    chaos_cmd->add_option("--duration", chaos.duration, "how long (e.g. 60s, 1h)")
        ->capture_default_str()
        ->check(duration(10s, 1000h));
    chaos_cmd->add_option("--seed", chaos.seed, "seed of the schedule and of the market")
        ->capture_default_str()
        ->check(count(0, UINT64_MAX));
    chaos_cmd->add_option("--symbols", chaos.symbols, "comma-separated symbols, or a count")
        ->capture_default_str()
        ->check(non_empty);
    chaos_cmd->add_option("--rate", chaos.rate, "market events per second")
        ->capture_default_str()
        ->check(number(1, 1e6));
    chaos_cmd->add_option("--round", chaos.round, "mean time between quiet points")
        ->capture_default_str()
        ->check(duration(4s, 1h));
    chaos_cmd
        ->add_option("--settle-timeout", chaos.settle_timeout,
                     "longest wait at a quiet point for every book to equal the truth")
        ->capture_default_str()
        ->check(duration(1s, 1h));
    chaos_cmd
        ->add_option("--max-heap-growth", chaos.max_heap_growth_mib,
                     "allocator bytes allowed above the first quiet point past a quarter "
                     "of the run, MiB")
        ->capture_default_str()
        ->check(count(1, 1U << 20U));
    chaos_cmd
        ->add_option("--faults", chaos.faults,
                     "the faults to draw from: all, or a comma-separated list of drop, stall, "
                     "skip_update, crossed, bad_number, oversized_snapshot, restart, malformed, "
                     "oversized, reject_subscription, rest_time, refuse_ws, ignore_subscription")
        ->capture_default_str()
        ->check(non_empty);

    auto& bench = line.bench;
    auto* bench_cmd = app.add_subcommand(
        "bench", "End-to-end benchmark on loopback: read only, read+decode, the gateway "
                 "pipeline, and with a slow consumer (docs/BENCHMARKS.md)");
    bench_cmd->add_option("--symbols", bench.symbols, "simulated symbols")
        ->capture_default_str()
        ->check(count(1, 5000));
    bench_cmd->add_option("--depth", bench.depth, "orderbook depth: 1, 50, 200 or 1000")
        ->capture_default_str()
        ->check(count(1, 1000));
    bench_cmd
        ->add_option("--mix", bench.mix, "topics: book (orderbook only) or typical (5 per symbol)")
        ->check(CLI::IsMember({"book", "typical"}))
        ->capture_default_str();
    bench_cmd->add_option("--duration", bench.duration, "measured time per run")
        ->capture_default_str();
    bench_cmd->add_option("--warmup", bench.warmup, "unmeasured time before each run")
        ->capture_default_str();
    bench_cmd->add_option("--repetitions", bench.repetitions, "runs of each scenario")
        ->capture_default_str()
        ->check(count(1, 1000));
    bench_cmd->add_option("--json", bench.json, "also write the report as JSON to this file")
        ->check(output_file);
    bench_cmd
        ->add_option("--rate", bench.rate, "fixed-rate mode: CPU and RSS at N, 10N and 100N msgs/s")
        ->check(number(0, max_rate));
    bench_cmd->add_option("--soak", bench.soak, "soak mode: RSS every 10 s for this long (1h)");
    bench_cmd->add_option("--soak-bound", bench.soak_bound_mb, "allowed RSS growth, MiB/hour")
        ->capture_default_str()
        ->check(number(0, 1e6));
    bench_cmd->add_option("--frames", bench.frames, "data frames per pass of the frame set")
        ->capture_default_str()
        ->check(count(1, 100'000'000));
    bench_cmd->add_option("--shards", bench.shards, "gateway state shards")
        ->capture_default_str()
        ->check(count(1, 256));
    bench_cmd->add_option("--consumer-threads", bench.consumer_threads, "consumer pool threads")
        ->capture_default_str()
        ->check(count(1, 256));
    bench_cmd->add_option("--spin-us", bench.spin_us, "[dispatch] spin_us of the gateway")
        ->capture_default_str()
        ->check(count(0, 10'000));
    bench_cmd->add_option("--slow-sleep", bench.slow_sleep, "(d): sleep in every slow callback")
        ->capture_default_str();
    bench_cmd->add_option("--scenarios", bench.scenarios, "which of a, b, c, d to run (e.g. c)")
        ->capture_default_str();
    bench_cmd->add_flag("--fanout", bench.fanout,
                        "fan-out mode: the gateway at --rate (default 75000) msgs/s with 0, N "
                        "and N + 1 stalled stream subscribers");
    bench_cmd->add_option("--subscribers", bench.subscribers, "--fanout: stream subscribers N")
        ->capture_default_str()
        ->check(count(1, 1000));
    bench_cmd
        ->add_option("--slow-close-after", bench.slow_close_after,
                     "--fanout: [api] slow_close_after of the gateway under test")
        ->capture_default_str();
    bench_cmd
        ->add_option("--readers", bench.readers,
                     "run (c) with the API cache on, without and with N threads reading books "
                     "from it")
        ->capture_default_str()
        ->check(count(0, 256));
    bench_cmd
        ->add_option("--reader-rate", bench.reader_rate,
                     "--readers: reads per second of all readers (0: as fast as they can)")
        ->capture_default_str()
        ->check(number(0, max_rate));

    auto& report = line.report;
    auto* report_cmd = app.add_subcommand(
        "report", "Watch a running gateway (or read a past window from Prometheus) and write the "
                  "deploy-validation report; exit 0 met, 1 not met/not demonstrable, 2 bad "
                  "arguments, 3 could not measure, 4 rollback (docs/report.md)");
    report_cmd->add_option("--target", report.target, "the gateway's HTTP base URL")
        ->capture_default_str()
        ->check(non_empty);
    report_cmd->add_option("--duration", report.duration, "length of the window (30m)")
        ->capture_default_str();
    report_cmd->add_option("--checks", report.checks,
                           "check times from the start (15m,20m,25m,30m; default: 1/2, 2/3, 5/6 "
                           "and all of --duration)");
    report_cmd->add_option("--baseline", report.baseline, "baseline TOML (mdgate baseline)")
        ->check(input_file);
    report_cmd->add_option("--out", report.out, "Markdown report file")
        ->capture_default_str()
        ->check(output_file);
    report_cmd->add_option("--json", report.json, "also write the report as JSON here")
        ->check(output_file);
    report_cmd->add_option("--svg-dir", report.svg_dir, "write throughput.svg and memory.svg here");
    report_cmd->add_option("--interval", report.interval, "scrape interval")->capture_default_str();
    report_cmd->add_option("--token", report.token, "bearer token of the gateway's HTTP API");
    report_cmd->add_option("--rss-limit", report.rss_limit, "memory limit (1GiB, 512MiB, none)")
        ->capture_default_str();
    report_cmd
        ->add_option("--prometheus", report.prometheus,
                     "read the window from this Prometheus server instead of scraping")
        ->check(non_empty);
    report_cmd->add_option("--match", report.prom_match,
                           "with --prometheus: extra label matchers, e.g. job=\"mdgate\"");
    report_cmd->add_option("--from", report.from, "with --prometheus: now-30m, Unix s or RFC 3339");
    report_cmd->add_option("--to", report.to, "with --prometheus: end of the window (default now)");
    report_cmd
        ->add_option("--target-handler-timeouts", report.target_handler_timeouts,
                     "success: handler timeouts per hour below this")
        ->capture_default_str()
        ->check(number(0, 1e12));
    report_cmd
        ->add_option("--target-network-errors", report.target_network_errors,
                     "success: network errors per hour below this")
        ->capture_default_str()
        ->check(number(0, 1e12));
    report_cmd
        ->add_option("--max-callback-timeouts", report.max_callback_timeouts,
                     "success: at most this many callback timeouts in the window")
        ->capture_default_str()
        ->check(count(0, UINT64_MAX));
    report_cmd
        ->add_option("--max-error-logs", report.max_error_logs,
                     "success: at most this many ERROR log lines in the window")
        ->capture_default_str()
        ->check(count(0, UINT64_MAX));
    report_cmd
        ->add_option("--max-queue-drops", report.max_queue_drops,
                     "success: at most this many queue items lost in the window")
        ->capture_default_str()
        ->check(count(0, UINT64_MAX));
    report_cmd
        ->add_option("--min-throughput", report.min_throughput,
                     "success: messages in every full minute at least this")
        ->capture_default_str()
        ->check(number(0, 1e12));
    report_cmd
        ->add_option("--trigger-handler-timeouts", report.trigger_handler_timeouts,
                     "rollback when handler timeouts per hour are proven above this")
        ->capture_default_str()
        ->check(number(0, 1e12));
    report_cmd
        ->add_option("--trigger-restarts", report.trigger_restarts,
                     "rollback when restarts exceed this (a crash always fires)")
        ->capture_default_str()
        ->check(count(0, max_u32));

    auto& baseline = line.baseline;
    auto* baseline_cmd = app.add_subcommand(
        "baseline", "Count the old service's (or mdgate's) log markers in journalctl text on "
                    "stdin and write the baseline TOML for mdgate report");
    baseline_cmd
        ->add_flag("--from-journal", baseline.from_journal,
                   "read `journalctl -u UNIT` output on stdin")
        ->required();
    baseline_cmd->add_option("--out", baseline.out, "baseline TOML file (default: stdout)")
        ->check(strict("output file", [](const std::string& t, std::string& e) {
            return t == "-" || cli::check_output_file("", t, e);
        }));
    baseline_cmd->add_option("--source", baseline.source,
                             "where the journal comes from (unit, host, query), kept in the file");
    baseline_cmd
        ->add_option("--year", baseline.year,
                     "year of the journal's year-less dates when no record dates them")
        ->check(count(1970, 9999));

    for (auto* sub :
         {run_cmd, replay_cmd, sim_cmd, demo_cmd, chaos_cmd, bench_cmd, report_cmd, baseline_cmd}) {
        global.add_to(*sub, sub == run_cmd);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        const auto subs = app.get_subcommands();
        err << "mdgate: " << e.what() << " (see mdgate "
            << (subs.empty() ? std::string{} : subs.front()->get_name() + " ") << "--help)\n";
        return 2;
    }

    const auto given = global.values();
    line.log = cli::to_log_options(given.log_level, given.log_format, given.log_target);
    replay.cat = *model::parse_category(replay_category);
    sim.cat = *model::parse_category(sim_category);
    if (*run_cmd) {
        line.cmd = command::run;
        run.config = given.config.value_or("");
        auto& o = run.overrides;
        if (cat_opt->count() > 0) {
            o.category = *model::parse_category(run_category);
        }
        if (sym_opt->count() > 0) {
            o.symbols = split_commas(run_symbols);
        }
        if (top_opt->count() > 0) {
            o.top = run_top;
        }
        if (by_opt->count() > 0) {
            o.by = run_by;
        }
        if (ws_opt->count() > 0) {
            o.ws_url = run_ws_url;
        }
        if (rest_opt->count() > 0) {
            o.rest_url = run_rest_url;
        }
        if (listen_opt->count() > 0) {
            o.listen = run_listen;
        }
        if (record_opt->count() > 0) {
            o.record_dir = run_record;
        }
        o.log_level = given.log_level;
        o.log_format = given.log_format;
        o.log_target = given.log_target;
    } else if (*replay_cmd) {
        line.cmd = command::replay;
    } else if (*sim_cmd) {
        line.cmd = command::sim;
    } else if (*demo_cmd) {
        line.cmd = command::demo;
    } else if (*chaos_cmd) {
        line.cmd = command::chaos;
    } else if (*report_cmd) {
        line.cmd = command::report;
    } else if (*baseline_cmd) {
        line.cmd = command::baseline;
    } else if (*bench_cmd) {
        line.cmd = command::bench;
    }
    return line;
}

} // namespace mdg::app
