#include "net/rest_probe.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "net/http_url.hpp"
#include "net/tls_peer.hpp"

namespace mdg::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view time_path = "/v5/market/time";

/// The result of one attempt.
struct attempt_result {
    probe_failure kind = probe_failure::none;
    std::string reason;
    std::int64_t server_time_ms = 0;
};

/// A decimal string holding a positive 64-bit integer, nothing else.
std::optional<std::int64_t> parse_positive(std::string_view s) {
    std::int64_t v = 0;
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || p != end || v <= 0) {
        return std::nullopt;
    }
    return v;
}

/// Checks a /v5/market/time body: JSON, integer retCode == 0, and a server time
/// (result.timeNano, else result.timeSecond, else the envelope's `time`).
/// See Bybit's "Get Bybit Server Time" page (GET /v5/market/time).
attempt_result validate_body(simdjson::dom::parser& parser, const std::string& body) {
    simdjson::dom::element doc;
    if (auto err = parser.parse(body).get(doc); err != simdjson::SUCCESS) {
        return {probe_failure::bad_body,
                fmt::format("body is not JSON ({})", simdjson::error_message(err)), 0};
    }
    std::int64_t ret_code = 0;
    if (doc["retCode"].get_int64().get(ret_code) != simdjson::SUCCESS) {
        return {probe_failure::bad_body, "body has no integer retCode", 0};
    }
    if (ret_code != 0) {
        std::string_view msg;
        if (doc["retMsg"].get_string().get(msg) != simdjson::SUCCESS) {
            msg = "";
        }
        return {probe_failure::bad_body,
                fmt::format("retCode {} (retMsg '{}')", ret_code, printable(msg)), 0};
    }
    std::string_view text;
    if (doc["result"]["timeNano"].get_string().get(text) == simdjson::SUCCESS) {
        if (auto ns = parse_positive(text)) {
            return {probe_failure::none, {}, *ns / 1'000'000};
        }
    }
    if (doc["result"]["timeSecond"].get_string().get(text) == simdjson::SUCCESS) {
        if (auto s = parse_positive(text); s && *s < INT64_MAX / 1000) {
            return {probe_failure::none, {}, *s * 1000};
        }
    }
    std::int64_t ms = 0;
    if (doc["time"].get_int64().get(ms) == simdjson::SUCCESS && ms > 0) {
        return {probe_failure::none, {}, ms};
    }
    return {probe_failure::bad_body, "body has retCode 0 but no server time", 0};
}

std::string millis(std::chrono::milliseconds d) {
    return fmt::format("{} ms", d.count());
}

} // namespace

std::string_view to_string(probe_failure f) noexcept {
    switch (f) {
    case probe_failure::none:
        return "none";
    case probe_failure::dns:
        return "dns";
    case probe_failure::connect:
        return "connect";
    case probe_failure::tls:
        return "tls";
    case probe_failure::timeout:
        return "timeout";
    case probe_failure::http_status:
        return "http_status";
    case probe_failure::bad_body:
        return "bad_body";
    case probe_failure::circuit_open:
        return "circuit_open";
    case probe_failure::cancelled:
        return "cancelled";
    }
    return "unknown";
}

namespace {

/// One run: its waiters and the I/O objects of the attempt in progress, so that stop() can
/// cancel whatever is pending. Shared by the run coroutine and every waiting caller; lives on
/// the probe's executor.
struct run_state {
    explicit run_state(const asio::any_io_executor& ex)
        : done(ex), pause(ex), resolver(ex), resolve_deadline(ex) {
        done.expires_at(asio::steady_timer::time_point::max());
    }

    asio::steady_timer done; ///< waiters sleep on it; cancelled once `outcome` is set
    std::optional<probe_outcome> outcome;
    bool cancelled = false;

