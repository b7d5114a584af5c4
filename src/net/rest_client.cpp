#include "net/rest_client.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "core/clock.hpp"
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
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string seconds_text(steady::duration d) {
    return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

// A header holding a whole number, or nullopt.
std::optional<std::int64_t> header_number(const http::fields& f, std::string_view name) {
    const auto it = f.find(name);
    if (it == f.end()) {
        return std::nullopt;
    }
    const auto v = it->value();
    std::int64_t n = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size()) {
        return std::nullopt;
    }
    return n;
}

// A response with its fields in one call (designated initializers would have to name them
// all to keep -Wmissing-field-initializers quiet).
rest_response respond(rest_outcome o, std::string reason = {}, unsigned status = 0,
                      std::int64_t code = 0, std::string msg = {}, std::string body = {}) {
    rest_response r;
    r.outcome = o;
    r.reason = std::move(reason);
    r.http_status = status;
    r.ret_code = code;
    r.ret_msg = std::move(msg);
    r.body = std::move(body);
    return r;
}

} // namespace

std::string_view to_string(rest_outcome o) noexcept {
    switch (o) {
    case rest_outcome::ok:
        return "ok";
    case rest_outcome::network:
        return "network";
    case rest_outcome::timeout:
        return "timeout";
    case rest_outcome::http_status:
        return "http_status";
    case rest_outcome::rate_limited:
        return "rate_limited";
    case rest_outcome::bad_body:
        return "bad_body";
    case rest_outcome::venue_error:
        return "venue_error";
    case rest_outcome::circuit_open:
        return "circuit_open";
    case rest_outcome::cancelled:
        return "cancelled";
    }
    return "unknown";
}

namespace {

// One kept connection to the host.
struct connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    steady::time_point last_used{};
    bool up = false;     // connected (and TLS done)
    bool reused = false; // served a request before this one

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
    void close() {
        if (!plain && !secure) {
            return;
        }
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close();
    }
};

} // namespace

struct rest_client::impl : std::enable_shared_from_this<rest_client::impl> {
    impl(asio::any_io_executor ex_, std::shared_ptr<ssl::context> tls_, rate_limiter& limiter_,
         rest_client_options opts_, std::function<bool()> network_down_)
        : ex(std::move(ex_)), tls(std::move(tls_)), limiter(limiter_), opts(std::move(opts_)),
          network_down(std::move(network_down_)) {
        std::string error;
        auto parsed = parse_http_url(opts.url, error);
        if (!parsed) {
            throw std::invalid_argument("rest client " + error);
        }
        url = std::move(*parsed);
        host = net::host_header(url.host, url.port, url.tls);
        origin = fmt::format("{}://{}", url.tls ? "https" : "http", host);
        opts.max_connections = std::max<std::size_t>(opts.max_connections, 1);
    }

    asio::any_io_executor ex;
    std::shared_ptr<ssl::context> tls;
    rate_limiter& limiter; // outlives: the client
    rest_client_options opts;
    std::function<bool()> network_down;
    http_url url;
    std::string host;   // the Host header
    std::string origin; // scheme://host, for reasons
    std::map<std::string, rest_endpoint_stats, std::less<>> stats;
    std::vector<std::unique_ptr<connection>> idle;
    std::size_t open = 0; // idle and busy
    std::uint64_t connects = 0;
    std::set<connection*> busy;
    std::deque<std::shared_ptr<asio::steady_timer>> waiters; // for a connection
    std::set<std::shared_ptr<asio::steady_timer>> sleepers;  // for the rate limiter
    bool stopped = false;

    rest_endpoint_stats& stats_of(std::string_view path) {
        auto it = stats.find(path);
        if (it == stats.end()) {
            it = stats.emplace(std::string(path), rest_endpoint_stats{}).first;
        }
        return it->second;
    }

    // A connection for one request: a kept one, a new (not yet connected) one, or, when
    // `max_connections` are busy, the next one released. Null after stop().
    asio::awaitable<std::unique_ptr<connection>> take() {
        for (;;) {
            if (stopped) {
                co_return nullptr;
            }
            while (!idle.empty()) {
                auto c = std::move(idle.back());
                idle.pop_back();
                if (steady::now() - c->last_used > opts.idle_timeout) {
                    c->close();
                    --open;
                    continue;
                }
                c->reused = true;
                co_return c;
            }
            if (open < opts.max_connections) {
                ++open;
                co_return std::make_unique<connection>();
            }
            auto t = std::make_shared<asio::steady_timer>(ex, steady::time_point::max());
            waiters.push_back(t);
            co_await t->async_wait(use_tuple);
        }
    }

