#include "gateway/gateway.hpp"

#include <algorithm>
#include <future>
#include <span>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/systemd.hpp"
#include "dispatch/consumer_pool.hpp"
#include "dispatch/shard.hpp"
#include "exchange/bybit/topic.hpp"
#include "gateway/api_host.hpp"
#include "gateway/detail/seconds.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/gateway_view.hpp"
#include "gateway/health.hpp"
#include "gateway/shard_router.hpp"
#include "gateway/systemd_status.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;
using detail::seconds;
using exchange::bybit::channel;

namespace {

// Hands the backfill's history to the shard that owns its instrument, where it merges with the
// stream's updates in queue order. Runs on the I/O thread, the single producer of every shard
// queue; a full queue refuses the batch without counting a drop (the backfill offers it again).
class shard_history_sink final : public history_sink, public refresh_sink {
  public:
    explicit shard_history_sink(std::span<const std::unique_ptr<dispatch::shard>> shards)
        : shards_(shards) {}

    bool kline_history(std::span<const model::kline> h) override {
        return offer(h.front().instrument, h, [](dispatch::shard_item& it, auto copy) {
            it.kind = dispatch::item_kind::kline_history;
            it.klines = copy;
        });
    }
    bool trade_history(std::span<const model::trade> h) override {
        return offer(h.front().instrument, h, [](dispatch::shard_item& it, auto copy) {
            it.kind = dispatch::item_kind::trade_history;
            it.trades = copy;
        });
    }
    bool open_interest_history(model::instrument_id id,
                               std::span<const model::open_interest_point> h) override {
        return offer(id, h, [id](dispatch::shard_item& it, auto copy) {
            it.kind = dispatch::item_kind::open_interest_history;
            it.instrument = id;
            it.open_interest = copy;
        });
    }

    bool rest_book(const model::book_update& b) override {
        auto& sh = *shards_[b.instrument.value % shards_.size()];
        auto* it = sh.claim(dispatch::payload_size<model::level>(b.bids.size()) +
                                dispatch::payload_size<model::level>(b.asks.size()),
                            dispatch::shard::if_full::retry);
        if (it == nullptr) {
            return false;
        }
        std::size_t at = 0;
        it->kind = dispatch::item_kind::rest_book;
        it->source = 0;
        it->read_ns = 0;
        it->book = b;
        it->book.bids = dispatch::put_payload(*it, at, b.bids);
        it->book.asks = dispatch::put_payload(*it, at, b.asks);
        sh.commit();
        return true;
    }
    bool rest_ticker(const model::ticker_update& t) override {
        return offer(t.instrument, std::span{&t, 1}, [](dispatch::shard_item& it, auto copy) {
            it.kind = dispatch::item_kind::rest_ticker;
            it.ticker = copy.data();
        });
    }

  private:
    template <class T, class Fill>
    bool offer(model::instrument_id id, std::span<const T> h, Fill fill) {
        auto& sh = *shards_[id.value % shards_.size()];
        auto* it = sh.claim(dispatch::payload_size<T>(h.size()), dispatch::shard::if_full::retry);
        if (it == nullptr) {
            return false;
        }
        std::size_t at = 0;
        it->source = 0;
        it->read_ns = 0;
        fill(*it, dispatch::put_payload(*it, at, h));
        sh.commit();
        return true;
    }

