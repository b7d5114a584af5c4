#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "http/server.hpp"

namespace mdg::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using string_response = bhttp::response<bhttp::string_body>;
using namespace std::chrono_literals;
using namespace std::string_literals;

// Every client operation gives up after this; tests assert outcomes, never durations.
constexpr auto client_timeout = 10s;

// A blocking HTTP client for tests, written with Beast: each call runs the client's own
// io_context until the operation completes or client_timeout passes. Also sends raw bytes for
// malformed requests.
class test_client {
  public:
    explicit test_client(std::uint16_t port, const std::string& address = "127.0.0.1") {
        stream_.expires_after(client_timeout);
        stream_.async_connect(tcp::endpoint{asio::ip::make_address(address), port},
                              [this](error_code ec) { connect_error_ = ec; });
        run();
    }

    [[nodiscard]] error_code connect_error() const { return connect_error_; }

    error_code send(std::string data) {
        outgoing_ = std::move(data);
        error_code result;
        stream_.expires_after(client_timeout);
        asio::async_write(stream_, asio::buffer(outgoing_),
                          [&](error_code ec, std::size_t) { result = ec; });
        run();
        return result;
    }

    /// Reads one response; nullopt when the connection failed or closed first (`error()`).
    std::optional<string_response> read(bool head = false) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.skip(head); // a response to HEAD has Content-Length but no body
        parser.body_limit(1U << 20);
        error_code result;
        stream_.expires_after(client_timeout);
        bhttp::async_read(stream_, buffer_, parser,
                          [&](error_code ec, std::size_t) { result = ec; });
        run();
        if (result) {
            error_ = result;
            return std::nullopt;
        }
        return parser.release();
    }

    std::optional<string_response> get(const std::string& target, const std::string& extra = {},
                                       const std::string& method = "GET") {
        if (send(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n")) {
            return std::nullopt;
        }
        return read(method == "HEAD");
    }

    /// Reads (and discards) until the server ends the connection; returns how it ended:
    /// eof or a reset when the server closed it, beast::error::timeout when it did not.
    error_code wait_closed() {
        buffer_.consume(buffer_.size());
        error_code result;
        stream_.expires_after(client_timeout);
        std::function<void()> read_more = [&] {
            stream_.async_read_some(buffer_.prepare(4096), [&](error_code ec, std::size_t n) {
                buffer_.commit(n);
                buffer_.consume(buffer_.size());
                if (ec) {
                    result = ec;
                    return;
                }
                read_more();
            });
        };
        read_more();
        run();
        return result;
    }

    void close() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    [[nodiscard]] error_code error() const { return error_; }

  private:
    void run() {
        ioc_.restart();
        ioc_.run();
    }

    asio::io_context ioc_;
    beast::tcp_stream stream_{ioc_};
    beast::flat_buffer buffer_;
    std::string outgoing_;
    error_code connect_error_;
    error_code error_;
};

bool closed_by_peer(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset;
}

response text(std::string body) {
    response r;
    r.body = std::move(body);
    return r;
}

// The server on its own io_context thread; the test thread is the client. The test reaches
// the server only through on_server(), which runs a function on the server's thread.
class HttpServerTest : public ::testing::Test {
  protected:
    /// `more_routes` adds routes (prefixes, upgrades) before the server starts.
    void start(server_options opts = {}, const std::function<void(server&)>& more_routes = {}) {
        opts.port = 0;
        server_.emplace(ioc_.get_executor(), std::move(opts));
        server_->route("/hello", [](const request&) { return text("hello\n"); });
        server_->route("/healthz", [](const request&) { return text("ok\n"); });
        server_->route("/echo", [](const request& req) {
            return text(std::string(req.method) + " " + std::string(req.path) + " " +
                        std::string(req.query) + " " + std::string(req.header("x-probe")));
        });
        server_->route("/json", [](const request&) {
            response r;
            r.content_type = "application/json";
            r.body = R"({"ok":true})";
            r.headers = {{"X-Custom", "1"}, {"Cache-Control", "max-age=60"}};
            return r;
        });
        server_->route("/throws",
                       [](const request&) -> response { throw std::runtime_error("broken"); });
        server_->route("/throws-int", [](const request&) -> response { throw 42; });
        server_->route("/bad-header", [](const request&) {
            response r;
            r.headers = {{"X-Injected", "a\r\nSet-Cookie: evil=1"}};
            return r;
        });
        server_->route("/bad-status", [](const request&) {
            response r;
            r.status = 1000;
            return r;
        });
        if (more_routes) {
            more_routes(*server_);
        }
        std::string error;
        auto port = server_->start(error);
        ASSERT_TRUE(port) << error;
        port_ = *port;
        thread_ = std::thread([this] { ioc_.run(); });
    }

    /// What an upgrade handler got (copied: the views die with the call).
    struct upgraded {
        std::string method;
        std::string path;
        std::string query;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string buffered;
        error_code write_error;
    };

