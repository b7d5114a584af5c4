#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.hpp"
#include "core/clock.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"
#include "model/ticker.hpp"

namespace mdg::dispatch {

/// The channels a consumer can receive, as bits of `consumer_options::channels`.
enum class channel_bit : std::uint8_t {
    books = 1U << 0U,
    tickers = 1U << 1U,
    trades = 1U << 2U,
    klines = 1U << 3U,
    liquidations = 1U << 4U,
    venue_data = 1U << 5U, ///< data only the venue's REST API has (venue_data)
};
inline constexpr std::uint8_t all_channels = 0x3f;

/// Where a book or ticker view's contents come from: the WebSocket stream, or a REST answer
/// fetched while the stream was stale (the emergency refresh, docs/rest.md). A view from REST
/// is never `live`: its book keeps the stream's state (stale, resyncing, syncing).
enum class data_source : std::uint8_t { stream, rest };
[[nodiscard]] std::string_view to_string(data_source s) noexcept;

/// The latest state of one order book (the top `consumer_options::book_levels` levels per
/// side), as a consumer sees it. Book updates conflate: a consumer that falls behind gets the
/// newest state, never a stale sequence of deltas. `state` says whether the book can be
/// trusted; a consumer must not use a book that is not live.
struct book_view {
    model::instrument_id instrument;
    std::uint16_t depth = 0;
    book::book_state state = book::book_state::syncing;
    data_source source = data_source::stream; ///< rest: the levels and `u` are a REST answer's
    std::uint64_t update_id = 0;
    std::uint64_t seq = 0;
    unix_nanos ts_exchange;
    unix_nanos ts_recv;
    std::chrono::steady_clock::time_point applied; ///< when its shard applied the update
    std::vector<model::level> bids;                ///< best first
    std::vector<model::level> asks;                ///< best first
};

/// The merged state of one ticker after an update (tickers conflate like books).
struct ticker_view {
    model::instrument_id instrument;
    std::uint64_t cross_seq = 0;
    bool stale = false;
    data_source source = data_source::stream; ///< rest: the fields are a REST answer's
    unix_nanos ts_exchange;
    unix_nanos ts_recv;
    std::chrono::steady_clock::time_point applied;
    model::ticker_fields fields;
};

/// Data only the venue's REST API has, polled (docs/rest.md): the whole latest answer of one
/// kind for one instrument, oldest first, and when it was fetched. Shared by every consumer it
/// is delivered to.
struct venue_data {
    enum class kind : std::uint8_t { funding_history, account_ratio, risk_limits };
    kind what = kind::funding_history;
    model::instrument_id instrument;
    unix_nanos fetched_at;                           ///< local time the answer arrived
    std::vector<model::funding_rate_point> funding;  ///< funding_history
    std::vector<model::account_ratio_point> ratios;  ///< account_ratio (one period each)
    std::vector<model::risk_limit_tier> risk_limits; ///< risk_limits, limit_value ascending
};
inline constexpr std::size_t venue_data_kinds = 3;
[[nodiscard]] std::string_view to_string(venue_data::kind k) noexcept;

/// A registered consumer: user code (a callback, a sink). Runs on a pool thread, never on an
/// I/O or shard thread; calls for one consumer are serial, in per-instrument order. Each call
/// has a time budget: when it runs over, the pool counts and logs it and requests a stop on
/// `stop`; a callback that loops or waits should poll it.
///
/// Implement only the channels you subscribe to (the defaults ignore the event).
class consumer {
  public:
    consumer() = default;
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;
    consumer(consumer&&) = delete;
    consumer& operator=(consumer&&) = delete;
    virtual ~consumer() = default;

    virtual void on_book(const book_view& /*b*/, std::stop_token /*stop*/) {}
    virtual void on_ticker(const ticker_view& /*t*/, std::stop_token /*stop*/) {}
    virtual void on_trade(const model::trade& /*t*/, std::stop_token /*stop*/) {}
    virtual void on_kline(const model::kline& /*k*/, std::stop_token /*stop*/) {}
    virtual void on_liquidation(const model::liquidation& /*l*/, std::stop_token /*stop*/) {}
    /// Candles of one (instrument, interval) fetched over REST at start (the backfill), oldest
    /// first with increasing starts: history to merge by start (market::kline_series::merge),
    /// not live updates. With the klines channel, in order with the instrument's candles.
    virtual void on_kline_history(std::span<const model::kline> /*history*/,
                                  std::stop_token /*stop*/) {}
    /// Open interest of one instrument fetched over REST, oldest first
    /// (market::ticker_state::merge_open_interest). With the tickers channel.
    virtual void on_open_interest_history(model::instrument_id /*instrument*/,
                                          std::span<const model::open_interest_point> /*history*/,
                                          std::stop_token /*stop*/) {}
    /// Recent trades of one instrument fetched over REST at start, oldest first: history to
    /// merge by id and time (market::trade_ring::merge), not live trades. With the trades
    /// channel, in order with the instrument's trades.
    virtual void on_trade_history(std::span<const model::trade> /*history*/,
                                  std::stop_token /*stop*/) {}
    /// The latest answer of a polled REST endpoint (venue_data channel). Comes from the I/O
    /// thread's poller, not a shard: it has no order with the stream's events to keep.
    virtual void on_venue_data(const venue_data& /*d*/, std::stop_token /*stop*/) {}
    /// The instrument's trades are stale (silent beyond their threshold, or their connection
    /// dropped) until its next trade; delivered in order with its trades.
    virtual void on_trades_stale(model::instrument_id /*instrument*/, std::stop_token /*stop*/) {}
};

struct consumer_options {
    std::string name = "consumer"; ///< metric label and log name; unique per pool
    std::uint8_t channels = all_channels;
    /// Trades, klines and liquidations waiting (FIFO); when full the oldest is dropped.
    std::size_t queue_capacity = 4096;
    /// Levels per side copied into a book_view.
    std::size_t book_levels = 25;
    /// Time budget of one call (the old service's fix used 3 s).
    std::chrono::milliseconds budget{3000};
};

/// Counters of one consumer. Written by shard and pool threads, read by anyone (relaxed).
struct consumer_stats {
    std::atomic<std::uint64_t> delivered{0}; ///< callbacks run
    std::atomic<std::uint64_t> conflated{0}; ///< book/ticker states replaced before delivery
    std::atomic<std::uint64_t> dropped_oldest{
        0};                                   ///< FIFO events dropped because the queue was full
    std::atomic<std::uint64_t> timeouts{0};   ///< callbacks that overran the budget
    std::atomic<std::uint64_t> exceptions{0}; ///< callbacks that threw
    std::atomic<std::uint64_t> depth{0};      ///< events waiting now (FIFO + conflated)
};

} // namespace mdg::dispatch