    std::span<const std::unique_ptr<dispatch::shard>> shards_; // outlive: the sink
};

// The backfill's jobs for the subscribed topics (kline intervals, tickers and trades per
// instrument).
std::vector<backfill_job> history_jobs(const gateway_options& o,
                                       const model::instrument_registry& registry) {
    std::vector<backfill_plan_input> subs;
    for (const auto& t : o.topics) {
        const auto p = exchange::bybit::parse_topic(t);
        if (!p) {
            continue;
        }
        const auto id = registry.find(model::venue::bybit, o.cat, p->symbol);
        if (!id) {
            continue;
        }
        auto it = std::find_if(subs.begin(), subs.end(),
                               [&](const auto& s) { return s.instrument == *id; });
        if (it == subs.end()) {
            subs.push_back(backfill_plan_input{*id, {}, false, false});
            it = subs.end() - 1;
        }
        if (p->ch == channel::kline) {
            it->intervals.push_back(p->interval);
        } else if (p->ch == channel::tickers) {
            it->tickers = true;
        } else if (p->ch == channel::public_trade) {
            it->trades = true;
        }
    }
    const auto& h = o.history;
    backfill_depths depths;
    depths.klines = [&h](model::kline_interval iv) {
        const auto it = h.klines.find(iv);
        return it != h.klines.end() ? it->second : h.kline_default;
    };
    depths.open_interest = h.open_interest;
    depths.trades = h.trades;
    return plan_backfill(o.cat, subs, depths);
}

} // namespace

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
    // The market REST side (docs/rest.md): one limiter, one client, the backfill feeding the
    // shards through the sink. Destroyed before the shards and the probe they refer to.
    std::unique_ptr<net::rate_limiter> rest_limiter;
    std::unique_ptr<net::rest_client> rest;
    std::unique_ptr<shard_history_sink> history_sink;
    std::unique_ptr<backfill> history;
    std::unique_ptr<rest_poller> polls;
    std::unique_ptr<emergency_refresh> refresh;
    // Before the connections, which keep a pointer to it (destroyed after them).
    std::unique_ptr<record::recorder> recorder;
    std::vector<std::unique_ptr<exchange::connection>> conns;
    // The API thread and what runs on it; declared before the server so that the server is
    // destroyed first (its stop is queued to the API thread's io_context).
    std::unique_ptr<api_host> api;
    std::unique_ptr<http::server> http_server;
    std::uint16_t http_port = 0;
    gateway_metrics met;
    struct pending_consumer {
        std::shared_ptr<dispatch::consumer> c;
        dispatch::consumer_options opts;
    };
    std::vector<pending_consumer> consumers;
    asio::steady_timer summary_timer{ioc};
    asio::steady_timer freshness_timer{ioc};
    asio::steady_timer refresh_timer{ioc};
    asio::steady_timer watchdog_timer{ioc};
    asio::steady_timer status_timer{ioc};
    std::uint64_t status_frames = 0; // data frames at the last STATUS= line
    steady::time_point status_at{};
    std::uint64_t summary_last = 0;
    steady::time_point started_at{};
    unix_nanos started_wall{};
    std::atomic<bool> running{false}; // read by the API thread (on_io)
    bool stopped = false;

    // Runs f on the I/O thread and waits for its result: the HTTP handlers run on the API
    // thread, and what they report (connections, subscriptions) lives on the I/O thread. The
    // I/O thread never waits for the API thread, so this cannot deadlock; stop() ends the API
    // thread before the I/O thread.
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

    // What readiness, status and the scrape read, as of now. On the I/O thread.
    [[nodiscard]] gateway_view view() const;
    void setup_metrics();
    void schedule_summary();
    void schedule_freshness(std::chrono::milliseconds every);
    void schedule_refresh();
    void schedule_watchdog(std::chrono::microseconds interval);
    void schedule_status();
    void send_status();
    void register_routes();
    bool start_rest(std::string& error);
};

// The market REST client and the backfill, when configured. Before the I/O thread runs.
bool gateway::impl::start_rest(std::string& error) {
    if (!opts.rest.enabled) {
        return true;
    }
    auto jobs = opts.history.enabled ? history_jobs(opts, registry) : std::vector<backfill_job>{};
    std::vector<model::instrument_id> instruments;
    for (std::uint32_t i = 0; i < registry.size(); ++i) {
        instruments.push_back(model::instrument_id{i});
    }
    auto poll_jobs = plan_polls(opts.cat, instruments, opts.poll);
    auto co = opts.rest.client;
    if (co.url.empty()) {
        co.url = opts.probe.url;
    }
    const bool refreshing = opts.refresh.orderbook.count() > 0 || opts.refresh.tickers.count() > 0;
    if ((jobs.empty() && poll_jobs.empty() && !refreshing) || co.url.empty()) {
        return true;
    }
    rest_limiter = std::make_unique<net::rate_limiter>(opts.rest.limits);
    try {
        rest = std::make_unique<net::rest_client>(
            ioc.get_executor(), tls, *rest_limiter, std::move(co), [this] {
                return probe && probe->breaker_state() == net::circuit_breaker::state::open;
            });
    } catch (const std::invalid_argument& e) {
        error = fmt::format("rest url: {}", e.what());
        return false;
    }
    if (!poll_jobs.empty()) {
        // REST-only data has no stream updates to be ordered with: straight to the consumers.
        polls = std::make_unique<rest_poller>(
            ioc.get_executor(), *rest, registry, opts.cat, std::move(poll_jobs),
            [this](std::shared_ptr<const dispatch::venue_data> d) {
                pool->publish_venue_data(std::move(d));
            });
    }
    history_sink = std::make_unique<shard_history_sink>(shards);
    if (refreshing) {
        refresh = std::make_unique<emergency_refresh>(ioc.get_executor(), *rest, registry, opts.cat,
                                                      *history_sink, opts.refresh, steady::now());
    }
    if (jobs.empty()) {
        return true;
    }
    backfill_options bo;
    bo.cat = opts.cat;
    bo.jobs = std::move(jobs);
    bo.retry_base = opts.history.retry_base;
    bo.retry_cap = opts.history.retry_cap;
    history = std::make_unique<backfill>(ioc.get_executor(), *rest, registry, *history_sink,
                                         std::move(bo));
    return true;
}