    /// An upgrade handler that records its call, writes `answer` on the socket as it is, and
    /// then keeps the socket open (`close` = false) or closes it.
    upgrade_handler record_upgrade(std::string answer, bool close = false) {
        return [this, answer = std::move(answer), close](tcp::socket socket, const request& req,
                                                         std::string_view buffered) {
            upgraded u;
            u.method = req.method;
            u.path = req.path;
            u.query = req.query;
            for (const auto& [name, value] : req.headers) {
                u.headers.emplace_back(name, value);
            }
            u.buffered = buffered;
            asio::write(socket, asio::buffer(answer), u.write_error);
            upgraded_.push_back(std::move(u));
            if (close) {
                error_code ignored;
                socket.shutdown(tcp::socket::shutdown_both, ignored);
            } else {
                held_.push_back(std::move(socket));
            }
        };
    }

    /// Copies of the recorded upgrades (read on the server's thread).
    std::vector<upgraded> upgrades() {
        return on_server([this] { return upgraded_; });
    }

    void TearDown() override {
        if (thread_.joinable()) {
            ioc_.stop();
            thread_.join();
        }
    }

    template <class F> auto on_server(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        // Wrapped: Asio treats a bare packaged_task as a completion token.
        asio::post(ioc_, [&task] { task(); });
        return result.get();
    }

    server_stats stats() {
        return on_server([this] { return server_->stats(); });
    }

    /// Waits until `pred(stats())` holds (the server may count after the client saw the
    /// effect); false when it does not within client_timeout.
    template <class Pred> bool stats_reach(Pred pred) {
        const auto deadline = std::chrono::steady_clock::now() + client_timeout;
        while (!pred(stats())) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::yield();
        }
        return true;
    }

    asio::io_context ioc_; // declared first: destroyed after the server
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    std::vector<upgraded> upgraded_; // on the server's thread only
    std::vector<tcp::socket> held_;  // sockets upgrade handlers took; on the server's thread
    std::optional<server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

TEST_F(HttpServerTest, ServesRoutesWithStandardHeadersAnd404ForUnknownPaths) {
    start();
    test_client c(port_);
    auto ok = c.get("/hello");
    ASSERT_TRUE(ok) << c.error().message();
    EXPECT_EQ(ok->result_int(), 200U);
    EXPECT_EQ(ok->body(), "hello\n");
    EXPECT_EQ((*ok)[bhttp::field::content_length], "6");
    EXPECT_EQ((*ok)[bhttp::field::server], "mdgate");
    EXPECT_EQ((*ok)[bhttp::field::cache_control], "no-store");
    EXPECT_EQ((*ok)[bhttp::field::content_type], "text/plain; charset=utf-8");

    auto with_query = c.get("/hello?x=1");
    ASSERT_TRUE(with_query);
    EXPECT_EQ(with_query->result_int(), 200U);

    auto missing = c.get("/nope");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->result_int(), 404U);
    EXPECT_EQ((*missing)[bhttp::field::server], "mdgate");
    EXPECT_EQ((*missing)[bhttp::field::cache_control], "no-store");
    EXPECT_EQ((*missing)[bhttp::field::content_length], std::to_string(missing->body().size()));
    auto prefix = c.get("/hello/more");
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->result_int(), 404U);
    EXPECT_EQ(stats().not_found, 2U);
}

TEST_F(HttpServerTest, PassesMethodPathQueryAndHeadersToTheHandler) {
    start();
    test_client c(port_);
    auto res = c.get("/echo?a=1&b=2", "X-Probe: yes\r\n");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body(), "GET /echo a=1&b=2 yes");
    // Absolute-form targets (RFC 9112 §3.2.2) reach the same route.
    auto absolute = c.get("http://127.0.0.1/echo?c=3");
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->body(), "GET /echo c=3 ");
}

TEST_F(HttpServerTest, MethodsOtherThanGetAndHeadGet405WithAllow) {
    start();
    test_client c(port_);
    for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS", "BREW"}) {
        auto res = c.get("/hello", "Content-Length: 0\r\n", method);
        ASSERT_TRUE(res) << method << ": " << c.error().message();
        EXPECT_EQ(res->result_int(), 405U) << method;
        EXPECT_EQ((*res)[bhttp::field::allow], "GET, HEAD") << method;
    }
    auto unknown = c.get("/nope", "Content-Length: 0\r\n", "POST");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->result_int(), 404U);
    EXPECT_EQ(stats().method_not_allowed, 5U);
}

