#include "gateway/gateway.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/systemd.hpp"
#include "dispatch/consumer_pool.hpp"
#include "dispatch/shard.hpp"
#include "exchange/bybit/topic.hpp"
#include "metrics/buckets.hpp"
#include "metrics/process_collector.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using core::json_writer;
using namespace std::chrono_literals;
using exchange::bybit::channel;
using exchange::bybit::frame_type;

namespace {

[[nodiscard]] double seconds(steady::duration d) {
    return std::chrono::duration<double>(d).count();
}

[[nodiscard]] std::int64_t steady_ns(steady::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

[[nodiscard]] std::string_view item_label(dispatch::item_kind k) noexcept {
    switch (k) {
    case dispatch::item_kind::book:
        return "orderbook";
    case dispatch::item_kind::ticker:
        return "tickers";
    case dispatch::item_kind::trades:
        return "publicTrade";
    case dispatch::item_kind::klines:
        return "kline";
    case dispatch::item_kind::liquidations:
        return "allLiquidation";
    case dispatch::item_kind::books_lost:
        break;
    }
    return "other";
}

[[nodiscard]] std::chrono::milliseconds threshold(const freshness& f, channel c) noexcept {
    switch (c) {
    case channel::orderbook:
        return f.orderbook;
    case channel::tickers:
        return f.tickers;
    case channel::kline:
        return f.kline;
    case channel::public_trade:
        return f.trades;
    case channel::all_liquidation:
    case channel::liquidation:
        return f.liquidations;
    }
    return std::chrono::milliseconds{0};
}

constexpr std::array<std::string_view, 5> state_names{"connecting", "subscribing", "live",
                                                      "backing_off", "stopped"};
constexpr std::array<std::string_view, 4> connect_steps{"dns", "connect", "tls", "handshake"};

} // namespace

// Hands one connection's decoded frames to the shards: an owned copy per frame into the
// owning shard's queue (never blocks). Runs on the I/O thread.
class shard_router final : public exchange::frame_handler {
  public:
    shard_router(std::uint32_t source, model::category cat, model::instrument_registry& registry,
                 std::vector<std::unique_ptr<dispatch::shard>>& shards,
                 std::array<metrics::counter*, exchange::bybit::channel_count>& messages)
        : source_(source), cat_(cat), registry_(registry), shards_(shards), messages_(messages) {}

    bool on_data(const exchange::bybit::decoded_frame& f) override {
        flush_lost();
        messages_[static_cast<std::size_t>(f.topic.ch)]->inc();
        ++data_frames_;
        auto& sh = *shards_[f.instrument.value % shards_.size()];
        auto* it = sh.claim();
        if (it == nullptr) {
            core::log_limited(spdlog::level::warn, "gateway.shard_full",
                              "Shard queue full: dropped a {} frame (the shard is behind)",
                              exchange::bybit::to_string(f.topic.ch));
            // A dropped book update is a gap: resubscribe that book now.
            return f.type == frame_type::orderbook;
        }
        it->source = source_;
        it->read_ns = steady_ns(steady::now());
        switch (f.type) {
        case frame_type::orderbook:
            it->kind = dispatch::item_kind::book;
            it->book = f.book;
            it->bids.assign(f.book.bids.begin(), f.book.bids.end());
            it->asks.assign(f.book.asks.begin(), f.book.asks.end());
            break;
        case frame_type::ticker:
            it->kind = dispatch::item_kind::ticker;
            it->ticker = f.ticker;
            break;
        case frame_type::trade:
            it->kind = dispatch::item_kind::trades;
            it->trades.assign(f.trades.begin(), f.trades.end());
            break;
        case frame_type::kline:
            it->kind = dispatch::item_kind::klines;
            it->klines.assign(f.klines.begin(), f.klines.end());
            break;
        case frame_type::liquidation:
            it->kind = dispatch::item_kind::liquidations;
            it->liquidations.assign(f.liquidations.begin(), f.liquidations.end());
            break;
        case frame_type::control:
            return false; // not routed here
        }
        sh.commit();
        return false;
    }

    void on_connection_lost(std::span<const std::string> topics) override {
        for (const auto& t : topics) {
            auto parsed = exchange::bybit::parse_topic(t);
            if (!parsed || parsed->ch != channel::orderbook) {
                continue;
            }
            if (auto id = registry_.find(model::venue::bybit, cat_, parsed->symbol)) {
                lost_.emplace_back(*id, parsed->depth);
            }
        }
        flush_lost();
    }