gateway_view gateway::impl::view() const {
    gateway_view v{.cat = opts.cat,
                   .version = opts.version,
                   .running = running,
                   .now = steady::now(),
                   .started_at = started_at,
                   .started_wall = started_wall,
                   .connections = {},
                   .shards = shards,
                   .registry = registry,
                   .pool = pool.get(),
                   .data_frames = data_frames(),
                   .network_validation_failures =
                       probe ? probe->stats().validation_failures : std::uint64_t{0},
                   .history = history.get(),
                   .rest = rest.get(),
                   .polls = polls.get(),
                   .refresh = refresh.get()};
    v.connections.reserve(conns.size());
    for (const auto& c : conns) {
        v.connections.push_back(view_of(*c));
    }
    return v;
}

void gateway::impl::setup_metrics() {
    met = register_metrics(reg, opts.cat, opts.version);
    reg.add_collector([this](metrics::family_writer& w) { collect(w, view()); });
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
        const auto secs =
            std::chrono::duration_cast<std::chrono::seconds>(opts.summary_interval).count();
        core::log_event(
            spdlog::level::info,
            {{"event", "throughput"}, {"messages", n - summary_last}, {"seconds", secs}},
            "WebSocket messages received: {} in the last {} seconds", n - summary_last, secs);
        summary_last = n;
        schedule_summary();
    });
}

// Silent channels become stale in their shards (docs/feed.md, stale state): the same
// thresholds as /readyz, checked on the I/O thread (where the subscriptions live) and sent
// through each connection's router, the single producer of the shard queues.
void gateway::impl::schedule_freshness(std::chrono::milliseconds every) {
    freshness_timer.expires_after(every);
    freshness_timer.async_wait([this, every](const boost::system::error_code& ec) {
        if (ec || stopped) {
            return;
        }
        const auto now = steady::now();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            if (conns[i]->state() == exchange::connection_state::live) {
                routers[i]->check_silence(conns[i]->subscriptions(), opts.freshness, now);
            }
        }
        schedule_freshness(every);
    });
}

// Every 250 ms: each connection that is up or reconnecting has its stale books and tickers
// fetched over REST (emergency_refresh decides which, and how often).
void gateway::impl::schedule_refresh() {
    refresh_timer.expires_after(250ms);
    refresh_timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped) {
            return;
        }
        const auto now = steady::now();
        for (const auto& c : conns) {
            if (c->state() != exchange::connection_state::stopped) {
                refresh->check(c->subscriptions(), now);
            }
        }
        schedule_refresh();
    });
}

namespace {

// A quarter of the shortest non-zero threshold, between 10 ms and 1 s: a silent channel is
// flagged at most a quarter of its threshold late. Zero: nothing can go stale by silence.
[[nodiscard]] std::chrono::milliseconds freshness_check_interval(const freshness& f) {
    std::chrono::milliseconds least{0};
    for (const auto t : {f.orderbook, f.tickers, f.kline, f.trades, f.liquidations}) {
        if (t.count() > 0 && (least.count() == 0 || t < least)) {
            least = t;
        }
    }
    return least.count() == 0 ? least
                              : std::clamp(least / 4, std::chrono::milliseconds{10},
                                           std::chrono::milliseconds{1000});
}

} // namespace

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

// `systemctl status` shows the STATUS= line: connections and books live, and the message rate
// since the previous line. Sent only under systemd (NOTIFY_SOCKET set), on the I/O thread.
constexpr auto status_interval = 5s;

void gateway::impl::send_status() {
    const auto now = steady::now();
    const auto frames = data_frames();
    const double secs = std::chrono::duration<double>(now - status_at).count();
    const double rate = secs > 0 ? static_cast<double>(frames - status_frames) / secs : 0.0;
    status_frames = frames;
    status_at = now;
    core::systemd::notify_status(status_line(view(), rate));
}

void gateway::impl::schedule_status() {
    status_timer.expires_after(status_interval);
    status_timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped) {
            return;
        }
        send_status();
        schedule_status();
    });
}

