#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.hpp"
#include "model/decimal.hpp"
#include "model/fixed_point.hpp"
#include "model/instrument.hpp"

namespace mdg::model {

/// Side of a trade's taker, or of a liquidated position (buy = a long position).
enum class side : std::uint8_t { buy, sell };
/// Side of a book level.
enum class book_side : std::uint8_t { bid, ask };
/// Whether a message replaces the state (snapshot) or changes part of it (delta).
enum class update_kind : std::uint8_t { snapshot, delta };
/// Direction of the last price change (Bybit `tickDirection` / trade `L`).
enum class tick_direction : std::uint8_t {
    none,
    plus_tick,
    zero_plus_tick,
    minus_tick,
    zero_minus_tick
};

[[nodiscard]] std::string_view to_string(side s) noexcept;
[[nodiscard]] std::string_view to_string(update_kind k) noexcept;
[[nodiscard]] std::string_view to_string(tick_direction d) noexcept;

/// One price level of a book. A size of 0 in a delta deletes the level.
struct level {
    price px;
    qty sz;
    friend constexpr bool operator==(const level&, const level&) = default;
};

/// A book snapshot or delta, decoded. `bids`/`asks` view buffers owned by the decoder and are
/// valid only until its next decode: the book copies what it keeps.
struct book_update {
    instrument_id instrument;
    std::uint16_t depth = 0; ///< the topic's depth (levels per side)
    update_kind kind = update_kind::delta;
    std::uint64_t update_id = 0; ///< Bybit `u`: +1 per message per topic; 1 after a restart
    std::uint64_t seq = 0;       ///< Bybit `seq`: cross sequence, comparable across depths
    unix_nanos ts_exchange;      ///< venue's message time (`ts`)
    unix_nanos ts_engine;        ///< matching-engine time (`cts`), 0 when absent
    unix_nanos ts_recv;          ///< local receive time
    std::span<const level> bids; ///< as sent: best first in snapshots, any order in deltas
    std::span<const level> asks;
};

/// Text id of a trade, kept inline (Bybit: a UUID or a numeric string). Never allocates.
class trade_id {
  public:
    static constexpr std::size_t capacity = 63;
    trade_id() = default;
    /// Copies `s`; returns false (and keeps nothing) when it is longer than `capacity`.
    bool assign(std::string_view s) noexcept {
        if (s.size() > capacity) {
            return false;
        }
        len_ = static_cast<std::uint8_t>(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            text_[i] = s[i];
        }
        return true;
    }
    [[nodiscard]] std::string_view view() const noexcept { return {text_.data(), len_}; }
    friend bool operator==(const trade_id& a, const trade_id& b) noexcept {
        return a.view() == b.view();
    }

  private:
    std::array<char, capacity> text_{};
    std::uint8_t len_ = 0;
};

struct trade {
    instrument_id instrument;
    unix_nanos ts_exchange; ///< fill time (`T`)
    unix_nanos ts_recv;
    price px;
    qty sz;
    side taker_side = side::buy;
    tick_direction direction = tick_direction::none; ///< derivatives only
    bool block_trade = false;
    bool rpi = false;
    std::uint64_t seq = 0;
    trade_id id;
};

enum class kline_interval : std::uint8_t { m1, m3, m5, m15, m30, h1, h2, h4, h6, h12, d1, w1, mn1 };
inline constexpr std::size_t kline_interval_count = 13;
/// The venue's spelling: "1", "3", ..., "720", "D", "W", "M".
[[nodiscard]] std::string_view to_string(kline_interval i) noexcept;
[[nodiscard]] std::optional<kline_interval> parse_kline_interval(std::string_view s) noexcept;
/// The first instant after the candle of `interval` that starts at `start` (UTC): start plus
/// the interval's length, or, for "M", the first day of the next calendar month. Bybit's `end`
/// is this minus one millisecond.
[[nodiscard]] unix_nanos kline_next_start(kline_interval interval, unix_nanos start) noexcept;
/// Whether `start` can begin a candle of `interval`: a multiple of its length since the epoch
/// (UTC) up to a day, midnight for a week (the weekday is the venue's), midnight of the first
/// day for a month.
[[nodiscard]] bool kline_start_valid(kline_interval interval, unix_nanos start) noexcept;

/// One candle. `confirm` is true once the candle is closed and final.
struct kline {
    instrument_id instrument;
    kline_interval interval = kline_interval::m1;
    unix_nanos start;
    unix_nanos end;
    price open;
    price high;
    price low;
    price close;
    decimal volume;
    decimal turnover;
    bool confirm = false;
    unix_nanos ts_last_trade; ///< `timestamp`: time of the last match in the candle
    unix_nanos ts_exchange;   ///< envelope `ts`
    unix_nanos ts_recv;
};

/// The open interest of an instrument at one time, from a series other than the ticker
/// stream (the venue's REST history).
struct open_interest_point {
    unix_nanos ts;
    decimal value;
    friend bool operator==(const open_interest_point&, const open_interest_point&) = default;
};

/// One funding settlement of a perpetual (REST GET /v5/market/funding/history): the rate
/// charged at `ts` (`fundingRateTimestamp`).
struct funding_rate_point {
    unix_nanos ts;
    decimal rate;
    friend bool operator==(const funding_rate_point&, const funding_rate_point&) = default;
};

/// The long/short account ratio of one period (REST GET /v5/market/account-ratio): the shares
/// of accounts holding a long (`buy_ratio`) and a short position, at `ts`.
struct account_ratio_point {
    unix_nanos ts;
    decimal buy_ratio;
    decimal sell_ratio;
    friend bool operator==(const account_ratio_point&, const account_ratio_point&) = default;
};

/// One tier of an instrument's risk limits (REST GET /v5/market/risk-limit).
struct risk_limit_tier {
    std::uint32_t id = 0;
    decimal limit_value;        ///< `riskLimitValue`: the position value this tier allows
    decimal maintenance_margin; ///< `maintenanceMargin` (a rate)
    decimal initial_margin;     ///< `initialMargin` (a rate)
    decimal max_leverage;       ///< `maxLeverage`
    bool lowest = false;        ///< `isLowestRisk`
    friend bool operator==(const risk_limit_tier&, const risk_limit_tier&) = default;
};

/// A liquidation. `position_side` is the side of the liquidated position: buy means a long
/// position was liquidated (Bybit allLiquidation `S`), as Bybit documents it.
struct liquidation {
    instrument_id instrument;
    unix_nanos ts_exchange; ///< `T`
    unix_nanos ts_recv;
    side position_side = side::buy;
    price px; ///< bankruptcy price
    qty sz;
};

} // namespace mdg::model