TEST_F(HttpServerTest, HeadSendsTheHeadersOfGetWithoutTheBody) {
    start();
    test_client c(port_);
    auto head = c.get("/hello", {}, "HEAD");
    ASSERT_TRUE(head) << c.error().message();
    EXPECT_EQ(head->result_int(), 200U);
    EXPECT_EQ((*head)[bhttp::field::content_length], "6");
    EXPECT_TRUE(head->body().empty());
    // Had the server sent the body anyway, this response would not parse.
    auto get = c.get("/hello");
    ASSERT_TRUE(get) << c.error().message();
    EXPECT_EQ(get->body(), "hello\n");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    test_client c(port_);
    auto first = c.get("/hello");
    auto second = c.get("/healthz");
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_EQ(first->body(), "hello\n");
    EXPECT_EQ(second->body(), "ok\n");
    EXPECT_TRUE(second->keep_alive());
    // Pipelined: two requests in one write, answered in order.
    ASSERT_FALSE(c.send("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto p1 = c.read();
    auto p2 = c.read();
    ASSERT_TRUE(p1);
    ASSERT_TRUE(p2);
    EXPECT_EQ(p1->body(), "GET /echo n=1 ");
    EXPECT_EQ(p2->body(), "GET /echo n=2 ");
    const auto s = stats();
    EXPECT_EQ(s.connections_accepted, 1U);
    EXPECT_EQ(s.requests, 4U);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
    start();
    test_client c(port_);
    auto res = c.get("/hello", "Connection: close\r\n");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200U);
    EXPECT_FALSE(res->keep_alive());
    EXPECT_TRUE(closed_by_peer(c.wait_closed()));

    // HTTP/1.0 closes by default.
    test_client old(port_);
    ASSERT_FALSE(old.send("GET /hello HTTP/1.0\r\n\r\n"));
    auto res10 = old.read();
    ASSERT_TRUE(res10);
    EXPECT_EQ(res10->body(), "hello\n");
    EXPECT_TRUE(closed_by_peer(old.wait_closed()));
    EXPECT_TRUE(stats_reach([](const server_stats& s) { return s.connections_open == 0; }));
}

TEST_F(HttpServerTest, TokenIsRequiredExceptOnPublicPaths) {
    server_options opts;
    opts.bearer_token = "s3cret-token";
    start(opts);
    test_client c(port_);
    const std::vector<std::string> rejected = {
        "",
        "Authorization: Bearer s3cret-tokem\r\n",
        "Authorization: Bearer s3cret\r\n",
        "Authorization: Bearer s3cret-token2\r\n",
        "Authorization: Basic czNjcmV0LXRva2Vu\r\n",
        "Authorization: s3cret-token\r\n",
    };
    for (const auto& auth : rejected) {
        auto res = c.get("/hello", auth);
        ASSERT_TRUE(res) << auth;
        EXPECT_EQ(res->result_int(), 401U) << auth;
        EXPECT_EQ((*res)[bhttp::field::www_authenticate], "Bearer") << auth;
        EXPECT_NE(res->body(), "hello\n");
    }
    // Unknown paths are not revealed to a client without the token.
    auto unknown = c.get("/nope");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->result_int(), 401U);

    auto accepted = c.get("/hello", "Authorization: Bearer s3cret-token\r\n");
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->result_int(), 200U);
    auto lower = c.get("/hello", "authorization: bearer s3cret-token\r\n");
    ASSERT_TRUE(lower);
    EXPECT_EQ(lower->result_int(), 200U);
    auto health = c.get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->result_int(), 200U);
    EXPECT_EQ(health->body(), "ok\n");
    EXPECT_EQ(stats().rejected_auth, 7U);
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndTheConnectionCloses) {
    start();
    test_client c(port_);
    auto res = c.get("/hello", "X-Big: " + std::string(std::size_t{20} << 10, 'a') + "\r\n");
    ASSERT_TRUE(res) << c.error().message();
    EXPECT_EQ(res->result_int(), 431U);
    EXPECT_FALSE(res->keep_alive());
    EXPECT_TRUE(closed_by_peer(c.wait_closed()));
    EXPECT_EQ(stats().rejected_limits, 1U);

    test_client next(port_);
    auto ok = next.get("/hello");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result_int(), 200U);
}

TEST_F(HttpServerTest, OversizedBodyGets413) {
    server_options opts;
    opts.max_body_bytes = 1024;
    start(opts);
    test_client c(port_);
    ASSERT_FALSE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                        std::string(100000, 'b')));
    auto res = c.read();
    ASSERT_TRUE(res) << c.error().message();
    EXPECT_EQ(res->result_int(), 413U);
    EXPECT_TRUE(closed_by_peer(c.wait_closed()));

    // A chunked body that grows past the limit.
    test_client chunked(port_);
    ASSERT_FALSE(chunked.send("GET /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "800\r\n" +
                              std::string(0x800, 'c') + "\r\n0\r\n\r\n"));
    auto res2 = chunked.read();
    ASSERT_TRUE(res2) << chunked.error().message();
    EXPECT_EQ(res2->result_int(), 413U);

    // A small body is read and ignored.
    test_client small(port_);
    ASSERT_FALSE(small.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"));
    auto ok = small.read();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result_int(), 200U);
    EXPECT_EQ(stats().rejected_limits, 2U);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerKeepsServing) {
    start();
    const std::vector<std::string> cases = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /hello HTTP/1.1\r\nX: a\0b\r\n\r\n"s, // NUL in a field value
        "GET /hel lo HTTP/1.1\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s, // a TLS ClientHello, then CRLFs
        "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /hello HTTP/2.0\r\n\r\n", // only HTTP/1.0 and 1.1 are spoken here
        "GET /hello HTTP/1.2\r\n\r\n",
    };
    for (const auto& raw : cases) {
        test_client c(port_);
        ASSERT_FALSE(c.send(raw));
        auto res = c.read();
        ASSERT_TRUE(res) << "no answer to " << raw << ": " << c.error().message();
        EXPECT_EQ(res->result_int(), 400U) << raw;
        EXPECT_EQ((*res)[bhttp::field::server], "mdgate");
    }
    test_client next(port_);
    auto ok = next.get("/hello");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result_int(), 200U);
    EXPECT_EQ(stats().bad_requests, cases.size());
}

