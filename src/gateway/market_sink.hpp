#pragma once

#include <span>
#include <string>
#include <string_view>

#include "exchange/feed/connection.hpp"
#include "market/market_state.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// Applies a connection's decoded frames to a market state on the connection's own thread:
/// books, tickers, trades, klines, liquidations. A book gap, crossed or invalid book, or a book
/// message that could not be decoded, asks the connection for a resync of that topic; a lost
/// connection makes its books, tickers and trades stale, books until a snapshot (as the shards do,
/// docs/feed.md).
///
/// The single-threaded wiring used until the dispatch shards exist (issue #4): everything
/// runs on the I/O thread. Owned by the app or test that wires a feed; not thread-safe.
class market_sink final : public exchange::frame_handler {
  public:
    market_sink(model::instrument_registry& registry, model::category cat)
        : registry_(registry), cat_(cat) {}

    bool on_data(const exchange::bybit::decoded_frame& f) override;
    bool on_unusable(const exchange::bybit::decode_failure& f) override;
    void on_connection_lost(std::span<const std::string> topics) override;

    [[nodiscard]] market::market_state& state() noexcept { return state_; }
    [[nodiscard]] const market::book_entry* book(std::string_view symbol,
                                                 std::uint16_t depth) const;
    /// Every book is live (and there is at least one).
    [[nodiscard]] bool all_books_live() const;

  private:
    model::instrument_registry& registry_; // outlives: the sink
    model::category cat_;
    market::market_state state_;
};

} // namespace mdg::gateway
