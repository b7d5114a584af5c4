#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "exchange/bybit/messages.hpp"
#include "exchange/bybit/parse.hpp"
#include "exchange/feed/subscription_set.hpp"
#include "net/backoff.hpp"
#include "net/connect_budget.hpp"
#include "net/ws_session.hpp"
#include "record/recorder.hpp"

namespace mdg::exchange {

/// A connection's place in its life (exported as a gauge; each transition logged once).
enum class connection_state : std::uint8_t { connecting, subscribing, live, backing_off, stopped };
[[nodiscard]] std::string_view to_string(connection_state s) noexcept;

/// Where decoded data goes. Called on the connection's executor, once per data frame; must
/// not block (hand heavy work to other threads).
class frame_handler {
  public:
    frame_handler() = default;
    frame_handler(const frame_handler&) = delete;
    frame_handler& operator=(const frame_handler&) = delete;
    frame_handler(frame_handler&&) = delete;
    frame_handler& operator=(frame_handler&&) = delete;
    virtual ~frame_handler() = default;

    /// A data frame. Returns true when its topic must be resynced (a book gap or crossed
    /// book): the connection then resubscribes that one topic.
    virtual bool on_data(const bybit::decoded_frame& frame) = 0;
    /// A book message (`failure.topic` is an orderbook topic) that could not be decoded: its
    /// book must not stay live without it. Returns true when the connection must resubscribe
    /// that one topic now (as on_data); by default it does.
    virtual bool on_unusable(const bybit::decode_failure& failure) {
        (void)failure;
        return true;
    }
    /// The connection was lost (or is being replaced): its books must wait for snapshots.
    virtual void on_connection_lost(std::span<const std::string> topics) = 0;
};

struct connection_options {
    std::string id = "conn_0";
    model::category cat = model::category::linear;
    std::string url;
    std::vector<std::string> topics;
    net::session_options session;
    net::backoff::options backoff;
    std::chrono::milliseconds ping_interval{20'000};
    /// An unanswered ping this old: a stall if nothing at all came since it, else a missed
    /// pong (exchange::liveness); either way, reconnect.
    std::chrono::milliseconds pong_timeout{10'000};
    /// No frame at all for this long: a stall (`[HANDLER_TIMEOUT]`), reconnect.
    std::chrono::milliseconds receive_timeout{30'000};
    /// A (re)subscription with no answer this long after it went out (no ack and no data; for
    /// a book, no snapshot) was lost: the topic is resubscribed (paced like a resync).
    std::chrono::milliseconds subscribe_timeout{10'000};
    /// A topic the venue refused is asked for again on this connection after this backoff.
    subscription_set::retry_options refused_retry{};
    std::uint64_t seed = 0; ///< backoff jitter; 0 = random
    /// Started after a failed connect, beside the backoff wait and never awaited by the retry
    /// loop (at most one in flight per connection): the shared connectivity probe, which logs
    /// and counts network failures. Runs on the connection's executor and may outlive the
    /// connection (it gets its own copy of this function). Optional.
    std::function<boost::asio::awaitable<void>()> probe{};
    /// The frame recorder (`--record`): every frame received, every request sent and each
    /// connect and loss go to it as connection `record_index`. Optional; outlives: the
    /// connection. Called only on this connection's executor (the recorder's one producer).
    record::recorder* recorder = nullptr;
    std::uint32_t record_index = 0;
};

/// Counters of one connection (the metrics module exports them).
struct connection_stats {
    std::uint64_t connects = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t connect_failures = 0;
    /// Failed connects by the step that failed: resolve (dns), connect, tls, handshake.
    std::array<std::uint64_t, 4> connect_failures_by_step{};
    /// Stalls (`[HANDLER_TIMEOUT]`): no frame of any kind within the first deadline to fire,
    /// the receive watchdog or the pong deadline; one per stall, whichever saw it.
    std::uint64_t handler_timeouts = 0;
    std::uint64_t pong_timeouts = 0; ///< missed pongs: deadline passed, data still arriving
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t decode_errors = 0;
    /// Decode errors by kind (the errc name); a new kind allocates once.
    std::map<std::string, std::uint64_t, std::less<>> decode_error_kinds;
    std::uint64_t pongs = 0;
    std::uint64_t acks_unmatched = 0;
    std::uint64_t topics_rejected = 0;
    std::uint64_t resubscribes = 0;
    /// (Re)subscriptions with no answer within subscribe_timeout (each then asked again).
    std::uint64_t subscribe_timeouts = 0;
    std::uint64_t topic_retries = 0; ///< refused topics asked for again on their backoff
    /// Connect attempts held back by the process-wide connect budget, and the time they waited.
    std::uint64_t budget_waits = 0;
    std::chrono::milliseconds budget_wait{0};
};

/// One venue connection and its single retry loop: connect (within the process-wide
/// connect budget) → subscribe every topic → live (read, decode, hand over; application pings
/// with a pong deadline; a receive watchdog) → on any failure back off with full jitter and
/// start again, forever, until stop(). After a reconnect every topic is resubscribed and the
/// handler told to wait for snapshots; a book gap resubscribes just that topic. No request
/// waits for good: one with no answer within subscribe_timeout is sent again, and a refused
/// topic is asked for again on its own backoff, without touching the connection.
///
/// Owned by the feed; run() and every member on one executor (not thread-safe).
class connection {
  public:
    connection(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
               net::connect_budget& budget, model::instrument_registry& registry,
               frame_handler& handler, connection_options opts);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    connection(connection&&) = delete;
    connection& operator=(connection&&) = delete;

    /// The retry loop; returns after stop().
    [[nodiscard]] boost::asio::awaitable<void> run();
    /// Stops the loop: closes the connection with a close frame; nothing reconnects after.
    void stop();
    /// Resubscribes one topic (surgical resync of a book with a gap). Thread-safe: posts to
    /// the connection's executor; ignored when the connection is not up.
    void request_resync(std::string topic);

    [[nodiscard]] connection_state state() const noexcept;
    [[nodiscard]] const connection_stats& stats() const noexcept;
    [[nodiscard]] const subscription_set& subscriptions() const noexcept;
    [[nodiscard]] const connection_options& options() const noexcept;
    /// Last frame of any kind / last pong; epoch = never.
    [[nodiscard]] std::chrono::steady_clock::time_point last_rx() const noexcept;
    [[nodiscard]] std::chrono::steady_clock::time_point last_pong() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::exchange
