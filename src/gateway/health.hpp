#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "dispatch/shard.hpp"
#include "exchange/bybit/topic.hpp"
#include "gateway/gateway_view.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// How long a topic may be silent before it counts as stale, per channel. Zero: never stale
/// (a quiet symbol's trades or liquidations may be silent for minutes; that is not a fault).
struct freshness {
    std::chrono::milliseconds orderbook{5000};
    std::chrono::milliseconds tickers{10'000};
    std::chrono::milliseconds kline{90'000};
    std::chrono::milliseconds trades{0};
    std::chrono::milliseconds liquidations{0};
};

/// The silence `f` allows on channel `c` (zero: never stale). Both liquidation channels share
/// `f.liquidations`.
[[nodiscard]] std::chrono::milliseconds threshold(const freshness& f,
                                                  exchange::bybit::channel c) noexcept;

/// The published state of the expected book (`id`, `depth`), read from the shard that owns
/// `id` (`id % shards`); null when that book was not declared. `shards` must not be empty.
[[nodiscard]] const dispatch::book_status*
book_status_of(std::span<const std::unique_ptr<dispatch::shard>> shards, model::instrument_id id,
               std::uint16_t depth) noexcept;

/// Readiness (/readyz): the gateway is running and every configured topic is subscribed, its
/// connection live, its data fresh against its channel's threshold in `f` (as of `v.now`) and,
/// for a book, the book live. When `reasons` is not null it receives the JSON document
/// `{"ready":..,"not_ready_topics":N,"reasons":[{"topic","connection","reason"},..]}`
/// (the first 100 reasons). Runs on the I/O thread.
[[nodiscard]] bool readiness(const gateway_view& v, const freshness& f, std::string* reasons);

/// The /v1/status JSON document: version, uptime, readiness, each connection and topic with
/// its state and ages, and the headline totals. Runs on the I/O thread.
[[nodiscard]] std::string status_document(const gateway_view& v, const freshness& f);

} // namespace mdg::gateway
