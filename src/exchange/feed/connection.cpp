#include "exchange/feed/connection.hpp"

#include <random>

#include <boost/asio.hpp>

#include "core/log.hpp"
#include "exchange/bybit/subscribe.hpp"
#include "exchange/bybit/topic.hpp"
#include "exchange/feed/liveness.hpp"
#include "exchange/feed/resync_pacer.hpp"
#include "net/outage_log.hpp"

namespace mdg::exchange {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
} // namespace

std::string_view to_string(connection_state s) noexcept {
    switch (s) {
    case connection_state::connecting:
        return "connecting";
    case connection_state::subscribing:
        return "subscribing";
    case connection_state::live:
        return "live";
    case connection_state::backing_off:
        return "backing_off";
    case connection_state::stopped:
        return "stopped";
    }
    return "unknown";
}

struct connection::impl : std::enable_shared_from_this<connection::impl> {
    impl(asio::any_io_executor ex_, std::shared_ptr<asio::ssl::context> tls_,
         net::connect_budget& budget_, model::instrument_registry& registry_,
         frame_handler& handler_, connection_options opts_)
        : ex(std::move(ex_)), tls(std::move(tls_)), budget(budget_), registry(registry_),
          handler(handler_), opts(std::move(opts_)),
          retry(opts.backoff, opts.seed != 0 ? opts.seed : std::random_device{}()),
          subs(opts.cat, opts.topics, opts.refused_retry), sleeper(ex),
          live(opts.pong_timeout, opts.receive_timeout) {
        // The decoder only accepts registered symbols: register this connection's.
        for (const auto& t : opts.topics) {
            if (auto parsed = bybit::parse_topic(t)) {
                registry.intern(model::venue::bybit, opts.cat, parsed->symbol);
            }
        }
    }

    asio::any_io_executor ex;
    std::shared_ptr<asio::ssl::context> tls;
    net::connect_budget& budget;          // outlives: the feed
    model::instrument_registry& registry; // outlives: the feed
    frame_handler& handler;               // outlives: the feed
    connection_options opts;
    net::backoff retry;
    net::outage_log outage; // which reconnect failures get a line
    subscription_set subs;
    bybit::decoder decoder;
    std::optional<net::ws_session> session;
    asio::steady_timer sleeper;
    resync_pacer pacer;
    connection_state state = connection_state::connecting;
    connection_stats stats;
    bool stopped = false;
    bool probing = false; // a probe started by this connection has not completed yet
    std::uint64_t generation = 0;
    std::uint64_t next_req_id = 1;
    steady::time_point last_rx{};
    steady::time_point last_pong{};
    liveness live; // the stall / missed-pong verdict of the two deadlines

    void set_state(connection_state s) {
        if (s == state) {
            return;
        }
        // Between attempts of an outage the failure lines say it all: transitions go to debug.
        const bool churn = outage.down() && (s == connection_state::connecting ||
                                             s == connection_state::backing_off);
        core::log_event(churn ? spdlog::level::debug : spdlog::level::info,
                        {{"event", "conn_state"},
                         {"conn", opts.id},
                         {"from", to_string(state)},
                         {"to", to_string(s)}},
                        "Connection {}: {} -> {}", opts.id, to_string(state), to_string(s));
        state = s;
    }

    void send_requests(const result<std::vector<bybit::request>>& reqs, std::string_view what) {
        if (!reqs) {
            core::log_event(spdlog::level::err,
                            {{"event", "subscribe_failed"},
                             {"conn", opts.id},
                             {"reason", reqs.error().message()}},
                            "Connection {}: cannot {}: {}", opts.id, what, reqs.error().message());
            return;
        }
        for (const auto& r : *reqs) {
            send(r.payload);
        }
    }

    // Every request goes out through here, so that the recording holds it.
    void send(std::string payload) {
        tap(record::record_kind::out, core::default_clock().now(), payload);
        session->send(std::move(payload));
    }

    void tap(record::record_kind k, unix_nanos t, std::string_view payload = {}) {
        if (opts.recorder != nullptr) {
            (void)opts.recorder->record(k, opts.record_index, t, payload);
        }
    }

    asio::awaitable<void> sleep(std::chrono::milliseconds d) {
        sleeper.expires_after(d);
        co_await sleeper.async_wait(use_tuple);
    }

