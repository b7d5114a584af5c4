#include "gateway/api_host.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "api/openapi.hpp"
#include "exchange/bybit/topic.hpp"
#include "gateway/detail/seconds.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;
using exchange::bybit::channel;
using steady = std::chrono::steady_clock;

api_host::api_host(api_options opts, model::category cat, std::span<const std::string> topics,
                   const model::instrument_registry& registry, metrics::registry& reg)
    : opts_(std::move(opts)), reg_(reg) {
    for (const auto& t : topics) {
        const auto p = exchange::bybit::parse_topic(t);
        if (!p) {
            continue;
        }
        const auto id = registry.find(model::venue::bybit, cat, p->symbol);
        if (!id) {
            continue;
        }
        auto& e = catalog_.add(*id, model::venue::bybit, cat, p->symbol, registry.info(*id).spec);
        switch (p->ch) {
        case channel::orderbook:
            if (std::find(e.book_depths.begin(), e.book_depths.end(), p->depth) ==
                e.book_depths.end()) {
                e.book_depths.push_back(p->depth);
                std::sort(e.book_depths.begin(), e.book_depths.end());
            }
            break;
        case channel::tickers:
            e.tickers = true;
            break;
        case channel::kline:
            if (std::find(e.kline_intervals.begin(), e.kline_intervals.end(), p->interval) ==
                e.kline_intervals.end()) {
                e.kline_intervals.push_back(p->interval);
            }
            break;
        case channel::public_trade:
            e.trades = true;
            break;
        case channel::all_liquidation:
        case channel::liquidation:
            e.liquidations = true;
            break;
        }
    }
    cache_ = std::make_shared<api::market_cache>(catalog_, api::cache_options{});
    stream_ =
        std::make_unique<api::stream>(ioc_.get_executor(), catalog_, *cache_, reg_, opts_.stream);
    cache_->set_listener(stream_.get());
}

api_host::~api_host() {
    stop(std::chrono::milliseconds{0});
}

dispatch::consumer_options api_host::consumer_options() const {
    std::size_t deepest = 0;
    for (const auto& e : catalog_.entries()) {
        deepest = std::max<std::size_t>(deepest, api::catalog::max_depth(e));
    }
    dispatch::consumer_options o;
    o.name = "api";
    o.channels = dispatch::all_channels;
    o.queue_capacity = opts_.queue_capacity;
    o.book_levels = std::max<std::size_t>(1, std::min(opts_.book_levels, deepest));
    return o;
}

void api_host::register_routes(http::server& server, api::channel_status_fn channels) {
    if (!opts_.enabled) {
        return;
    }
    api::register_data_routes(server, catalog_, *cache_, std::move(channels), reg_,
                              {.openapi_json = api::openapi_json()});
    server.upgrade("/v1/stream",
                   [s = stream_.get()](asio::ip::tcp::socket socket, const http::request& req,
                                       std::string_view buffered) {
                       s->accept(std::move(socket), req, buffered);
                   });
}

void api_host::start() {
    work_.emplace(ioc_.get_executor());
    (void)spdlog::default_logger_raw(); // created before the thread that logs
    thread_ = std::thread([this] { ioc_.run(); });
}

void api_host::stop(std::chrono::milliseconds grace, const std::function<void()>& before_join) {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    stream_->stop();
    if (!thread_.joinable()) {
        return;
    }
    if (before_join) {
        asio::post(ioc_, before_join);
    }
    const auto deadline = steady::now() + grace;
    while (stream_->subscribers() > 0 && steady::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    work_.reset();
    ioc_.stop();
    thread_.join();
}

std::size_t api_host::subscribers() const noexcept {
    return stream_->subscribers();
}

std::vector<api::channel_status> channel_statuses(const gateway_view& v, const freshness& f) {
    std::vector<api::channel_status> out;
    for (const auto& c : v.connections) {
        const bool live = c.state == exchange::connection_state::live;
        for (const auto& [t, info] : c.subscriptions.topics()) {
            const auto p = exchange::bybit::parse_topic(t);
            if (!p) {
                continue;
            }
            const auto id = v.registry.find(model::venue::bybit, v.cat, p->symbol);
            if (!id) {
                continue;
            }
            api::channel_status s;
            s.instrument = *id;
            s.channel = std::string(exchange::bybit::to_string(p->ch));
            s.topic = t;
            s.subscription = std::string(exchange::to_string(info.state));
            s.age_seconds = info.last_data == steady::time_point{}
                                ? -1.0
                                : detail::seconds(v.now - info.last_data);
            const auto limit = threshold(f, p->ch);
            const bool old = limit.count() > 0 && (info.last_data == steady::time_point{} ||
                                                   v.now - info.last_data > limit);
            s.state = live && !old ? "live" : "stale";
            if (p->ch == channel::orderbook) {
                s.depth = p->depth;
                const auto* st =
                    v.shards.empty() ? nullptr : book_status_of(v.shards, *id, p->depth);
                s.state = std::string(
                    book::to_string(st != nullptr ? static_cast<book::book_state>(st->state.load())
                                                  : book::book_state::syncing));
            } else if (p->ch == channel::kline) {
                s.interval = std::string(model::to_string(p->interval));
            }
            out.push_back(std::move(s));
        }
    }
    return out;
}

} // namespace mdg::gateway