    asio::steady_timer pause; ///< the wait between attempts
    tcp::resolver resolver;
    asio::steady_timer resolve_deadline;
    bool resolve_timed_out = false;
    std::optional<beast::tcp_stream> plain;
    std::optional<ssl::stream<beast::tcp_stream>> secure;

    void close_streams() {
        if (plain) {
            plain->close();
        }
        if (secure) {
            beast::get_lowest_layer(*secure).close();
        }
        plain.reset();
        secure.reset();
    }

    void cancel() {
        cancelled = true;
        pause.cancel();
        resolve_deadline.cancel();
        resolver.cancel();
        // Closing the socket aborts a pending connect, TLS handshake, write or read; the
        // streams themselves are destroyed by the attempt once it resumes.
        if (plain) {
            plain->close();
        }
        if (secure) {
            beast::get_lowest_layer(*secure).close();
        }
    }
};

/// Closes the attempt's streams on every exit path of the attempt.
struct stream_closer {
    explicit stream_closer(run_state& r) : run(r) {}
    run_state& run;
    stream_closer(const stream_closer&) = delete;
    stream_closer& operator=(const stream_closer&) = delete;
    ~stream_closer() { run.close_streams(); }
};

} // namespace

struct connectivity_probe::impl {
    impl(asio::any_io_executor ex_, std::shared_ptr<ssl::context> tls_, probe_options opts_)
        : ex(std::move(ex_)), tls(std::move(tls_)), opts(std::move(opts_)), breaker(opts.breaker),
          json_parser(std::max<std::size_t>(opts.max_response_bytes, 1024)) {
        std::string error;
        auto parsed = parse_http_url(opts.url, error);
        if (!parsed) {
            throw std::invalid_argument("probe " + error);
        }
        url = std::move(*parsed);
        target = url.base_path + std::string(time_path);
        host_header = net::host_header(url.host, url.port, url.tls);
        endpoint = url.url_host() + ":" + url.port;
        display = fmt::format("{}://{}{}", url.tls ? "https" : "http", host_header, target);
    }

    asio::any_io_executor ex;
    std::shared_ptr<ssl::context> tls;
    probe_options opts;
    circuit_breaker breaker;
    simdjson::dom::parser json_parser; ///< reused by every attempt (runs never overlap)
    http_url url;                      ///< host, port, tls flag and the path prefix
    std::string target;                ///< the prefix and "/v5/market/time"
    std::string host_header;           ///< "host" or "host:port"
    std::string endpoint;              ///< "host:port", for reasons
    std::string display;               ///< the full URL, for reasons
    probe_stats stats;
    std::shared_ptr<run_state> run; ///< the run in flight, if any
    bool stopped = false;

    static probe_outcome cancelled_outcome(std::uint32_t attempts) {
        return {false, probe_failure::cancelled, "connectivity probe stopped", attempts, 0};
    }

    asio::awaitable<attempt_result> attempt(std::shared_ptr<run_state> r,
                                            asio::steady_timer::time_point run_deadline);
    asio::awaitable<attempt_result> request(beast::tcp_stream& lowest, auto& stream,
                                            asio::steady_timer::time_point deadline);
    asio::awaitable<probe_outcome> attempts(std::shared_ptr<run_state> r);
    static asio::awaitable<void> run_probe(std::shared_ptr<impl> self,
                                           std::shared_ptr<run_state> r);
    void finish(run_state& r, probe_outcome out);
};