TEST_F(HttpServerTest, AtTheCapTheLongestWaitingConnectionIsClosedAndTheNewOneServed) {
    server_options opts;
    opts.max_connections = 2;
    start(opts);
    test_client a(port_);
    test_client b(port_);
    ASSERT_TRUE(a.get("/hello"));
    ASSERT_TRUE(b.get("/hello"));

    test_client third(port_);
    auto res = third.get("/hello");
    ASSERT_TRUE(res) << third.error().message();
    EXPECT_EQ(res->result_int(), 200U);
    EXPECT_TRUE(closed_by_peer(a.wait_closed())); // a waited longest
    EXPECT_TRUE(stats_reach([](const server_stats& s) {
        return s.evicted_max_connections == 1 && s.connections_open == 2;
    }));
    auto again = b.get("/hello");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->result_int(), 200U);
}

TEST_F(HttpServerTest, OneAddressOverItsCapLosesItsOwnLongestWaitingConnection) {
    server_options opts;
    opts.max_connections_per_address = 2;
    start(opts);
    test_client a(port_);
    test_client b(port_);
    ASSERT_TRUE(a.get("/hello"));
    ASSERT_TRUE(b.get("/hello"));
    test_client c(port_);
    auto res = c.get("/hello");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200U);
    EXPECT_TRUE(closed_by_peer(a.wait_closed()));
    EXPECT_TRUE(stats_reach([](const server_stats& s) { return s.evicted_per_address == 1; }));
    EXPECT_EQ(stats().evicted_max_connections, 0U);
}

// Each deadline closes a connection that is too slow for it, without an answer, and counts it
// under its own reason.
TEST_F(HttpServerTest, HeaderAndBodyDeadlinesCloseSlowClients) {
    server_options opts;
    opts.header_timeout = 300ms;
    opts.body_timeout = 300ms;
    start(opts);
    test_client silent(port_); // sends nothing at all
    test_client slow_header(port_);
    ASSERT_FALSE(slow_header.send("GET /hello HTTP/1.1\r\nHost: x\r\n")); // never finished
    test_client slow_body(port_);
    ASSERT_FALSE(slow_body.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
    for (auto* c : {&silent, &slow_header, &slow_body}) {
        EXPECT_TRUE(closed_by_peer(c->wait_closed()));
    }
    EXPECT_TRUE(stats_reach([](const server_stats& s) {
        return s.header_timeouts == 2 && s.body_timeouts == 1 && s.timeouts == 3 &&
               s.connections_open == 0;
    }));
    EXPECT_EQ(stats().requests, 0U);
    EXPECT_EQ(stats().idle_closes, 0U);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
    server_options opts;
    opts.idle_timeout = 300ms;
    start(opts);
    test_client c(port_);
    ASSERT_TRUE(c.get("/hello"));
    EXPECT_TRUE(closed_by_peer(c.wait_closed()));
    EXPECT_TRUE(stats_reach([](const server_stats& s) { return s.idle_closes == 1; }));
}

TEST_F(HttpServerTest, HandlerFailuresGive500AndAreCounted) {
    start();
    test_client c(port_);
    for (const char* path : {"/throws", "/throws-int", "/bad-header", "/bad-status"}) {
        auto res = c.get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->result_int(), 500U) << path;
        EXPECT_EQ(res->count("Set-Cookie"), 0U) << path;
    }
    // The connection survives a failing handler.
    auto ok = c.get("/hello");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result_int(), 200U);
    EXPECT_EQ(stats().handler_errors, 4U);
}

TEST_F(HttpServerTest, HandlerContentTypeAndHeadersAreSentButServerHeadersWin) {
    start();
    test_client c(port_);
    auto res = c.get("/json");
    ASSERT_TRUE(res);
    EXPECT_EQ((*res)[bhttp::field::content_type], "application/json");
    EXPECT_EQ((*res)["X-Custom"], "1");
    EXPECT_EQ(res->count(bhttp::field::cache_control), 1U);
    EXPECT_EQ((*res)[bhttp::field::cache_control], "no-store");
    EXPECT_EQ(res->body(), R"({"ok":true})");
}

