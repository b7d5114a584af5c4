// `mdgate demo`: the simulator and a watching client in one process, with faults injected on
// the way so that recovery is visible, then a check of every book against the simulator's
// truth. The client here is deliberately small (one connection, books only); the gateway of
// issue #4 replaces it.
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/mdgate/commands.hpp"
#include "exchange/bybit/parse.hpp"
#include "market/market_state.hpp"
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

struct demo_counters {
    std::uint64_t frames = 0;
    std::uint64_t frames_last_second = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t gaps = 0;
    std::uint64_t crossed = 0;
    std::uint64_t resubscribes = 0;
    std::uint64_t silence_timeouts = 0;
    std::uint64_t decode_errors = 0;
    std::uint64_t faults = 0;
};

// The watching client: one connection to the simulator, book topics only. Resubscribes a
// topic whose book fails its integrity rules, reconnects (with jittered backoff) when the
// connection drops or goes silent, and marks its books syncing until the fresh snapshots.
class watcher {
    using steady_clock_time = std::chrono::steady_clock::time_point;

  public:
    watcher(asio::io_context& ioc, std::uint16_t port, std::vector<std::string> topics)
        : ioc_(ioc), port_(port), topics_(std::move(topics)) {}

    asio::awaitable<void> run() {
        std::mt19937_64 rng{42};
        while (!stopped_) {
            co_await session();
            if (stopped_) {
                break;
            }
            ++counters.reconnects;
            mark_all_syncing();
            asio::steady_timer t(ioc_);
            t.expires_after(std::chrono::milliseconds{200 + rng() % 600}); // jittered backoff
            co_await t.async_wait(use_tuple);
        }
    }

    void stop() {
        stopped_ = true;
        if (ws_) {
            beast::get_lowest_layer(*ws_).cancel();
        }
    }

    market::market_state state;
    model::instrument_registry registry;
    demo_counters counters;
    steady_clock_time last_frame{};

  private:
    asio::awaitable<void> session() {
        ws_.emplace(ioc_);
        auto& tcp_layer = beast::get_lowest_layer(*ws_);
        tcp_layer.expires_after(5s);
        auto [cec] = co_await tcp_layer.async_connect(
            tcp::endpoint{asio::ip::make_address("127.0.0.1"), port_}, use_tuple);
        if (cec) {
            co_return;
        }
        auto [hec] = co_await ws_->async_handshake("127.0.0.1", "/v5/public/linear", use_tuple);
        if (hec) {
            co_return;
        }
        tcp_layer.expires_never();
        co_await send(fmt::format(R"({{"req_id":"sub","op":"subscribe","args":["{}"]}})",
                                  fmt::join(topics_, "\",\"")));
        last_frame = std::chrono::steady_clock::now();
        // A silence watchdog: no frame for 2 s means a stalled connection; close it.
        asio::co_spawn(ioc_, watchdog(&*ws_), asio::detached);
        beast::flat_buffer buffer;
        while (!stopped_) {
            auto [ec, n] = co_await ws_->async_read(buffer, use_tuple);
            if (ec) {
                break;
            }
            last_frame = std::chrono::steady_clock::now();
            ++counters.frames;
            ++counters.frames_last_second;
            const auto data = buffer.data();
            co_await on_frame({static_cast<const char*>(data.data()), data.size()});
            buffer.consume(buffer.size());
        }
        ws_.reset();
        ++generation_;
    }

    asio::awaitable<void> watchdog(websocket::stream<beast::tcp_stream>* ws) {
        const auto gen = generation_;
        asio::steady_timer t(ioc_);
        while (!stopped_ && gen == generation_) {
            t.expires_after(250ms);
            co_await t.async_wait(use_tuple);
            if (gen == generation_ && std::chrono::steady_clock::now() - last_frame > 2s) {
                ++counters.silence_timeouts;
                beast::get_lowest_layer(*ws).cancel();
                beast::get_lowest_layer(*ws).close();
                co_return;
            }
        }
    }

    asio::awaitable<void> send(std::string text) {
        if (!ws_) {
            co_return;
        }
        ws_->text(true);
        co_await ws_->async_write(asio::buffer(text), use_tuple);
    }

