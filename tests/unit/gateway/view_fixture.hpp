#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/gateway_view.hpp"

namespace mdg::gateway::test {

/// A small gateway as readiness, status and the scrape see it: one connection ("conn_0") with
/// three BTCUSDT topics, two shards that are never started (the book orderbook.50.BTCUSDT is
/// declared on its owner), no consumer pool, and a fixed `now`.
class view_fixture : public ::testing::Test {
  protected:
    static constexpr auto linear = model::category::linear;
    static constexpr std::string_view book_topic = "orderbook.50.BTCUSDT";
    static constexpr std::string_view ticker_topic = "tickers.BTCUSDT";
    static constexpr std::string_view trade_topic = "publicTrade.BTCUSDT";

    view_fixture() {
        btc = registry.intern(model::venue::bybit, linear, "BTCUSDT");
        for (std::size_t i = 0; i < 2; ++i) {
            shards.push_back(std::make_unique<dispatch::shard>(
                dispatch::shard::options{.index = i, .queue_capacity = 2}, nullptr));
        }
        owner().expect_book(btc, 50);
    }

    /// The view with the connection in state `st`.
    gateway_view view(exchange::connection_state st = exchange::connection_state::live) {
        gateway_view v{.cat = linear,
                       .version = "1.2.3",
                       .running = true,
                       .now = now,
                       .started_at = now - std::chrono::seconds{90},
                       .started_wall = unix_nanos::from_millis(1'700'000'000'000),
                       .connections = {},
                       .shards = shards,
                       .registry = registry,
                       .pool = nullptr,
                       .data_frames = 7,
                       .network_validation_failures = 2};
        v.connections.push_back({.id = "conn_0",
                                 .url = "wss://stream.example/v5/public/linear",
                                 .state = st,
                                 .subscriptions = subs,
                                 .stats = stats,
                                 .last_rx = now - std::chrono::seconds{1},
                                 .last_pong = {}});
        return v;
    }

    /// The shard that owns BTCUSDT.
    dispatch::shard& owner() { return *shards[btc.value % shards.size()]; }
    /// The published status of the one declared book (the shard thread's job, done by hand).
    dispatch::book_status& book() { return *owner().books()[0]; }

    const std::chrono::steady_clock::time_point now =
        std::chrono::steady_clock::time_point{} + std::chrono::hours{10};
    model::instrument_registry registry;
    model::instrument_id btc;
    std::vector<std::unique_ptr<dispatch::shard>> shards;
    exchange::subscription_set subs{
        linear, {std::string(book_topic), std::string(ticker_topic), std::string(trade_topic)}};
    exchange::connection_stats stats;
};

} // namespace mdg::gateway::test