    // `failure`: why the connect attempt before this wait failed (empty after a drop).
    asio::awaitable<void> back_off(std::string failure = {}) {
        const bool capped = retry.ceiling() >= opts.backoff.cap;
        set_state(connection_state::backing_off);
        const auto d = retry.next();
        if (failure.empty()) {
            core::log_event(
                spdlog::level::info,
                {{"event", "reconnect_scheduled"}, {"conn", opts.id}, {"delay_ms", d.count()}},
                "Attempting to reconnect {} in {:.1f}s...", opts.id,
                std::chrono::duration<double>(d).count());
        } else {
            log_failure(failure, capped, d);
        }
        co_await sleep(d);
    }

    // One connect attempt failed: a line, a summary or (at debug) nothing, as `outage` says.
    void log_failure(const std::string& failure, bool capped, std::chrono::milliseconds next) {
        const auto now = steady::now();
        const auto verdict = outage.on_failure(now, capped, failure);
        const auto down = outage.down_for(now);
        const auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(down).count();
        const double next_s = std::chrono::duration<double>(next).count();
        const auto level =
            verdict == net::outage_log::verdict::quiet ? spdlog::level::debug : spdlog::level::err;
        if (!spdlog::should_log(level)) {
            return;
        }
        const bool summary = verdict == net::outage_log::verdict::summary;
        const auto text =
            summary ? fmt::format("Failed to reconnect {}: still down for {}, {} attempts, last "
                                  "error: {}",
                                  opts.id, net::format_down_time(down), outage.attempts(), failure)
                    : fmt::format("Failed to reconnect {} (attempt {}, down {}): {}", opts.id,
                                  outage.attempts(), net::format_down_time(down), failure);
        core::log_event(level,
                        {{"event", summary ? "reconnect_summary" : "reconnect_failed"},
                         {"conn", opts.id},
                         {"attempts", outage.attempts()},
                         {"down_ms", down_ms},
                         {"delay_ms", next.count()},
                         {"reason", failure}},
                        "{}; next attempt in {:.1f}s", text, next_s);
    }

    // The connection is up (handshake done): says so when it ends an outage or a drop.
    void log_connected() {
        const auto down = outage.down_for(steady::now());
        const auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(down).count();
        const auto failed = outage.attempts();
        if (stats.connects > 1) {
            if (failed == 0) {
                core::log_event(spdlog::level::info,
                                {{"event", "reconnected"}, {"conn", opts.id}, {"down_ms", down_ms}},
                                "Successfully reconnected {}", opts.id);
            } else {
                core::log_event(spdlog::level::info,
                                {{"event", "reconnected"},
                                 {"conn", opts.id},
                                 {"down_ms", down_ms},
                                 {"attempts", failed}},
                                "Successfully reconnected {} after {} down, {} failed attempts",
                                opts.id, net::format_down_time(down), failed);
            }
        } else if (failed > 0) {
            core::log_event(spdlog::level::info,
                            {{"event", "connected"},
                             {"conn", opts.id},
                             {"down_ms", down_ms},
                             {"attempts", failed}},
                            "Connection {} established after {}, {} failed attempts", opts.id,
                            net::format_down_time(down), failed);
        }
        outage.on_up();
    }

    // One watchdog per connection: the receive timeout and the application ping/pong. Either
    // deadline may be the first to see a stall; it is counted and logged once, here.
    asio::awaitable<void> watchdog(std::uint64_t gen) {
        auto self = shared_from_this();
        asio::steady_timer t(ex);
        auto next_ping = steady::now() + opts.ping_interval;
        const auto tick = std::min<std::chrono::milliseconds>(
            {250ms, opts.receive_timeout / 4,
             std::max<std::chrono::milliseconds>(opts.pong_timeout / 4, 1ms)});
        while (!stopped && gen == generation) {
            t.expires_after(tick);
            co_await t.async_wait(use_tuple);
            if (stopped || gen != generation || !session) {
                co_return;
            }
            const auto now = steady::now();
            const auto found = live.check(now);
            if (found.what == liveness::verdict::stall) {
                on_stall(found);
                session->close(false);
                co_return;
            }
            if (found.what == liveness::verdict::missed_pong) {
                ++stats.pong_timeouts;
                core::log_event(
                    spdlog::level::warn,
                    {{"event", "pong_timeout"}, {"conn", opts.id}, {"reason", "missed_pong"}},
                    "Connection {}: no pong within {} ms while data still arrives, "
                    "reconnecting",
                    opts.id, opts.pong_timeout.count());
                session->close(false);
                co_return;
            }
            check_subscriptions(now);
            if (now >= next_ping) {
                next_ping = now + opts.ping_interval;
                live.on_ping(now);
                send(bybit::build_ping(std::to_string(next_req_id++)));
            }
        }
    }

