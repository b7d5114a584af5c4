#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "model/events.hpp"
#include "model/instrument.hpp"
#include "net/rest_client.hpp"

namespace mdg::gateway {

/// One history to fetch at start (docs/rest.md, backfill).
struct backfill_job {
    enum class kind : std::uint8_t { klines, open_interest, trades };
    kind what = kind::klines;
    model::instrument_id instrument;
    model::kline_interval interval = model::kline_interval::m1; ///< klines only
    std::size_t count = 0; ///< candles, 5-minute buckets of open interest, or trades
};

[[nodiscard]] std::string_view to_string(backfill_job::kind k) noexcept;

/// What one instrument subscribes, as far as the backfill cares.
struct backfill_plan_input {
    model::instrument_id instrument;
    std::vector<model::kline_interval> intervals;
    bool tickers = false;
    bool trades = false;
};

/// Where fetched history goes (the state shards). Called on the I/O thread; false when there is
/// no room now (a full shard queue): the backfill tries again shortly.
class history_sink {
  public:
    history_sink() = default;
    history_sink(const history_sink&) = delete;
    history_sink& operator=(const history_sink&) = delete;
    history_sink(history_sink&&) = delete;
    history_sink& operator=(history_sink&&) = delete;
    virtual ~history_sink() = default;

    virtual bool kline_history(std::span<const model::kline> history) = 0;
    virtual bool open_interest_history(model::instrument_id instrument,
                                       std::span<const model::open_interest_point> history) = 0;
    virtual bool trade_history(std::span<const model::trade> history) = 0;
};

struct backfill_options {
    model::category cat = model::category::linear;
    std::vector<backfill_job> jobs;
    /// A failed fetch is tried again after retry_base, doubling up to retry_cap, until it
    /// succeeds or the gateway stops.
    std::chrono::milliseconds retry_base{2000};
    std::chrono::milliseconds retry_cap{300'000};
};

/// One job as /v1/status shows it.
struct backfill_job_status {
    backfill_job job;
    bool done = false;
    std::uint32_t attempts = 0; ///< fetches tried (a page counts once)
    std::uint32_t failures = 0; ///< failed fetches
    std::size_t rows = 0;       ///< candles or buckets handed to the state when done
    std::string last_error;     ///< the last failure, one line; empty when none
    std::chrono::steady_clock::time_point retry_at{}; ///< while waiting to try again
    std::chrono::steady_clock::time_point finished_at{};
};

/// Figures of the whole backfill (the scrape).
struct backfill_totals {
    std::size_t jobs = 0;
    std::size_t done = 0;
    std::array<std::uint64_t, 3> fetched{}; ///< successful fetches, by kind
    std::array<std::uint64_t, 3> failed{};  ///< failed fetches, by kind
    std::array<std::uint64_t, 3> rows{};    ///< candles, buckets, trades handed to the state
};

/// History at start (docs/rest.md): the candles of every subscribed interval, the 5-minute
/// open-interest buckets of every instrument with a ticker and the recent trades of every
/// instrument with trades, fetched over the market REST client while the WebSocket
/// subscriptions go live, and handed to the state shards through `sink`, where they merge with
/// what the stream delivered meanwhile (kline_series::merge: no duplicate candle, no hole at
/// the seam; trade_ring::merge: no trade twice). Every job runs at once; the rest client's rate
/// limiter (bulk priority) and its connection pool pace them. A job's first failure is logged
/// (WARN, with the reason; at most one such line a minute over all jobs, since a venue down at
/// start fails them all; later failures of a job are counted, not logged) and the job is tried
/// again with backoff until it succeeds; a success after failures is logged (INFO, limited the
/// same way), and the end of the whole backfill once.
///
/// Not thread-safe: everything runs on the executor of `client` (the gateway's I/O thread);
/// the accessors too.
class backfill {
  public:
    /// `client`, `registry` and `sink` must outlive the backfill.
    backfill(boost::asio::any_io_executor ex, net::rest_client& client,
             const model::instrument_registry& registry, history_sink& sink, backfill_options opts);
    ~backfill();
    backfill(const backfill&) = delete;
    backfill& operator=(const backfill&) = delete;
    backfill(backfill&&) = delete;
    backfill& operator=(backfill&&) = delete;

    /// Starts every job (co_spawned on the executor). Once.
    void start();
    /// Ends the waits; fetches in flight end when the client is stopped. Idempotent.
    void stop();

    [[nodiscard]] std::span<const backfill_job_status> jobs() const noexcept;
    [[nodiscard]] backfill_totals totals() const noexcept;
    /// Whether every job is done (true when there are none).
    [[nodiscard]] bool complete() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

/// How much history to fetch: candles per interval (0: none), open-interest buckets and
/// recent trades per instrument (0: none).
struct backfill_depths {
    std::function<std::size_t(model::kline_interval)> klines;
    std::size_t open_interest = 0;
    std::size_t trades = 0;
};

/// The jobs for `subs`: candles per subscribed interval, open-interest buckets for each
/// instrument with tickers, recent trades for each with publicTrade, as `depths` says. Spot has
/// no open interest (and at most 60 recent trades); options get no history.
[[nodiscard]] std::vector<backfill_job> plan_backfill(model::category cat,
                                                      std::span<const backfill_plan_input> subs,
                                                      const backfill_depths& depths);

} // namespace mdg::gateway
