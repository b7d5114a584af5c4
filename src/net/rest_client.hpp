#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/rate_limiter.hpp"

namespace mdg::net {

/// Settings of the market-data REST client.
struct rest_client_options {
    /// Base URL, "https://api.bybit.com" or "http://127.0.0.1:9000" (a path prefix is kept).
    std::string url;
    /// Resolve + connect (+ TLS handshake) of a new connection.
    std::chrono::milliseconds connect_timeout{5000};
    /// Writing the request and reading the whole response, on a connection that is up.
    std::chrono::milliseconds request_timeout{10'000};
    /// The most a request waits for the rate limiter; one that would wait longer fails as
    /// `rate_limited` at once (a ban of 10 minutes is not worth waiting for).
    std::chrono::milliseconds max_limiter_wait{30'000};
    /// A larger response (header + body) fails as `bad_body`.
    std::size_t max_response_bytes = std::size_t{16} << 20;
    /// Connections kept to the host at most (requests beyond wait for one).
    std::size_t max_connections = 4;
    /// A kept connection unused this long is closed instead of reused.
    std::chrono::milliseconds idle_timeout{30'000};
    /// How long the whole IP waits after the venue answers HTTP 403 ("access too frequent":
    /// Bybit asks for at least 10 minutes).
    std::chrono::milliseconds ip_ban{600'000};
    std::string user_agent = "mdgate";
};

/// How a request ended (one metric label each).
enum class rest_outcome : std::uint8_t {
    ok,           ///< HTTP 200 and retCode 0: `body` holds the JSON document
    network,      ///< DNS, connect, TLS, or the connection broke before a full response
    timeout,      ///< a deadline passed (connect_timeout or request_timeout)
    http_status,  ///< an HTTP status other than 200 (and not a rate limit)
    rate_limited, ///< HTTP 403 or 429, retCode 10006/10018, or the limiter wait was too long
    bad_body,     ///< too large, not JSON, no integer retCode, cut short
    venue_error,  ///< retCode other than 0: `ret_code` and `ret_msg` say which
    circuit_open, ///< refused without a request: the connectivity probe says the host is down
    cancelled,    ///< stop() was called
};
inline constexpr std::size_t rest_outcome_count = 9;
[[nodiscard]] std::string_view to_string(rest_outcome o) noexcept;

/// The result of one get().
struct rest_response {
    rest_outcome outcome = rest_outcome::ok;
    unsigned http_status = 0;
    std::int64_t ret_code = 0;
    std::string ret_msg;                  ///< printable, at most 80 characters
    std::string body;                     ///< the response body (only kept when `ok`)
    std::string reason;                   ///< one line when not ok: what, where, why
    std::chrono::nanoseconds duration{0}; ///< from get() to the end, limiter wait included
    [[nodiscard]] bool ok() const noexcept { return outcome == rest_outcome::ok; }
};

/// Counters of one path (export them as `mdgate_rest_*`).
struct rest_endpoint_stats {
    std::uint64_t requests = 0; ///< requests sent (limiter granted)
    std::array<std::uint64_t, rest_outcome_count> outcomes{};
    std::uint64_t limiter_waits = 0; ///< times a request waited for the rate limiter
    std::chrono::nanoseconds limiter_wait{0};
};

/// The market-data REST client of one venue host: GET requests with deadlines, keep-alive
/// connections reused (at most `max_connections`), TLS verified with SNI, every request
/// through the shared rate_limiter, responses checked (HTTP status, size, JSON, retCode) and
/// classified. The venue saying "too many" is obeyed: HTTP 403 bans the whole IP for
/// `ip_ban`, HTTP 429 or retCode 10006 bans the path until the venue's reset time (or a
/// second). Separate from the connectivity probe, but refuses at once while the probe's
/// breaker is open (`network_down`).
///
/// Not thread-safe: construct it, call every member and co_await get() on the one executor
/// `ex` (the gateway's I/O thread). Requests may run concurrently (co_spawned). Each failure
/// is counted per path and outcome and logged once per path and outcome (rate-limited).
class rest_client {
  public:
    /// `tls` is used for https URLs; may be null for http only. `network_down`, if set, is
    /// asked before each request. Throws std::invalid_argument for a bad URL.
    rest_client(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
                rate_limiter& limiter, rest_client_options opts,
                std::function<bool()> network_down = {});
    ~rest_client();
    rest_client(const rest_client&) = delete;
    rest_client& operator=(const rest_client&) = delete;
    rest_client(rest_client&&) = delete;
    rest_client& operator=(rest_client&&) = delete;

    /// GET `<base><path>?<query>` (`query` already encoded, may be empty). Never throws for
    /// network or input errors.
    [[nodiscard]] boost::asio::awaitable<rest_response>
    get(std::string_view path, std::string_view query, rest_priority priority);

    /// Ends waits and requests in flight (they complete with `cancelled`) and refuses new ones.
    void stop();

    /// Per-path counters, and connections open now.
    [[nodiscard]] const std::map<std::string, rest_endpoint_stats, std::less<>>&
    stats() const noexcept;
    [[nodiscard]] std::size_t open_connections() const noexcept;
    /// Connections made so far (a reused connection is not made again).
    [[nodiscard]] std::uint64_t connects() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::net
