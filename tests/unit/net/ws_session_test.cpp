#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "net/ws_session.hpp"
#include "support/local_server.hpp"

namespace mdg::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

TEST(WsUrlTest, ParsesPlainAndTlsUrls) {
    std::string reason;
    auto a = parse_ws_url("wss://stream.bybit.com/v5/public/linear", reason);
    ASSERT_TRUE(a) << reason;
    EXPECT_TRUE(a->tls);
    EXPECT_EQ(a->host, "stream.bybit.com");
    EXPECT_EQ(a->port, "443");
    EXPECT_EQ(a->target, "/v5/public/linear");
    auto b = parse_ws_url("ws://127.0.0.1:9000/v5/public/spot?x=1", reason);
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->tls);
    EXPECT_EQ(b->port, "9000");
    EXPECT_EQ(b->target, "/v5/public/spot?x=1");
    auto c = parse_ws_url("ws://[::1]:9000", reason);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "::1");
    EXPECT_EQ(c->target, "/");
    auto d = parse_ws_url("ws://h:9000?x=1", reason);
    ASSERT_TRUE(d) << reason;
    EXPECT_EQ(d->host, "h");
    EXPECT_EQ(d->target, "/?x=1");
    // The authority is read as parse_http_url reads it: these were accepted before.
    for (const char* bad : {"http://x/", "ws://", "ws://host:port/", "ws://h:123456/", "ws://[::1",
                            "ws://h:0/", "ws://h:99999/", "ws://h:/", "ws://[::1]x/", "ws://[zz]/",
                            "ws://u@h/", "ws://h/a b", "ws://h/#f"}) {
        EXPECT_FALSE(parse_ws_url(bad, reason)) << bad;
        EXPECT_FALSE(reason.empty());
    }
}

// Runs `f` (a coroutine) on `ioc` until it finishes, with a safety limit.
template <class F> void run(asio::io_context& ioc, F&& f) {
    bool done = false;
    asio::co_spawn(ioc, std::forward<F>(f), [&](std::exception_ptr e) {
        done = true;
        if (e) {
            std::rethrow_exception(e);
        }
    });
    ioc.restart();
    while (!done && ioc.run_one_for(30s) > 0) {
    }
    ASSERT_TRUE(done) << "the coroutine did not finish";
}

// A TLS WebSocket server connection that echoes every message.
asio::awaitable<void> tls_echo(tcp::socket socket, ssl::context& ctx) {
    websocket::stream<ssl::stream<beast::tcp_stream>> ws(std::move(socket), ctx);
    auto [hec] = co_await ws.next_layer().async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) {
        co_return;
    }
    auto [wec] = co_await ws.async_accept(use_tuple);
    if (wec) {
        co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
        auto [rec, n] = co_await ws.async_read(buffer, use_tuple);
        if (rec) {
            co_return;
        }
        ws.text(true);
        co_await ws.async_write(buffer.data(), use_tuple);
        buffer.consume(buffer.size());
    }
}

class WsSessionTlsTest : public ::testing::Test {
  protected:
    void SetUp() override { cert_.use_in(server_ctx_); }
    std::string url(const std::string& host) {
        return "wss://" + host + ":" + std::to_string(server_.port()) + "/echo";
    }

    test::self_signed_cert cert_{"tls"};
    asio::io_context ioc_;
    ssl::context server_ctx_{ssl::context::tls_server};
    test::local_server server_{ioc_.get_executor(), [this](tcp::socket s) {
                                   return tls_echo(std::move(s), server_ctx_);
                               }};
};

TEST_F(WsSessionTlsTest, VerifiedTlsConnectionCarriesFrames) {
    auto ctx = make_client_tls_context(cert_.cert_file());
    std::string reason;
    const auto u = *parse_ws_url(url("localhost"), reason);
    run(ioc_, [&]() -> asio::awaitable<void> {
        ws_session s{ioc_.get_executor(), ctx, {}};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_FALSE(ec) << ec.message() << " at " << to_string(step);
        if (ec) {
            co_return;
        }
        s.send(R"({"op":"ping"})");
        std::string_view text;
        ec = co_await s.read(text);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(text, R"({"op":"ping"})");
        s.close(true);
    });
}

TEST_F(WsSessionTlsTest, UntrustedCertificateFailsAtTls) {
    auto ctx = make_client_tls_context(); // system store only: the self-signed cert is unknown
    std::string reason;
    const auto u = *parse_ws_url(url("localhost"), reason);
    run(ioc_, [&]() -> asio::awaitable<void> {
        ws_session s{ioc_.get_executor(), ctx, {}};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_TRUE(ec);
        EXPECT_EQ(step, connect_step::tls);
    });
}

TEST_F(WsSessionTlsTest, CertificateForAnotherHostFailsAtTls) {
    auto ctx = make_client_tls_context(cert_.cert_file());
    std::string reason;
    const auto u = *parse_ws_url(url("127.0.0.1"), reason); // the certificate names localhost
    run(ioc_, [&]() -> asio::awaitable<void> {
        ws_session s{ioc_.get_executor(), ctx, {}};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_TRUE(ec);
        EXPECT_EQ(step, connect_step::tls);
    });
}

TEST(WsSessionTest, AServerThatNeverAnswersTheHandshakeHitsTheDeadline) {
    asio::io_context ioc;
    test::local_server server{ioc.get_executor(), test::hold_open}; // accepts, never talks
    std::string reason;
    const auto u = *parse_ws_url("ws://127.0.0.1:" + std::to_string(server.port()) + "/", reason);
    session_options opts;
    opts.handshake_timeout = 300ms;
    run(ioc, [&]() -> asio::awaitable<void> {
        ws_session s{ioc.get_executor(), nullptr, opts};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_EQ(ec, beast::error::timeout) << ec.message();
        EXPECT_EQ(step, connect_step::handshake);
    });
}

TEST(WsSessionTest, RefusedConnectionFailsAtConnect) {
    asio::io_context ioc;
    std::string reason;
    const auto u =
        *parse_ws_url("ws://127.0.0.1:" + std::to_string(test::refused_port()) + "/", reason);
    run(ioc, [&]() -> asio::awaitable<void> {
        ws_session s{ioc.get_executor(), nullptr, {}};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_EQ(ec, asio::error::connection_refused) << ec.message();
        EXPECT_EQ(step, connect_step::connect);
    });
}

TEST(WsSessionTest, WssWithoutATlsContextIsRefused) {
    asio::io_context ioc;
    auto acceptor = test::loopback_acceptor(ioc.get_executor()); // listens, never accepts
    std::string reason;
    const auto u = *parse_ws_url(
        "wss://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/", reason);
    run(ioc, [&]() -> asio::awaitable<void> {
        ws_session s{ioc.get_executor(), nullptr, {}};
        connect_step step{};
        auto ec = co_await s.connect(u, step);
        EXPECT_TRUE(ec);
        EXPECT_EQ(step, connect_step::tls);
    });
}

} // namespace
} // namespace mdg::net