    // Gives a connection back (kept when `keep`), and wakes one request waiting for one.
    void release(std::unique_ptr<connection> c, bool keep) {
        if (c) {
            busy.erase(c.get());
            if (keep && !stopped) {
                c->last_used = steady::now();
                idle.push_back(std::move(c));
            } else {
                c->close();
                --open;
            }
        }
        if (!waiters.empty()) {
            waiters.front()->cancel();
            waiters.pop_front();
        }
    }

    // Connects `c` to the host within connect_timeout.
    asio::awaitable<rest_response> connect(connection& c) {
        const auto deadline = steady::now() + opts.connect_timeout;
        // The resolver has no deadline of its own: a timer cancels it. Both live in a shared
        // state, so a timer that fired as the resolve completed touches nothing gone.
        struct resolving {
            explicit resolving(const asio::any_io_executor& e) : resolver(e), guard(e) {}
            tcp::resolver resolver;
            asio::steady_timer guard;
            bool timed_out = false;
        };
        auto rs = std::make_shared<resolving>(ex);
        rs->guard.expires_at(deadline);
        rs->guard.async_wait([w = std::weak_ptr<resolving>(rs)](error_code ec) {
            if (auto s = w.lock(); s && !ec) {
                s->timed_out = true;
                s->resolver.cancel();
            }
        });
        auto [rec, results] = co_await rs->resolver.async_resolve(url.host, url.port, use_tuple);
        rs->guard.cancel();
        const bool timed_out = rs->timed_out;
        if (stopped) {
            co_return respond(rest_outcome::cancelled);
        }
        if (timed_out || rec) {
            co_return respond(timed_out ? rest_outcome::timeout : rest_outcome::network,
                              timed_out ? fmt::format("resolve {} timed out after {} ms", url.host,
                                                      opts.connect_timeout.count())
                                        : fmt::format("resolve {}: {}", url.host, rec.message()));
        }
        auto& plain = c.plain.emplace(ex);
        plain.expires_at(deadline);
        auto [cec, ep] = co_await plain.async_connect(results, use_tuple);
        if (cec) {
            co_return respond(
                cec == beast::error::timeout ? rest_outcome::timeout : rest_outcome::network,
                fmt::format("connect to {}: {}", origin,
                            cec == beast::error::timeout ? "timed out" : cec.message()));
        }
        ++connects;
        error_code ignored;
        plain.socket().set_option(tcp::no_delay(true), ignored);
        if (url.tls) {
            if (!tls) {
                co_return respond(rest_outcome::network, "an https URL needs a TLS context");
            }
            auto& secure = c.secure.emplace(std::move(plain), *tls);
            c.plain.reset();
            if (!set_tls_peer(secure, url.host)) {
                co_return respond(rest_outcome::network,
                                  fmt::format("cannot set SNI host name {}", url.host));
            }
            beast::get_lowest_layer(secure).expires_at(deadline);
            auto [tec] = co_await secure.async_handshake(ssl::stream_base::client, use_tuple);
            if (tec) {
                co_return respond(
                    tec == beast::error::timeout ? rest_outcome::timeout : rest_outcome::network,
                    fmt::format("TLS handshake with {}: {}", origin,
                                tec == beast::error::timeout ? "timed out" : tec.message()));
            }
        }
        c.lowest().expires_never();
        c.up = true;
        co_return rest_response{};
    }

