#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "model/instrument.hpp"
#include "sim/control.hpp"
#include "sim/market_model.hpp"

namespace mdg::sim {

struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; ///< 0 = any free port (see server::port())
    std::vector<symbol_config> symbols;
    std::uint64_t seed = 1;
    /// Market events per second, per category (each event changes one symbol's book and
    /// usually yields one data message); 0 = as fast as the clients read.
    double rate = 750;
    std::vector<action> script; ///< timed faults, relative to start()
    /// Replay mode: serve this capture (one raw frame per line) instead of a simulated market.
    std::string replay_file;
    model::category replay_category = model::category::linear;
    double replay_speed = 1; ///< 1 = original timing, N = N times faster, 0 = as fast as read
    /// A client whose unsent frames exceed this is disconnected (counted): a client that does
    /// not read must not grow the server's memory.
    std::size_t max_send_queue_bytes = 8U << 20;
    std::size_t max_request_bytes = 64U << 10; ///< WebSocket request frames and HTTP bodies
    std::size_t max_connections = 1024;
    /// Connections open from one client address: more are closed at once (counted in
    /// `refused_connections`). Bybit allows 500 new connections per 5 minutes from one IP.
    std::size_t max_connections_per_address = 512;
    /// An HTTP request's line and headers must arrive within this (it also ends a kept-alive
    /// connection idle for this long: slowloris and idle sockets), and its body within
    /// `body_timeout` more. A WebSocket connection has no such deadline once upgraded.
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{10'000};
    /// Bybit's IP limit on the market REST paths: more than this many /v5/market/ requests
    /// from one address in any 5 s get HTTP 403 "access too frequent" (counted in
    /// `rest_refused_by_limit`). 0 = no limit (Bybit: 600).
    std::size_t rest_limit_per_5s = 0;
};

/// Counters of the simulator, for /sim/status and tests.
struct server_stats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    std::uint64_t ws_sessions = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t frames_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t requests_rejected = 0; ///< error frames sent (bad op, bad topic, ...)
    std::uint64_t requests_ignored = 0;  ///< subscribes left unanswered (ignore_subscription)
    std::uint64_t slow_client_disconnects = 0;
    std::uint64_t refused_connections = 0; ///< over a connection cap, or WebSocket refused
    std::uint64_t request_timeouts = 0;    ///< HTTP requests not in within their deadlines
    std::uint64_t faults_applied = 0;      ///< faults only: pause and resume are not counted
    std::uint64_t market_steps = 0;
    std::uint64_t rest_requests = 0;         ///< /v5/market/ requests (per path in /sim/status)
    std::uint64_t rest_refused_by_limit = 0; ///< 403 "access too frequent" (rest_limit_per_5s)
    std::uint64_t rest_faulted = 0;          ///< answered by a rest or rest_time fault
};

/// A Bybit v5-compatible exchange simulator on one port: WebSocket
/// `/v5/public/{spot,linear,inverse}`, REST `/v5/market/{time,orderbook,tickers,
/// instruments-info,kline,open-interest,recent-trade,account-ratio,funding/history,
/// risk-limit}`, ground truth at `/sim/truth/book`, control at `/sim/control`, status at
/// `/sim/status` (docs/simulator.md).
///
/// Runs entirely on the io_context it is given (one thread is expected: no locks). Owned by
/// whoever created it; stop() before destroying the io_context.
class server {
  public:
    server(boost::asio::io_context& ioc, server_options opts,
           const core::clock& clock = core::default_clock());
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&&) = delete;
    server& operator=(server&&) = delete;

    /// Binds, listens and starts the market, the script and the accept loop. Throws
    /// std::runtime_error naming the address when it cannot bind or the replay file cannot be
    /// read (a startup error).
    void start();
    /// Stops accepting, closes every connection, ends the market. Idempotent.
    void stop();
    /// The bound port (after start()).
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// Applies a control command now (what POST /sim/control does). On error `reason` says
    /// why (unknown topic, unknown connection, not available in replay mode).
    [[nodiscard]] boost::system::error_code apply(const action& a, std::string& reason);

    [[nodiscard]] const server_stats& stats() const noexcept;

    /// What /sim/truth/book returns, for in-process users (call on the server's thread).
    [[nodiscard]] std::optional<book_truth> truth(model::category cat,
                                                  std::string_view topic) const;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::sim