TEST_F(HttpServerTest, StopRefusesNewConnectionsAndClosesIdleOnes) {
    start();
    test_client idle(port_);
    ASSERT_TRUE(idle.get("/hello"));
    // From the test thread (stop() is safe off the executor); the empty task after it runs
    // once the stop has.
    server_->stop();
    on_server([] {});
    EXPECT_TRUE(closed_by_peer(idle.wait_closed()));
    test_client late(port_);
    EXPECT_TRUE(late.connect_error()) << "connected after stop()";
    server_->stop(); // idempotent
    on_server([] {});
}

TEST_F(HttpServerTest, ListensOnIpv6Loopback) {
    server_options opts;
    opts.address = "[::1]";
    opts.port = 0;
    server_.emplace(ioc_.get_executor(), opts);
    server_->route("/hello", [](const request&) { return text("hello\n"); });
    std::string error;
    auto port = server_->start(error);
    if (!port && port.error() == boost::system::errc::address_not_available) {
        GTEST_SKIP() << "no IPv6 loopback here: " << error;
    }
    ASSERT_TRUE(port) << error;
    port_ = *port;
    thread_ = std::thread([this] { ioc_.run(); });
    test_client c(port_, "::1");
    auto res = c.get("/hello");
    ASSERT_TRUE(res) << c.error().message();
    EXPECT_EQ(res->result_int(), 200U);
}

/// A handler that answers "<name> <path> <query>".
handler named(std::string name) {
    return [name = std::move(name)](const request& req) {
        return text(name + " " + std::string(req.path) + " " + std::string(req.query));
    };
}

TEST_F(HttpServerTest, LongestPrefixWinsAndExactRoutesWinOverPrefixes) {
    start({}, [](server& s) {
        s.route_prefix("/v1/book/", named("book")); // before the shorter one: order is no matter
        s.route_prefix("/v1/", named("old"));
        s.route_prefix("/v1/", named("v1")); // replaces it
        s.route("/v1/book/exact", named("exact"));
        s.route_prefix("/hello/", named("hello-prefix"));
    });
    test_client c(port_);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"/v1/instruments", "v1 /v1/instruments "},
        {"/v1/", "v1 /v1/ "},
        {"/v1/book/linear/BTCUSDT?depth=5", "book /v1/book/linear/BTCUSDT depth=5"},
        {"/v1/book/", "book /v1/book/ "},
        {"/v1/book", "v1 /v1/book "}, // not under "/v1/book/"
        {"/v1/book/exact", "exact /v1/book/exact "},
        {"/v1/book/exact?x=1", "exact /v1/book/exact x=1"},
        {"/v1/book/exact/more", "book /v1/book/exact/more "},
        {"/v1/x?q=/v1/book/", "v1 /v1/x q=/v1/book/"}, // the query is not part of the match
        {"/hello", "hello\n"},
        {"/hello/x", "hello-prefix /hello/x "},
    };
    for (const auto& [target, want] : cases) {
        auto res = c.get(target);
        ASSERT_TRUE(res) << target << ": " << c.error().message();
        EXPECT_EQ(res->result_int(), 200U) << target;
        EXPECT_EQ(res->body(), want) << target;
    }
    for (const std::string target : {"/v1", "/v1?a=/v1/", "/v2/x", "/V1/x", "/hellox"}) {
        auto res = c.get(target);
        ASSERT_TRUE(res) << target;
        EXPECT_EQ(res->result_int(), 404U) << target;
    }
    auto post = c.get("/v1/x", "Content-Length: 0\r\n", "POST");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->result_int(), 405U);
    auto head = c.get("/v1/book/x", {}, "HEAD");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->result_int(), 200U);
    EXPECT_TRUE(head->body().empty());
}

TEST_F(HttpServerTest, PrefixRoutesNeedTheToken) {
    server_options opts;
    opts.bearer_token = "tok";
    start(opts, [](server& s) { s.route_prefix("/v1/", named("v1")); });
    test_client c(port_);
    for (const auto& [auth, status] :
         std::vector<std::pair<std::string, unsigned>>{{"", 401U},
                                                       {"Authorization: Bearer wrong\r\n", 401U},
                                                       {"Authorization: Bearer tok\r\n", 200U}}) {
        auto res = c.get("/v1/book/x", auth);
        ASSERT_TRUE(res) << auth;
        EXPECT_EQ(res->result_int(), status) << auth;
    }
}

const std::string ws_request_headers = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                       "Sec-WebSocket-Version: 13\r\n";
const std::string switching_protocols = "HTTP/1.1 101 Switching Protocols\r\n"
                                        "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

/// The value of header `name` as the handler got it; empty when absent.
std::string header_of(const std::vector<std::pair<std::string, std::string>>& headers,
                      std::string_view name) {
    for (const auto& [n, v] : headers) {
        if (n == name) {
            return v;
        }
    }
    return {};
}

