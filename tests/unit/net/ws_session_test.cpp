#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "net/ws_session.hpp"

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
    for (const char* bad :
         {"http://x/", "ws://", "ws://host:port/", "ws://h:123456/", "ws://[::1"}) {
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

// A self-signed certificate for "localhost", made with the openssl tool in a temporary dir.
struct test_cert {
    std::filesystem::path dir;
    std::filesystem::path cert;
    std::filesystem::path key;
    test_cert() {
        dir = std::filesystem::temp_directory_path() / ("mdg-tls-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        cert = dir / "cert.pem";
        key = dir / "key.pem";
        const auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                         "-addext subjectAltName=DNS:localhost -keyout " +
                         key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a certificate";
    }
    ~test_cert() { std::filesystem::remove_all(dir); }
};

// A TLS WebSocket server that echoes every message, for one connection.
asio::awaitable<void> tls_echo_server(tcp::acceptor& acceptor, ssl::context& ctx) {
    auto [aec, socket] = co_await acceptor.async_accept(use_tuple);
    if (aec) {
        co_return;
    }
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
    void SetUp() override {
        server_ctx_.use_certificate_chain_file(cert_.cert.string());
        server_ctx_.use_private_key_file(cert_.key.string(), ssl::context::pem);
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, tls_echo_server(acceptor_, server_ctx_), asio::detached);
    }
    std::string url(const std::string& host) {
        return "wss://" + host + ":" + std::to_string(acceptor_.local_endpoint().port()) + "/echo";
    }

    test_cert cert_;
    asio::io_context ioc_;
    ssl::context server_ctx_{ssl::context::tls_server};
    tcp::acceptor acceptor_{ioc_};
};

TEST_F(WsSessionTlsTest, VerifiedTlsConnectionCarriesFrames) {
    auto ctx = make_client_tls_context(cert_.cert.string());
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
    auto ctx = make_client_tls_context(cert_.cert.string());
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
    tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
    tcp::socket accepted{ioc};
    acceptor.async_accept(accepted, [](boost::system::error_code) {}); // accepts, never talks
    std::string reason;
    const auto u = *parse_ws_url(
        "ws://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/", reason);
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
    std::uint16_t port = 0;
    {
        tcp::acceptor probe{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
        port = probe.local_endpoint().port(); // closed again: nothing listens there
    }
    std::string reason;
    const auto u = *parse_ws_url("ws://127.0.0.1:" + std::to_string(port) + "/", reason);
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
    tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
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