asio::awaitable<attempt_result>
connectivity_probe::impl::attempt(std::shared_ptr<run_state> r,
                                  asio::steady_timer::time_point run_deadline) {
    const auto start = asio::steady_timer::clock_type::now();
    // `total_timeout` bounds the whole run (every attempt and the waits between them), so an
    // attempt gets what is left of it.
    const auto total_deadline = run_deadline;
    const auto connect_deadline = std::min(start + opts.connect_timeout, total_deadline);
    const stream_closer closer(*r);

    // Resolve under a deadline: the resolver has no per-operation timeout, so a timer cancels
    // it (the handler holds only a weak reference: a late timer never touches a gone run).
    r->resolve_timed_out = false;
    r->resolve_deadline.expires_at(connect_deadline);
    r->resolve_deadline.async_wait([weak = std::weak_ptr<run_state>(r)](error_code ec) {
        if (auto alive = weak.lock(); alive && !ec) {
            alive->resolve_timed_out = true;
            alive->resolver.cancel();
        }
    });
    auto [rec, results] = co_await r->resolver.async_resolve(url.host, url.port, use_tuple);
    r->resolve_deadline.cancel();
    if (r->cancelled) {
        co_return attempt_result{probe_failure::cancelled, {}, 0};
    }
    if (r->resolve_timed_out) {
        co_return attempt_result{
            probe_failure::dns,
            fmt::format("resolve {} timed out after {}", url.host, millis(opts.connect_timeout)),
            0};
    }
    if (rec) {
        co_return attempt_result{probe_failure::dns,
                                 fmt::format("resolve {}: {}", url.host, rec.message()), 0};
    }

    auto& plain = r->plain.emplace(ex);
    plain.expires_at(connect_deadline);
    auto [cec, ep] = co_await plain.async_connect(results, use_tuple);
    if (r->cancelled) {
        co_return attempt_result{probe_failure::cancelled, {}, 0};
    }
    if (cec) {
        std::string what;
        if (cec == beast::error::timeout) {
            what = "timed out after " + millis(opts.connect_timeout);
        } else if (cec == asio::error::connection_refused) {
            what = "refused";
        } else {
            what = "failed: " + cec.message();
        }
        co_return attempt_result{probe_failure::connect,
                                 fmt::format("connect to {} {}", endpoint, what), 0};
    }
    error_code ignored;
    plain.socket().set_option(tcp::no_delay(true), ignored);

    if (!url.tls) {
        co_return co_await request(plain, plain, total_deadline);
    }
    if (!tls) {
        co_return attempt_result{probe_failure::tls, "an https URL needs a TLS context", 0};
    }
    auto& secure = r->secure.emplace(std::move(plain), *tls);
    r->plain.reset();
    auto& lowest = beast::get_lowest_layer(secure);
    // SNI is for host names only (RFC 6066 §3); the certificate must name the host either way.
    if (!set_tls_peer(secure, url.host)) {
        co_return attempt_result{probe_failure::tls,
                                 fmt::format("cannot set SNI host name {}", url.host), 0};
    }
    lowest.expires_at(connect_deadline);
    auto [tec] = co_await secure.async_handshake(ssl::stream_base::client, use_tuple);
    if (r->cancelled) {
        co_return attempt_result{probe_failure::cancelled, {}, 0};
    }
    if (tec) {
        const auto what = tec == beast::error::timeout
                              ? "timed out after " + millis(opts.connect_timeout)
                              : "failed: " + tec.message();
        co_return attempt_result{probe_failure::tls,
                                 fmt::format("TLS handshake with {} {}", endpoint, what), 0};
    }
    co_return co_await request(lowest, secure, total_deadline);
}