TEST_F(HttpServerTest, UpgradeHandsTheSocketAndTheRequestToTheHandler) {
    server_options opts;
    opts.bearer_token = "tok";
    start(opts, [this](server& s) {
        s.route_prefix("/v1/", named("v1"));
        s.upgrade("/v1/stream", record_upgrade(switching_protocols));
    });
    test_client c(port_);
    auto res = c.get("/v1/stream?client=7", "Authorization: Bearer tok\r\n" + ws_request_headers);
    ASSERT_TRUE(res) << c.error().message();
    // The handler's bytes, as it wrote them: nothing of the server's is added.
    EXPECT_EQ(res->result_int(), 101U);
    EXPECT_EQ((*res)[bhttp::field::upgrade], "websocket");
    EXPECT_EQ(res->count(bhttp::field::server), 0U);

    const auto ups = upgrades();
    ASSERT_EQ(ups.size(), 1U);
    EXPECT_EQ(ups[0].method, "GET");
    EXPECT_EQ(ups[0].path, "/v1/stream");
    EXPECT_EQ(ups[0].query, "client=7");
    EXPECT_EQ(header_of(ups[0].headers, "Upgrade"), "websocket");
    EXPECT_EQ(header_of(ups[0].headers, "Sec-WebSocket-Key"), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(header_of(ups[0].headers, "Sec-WebSocket-Version"), "13");
    EXPECT_EQ(header_of(ups[0].headers, "Authorization"), "Bearer tok");
    EXPECT_FALSE(ups[0].write_error) << ups[0].write_error.message();
    EXPECT_TRUE(ups[0].buffered.empty());
    EXPECT_EQ(stats().upgrades, 1U);
    // The socket is the handler's now: the server no longer counts the connection.
    EXPECT_TRUE(stats_reach([](const server_stats& s) { return s.connections_open == 0; }));

    // The header's value is case-insensitive.
    test_client mixed(port_);
    auto res2 = mixed.get("/v1/stream", "authorization: Bearer tok\r\nupgrade: WebSocket\r\n");
    ASSERT_TRUE(res2) << mixed.error().message();
    EXPECT_EQ(res2->result_int(), 101U);
    EXPECT_EQ(upgrades().size(), 2U);
}

TEST_F(HttpServerTest, UpgradeHandlerGetsTheBytesSentAfterTheRequest) {
    start({}, [this](server& s) { s.upgrade("/v1/stream", record_upgrade(switching_protocols)); });
    test_client c(port_);
    const std::string after = "\x81\x85\x01\x02\x03\x04" + std::string(5, 'm'); // a first frame
    ASSERT_FALSE(
        c.send("GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + ws_request_headers + "\r\n" + after));
    auto res = c.read();
    ASSERT_TRUE(res) << c.error().message();
    EXPECT_EQ(res->result_int(), 101U);
    // What the server read past the request is handed over; the rest is still in the socket.
    const auto got = on_server([this, &after] {
        std::string bytes = upgraded_.at(0).buffered;
        if (bytes.size() < after.size()) {
            std::string more(after.size() - bytes.size(), '\0');
            error_code ec;
            asio::read(held_.at(0), asio::buffer(more), ec);
            bytes += more;
        }
        return bytes;
    });
    EXPECT_EQ(got, after);
}

TEST_F(HttpServerTest, UpgradePathWithoutTheUpgradeGets426) {
    start({}, [this](server& s) {
        s.route_prefix("/v1/", named("v1"));
        s.upgrade("/v1/stream", record_upgrade(switching_protocols));
    });
    test_client c(port_);
    for (const std::string extra :
         {"", "Connection: Upgrade\r\n", "Upgrade: h2c\r\nConnection: Upgrade\r\n",
          "Upgrade: websocket2\r\n"}) {
        auto res = c.get("/v1/stream?x=1", extra);
        ASSERT_TRUE(res) << extra << ": " << c.error().message();
        EXPECT_EQ(res->result_int(), 426U) << extra;
        EXPECT_EQ((*res)[bhttp::field::upgrade], "websocket") << extra;
        EXPECT_TRUE(res->keep_alive()) << extra;
    }
    // Only a GET upgrades.
    auto head = c.get("/v1/stream", ws_request_headers, "HEAD");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->result_int(), 426U);
    // The connection goes on, and the rest of the prefix is served as before.
    auto other = c.get("/v1/streams");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->body(), "v1 /v1/streams ");
    EXPECT_TRUE(upgrades().empty());
    EXPECT_EQ(stats().upgrades, 0U);
}

TEST_F(HttpServerTest, UpgradeWithoutTheTokenGets401AndNeverReachesTheHandler) {
    server_options opts;
    opts.bearer_token = "tok";
    start(opts,
          [this](server& s) { s.upgrade("/v1/stream", record_upgrade(switching_protocols)); });
    for (const std::string auth :
         {"", "Authorization: Bearer wrong\r\n", "Authorization: tok\r\n"}) {
        test_client c(port_);
        auto res = c.get("/v1/stream", auth + ws_request_headers);
        ASSERT_TRUE(res) << auth << ": " << c.error().message();
        EXPECT_EQ(res->result_int(), 401U) << auth;
        EXPECT_EQ((*res)[bhttp::field::www_authenticate], "Bearer") << auth;
    }
    // Without the upgrade either: 401 first, so the 426 tells an anonymous client nothing.
    test_client c(port_);
    auto plain = c.get("/v1/stream");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->result_int(), 401U);
    EXPECT_TRUE(upgrades().empty());
    const auto st = stats();
    EXPECT_EQ(st.upgrades, 0U);
    EXPECT_EQ(st.rejected_auth, 4U);
}