    // A stall (nothing at all within the first deadline to fire): one handler timeout and the
    // old service's marker, one line per event, for existing runbooks; `reason` names the
    // deadline that saw it.
    void on_stall(const liveness::finding& found) {
        ++stats.handler_timeouts;
        core::log_event(
            spdlog::level::err,
            {{"event", "handler_timeout"},
             {"conn", opts.id},
             {"reason", to_string(found.by)},
             {"silent_ms",
              std::chrono::duration_cast<std::chrono::milliseconds>(found.silent).count()}},
            "[HANDLER_TIMEOUT] WebSocket message handler timeout for {}: no frame for {:.1f} s",
            opts.id, std::chrono::duration<double>(found.silent).count());
    }

    // Requests that got no answer are sent again (paced like a resync: a venue that loses
    // every answer is not asked at the round-trip rate); refused topics whose backoff has run
    // out are asked for again. Called by the watchdog, on this connection.
    void check_subscriptions(steady::time_point now) {
        if (!can_resync()) {
            return;
        }
        for (const auto& t : subs.expire(now, opts.subscribe_timeout)) {
            ++stats.subscribe_timeouts;
            core::log_limited_event(
                spdlog::level::warn, "feed.subscribe_timeout",
                {{"event", "subscribe_timeout"}, {"conn", opts.id}, {"topic", t}},
                "Connection {}: no answer to the subscription of {} within {} ms; asking again",
                opts.id, t, opts.subscribe_timeout.count());
            resync(t);
        }
        if (const auto n = subs.retry_refused(now); n > 0) {
            stats.topic_retries += n;
            core::log_event(spdlog::level::info,
                            {{"event", "topic_retry"}, {"conn", opts.id}, {"topics", n}},
                            "Connection {}: asking again for {} refused topic(s)", opts.id, n);
            std::string reason;
            send_requests(subs.subscribe_all(next_req_id, reason, now), "subscribe");
        }
    }

    void on_control(const bybit::control_frame& c) {
        if (c.is_pong) {
            ++stats.pongs;
            last_pong = steady::now();
            live.on_pong();
            return;
        }
        const auto now = steady::now();
        auto r = subs.on_ack(c, now);
        if (!r.matched) {
            ++stats.acks_unmatched;
            core::log_limited_event(
                spdlog::level::warn, "feed.ack_unmatched",
                {{"event", "ack_unmatched"}, {"conn", opts.id}},
                "Connection {}: acknowledgement for unknown req_id '{}' ignored", opts.id,
                c.req_id);
            return;
        }
        for (const auto& t : r.failed) {
            ++stats.topics_rejected;
            const auto& info = subs.topics().at(t);
            const auto retry_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(info.retry_at - now);
            core::log_event(spdlog::level::err,
                            {{"event", "topic_rejected"},
                             {"conn", opts.id},
                             {"topic", t},
                             {"reason", c.ret_msg},
                             {"refusals", info.refusals},
                             {"retry_ms", retry_ms.count()}},
                            "Connection {}: topic {} rejected by the venue: {}; asking again in "
                            "{:.1f} s (refusal {} in a row)",
                            opts.id, t, c.ret_msg, std::chrono::duration<double>(retry_ms).count(),
                            info.refusals);
        }
        // Topics refused only because another topic of their request was bad: ask again.
        std::string reason;
        send_requests(subs.subscribe_all(next_req_id, reason, now), "subscribe");
    }

    [[nodiscard]] bool can_resync() const noexcept {
        return !stopped && session &&
               (state == connection_state::subscribing || state == connection_state::live);
    }

