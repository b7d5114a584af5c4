// `mdgate demo`: the simulator and the gateway's feed connection in one process, with faults
// injected on the way so that recovery is visible, then a check of every book against the
// simulator's truth.
#include <cstdio>
#include <functional>
#include <map>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "apps/mdgate/commands.hpp"
#include "apps/mdgate/signals.hpp"
#include "apps/mdgate/truth_check.hpp"
#include "cli/input_checks.hpp"
#include "gateway/gateway.hpp"
#include "model/fixed_point.hpp"
#include "monitor/prom_text.hpp"
#include "monitor/report.hpp"
#include "sim/server.hpp"

namespace mdg::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string fmt_px(const model::instrument_spec& spec, const std::optional<model::level>& l) {
    return l ? model::to_fixed_string(l->px.raw, spec.price_decimals, true) : "-";
}

} // namespace

int run_demo(const demo_args& args) {
    std::string reason;
    auto symbols = parse_symbols(args.symbols, reason);
    if (!symbols) {
        std::fprintf(stderr, "mdgate: %s\n", reason.c_str());
        return 2;
    }
    // Checked by the command line already (command_line.cpp); the same parsers again for
    // callers that build demo_args themselves. The report's path is checked before the run.
    const auto rate = cli::parse_number("--rate", args.rate, 0.001, 1e9, reason);
    const auto duration =
        rate ? cli::parse_duration_option("--duration", args.duration, 5s, 1000h, reason)
             : std::nullopt;
    if (!duration ||
        (!args.report.empty() && !cli::check_output_file("--report", args.report, reason))) {
        std::fprintf(stderr, "mdgate: %s\n", reason.c_str());
        return 2;
    }

    asio::io_context ioc{1};
    const sighup_ignorer hangup{ioc}; // from the start: a SIGHUP never ends the demo
    sim::server_options opts;
    opts.symbols = *symbols;
    opts.rate = *rate;
    opts.port = 0;
    // What the simulator injects, in words ("drop (reset) at 12 s"): printed before the run,
    // and its count is what the summary and the report must say afterwards.
    std::vector<std::string> fault_plan;
    if (!args.no_faults) {
        // A drop, a gap, a stall and a venue restart, spread over the run.
        const auto at = [&](double f) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(*duration * f);
        };
        const auto& first = opts.symbols.front().symbol;
        std::vector<sim::action> script(4);
        script[0].kind = sim::action_kind::drop;
        script[0].mode = "reset";
        script[0].at = at(0.2);
        script[1].kind = sim::action_kind::skip_update;
        script[1].topic = "orderbook.50." + first;
        script[1].at = at(0.4);
        script[2].kind = sim::action_kind::stall;
        script[2].duration = 3s;
        script[2].at = at(0.55);
        script[3].kind = sim::action_kind::restart;
        script[3].at = at(0.8);
        const auto secs = [](std::chrono::milliseconds ms) {
            return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000.0);
        };
        fault_plan = {fmt::format("drop (reset) at {}", secs(script[0].at)),
                      fmt::format("gap on {} at {}", script[1].topic, secs(script[1].at)),
                      fmt::format("stall of 3 s at {}", secs(script[2].at)),
                      fmt::format("venue restart at {}", secs(script[3].at))};
        opts.script = std::move(script);
    }
    const auto fault_words = [&] {
        return fault_plan.empty()
                   ? std::string{"no faults"}
                   : fmt::format("{} faults: {}", fault_plan.size(), fmt::join(fault_plan, ", "));
    };
    sim::server srv{ioc, opts};
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 2;
    }
    // The gateway as `mdgate run` builds it, pointed at the simulator: every symbol with the
    // old production topic set, one connection per symbol, a consumer of every channel.
    cli::gateway_config cfg = cli::default_config();
    cfg.symbols.clear();
    for (const auto& s : opts.symbols) {
        cfg.symbols.push_back(s.symbol);
    }
    cfg.venue.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", srv.port());
    cfg.venue.rest_url = fmt::format("http://127.0.0.1:{}", srv.port());
    cfg.connections.max_topics_per_connection = 5;
    cfg.connections.receive_timeout = 2s;
    cfg.connections.ping_interval = 5s;
    cfg.connections.pong_timeout = 5s;
    cfg.connections.backoff_base = 200ms;
    cfg.connections.backoff_cap = 2000ms;
    cfg.log.summary_interval = 10s;
    cfg.http.listen = "127.0.0.1:0";
    auto gopts = make_gateway_options(cfg);
    gateway::gateway gw{std::move(gopts)};
    add_builtin_consumers(gw, cfg);
    std::string error;
    if (!gw.start(error)) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        return 2;
    }
    std::uint64_t messages_before = 0;

    // The deploy-validation report of this run (issue #6), fed from the gateway's own /metrics
    // text once a second, as `mdgate report` would scrape it.
    monitor::report_options ropts;
    ropts.target = fmt::format("http://127.0.0.1:{}", gw.http_port());
    ropts.source = "in-process scrape every 1 s (mdgate demo)";
    ropts.planned_duration = std::chrono::duration_cast<std::chrono::seconds>(*duration);
    for (const double f : {0.5, 0.75, 1.0}) {
        ropts.checks.push_back(std::chrono::duration_cast<std::chrono::seconds>(*duration * f));
    }
    monitor::report_builder report{ropts, core::default_clock().now()};
    auto scrape = [&] {
        std::string perror;
        if (auto samples = monitor::parse_prometheus_text(gw.metrics_text(), perror)) {
            report.feed(core::default_clock().now(), *samples);
        } else {
            report.feed_failure(core::default_clock().now(), perror);
        }
    };
    scrape();

    const bool tty = isatty(STDOUT_FILENO) != 0;
    fmt::print("mdgate demo: simulator on 127.0.0.1:{}, gateway http on 127.0.0.1:{}, {} symbols "
               "x 5 topics on {} connections, {} events/s, {}{}\n\n",
               srv.port(), gw.http_port(), opts.symbols.size(), gw.connection_count(), *rate,
               fault_words(), tty ? "" : " (one line per second)");
    const auto start = std::chrono::steady_clock::now();
    asio::steady_timer ticker{ioc};
    bool finished = false;
    std::size_t equal = 0;
    std::size_t compared = 0;
    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            ticker.cancel();
            srv.stop();
            ioc.stop();
        }
    });

    std::function<void(boost::system::error_code)> on_tick = [&](boost::system::error_code ec) {
        if (ec || finished) {
            return;
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        scrape();
        const auto t = gw.totals();
        std::string prices;
        for (const auto& s : opts.symbols) {
            if (prices.size() > 200) {
                break;
            }
            if (auto b = gw.book(s.symbol, 50)) {
                const auto id =
                    gw.instruments().find(model::venue::bybit, model::category::linear, s.symbol);
                const auto spec = id ? gw.instruments().info(*id).spec : model::default_spec;
                prices += fmt::format(
                    "  {} {}/{}", s.symbol,
                    fmt_px(spec, b->bids.empty() ? std::nullopt : std::optional{b->bids[0]}),
                    fmt_px(spec, b->asks.empty() ? std::nullopt : std::optional{b->asks[0]}));
            }
        }
        const auto line = fmt::format(
            "{:>3}s  {:>5} msg/s  conns live {}/{}  books live {} syncing {} resyncing {}  "
            "reconnects {}  gaps {}  resubscribes {}  receive timeouts {}  faults {}  errors {}",
            std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(),
            t.data_messages - messages_before, t.connections_live, t.connections,
            t.books[static_cast<std::size_t>(book::book_state::live)],
            t.books[static_cast<std::size_t>(book::book_state::syncing)],
            t.books[static_cast<std::size_t>(book::book_state::resyncing)], t.reconnects,
            t.book_gaps, t.resubscribes, t.handler_timeouts, srv.stats().faults_applied,
            t.decode_errors);
        messages_before = t.data_messages;
        if (tty) {
            fmt::print("\r\033[2K{}\n\033[2K{}\033[1A\r", line, prices);
        } else {
            fmt::print("{}\n", line);
        }
        std::fflush(stdout);
        if (elapsed < *duration) {
            ticker.expires_after(1s);
            ticker.async_wait(on_tick);
            return;
        }
        // The end: pause the market, let the last frames arrive, compare with the truth.
        finished = true;
        std::string why;
        sim::action pause;
        pause.kind = sim::action_kind::pause;
        (void)srv.apply(pause, why);
        ticker.expires_after(1s);
        ticker.async_wait([&](boost::system::error_code) {
            for (const auto& s : opts.symbols) {
                ++compared;
                equal += check_book_against_truth(gw, srv, s.symbol).equal ? 1U : 0U;
            }
            (void)gw.stop();
            srv.stop();
            ticker.expires_after(200ms);
            ticker.async_wait([&](boost::system::error_code) { ioc.stop(); });
        });
    };
    ticker.expires_after(1s);
    ticker.async_wait(on_tick);
    ioc.run();
    (void)gw.stop();

    const auto t = gw.totals();
    fmt::print("{}\nsummary: {} frames, {} reconnects, {} book integrity failures repaired by {} "
               "resubscriptions, {} receive timeouts, {} faults injected, {} decode errors\n",
               tty ? "\n" : "", t.frames, t.reconnects, t.book_gaps, t.resubscribes,
               t.handler_timeouts, srv.stats().faults_applied, t.decode_errors);
    if (finished) {
        const auto now = core::default_clock().now();
        auto r = report.finish(now, false, "the planned duration elapsed", now);
        const auto injected = srv.stats().faults_applied;
        r.source =
            fmt::format("in-process scrape every 1 s (mdgate demo; {})",
                        injected == 0 ? std::string{"no faults injected"}
                                      : fmt::format("{} faults injected by the simulator: {}",
                                                    injected, fmt::join(fault_plan, ", ")));
        // The verdict is the one `mdgate report` would give the same metrics, and its exit code
        // is that command's; the demo's own exit code says only whether the books are right.
        monitor::markdown_options mo;
        mo.exit_code_note = fmt::format(
            "`mdgate report` exits with code {} on this verdict; this report was written by "
            "`mdgate demo`, whose exit code says only whether every book equals the simulator's "
            "truth",
            static_cast<int>(r.exit));
        if (!args.report.empty()) {
            if (auto* f = std::fopen(args.report.c_str(), "w")) {
                const auto md = monitor::render_markdown(r, mo);
                std::fwrite(md.data(), 1, md.size(), f);
                std::fclose(f);
                fmt::print("deploy-validation report of this run: {}\n  verdict, as `mdgate "
                           "report` would give it (it exits {} there): {}\n",
                           args.report, static_cast<int>(r.exit), r.verdict);
            } else {
                std::fprintf(stderr, "mdgate: cannot write %s\n", args.report.c_str());
                return 2;
            }
        }
        fmt::print("books equal to the simulator's truth: {}/{}\n", equal, compared);
        return equal == compared && compared > 0 ? 0 : 1;
    }
    return 0;
}

} // namespace mdg::app
