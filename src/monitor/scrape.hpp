#pragma once

// Reading a gateway's figures for `mdgate report`: one blocking HTTP GET at a time of its
// `/metrics` (Prometheus text) and `/v1/status` (JSON), or a past window of the same series from
// a Prometheus server's HTTP API (`/api/v1/query_range`).
//
// Everything read here is untrusted: a malformed answer is an error value with a one-line
// reason, never an exception or a crash. Plain HTTP only (the gateway's listener is plain; put
// a TLS-terminating proxy's inside address here, not its outside one).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "monitor/prom_text.hpp"
#include "net/http_url.hpp"

namespace mdg::monitor {

/// How each request is made.
struct http_options {
    /// Deadline of the whole request (resolve, connect, write, read).
    std::chrono::milliseconds timeout{5000};
    /// Sent as `Authorization: Bearer <token>` when not empty.
    std::string bearer_token;
    /// Largest body accepted.
    std::size_t body_limit = std::size_t{64} << 20U;
};

/// One blocking `GET <base_path><target>` (HTTP/1.1, `Connection: close`). Returns the body of
/// a 200 answer. Any other status, a timeout or a network failure is an error, with `error`
/// holding one line naming the URL; so is an https `ep` (parse it with
/// `net::http_schemes::http_only`). Runs its own io_context on the calling thread; thread-safe
/// (shares nothing).
[[nodiscard]] result<std::string> http_get(const net::http_url& ep, std::string_view target,
                                           const http_options& opts, std::string& error);

/// The few `/v1/status` fields the report shows.
struct gateway_status {
    std::string version;
    std::optional<unix_nanos> started_at; ///< from `started_at_unix_ms`
    std::optional<std::uint64_t> live_connections;
    std::optional<std::uint64_t> total_connections;
    std::optional<bool> ready;
};

/// Parses a `/v1/status` body. Fields that are absent or of another type stay empty; only a
/// body that is not a JSON object is an error (`errc::malformed_json`, `error` set). Pure.
[[nodiscard]] result<gateway_status> parse_gateway_status(std::string_view json,
                                                          std::string& error);

/// One set of samples and when it was taken.
struct scrape {
    unix_nanos at;
    std::vector<sample> samples;
};

/// The metric names the report reads (the gateway's series listed in docs/report.md).
[[nodiscard]] const std::vector<std::string_view>& report_metric_names();

/// The PromQL selector of every report series: `{__name__=~"a|b|...",<extra_matchers>}`.
/// `extra_matchers` (e.g. `job="mdgate",instance="vps:8080"`) narrows it to one gateway; it is
/// inserted verbatim, Prometheus validates it.
[[nodiscard]] std::string report_series_selector(std::string_view extra_matchers);

/// Parses a `/api/v1/query_range` answer (`resultType` "matrix") into scrapes, one per distinct
/// timestamp in time order, each holding every series that has a value at that time
/// (`__name__` becomes the sample's name; other labels are kept). A `status` other than
/// "success", another result type or malformed JSON is an error with a one-line `error`
/// (Prometheus's own `error` text included, made printable). Pure.
[[nodiscard]] result<std::vector<scrape>> parse_query_range(std::string_view json,
                                                            std::string& error);

/// A past or current window read from a Prometheus server.
struct prometheus_range {
    net::http_url server; ///< plain http (parse_http_url with http_only)
    http_options http;
    std::string extra_matchers; ///< see report_series_selector
    unix_nanos from;
    unix_nanos to;
    std::chrono::seconds step{5}; ///< raised so that no series exceeds 11,000 points
};

/// Runs the query_range request for `report_series_selector` over [from, to] and parses it.
/// `from` must be before `to`. Errors as for http_get and parse_query_range.
[[nodiscard]] result<std::vector<scrape>> fetch_prometheus_range(const prometheus_range& q,
                                                                 std::string& error);

/// `s` percent-encoded for a URL query component (RFC 3986 unreserved characters kept).
[[nodiscard]] std::string url_encode(std::string_view s);

} // namespace mdg::monitor