asio::awaitable<attempt_result>
connectivity_probe::impl::request(beast::tcp_stream& lowest, auto& stream,
                                  asio::steady_timer::time_point deadline) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, opts.user_agent);
    req.set(http::field::accept, "application/json");
    req.keep_alive(false);
    lowest.expires_at(deadline);

    // Socket errors after connecting: a deadline is `timeout`, a broken connection `connect`.
    const auto io_failure = [&](const error_code& ec) {
        if (ec == beast::error::timeout) {
            return attempt_result{
                probe_failure::timeout,
                fmt::format("GET {} timed out after {}", display, millis(opts.total_timeout)), 0};
        }
        if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
            ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
            return attempt_result{probe_failure::connect,
                                  fmt::format("GET {}: connection failed before a full "
                                              "response ({})",
                                              display, ec.message()),
                                  0};
        }
        if (ec == http::error::body_limit || ec == http::error::header_limit ||
            ec == http::error::buffer_overflow) {
            return attempt_result{probe_failure::bad_body,
                                  fmt::format("GET {}: response larger than {} bytes", display,
                                              opts.max_response_bytes),
                                  0};
        }
        return attempt_result{
            probe_failure::bad_body,
            fmt::format("GET {}: malformed HTTP response ({})", display, ec.message()), 0};
    };

    auto [wec, written] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
        co_return io_failure(wec);
    }
    beast::flat_buffer buffer(opts.max_response_bytes);
    http::response_parser<http::string_body> res_parser;
    res_parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(opts.max_response_bytes, std::size_t{16} * 1024)));
    res_parser.body_limit(opts.max_response_bytes);
    auto [rec, read] = co_await http::async_read(stream, buffer, res_parser, use_tuple);
    if (rec) {
        co_return io_failure(rec);
    }
    lowest.expires_never();
    const auto& res = res_parser.get();
    if (res.result_int() != 200) {
        co_return attempt_result{probe_failure::http_status,
                                 fmt::format("GET {} returned HTTP {}", display, res.result_int()),
                                 0};
    }
    auto checked = validate_body(json_parser, res.body());
    if (checked.kind != probe_failure::none) {
        checked.reason = fmt::format("GET {}: {}", display, checked.reason);
    }
    co_return checked;
}

asio::awaitable<probe_outcome> connectivity_probe::impl::attempts(std::shared_ptr<run_state> r) {
    const std::uint32_t n = std::max<std::uint32_t>(opts.attempts, 1);
    const auto run_deadline = asio::steady_timer::clock_type::now() + opts.total_timeout;
    // The run ran out of `total_timeout` after `made` attempts (fewer than `n`, or the last
    // one was cut short by it): one failure outcome that says so.
    const auto out_of_time = [&](std::uint32_t made, const attempt_result& last) {
        return probe_outcome{
            false, probe_failure::timeout,
            fmt::format(
                "probe timed out: its total timeout of {} ran out after {} of {} attempt{}{}{}",
                millis(opts.total_timeout), made, n, n == 1 ? "" : "s",
                last.reason.empty() ? "" : "; last: ", last.reason),
            made, 0};
    };
    attempt_result last;
    for (std::uint32_t k = 1; k <= n; ++k) {
        if (k > 1 && !opts.retry_waits.empty()) {
            const auto i = std::min<std::size_t>(k - 2, opts.retry_waits.size() - 1);
            if (asio::steady_timer::clock_type::now() + opts.retry_waits[i] >= run_deadline) {
                co_return out_of_time(k - 1, last); // no time left for another attempt
            }
            r->pause.expires_after(opts.retry_waits[i]);
            co_await r->pause.async_wait(use_tuple);
        }
        if (r->cancelled) {
            co_return cancelled_outcome(k - 1);
        }
        if (asio::steady_timer::clock_type::now() >= run_deadline) {
            co_return out_of_time(k - 1, last);
        }
        ++stats.attempts;
        last = co_await attempt(r, run_deadline);
        if (r->cancelled) {
            co_return cancelled_outcome(k);
        }
        if (last.kind == probe_failure::none) {
            co_return probe_outcome{true, probe_failure::none, {}, k, last.server_time_ms};
        }
        ++stats.attempt_failures;
        if (asio::steady_timer::clock_type::now() >= run_deadline) {
            co_return out_of_time(k, last);
        }
        if (k < n) {
            spdlog::debug("connectivity probe attempt {}/{} failed ({}): {}", k, n,
                          to_string(last.kind), last.reason);
        }
    }
    co_return probe_outcome{false, last.kind,
                            fmt::format("{} ({} attempt{})", last.reason, n, n == 1 ? "" : "s"), n,
                            0};
}

