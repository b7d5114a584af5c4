#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/circuit_breaker.hpp"

namespace mdg::net {

/// Settings of the shared REST connectivity probe (GET `<url>/v5/market/time`).
///
/// Attempts and waits: a run makes up to `attempts` attempts. Attempt 1 starts at once;
/// attempt k (k >= 2) starts `retry_waits[k - 2]` after attempt k - 1 failed (the last entry is
/// reused when the list is shorter). With the defaults that is: attempt 1, wait 1 s, attempt 2,
/// wait 2 s, attempt 3. The 4 s entry of the "1 s, 2 s, 4 s" is only reached by a 4th
/// attempt; three attempts have two gaps (the old Python probe had the same mismatch, see
/// docs/migration.md). After a failed run the circuit breaker, not this list, spaces the
/// next run (`breaker.cooldown`).
struct probe_options {
    /// Base URL, "https://api.bybit.com" or "http://127.0.0.1:9000" (an optional path prefix
    /// is kept); "/v5/market/time" is appended. https uses TLS with verification and SNI.
    std::string url;
    /// Per attempt: resolve + connect (+ TLS handshake) must finish within `connect_timeout`
    /// of the attempt's start. `total_timeout` bounds the whole run: every attempt and the
    /// waits between them end `total_timeout` after the run began; a run that reaches it
    /// fails as `timeout` ("probe timed out: its total timeout of ... ran out"), whatever attempts
    /// are left.
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{10'000};
    /// Waits before attempts 2, 3, ... (see above).
    std::vector<std::chrono::milliseconds> retry_waits{std::chrono::milliseconds{1000},
                                                       std::chrono::milliseconds{2000},
                                                       std::chrono::milliseconds{4000}};
    /// Attempts per run (values below 1 count as 1).
    std::uint32_t attempts = 3;
    /// One failed run opens the breaker for 30 s; checks in that time are refused at once.
    circuit_breaker::options breaker{1, std::chrono::milliseconds{30'000}};
    /// Larger responses (header + body) fail the attempt as `bad_body`.
    std::size_t max_response_bytes = 64 * 1024;
    std::string user_agent = "mdgate";
};

/// Why a probe failed, by the step that failed (one metric label each). A deadline shows as
/// the step it interrupted: during resolve -> dns, connect -> connect, TLS handshake -> tls,
/// request/response -> timeout. The `reason` text says "timed out" in every case.
enum class probe_failure : std::uint8_t {
    none,         ///< success
    dns,          ///< the host name did not resolve
    connect,      ///< TCP connect failed, or the connection broke before a full response
    tls,          ///< TLS handshake or certificate verification failed
    timeout,      ///< no full response before the run's `total_timeout` ran out
    http_status,  ///< a response other than HTTP 200
    bad_body,     ///< not HTTP, too large, not JSON, retCode != 0 or no server time
    circuit_open, ///< refused without touching the network: the breaker is open
    cancelled,    ///< stop() was called (or the probe destroyed) before the run ended
};
[[nodiscard]] std::string_view to_string(probe_failure f) noexcept;

/// The result of one check(). Every caller that joined the same run gets an equal copy.
struct probe_outcome {
    bool ok = false;
    probe_failure kind = probe_failure::none;
    std::string reason; ///< empty when ok; e.g. "connect to 127.0.0.1:9 refused (3 attempts)"
    std::uint32_t attempts = 0;      ///< attempts the run made (0 when refused or cancelled early)
    std::int64_t server_time_ms = 0; ///< the venue's clock (unix ms) when ok, else 0
};

/// Counters since construction (export them as metrics).
struct probe_stats {
    std::uint64_t runs = 0;                ///< runs started
    std::uint64_t attempts = 0;            ///< attempts made, over all runs
    std::uint64_t attempt_failures = 0;    ///< attempts that failed
    std::uint64_t validation_failures = 0; ///< runs whose last attempt failed (ERROR logged)
    std::uint64_t shared_waits = 0;        ///< check() calls that joined a run in flight
    std::uint64_t breaker_refusals = 0;    ///< check() calls refused with circuit_open
};

/// The REST connectivity probe shared by all connections of the gateway: one GET
/// /v5/market/time with per-attempt deadlines, up to `attempts` attempts per run, behind a
/// circuit breaker. Concurrent check() calls share one run, so ten connections failing at
/// once cause one probe, not ten. A failed run logs one ERROR
/// `Network connectivity validation failed: <reason>`; earlier failed attempts log at DEBUG,
/// breaker state changes once each (WARN when it opens, INFO when it closes).
///
/// Owned by the gateway (one per REST host). Not thread-safe: construct it, call every member
/// and co_await check() on the one executor `ex` (the gateway's I/O thread). Move-only (a
/// moved-from probe may only be destroyed, assigned to or stopped). The run keeps its own
/// state alive, so destroying the probe while callers wait is safe: it cancels the run and
/// the callers get `cancelled`.
class connectivity_probe {
  public:
    /// `tls` is used for https URLs (make_client_tls_context()); may be null for http only.
    /// Throws std::invalid_argument when parse_http_url (net/http_url.hpp) refuses `opts.url`.
    connectivity_probe(boost::asio::any_io_executor ex,
                       std::shared_ptr<boost::asio::ssl::context> tls, probe_options opts);
    ~connectivity_probe();
    connectivity_probe(connectivity_probe&&) noexcept;
    connectivity_probe& operator=(connectivity_probe&&) noexcept;
    connectivity_probe(const connectivity_probe&) = delete;
    connectivity_probe& operator=(const connectivity_probe&) = delete;

    /// Starts a run, or joins the run already in flight; every caller of one run gets the same
    /// outcome. While the breaker is open it completes at once with `circuit_open` (no network,
    /// no log line). After stop() it completes at once with `cancelled`. Never throws for
    /// network or input errors. Completes on `ex`. If the awaiting coroutine's own
    /// cancellation slot fires, only that caller stops waiting (with `cancelled`); the run
    /// goes on for the others.
    [[nodiscard]] boost::asio::awaitable<probe_outcome> check();

    /// Cancels the run in flight (its callers complete promptly with `cancelled`; no ERROR is
    /// logged) and refuses later checks. Safe to call more than once.
    void stop();

    /// Counters; the reference is valid while the probe lives.
    [[nodiscard]] const probe_stats& stats() const noexcept;
    [[nodiscard]] circuit_breaker::state breaker_state() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::net
