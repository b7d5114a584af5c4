#include "monitor/scrape.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <system_error>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <simdjson.h>

namespace mdg::monitor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_quoted_text = 120;
/// Prometheus refuses a query_range with more points than this per series.
constexpr std::int64_t max_points_per_series = 11'000;

/// Untrusted text made safe for one line: printable ASCII, bounded length.
std::string printable(std::string_view s) {
    std::string out;
    const auto n = std::min(s.size(), max_quoted_text);
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[i];
        out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (s.size() > n) {
        out += "...";
    }
    return out;
}

std::string url_of(const net::http_url& ep, std::string_view target) {
    return fmt::format("http://{}:{}{}{}", ep.url_host(), ep.port, ep.base_path, target);
}

/// What one GET ended with; filled by `get_once`.
struct get_outcome {
    bool done = false;
    error_code ec;
    std::string_view step; ///< the step that failed
    unsigned status = 0;
    std::string body;
};

asio::awaitable<void> get_once(const net::http_url& ep, std::string target,
                               const http_options& opts, get_outcome& out) {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(ep.host, ep.port, use_tuple);
    if (rec) {
        out = {true, rec, "resolve", 0, {}};
        co_return;
    }
    beast::tcp_stream stream(ex);
    stream.expires_at(deadline);
    auto [cec, endpoint] = co_await stream.async_connect(results, use_tuple);
    if (cec) {
        out = {true, cec, "connect", 0, {}};
        co_return;
    }
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, ep.url_host() + ":" + ep.port);
    req.set(bhttp::field::user_agent, "mdgate-report");
    req.set(bhttp::field::connection, "close");
    if (!opts.bearer_token.empty()) {
        req.set(bhttp::field::authorization, "Bearer " + opts.bearer_token);
    }
    auto [wec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    if (wec) {
        out = {true, wec, "write", 0, {}};
        co_return;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opts.body_limit);
    auto [rdec, read] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (rdec) {
        out = {true, rdec, "read", 0, {}};
        co_return;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    out.done = true;
    out.status = parser.get().result_int();
    out.body = std::move(parser.get().body());
}

/// A Prometheus sample value: a decimal, or NaN / +Inf / -Inf in any case.
std::optional<double> parse_value(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || p != end || s.empty()) {
        return std::nullopt;
    }
    return v;
}

} // namespace

result<std::string> http_get(const net::http_url& ep, std::string_view target,
                             const http_options& opts, std::string& error) {
    if (ep.tls) {
        error = fmt::format("GET https://{}:{}{}{}: https is not supported here", ep.url_host(),
                            ep.port, ep.base_path, target);
        return errc::invalid_argument;
    }
    const std::string full_target = ep.base_path + std::string(target);
    const std::string url = url_of(ep, target);
    get_outcome out;
    asio::io_context ioc;
    asio::co_spawn(ioc, get_once(ep, full_target, opts, out), [&out](const std::exception_ptr& e) {
        if (e && !out.done) { // e.g. a header value Beast refuses
            out = {true, make_error_code(errc::invalid_argument), "request", 0, {}};
        }
    });
    // The stream's deadline bounds connect, write and read; this bounds name resolution too.
    ioc.run_for(opts.timeout + std::chrono::milliseconds(200));
    if (!out.done) {
        error = fmt::format("GET {}: no answer within {} ms", url, opts.timeout.count());
        return make_error_code(boost::system::errc::timed_out);
    }
    if (out.ec) {
        const bool timeout = out.ec == beast::error::timeout;
        error = fmt::format("GET {}: {}: {}", url, out.step,
                            timeout ? fmt::format("no answer within {} ms", opts.timeout.count())
                                    : out.ec.message());
        return out.ec;
    }
    if (out.status != 200) {
        error = fmt::format("GET {}: HTTP {}{}", url, out.status,
                            out.status == 401 ? " (a bearer token is needed: --token)" : "");
        return errc::invalid_argument;
    }
    error.clear();
    return std::move(out.body);
}

result<gateway_status> parse_gateway_status(std::string_view json, std::string& error) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(json);
    if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
        error = fmt::format("/v1/status is not JSON ({})", simdjson::error_message(err));
        return errc::malformed_json;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
        error = "/v1/status is not a JSON object";
        return errc::malformed_json;
    }
    gateway_status s;
    std::string_view text;
    if (obj["version"].get_string().get(text) == simdjson::SUCCESS) {
        s.version = printable(text);
    }
    std::int64_t ms = 0;
    if (obj["started_at_unix_ms"].get_int64().get(ms) == simdjson::SUCCESS && ms > 0 &&
        ms < INT64_MAX / 1'000'000) {
        s.started_at = unix_nanos::from_millis(ms);
    }
    std::uint64_t n = 0;
    if (obj["live_connections"].get_uint64().get(n) == simdjson::SUCCESS) {
        s.live_connections = n;
    }
    if (obj["total_connections"].get_uint64().get(n) == simdjson::SUCCESS) {
        s.total_connections = n;
    }
    bool ready = false;
    if (obj["ready"].get_bool().get(ready) == simdjson::SUCCESS) {
        s.ready = ready;
    }
    error.clear();
    return s;
}

