#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "exchange/feed/subscription_set.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"
#include "model/ticker.hpp"
#include "net/rest_client.hpp"

namespace mdg::gateway {

/// When a stale channel is fetched over REST (`[refresh]`, docs/rest.md). 0: never.
struct refresh_settings {
    std::chrono::milliseconds orderbook{0}; ///< a book's stream silent this long
    std::chrono::milliseconds tickers{0};   ///< a ticker's stream silent this long
    /// The least time between two refreshes of one topic (an outage of minutes costs one
    /// request per topic per interval, not one per check).
    std::chrono::milliseconds min_interval{10'000};
};

/// Where refreshed data goes (the state shards). Called on the I/O thread; false when there is
/// no room now (the refresh is dropped: the next check asks again).
class refresh_sink {
  public:
    refresh_sink() = default;
    refresh_sink(const refresh_sink&) = delete;
    refresh_sink& operator=(const refresh_sink&) = delete;
    refresh_sink(refresh_sink&&) = delete;
    refresh_sink& operator=(refresh_sink&&) = delete;
    virtual ~refresh_sink() = default;

    /// A REST book: a snapshot of (instrument, depth) with its own `u`.
    virtual bool rest_book(const model::book_update& b) = 0;
    virtual bool rest_ticker(const model::ticker_update& t) = 0;
};

/// Counters of one channel (orderbook, tickers).
struct refresh_counters {
    std::uint64_t started = 0;
    std::uint64_t ok = 0;      ///< answers handed to the state
    std::uint64_t failed = 0;  ///< requests or answers that failed
    std::uint64_t dropped = 0; ///< answers the full shard queue refused
};

/// The emergency refresh (docs/rest.md): a book or ticker topic whose stream data is older than
/// its threshold, while its connection is up or reconnecting, is fetched over REST (urgent
/// priority: it never waits behind the backfill or the polls) and handed to its shard. A book
/// becomes the shard's REST snapshot beside the stream's book, shown while the stream's book is
/// not live and never as live; a ticker's fields are replaced and marked as from REST. The old
/// service logged this as "EMERGENCY refresh triggered ... WS data stale"; mdgate logs
/// `EMERGENCY refresh of <topic>` at WARN, at most one line a minute with the count of those
/// held back (an outage makes every topic stale at once).
///
/// Not thread-safe: check() and the requests run on the client's executor (the I/O thread).
class emergency_refresh {
  public:
    /// `client`, `registry` and `sink` must outlive it. `started` stands in for the last data
    /// of a topic that never had any.
    emergency_refresh(boost::asio::any_io_executor ex, net::rest_client& client,
                      const model::instrument_registry& registry, model::category cat,
                      refresh_sink& sink, refresh_settings s,
                      std::chrono::steady_clock::time_point started);
    ~emergency_refresh();
    emergency_refresh(const emergency_refresh&) = delete;
    emergency_refresh& operator=(const emergency_refresh&) = delete;
    emergency_refresh(emergency_refresh&&) = delete;
    emergency_refresh& operator=(emergency_refresh&&) = delete;

    /// Looks at one connection's topics (it is up or reconnecting) and starts a refresh for
    /// each book and ticker topic stale beyond its threshold and not refreshed (or being
    /// refreshed) within min_interval.
    void check(const exchange::subscription_set& subs, std::chrono::steady_clock::time_point now);
    /// Refuses new refreshes; those in flight end when the client is stopped. Idempotent.
    void stop();

    /// [0] orderbook, [1] tickers.
    [[nodiscard]] const std::array<refresh_counters, 2>& counters() const noexcept;
    [[nodiscard]] std::size_t in_flight() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::gateway