TEST_F(HttpServerTest, UpgradeHandlerCanAnswerWithItsOwnError) {
    start({}, [this](server& s) {
        s.upgrade("/v1/stream", record_upgrade("HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\n"
                                               "Connection: close\r\n\r\nbad version\n",
                                               true));
    });
    test_client c(port_);
    auto res = c.get("/v1/stream", "Upgrade: websocket\r\nSec-WebSocket-Version: 7\r\n");
    ASSERT_TRUE(res) << c.error().message();
    EXPECT_EQ(res->result_int(), 400U);
    EXPECT_EQ(res->body(), "bad version\n");
    EXPECT_TRUE(closed_by_peer(c.wait_closed()));
    ASSERT_EQ(upgrades().size(), 1U);
    // The server goes on serving.
    test_client next(port_);
    auto ok = next.get("/hello");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->result_int(), 200U);
}

TEST(HttpServerStartTest, BadOptionsAreErrorsNotExceptions) {
    asio::io_context ioc;
    auto fails = [&](server_options opts, std::string_view expect_in_error) {
        server s(ioc.get_executor(), std::move(opts));
        std::string error;
        auto r = s.start(error);
        EXPECT_FALSE(r) << expect_in_error;
        EXPECT_NE(error.find(expect_in_error), std::string::npos) << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    };
    server_options base;
    base.port = 0;
    auto with = [&](auto change) {
        auto o = base;
        change(o);
        return o;
    };
    fails(with([](server_options& o) { o.address = "not-an-ip"; }), "not-an-ip");
    fails(with([](server_options& o) { o.address = "999.1.1.1"; }), "999.1.1.1");
    fails(with([](server_options& o) { o.address = ""; }), "bad listen address");
    fails(with([](server_options& o) { o.address = "[::1"; }), "[::1");
    fails(with([](server_options& o) { o.address = "192.0.2.1"; }), "192.0.2.1:0"); // not ours
    fails(with([](server_options& o) { o.max_connections = 0; }), "max_connections");
    fails(with([](server_options& o) { o.max_header_bytes = 10; }), "max_header_bytes");
    fails(with([](server_options& o) { o.max_connections_per_address = 0; }),
          "max_connections_per_address");
    fails(with([](server_options& o) { o.header_timeout = 0s; }), "header_timeout");
    fails(with([](server_options& o) { o.body_timeout = 0s; }), "body_timeout");
    fails(with([](server_options& o) { o.bearer_token = "two words"; }), "bearer_token");
    fails(with([](server_options& o) { o.public_paths = {"healthz"}; }), "healthz");
}

TEST(HttpServerStartTest, PortInUseAndSecondStartAreErrors) {
    asio::io_context ioc;
    server_options any_port;
    any_port.port = 0;
    server first(ioc.get_executor(), any_port);
    std::string error;
    auto port = first.start(error);
    ASSERT_TRUE(port) << error;

    server_options same;
    same.port = *port;
    server second(ioc.get_executor(), same);
    auto r = second.start(error);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), asio::error::address_in_use);
    EXPECT_NE(error.find("127.0.0.1:" + std::to_string(*port)), std::string::npos) << error;

    auto again = first.start(error);
    EXPECT_FALSE(again);
    EXPECT_NE(error.find("already started"), std::string::npos) << error;
}

// ---- floods: the port cannot be locked ------------------------------------------------------

// Many plain TCP connections from 127.0.0.1, opened with blocking connects and then switched
// to non-blocking, for floods. A connection the server closed is seen by alive().
class raw_connections {
  public:
    /// `n` connections to 127.0.0.1:`port`, each from the local address `from`.
    raw_connections(std::uint16_t port, std::size_t n, const char* from = "127.0.0.1") {
        const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
        const tcp::endpoint src{asio::ip::make_address(from), 0};
        sockets_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto& s = sockets_.emplace_back(ioc_);
            error_code ec;
            s.open(tcp::v4(), ec);
            if (!ec) {
                s.bind(src, ec);
            }
            if (!ec) {
                s.connect(ep, ec);
            }
            if (!ec) {
                s.non_blocking(true, ec);
            }
            errors_ += ec ? 1U : 0U;
        }
    }

    [[nodiscard]] std::size_t connect_errors() const { return errors_; }

    /// Sends `bytes` on every connection still open (errors ignored: alive() sees them).
    void send_all(std::string_view bytes) {
        for (auto& s : sockets_) {
            error_code ignored;
            s.write_some(asio::buffer(bytes.data(), bytes.size()), ignored);
        }
    }

    /// Connections the server has not closed (a read neither gives eof nor a reset).
    std::size_t alive() {
        std::size_t n = 0;
        std::array<char, 512> sink{};
        for (auto& s : sockets_) {
            error_code ec;
            do {
                s.read_some(asio::buffer(sink), ec);
            } while (!ec);
            n += ec == asio::error::would_block ? 1U : 0U;
        }
        return n;
    }

  private:
    asio::io_context ioc_;
    std::vector<tcp::socket> sockets_;
    std::size_t errors_ = 0;
};

