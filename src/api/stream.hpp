#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/catalog.hpp"
#include "api/market_cache.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace mdg::api {

/// Limits of the stream (`[api]` in the configuration; docs/api.md "Limits").
struct stream_options {
    std::size_t max_subscribers = 256;
    std::size_t max_channels_per_subscriber = 1000;
    std::size_t max_client_message_bytes = 16U << 10;
    std::size_t max_client_messages_per_second = 50;
    /// Bytes queued for one subscriber before it counts as behind (books conflate, events drop
    /// their oldest).
    std::size_t send_buffer_bytes = 4U << 20;
    /// A subscriber that stays behind (never catches up with its queue) this long is closed.
    std::chrono::milliseconds slow_close_after{10'000};
    /// The gateway pings every stream this often; a stream that sends nothing (not even a pong)
    /// for three intervals is closed as half-open.
    std::chrono::milliseconds ping_interval{20'000};
    /// A book channel sends at most one message per this interval: versions that arrive
    /// sooner are merged into the next delta (the diff of the versions, so nothing is lost
    /// but intermediate states), and a timer sends the last one. Zero: every version. Bybit
    /// itself pushes orderbook.50 every 20 ms; this keeps a flood from multiplying by the
    /// number of subscribers.
    std::chrono::milliseconds book_interval{10};
};

/// The WebSocket stream of docs/api.md at /v1/stream: subscriptions to book, trade, ticker,
/// kline and liquidation channels; books as snapshot + deltas computed from the cache's
/// versions, with a per-channel `seq` and a checksum; a bounded send queue per subscriber
/// (books conflate to a fresh snapshot, events drop the oldest with a `gap` message), and a
/// subscriber that stays behind is closed.
///
/// Threads: sockets, handshakes, client messages and writes run on `ex` (the API thread). The
/// cache calls the listener methods on its consumer thread: they build each message once per
/// channel and only append it to the subscribers' queues (a short lock each); they never wait
/// for a socket. Nothing here runs on the venue's I/O thread or a shard.
///
/// Owned by the gateway; `cat`, `cache` and `reg` outlive it. stop() before destruction (the
/// destructor stops too).
class stream final : public cache_listener {
  public:
    stream(boost::asio::any_io_executor ex, const catalog& cat, const market_cache& cache,
           metrics::registry& reg, stream_options opts);
    ~stream() override;
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    stream(stream&&) = delete;
    stream& operator=(stream&&) = delete;

    /// The upgrade handler of /v1/stream (http::server::upgrade). Runs on `ex`.
    void accept(boost::asio::ip::tcp::socket socket, const http::request& req,
                std::string_view buffered);

    /// Closes every stream (close code 1000, "shutdown") and refuses new ones. Any thread;
    /// asynchronous (the closes go out on `ex`).
    void stop();

    /// Streams open now. Any thread.
    [[nodiscard]] std::size_t subscribers() const noexcept;

    // cache_listener (the cache's consumer thread)
    void on_book(const instrument_entry& e, const book_ptr& b) override;
    void on_ticker(const instrument_entry& e, const dispatch::ticker_view& t) override;
    void on_trade(const instrument_entry& e, const model::trade& t) override;
    void on_kline(const instrument_entry& e, const model::kline& k) override;
    void on_liquidation(const instrument_entry& e, const model::liquidation& l) override;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::api
