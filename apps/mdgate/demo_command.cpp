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
#include <spdlog/spdlog.h>

#include "apps/mdgate/commands.hpp"
#include "exchange/feed/connection.hpp"
#include "gateway/market_sink.hpp"
#include "model/fixed_point.hpp"
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
    char* end = nullptr;
    const double rate = std::strtod(args.rate.c_str(), &end);
    if (end == args.rate.c_str() || *end != '\0' || rate <= 0) {
        std::fprintf(stderr, "mdgate: --rate must be a positive number\n");
        return 2;
    }
    const auto duration = sim::parse_duration(args.duration);
    if (!duration || *duration < 5s) {
        std::fprintf(stderr, "mdgate: --duration must be at least 5s (e.g. 60s)\n");
        return 2;
    }

    asio::io_context ioc{1};
    sim::server_options opts;
    opts.symbols = *symbols;
    opts.rate = rate;
    opts.port = 0;
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
        opts.script = std::move(script);
    }
    sim::server srv{ioc, opts};
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 2;
    }
    model::instrument_registry registry;
    gateway::market_sink sink{registry, model::category::linear};
    net::connect_budget budget{{}};
    exchange::connection_options copts;
    copts.url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", srv.port());
    for (const auto& s : opts.symbols) {
        copts.topics.push_back("orderbook.50." + s.symbol);
    }
    copts.receive_timeout = 2s;
    copts.ping_interval = 5s;
    copts.pong_timeout = 5s;
    copts.backoff = {200ms, 2000ms, 10'000ms};
    exchange::connection conn{ioc.get_executor(), nullptr, budget, registry, sink, copts};
    asio::co_spawn(ioc, conn.run(), asio::detached);
    std::uint64_t frames_before = 0;

    const bool tty = isatty(STDOUT_FILENO) != 0;
    fmt::print("mdgate demo: simulator on 127.0.0.1:{}, {} symbols, {} events/s, {}{}\n\n",
               srv.port(), opts.symbols.size(), rate,
               args.no_faults ? "no faults" : "faults: drop, gap, stall, restart",
               tty ? "" : " (one line per second)");
    const auto start = std::chrono::steady_clock::now();
    asio::steady_timer ticker{ioc};
    bool finished = false;
    std::size_t equal = 0;
    std::size_t compared = 0;
    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            ticker.cancel();
            conn.stop();
            srv.stop();
            ioc.stop();
        }
    });

    std::function<void(boost::system::error_code)> on_tick = [&](boost::system::error_code ec) {
        if (ec || finished) {
            return;
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        std::array<std::size_t, book::book_state_count> by_state{};
        std::string prices;
        std::uint64_t gaps = 0;
        sink.state().for_each_book(
            [&](model::instrument_id id, std::uint16_t, const market::book_entry& e) {
                ++by_state[static_cast<std::size_t>(e.book.state())];
                gaps += e.gaps + e.crossed;
                const auto& info = registry.info(id);
                if (prices.size() < 200) {
                    prices +=
                        fmt::format("  {} {}/{}", info.symbol, fmt_px(info.spec, e.book.best_bid()),
                                    fmt_px(info.spec, e.book.best_ask()));
                }
            });
        const auto& c = conn.stats();
        const auto line = fmt::format(
            "{:>3}s  {:>5} msg/s  {:<11}  books live {} syncing {} resyncing {}  reconnects {}  "
            "gaps {}  resubscribes {}  receive timeouts {}  faults {}  errors {}",
            std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(),
            c.frames - frames_before, exchange::to_string(conn.state()),
            by_state[static_cast<std::size_t>(book::book_state::live)],
            by_state[static_cast<std::size_t>(book::book_state::syncing)],
            by_state[static_cast<std::size_t>(book::book_state::resyncing)], c.reconnects, gaps,
            c.resubscribes, c.handler_timeouts, srv.stats().faults_applied, c.decode_errors);
        frames_before = c.frames;
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
            sink.state().for_each_book([&](model::instrument_id id, std::uint16_t depth,
                                           const market::book_entry& e) {
                const auto& info = registry.info(id);
                const auto truth = srv.truth(model::category::linear,
                                             fmt::format("orderbook.{}.{}", depth, info.symbol));
                ++compared;
                bool same = truth && e.book.state() == book::book_state::live &&
                            truth->u == e.book.update_id() &&
                            truth->bids.size() == e.book.bid_count() &&
                            truth->asks.size() == e.book.ask_count();
                for (std::size_t i = 0; same && i < truth->bids.size(); ++i) {
                    same = *model::parse_fixed(truth->bids[i].first, info.spec.price_decimals,
                                               false) == e.book.bid(i).px.raw &&
                           *model::parse_fixed(truth->bids[i].second, info.spec.qty_decimals,
                                               false) == e.book.bid(i).sz.raw;
                }
                for (std::size_t i = 0; same && i < truth->asks.size(); ++i) {
                    same = *model::parse_fixed(truth->asks[i].first, info.spec.price_decimals,
                                               false) == e.book.ask(i).px.raw &&
                           *model::parse_fixed(truth->asks[i].second, info.spec.qty_decimals,
                                               false) == e.book.ask(i).sz.raw;
                }
                equal += same ? 1 : 0;
            });
            conn.stop();
            srv.stop();
            // Let the close frame go out, then end.
            ticker.expires_after(200ms);
            ticker.async_wait([&](boost::system::error_code) { ioc.stop(); });
        });
    };
    ticker.expires_after(1s);
    ticker.async_wait(on_tick);
    ioc.run();

    const auto& c = conn.stats();
    std::uint64_t gaps = 0;
    sink.state().for_each_book([&](model::instrument_id, std::uint16_t,
                                   const market::book_entry& e) { gaps += e.gaps + e.crossed; });
    fmt::print("{}\nsummary: {} frames, {} reconnects, {} book integrity failures repaired by {} "
               "resubscriptions, {} receive timeouts, {} faults injected, {} decode errors\n",
               tty ? "\n" : "", c.frames, c.reconnects, gaps, c.resubscribes, c.handler_timeouts,
               srv.stats().faults_applied, c.decode_errors);
    if (finished) {
        fmt::print("books equal to the simulator's truth: {}/{}\n", equal, compared);
        return equal == compared && compared > 0 ? 0 : 1;
    }
    return 0;
}

} // namespace mdg::app