// Room for `n` client sockets plus the server's in this process, or false (then skip).
bool enough_descriptors(std::size_t n) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return false;
    }
    if (lim.rlim_cur < 2 * n + 256 && lim.rlim_max >= 2 * n + 256) {
        lim.rlim_cur = 2 * n + 256;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur >= 2 * n + 256;
}

class HttpFloodTest : public HttpServerTest {
  protected:
    void start_with_probes(server_options opts) {
        start(std::move(opts), [](server& s) {
            s.route("/readyz", [](const request&) { return text("ready\n"); });
            s.route("/metrics", [](const request&) { return text("# metrics\n"); });
        });
    }

    /// A fresh connection's probes, each answered 200.
    void expect_probes_answered() {
        for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
            test_client probe(port_);
            auto res = probe.get(path);
            ASSERT_TRUE(res) << path << ": " << probe.error().message();
            EXPECT_EQ(res->result_int(), 200U) << path;
        }
    }
};

TEST_F(HttpFloodTest, TwoThousandConnectionsFromOneAddressDoNotLockTheProbes) {
    constexpr std::size_t flood = 2000;
    if (!enough_descriptors(flood)) {
        GTEST_SKIP() << "not enough file descriptors for " << flood << " connections";
    }
    server_options opts;         // the limits' defaults: 1024 in all, 64 per address
    opts.header_timeout = 10min; // only eviction closes the flood here
    start_with_probes(opts);
    raw_connections conns(port_, flood);
    ASSERT_EQ(conns.connect_errors(), 0U);
    expect_probes_answered();
    // Each probe came after the flood: it pushed out the flood's longest-waiting connection.
    EXPECT_TRUE(stats_reach([&](const server_stats& s) {
        return s.connections_accepted == flood + 3 && s.connections_open <= 64;
    }));
    EXPECT_GE(stats().evicted_per_address, flood - 64);
    EXPECT_LE(conns.alive(), 64U);
}

TEST_F(HttpFloodTest, ReconnectingClientsDoNotLockTheProbes) {
    start_with_probes({});
    std::atomic<bool> churning{true};
    // The churn comes from another address than the probes (an orchestrator's probe is not
    // behind the flooder's address): from the same one, a probe is fair game for eviction
    // once 64 newer connections arrive before its request is read.
    std::thread churn([&] {
        for (int round = 0; round < 20; ++round) {
            raw_connections burst(port_, 100, "127.0.0.2"); // 100 connects, then all closed
            EXPECT_EQ(burst.connect_errors(), 0U);
        }
        churning = false;
    });
    do {
        expect_probes_answered();
    } while (churning);
    churn.join();
}

TEST_F(HttpFloodTest, SlowlorisIsClosedByTheHeaderDeadlineWhileProbesAreAnswered) {
    constexpr std::size_t flood = 200;
    server_options opts;
    opts.header_timeout = 500ms;
    opts.max_connections_per_address = 1000; // the deadline, not eviction, must close them
    start_with_probes(opts);
    raw_connections loris(port_, flood);
    ASSERT_EQ(loris.connect_errors(), 0U);
    loris.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    expect_probes_answered();
    // Trickle one byte at a time until the server has closed every one of them.
    const auto give_up = std::chrono::steady_clock::now() + client_timeout;
    while (loris.alive() > 0 && std::chrono::steady_clock::now() < give_up) {
        loris.send_all("a");
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(loris.alive(), 0U);
    EXPECT_TRUE(stats_reach([&](const server_stats& s) { return s.header_timeouts == flood; }));
    EXPECT_EQ(stats().evicted_per_address, 0U);
    EXPECT_EQ(stats().requests, 3U); // the probes only
}

TEST_F(HttpFloodTest, IdleSocketsDoNotLockTheProbesAndAreClosed) {
    constexpr std::size_t flood = 100;
    server_options opts;
    opts.max_connections = 64; // the old limit the idle sockets used to exhaust
    opts.header_timeout = 500ms;
    start_with_probes(opts);
    raw_connections idle(port_, flood);
    ASSERT_EQ(idle.connect_errors(), 0U);
    expect_probes_answered();
    const auto give_up = std::chrono::steady_clock::now() + client_timeout;
    while (idle.alive() > 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(idle.alive(), 0U);
    EXPECT_TRUE(stats_reach([&](const server_stats& s) {
        return s.header_timeouts + s.evicted_per_address + s.evicted_max_connections == flood;
    }));
}

} // namespace
} // namespace mdg::http
