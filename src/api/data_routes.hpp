#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/catalog.hpp"
#include "api/market_cache.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace mdg::api {

/// The state of one subscribed venue topic, as /v1/instruments and /v1/market report it. The
/// gateway computes these (connections and subscriptions are its business).
struct channel_status {
    model::instrument_id instrument;
    std::string channel;      ///< "orderbook", "tickers", "kline", "publicTrade", "allLiquidation"
    std::string topic;        ///< the venue topic, "orderbook.50.BTCUSDT"
    std::uint16_t depth = 0;  ///< books
    std::string interval;     ///< klines
    std::string subscription; ///< "pending", "active", "failed"
    std::string state;        ///< "live", "stale", or a book state
    double age_seconds = -1;  ///< since the topic's last data; -1: none yet
};

/// Returns the status of every configured topic. Thread-safe (called on the API thread).
using channel_status_fn = std::function<std::vector<channel_status>()>;

struct data_routes_options {
    /// The OpenAPI document served at /v1/openapi.json.
    std::string_view openapi_json;
};

/// The HTTP JSON data API of docs/api.md: /v1/instruments, /v1/market, /v1/book, /v1/ticker,
/// /v1/trades, /v1/klines, /v1/liquidations, /v1/open-interest and /v1/openapi.json. Every
/// handler reads the market_cache (never a shard) and builds its answer on the server's thread.
/// Register before the server starts; `cat`, `cache` and `reg` outlive the server.
void register_data_routes(http::server& server, const catalog& cat, const market_cache& cache,
                          channel_status_fn channels, metrics::registry& reg,
                          data_routes_options opts);

} // namespace mdg::api