    // A resync of one topic, paced (resync_pacer): at once after a calm spell, else after a
    // growing delay, so that a topic whose every snapshot fails does not loop at round-trip
    // rate.
    void resync(std::string_view topic) {
        if (!can_resync()) {
            return;
        }
        const auto delay = pacer.on_request(topic, steady::now());
        if (delay == steady::duration::zero()) {
            send_resync(topic);
            return;
        }
        if (delay == steady::duration::max()) {
            return; // one is already waiting
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
        core::log_limited_event(spdlog::level::warn, "feed.resync_paced",
                                {{"event", "resync_paced"},
                                 {"conn", opts.id},
                                 {"topic", topic},
                                 {"delay_ms", ms.count()}},
                                "Connection {}: topic {} needs another resync; resubscribing in "
                                "{} ms (resync {} in a row)",
                                opts.id, topic, ms.count(), pacer.streak(topic) + 1);
        auto timer = std::make_shared<asio::steady_timer>(ex, delay);
        timer->async_wait(
            [w = weak_from_this(), timer, t = std::string(topic)](boost::system::error_code) {
                if (auto self = w.lock()) {
                    self->pacer.on_sent(t);
                    if (self->can_resync()) {
                        self->send_resync(t);
                    }
                }
            });
    }

    void send_resync(std::string_view topic) {
        ++stats.resubscribes;
        std::string reason;
        send_requests(subs.resubscribe(topic, next_req_id, reason, steady::now()), "resubscribe");
    }

    // The process-wide connect budget holds this attempt back: counted always, and a line
    // (rate-limited across connections) when the wait is long enough to be noticed: after a
    // mass drop, or with more connections than the venue's connection limit allows.
    void on_budget_wait(std::chrono::milliseconds wait, steady::time_point now) {
        ++stats.budget_waits;
        stats.budget_wait += wait;
        if (wait < 1s) {
            return; // the steady pace between attempts, not a shortage
        }
        const auto in_window = budget.in_window(now);
        core::log_limited_event(
            spdlog::level::warn, "feed.connect_budget",
            {{"event", "connect_budget_wait"},
             {"conn", opts.id},
             {"wait_ms", wait.count()},
             {"attempts_in_window", in_window}},
            "Connection {}: connect budget spent ({} attempts in the window); waiting {:.1f} s "
            "before connecting",
            opts.id, in_window, std::chrono::duration<double>(wait).count());
    }

    // The connectivity probe runs beside the retry loop, never in front of it: a slow REST
    // host must not hold up reconnecting (the old service's nested retries). At most one per
    // connection at a time; the probe itself lets concurrent callers share one run. The
    // coroutine owns a copy of the probe function, so it may outlive this connection.
    void start_probe() {
        if (probing) {
            return;
        }
        probing = true;
        asio::co_spawn(
            ex,
            [w = weak_from_this(), probe = opts.probe]() -> asio::awaitable<void> {
                co_await probe();
                if (auto self = w.lock()) {
                    self->probing = false;
                }
            },
            asio::detached);
    }

    asio::awaitable<void> run() {
        auto self = shared_from_this();
        std::string reason;
        auto url = net::parse_ws_url(opts.url, reason);
        if (!url) {
            core::log_event(spdlog::level::err,
                            {{"event", "bad_url"}, {"conn", opts.id}, {"reason", reason}},
                            "Connection {}: {}", opts.id, reason);
            set_state(connection_state::stopped);
            co_return;
        }
        while (!stopped) {
            set_state(connection_state::connecting);
            const auto now = steady::now();
            if (const auto at = budget.reserve(now); at > now) {
                const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
                on_budget_wait(wait, now);
                co_await sleep(wait);
                if (stopped) {
                    break;
                }
            }
            session.emplace(ex, tls, opts.session);
            net::connect_step step{};
            const auto ec = co_await session->connect(*url, step);
            if (ec) {
                ++stats.connect_failures;
                if (step != net::connect_step::none) {
                    ++stats.connect_failures_by_step[static_cast<std::size_t>(step)];
                }
                // Every attempt at debug; the line operators see comes from back_off().
                core::log_event(spdlog::level::debug,
                                {{"event", "connect_failed"},
                                 {"conn", opts.id},
                                 {"step", net::to_string(step)},
                                 {"reason", ec.message()}},
                                "WebSocket connection failed for {}: {} failed: {}", opts.id,
                                net::to_string(step), ec.message());
                auto failure = fmt::format("WebSocket connection failed: {} failed: {}",
                                           net::to_string(step), ec.message());
                session.reset();
                if (opts.probe && !stopped) {
                    start_probe();
                }
                if (!stopped) {
                    co_await back_off(std::move(failure));
                }
                continue;
            }
            ++stats.connects;
            if (stats.connects > 1) {
                ++stats.reconnects;
            }
            log_connected();
            tap(record::record_kind::up, core::default_clock().now());
            set_state(connection_state::subscribing);
            last_rx = steady::now();
            live.on_up(last_rx);
            send_requests(subs.subscribe_all(next_req_id, reason, last_rx), "subscribe");
            asio::co_spawn(ex, watchdog(generation), asio::detached);
            co_await read_loop();
            ++generation; // ends this connection's watchdog
            tap(record::record_kind::down, core::default_clock().now());
            subs.on_disconnect();
            handler.on_connection_lost(opts.topics);
            retry.on_down(steady::now());
            outage.on_down(steady::now());
            session.reset();
            if (!stopped) {
                co_await back_off();
            }
        }
        set_state(connection_state::stopped);
    }

    asio::awaitable<void> read_loop() {
        const bybit::parse_context base{opts.cat, &registry, false, {}};
        std::string reason;
        // One receive stamp per socket read: the frames of one read arrived together, and a
        // flood hands out hundreds per read (two clock reads per frame were 5% of the thread).
        std::uint64_t stamped_read = ~std::uint64_t{0}; // no read yet: stamp the first frame
        unix_nanos received{};
        while (!stopped) {
            std::string_view text;
            const auto ec = co_await session->read(text);
            if (ec) {
                if (!stopped && !net::is_expected_close(ec)) {
                    core::log_event(
                        spdlog::level::warn,
                        {{"event", "disconnected"}, {"conn", opts.id}, {"reason", ec.message()}},
                        "WebSocket connection closed: {} ({})", opts.id, ec.message());
                }
                co_return;
            }
            if (const auto n = session->socket_reads(); n != stamped_read) {
                stamped_read = n;
                last_rx = steady::now();
                live.on_frame(last_rx);
                received = core::default_clock().now();
            }
            ++stats.frames;
            stats.bytes += text.size();
            tap(record::record_kind::in, received, text);
            auto ctx = base;
            ctx.ts_recv = received;
            auto r = decoder.decode(text, ctx);
            if (!r) {
                ++stats.decode_errors;
                const auto kind = static_cast<errc>(r.error().value());
                const auto kind_name = to_string(kind);
                if (auto k = stats.decode_error_kinds.find(kind_name);
                    k != stats.decode_error_kinds.end()) {
                    ++k->second;
                } else {
                    stats.decode_error_kinds.emplace(std::string(kind_name), 1);
                }
                core::log_limited_event(
                    spdlog::level::err, "feed.decode",
                    {{"event", "decode_error"}, {"conn", opts.id}, {"reason", kind_name}},
                    "[JSON_ERROR] Invalid JSON in WebSocket message: {}... ({})",
                    text.substr(0, 100), to_string(kind));
                // A book message lost after its topic was read: the book would miss it.
                // Only a topic of this connection: a resync of another one would be refused,
                // and the book would wait for it for good.
                if (const auto& why = decoder.last_failure();
                    why.topic_known && why.topic.ch == bybit::channel::orderbook &&
                    subs.topics().contains(why.topic_text) && handler.on_unusable(why)) {
                    resync(std::string(why.topic_text));
                }
                continue;
            }
            const auto& f = **r;
            if (f.type == bybit::frame_type::control) {
                on_control(f.control);
            } else {
                subs.on_data(f.topic_text, last_rx,
                             f.type == bybit::frame_type::orderbook &&
                                 f.book.kind == model::update_kind::snapshot);
                if (handler.on_data(f)) {
                    resync(std::string(f.topic_text));
                }
            }
            if (state == connection_state::subscribing && subs.settled()) {
                set_state(connection_state::live);
                retry.on_up(steady::now());
            }
        }
    }
};

connection::connection(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls,
                       net::connect_budget& budget, model::instrument_registry& registry,
                       frame_handler& handler, connection_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(tls), budget, registry, handler,
                                   std::move(opts))) {}

connection::~connection() = default;

asio::awaitable<void> connection::run() {
    return impl_->run();
}

void connection::stop() {
    impl_->stopped = true;
    impl_->sleeper.cancel();
    if (impl_->session) {
        impl_->session->close(true);
    }
}

void connection::request_resync(std::string topic) {
    asio::post(impl_->ex, [w = std::weak_ptr<impl>(impl_), topic = std::move(topic)] {
        if (auto self = w.lock()) {
            self->resync(topic);
        }
    });
}

steady::time_point connection::last_rx() const noexcept {
    return impl_->last_rx;
}
steady::time_point connection::last_pong() const noexcept {
    return impl_->last_pong;
}

connection_state connection::state() const noexcept {
    return impl_->state;
}
const connection_stats& connection::stats() const noexcept {
    return impl_->stats;
}
const subscription_set& connection::subscriptions() const noexcept {
    return impl_->subs;
}
const connection_options& connection::options() const noexcept {
    return impl_->opts;
}

} // namespace mdg::exchange