    /// Books whose "feed lost" notice could not be queued yet (a full shard) go now.
    void flush_lost() {
        if (lost_.empty()) {
            return;
        }
        std::erase_if(lost_, [&](const std::pair<model::instrument_id, std::uint16_t>& b) {
            auto& sh = *shards_[b.first.value % shards_.size()];
            auto* it = sh.claim();
            if (it == nullptr) {
                return false;
            }
            it->kind = dispatch::item_kind::books_lost;
            it->source = source_;
            it->read_ns = 0;
            it->lost.assign(1, b);
            sh.commit();
            return true;
        });
    }

    [[nodiscard]] std::uint64_t data_frames() const noexcept { return data_frames_; }

  private:
    std::uint32_t source_;
    model::category cat_;
    model::instrument_registry& registry_;                  // outlives: the gateway
    std::vector<std::unique_ptr<dispatch::shard>>& shards_; // outlives: the gateway
    std::array<metrics::counter*, exchange::bybit::channel_count>& messages_;
    std::vector<std::pair<model::instrument_id, std::uint16_t>> lost_;
    std::uint64_t data_frames_ = 0;
};

struct gateway::impl {
    explicit impl(gateway_options o) : opts(std::move(o)) {}

    gateway_options opts;
    metrics::registry reg;
    model::instrument_registry registry;
    asio::io_context ioc{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread io_thread;
    std::shared_ptr<asio::ssl::context> tls;
    std::unique_ptr<net::connect_budget> budget;
    std::unique_ptr<net::connectivity_probe> probe;
    std::unique_ptr<dispatch::consumer_pool> pool;
    std::vector<std::unique_ptr<dispatch::shard>> shards;
    std::vector<std::unique_ptr<shard_router>> routers;
    std::vector<std::unique_ptr<exchange::connection>> conns;
    std::unique_ptr<http::server> http_server;
    std::uint16_t http_port = 0;
    std::array<metrics::counter*, exchange::bybit::channel_count> messages{};
    metrics::histogram* handle_hist = nullptr;
    std::array<metrics::histogram*, 5> latency_hist{};
    std::vector<metrics::histogram*> callback_hist;
    struct pending_consumer {
        std::shared_ptr<dispatch::consumer> c;
        dispatch::consumer_options opts;
    };
    std::vector<pending_consumer> consumers;
    asio::steady_timer summary_timer{ioc};
    asio::steady_timer watchdog_timer{ioc};
    std::uint64_t summary_last = 0;
    steady::time_point started_at{};
    unix_nanos started_wall{};
    bool running = false;
    bool stopped = false;

    // Runs f on the I/O thread and waits for its result (the HTTP handlers are already there).
    template <class F> auto on_io(F&& f) -> decltype(f()) {
        if (!running || ioc.get_executor().running_in_this_thread()) {
            return f();
        }
        std::packaged_task<decltype(f())()> task(std::forward<F>(f));
        auto fut = task.get_future();
        asio::post(ioc, [&task] { task(); });
        return fut.get();
    }

    std::uint64_t data_frames() const {
        std::uint64_t n = 0;
        for (const auto& r : routers) {
            n += r->data_frames();
        }
        return n;
    }

    void setup_metrics();
    void collect(metrics::family_writer& w);
    [[nodiscard]] std::string status();
    [[nodiscard]] bool readiness(std::string* reasons);
    void schedule_summary();
    void schedule_watchdog(std::chrono::microseconds interval);
    void register_routes();
    [[nodiscard]] const dispatch::book_status* book_status_of(model::instrument_id id,
                                                              std::uint16_t depth) const;
};

void gateway::impl::setup_metrics() {
    const metrics::labels base{{"venue", "bybit"},
                               {"category", std::string(model::to_string(opts.cat))}};
    for (std::size_t c = 0; c < exchange::bybit::channel_count; ++c) {
        auto l = base;
        l.emplace_back("channel", std::string(exchange::bybit::to_string(static_cast<channel>(c))));
        messages[c] = &reg.counter("mdgate_ws_messages_total",
                                   "Data frames received from the venue, by channel", l);
    }
    handle_hist = &reg.histogram("mdgate_handle_duration_seconds",
                                 "Time from reading a frame to its state being applied",
                                 metrics::latency_seconds_buckets);
    for (std::size_t k = 0; k < latency_hist.size(); ++k) {
        latency_hist[k] = &reg.histogram(
            "mdgate_exchange_latency_seconds",
            "Local receive time minus the venue's message time, by channel",
            metrics::latency_seconds_buckets,
            {{"channel", std::string(item_label(static_cast<dispatch::item_kind>(k)))}});
    }
    reg.gauge("mdgate_build_info", "Version of the running gateway", {{"version", opts.version}})
        .set(1);
    metrics::add_process_metrics(reg);
    reg.add_collector([this](metrics::family_writer& w) { collect(w); });
}

// Series computed at scrape time from the components' own counters. Runs on the I/O thread
// (the HTTP handler), where the connections' plain counters live.
void gateway::impl::collect(metrics::family_writer& w) {
    const auto now = steady::now();
    std::uint64_t bytes = 0;
    std::uint64_t handler_timeouts = 0;
    std::array<std::uint64_t, 4> step_failures{};
    std::uint64_t pong_timeouts = 0;
    std::map<std::string, std::uint64_t> decode;
    for (const auto& c : conns) {
        const auto& s = c->stats();
        bytes += s.bytes;
        handler_timeouts += s.handler_timeouts;
        pong_timeouts += s.pong_timeouts;
        for (std::size_t i = 0; i < step_failures.size(); ++i) {
            step_failures[i] += s.connect_failures_by_step[i];
        }
        for (const auto& [k, v] : s.decode_error_kinds) {
            decode[k] += v;
        }
    }
    w.begin("mdgate_ws_bytes_total", "Bytes of frames received from the venue",
            metrics::metric_type::counter);
    w.sample({{"venue", "bybit"}, {"category", std::string(model::to_string(opts.cat))}},
             static_cast<double>(bytes));
    w.begin("mdgate_handler_timeouts_total",
            "Receive watchdog firings ([HANDLER_TIMEOUT]: no frame within receive_timeout)",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(handler_timeouts));
    w.begin("mdgate_network_errors_total",
            "Network failures: connect steps, pong timeouts and failed connectivity probes",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < step_failures.size(); ++i) {
        w.sample({{"kind", std::string(connect_steps[i])}}, static_cast<double>(step_failures[i]));
    }
    w.sample({{"kind", "pong_timeout"}}, static_cast<double>(pong_timeouts));
    w.sample({{"kind", "probe"}},
             static_cast<double>(probe ? probe->stats().validation_failures : 0));
    w.begin("mdgate_decode_errors_total", "Frames that could not be decoded, by error kind",
            metrics::metric_type::counter);
    if (decode.empty()) {
        w.sample({{"kind", "none"}}, 0);
    }
    for (const auto& [k, v] : decode) {
        w.sample({{"kind", k}}, static_cast<double>(v));
    }

    w.begin("mdgate_reconnects_total", "Reconnections per connection",
            metrics::metric_type::counter);
    for (const auto& c : conns) {
        w.sample({{"connection", c->options().id}}, static_cast<double>(c->stats().reconnects));
    }
    w.begin("mdgate_connection_up", "1 when the connection is live", metrics::metric_type::gauge);
    for (const auto& c : conns) {
        w.sample({{"connection", c->options().id}},
                 c->state() == exchange::connection_state::live ? 1.0 : 0.0);
    }
    w.begin("mdgate_connection_state", "1 for the connection's current state",
            metrics::metric_type::gauge);
    for (const auto& c : conns) {
        for (std::size_t s = 0; s < state_names.size(); ++s) {
            w.sample({{"connection", c->options().id}, {"state", std::string(state_names[s])}},
                     static_cast<std::size_t>(c->state()) == s ? 1.0 : 0.0);
        }
    }
    w.begin("mdgate_connections_expected", "Connections planned for the configured topics",
            metrics::metric_type::gauge);
    w.sample({}, static_cast<double>(conns.size()));
    w.begin("mdgate_subscriptions_rejected_total", "Topics the venue refused",
            metrics::metric_type::counter);
    std::uint64_t rejected = 0;
    for (const auto& c : conns) {
        rejected += c->stats().topics_rejected;
    }
    w.sample({}, static_cast<double>(rejected));
    w.begin("mdgate_topic_last_message_age_seconds",
            "Seconds since the topic's last data frame (-1: none yet); one series per "
            "configured topic",
            metrics::metric_type::gauge);
    for (const auto& c : conns) {
        for (const auto& [t, info] : c->subscriptions().topics()) {
            w.sample({{"topic", t}},
                     info.last_data == steady::time_point{} ? -1.0 : seconds(now - info.last_data));
        }
    }

    std::uint64_t gaps = 0;
    std::uint64_t crossed = 0;
    std::uint64_t resyncs = 0;
    std::array<std::uint64_t, book::book_state_count> books{};
    for (const auto& s : shards) {
        const auto& st = s->stats();
        gaps += st.gaps.load();
        crossed += st.crossed.load() + st.invalid.load();
        resyncs += st.resyncs.load();
        for (std::size_t i = 0; i < books.size(); ++i) {
            books[i] += st.books[i].load();
        }
    }
    w.begin("mdgate_book_gaps_total", "Book updates whose u did not follow the previous one",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(gaps));
    w.begin("mdgate_book_crossed_total", "Books found crossed or invalid after an update",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(crossed));
    w.begin("mdgate_book_resyncs_total", "Surgical resubscriptions of one book topic",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(resyncs));
    w.begin("mdgate_books", "Expected order books by state", metrics::metric_type::gauge);
    for (std::size_t i = 0; i < books.size(); ++i) {
        w.sample({{"state", std::string(book::to_string(static_cast<book::book_state>(i)))}},
                 static_cast<double>(books[i]));
    }

    w.begin("mdgate_queue_depth", "Items waiting in a queue", metrics::metric_type::gauge);
    for (const auto& s : shards) {
        w.sample({{"queue", fmt::format("shard_{}", &s - shards.data())}},
                 static_cast<double>(s->queue_depth()));
    }
    for (std::size_t i = 0; i < pool->size(); ++i) {
        w.sample({{"queue", "consumer_" + pool->consumer_opts(i).name}},
                 static_cast<double>(pool->stats(i).depth.load()));
    }
    w.begin("mdgate_queue_dropped_total",
            "Items a queue dropped (full) or replaced by a newer state (conflated)",
            metrics::metric_type::counter);
    for (const auto& s : shards) {
        w.sample({{"queue", fmt::format("shard_{}", &s - shards.data())}, {"reason", "full"}},
                 static_cast<double>(s->stats().dropped_full.load()));
    }
    for (std::size_t i = 0; i < pool->size(); ++i) {
        const auto q = "consumer_" + pool->consumer_opts(i).name;
        w.sample({{"queue", q}, {"reason", "drop_oldest"}},
                 static_cast<double>(pool->stats(i).dropped_oldest.load()));
        w.sample({{"queue", q}, {"reason", "conflated"}},
                 static_cast<double>(pool->stats(i).conflated.load()));
    }
    w.begin("mdgate_callback_timeouts_total", "Consumer callbacks that overran their time budget",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < pool->size(); ++i) {
        w.sample({{"consumer", pool->consumer_opts(i).name}},
                 static_cast<double>(pool->stats(i).timeouts.load()));
    }
    w.begin("mdgate_consumer_events_total", "Events delivered to each consumer",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < pool->size(); ++i) {
        w.sample({{"consumer", pool->consumer_opts(i).name}},
                 static_cast<double>(pool->stats(i).delivered.load()));
    }
    w.begin("mdgate_log_messages_total", "Log lines written, by level",
            metrics::metric_type::counter);
    for (const auto lvl : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                           spdlog::level::warn, spdlog::level::err, spdlog::level::critical}) {
        w.sample({{"level", std::string(spdlog::level::to_string_view(lvl).data(),
                                        spdlog::level::to_string_view(lvl).size())}},
                 static_cast<double>(core::log_messages(lvl)));
    }
}

const dispatch::book_status* gateway::impl::book_status_of(model::instrument_id id,
                                                           std::uint16_t depth) const {
    for (const auto& st : shards[id.value % shards.size()]->books()) {
        if (st->instrument == id && st->depth == depth) {
            return st.get();
        }
    }
    return nullptr;
}

// Ready when every configured topic is subscribed, its connection live, its data fresh
// against its channel's threshold, and (books) its book live. Runs on the I/O thread.
bool gateway::impl::readiness(std::string* reasons) {
    const auto now = steady::now();
    json_writer j;
    j.begin_array();
    std::size_t bad = 0;
    auto fail = [&](std::string_view topic, std::string_view conn, std::string text) {
        ++bad;
        if (reasons != nullptr && bad <= 100) {
            j.begin_object();
            j.field("topic", topic);
            j.field("connection", conn);
            j.field("reason", text);
            j.end_object();
        }
    };
    if (!running) {
        fail("", "", "the gateway is not running");
    }
    for (const auto& c : conns) {
        const auto& id = c->options().id;
        const bool live = c->state() == exchange::connection_state::live;
        for (const auto& [t, info] : c->subscriptions().topics()) {
            auto parsed = exchange::bybit::parse_topic(t);
            if (!parsed) {
                continue;
            }
            if (info.state == exchange::topic_state::failed) {
                fail(t, id, "rejected by the venue: " + info.reason);
                continue;
            }
            if (!live) {
                fail(t, id, fmt::format("connection {}", to_string(c->state())));
                continue;
            }
            if (info.state != exchange::topic_state::active) {
                fail(t, id, "subscription not confirmed");
                continue;
            }
            const auto limit = threshold(opts.freshness, parsed->ch);
            if (limit.count() > 0) {
                if (info.last_data == steady::time_point{}) {
                    fail(t, id, "no data yet");
                    continue;
                }
                if (now - info.last_data > limit) {
                    fail(t, id,
                         fmt::format("stale: no data for {:.1f} s (threshold {:.1f} s)",
                                     seconds(now - info.last_data), seconds(limit)));
                    continue;
                }
            }
            if (parsed->ch == channel::orderbook) {
                auto inst = registry.find(model::venue::bybit, opts.cat, parsed->symbol);
                const auto* st = inst ? book_status_of(*inst, parsed->depth) : nullptr;
                const auto bs = st != nullptr ? static_cast<book::book_state>(st->state.load())
                                              : book::book_state::syncing;
                if (bs != book::book_state::live) {
                    fail(t, id, fmt::format("book {}", book::to_string(bs)));
                }
            }
        }
    }
    j.end_array();
    if (reasons != nullptr) {
        *reasons = fmt::format("{{\"ready\":{},\"not_ready_topics\":{},\"reasons\":{}}}",
                               bad == 0 ? "true" : "false", bad, j.str());
    }
    return bad == 0;
}

std::string gateway::impl::status() {
    const auto now = steady::now();
    json_writer j;
    j.begin_object();
    j.field("version", opts.version);
    j.field("venue", "bybit");
    j.field("category", model::to_string(opts.cat));
    j.field("started_at_unix_ms", started_wall.millis());
    j.field("uptime_seconds", seconds(now - started_at));
    std::size_t live = 0;
    for (const auto& c : conns) {
        live += c->state() == exchange::connection_state::live ? 1U : 0U;
    }
    j.field("total_connections", conns.size()); // expected, not merely the open ones
    j.field("live_connections", live);
    j.field("ready", readiness(nullptr));
    auto age = [&](steady::time_point t) {
        return t == steady::time_point{} ? -1.0 : seconds(now - t);
    };
    j.key("connections");
    j.begin_array();
    std::uint64_t frames = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t decode_errors = 0;
    for (const auto& c : conns) {
        const auto& s = c->stats();
        frames += s.frames;
        reconnects += s.reconnects;
        timeouts += s.handler_timeouts;
        decode_errors += s.decode_errors;
        j.begin_object();
        j.field("id", c->options().id);
        j.field("state", to_string(c->state()));
        j.field("url", c->options().url);
        j.field("topics", c->subscriptions().topics().size());
        j.field("last_message_age_seconds", age(c->last_rx()));
        j.field("last_pong_age_seconds", age(c->last_pong()));
        j.field("frames", s.frames);
        j.field("reconnects", s.reconnects);
        j.field("connect_failures", s.connect_failures);
        j.field("handler_timeouts", s.handler_timeouts);
        j.field("decode_errors", s.decode_errors);
        j.field("topics_rejected", s.topics_rejected);
        j.end_object();
    }
    j.end_array();
    j.key("topics");
    j.begin_array();
    for (const auto& c : conns) {
        for (const auto& [t, info] : c->subscriptions().topics()) {
            j.begin_object();
            j.field("topic", t);
            j.field("connection", c->options().id);
            j.field("state", exchange::to_string(info.state));
            if (!info.reason.empty()) {
                j.field("reason", info.reason);
            }
            j.field("age_seconds", age(info.last_data));
            j.field("messages", info.messages);
            auto parsed = exchange::bybit::parse_topic(t);
            if (parsed && parsed->ch == channel::orderbook) {
                auto inst = registry.find(model::venue::bybit, opts.cat, parsed->symbol);
                if (const auto* st = inst ? book_status_of(*inst, parsed->depth) : nullptr) {
                    j.field("book_state",
                            book::to_string(static_cast<book::book_state>(st->state.load())));
                    j.field("update_id", st->update_id.load());
                }
            }
            j.end_object();
        }
    }
    j.end_array();
    std::uint64_t callback_timeouts = 0;
    std::uint64_t dropped = 0;
    for (std::size_t i = 0; i < pool->size(); ++i) {
        callback_timeouts += pool->stats(i).timeouts.load();
        dropped += pool->stats(i).dropped_oldest.load();
    }
    std::uint64_t gaps = 0;
    for (const auto& s : shards) {
        gaps += s->stats().gaps.load();
        dropped += s->stats().dropped_full.load();
    }
    j.key("totals");
    j.begin_object();
    j.field("frames", frames);
    j.field("data_messages", data_frames());
    j.field("reconnects", reconnects);
    j.field("handler_timeouts", timeouts);
    j.field("decode_errors", decode_errors);
    j.field("book_gaps", gaps);
    j.field("callback_timeouts", callback_timeouts);
    j.field("queue_drops", dropped);
    j.field("network_validation_failures",
            probe ? probe->stats().validation_failures : std::uint64_t{0});
    j.end_object();
    j.end_object();
    return j.str();
}

void gateway::impl::schedule_summary() {
    summary_timer.expires_after(opts.summary_interval);
    summary_timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped) {
            return;
        }
        const auto n = data_frames();
        // The old service's throughput line, kept verbatim for the runbooks; printed on
        // every tick, also when nothing arrived.
        spdlog::info(
            "WebSocket messages received: {} in the last {} seconds", n - summary_last,
            std::chrono::duration_cast<std::chrono::seconds>(opts.summary_interval).count());
        summary_last = n;
        schedule_summary();
    });
}

