#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "net/rest_client.hpp"
#include "net/ws_session.hpp"
#include "support/local_server.hpp"

namespace mdg::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using response = http::response<http::string_body>;

response json(std::string body, http::status s = http::status::ok) {
    response r{s, 11};
    r.set(http::field::content_type, "application/json");
    r.body() = std::move(body);
    return r;
}

const std::string ok_body = R"({"retCode":0,"retMsg":"OK","result":{"list":[]},"time":1})";

// What the server does with one request: a response, or nothing (`silent`: never answers;
// `hang_up`: closes the connection).
struct action {
    response res = json(ok_body);
    bool silent = false;
    bool hang_up = false;
    bool close_after = false; // answer "keep-alive", then close the connection anyway
    std::chrono::milliseconds delay{0};
};

// An HTTP/1.1 server with keep-alive on its own thread and a loopback port: `decide` answers
// each request (numbered from 1 over all connections). Counts connections and requests.
class keep_alive_server {
  public:
    using decide_fn = std::function<action(std::size_t n, std::string_view target)>;

    explicit keep_alive_server(decide_fn decide, ssl::context* tls = nullptr)
        : decide_(std::move(decide)), tls_(tls) {
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~keep_alive_server() {
        ioc_.stop();
        thread_.join();
    }
    keep_alive_server(const keep_alive_server&) = delete;
    keep_alive_server& operator=(const keep_alive_server&) = delete;
    keep_alive_server(keep_alive_server&&) = delete;
    keep_alive_server& operator=(keep_alive_server&&) = delete;

    [[nodiscard]] std::string url(std::string_view host = "127.0.0.1") const {
        return fmt::format("{}://{}:{}", tls_ != nullptr ? "https" : "http", host,
                           listener_.port());
    }
    [[nodiscard]] std::size_t connections() const { return connections_.load(); }
    [[nodiscard]] std::size_t requests() const { return requests_.load(); }
    [[nodiscard]] std::size_t most_at_once() const { return most_at_once_.load(); }
    [[nodiscard]] std::vector<std::string> targets() const {
        const std::lock_guard lock{mu_};
        return targets_;
    }

  private:
    asio::awaitable<void> on_connection(tcp::socket socket) {
        ++connections_;
        const auto now_open = ++open_;
        for (auto seen = most_at_once_.load(); now_open > seen;) {
            most_at_once_.compare_exchange_weak(seen, now_open);
        }
        if (tls_ != nullptr) {
            ssl::stream<beast::tcp_stream> s(beast::tcp_stream(std::move(socket)), *tls_);
            auto [ec] = co_await s.async_handshake(ssl::stream_base::server, use_tuple);
            if (!ec) {
                co_await serve(s);
            }
        } else {
            beast::tcp_stream s(std::move(socket));
            co_await serve(s);
        }
        --open_;
    }

    template <class Stream> asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [rec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
            if (rec) {
                co_return;
            }
            const auto k = ++requests_;
            {
                const std::lock_guard lock{mu_};
                targets_.emplace_back(req.target());
            }
            auto a = decide_(k, req.target());
            if (a.hang_up) {
                co_return;
            }
            if (a.silent) {
                co_await test::wait_forever();
                co_return;
            }
            if (a.delay.count() > 0) {
                asio::steady_timer t(co_await asio::this_coro::executor, a.delay);
                co_await t.async_wait(use_tuple);
            }
            a.res.keep_alive(true);
            a.res.prepare_payload();
            auto [wec, w] = co_await http::async_write(stream, a.res, use_tuple);
            if (wec || a.close_after) {
                co_return;
            }
        }
    }

    decide_fn decide_;
    ssl::context* tls_;
    asio::io_context ioc_;
    test::local_server listener_{ioc_.get_executor(), [this](tcp::socket s) {
                                     return on_connection(std::move(s));
                                 }};
    std::thread thread_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> requests_{0};
    std::atomic<std::size_t> open_{0};
    std::atomic<std::size_t> most_at_once_{0};
    mutable std::mutex mu_;
    std::vector<std::string> targets_;
};

