#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "model/instrument.hpp"

namespace mdg::exchange::bybit {

/// Facts about Bybit v5 public market data that the generic feed needs (docs/venues/bybit.md:
/// endpoints, limits). Pure data, no I/O.
struct venue {
    /// wss://stream.bybit.com/v5/public/{category} (or the testnet host).
    [[nodiscard]] static std::string_view public_ws_url(model::category cat, bool testnet) noexcept;
    /// https://api.bybit.com (or the testnet host).
    [[nodiscard]] static std::string_view rest_url(bool testnet) noexcept;

    /// Recommended application ping interval.
    static constexpr std::chrono::seconds ping_interval{20};
    /// The server closes a connection without traffic after this long.
    static constexpr std::chrono::minutes server_idle_timeout{10};
    /// New connections allowed per window per IP (per WebSocket domain).
    static constexpr std::size_t max_new_connections = 500;
    static constexpr std::chrono::minutes new_connection_window{5};
    /// Open market-data connections per IP, per category.
    static constexpr std::size_t max_open_connections = 1000;
};

} // namespace mdg::exchange::bybit
