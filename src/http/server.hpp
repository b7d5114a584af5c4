#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/result.hpp"

namespace mdg::metrics {
class registry;
} // namespace mdg::metrics

namespace mdg::http {

/// One parsed request, as a handler sees it. Every view points into the connection's buffers
/// and is valid only during the handler call: copy what must outlive it.
struct request {
    std::string_view method; ///< "GET" or "HEAD" (other methods never reach a handler)
    std::string_view path;   ///< the target up to '?', not percent-decoded
    std::string_view query;  ///< the target after '?' (without it); empty when absent
    /// Every header field in arrival order, as (name, value).
    std::vector<std::pair<std::string_view, std::string_view>> headers;

    /// The value of the first field named `name` (case-insensitive); empty when absent.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

/// What a handler answers. The server adds Content-Length, `Server: mdgate`,
/// `Cache-Control: no-store` and Connection itself; a handler header with one of those names,
/// or Transfer-Encoding, is replaced. A status outside 200-599, a 204/304, or a header name or
/// value that is not a valid HTTP token / field value (CR, LF, NUL) is a handler bug: the
/// client gets 500 and it is counted in `handler_errors`.
struct response {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// A route's handler. It runs on the server's executor, which is the gateway's single I/O
/// thread (the same one that reads the feed), so it must be quick and must not block: build the
/// answer from a published snapshot, never wait for anything. An exception it throws becomes a
/// 500 (counted in `handler_errors`, logged at most once a minute).
using handler = std::function<response(const request&)>;

/// Takes over a connection whose request asked to switch protocols (`Upgrade: websocket`): it
/// gets the socket, the request (views valid only during the call: copy what you keep) and the
/// bytes the client sent after the request, if any. From then on the socket is the handler's:
/// it answers the handshake (101, or an error) itself. Runs on the server's executor; must not
/// block. The connection no longer counts against max_connections.
using upgrade_handler = std::function<void(boost::asio::ip::tcp::socket socket, const request& req,
                                           std::string_view buffered)>;

struct server_options {
    /// An IP address (IPv4 or IPv6, brackets allowed: "[::1]") or "localhost" (= 127.0.0.1).
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080; ///< 0 = any free port (start() returns the one bound)
    /// Required as `Authorization: Bearer <token>` on every path but `public_paths`; empty = no
    /// authentication. Must be visible ASCII without spaces.
    std::string bearer_token;
    std::vector<std::string> public_paths{"/healthz"}; ///< exact paths reachable without token
    /// Connections open at once (every state: waiting, reading, answering). Reaching it never
    /// refuses a new connection: the connection that has waited longest for its client is
    /// closed instead (see server). Bounded by descriptors, not by how many probes are needed.
    std::size_t max_connections = 1024;
    /// Connections open at once from one client address; a new one beyond it closes that
    /// address's longest-waiting connection, so one client cannot own the port.
    std::size_t max_connections_per_address = 64;
    std::size_t max_header_bytes = 8U << 10; ///< request line + fields; more gets 431
    std::size_t max_body_bytes = 64U << 10;  ///< request body; more gets 413
    /// The request line and header fields must arrive within this: on a new connection from
    /// its accept, on a keep-alive connection from the request's first byte. A slower client
    /// (slowloris) is disconnected without an answer.
    std::chrono::milliseconds header_timeout{std::chrono::seconds{10}};
    /// The body, once the header is complete, must arrive within this.
    std::chrono::milliseconds body_timeout{std::chrono::seconds{10}};
    /// Writing a response must finish within this (a client that does not read is cut off).
    std::chrono::milliseconds write_timeout{std::chrono::seconds{10}};
    /// A keep-alive connection with no request for this long is closed.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};
    /// When set (it must outlive the server), start() registers
    /// `mdgate_http_connections_closed_total{reason}` (closed_by_reason()'s labels) and the
    /// gauge `mdgate_http_connections_open` in it, and the server keeps them current.
    metrics::registry* metrics = nullptr;
};

/// Counters of one server. Plain integers: read them on the server's executor only.
struct server_stats {
    std::uint64_t connections_accepted = 0;    ///< every accepted TCP connection
    std::uint64_t connections_open = 0;        ///< connections being served now (gauge)
    std::uint64_t requests = 0;                ///< complete requests parsed (any method, any path)
    std::uint64_t rejected_auth = 0;           ///< 401
    std::uint64_t rejected_limits = 0;         ///< 431 and 413
    std::uint64_t bad_requests = 0;            ///< 400: malformed requests
    std::uint64_t not_found = 0;               ///< 404
    std::uint64_t method_not_allowed = 0;      ///< 405
    std::uint64_t handler_errors = 0;          ///< 500: a handler threw or answered nonsense
    std::uint64_t timeouts = 0;                ///< header + body + write timeouts (sum)
    std::uint64_t header_timeouts = 0;         ///< closed: header not complete in header_timeout
    std::uint64_t body_timeouts = 0;           ///< closed: body not complete in body_timeout
    std::uint64_t write_timeouts = 0;          ///< closed: response not written in write_timeout
    std::uint64_t idle_closes = 0;             ///< keep-alive connections closed by idle_timeout
    std::uint64_t evicted_max_connections = 0; ///< closed to make room: max_connections
    std::uint64_t evicted_per_address = 0;     ///< closed to make room: max_connections_per_address
    std::uint64_t accept_errors = 0;           ///< failed accepts (out of descriptors, ...)
    std::uint64_t upgrades = 0;                ///< connections handed to an upgrade handler
};

/// Why the server closed connections, for `mdgate_http_connections_closed_total{reason}`:
/// (reason label, count) in a fixed order. Call on the executor, like stats().
[[nodiscard]] std::vector<std::pair<std::string_view, std::uint64_t>>
closed_by_reason(const server_stats& s);

/// A small HTTP/1.1 server for the gateway's operational endpoints (/metrics, /healthz,
/// /readyz, /v1/status): GET and HEAD on exact paths, keep-alive, optional bearer token, and
/// hard limits on everything a client controls (connections, header and body size, time).
///
/// Answers: unknown path 404; a method other than GET/HEAD on a known path 405 with
/// `Allow: GET, HEAD`; missing or wrong token 401 with `WWW-Authenticate: Bearer` (checked
/// before the path, so an anonymous client learns nothing about routes); malformed request
/// (including an HTTP version other than 1.0/1.1) 400, header too large 431, body too large
/// 413, all followed by closing the connection. A request whose header (body) does not arrive
/// within header_timeout (body_timeout) gets no answer: the connection is closed.
///
/// Connection limits: accepting never stops and never waits. A connection accepted while its
/// address has max_connections_per_address open closes that address's connection that has
/// waited longest for its client (idle, or reading a request: oldest progress first; one
/// being answered only when no other is left); then, while max_connections are open, the same
/// over all addresses. So a flood of idle, slow or reconnecting clients costs each of them
/// their oldest connection, and a fresh probe (/healthz, /readyz, /metrics) that sends its
/// request at once is served: it is the newest. Connections handed to an upgrade handler
/// leave this accounting (the stream has its own limits).
///
/// Threading: everything runs on the executor given to the constructor, which must not run
/// handlers concurrently (an io_context run by one thread, or a strand). route(), start() and
/// stats() must be called on that executor or while no thread runs it; stop() and the
/// destructor are safe from any thread. Owned by whoever created it; move-only. Destroy it
/// (or at least stop it) before the executor's io_context.
class server {
  public:
    /// Does not touch the network; `opts` are checked by start().
    server(boost::asio::any_io_executor ex, server_options opts);
    /// Stops the server (see stop()); does not wait for connections to end.
    ~server();
    server(server&&) noexcept;
    server& operator=(server&&) noexcept;
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Serves `path` (exact match on the request path, query ignored) with `h`; a later call
    /// for the same path replaces the handler. Precondition: before start().
    void route(std::string path, handler h);
    /// Serves every path that starts with `prefix` (which ends with '/') and has no exact
    /// route, with `h`; the longest matching prefix wins. Precondition: before start().
    void route_prefix(std::string prefix, handler h);
    /// Hands a GET of `path` with `Upgrade: websocket` (after authentication) to `h`. A request
    /// of that path without the upgrade gets 426 Upgrade Required. Precondition: before start().
    void upgrade(std::string path, upgrade_handler h);

    /// Checks the options, binds, listens and starts accepting. Returns the bound port (the
    /// chosen one when options.port is 0). Never throws: on error `error` gets one line naming
    /// the address ("127.0.0.1:8080: Address already in use", "bad listen address 'x'") and
    /// the result holds the socket's error code or errc::invalid_argument. Only one start()
    /// per server.
    [[nodiscard]] result<std::uint16_t> start(std::string& error);

    /// Stops accepting (new connects are refused once this has run on the executor) and closes
    /// idle connections; a request being read or answered finishes, then its connection
    /// closes. Asynchronous when called off the executor. Idempotent.
    void stop();

    /// The counters (see server_stats). Call on the executor.
    [[nodiscard]] const server_stats& stats() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::http
