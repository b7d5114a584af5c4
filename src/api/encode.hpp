#pragma once

// JSON encoding of market state for the data API and the stream (docs/api.md "Conventions"):
// prices and sizes as exact decimal strings in canonical form, times as integer microseconds.
// Pure functions; no I/O.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "book/order_book.hpp"
#include "core/clock.hpp"
#include "core/json_writer.hpp"
#include "dispatch/consumer.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"
#include "model/ticker.hpp"

namespace mdg::api {

/// Microseconds since the Unix epoch (the API's time unit).
[[nodiscard]] constexpr std::int64_t micros(unix_nanos t) noexcept {
    return t.value / 1000;
}

/// A fixed-point value as canonical decimal text: no exponent, no trailing fractional zeros,
/// no bare point ("65000.1", "0.001", "5"). Writes into `out` (model::fixed_text_capacity
/// bytes) and returns the view.
std::string_view decimal_text(std::int64_t raw, std::uint8_t decimals, char* out) noexcept;

/// Appends `[["price","size"],...]` for `levels` to `j`.
void write_levels(core::json_writer& j, std::span<const model::level> levels,
                  const model::instrument_spec& spec);

/// The book checksum of docs/api.md: CRC-32 (IEEE) of the top 25 levels per side, bids and
/// asks interleaved as "bidPx:bidSz:askPx:askSz:...", with the canonical decimal strings.
[[nodiscard]] std::uint32_t book_checksum(std::span<const model::level> bids,
                                          std::span<const model::level> asks,
                                          const model::instrument_spec& spec);

/// Writes the fields of a trade, candle, liquidation or ticker as one JSON object (the `data`
/// of a stream event and the items of the HTTP answers).
void write_trade(core::json_writer& j, const model::trade& t, const model::instrument_spec& spec);
void write_kline(core::json_writer& j, const model::kline& k, const model::instrument_spec& spec);
void write_liquidation(core::json_writer& j, const model::liquidation& l,
                       const model::instrument_spec& spec);
/// `{"fields":{...}}` members only (the caller opened the object): every field the venue sent,
/// `null` for a field sent as "".
void write_ticker_fields(core::json_writer& j, const model::ticker_fields& f);

/// The canonical text of an exact decimal ("65140.00" -> "65140"). Allocates.
[[nodiscard]] std::string canonical(const model::decimal& d);

/// The members of a book answer or stream message, into an open object: `u`, `cross_seq`, `state`,
/// `ts_exchange`, `ts_recv`, `bids`, `asks` (each cut to `depth` levels) and `checksum` (of the
/// levels written).
void write_book_fields(core::json_writer& j, const dispatch::book_view& b, std::size_t depth,
                       const model::instrument_spec& spec);
/// The same members for a book that has had no update yet (state syncing, no levels).
void write_empty_book_fields(core::json_writer& j);

/// "buy" / "sell".
[[nodiscard]] std::string_view side_name(model::side s) noexcept;

} // namespace mdg::api
