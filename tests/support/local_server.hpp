#pragma once

// Loopback servers for socket tests: a listener on 127.0.0.1 and an ephemeral port that runs a
// coroutine per accepted connection, a port nothing listens on, and a self-signed certificate
// for "localhost" with a TLS server context. The protocol (HTTP, WebSocket, TLS or not) is the
// test's handler; this is only the part every such test needs.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <gtest/gtest.h>

namespace mdg::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

/// An acceptor listening on 127.0.0.1 and a port the system picks.
inline tcp::acceptor loopback_acceptor(const asio::any_io_executor& ex) {
    tcp::acceptor a(ex);
    a.open(tcp::v4());
    a.set_option(tcp::acceptor::reuse_address(true));
    a.bind({asio::ip::make_address("127.0.0.1"), 0});
    a.listen();
    return a;
}

/// A loopback port on which nothing listens: bound, then closed again.
inline std::uint16_t refused_port() {
    asio::io_context ioc;
    tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

/// Suspends the calling coroutine until its io_context stops or is destroyed.
inline asio::awaitable<void> wait_forever() {
    asio::steady_timer forever(co_await asio::this_coro::executor,
                               asio::steady_timer::time_point::max());
    co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
}

/// A local_server handler for a server that accepts and then never answers: it holds the
/// connection open until its io_context stops or is destroyed.
inline asio::awaitable<void> hold_open([[maybe_unused]] tcp::socket socket) {
    co_await wait_forever();
}

/// Accepts every connection on a loopback_acceptor and runs `on_connection(socket)` as its own
/// coroutine on `ex`. Starts listening in the constructor (port() is valid at once) and
/// accepting as soon as `ex`'s io_context runs. Whoever runs that io_context (the test thread
/// or a server thread) is the only thread that touches the server's sockets, so destroy the
/// server while the io_context is not running (or stopped and joined). Destroying it closes the
/// listener; the accept loop owns the acceptor, so the server may go before its io_context.
class local_server {
  public:
    using handler = std::function<asio::awaitable<void>(tcp::socket)>;

    local_server(const asio::any_io_executor& ex, handler on_connection)
        : acceptor_(std::make_shared<tcp::acceptor>(loopback_acceptor(ex))),
          port_(acceptor_->local_endpoint().port()) {
        asio::co_spawn(ex, accept_loop(acceptor_, std::move(on_connection)), asio::detached);
    }
    ~local_server() {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
    }
    local_server(const local_server&) = delete;
    local_server& operator=(const local_server&) = delete;
    local_server(local_server&&) = delete;
    local_server& operator=(local_server&&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  private:
    static asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                             handler on_connection) {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) {
                co_return;
            }
            asio::co_spawn(acceptor->get_executor(), on_connection(std::move(socket)),
                           asio::detached);
        }
    }

    std::shared_ptr<tcp::acceptor> acceptor_;
    std::uint16_t port_;
};

/// A self-signed certificate for "localhost" (also its subjectAltName), made with the openssl
/// tool in a temporary directory that is removed again. `tag` keeps the directories of test
/// binaries that run at the same time apart.
class self_signed_cert {
  public:
    explicit self_signed_cert(const std::string& tag) {
        dir_ = std::filesystem::temp_directory_path() /
               ("mdg-" + tag + "-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        cert_ = dir_ / "cert.pem";
        key_ = dir_ / "key.pem";
        const auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                         "-addext subjectAltName=DNS:localhost -keyout " +
                         key_.string() + " -out " + cert_.string() + " >/dev/null 2>&1";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a certificate";
    }
    ~self_signed_cert() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    self_signed_cert(const self_signed_cert&) = delete;
    self_signed_cert& operator=(const self_signed_cert&) = delete;
    self_signed_cert(self_signed_cert&&) = delete;
    self_signed_cert& operator=(self_signed_cert&&) = delete;

    /// The certificate (PEM): also what a client trusts to verify the server.
    [[nodiscard]] std::string cert_file() const { return cert_.string(); }

    /// Loads the certificate and its key into a TLS server context.
    void use_in(ssl::context& server) const {
        server.use_certificate_chain_file(cert_.string());
        server.use_private_key_file(key_.string(), ssl::context::pem);
    }

  private:
    std::filesystem::path dir_;
    std::filesystem::path cert_;
    std::filesystem::path key_;
};

} // namespace mdg::test
