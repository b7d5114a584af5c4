#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::api::detail {

enum class channel_kind : std::uint8_t { book, trades, ticker, kline, liquidations };

/// A stream channel name, parsed: `book.{depth}.{category}.{symbol}`,
/// `trades.{category}.{symbol}`, `ticker.{category}.{symbol}`,
/// `kline.{interval}.{category}.{symbol}`, `liquidations.{category}.{symbol}`. The symbol may
/// be `*` (every symbol of the category).
struct channel_name {
    channel_kind kind = channel_kind::book;
    std::uint16_t depth = 0; ///< book: 1..1000
    model::kline_interval interval = model::kline_interval::m1;
    model::category cat = model::category::linear;
    std::string symbol;
};

/// Parses a channel name; nullopt (and `why`) when it is malformed.
[[nodiscard]] std::optional<channel_name> parse_channel(std::string_view s, std::string& why);

/// The canonical name of a concrete channel (the symbol replaced).
[[nodiscard]] std::string format_channel(const channel_name& c, std::string_view symbol);

} // namespace mdg::api::detail
