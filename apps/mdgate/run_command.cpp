// `mdgate run`: the gateway (docs/configuration.md). Loads the TOML configuration, applies the
// command-line overrides, runs until SIGINT/SIGTERM, shuts down cleanly.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/mdgate/commands.hpp"
#include "apps/mdgate/signals.hpp"
#include "apps/mdgate/version.hpp"
#include "cli/duration.hpp"
#include "cli/input_checks.hpp"
#include "cli/listen.hpp"
#include "cli/log_values.hpp"
#include "core/log.hpp"
#include "gateway/gateway.hpp"
#include "gateway/liquidation_log.hpp"
#include "gateway/symbol_select.hpp"
#include "record/recording_writer.hpp"

namespace mdg::app {

using namespace std::chrono_literals;

void add_builtin_consumers(gateway::gateway& gw, const cli::gateway_config& cfg) {
    gw.add_consumer(std::make_shared<gateway::liquidation_log>(gw.instruments(),
                                                               gateway::liquidation_log::options{}),
                    {.name = "liquidation_log",
                     .channels = static_cast<std::uint8_t>(dispatch::channel_bit::liquidations),
                     .queue_capacity = cfg.dispatch.consumer_queue,
                     .budget = cfg.dispatch.callback_budget});
}

gateway::gateway_options make_gateway_options(const cli::gateway_config& cfg) {
    gateway::gateway_options o;
    o.cat = cfg.venue.category;
    o.ws_url = cfg.venue.ws_url;
    o.ca_file = cfg.venue.ca_file;
    o.topics = cli::topics_of(cfg);
    o.plan.symbol_aligned = cfg.connections.symbol_aligned;
    o.plan.max_topics_per_connection = cfg.connections.max_topics_per_connection;
    auto& c = o.connection;
    c.ping_interval = cfg.connections.ping_interval;
    c.pong_timeout = cfg.connections.pong_timeout;
    c.receive_timeout = cfg.connections.receive_timeout;
    c.subscribe_timeout = cfg.connections.subscribe_timeout;
    c.refused_retry = {cfg.connections.refused_retry_base, cfg.connections.refused_retry_cap};
    c.session.resolve_timeout = cfg.connections.connect_timeout;
    c.session.connect_timeout = cfg.connections.connect_timeout;
    c.session.tls_timeout = cfg.connections.handshake_timeout;
    c.session.handshake_timeout = cfg.connections.handshake_timeout;
    c.session.max_frame_bytes = cfg.connections.max_frame_bytes;
    c.backoff.base = cfg.connections.backoff_base;
    c.backoff.cap = cfg.connections.backoff_cap;
    c.backoff.stable_after = cfg.connections.backoff_stable_after;
    o.budget.max_per_window = cfg.connections.connect_budget;
    o.budget.window =
        std::chrono::duration_cast<std::chrono::seconds>(cfg.connections.connect_budget_window);
    o.probe_enabled = cfg.probe.enabled;
    o.probe.url = cfg.venue.rest_url;
    o.probe.connect_timeout = cfg.probe.connect_timeout;
    o.probe.total_timeout = cfg.probe.total_timeout;
    o.probe.attempts = cfg.probe.attempts;
    o.probe.breaker.cooldown = cfg.probe.breaker_cooldown;
    o.rest.enabled = cfg.rest.enabled;
    o.rest.client.url = cfg.venue.rest_url;
    o.rest.client.connect_timeout = cfg.rest.connect_timeout;
    o.rest.client.request_timeout = cfg.rest.request_timeout;
    o.rest.client.max_limiter_wait = cfg.rest.max_limiter_wait;
    o.rest.client.max_connections = cfg.rest.max_connections;
    o.rest.client.user_agent = fmt::format("mdgate/{}", version());
    o.rest.limits.ip = {cfg.rest.ip_limit, cfg.rest.ip_window};
    o.poll.funding_history = cfg.poll.funding_history;
    o.poll.funding_rows = cfg.poll.funding_rows;
    o.poll.account_ratio = cfg.poll.account_ratio;
    o.poll.account_ratio_rows = cfg.poll.account_ratio_rows;
    o.poll.risk_limits = cfg.poll.risk_limits;
    o.refresh.orderbook = cfg.refresh.orderbook;
    o.refresh.tickers = cfg.refresh.tickers;
    o.refresh.min_interval = cfg.refresh.min_interval;
    o.history.enabled = cfg.backfill.enabled;
    o.history.klines = cfg.backfill.klines;
    o.history.kline_default = cfg.backfill.kline_default;
    o.history.open_interest = cfg.backfill.open_interest;
    o.history.trades = cfg.backfill.trades;
    o.history.retry_base = cfg.backfill.retry_base;
    o.history.retry_cap = cfg.backfill.retry_cap;
    o.shards = cfg.dispatch.shards;
    o.shard_queue = cfg.dispatch.shard_queue;
    o.shard_queue_bytes = cfg.dispatch.shard_queue_bytes;
    o.consumer_threads = cfg.dispatch.consumer_threads;
    o.spin = std::chrono::microseconds{cfg.dispatch.spin_us};
    o.drain_timeout = cfg.dispatch.drain_timeout;
    o.freshness.orderbook = cfg.freshness.orderbook;
    o.freshness.tickers = cfg.freshness.tickers;
    o.freshness.kline = cfg.freshness.kline;
    o.freshness.trades = cfg.freshness.trades;
    o.freshness.liquidations = cfg.freshness.liquidations;
    o.http_enabled = cfg.http.enabled;
    std::string ignored;
    if (auto hp = cli::parse_listen(cfg.http.listen, ignored)) {
        o.http.address = hp->host;
        o.http.port = hp->port;
    }
    o.http.bearer_token = cfg.http.bearer_token;
    o.http.max_connections = cfg.http.max_connections;
    o.http.max_connections_per_address = cfg.http.max_connections_per_address;
    o.http.header_timeout = cfg.http.header_timeout;
    o.http.body_timeout = cfg.http.body_timeout;
    o.http.write_timeout = cfg.http.write_timeout;
    o.http.idle_timeout = cfg.http.idle_timeout;
    o.api.enabled = cfg.api.enabled;
    o.api.book_levels = cfg.api.book_levels;
    o.api.stream.max_subscribers = cfg.api.max_subscribers;
    o.api.stream.max_channels_per_subscriber = cfg.api.max_channels_per_subscriber;
    o.api.stream.max_client_message_bytes = cfg.api.max_client_message_bytes;
    o.api.stream.max_client_messages_per_second = cfg.api.max_client_messages_per_second;
    o.api.stream.send_buffer_bytes = cfg.api.send_buffer_bytes;
    o.api.stream.slow_close_after = cfg.api.slow_close_after;
    o.api.stream.book_interval = cfg.api.book_interval;
    o.summary_interval = cfg.log.summary_interval;
    if (!cfg.record.dir.empty()) {
        record::recorder_options r;
        r.writer.dir = cfg.record.dir;
        r.writer.prefix = fmt::format("mdgate-{}", model::to_string(cfg.venue.category));
        r.writer.max_file_bytes = cfg.record.max_file_bytes;
        r.writer.max_file_age = cfg.record.max_file_age;
        r.writer.max_total_bytes = cfg.record.max_total_bytes;
        r.writer.keep_files = cfg.record.keep_files;
        r.writer.zstd_level = static_cast<int>(cfg.record.zstd_level);
        r.writer.flush_interval = cfg.record.flush_interval;
        r.queue_bytes = cfg.record.queue_bytes;
        o.record = std::move(r);
    }
    o.version = version();
    return o;
}

// `[select]` / --top: the symbols chosen from the venue's tickers (docs/rest.md). false with one
// line in `error` when the venue did not answer or nothing qualified.
bool select_symbols(cli::gateway_config& cfg, std::string& error) {
    gateway::ticker_source src;
    src.rest_url = cfg.venue.rest_url;
    src.ca_file = cfg.venue.ca_file;
    src.cat = cfg.venue.category;
    src.connect_timeout = cfg.rest.connect_timeout;
    src.request_timeout = cfg.rest.request_timeout;
    std::string why;
    auto rows = gateway::fetch_tickers(src, why);
    if (!rows) {
        error = fmt::format("cannot choose the symbols (--top {}): {}", cfg.select.top, why);
        return false;
    }
    gateway::selection_options o;
    o.top = cfg.select.top;
    o.by = cfg.select.by == "volume24h" ? gateway::selection_options::ranking::volume_24h
                                        : gateway::selection_options::ranking::turnover_24h;
    o.exclude = cfg.select.exclude;
    o.min_turnover = model::decimal{static_cast<std::int64_t>(cfg.select.min_turnover), 0};
    if (cfg.venue.category != model::category::option) {
        // Perpetuals and spot pairs only: dated futures (BTCUSDT-26DEC25) are not chosen.
        o.eligible = [](std::string_view s) {
            return std::all_of(s.begin(), s.end(), [](char c) {
                return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            });
        };
    }
    const auto chosen = gateway::choose_symbols(*rows, o);
    if (chosen.empty()) {
        error = fmt::format("cannot choose the symbols (--top {}): none of the {} {} instruments "
                            "qualifies",
                            cfg.select.top, rows->size(), model::to_string(cfg.venue.category));
        return false;
    }
    cfg.symbols.clear();
    std::string list;
    for (const auto& c : chosen) {
        cfg.symbols.push_back(c.symbol);
        list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", c.symbol, c.value.to_string());
    }
    core::log_event(
        spdlog::level::info,
        {{"event", "symbols_selected"}, {"count", chosen.size()}, {"by", cfg.select.by}},
        "Selected {} of {} {} symbols by {}: {}", chosen.size(), rows->size(),
        model::to_string(cfg.venue.category), cfg.select.by, list);
    return true;
}

int run_gateway(const run_args& args) {
    std::string error;
    cli::gateway_config cfg;
    if (!args.config.empty()) {
        auto loaded = cli::load_config(args.config, error);
        if (!loaded) {
            std::fprintf(stderr, "mdgate: %s\n", error.c_str());
            return 2;
        }
        cfg = std::move(*loaded);
    } else {
        cfg = cli::default_config();
    }
    if (!cli::apply_overrides(cfg, args.overrides, error)) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        return 2;
    }
    auto opts = make_gateway_options(cfg);
    // Planning is part of validation: a topic the venue would refuse fails here.
    auto plan = exchange::bybit::plan_connections(opts.cat, opts.topics, opts.plan, error);
    if (!plan) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        return 2;
    }
    // Checked before any work, with --check-config too (the command line checked it already).
    if (!args.port_file.empty() && !cli::check_output_file("--port-file", args.port_file, error)) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        return 2;
    }
    if (!cfg.record.dir.empty() && !record::check_directory(cfg.record.dir, error)) {
        std::fprintf(stderr, "mdgate: %s: %s\n",
                     args.overrides.record_dir ? "--record" : "record.dir", error.c_str());
        return 2;
    }
    // Every connection needs an attempt at start: more connections than the budget allows in
    // one window means the last ones wait for the next window (and every reconnect after).
    const auto budget_warning =
        plan->size() > cfg.connections.connect_budget
            ? fmt::format("{} symbols need {} connections, more than 'connections.connect_budget' "
                          "({} per {}): the last {} wait for the next window at every start",
                          cfg.symbols.size(), plan->size(), cfg.connections.connect_budget,
                          cli::format_duration(cfg.connections.connect_budget_window),
                          plan->size() - cfg.connections.connect_budget)
            : std::string{};
    if (args.check_config) {
        if (!budget_warning.empty()) {
            std::fprintf(stderr, "mdgate: warning: %s\n", budget_warning.c_str());
        }
        if (args.print) {
            std::fputs(cli::to_toml(cfg).c_str(), stdout);
        }
        if (cfg.select.top > 0) {
            std::fprintf(stderr,
                         "mdgate: configuration OK: the top %zu symbols by %s, chosen at start "
                         "(checked with the default topics of %zu placeholder symbols)\n",
                         cfg.select.top, cfg.select.by.c_str(), cfg.select.top);
        } else {
            std::fprintf(stderr,
                         "mdgate: configuration OK: %zu symbols, %zu topics on %zu connections\n",
                         cfg.symbols.size(), opts.topics.size(), plan->size());
        }
        return 0;
    }
    // Validated above: the file's [log] with the command line's --log-* over it.
    core::init_logging(cli::to_log_options(cfg.log.level, cfg.log.format, cfg.log.target));
    if (!budget_warning.empty()) {
        spdlog::warn("{}", budget_warning);
    }

    // SIGINT/SIGTERM (and SIGHUP, ignored: no reload yet) are taken by this thread with
    // sigwait: block them before any thread starts so that every thread inherits the mask.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    if (cfg.select.top > 0 && !cfg.rest.enabled) {
        std::fprintf(stderr, "mdgate: 'select.top' chooses the symbols over REST: it needs "
                             "'rest.enabled'\n");
        return 2;
    }
    if (cfg.select.top > 0) {
        // Chosen now, over the network (never for --check-config, which planned `top` made-up
        // symbols instead): the venue not answering is the machine as it is now, exit 1.
        if (!select_symbols(cfg, error)) {
            spdlog::error("mdgate: {}", error);
            std::fprintf(stderr, "mdgate: %s\n", error.c_str());
            return 1;
        }
        opts = make_gateway_options(cfg);
        if (!exchange::bybit::plan_connections(opts.cat, opts.topics, opts.plan, error)) {
            std::fprintf(stderr, "mdgate: %s\n", error.c_str());
            return 2;
        }
    }

    gateway::gateway gw(std::move(opts));
    add_builtin_consumers(gw, cfg);
    auto failure = gateway::gateway::start_failure::config;
    if (!gw.start(error, &failure)) {
        spdlog::error("mdgate: cannot start: {}", error);
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        // 2 only for a setting that can never work: the unit does not restart on 2
        // (RestartPreventExitStatus=2), and a port held by another process frees up.
        return failure == gateway::gateway::start_failure::config ? 2 : 1;
    }
    if (!args.port_file.empty()) {
        if (auto* f = std::fopen(args.port_file.c_str(), "w")) {
            std::fprintf(f, "%u\n", static_cast<unsigned>(gw.http_port()));
            std::fclose(f);
        } else {
            spdlog::error("cannot write --port-file {}", args.port_file);
        }
    }
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0 || sig == SIGHUP) {
        if (sig == SIGHUP) {
            note_sighup_ignored();
        }
    }
    spdlog::info("Received {}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    const bool clean = gw.stop();
    return clean ? 0 : 1;
}

} // namespace mdg::app