// systemd's watchdog is fed from the I/O loop itself: a frozen loop stops the keep-alives and
// systemd restarts the service.
void gateway::impl::schedule_watchdog(std::chrono::microseconds interval) {
    watchdog_timer.expires_after(interval / 2);
    watchdog_timer.async_wait([this, interval](const boost::system::error_code& ec) {
        if (ec || stopped) {
            return;
        }
        core::systemd::notify_watchdog();
        schedule_watchdog(interval);
    });
}

void gateway::impl::register_routes() {
    http_server->route("/metrics", [this](const http::request&) {
        http::response r;
        r.content_type = std::string(metrics::content_type);
        r.body = reg.render();
        return r;
    });
    http_server->route("/healthz", [](const http::request&) {
        http::response r;
        r.content_type = "application/json";
        r.body = "{\"status\":\"ok\"}";
        return r;
    });
    http_server->route("/readyz", [this](const http::request&) {
        http::response r;
        r.content_type = "application/json";
        r.status = readiness(&r.body) ? 200 : 503;
        return r;
    });
    http_server->route("/v1/status", [this](const http::request&) {
        http::response r;
        r.content_type = "application/json";
        r.body = status();
        return r;
    });
}

gateway::gateway(gateway_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

gateway::~gateway() {
    stop();
}

void gateway::add_consumer(std::shared_ptr<dispatch::consumer> c, dispatch::consumer_options opts) {
    impl_->consumers.push_back({std::move(c), std::move(opts)});
}

bool gateway::start(std::string& error) {
    // spdlog creates its registry lazily inside the (uninstrumented) shared library: make it
    // exist before this function starts threads that log (ThreadSanitizer cannot see the
    // library's own guard).
    (void)spdlog::default_logger_raw();
    auto& m = *impl_;
    auto& o = m.opts;
    auto plan = exchange::bybit::plan_connections(o.cat, o.topics, o.plan, error);
    if (!plan) {
        return false;
    }
    if (std::string why; !net::parse_ws_url(o.ws_url, why)) {
        error = fmt::format("ws url '{}': {}", o.ws_url, why);
        return false;
    }
    try {
        m.tls = net::make_client_tls_context(o.ca_file);
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
    m.setup_metrics();
    // Every instrument is registered before any other thread runs (the registry is then
    // read-only).
    for (const auto& cp : *plan) {
        for (const auto& t : cp.topics) {
            if (auto p = exchange::bybit::parse_topic(t)) {
                (void)m.registry.intern(model::venue::bybit, o.cat, p->symbol);
            }
        }
    }
    dispatch::consumer_pool::options po;
    po.threads = o.consumer_threads;
    po.spin = o.spin;
    po.namer = [&m](dispatch::event_kind k, model::instrument_id id, unsigned detail) {
        const auto& sym = m.registry.info(id).symbol;
        switch (k) {
        case dispatch::event_kind::book:
            return fmt::format("orderbook.{}.{}", detail, sym);
        case dispatch::event_kind::ticker:
            return fmt::format("tickers.{}", sym);
        case dispatch::event_kind::trade:
            return fmt::format("publicTrade.{}", sym);
        case dispatch::event_kind::kline:
            return fmt::format("kline.{}.{}",
                               model::to_string(static_cast<model::kline_interval>(detail)), sym);
        case dispatch::event_kind::liquidation:
            return fmt::format("allLiquidation.{}", sym);
        }
        return sym;
    };
    m.pool = std::make_unique<dispatch::consumer_pool>(std::move(po), m.registry);
    for (auto& pc : m.consumers) {
        auto& h = m.reg.histogram(
            "mdgate_callback_duration_seconds", "Duration of consumer callbacks",
            metrics::callback_duration_seconds_buckets, {{"consumer", pc.opts.name}});
        m.pool->add(pc.c, pc.opts, [&h](std::chrono::nanoseconds d) { h.observe(seconds(d)); });
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(o.shards, 1); ++i) {
        dispatch::shard::options so;
        so.index = i;
        so.queue_capacity = o.shard_queue;
        so.spin = o.spin;
        so.resync = [&m](std::uint32_t src, model::instrument_id id, std::uint16_t depth) {
            m.conns[src]->request_resync(
                fmt::format("orderbook.{}.{}", depth, m.registry.info(id).symbol));
        };
        so.on_handled = [&m](std::chrono::nanoseconds d) {
            m.handle_hist->observe(seconds(d));
            if (m.opts.on_handled) {
                m.opts.on_handled(d);
            }
        };
        so.on_latency = [&m](dispatch::item_kind k, std::chrono::nanoseconds d) {
            m.latency_hist[static_cast<std::size_t>(k)]->observe(seconds(d));
        };
        m.shards.push_back(std::make_unique<dispatch::shard>(std::move(so), m.pool.get()));
    }
    m.budget = std::make_unique<net::connect_budget>(o.budget);
    if (o.probe_enabled && !o.probe.url.empty()) {
        m.probe = std::make_unique<net::connectivity_probe>(m.ioc.get_executor(), m.tls, o.probe);
    }
    for (std::size_t i = 0; i < plan->size(); ++i) {
        const auto& cp = (*plan)[i];
        auto co = o.connection;
        co.id = cp.id;
        co.cat = o.cat;
        co.url = o.ws_url;
        co.topics = cp.topics;
        if (m.probe) {
            co.probe = [&m]() -> asio::awaitable<void> {
                (void)co_await m.probe->check();
            };
        }
        m.routers.push_back(std::make_unique<shard_router>(static_cast<std::uint32_t>(i), o.cat,
                                                           m.registry, m.shards, m.messages));
        for (const auto& t : cp.topics) {
            auto p = exchange::bybit::parse_topic(t);
            if (p && p->ch == channel::orderbook) {
                const auto id = *m.registry.find(model::venue::bybit, o.cat, p->symbol);
                m.shards[id.value % m.shards.size()]->expect_book(id, p->depth);
            }
        }
        m.conns.push_back(std::make_unique<exchange::connection>(
            m.ioc.get_executor(), m.tls, *m.budget, m.registry, *m.routers.back(), std::move(co)));
    }
    if (o.http_enabled) {
        m.http_server = std::make_unique<http::server>(m.ioc.get_executor(), o.http);
        m.register_routes();
        std::string why;
        auto port = m.http_server->start(why);
        if (!port) {
            error = fmt::format("http listen: {}", why);
            return false;
        }
        m.http_port = *port;
    }
    m.pool->start();
    for (auto& s : m.shards) {
        s->start();
    }
    m.started_at = steady::now();
    m.started_wall = core::default_clock().now();
    for (auto& c : m.conns) {
        asio::co_spawn(m.ioc, c->run(), asio::detached);
    }
    m.summary_last = 0;
    m.schedule_summary();
    if (auto wd = core::systemd::watchdog_interval()) {
        m.schedule_watchdog(*wd);
    }
    m.work.emplace(m.ioc.get_executor());
    m.running = true;
    m.io_thread = std::thread([&m] { m.ioc.run(); });
    spdlog::info("Gateway started: {} topics on {} connections, {} shards, {} consumer threads{}",
                 o.topics.size(), m.conns.size(), m.shards.size(), o.consumer_threads,
                 m.http_port != 0 ? fmt::format(", http on {}:{}", o.http.address, m.http_port)
                                  : std::string{});
    core::systemd::notify_ready();
    return true;
}

bool gateway::stop() {
    auto& m = *impl_;
    if (m.stopped || !m.running) {
        m.stopped = true;
        return true;
    }
    core::systemd::notify_stopping();
    spdlog::info("Gateway stopping: closing {} connections", m.conns.size());
    // 1. Stop accepting: HTTP and the connections (close frames), on the I/O thread.
    asio::post(m.ioc, [&m] {
        m.stopped = true;
        if (m.http_server) {
            m.http_server->stop();
        }
        for (auto& c : m.conns) {
            c->stop();
        }
        if (m.probe) {
            m.probe->stop();
        }
        m.summary_timer.cancel();
        m.watchdog_timer.cancel();
    });
    // 2. Let the closes finish (bounded), then end the loop.
    const auto deadline = steady::now() + 3s;
    while (steady::now() < deadline) {
        const bool all_stopped = m.on_io([&] {
            return std::all_of(m.conns.begin(), m.conns.end(), [](const auto& c) {
                return c->state() == exchange::connection_state::stopped;
            });
        });
        if (all_stopped) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    m.work.reset();
    const auto quiet = steady::now() + 1s;
    while (!m.ioc.stopped() && steady::now() < quiet) {
        std::this_thread::sleep_for(5ms);
    }
    m.ioc.stop();
    if (m.io_thread.joinable()) {
        m.io_thread.join();
    }
    m.running = false;
    // 3. Drain the shards (everything read is applied), then the consumers.
    for (auto& s : m.shards) {
        s->stop();
    }
    const bool clean = m.pool->stop(m.opts.drain_timeout);
    spdlog::info("Gateway stopped{}", clean ? "" : " (a consumer did not finish in time)");
    return clean;
}

std::uint16_t gateway::http_port() const noexcept {
    return impl_->http_port;
}
std::size_t gateway::connection_count() const noexcept {
    return impl_->conns.size();
}
std::string gateway::metrics_text() {
    return impl_->on_io([&] { return impl_->reg.render(); });
}
std::string gateway::status_json() {
    return impl_->on_io([&] { return impl_->status(); });
}
bool gateway::ready(std::string* reasons_json) {
    return impl_->on_io([&] { return impl_->readiness(reasons_json); });
}
gateway_totals gateway::totals() {
    return impl_->on_io([&] {
        auto& m = *impl_;
        gateway_totals t;
        t.connections = m.conns.size();
        for (const auto& c : m.conns) {
            const auto& s = c->stats();
            t.connections_live += c->state() == exchange::connection_state::live ? 1U : 0U;
            t.frames += s.frames;
            t.reconnects += s.reconnects;
            t.handler_timeouts += s.handler_timeouts;
            t.decode_errors += s.decode_errors;
            t.resubscribes += s.resubscribes;
        }
        t.data_messages = m.data_frames();
        for (const auto& sh : m.shards) {
            const auto& st = sh->stats();
            t.book_gaps += st.gaps.load() + st.crossed.load() + st.invalid.load();
            t.queue_drops += st.dropped_full.load();
            for (std::size_t i = 0; i < t.books.size(); ++i) {
                t.books[i] += st.books[i].load();
            }
        }
        for (std::size_t i = 0; m.pool && i < m.pool->size(); ++i) {
            t.callback_timeouts += m.pool->stats(i).timeouts.load();
            t.queue_drops += m.pool->stats(i).dropped_oldest.load();
        }
        t.network_validation_failures = m.probe ? m.probe->stats().validation_failures : 0;
        return t;
    });
}

const model::instrument_registry& gateway::instruments() const noexcept {
    return impl_->registry;
}

metrics::registry& gateway::metrics() noexcept {
    return impl_->reg;
}

std::optional<book_copy> gateway::book(std::string_view symbol, std::uint16_t depth) {
    auto& m = *impl_;
    auto id = m.registry.find(model::venue::bybit, m.opts.cat, symbol);
    if (!id || m.shards.empty()) {
        return std::nullopt;
    }
    std::optional<book_copy> out;
    (void)m.shards[id->value % m.shards.size()]->query([&](const market::market_state& s) {
        if (const auto* e = s.book(*id, depth)) {
            book_copy c;
            c.state = e->book.state();
            c.update_id = e->book.update_id();
            for (std::size_t i = 0; i < e->book.bid_count(); ++i) {
                c.bids.push_back(e->book.bid(i));
            }
            for (std::size_t i = 0; i < e->book.ask_count(); ++i) {
                c.asks.push_back(e->book.ask(i));
            }
            out = std::move(c);
        }
    });
    return out;
}

} // namespace mdg::gateway
