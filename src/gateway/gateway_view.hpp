#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "dispatch/consumer_pool.hpp"
#include "dispatch/shard.hpp"
#include "exchange/feed/connection.hpp"
#include "gateway/backfill.hpp"
#include "gateway/emergency_refresh.hpp"
#include "gateway/rest_poller.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// One connection as readiness, /v1/status and the scrape read it: its state and times
/// copied, its topics and counters by reference. Built on the connection's executor (the I/O
/// thread) and valid there for one call; tests fill it by hand.
struct connection_view {
    std::string_view id;
    std::string_view url;
    exchange::connection_state state = exchange::connection_state::connecting;
    const exchange::subscription_set& subscriptions;
    const exchange::connection_stats& stats;
    std::chrono::steady_clock::time_point last_rx{};   ///< last frame of any kind; epoch: never
    std::chrono::steady_clock::time_point last_pong{}; ///< epoch: never
};

/// The view of `c` now. Call on `c`'s executor.
[[nodiscard]] connection_view view_of(const exchange::connection& c) noexcept;

/// What readiness, /v1/status and the scrape read of the gateway: its parts by reference and
/// a few figures, for one call on the I/O thread. The gateway builds one per call; tests
/// build one from small real objects (shards that were never started, a subscription_set).
struct gateway_view {
    model::category cat = model::category::linear;
    std::string_view version;
    bool running = false;
    std::chrono::steady_clock::time_point now{};
    std::chrono::steady_clock::time_point started_at{};
    unix_nanos started_wall{};
    std::vector<connection_view> connections; ///< every planned connection, live or not
    std::span<const std::unique_ptr<dispatch::shard>> shards; ///< not empty when running
    const model::instrument_registry& registry;
    const dispatch::consumer_pool* pool = nullptr; ///< null before start()
    std::uint64_t data_frames = 0;                 ///< data frames handed to the shards
    std::uint64_t network_validation_failures = 0; ///< failed connectivity probes
    const backfill* history = nullptr;             ///< null: no backfill configured
    const net::rest_client* rest = nullptr;        ///< null: no market REST client
    const rest_poller* polls = nullptr;            ///< null: nothing polled
    const emergency_refresh* refresh = nullptr;    ///< null: no emergency refresh
};

} // namespace mdg::gateway