asio::awaitable<void> connectivity_probe::impl::run_probe(std::shared_ptr<impl> self,
                                                          std::shared_ptr<run_state> r) {
    probe_outcome out;
    try {
        out = co_await self->attempts(r);
    } catch (const std::exception& e) {
        // Nothing above throws for network input; this keeps the waiters from hanging if
        // something does (bad_alloc).
        out = {false, probe_failure::connect, fmt::format("probe error: {}", e.what()), 0, 0};
    }
    self->finish(*r, std::move(out));
}

void connectivity_probe::impl::finish(run_state& r, probe_outcome out) {
    if (run.get() == &r) {
        run.reset();
    }
    const auto now = circuit_breaker::clock::now();
    if (out.ok) {
        if (breaker.on_success()) {
            core::log_event(spdlog::level::info, {{"event", "probe_breaker_closed"}},
                            "connectivity probe circuit breaker closed (probe succeeded)");
        }
    } else if (out.kind != probe_failure::cancelled) {
        // A cancelled run says nothing about the network, so it leaves the breaker alone
        // (checks after stop() are refused anyway).
        ++stats.validation_failures;
        core::log_event(spdlog::level::err,
                        {{"event", "network_validation_failed"},
                         {"reason", out.reason},
                         {"attempts", out.attempts}},
                        "Network connectivity validation failed: {}", out.reason);
        if (breaker.on_failure(now)) {
            core::log_event(
                spdlog::level::warn,
                {{"event", "probe_breaker_open"}, {"cooldown_ms", opts.breaker.cooldown.count()}},
                "connectivity probe circuit breaker open: checks refused for {} ms",
                opts.breaker.cooldown.count());
        }
    }
    r.outcome = std::move(out);
    r.done.cancel();
}

connectivity_probe::connectivity_probe(asio::any_io_executor ex, std::shared_ptr<ssl::context> tls,
                                       probe_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(tls), std::move(opts))) {}

connectivity_probe::~connectivity_probe() {
    if (impl_) {
        stop();
    }
}

connectivity_probe::connectivity_probe(connectivity_probe&&) noexcept = default;

connectivity_probe& connectivity_probe::operator=(connectivity_probe&& other) noexcept {
    if (this != &other) {
        if (impl_) {
            stop();
        }
        impl_ = std::move(other.impl_);
    }
    return *this;
}

asio::awaitable<probe_outcome> connectivity_probe::check() {
    // The frame keeps the state alive: the probe may be destroyed while this caller waits.
    auto self = impl_;
    if (!self || self->stopped) {
        co_return impl::cancelled_outcome(0);
    }
    auto r = self->run;
    if (r) {
        ++self->stats.shared_waits;
    } else {
        if (!self->breaker.allow(circuit_breaker::clock::now())) {
            ++self->stats.breaker_refusals;
            co_return probe_outcome{false, probe_failure::circuit_open,
                                    "circuit breaker open after a failed probe", 0, 0};
        }
        r = std::make_shared<run_state>(self->ex);
        self->run = r;
        ++self->stats.runs;
        // The run is its own coroutine, so a caller that stops waiting does not stop it for
        // the others.
        asio::co_spawn(self->ex, impl::run_probe(self, r), asio::detached);
    }
    while (!r->outcome) {
        co_await r->done.async_wait(use_tuple);
        if (!r->outcome) {
            const auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none) {
                co_return impl::cancelled_outcome(0);
            }
        }
    }
    co_return *r->outcome;
}

void connectivity_probe::stop() {
    if (!impl_) {
        return; // moved-from
    }
    auto& d = *impl_;
    d.stopped = true;
    if (d.run) {
        d.run->cancel();
    }
}

const probe_stats& connectivity_probe::stats() const noexcept {
    return impl_->stats;
}

circuit_breaker::state connectivity_probe::breaker_state() const noexcept {
    return impl_->breaker.current();
}

} // namespace mdg::net
