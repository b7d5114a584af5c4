#pragma once

// A plain WebSocket + HTTP client for loopback tests, written with Beast. It keeps one read
// outstanding at all times and queues what arrives, so a test waits for messages with a
// deadline instead of sleeping. Runs its own io_context on the test thread; the server under
// test runs on another thread.

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace mdg::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class ws_test_client {
  public:
    ws_test_client() = default;

    /// Connects and completes the WebSocket handshake on `path`. False on any failure
    /// (`error()` says which).
    bool connect(std::uint16_t port, const std::string& path,
                 std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
        bool done = false;
        beast::get_lowest_layer(ws_).expires_after(timeout);
        beast::get_lowest_layer(ws_).async_connect(
            tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}, [&](beast::error_code ec) {
                if (ec) {
                    error_ = ec;
                    done = true;
                    return;
                }
                ws_.async_handshake("127.0.0.1", path, [&](beast::error_code hec) {
                    error_ = hec;
                    done = true;
                });
            });
        run_until([&] { return done; }, timeout + std::chrono::seconds{1});
        if (!done || error_) {
            return false;
        }
        beast::get_lowest_layer(ws_).expires_never();
        ws_.read_message_max(64U << 20);
        start_read();
        return true;
    }

    void send(const std::string& text) {
        bool done = false;
        outgoing_ = text;
        ws_.text(true);
        ws_.async_write(asio::buffer(outgoing_), [&](beast::error_code ec, std::size_t) {
            if (ec) {
                error_ = ec;
            }
            done = true;
        });
        run_until([&] { return done; }, std::chrono::seconds{5});
    }

    /// The next text message, or nullopt when none arrives in time or the connection ended.
    std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
        run_until([&] { return !inbox_.empty() || closed_; }, timeout);
        if (inbox_.empty()) {
            return std::nullopt;
        }
        auto m = std::move(inbox_.front());
        inbox_.pop_front();
        return m;
    }

    /// Processes what has arrived for `d` without waiting for anything in particular.
    void pump(std::chrono::milliseconds d) {
        run_until([] { return false; }, d);
    }

    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] beast::error_code error() const { return error_; }
    [[nodiscard]] std::deque<std::string>& inbox() { return inbox_; }

    /// Runs the client's io_context until `pred()` holds or `timeout` passes.
    template <class Pred> bool run_until(Pred pred, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!pred()) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                return false;
            }
            ioc_.restart();
            ioc_.run_one_for(std::min<std::chrono::steady_clock::duration>(
                deadline - now, std::chrono::milliseconds{20}));
        }
        return true;
    }

  private:
    void start_read() {
        ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
            if (ec) {
                error_ = ec;
                closed_ = true;
                return;
            }
            inbox_.push_back(beast::buffers_to_string(buffer_.data()));
            buffer_.consume(buffer_.size());
            start_read();
        });
    }

    asio::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    beast::flat_buffer buffer_;
    std::deque<std::string> inbox_;
    std::string outgoing_;
    beast::error_code error_;
    bool closed_ = false;
};

/// One HTTP request on a fresh connection (blocking; the server runs on another thread).
/// Returns status and body; status 0 when the connection failed or closed without answer.
inline std::pair<unsigned, std::string> http_request(std::uint16_t port, http::verb verb,
                                                     const std::string& target,
                                                     const std::string& body = {}) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) {
        return {0, ec.message()};
    }
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) {
        return {0, ec.message()};
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec) {
        return {0, ec.message()};
    }
    return {res.result_int(), res.body()};
}

} // namespace mdg::test
