#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::exchange::bybit {

/// Public channels of Bybit v5 (docs/venues/bybit.md).
enum class channel : std::uint8_t {
    orderbook,       ///< orderbook.{depth}.{symbol}
    public_trade,    ///< publicTrade.{symbol} (option: publicTrade.{baseCoin})
    tickers,         ///< tickers.{symbol}
    kline,           ///< kline.{interval}.{symbol}
    all_liquidation, ///< allLiquidation.{symbol}
    liquidation,     ///< liquidation.{symbol}: deprecated, decoded from recordings only
};
inline constexpr std::size_t channel_count = 6;

[[nodiscard]] std::string_view to_string(channel c) noexcept;

/// A parsed topic. `symbol` views the text it was parsed from.
struct topic {
    bybit::channel ch = channel::orderbook;
    std::uint16_t depth = 0;                                    ///< orderbook only
    model::kline_interval interval = model::kline_interval::m1; ///< kline only
    std::string_view symbol;

    friend bool operator==(const topic&, const topic&) = default;
};

/// The largest depth a recorded orderbook topic may carry (decoding is lenient: Bybit's
/// archive files still hold `orderbook.500`).
inline constexpr std::uint16_t max_decoded_depth = 1000;

/// Parses any well-formed public topic, including retired depths found in recordings.
/// Errors: unknown_topic (malformed), unknown_channel (well-formed, unknown prefix).
[[nodiscard]] result<topic> parse_topic(std::string_view text) noexcept;

/// The topic's text, e.g. "orderbook.50.BTCUSDT".
[[nodiscard]] std::string format_topic(const topic& t);

/// Depths the venue serves today for new subscriptions in `cat` (spot/linear/inverse:
/// 1, 50, 200, 1000; option: 25, 100).
[[nodiscard]] std::span<const std::uint16_t> subscribable_depths(model::category cat) noexcept;

/// Checks that `text` may be subscribed on the public host of `cat` today: a known channel
/// available in that category, a current depth, a valid symbol. On failure returns the error
/// code and puts a one-line human reason into `reason` (e.g. that depth 500 was retired).
[[nodiscard]] boost::system::error_code
validate_subscription(model::category cat, std::string_view text, std::string& reason);

} // namespace mdg::exchange::bybit
