#include "gateway/emergency_refresh.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "exchange/bybit/rest_parse.hpp"
#include "exchange/bybit/topic.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using exchange::bybit::channel;

namespace {

/// Refreshes in flight at most: an outage of hundreds of symbols asks in waves, not all at once.
constexpr std::size_t max_in_flight = 16;

/// The most levels GET /v5/market/orderbook returns per category (Bybit v5).
[[nodiscard]] std::size_t rest_book_limit(model::category c) noexcept {
    switch (c) {
    case model::category::spot:
        return 200;
    case model::category::option:
        return 25;
    case model::category::linear:
    case model::category::inverse:
        break;
    }
    return 500;
}

} // namespace

struct emergency_refresh::impl : std::enable_shared_from_this<emergency_refresh::impl> {
    impl(asio::any_io_executor e, net::rest_client& c, const model::instrument_registry& r,
         model::category k, refresh_sink& s, refresh_settings o, steady::time_point t0)
        : ex(std::move(e)), client(c), registry(r), cat(k), sink(s), opts(o), started(t0) {}

    asio::any_io_executor ex;
    net::rest_client& client;                   // outlives: the refresher
    const model::instrument_registry& registry; // outlives: the refresher
    model::category cat;
    refresh_sink& sink; // outlives: the refresher
    refresh_settings opts;
    steady::time_point started;
    std::unordered_map<std::string, steady::time_point> last_started; // per topic
    std::array<refresh_counters, 2> counts{};
    std::size_t flying = 0;
    bool stopped = false;

    // Fetches one book or ticker and hands it to the sink.
    static asio::awaitable<void> refresh(std::shared_ptr<impl> self, std::string topic,
                                         exchange::bybit::topic t, model::instrument_id id) {
        const bool book = t.ch == channel::orderbook;
        auto& c = self->counts[book ? 0 : 1];
        const auto& info = self->registry.info(id);
        const auto cat = model::to_string(self->cat);
        std::string why;
        bool handed = false;
        bool decoded = false;
        if (book) {
            const auto limit = std::min<std::size_t>(t.depth, rest_book_limit(self->cat));
            auto r = co_await self->client.get(
                "/v5/market/orderbook",
                fmt::format("category={}&symbol={}&limit={}", cat, info.symbol, limit),
                net::rest_priority::urgent);
            if (r.ok()) {
                auto b = exchange::bybit::parse_rest_orderbook(r.body, info.symbol, info.spec,
                                                               limit, why);
                if (b) {
                    decoded = true;
                    model::book_update u;
                    u.instrument = id;
                    u.depth = t.depth;
                    u.kind = model::update_kind::snapshot;
                    u.update_id = b->update_id;
                    u.seq = b->seq;
                    u.ts_exchange = b->ts_exchange;
                    u.ts_engine = b->ts_engine;
                    u.ts_recv = core::default_clock().now();
                    u.bids = b->bids;
                    u.asks = b->asks;
                    handed = !self->stopped && self->sink.rest_book(u);
                }
            } else {
                why = r.reason;
            }
        } else {
            auto r = co_await self->client.get(
                "/v5/market/tickers", fmt::format("category={}&symbol={}", cat, info.symbol),
                net::rest_priority::urgent);
            if (r.ok()) {
                auto u = exchange::bybit::parse_rest_ticker(r.body, info.symbol, id,
                                                            core::default_clock().now(), why);
                if (u) {
                    decoded = true;
                    handed = !self->stopped && self->sink.rest_ticker(*u);
                }
            } else {
                why = r.reason;
            }
        }
        --self->flying;
        if (handed) {
            ++c.ok;
        } else if (decoded) {
            ++c.dropped;
        } else {
            ++c.failed;
            core::log_limited_event(spdlog::level::warn, "gateway.emergency_refresh_failed",
                                    {{"event", "emergency_refresh_failed"}, {"topic", topic}},
                                    "EMERGENCY refresh of {} failed: {}", topic, why);
        }
    }
};

emergency_refresh::emergency_refresh(asio::any_io_executor ex, net::rest_client& client,
                                     const model::instrument_registry& registry,
                                     model::category cat, refresh_sink& sink, refresh_settings s,
                                     steady::time_point started)
    : impl_(std::make_shared<impl>(std::move(ex), client, registry, cat, sink, s, started)) {}

emergency_refresh::~emergency_refresh() {
    stop();
}

void emergency_refresh::check(const exchange::subscription_set& subs, steady::time_point now) {
    auto& m = *impl_;
    if (m.stopped) {
        return;
    }
    for (const auto& [topic, info] : subs.topics()) {
        if (m.flying >= max_in_flight) {
            return;
        }
        auto t = exchange::bybit::parse_topic(topic);
        if (!t || (t->ch != channel::orderbook && t->ch != channel::tickers)) {
            continue;
        }
        const auto threshold = t->ch == channel::orderbook ? m.opts.orderbook : m.opts.tickers;
        const auto last = info.last_data == steady::time_point{} ? m.started : info.last_data;
        if (threshold.count() <= 0 || now - last <= threshold) {
            continue;
        }
        auto [it, fresh] = m.last_started.try_emplace(topic, now);
        if (!fresh && now - it->second < m.opts.min_interval) {
            continue;
        }
        const auto id = m.registry.find(model::venue::bybit, m.cat, t->symbol);
        if (!id) {
            continue;
        }
        it->second = now;
        ++m.counts[t->ch == channel::orderbook ? 0 : 1].started;
        ++m.flying;
        core::log_limited_event(
            spdlog::level::warn, "gateway.emergency_refresh",
            {{"event", "emergency_refresh"},
             {"topic", topic},
             {"stale_ms",
              std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count()}},
            "EMERGENCY refresh of {}: its WebSocket data is {:.1f} s old; fetching it over REST",
            topic, std::chrono::duration<double>(now - last).count());
        asio::co_spawn(m.ex, impl::refresh(impl_, topic, *t, *id), asio::detached);
    }
}

void emergency_refresh::stop() {
    impl_->stopped = true;
}

const std::array<refresh_counters, 2>& emergency_refresh::counters() const noexcept {
    return impl_->counts;
}

std::size_t emergency_refresh::in_flight() const noexcept {
    return impl_->flying;
}

} // namespace mdg::gateway
