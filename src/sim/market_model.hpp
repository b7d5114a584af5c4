#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::sim {

/// How the bad_number fault spoils a number (market_model::send_bad_number).
enum class bad_number_kind : std::uint8_t {
    precision, ///< a digit beyond the tick and beyond 8 decimals: "65000.000000001"
    malformed, ///< a letter among the digits: "6x5000.00"
    zero,      ///< a price of "0": decodes, but no book may hold it
};

/// One simulated instrument.
struct symbol_config {
    std::string symbol;                 ///< e.g. "BTCUSDT"
    std::int64_t start_price_ticks = 0; ///< 0 = derive from the seed and the symbol
    std::uint8_t price_decimals = 2;    ///< tick = 10^-price_decimals
    std::uint8_t qty_decimals = 3;      ///< lot = 10^-qty_decimals
};

struct model_config {
    model::category cat = model::category::linear;
    std::vector<symbol_config> symbols;
    std::uint64_t seed = 1;
    std::size_t book_levels = 1000; ///< levels kept per side (the deepest subscribable depth)
};

/// The last book sent on a topic: the ground truth a correct client must hold.
struct book_truth {
    std::uint64_t u = 0;
    std::vector<std::pair<std::string, std::string>> bids; ///< best first, venue formatting
    std::vector<std::pair<std::string, std::string>> asks;
};

/// A Bybit v5-compatible market for the simulator: per symbol, a deterministic random-walk
/// order book (deterministic from `seed`), trades consistent with the book, tickers, klines
/// and occasional liquidations; and, per topic, the frames Bybit would send, with the venue's
/// key order and number formatting for the category (spot trims zeros, linear pads to the
/// tick). Deltas are derived from real changes between what was last sent on a topic and the
/// book now, so a client that applies them correctly reproduces `truth()` exactly.
///
/// Pure: no I/O, no clock of its own (times are passed in). Owned by the simulator's market
/// thread; not thread-safe.
class market_model {
  public:
    /// Throws std::invalid_argument for a bad configuration (option category, no levels,
    /// an invalid or duplicate symbol, more than 10 decimals, a negative start price).
    explicit market_model(model_config cfg);
    ~market_model();
    market_model(const market_model&) = delete;
    market_model& operator=(const market_model&) = delete;
    market_model(market_model&&) noexcept;
    market_model& operator=(market_model&&) noexcept;

    [[nodiscard]] const model_config& config() const noexcept;
    [[nodiscard]] bool has_symbol(std::string_view symbol) const noexcept;

    /// Advances the market by one event (a book change, sometimes a trade that takes liquidity,
    /// rarely a liquidation) on one symbol chosen by the seeded generator, at time `now`.
    void step(unix_nanos now);

    /// Whether `topic` exists in this market (known channel available in the category,
    /// current depth, known symbol).
    [[nodiscard]] bool serves(std::string_view topic) const;

    /// The frame that starts a subscription to `topic`: a snapshot of what the topic last
    /// sent (books: the last-sent top-N, i.e. the truth, with its u, so that the new subscriber
    /// continues with the same deltas as everyone; a topic never used before starts from the
    /// current book; tickers: a full snapshot), or
    /// nullopt for event topics (publicTrade, allLiquidation) and klines before their first
    /// push. Does not advance the topic.
    [[nodiscard]] std::optional<std::string> subscribe_frame(std::string_view topic,
                                                             unix_nanos now);

    /// The frame to push on `topic` now, or nullopt when nothing changed since its last push
    /// (books: delta of the top-N with u+1; level 1: a snapshot, re-sent with the same u after
    /// 3 s without change; trades: the trades since the last push; tickers: linear/inverse
    /// delta of changed fields, spot snapshot; kline: the current candle, preceded in the same
    /// message by the closed one with confirm=true when a candle closed; liquidations since
    /// the last push). Advances the topic's sent state (its truth).
    [[nodiscard]] std::optional<std::string> push_frame(std::string_view topic, unix_nanos now);

    /// Ground truth for a book topic: what was last sent on it. nullopt for unknown topics.
    [[nodiscard]] std::optional<book_truth> truth(std::string_view topic) const;