class RestClientTest : public ::testing::Test {
  protected:
    rest_client_options options(const std::string& url) {
        rest_client_options o;
        o.url = url;
        o.connect_timeout = 2s;
        o.request_timeout = 2s;
        return o;
    }
    std::unique_ptr<rest_client> make(rest_client_options o, std::shared_ptr<ssl::context> tls = {},
                                      std::function<bool()> down = {}) {
        return std::make_unique<rest_client>(ioc_.get_executor(), std::move(tls), *limiter_,
                                             std::move(o), std::move(down));
    }
    // Runs get() to its end on the test thread.
    rest_response get(rest_client& c, std::string_view path, std::string_view query = {},
                      rest_priority p = rest_priority::bulk) {
        std::optional<rest_response> out;
        asio::co_spawn(
            ioc_, [&]() -> asio::awaitable<void> { out = co_await c.get(path, query, p); },
            asio::detached);
        ioc_.restart();
        while (!out && ioc_.run_one_for(10s) > 0) {
        }
        return out.value_or(rest_response{});
    }

    asio::io_context ioc_;
    std::unique_ptr<rate_limiter> limiter_ =
        std::make_unique<rate_limiter>(rate_limiter::options{});
};

TEST_F(RestClientTest, SequentialRequestsShareOneKeptConnection) {
    keep_alive_server server([](std::size_t, std::string_view) { return action{}; });
    auto c = make(options(server.url() + "/prefix"));
    for (int i = 0; i < 5; ++i) {
        const auto r = get(*c, "/v5/market/kline", "category=linear&symbol=BTCUSDT");
        ASSERT_TRUE(r.ok()) << r.reason;
        EXPECT_EQ(r.body, ok_body);
        EXPECT_EQ(r.http_status, 200U);
    }
    EXPECT_EQ(server.connections(), 1U);
    EXPECT_EQ(c->connects(), 1U);
    EXPECT_EQ(server.targets().front(), "/prefix/v5/market/kline?category=linear&symbol=BTCUSDT");
    const auto& st = c->stats().at("/v5/market/kline");
    EXPECT_EQ(st.requests, 5U);
    EXPECT_EQ(st.outcomes[static_cast<std::size_t>(rest_outcome::ok)], 5U);
}

TEST_F(RestClientTest, ConcurrentRequestsUseAtMostMaxConnections) {
    keep_alive_server server([](std::size_t, std::string_view) {
        action a;
        a.delay = 30ms;
        return a;
    });
    auto o = options(server.url());
    o.max_connections = 3;
    auto c = make(o);
    std::vector<rest_response> out;
    for (int i = 0; i < 12; ++i) {
        asio::co_spawn(
            ioc_,
            [&]() -> asio::awaitable<void> {
                out.push_back(co_await c->get("/v5/market/tickers", "", rest_priority::bulk));
            },
            asio::detached);
    }
    while (out.size() < 12 && ioc_.run_one_for(10s) > 0) {
    }
    ASSERT_EQ(out.size(), 12U);
    for (const auto& r : out) {
        EXPECT_TRUE(r.ok()) << r.reason;
    }
    EXPECT_LE(server.most_at_once(), 3U);
    EXPECT_LE(c->connects(), 3U);
    EXPECT_EQ(c->open_connections(), c->connects()); // all kept for the next requests
}

