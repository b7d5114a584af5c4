#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/events.hpp"
#include "model/instrument.hpp"
#include "sim/detail/rng.hpp"
#include "sim/market_model.hpp"

namespace mdg::sim::detail {

// 128-bit intermediates for products such as price x size x 10^k, which overflow int64 before
// they are scaled back. __extension__ keeps -Wpedantic quiet about the GCC/Clang type.
__extension__ using int128 = __int128;

/// 10^n as a 128-bit integer, n in [0, 38].
[[nodiscard]] constexpr int128 pow10_128(int n) noexcept {
    int128 v = 1;
    for (int i = 0; i < n; ++i) {
        v *= 10;
    }
    return v;
}

/// num / den rounded half away from zero; den != 0.
[[nodiscard]] constexpr int128 round_div(int128 num, int128 den) noexcept {
    if (den < 0) {
        num = -num;
        den = -den;
    }
    const int128 half = den / 2;
    return num >= 0 ? (num + half) / den : -((-num + half) / den);
}

/// `raw` at `from` decimals, rescaled to `to` decimals (rounded half away from zero).
[[nodiscard]] constexpr std::int64_t rescale(int128 raw, int from, int to) noexcept {
    if (to >= from) {
        return static_cast<std::int64_t>(raw * pow10_128(to - from));
    }
    return static_cast<std::int64_t>(round_div(raw, pow10_128(from - to)));
}

/// One level of the simulated book, in integer ticks and lots.
struct book_level {
    std::int64_t px = 0;  ///< price in ticks (10^-price_decimals)
    std::int64_t qty = 0; ///< size in lots (10^-qty_decimals), always > 0
    friend constexpr bool operator==(const book_level&, const book_level&) = default;
};

/// One public trade print (one maker fill), as publicTrade reports it. The id is kept as bits
/// and written out only when sent (trade_id_text), which keeps the trade log small.
struct trade_print {
    std::int64_t ts_ms = 0;
    std::int64_t px = 0;
    std::int64_t qty = 0;
    std::uint64_t seq = 0;
    std::uint64_t id_hi = 0; ///< spot: the numeric id; derivatives: UUID bits 127..64
    std::uint64_t id_lo = 0; ///< derivatives: UUID bits 63..0
    model::side taker = model::side::buy;
    model::tick_direction direction = model::tick_direction::zero_plus_tick;
};

/// Room for a trade id: a UUID is 36 characters, a 64-bit number at most 20.
using trade_id_buffer = std::array<char, 36>;

/// The id as Bybit writes it: a UUID on linear and inverse
/// ("a9188a0a-82bc-50de-be60-03eedbe3cdd7"), a decimal number on spot. Views `buf`.
[[nodiscard]] std::string_view trade_id_text(const trade_print& t, bool uuid,
                                             trade_id_buffer& buf) noexcept;

/// One liquidation, as allLiquidation reports it.
struct liquidation_event {
    std::int64_t ts_ms = 0;
    model::side position_side = model::side::buy; ///< buy: a long position was liquidated
    std::int64_t px = 0;                          ///< bankruptcy price, ticks
    std::int64_t qty = 0;
};

/// A bounded log of events with absolute indices, so that a topic keeps a cursor into it and
/// finds out when it fell behind (its cursor is below first()).
/// Owned by a symbol_market; not thread-safe.
template <class T> class event_log {
  public:
    explicit event_log(std::size_t capacity) : capacity_(capacity) {}

    void push(const T& v) {
        items_.push_back(v);
        if (items_.size() > capacity_) {
            items_.pop_front();
            ++first_;
        }
    }
    [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
    [[nodiscard]] std::uint64_t end() const noexcept { return first_ + items_.size(); }
    /// Precondition: first() <= index < end().
    [[nodiscard]] const T& at(std::uint64_t index) const {
        return items_[static_cast<std::size_t>(index - first_)];
    }

  private:
    std::deque<T> items_;
    std::uint64_t first_ = 0;
    std::size_t capacity_;
};

/// One candle being aggregated from trades.
struct candle {
    std::int64_t start = 0; ///< ms
    std::int64_t end = 0;   ///< ms, next start - 1
    std::int64_t open = 0;  ///< ticks
    std::int64_t high = 0;
    std::int64_t low = 0;
    std::int64_t close = 0;
    std::int64_t volume = 0;        ///< lots
    std::int64_t turnover = 0;      ///< at symbol_market::turnover_decimals()
    std::int64_t last_trade_ms = 0; ///< the candle's start while it has no trade
    std::uint64_t version = 0;      ///< +1 per trade, so a topic sees whether it changed
};

/// The candles of one interval: the one forming and the one that closed last.
struct candle_series {
    candle current;
    std::optional<candle> closed;
    bool started = false;
};

/// Open interest (both sides, lots) at a 5-minute boundary, for REST open-interest history.
struct oi_sample {
    std::int64_t ts_ms = 0;
    std::int64_t oi = 0;
};

/// Closed candles kept per interval for REST klines, and 5-minute open-interest samples kept:
/// bounded rings, so memory does not grow with the run.
inline constexpr std::size_t closed_candle_capacity = 1000;
inline constexpr std::size_t oi_sample_capacity = 2016; // 7 days of 5 minutes
inline constexpr std::int64_t oi_sample_ms = 300'000;

/// Rolling 24 h (and 1 h) statistics of a symbol, as tickers report them.
struct rolling_stats {
    std::int64_t prev_price_24h = 0; ///< ticks
    std::int64_t prev_price_1h = 0;
    std::int64_t high = 0;
    std::int64_t low = 0;
    std::int64_t volume = 0;   ///< lots
    std::int64_t turnover = 0; ///< at symbol_market::turnover_decimals()
};

/// The simulated market of one symbol: a book of `book_levels` levels per side on integer
/// ticks that follows a random-walk fair price, the trades that take its liquidity,
/// liquidations, candles of every kline interval, rolling 24 h statistics, and the derivative
/// fields (mark, index, open interest, funding). Integers throughout; no double.
///
/// Invariants after every call: each side is strictly sorted best first, every size is > 0,
/// the book is never crossed, and each side holds `book_levels` levels (fewer only if bids
/// would need a price below one tick).
///
/// Owned by the market_model; not thread-safe. Randomness comes from the model's generator,
/// passed in, so the whole market is one deterministic sequence.
class symbol_market {
  public:
    /// Draws the initial book and statistics from `r`. Preconditions (checked by the model):
    /// price and quantity decimals <= 10, book_levels >= 1, a valid symbol.
    symbol_market(const symbol_config& cfg, model::category cat, std::size_t book_levels,
                  std::uint64_t seed, rng& r);

    /// One market event at `now_ms`: a size change, a level appearing or leaving, a trade
    /// (taking liquidity at the best level), or rarely a liquidation (derivatives only).
    void step(rng& r, std::int64_t now_ms);

    /// Closes candles and minute buckets that ended before `now_ms`. Deterministic (draws
    /// nothing); earlier times than already seen are ignored.
    void roll(std::int64_t now_ms);

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::uint8_t price_decimals() const noexcept { return pd_; }
    [[nodiscard]] std::uint8_t qty_decimals() const noexcept { return qd_; }
    /// Decimals of turnover values: price + quantity decimals (at most 8) for spot and
    /// linear, where turnover is in the quote coin; 8 for inverse (base coin).
    [[nodiscard]] int turnover_decimals() const noexcept { return turnover_decimals_; }
    /// The turnover of `qty` lots at `px` ticks, at turnover_decimals().
    [[nodiscard]] std::int64_t turnover_of(std::int64_t px, std::int64_t qty) const noexcept;

    /// Bids, best (highest) first.
    [[nodiscard]] const std::vector<book_level>& bids() const noexcept { return bids_; }
    /// Asks, best (lowest) first.
    [[nodiscard]] const std::vector<book_level>& asks() const noexcept { return asks_; }
    /// Cross sequence: rises by a few units at every event.
    [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }
    /// Matching-engine time of the last event (ms).
    [[nodiscard]] std::int64_t last_change_ms() const noexcept { return last_change_ms_; }

    [[nodiscard]] std::int64_t last_price() const noexcept { return last_price_; }
    [[nodiscard]] model::tick_direction last_direction() const noexcept { return last_dir_; }
    [[nodiscard]] std::int64_t index_price() const noexcept;
    [[nodiscard]] std::int64_t mark_price() const noexcept;
    /// Funding rate in 10^-6 units.
    [[nodiscard]] std::int64_t funding_rate_e6() const noexcept { return funding_e6_; }
    /// Open interest of one side (lots); the total is twice this.
    [[nodiscard]] std::int64_t single_open_interest() const noexcept { return single_oi_; }

    /// Statistics over the 24 h (and 1 h) before the last time rolled to.
    [[nodiscard]] rolling_stats stats() const noexcept;

    [[nodiscard]] const candle_series& series(model::kline_interval iv) const noexcept {
        return candles_[static_cast<std::size_t>(iv)];
    }
    /// Candles of `iv` closed since the clock started (at most closed_candle_capacity, oldest
    /// first). Periods the market skipped (no roll while they ran) are not in it: nothing
    /// traded in them, so they are flat at the previous close.
    [[nodiscard]] const std::deque<candle>&
    closed_candles(model::kline_interval iv) const noexcept {
        return closed_[static_cast<std::size_t>(iv)];
    }
    /// A made-up candle of `iv` starting at `start_ms`, from a deterministic price path (seed
    /// and symbol) that passes through `anchor_price` at `anchor_ms`: its open is the path at
    /// its start, its close the path at the next start, so consecutive candles are continuous
    /// and the last one before the anchor closes at `anchor_price`. Volume > 0.
    [[nodiscard]] candle synthetic_candle(model::kline_interval iv, std::int64_t start_ms,
                                          std::int64_t anchor_ms,
                                          std::int64_t anchor_price) const noexcept;
    /// Open interest at each 5-minute boundary since the clock started (oldest first, at most
    /// oi_sample_capacity): the value at the first roll at or after the boundary, which is the
    /// value at the boundary (nothing trades between rolls).
    [[nodiscard]] const std::deque<oi_sample>& oi_samples() const noexcept { return oi_; }
    /// Made-up open interest at `ts_ms` before the samples, through `anchor_oi` at `anchor_ms`.
    [[nodiscard]] std::int64_t synthetic_oi(std::int64_t ts_ms, std::int64_t anchor_ms,
                                            std::int64_t anchor_oi) const noexcept;
    /// A deterministic value in [0, n) for a name and a time (seed and symbol mixed in).
    [[nodiscard]] std::uint64_t hashed(std::string_view what, std::int64_t t,
                                       std::uint64_t n) const noexcept;
    /// Makes the 24 h turnover read `target` now (at turnover_decimals()); it moves on with the
    /// trades from there (the control action set_turnover).
    void set_turnover_24h(std::int64_t target) noexcept;
    [[nodiscard]] bool clock_started() const noexcept { return clock_started_; }

    [[nodiscard]] const event_log<trade_print>& trades() const noexcept { return trades_; }
    [[nodiscard]] const event_log<liquidation_event>& liquidations() const noexcept {
        return liquidations_;
    }

  private:
    struct fill {
        std::int64_t px = 0;
        std::int64_t qty = 0;
    };
    struct trade_result {
        std::int64_t qty = 0;
        std::int64_t worst_px = 0;
    };
    struct minute_bucket {
        std::int64_t minute = -1;
        std::int64_t high = 0;
        std::int64_t low = 0;
        std::int64_t close = 0;
        std::int64_t volume = 0;
        std::int64_t turnover = 0;
    };

    [[nodiscard]] bool derivative() const noexcept { return cat_ != model::category::spot; }
    [[nodiscard]] std::int64_t draw_size(rng& r) const;
    [[nodiscard]] static std::int64_t draw_gap(rng& r);
    [[nodiscard]] static std::size_t weighted_index(rng& r, std::size_t n);
    [[nodiscard]] model::side pick_taker(rng& r) const;

    void drift(rng& r);
    trade_result trade(rng& r, std::int64_t now_ms, model::side taker);
    void liquidate(rng& r, std::int64_t now_ms);
    void add_level(rng& r);
    void cancel_level(rng& r);
    void change_size(rng& r);
    void refill(rng& r, bool bid_side);
    void trim(std::vector<book_level>& side) const;
    void record_print(rng& r, std::int64_t now_ms, model::side taker, std::int64_t px,
                      std::int64_t qty);
    [[nodiscard]] minute_bucket& bucket(std::int64_t minute) noexcept;
    [[nodiscard]] const minute_bucket& bucket(std::int64_t minute) const noexcept;
    [[nodiscard]] minute_bucket fresh_bucket(std::int64_t minute) const noexcept;
    [[nodiscard]] candle fresh_candle(model::kline_interval iv, std::int64_t now_ms) const;
    [[nodiscard]] std::int64_t path_price(std::int64_t t_ms, std::int64_t anchor_ms,
                                          std::int64_t anchor_price) const noexcept;
    void sample_oi(std::int64_t now_ms);

    std::string name_;
    model::category cat_;
    std::uint8_t pd_;
    std::uint8_t qd_;
    int turnover_decimals_;
    std::size_t book_levels_;
    std::int64_t unit_; // lots in one typical order size unit

    std::vector<book_level> bids_;
    std::vector<book_level> asks_;
    std::int64_t fair_ = 0; // random-walk fair price, ticks
    std::int64_t fair_floor_ = 1;
    std::uint64_t seq_ = 0;
    std::int64_t last_change_ms_ = 0;

    std::int64_t last_price_ = 0;
    model::tick_direction last_dir_ = model::tick_direction::zero_plus_tick;
    std::int64_t index_offset_ = 0; // index - mid, ticks
    std::int64_t basis_ = 0;        // mark - index, ticks
    std::int64_t funding_e6_ = 100;
    std::int64_t single_oi_ = 0;
    std::uint64_t next_spot_id_ = 0;

    event_log<trade_print> trades_;
    event_log<liquidation_event> liquidations_;
    std::array<candle_series, model::kline_interval_count> candles_{};
    std::array<std::deque<candle>, model::kline_interval_count> closed_{};
    std::deque<oi_sample> oi_;
    std::uint64_t history_key_ = 0;
    std::int64_t turnover_offset_ = 0;

    // Minute buckets of the last 24 h, plus the made-up history before the model started.
    std::vector<minute_bucket> minutes_;
    bool clock_started_ = false;
    std::int64_t start_min_ = 0;
    std::int64_t cur_min_ = 0;
    rolling_stats baseline_{};
};

} // namespace mdg::sim::detail