const std::vector<std::string_view>& report_metric_names() {
    static const std::vector<std::string_view> names{
        "mdgate_handler_timeouts_total",  "mdgate_network_errors_total",
        "mdgate_callback_timeouts_total", "mdgate_ws_messages_total",
        "mdgate_reconnects_total",        "mdgate_book_gaps_total",
        "mdgate_book_resyncs_total",      "mdgate_queue_dropped_total",
        "mdgate_log_messages_total",      "mdgate_build_info",
        "process_resident_memory_bytes",  "process_start_time_seconds",
    };
    return names;
}

std::string report_series_selector(std::string_view extra_matchers) {
    std::string names;
    for (const auto n : report_metric_names()) {
        if (!names.empty()) {
            names += '|';
        }
        names += n;
    }
    std::string sel = "{__name__=~\"" + names + "\"";
    if (!extra_matchers.empty()) {
        sel += ',';
        sel += extra_matchers;
    }
    sel += '}';
    return sel;
}

result<std::vector<scrape>> parse_query_range(std::string_view json, std::string& error) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(json);
    if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
        error = fmt::format("Prometheus answer is not JSON ({})", simdjson::error_message(err));
        return errc::malformed_json;
    }
    std::string_view status;
    if (doc["status"].get_string().get(status) != simdjson::SUCCESS) {
        error = "Prometheus answer has no status";
        return errc::missing_field;
    }
    if (status != "success") {
        std::string_view why;
        if (doc["error"].get_string().get(why) != simdjson::SUCCESS) {
            why = "no error text";
        }
        error = fmt::format("Prometheus answered {}: {}", printable(status), printable(why));
        return errc::invalid_argument;
    }
    std::string_view type;
    if (doc["data"]["resultType"].get_string().get(type) != simdjson::SUCCESS || type != "matrix") {
        error = "Prometheus answer is not a matrix (data.resultType)";
        return errc::wrong_type;
    }
    simdjson::dom::array series;
    if (doc["data"]["result"].get_array().get(series) != simdjson::SUCCESS) {
        error = "Prometheus answer has no data.result array";
        return errc::missing_field;
    }
    std::map<std::int64_t, std::vector<sample>> by_time;
    std::size_t index = 0;
    for (auto s : series) {
        ++index;
        auto bad = [&](std::string_view why) -> result<std::vector<scrape>> {
            error = fmt::format("Prometheus series {}: {}", index, why);
            return errc::wrong_type;
        };
        simdjson::dom::object metric;
        if (s["metric"].get_object().get(metric) != simdjson::SUCCESS) {
            return bad("no metric object");
        }
        sample proto;
        std::map<std::string, std::string> labels;
        for (auto field : metric) {
            std::string_view v;
            if (field.value.get_string().get(v) != simdjson::SUCCESS) {
                return bad("a label value is not a string");
            }
            if (field.key == "__name__") {
                proto.name = std::string(v);
            } else {
                labels.emplace(std::string(field.key), std::string(v));
            }
        }
        if (proto.name.empty()) {
            return bad("no __name__ label");
        }
        proto.labels.assign(labels.begin(), labels.end());
        simdjson::dom::array values;
        if (s["values"].get_array().get(values) != simdjson::SUCCESS) {
            return bad("no values array");
        }
        for (auto pair : values) {
            simdjson::dom::array p;
            double t = 0;
            std::string_view text;
            if (pair.get_array().get(p) != simdjson::SUCCESS || p.size() != 2 ||
                p.at(0).get_double().get(t) != simdjson::SUCCESS ||
                p.at(1).get_string().get(text) != simdjson::SUCCESS) {
                return bad("a value is not [time, \"value\"]");
            }
            const auto v = parse_value(text);
            if (!v || !std::isfinite(t) || t < 0 || t > 1e11) {
                return bad(fmt::format("bad value '{}' or time", printable(text)));
            }
            const auto ms = static_cast<std::int64_t>(std::llround(t * 1000.0));
            sample smp = proto;
            smp.value = *v;
            smp.timestamp_ms = ms;
            by_time[ms].push_back(std::move(smp));
        }
    }
    std::vector<scrape> out;
    out.reserve(by_time.size());
    for (auto& [ms, samples] : by_time) {
        out.push_back({unix_nanos::from_millis(ms), std::move(samples)});
    }
    error.clear();
    return out;
}

std::string url_encode(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 3);
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned>(u));
        }
    }
    return out;
}

result<std::vector<scrape>> fetch_prometheus_range(const prometheus_range& q, std::string& error) {
    if (q.to <= q.from) {
        error = "--from must be before --to";
        return errc::invalid_argument;
    }
    const std::int64_t span_s = (q.to - q.from).count() / 1'000'000'000 + 1;
    std::int64_t step = std::max<std::int64_t>(1, q.step.count());
    if (span_s / step >= max_points_per_series) {
        step = span_s / (max_points_per_series - 1) + 1;
    }
    auto secs = [](unix_nanos t) {
        return fmt::format("{}.{:03}", t.value / 1'000'000'000, (t.value / 1'000'000) % 1000);
    };
    const std::string target = fmt::format("/api/v1/query_range?query={}&start={}&end={}&step={}",
                                           url_encode(report_series_selector(q.extra_matchers)),
                                           secs(q.from), secs(q.to), step);
    auto body = http_get(q.server, target, q.http, error);
    if (!body) {
        return body.error();
    }
    return parse_query_range(*body, error);
}

} // namespace mdg::monitor