// Every kind of bad answer the issue names: each one classified, counted under its path and
// outcome, none of them taken for data.
TEST_F(RestClientTest, EachBadAnswerIsClassifiedAndCounted) {
    const std::vector<action> answers = [] {
        std::vector<action> v(6);
        v[0].res = json("<html>oops</html>", http::status::internal_server_error);
        v[1].res = json("not json at all");
        v[2].res = json(R"({"retCode":10001,"retMsg":"params error: symbol invalid"})");
        v[3].res = json(R"({"retCode":"0","retMsg":"OK"})"); // a retCode of the wrong type
        v[4].res = json(R"({"retCode":0,"result":{"list":[)" + std::string(70'000, ' ') + "]}}");
        v[5].res = json(R"({"retCode":0,"retMsg":"OK","result":{}})");
        return v;
    }();
    keep_alive_server server(
        [&](std::size_t n, std::string_view) { return answers[(n - 1) % answers.size()]; });
    auto o = options(server.url());
    o.max_response_bytes = 64 * 1024;
    auto c = make(o);
    EXPECT_EQ(get(*c, "/p").outcome, rest_outcome::http_status);
    EXPECT_EQ(get(*c, "/p").outcome, rest_outcome::bad_body);
    const auto venue = get(*c, "/p");
    EXPECT_EQ(venue.outcome, rest_outcome::venue_error);
    EXPECT_EQ(venue.ret_code, 10001);
    EXPECT_EQ(venue.ret_msg, "params error: symbol invalid");
    EXPECT_EQ(get(*c, "/p").outcome, rest_outcome::bad_body);
    const auto huge = get(*c, "/p");
    EXPECT_EQ(huge.outcome, rest_outcome::bad_body);
    EXPECT_NE(huge.reason.find("larger than 65536 bytes"), std::string::npos) << huge.reason;
    EXPECT_TRUE(get(*c, "/p").ok()); // and the client goes on
    const auto& st = c->stats().at("/p");
    EXPECT_EQ(st.requests, 6U);
    EXPECT_EQ(st.outcomes[static_cast<std::size_t>(rest_outcome::bad_body)], 3U);
    EXPECT_EQ(st.outcomes[static_cast<std::size_t>(rest_outcome::ok)], 1U);
}

// The venue saying "too many" is obeyed: retCode 10006 holds that path until the venue's
// reset time, HTTP 429 that path, HTTP 403 every path for ip_ban.
TEST_F(RestClientTest, TheVenuesRateLimitAnswersHoldRequestsBack) {
    keep_alive_server server([](std::size_t n, std::string_view target) {
        action a;
        if (target == "/limited" && n == 1) {
            a.res = json(R"({"retCode":10006,"retMsg":"Too many visits!"})");
            a.res.set(
                "X-Bapi-Limit-Reset-Timestamp",
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch() + 300ms)
                                   .count()));
        } else if (target == "/busy") {
            a.res = json("{}", http::status::too_many_requests);
            a.res.set(http::field::retry_after, "1");
        } else if (target == "/banned") {
            a.res = json("access too frequent", http::status::forbidden);
        }
        return a;
    });
    auto o = options(server.url());
    o.max_limiter_wait = 5s;
    auto c = make(o);
    const auto first = get(*c, "/limited");
    EXPECT_EQ(first.outcome, rest_outcome::rate_limited);
    EXPECT_EQ(first.ret_code, 10006);
    // The next request on that path waits for the reset, then goes.
    EXPECT_TRUE(get(*c, "/limited").ok());
    EXPECT_EQ(c->stats().at("/limited").limiter_waits, 1U);
    EXPECT_EQ(c->stats().at("/limited").requests, 2U);

    EXPECT_EQ(get(*c, "/busy").outcome, rest_outcome::rate_limited);
    EXPECT_TRUE(get(*c, "/other").ok()); // a 429 holds back only its path
    EXPECT_EQ(c->stats().at("/other").limiter_waits, 0U);

    EXPECT_EQ(get(*c, "/banned").outcome, rest_outcome::rate_limited);
    const auto seen = server.requests();
    // Everything now waits for the 10-minute ban: more than max_limiter_wait, so it fails at
    // once without a request.
    const auto held = get(*c, "/other");
    EXPECT_EQ(held.outcome, rest_outcome::rate_limited);
    EXPECT_NE(held.reason.find("ip_banned"), std::string::npos) << held.reason;
    EXPECT_EQ(server.requests(), seen);
}

TEST_F(RestClientTest, TheSharedLimiterKeepsRequestsWithinItsWindow) {
    limiter_ = std::make_unique<rate_limiter>(
        rate_limiter::options{.ip = {3, 60s}, .bulk_share = 1.0, .endpoints = {}});
    keep_alive_server server([](std::size_t, std::string_view) { return action{}; });
    auto o = options(server.url());
    o.max_limiter_wait = 100ms;
    auto c = make(o);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(get(*c, "/v5/market/kline").ok());
    }
    const auto r = get(*c, "/v5/market/tickers");
    EXPECT_EQ(r.outcome, rest_outcome::rate_limited);
    EXPECT_NE(r.reason.find("the rate limit (ip)"), std::string::npos) << r.reason;
    EXPECT_EQ(server.requests(), 3U);
}