    // --- faults ------------------------------------------------------------------------------
    /// The next delta on `topic` skips one update id (u jumps by 2). Returns false if unknown.
    bool skip_update(std::string_view topic);
    /// The next push on `topic` is a delta that crosses the book (best bid >= best ask); the
    /// truth is unchanged by it. Returns false if unknown.
    bool send_crossed(std::string_view topic);
    /// The next delta on `topic` carries, besides its real changes, one more bid whose price
    /// cannot be decoded or applied (`how`). The truth advances as the real changes say, so a
    /// client that drops the delta and stays live holds a wrong book. Returns false if unknown.
    bool send_bad_number(std::string_view topic, bad_number_kind how);
    /// The next book frame on `topic` (a subscribe's snapshot, or the next push) is a snapshot
    /// of `levels` levels per side: the truth's levels, then made-up levels beyond them (worse
    /// prices). The padding is not part of the truth. Returns false if unknown.
    bool send_oversized_snapshot(std::string_view topic, std::size_t levels);
    /// A simulated service restart: every book topic's next push is a snapshot with u = 1.
    void restart();

    // --- REST --------------------------------------------------------------------------------
    /// `result` object of GET /v5/market/orderbook (s, b, a, ts, u, seq, cts): the book now,
    /// `limit` levels per side (0: the category's default), best first, formatted as the
    /// streams format it; `ts` = now, `u` = what truth() reports for orderbook.1000.{symbol},
    /// `seq` = the symbol's cross sequence now, `cts` = its last market event. nullopt: unknown
    /// symbol.
    [[nodiscard]] std::optional<std::string>
    rest_orderbook(std::string_view symbol, std::size_t limit, unix_nanos now) const;
    /// `result` object of GET /v5/market/tickers (category, list[...]); symbol empty = all.
    [[nodiscard]] std::string rest_tickers(std::string_view symbol) const;
    /// `result` object of GET /v5/market/instruments-info (category, list[...] with
    /// priceFilter.tickSize, lotSizeFilter.qtyStep/basePrecision, priceScale, status).
    [[nodiscard]] std::string rest_instruments(std::string_view symbol) const;

    /// Bybit's first listing time the simulator pretends (instruments-info `launchTime`): no
    /// open interest, ratio or funding history is made up before it (klines go back to 1970).
    static constexpr std::int64_t launch_ms = 1'585'526'400'000;

    /// `result` of GET /v5/market/kline: candles of `iv` whose start is in [start_ms, end_ms]
    /// (end_ms beyond now means now), the newest `limit` of them, newest first. The newest
    /// is the candle forming now (the one the kline topic pushes); closed candles are the
    /// ones the topic confirmed; before the first real candle, a made-up continuous history.
    /// Advances the symbol's clock to `now` (deterministic, draws nothing). nullopt: unknown
    /// symbol.
    [[nodiscard]] std::optional<std::string> rest_kline(std::string_view symbol,
                                                        model::kline_interval iv,
                                                        std::int64_t start_ms, std::int64_t end_ms,
                                                        std::size_t limit, unix_nanos now);
    /// `result` of GET /v5/market/open-interest: buckets every `step_ms` (a multiple of 5
    /// minutes, aligned in UTC) in [start_ms, min(end_ms, before_ms, now)], newest first,
    /// `limit` of them; `next_before` is set to the next older bucket when there are more
    /// (the cursor), else 0. nullopt: unknown symbol.
    [[nodiscard]] std::optional<std::string>
    rest_open_interest(std::string_view symbol, std::int64_t step_ms, std::int64_t start_ms,
                       std::int64_t end_ms, std::size_t limit, unix_nanos now,
                       std::int64_t& next_before);
    /// `result` of GET /v5/market/account-ratio (list, without the cursor; see
    /// rest_open_interest for the paging).
    [[nodiscard]] std::optional<std::string>
    rest_account_ratio(std::string_view symbol, std::int64_t step_ms, std::int64_t start_ms,
                       std::int64_t end_ms, std::size_t limit, unix_nanos now,
                       std::int64_t& next_before) const;
    /// `result` of GET /v5/market/recent-trade: the newest `limit` trades, newest first, the
    /// same ones (id, price, size, side, time) publicTrade pushes. nullopt: unknown symbol.
    [[nodiscard]] std::optional<std::string> rest_recent_trades(std::string_view symbol,
                                                                std::size_t limit) const;
    /// `result` of GET /v5/market/funding/history: 8-hour funding times in
    /// [start_ms, min(end_ms, now)], newest first. nullopt: unknown symbol.
    [[nodiscard]] std::optional<std::string>
    rest_funding_history(std::string_view symbol, std::int64_t start_ms, std::int64_t end_ms,
                         std::size_t limit, unix_nanos now) const;
    /// `result` of GET /v5/market/risk-limit; symbol empty = all. nullopt: unknown symbol.
    [[nodiscard]] std::optional<std::string> rest_risk_limit(std::string_view symbol) const;
    /// Makes `symbol`'s 24 h turnover read `value` (a decimal in the turnover's unit) from
    /// now on, in tickers (stream and REST); false: unknown symbol or not a number >= 0.
    bool set_turnover(std::string_view symbol, double value);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mdg::sim