void gateway::impl::register_routes() {
    http_server->route("/metrics", [this](const http::request&) {
        http::response r;
        r.content_type = std::string(metrics::content_type);
        r.body = on_io([this] { return reg.render(); });
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
        r.status = on_io([&] { return readiness(view(), opts.freshness, &r.body); }) ? 200 : 503;
        return r;
    });
    http_server->route("/v1/status", [this](const http::request&) {
        http::response r;
        r.content_type = "application/json";
        r.body = on_io([this] { return status_document(view(), opts.freshness); });
        return r;
    });
    api->register_routes(*http_server, [this] {
        return on_io([this] { return channel_statuses(view(), opts.freshness); });
    });
}

gateway::gateway(gateway_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

gateway::~gateway() {
    stop();
}

void gateway::add_consumer(std::shared_ptr<dispatch::consumer> c, dispatch::consumer_options opts) {
    impl_->consumers.push_back({std::move(c), std::move(opts)});
}

bool gateway::start(std::string& error, start_failure* kind) {
    if (kind != nullptr) {
        *kind = start_failure::config;
    }
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
    if (o.http_enabled) {
        m.api = std::make_unique<api_host>(o.api, o.cat, o.topics, m.registry, m.reg);
        if (o.api.enabled) {
            m.consumers.push_back({m.api->consumer(), m.api->consumer_options()});
        }
    }
    for (auto& pc : m.consumers) {
        auto& h = callback_histogram(m.reg, pc.opts.name);
        m.pool->add(pc.c, pc.opts, [&h](std::chrono::nanoseconds d) { h.observe(seconds(d)); });
    }
    for (std::size_t i = 0; i < std::max<std::size_t>(o.shards, 1); ++i) {
        dispatch::shard::options so;
        so.index = i;
        so.queue_capacity = o.shard_queue;
        so.queue_bytes = o.shard_queue_bytes;
        so.spin = o.spin;
        so.registry = &m.registry;
        so.resync = [&m](std::uint32_t src, model::instrument_id id, std::uint16_t depth) {
            m.conns[src]->request_resync(
                fmt::format("orderbook.{}.{}", depth, m.registry.info(id).symbol));
        };
        so.on_handled = [&m](std::chrono::nanoseconds d) {
            m.met.handle->observe(seconds(d));
            if (m.opts.on_handled) {
                m.opts.on_handled(d);
            }
        };
        so.on_latency = [&m](dispatch::item_kind k, std::chrono::nanoseconds d) {
            m.met.latency[static_cast<std::size_t>(k)]->observe(seconds(d));
        };
        m.shards.push_back(std::make_unique<dispatch::shard>(std::move(so), m.pool.get()));
    }
    if (o.record) {
        // The header: what an exact replay needs (each connection's topics, the precision
        // of every instrument as registered above).
        record::recording_header h;
        h.cat = o.cat;
        h.version = o.version;
        for (const auto& cp : *plan) {
            h.connections.push_back({cp.id, o.ws_url, cp.topics});
        }
        for (std::uint32_t i = 0; i < m.registry.size(); ++i) {
            const auto& info = m.registry.info(model::instrument_id{i});
            h.instruments.push_back({info.symbol, info.spec});
        }
        m.recorder = std::make_unique<record::recorder>(*o.record, std::move(h));
        if (!m.recorder->open(error)) {
            m.recorder.reset();
            return false;
        }
        m.reg.add_collector(
            [r = m.recorder.get()](metrics::family_writer& w) { collect_record(w, r->stats()); });
    }
    m.budget = std::make_unique<net::connect_budget>(o.budget);
    if (o.probe_enabled && !o.probe.url.empty()) {
        m.probe = std::make_unique<net::connectivity_probe>(m.ioc.get_executor(), m.tls, o.probe);
    }
    if (!m.start_rest(error)) {
        return false;
    }
    for (std::size_t i = 0; i < plan->size(); ++i) {
        const auto& cp = (*plan)[i];
        auto co = o.connection;
        co.id = cp.id;
        co.cat = o.cat;
        co.url = o.ws_url;
        co.topics = cp.topics;
        co.recorder = m.recorder.get();
        co.record_index = static_cast<std::uint32_t>(i);
        if (m.probe) {
            co.probe = [&m]() -> asio::awaitable<void> {
                (void)co_await m.probe->check();
            };
        }
        m.routers.push_back(std::make_unique<shard_router>(static_cast<std::uint32_t>(i), o.cat,
                                                           m.registry, m.shards, m.met.messages));
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
        auto http_opts = o.http;
        http_opts.metrics = &m.reg; // mdgate_http_connections_closed_total, ..._open
        m.http_server = std::make_unique<http::server>(m.api->executor(), std::move(http_opts));
        m.register_routes();
        std::string why;
        auto port = m.http_server->start(why);
        if (!port) {
            error = fmt::format("http listen: {}", why);
            if (kind != nullptr) {
                *kind = start_failure::environment;
            }
            return false;
        }
        m.http_port = *port;
    }
    m.pool->start();
    for (auto& s : m.shards) {
        s->start();
    }
    if (m.recorder) {
        m.recorder->start();
    }
    m.started_at = steady::now();
    m.started_wall = core::default_clock().now();
    for (auto& c : m.conns) {
        asio::co_spawn(m.ioc, c->run(), asio::detached);
    }
    if (m.history) {
        m.history->start(); // concurrently with the subscriptions (queued before the loop runs)
    }
    if (m.polls) {
        m.polls->start();
    }
    if (m.refresh) {
        m.schedule_refresh();
    }
    m.summary_last = 0;
    m.schedule_summary();
    if (const auto every = freshness_check_interval(o.freshness); every.count() > 0) {
        m.schedule_freshness(every);
    }
    if (auto wd = core::systemd::watchdog_interval()) {
        m.schedule_watchdog(*wd);
    }
    m.work.emplace(m.ioc.get_executor());
    m.running = true;
    m.io_thread = std::thread([&m] { m.ioc.run(); });
    if (m.api) {
        m.api->start();
    }
    if (core::systemd::notify_socket_set()) {
        m.on_io([&m] {
            m.status_at = m.started_at;
            m.send_status();
            m.schedule_status();
        });
    }
    core::log_event(
        spdlog::level::info,
        {{"event", "gateway_started"},
         {"venue", "bybit"},
         {"topics", o.topics.size()},
         {"connections", m.conns.size()},
         {"shards", m.shards.size()},
         {"http_port", m.http_port}},
        "Gateway started: {} topics on {} connections, {} shards, {} consumer threads{}",
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
    core::systemd::notify_status(fmt::format("stopping: closing {} connections", m.conns.size()));
    core::log_event(spdlog::level::info,
                    {{"event", "gateway_stopping"}, {"connections", m.conns.size()}},
                    "Gateway stopping: closing {} connections", m.conns.size());
    // 1. Stop serving: the streams get a close frame (up to 1 s to go out), the HTTP server
    // stops accepting, and the API thread ends (nothing runs on_io() after this).
    if (m.api) {
        m.api->stop(1s, [&m] {
            if (m.http_server) {
                m.http_server->stop();
            }
        });
    }
    // 2. Stop the connections (close frames), on the I/O thread.
    asio::post(m.ioc, [&m] {
        m.stopped = true;
        for (auto& c : m.conns) {
            c->stop();
        }
        if (m.history) {
            m.history->stop();
        }
        if (m.polls) {
            m.polls->stop();
        }
        if (m.refresh) {
            m.refresh->stop();
        }
        m.refresh_timer.cancel();
        if (m.rest) {
            m.rest->stop();
        }
        if (m.probe) {
            m.probe->stop();
        }
        m.summary_timer.cancel();
        m.freshness_timer.cancel();
        m.watchdog_timer.cancel();
        m.status_timer.cancel();
    });
    // 3. Let the closes finish (bounded), then end the loop.
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
    // The I/O thread (the recorder's producer) has ended: write out what it recorded.
    if (m.recorder) {
        m.recorder->stop();
    }
    // 4. Drain the shards (everything read is applied), then the consumers.
    for (auto& s : m.shards) {
        s->stop();
    }
    const bool clean = m.pool->stop(m.opts.drain_timeout);
    core::log_event(spdlog::level::info,
                    {{"event", "gateway_stopped"}, {"reason", clean ? "clean" : "drain_timeout"}},
                    "Gateway stopped{}", clean ? "" : " (a consumer did not finish in time)");
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
    return impl_->on_io([&] { return status_document(impl_->view(), impl_->opts.freshness); });
}
bool gateway::ready(std::string* reasons_json) {
    return impl_->on_io(
        [&] { return readiness(impl_->view(), impl_->opts.freshness, reasons_json); });
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

const api::market_cache* gateway::market_cache() const noexcept {
    return impl_->api && impl_->opts.api.enabled ? &impl_->api->cache() : nullptr;
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
