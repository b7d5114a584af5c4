#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "dispatch/consumer.hpp"
#include "market/market_state.hpp"
#include "model/instrument.hpp"

namespace mdg::dispatch {

/// What a consumer event is about, for logs ("Message callback timeout for <symbol> on
/// <topic>") and metrics.
enum class event_kind : std::uint8_t { book, ticker, trade, kline, liquidation };
[[nodiscard]] std::string_view to_string(event_kind k) noexcept;

/// Names the venue topic an event came from, e.g. "orderbook.50.BTCUSDT" (the gateway knows
/// the venue's spelling; the pool does not). `detail` is the book depth or the kline interval.
using topic_namer = std::function<std::string(event_kind, model::instrument_id, unsigned detail)>;

/// The consumer stage: registered consumers, one bounded queue each, run by a pool of
/// threads (docs/architecture.md).
///
/// - Queues: books and tickers conflate to the latest state per (instrument, topic); trades,
///   klines and liquidations are FIFO and drop the oldest when full. Every conflation and drop
///   is counted. Events of one instrument reach a consumer in the order its shard produced
///   them (conflated states keep their place in that order).
/// - Scheduling: a consumer's calls are serial; consumers run in parallel on the pool. A
///   consumer's backlog never delays another consumer, a shard, or the network: publishing
///   only copies into the consumer's queue under its own short lock.
/// - Budgets: a watchdog thread checks every running call. One that overruns its consumer's
///   budget is counted, logged once (`Message callback timeout for <symbol> on <topic>`, with
///   the elapsed time), its stop_token is stopped, and while it stays blocked the pool starts a
///   replacement thread so the other consumers keep their full thread count.
///
/// Lifecycle: add() consumers, start(), publish from shard threads, stop(). The instrument
/// registry must not change after start() (it is read from pool threads).
class consumer_pool {
  public:
    struct options {
        std::size_t threads = 4;
        topic_namer namer{}; ///< empty: "<kind>.<symbol>"
        /// How long an idle worker busy-waits for work before it sleeps (one worker at a
        /// time, and only after more than one batch since it last slept; core::spin_until).
        /// Zero: sleep at once.
        std::chrono::nanoseconds spin = std::chrono::microseconds{50};
    };

    consumer_pool(options opts, const model::instrument_registry& registry);
    ~consumer_pool(); ///< stop() with no drain
    consumer_pool(const consumer_pool&) = delete;
    consumer_pool& operator=(const consumer_pool&) = delete;
    consumer_pool(consumer_pool&&) = delete;
    consumer_pool& operator=(consumer_pool&&) = delete;

    /// Registers a consumer (before start()); returns its index. `on_duration`, if set, is
    /// called on the pool thread with each call's duration (the metrics histogram).
    std::size_t add(std::shared_ptr<consumer> c, consumer_options opts,
                    std::function<void(std::chrono::nanoseconds)> on_duration = {});
    void start();

    /// Stops: new events are refused, queues drain until `drain_deadline`, then every running
    /// call's stop_token is stopped and the threads are joined; threads still blocked in a
    /// callback after a further grace period are detached (they own what they use). Returns
    /// true when everything drained and joined in time. Idempotent.
    bool stop(std::chrono::milliseconds drain_deadline);

    /// Publishing, from shard threads (thread-safe, never blocks on a consumer's callback).
    void publish_book(model::instrument_id id, std::uint16_t depth, const market::book_entry& e,
                      std::chrono::steady_clock::time_point applied);
    void publish_ticker(model::instrument_id id, const market::ticker_state& t,
                        std::chrono::steady_clock::time_point applied);
    void publish_trade(const model::trade& t);
    /// The instrument's trades went stale: consumers of trades get on_trades_stale, in order
    /// with the trades (a full FIFO drops its oldest event, as for trades).
    void publish_trades_stale(model::instrument_id id);
    void publish_kline(const model::kline& k);
    void publish_liquidation(const model::liquidation& l);
    /// History fetched over REST, oldest first: candles of one (instrument, interval) to
    /// consumers of klines, open interest of one instrument to consumers of tickers, recent
    /// trades of one instrument to consumers of trades. FIFO events in order with the
    /// instrument's live ones; one shared copy for every consumer.
    void publish_kline_history(std::span<const model::kline> history);
    void publish_open_interest_history(model::instrument_id id,
                                       std::span<const model::open_interest_point> points);
    void publish_trade_history(std::span<const model::trade> history);
    /// A polled REST answer, to consumers of venue_data. Thread-safe like the others; called
    /// from the I/O thread (the poller), in no order with the shards' events.
    void publish_venue_data(std::shared_ptr<const venue_data> d);

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] const consumer_options& consumer_opts(std::size_t i) const noexcept;
    [[nodiscard]] const consumer_stats& stats(std::size_t i) const noexcept;
    /// Threads running now (the configured count, plus replacements for blocked calls).
    [[nodiscard]] std::size_t threads_alive() const noexcept;

    struct core;

  private:
    std::shared_ptr<core> core_;
};

} // namespace mdg::dispatch
