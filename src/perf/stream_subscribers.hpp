#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "perf/measure.hpp"

namespace mdg::perf {

/// What the fan-out benchmark's subscribers do.
struct subscribers_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;            ///< the gateway's HTTP port (/v1/stream)
    std::size_t count = 100;           ///< subscribers that read everything
    bool stalled = false;              ///< plus one that subscribes and then never reads
    std::vector<std::string> channels; ///< what every subscriber subscribes to
    std::chrono::milliseconds connect_timeout{10'000};
};

/// Counters of the reading subscribers, read while they run (relaxed; approximate) or after
/// stop() (exact).
struct subscribers_totals {
    std::vector<std::uint64_t> messages;   ///< data messages (with a `ch`), per reading subscriber
    std::uint64_t conflated_snapshots = 0; ///< snapshots with "conflated":true
    std::uint64_t closed = 0;              ///< reading subscribers whose stream ended early
};

/// N WebSocket clients of the gateway's stream (docs/api.md) on one io_context thread of their
/// own (Boost.Beast, one coroutine per subscriber), for `mdgate bench --fanout`. Each reading
/// subscriber records, for every message that carries `ts_recv`, now - ts_recv (wall clock,
/// microseconds) into latency() while recording is on. The stalled one (if any) is never read.
///
/// Owned by the benchmark run; start() and stop() from one controlling thread; the accessors
/// are thread-safe.
class stream_subscribers {
  public:
    explicit stream_subscribers(subscribers_options opts);
    ~stream_subscribers(); ///< stop()
    stream_subscribers(const stream_subscribers&) = delete;
    stream_subscribers& operator=(const stream_subscribers&) = delete;
    stream_subscribers(stream_subscribers&&) = delete;
    stream_subscribers& operator=(stream_subscribers&&) = delete;

    /// Starts the thread, connects every subscriber and waits until each reading one has its
    /// `subscribed` answer (the stalled one: until its subscribe is written). False with
    /// `reason` when that does not happen within connect_timeout.
    [[nodiscard]] bool start(std::string& reason);
    /// Stops the thread and closes the sockets (no close handshake). Idempotent.
    void stop();

    void set_recording(bool on) noexcept { recording_.store(on, std::memory_order_relaxed); }
    [[nodiscard]] const latency_histogram& latency() const noexcept { return latency_; }
    [[nodiscard]] subscribers_totals totals() const;
    /// CPU seconds used by the subscribers' thread so far (0 before start()).
    [[nodiscard]] double cpu_seconds() const noexcept;

  private:
    struct state;
    subscribers_options opts_;
    std::unique_ptr<state> st_;
    boost::asio::io_context ioc_{1};
    std::thread thread_;
    std::atomic<bool> recording_{false};
    latency_histogram latency_;
};

} // namespace mdg::perf