TEST_F(RestClientTest, ASilentHostTimesOutAndAClosedKeptConnectionIsRetriedOnANewOne) {
    keep_alive_server server([](std::size_t n, std::string_view target) {
        action a;
        a.silent = target == "/silent";
        a.close_after = n == 1; // says keep-alive, then closes: the next request must recover
        return a;
    });
    auto o = options(server.url());
    o.request_timeout = 300ms;
    auto c = make(o);
    EXPECT_TRUE(get(*c, "/a").ok());
    // Give the client time to see nothing: the kept connection is closed by the server.
    asio::steady_timer t(ioc_, 100ms);
    t.async_wait([](auto) {});
    ioc_.restart();
    ioc_.run_for(150ms);
    const auto again = get(*c, "/a");
    EXPECT_TRUE(again.ok()) << again.reason;
    EXPECT_EQ(c->connects(), 2U);
    const auto silent = get(*c, "/silent");
    EXPECT_EQ(silent.outcome, rest_outcome::timeout);
    EXPECT_NE(silent.reason.find("timed out after 300 ms"), std::string::npos) << silent.reason;
}

TEST_F(RestClientTest, RefusedWhileTheProbesBreakerIsOpen) {
    keep_alive_server server([](std::size_t, std::string_view) { return action{}; });
    bool down = true;
    auto c = make(options(server.url()), {}, [&] { return down; });
    EXPECT_EQ(get(*c, "/p").outcome, rest_outcome::circuit_open);
    EXPECT_EQ(server.requests(), 0U);
    down = false;
    EXPECT_TRUE(get(*c, "/p").ok());
}

TEST_F(RestClientTest, ARefusedConnectionIsANetworkFailure) {
    auto c = make(options(fmt::format("http://127.0.0.1:{}", test::refused_port())));
    const auto r = get(*c, "/p");
    EXPECT_EQ(r.outcome, rest_outcome::network);
    EXPECT_NE(r.reason.find("connect to"), std::string::npos) << r.reason;
    EXPECT_EQ(c->open_connections(), 0U);
}

TEST_F(RestClientTest, StopEndsAWaitForTheLimiter) {
    keep_alive_server server([](std::size_t, std::string_view) { return action{}; });
    limiter_->ban_endpoint("/p", rate_limiter::clock::now() + 5s);
    auto o = options(server.url());
    o.max_limiter_wait = 10s;
    auto c = make(o);
    std::optional<rest_response> out;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> { out = co_await c->get("/p", "", rest_priority::bulk); },
        asio::detached);
    ioc_.run_for(50ms);
    ASSERT_FALSE(out);
    c->stop();
    ioc_.restart();
    while (!out && ioc_.run_one_for(2s) > 0) {
    }
    ASSERT_TRUE(out);
    EXPECT_EQ(out->outcome, rest_outcome::cancelled);
    EXPECT_EQ(server.requests(), 0U);
}

class RestClientTlsTest : public RestClientTest {
  protected:
    void SetUp() override { cert_.use_in(server_ctx_); }
    test::self_signed_cert cert_{"rest-tls"};
    ssl::context server_ctx_{ssl::context::tls_server};
};

TEST_F(RestClientTlsTest, VerifiedHttpsIsReusedAndAnUntrustedCertificateIsRefused) {
    keep_alive_server server([](std::size_t, std::string_view) { return action{}; }, &server_ctx_);
    auto c = make(options(server.url("localhost")), make_client_tls_context(cert_.cert_file()));
    EXPECT_TRUE(get(*c, "/p").ok());
    EXPECT_TRUE(get(*c, "/p").ok());
    EXPECT_EQ(c->connects(), 1U);

    auto untrusted = make(options(server.url("localhost")), make_client_tls_context());
    const auto r = get(*untrusted, "/p");
    EXPECT_EQ(r.outcome, rest_outcome::network);
    EXPECT_NE(r.reason.find("TLS handshake"), std::string::npos) << r.reason;
}

} // namespace
} // namespace mdg::net
