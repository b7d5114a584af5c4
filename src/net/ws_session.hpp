#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "core/result.hpp"

namespace mdg::net {

/// A parsed ws:// or wss:// URL.
struct ws_url {
    bool tls = false;
    std::string host;
    std::string port;   ///< "443" / "80" when the URL has none
    std::string target; ///< path and query, "/" when empty
};

/// Parses "wss://stream.bybit.com/v5/public/linear" or "ws://127.0.0.1:9000/v5/public/spot?x=1"
/// (a query is kept in the target). The host and port are read as parse_http_url reads them
/// (parse_url_authority). Refused, with invalid_argument and one line in `reason` that quotes
/// the URL: another scheme, user info, a fragment, spaces or control characters, and what
/// parse_url_authority refuses (no host, a bad IPv6 literal, a port outside 1-65535).
[[nodiscard]] result<ws_url> parse_ws_url(std::string_view url, std::string& reason);

struct session_options {
    std::chrono::milliseconds resolve_timeout{5000};
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds tls_timeout{5000};
    std::chrono::milliseconds handshake_timeout{10'000};
    std::size_t max_frame_bytes = 1U << 20; ///< larger frames end the connection (1009)
    std::string user_agent = "mdgate";
};

/// Which step of connecting failed, for metrics (`mdgate_network_errors_total{kind}`) and
/// logs. Decided once, where the step runs; never from error text.
enum class connect_step : std::uint8_t { resolve, connect, tls, handshake, none };
[[nodiscard]] std::string_view to_string(connect_step s) noexcept;

/// A TLS context for clients: system trust store, peer verification on, TLS 1.2+. `ca_file`
/// adds a trusted certificate (tests, private venues). Throws std::runtime_error (startup).
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context>
make_client_tls_context(const std::string& ca_file = {});

/// One client WebSocket connection, plain (ws://, loopback) or TLS (wss://, certificate and
/// host-name verification, SNI). Every step of connecting has a deadline; after that there is
/// one reader (read()) and at most one write in flight: send() queues, a writer coroutine
/// drains the queue. Protocol pings from the server are answered here; application pings
/// are the feed's job (they are just frames). The framing is ours (ws_frame.hpp): reads of up
/// to 64 kB, and every complete frame in them handed out without another read.
///
/// Owned by one connection's coroutine; all members must run on that coroutine's executor
/// (not thread-safe). Move-only.
class ws_session {
  public:
    ws_session(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
               session_options opts);
    ~ws_session();
    ws_session(ws_session&&) noexcept;
    ws_session& operator=(ws_session&&) noexcept;
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;

    /// Resolves, connects, (TLS handshake,) WebSocket handshake, each under its deadline.
    /// On failure `failed_step` says which step; a deadline shows as `timed_out`.
    [[nodiscard]] boost::asio::awaitable<boost::system::error_code>
    connect(const ws_url& url, connect_step& failed_step);

    /// Reads the next text frame into an internal buffer and returns a view of it, valid
    /// until the next read(). Binary frames are skipped. An error ends the connection.
    [[nodiscard]] boost::asio::awaitable<boost::system::error_code> read(std::string_view& text);

    /// Socket reads that returned data so far. Frames handed out between two changes of this
    /// number arrived together: a caller can take one receive time stamp per read.
    [[nodiscard]] std::uint64_t socket_reads() const noexcept;

    /// Queues a text frame; it is written after the ones queued before it.
    void send(std::string text);
    /// Bytes queued and not yet written.
    [[nodiscard]] std::size_t queued_bytes() const noexcept;

    /// Ends the connection: with a close frame (graceful) or by closing the socket. Pending
    /// reads complete with an error. Safe to call more than once.
    void close(bool graceful);

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

/// Binary WebSocket messages received and dropped (read() skips them: Bybit sends only text),
/// counted across every session of the process, so that a venue change shows up
/// (`mdgate_ws_binary_frames_total`). The first one is logged at warn. Thread-safe.
[[nodiscard]] std::uint64_t binary_frames_dropped() noexcept;

/// True for the errors that mean "the connection ended normally" (cancelled, closed by a
/// close frame, TLS stream truncated after shutdown), which loops treat as an exit, not a
/// failure.
[[nodiscard]] bool is_expected_close(const boost::system::error_code& ec) noexcept;

} // namespace mdg::net