    asio::awaitable<void> on_frame(std::string_view frame) {
        auto r = decoder_.decode(frame, {model::category::linear, &registry, true, unix_nanos{}});
        if (!r) {
            ++counters.decode_errors;
            co_return;
        }
        const auto& f = **r;
        if (f.type != exchange::bybit::frame_type::orderbook) {
            co_return;
        }
        const auto st = state.on_book(f.book);
        if (st == book::apply_status::gap || st == book::apply_status::crossed) {
            (st == book::apply_status::gap ? counters.gaps : counters.crossed) += 1;
            // Surgical resync: this one topic, the connection and the others stay.
            ++counters.resubscribes;
            const std::string topic{f.topic_text};
            co_await send(fmt::format(R"({{"op":"unsubscribe","args":["{}"]}})", topic));
            co_await send(fmt::format(R"({{"op":"subscribe","args":["{}"]}})", topic));
        }
    }

    void mark_all_syncing() {
        std::vector<std::pair<model::instrument_id, std::uint16_t>> books;
        state.for_each_book([&](model::instrument_id id, std::uint16_t depth,
                                const market::book_entry&) { books.emplace_back(id, depth); });
        for (auto [id, depth] : books) {
            state.mark_syncing(id, depth);
        }
    }

    asio::io_context& ioc_;
    std::uint16_t port_;
    std::vector<std::string> topics_;
    std::optional<websocket::stream<beast::tcp_stream>> ws_;
    exchange::bybit::decoder decoder_;
    std::uint64_t generation_ = 0;
    bool stopped_ = false;
};

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
    std::vector<std::string> topics;
    for (const auto& s : opts.symbols) {
        topics.push_back("orderbook.50." + s.symbol);
    }
    watcher w{ioc, srv.port(), topics};
    asio::co_spawn(ioc, w.run(), asio::detached);

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
            w.stop();
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
        w.state.for_each_book(
            [&](model::instrument_id id, std::uint16_t, const market::book_entry& e) {
                ++by_state[static_cast<std::size_t>(e.book.state())];
                const auto& info = w.registry.info(id);
                if (prices.size() < 200) {
                    prices +=
                        fmt::format("  {} {}/{}", info.symbol, fmt_px(info.spec, e.book.best_bid()),
                                    fmt_px(info.spec, e.book.best_ask()));
                }
            });
        const auto& c = w.counters;
        const auto line = fmt::format(
            "{:>3}s  {:>5} msg/s  books live {} syncing {} resyncing {}  reconnects {}  gaps {}  "
            "resubscribes {}  silences {}  faults {}  errors {}",
            std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), c.frames_last_second,
            by_state[static_cast<std::size_t>(book::book_state::live)],
            by_state[static_cast<std::size_t>(book::book_state::syncing)],
            by_state[static_cast<std::size_t>(book::book_state::resyncing)], c.reconnects,
            c.gaps + c.crossed, c.resubscribes, c.silence_timeouts, srv.stats().faults_applied,
            c.decode_errors);
        if (tty) {
            fmt::print("\r\033[2K{}\n\033[2K{}\033[1A\r", line, prices);
        } else {
            fmt::print("{}\n", line);
        }
        std::fflush(stdout);
        w.counters.frames_last_second = 0;
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
            w.state.for_each_book([&](model::instrument_id id, std::uint16_t depth,
                                      const market::book_entry& e) {
                const auto& info = w.registry.info(id);
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
            w.stop();
            srv.stop();
            ioc.stop();
        });
    };
    ticker.expires_after(1s);
    ticker.async_wait(on_tick);
    ioc.run();

    const auto& c = w.counters;
    fmt::print("{}\nsummary: {} frames, {} reconnects, {} gaps and {} crossed books repaired by {} "
               "resubscriptions, {} silent connections closed, {} faults injected, {} decode "
               "errors\n",
               tty ? "\n" : "", c.frames, c.reconnects, c.gaps, c.crossed, c.resubscribes,
               c.silence_timeouts, srv.stats().faults_applied, c.decode_errors);
    if (finished) {
        fmt::print("books equal to the simulator's truth: {}/{}\n", equal, compared);
        return equal == compared && compared > 0 ? 0 : 1;
    }
    return 0;
}

} // namespace mdg::app
