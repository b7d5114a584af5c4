#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "model/decimal.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"
#include "model/ticker.hpp"

namespace mdg::exchange::bybit {

/// The most rows a REST list may hold (Bybit's largest `limit` is 1000): more is refused.
inline constexpr std::size_t max_rest_rows = 1000;

/// Decodes the `result` of GET /v5/market/kline (Bybit v5: `list` of
/// `[startTime, open, high, low, close, volume, turnover]` strings, newest first) for
/// `instrument` at `interval`: the candles, **oldest first**. `end` is derived from the
/// interval (Bybit's WebSocket `end`: the next start minus 1 ms). Every candle whose end is
/// before `server_time` (the envelope's `time`, else `ts_recv`) is closed (`confirm`); the
/// newest one, still open, is not.
///
/// Untrusted input, refused with a one-line `reason`: a body that is not the envelope, a
/// `symbol` other than `symbol`, rows that are not 7 strings, numbers that do not parse or
/// have more decimals than the instrument's tick, a high below the open or close (or a low
/// above), a start that cannot begin a candle of `interval` (model::kline_start_valid), start
/// times not strictly decreasing (out of order or duplicated), more than max_rest_rows rows.
/// Pure; thread-safe.
[[nodiscard]] result<std::vector<model::kline>>
parse_rest_klines(std::string_view body, std::string_view symbol, model::instrument_id instrument,
                  const model::instrument_spec& spec, model::kline_interval interval,
                  unix_nanos ts_recv, std::string& reason);

/// Decodes the `result` of GET /v5/market/recent-trade (Bybit v5: `list` of {execId, symbol,
/// price, size, side, time, isBlockTrade, isRPITrade, ...}, newest first) for `instrument`: the
/// trades, **oldest first**, with `ts_recv`. No `seq` (the REST answer has none) and no tick
/// direction. Refused with a one-line `reason`: the envelope, a trade of another symbol, a
/// missing or non-string field, an empty or over-long execId, a price or size that is not
/// positive or has more decimals than the instrument allows, a side that is neither Buy nor
/// Sell, times not newest first, more than max_rest_rows rows. Pure; thread-safe.
[[nodiscard]] result<std::vector<model::trade>>
parse_rest_trades(std::string_view body, std::string_view symbol, model::instrument_id instrument,
                  const model::instrument_spec& spec, unix_nanos ts_recv, std::string& reason);

/// A book from GET /v5/market/orderbook: its levels (best first, owned) and its times. `u` is
/// the REST answer's update id: it does not continue any WebSocket depth's `u`, so a REST book
/// is a separate snapshot, never spliced with the stream's deltas.
struct rest_book {
    std::vector<model::level> bids; ///< best (highest) first
    std::vector<model::level> asks; ///< best (lowest) first
    std::uint64_t update_id = 0;    ///< `u`
    std::uint64_t seq = 0;          ///< `seq`
    unix_nanos ts_exchange;         ///< `ts`
    unix_nanos ts_engine;           ///< `cts`, 0 when absent
};

/// Decodes the `result` of GET /v5/market/orderbook (`{"s","b":[[price,size]...],"a":[...],
/// "ts","u","seq","cts"}`) for `symbol`. Refused with a one-line `reason`: the envelope, `s`
/// other than `symbol`, levels that are not pairs of strings, a price or size that is not
/// positive or has more decimals than the instrument allows, more than `max_levels` per side,
/// bids not strictly descending or asks not strictly ascending, a crossed book (best bid at or
/// above best ask), a missing `u` or `ts`. Pure; thread-safe.
[[nodiscard]] result<rest_book> parse_rest_orderbook(std::string_view body, std::string_view symbol,
                                                     const model::instrument_spec& spec,
                                                     std::size_t max_levels, std::string& reason);

/// Decodes the `result` of GET /v5/market/tickers?symbol=... (`list` of one ticker with the
/// stream's field names: lastPrice, bid1Price, markPrice, openInterest, ...) for `symbol` into
/// a snapshot update of `instrument` (cross sequence 0: REST has none; `ts_exchange` the
/// envelope's `time`). A field sent as "" is set empty, as the stream's are. Refused: the
/// envelope, no entry for `symbol`, a value that is not a decimal string. Pure; thread-safe.
[[nodiscard]] result<model::ticker_update>
parse_rest_ticker(std::string_view body, std::string_view symbol, model::instrument_id instrument,
                  unix_nanos ts_recv, std::string& reason);

/// One instrument of GET /v5/market/tickers?category=... (every symbol of the category): what a
/// selection by 24 h activity needs.
struct rest_ticker_row {
    std::string symbol;
    model::decimal turnover_24h; ///< `turnover24h`, in the quote coin
    model::decimal volume_24h;   ///< `volume24h`, in the base coin
};

/// Decodes the `result` of GET /v5/market/tickers for a whole category: each entry's symbol
/// and 24 h turnover and volume, in the venue's order. Refused with a one-line `reason`: the
/// envelope, an entry without a symbol string or with a turnover24h/volume24h that is not a
/// non-negative decimal string, more than 5000 entries. Pure; thread-safe.
[[nodiscard]] result<std::vector<rest_ticker_row>> parse_rest_tickers_list(std::string_view body,
                                                                           std::string& reason);

/// One bucket of GET /v5/market/open-interest: its `timestamp` and `openInterest`.
using rest_oi_point = model::open_interest_point;

/// A page of GET /v5/market/open-interest (`list` of {openInterest, timestamp}, newest first):
/// the buckets **oldest first**, and the `nextPageCursor` (empty when there is no next page).
struct rest_oi_page {
    std::vector<rest_oi_point> points;
    std::string next_cursor;
};

/// Decodes a page of open interest for `symbol`. Refused like parse_rest_klines: the envelope,
/// the symbol, the types, numbers, timestamps not strictly decreasing, too many rows.
[[nodiscard]] result<rest_oi_page>
parse_rest_open_interest(std::string_view body, std::string_view symbol, std::string& reason);

/// Decodes GET /v5/market/funding/history (`list` of {symbol, fundingRate,
/// fundingRateTimestamp}, newest first) for `symbol`: the settlements, **oldest first**. Refused
/// with a one-line `reason`: the envelope, a row of another symbol, a missing or non-string
/// field, a rate that is not a decimal or is outside [-1, 1] (over 100 % either way), a timestamp
/// that is not milliseconds, timestamps not strictly decreasing, more than max_rest_rows rows.
/// Pure; thread-safe.
[[nodiscard]] result<std::vector<model::funding_rate_point>>
parse_rest_funding_history(std::string_view body, std::string_view symbol, std::string& reason);

/// Decodes GET /v5/market/account-ratio (`list` of {symbol, buyRatio, sellRatio, timestamp},
/// newest first) for `symbol`: the periods, **oldest first**. The two ratios need not add up to
/// exactly 1 (the venue rounds them). Refused like parse_rest_funding_history, and: a ratio
/// outside [0, 1], a sum of the two above 1.01. Pure; thread-safe.
[[nodiscard]] result<std::vector<model::account_ratio_point>>
parse_rest_account_ratio(std::string_view body, std::string_view symbol, std::string& reason);

/// Decodes GET /v5/market/risk-limit (`list` of {id, symbol, riskLimitValue, maintenanceMargin,
/// initialMargin, isLowestRisk, maxLeverage, mmDeduction}): the tiers of `symbol` only, ordered
/// by limit_value ascending. Rows of other symbols (the list holds every symbol when the request
/// named none) are skipped; no tier for `symbol` is an empty list, not an error. `id` is a JSON
/// number (as Bybit sends it) or a string of digits, `isLowestRisk` a number 0 or 1 (as Bybit
/// sends it) or a bool. Refused with a one-line `reason`: the envelope, a row without a string
/// symbol, a bad id, a value that is not a decimal string or not positive, a maxLeverage below
/// 1, an id twice for `symbol`, more than max_rest_rows rows. Pure; thread-safe.
[[nodiscard]] result<std::vector<model::risk_limit_tier>>
parse_rest_risk_limits(std::string_view body, std::string_view symbol, std::string& reason);

} // namespace mdg::exchange::bybit