    // One request on a connection that is up. `keep` says whether it may serve another.
    asio::awaitable<rest_response> exchange(connection& c, const std::string& target, bool& keep) {
        keep = false;
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, host);
        req.set(http::field::user_agent, opts.user_agent);
        req.set(http::field::accept, "application/json");
        req.keep_alive(true);
        c.lowest().expires_after(opts.request_timeout);
        const auto what = fmt::format("GET {}{}", origin, target);
        const auto io_failure = [&](const error_code& ec) {
            if (ec == beast::error::timeout) {
                return respond(rest_outcome::timeout, fmt::format("{} timed out after {} ms", what,
                                                                  opts.request_timeout.count()));
            }
            if (ec == http::error::body_limit || ec == http::error::header_limit ||
                ec == http::error::buffer_overflow) {
                return respond(rest_outcome::bad_body,
                               fmt::format("{}: response larger than {} bytes", what,
                                           opts.max_response_bytes));
            }
            if (ec == http::error::partial_message) {
                return respond(rest_outcome::bad_body, fmt::format("{}: response cut short", what));
            }
            const bool http_error =
                ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                ec != http::error::end_of_stream;
            return respond(http_error ? rest_outcome::bad_body : rest_outcome::network,
                           fmt::format("{}: {} ({})", what,
                                       http_error ? "malformed HTTP response"
                                                  : "connection lost before a full response",
                                       ec.message()));
        };
        error_code wec;
        if (c.secure) {
            std::tie(wec, std::ignore) = co_await http::async_write(*c.secure, req, use_tuple);
        } else {
            std::tie(wec, std::ignore) = co_await http::async_write(*c.plain, req, use_tuple);
        }
        if (wec) {
            co_return io_failure(wec);
        }
        http::response_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(opts.max_response_bytes);
        error_code rec;
        if (c.secure) {
            std::tie(rec, std::ignore) =
                co_await http::async_read(*c.secure, c.buffer, parser, use_tuple);
        } else {
            std::tie(rec, std::ignore) =
                co_await http::async_read(*c.plain, c.buffer, parser, use_tuple);
        }
        if (rec) {
            co_return io_failure(rec);
        }
        c.lowest().expires_never();
        auto& res = parser.get();
        keep = res.keep_alive();
        co_return classify(res, what, target);
    }

    rest_response classify(http::response<http::string_body>& res, const std::string& what,
                           std::string_view target) {
        const auto status = res.result_int();
        const auto now = steady::now();
        const auto path = target.substr(0, target.find('?')).substr(url.base_path.size());
        if (status == 403) {
            // Bybit: "access too frequent", the IP is over its limit: stop for ip_ban.
            limiter.ban_ip(now + opts.ip_ban);
            return respond(rest_outcome::rate_limited,
                           fmt::format("{} returned HTTP 403 (the venue's IP limit): no REST "
                                       "request for {}",
                                       what, seconds_text(opts.ip_ban)),
                           status);
        }
        if (status == 429) {
            const auto wait = std::chrono::seconds{
                std::clamp<std::int64_t>(header_number(res, "Retry-After").value_or(1), 1, 60)};
            limiter.ban_endpoint(path, now + wait);
            return respond(
                rest_outcome::rate_limited,
                fmt::format("{} returned HTTP 429: {} waits {}", what, path, seconds_text(wait)),
                status);
        }
        if (status != 200) {
            return respond(rest_outcome::http_status,
                           fmt::format("{} returned HTTP {}", what, status), status);
        }
        simdjson::dom::parser json;
        simdjson::dom::element doc;
        if (auto err = json.parse(res.body()).get(doc); err != simdjson::SUCCESS) {
            return respond(
                rest_outcome::bad_body,
                fmt::format("{}: body is not JSON ({})", what, simdjson::error_message(err)),
                status);
        }
        std::int64_t code = 0;
        if (doc["retCode"].get_int64().get(code) != simdjson::SUCCESS) {
            return respond(rest_outcome::bad_body,
                           fmt::format("{}: body has no integer retCode", what), status);
        }
        std::string_view msg;
        if (doc["retMsg"].get_string().get(msg) != simdjson::SUCCESS) {
            msg = {};
        }
        if (code == 10006 || code == 10018) {
            // Too many visits (per path) / over the IP limit: wait until the venue's reset
            // time when it gives one (unix ms), bounded to the IP ban.
            auto wait = std::chrono::milliseconds{1000};
            if (auto reset = header_number(res, "X-Bapi-Limit-Reset-Timestamp")) {
                wait = std::clamp(
                    std::chrono::milliseconds{*reset - core::default_clock().now().millis()},
                    std::chrono::milliseconds{100}, opts.ip_ban);
            }
            if (code == 10018) {
                limiter.ban_ip(now + opts.ip_ban);
            } else {
                limiter.ban_endpoint(path, now + wait);
            }
            return respond(rest_outcome::rate_limited,
                           fmt::format("{}: retCode {} ({}): {} waits {}", what, code,
                                       printable(msg), code == 10018 ? "every path" : path,
                                       seconds_text(code == 10018 ? opts.ip_ban : wait)),
                           status, code, printable(msg));
        }
        if (code != 0) {
            return respond(rest_outcome::venue_error,
                           fmt::format("{}: retCode {} ({})", what, code, printable(msg)), status,
                           code, printable(msg));
        }
        return respond(rest_outcome::ok, {}, status, 0, printable(msg), std::move(res.body()));
    }

    asio::awaitable<rest_response> get(std::string path, std::string query,
                                       rest_priority priority) {
        auto self = shared_from_this();
        const auto t0 = steady::now();
        auto r = co_await run(path, query, priority);
        r.duration = steady::now() - t0;
        auto& st = stats_of(path);
        ++st.outcomes[static_cast<std::size_t>(r.outcome)];
        if (!r.ok() && r.outcome != rest_outcome::cancelled) {
            core::log_limited_event(spdlog::level::warn,
                                    fmt::format("rest.{}.{}", path, to_string(r.outcome)),
                                    {{"event", "rest_failed"},
                                     {"path", path},
                                     {"outcome", to_string(r.outcome)},
                                     {"reason", r.reason}},
                                    "REST request failed ({}): {}", to_string(r.outcome), r.reason);
        }
        co_return r;
    }

    asio::awaitable<rest_response> run(const std::string& path, const std::string& query,
                                       rest_priority priority) {
        if (stopped) {
            co_return respond(rest_outcome::cancelled, "stopped");
        }
        if (network_down && network_down()) {
            co_return respond(rest_outcome::circuit_open,
                              fmt::format("GET {}{}: refused, the connectivity probe's circuit "
                                          "breaker is open",
                                          origin, path));
        }
        auto& st = stats_of(path);
        steady::duration waited{0};
        for (;;) {
            const auto now = steady::now();
            const auto v = limiter.try_acquire(path, priority, now);
            if (v.granted) {
                break;
            }
            if (waited + (v.retry_at - now) > opts.max_limiter_wait) {
                co_return respond(
                    rest_outcome::rate_limited,
                    fmt::format("GET {}{}: the rate limit ({}) would hold it {} more, "
                                "over max_limiter_wait",
                                origin, path, to_string(v.why), seconds_text(v.retry_at - now)));
            }
            ++st.limiter_waits;
            st.limiter_wait += v.retry_at - now;
            waited += v.retry_at - now;
            auto t = std::make_shared<asio::steady_timer>(ex, v.retry_at);
            sleepers.insert(t);
            co_await t->async_wait(use_tuple);
            sleepers.erase(t);
            if (stopped) {
                co_return respond(rest_outcome::cancelled, "stopped");
            }
        }
        ++st.requests;
        const auto target = url.base_path + path + (query.empty() ? "" : "?") + query;
        // A kept connection the host closed meanwhile fails at once: one more try on a new one.
        for (int attempt = 0;; ++attempt) {
            auto c = co_await take();
            if (!c) {
                co_return respond(rest_outcome::cancelled, "stopped");
            }
            busy.insert(c.get());
            if (!c->up) {
                auto r = co_await connect(*c);
                if (!c->up) {
                    release(std::move(c), false);
                    co_return r;
                }
            }
            const bool reused = c->reused;
            bool keep = false;
            auto r = co_await exchange(*c, target, keep);
            release(std::move(c), keep && r.outcome != rest_outcome::network &&
                                      r.outcome != rest_outcome::timeout);
            if (stopped) {
                co_return respond(rest_outcome::cancelled, "stopped");
            }
            if (r.outcome == rest_outcome::network && reused && attempt == 0) {
                continue;
            }
            co_return r;
        }
    }

    void stop() {
        stopped = true;
        for (auto& c : idle) {
            c->close();
        }
        open -= idle.size();
        idle.clear();
        for (auto* c : busy) {
            c->close();
        }
        for (auto& w : waiters) {
            w->cancel();
        }
        waiters.clear();
        for (const auto& s : sleepers) {
            s->cancel();
        }
    }
};

rest_client::rest_client(asio::any_io_executor ex, std::shared_ptr<ssl::context> tls,
                         rate_limiter& limiter, rest_client_options opts,
                         std::function<bool()> network_down)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(tls), limiter, std::move(opts),
                                   std::move(network_down))) {}

rest_client::~rest_client() {
    impl_->stop();
}

asio::awaitable<rest_response> rest_client::get(std::string_view path, std::string_view query,
                                                rest_priority priority) {
    return impl_->get(std::string(path), std::string(query), priority);
}

void rest_client::stop() {
    impl_->stop();
}

const std::map<std::string, rest_endpoint_stats, std::less<>>& rest_client::stats() const noexcept {
    return impl_->stats;
}

std::size_t rest_client::open_connections() const noexcept {
    return impl_->open;
}

std::uint64_t rest_client::connects() const noexcept {
    return impl_->connects;
}

} // namespace mdg::net
