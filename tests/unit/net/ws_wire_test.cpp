#include <array>
#include <cctype>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <openssl/evp.h>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/error.hpp>
#include <gtest/gtest.h>

#include "net/ws_session.hpp"
#include "support/local_server.hpp"
#include "support/ws_frames.hpp"

// ws_session against a raw server written here by hand: the server reads the upgrade request,
// answers it with bytes of its own (and the Sec-WebSocket-Accept computed with OpenSSL, not with
// our code), writes hand-made frames and decodes what the client sends back. Nothing here uses
// a WebSocket library on the server side, so the client is checked against RFC 6455 itself.

namespace mdg::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using namespace test::ws_frames; // frame(), header(), close_body(), op_*

/// base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2, with OpenSSL.
std::string expected_accept(std::string_view key) {
    const std::string in = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    EXPECT_EQ(EVP_Digest(in.data(), in.size(), md.data(), &md_len, EVP_sha1(), nullptr), 1);
    std::array<unsigned char, 64> out{};
    const int n = EVP_EncodeBlock(out.data(), md.data(), static_cast<int>(md_len));
    return {reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n)};
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string out;
    for (const char c : s) {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

/// The value of header `name` in an HTTP request ("" when it has none).
std::string header_value(std::string_view request, std::string_view name) {
    std::size_t pos = request.find("\r\n");
    while (pos != std::string_view::npos) {
        const std::size_t start = pos + 2;
        const std::size_t end = request.find("\r\n", start);
        if (end == std::string_view::npos) {
            break;
        }
        const auto line = request.substr(start, end - start);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
                value.remove_prefix(1);
            }
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
                value.remove_suffix(1);
            }
            return std::string(value);
        }
        pos = end;
    }
    return {};
}

/// A frame the client sent, unmasked.
struct client_frame {
    bool fin = false;
    std::uint8_t rsv = 0;
    std::uint8_t op = 0;
    bool masked = false;
    std::string payload;

    /// A close frame's status code (0 when it has none).
    [[nodiscard]] std::uint16_t close_code() const {
        if (payload.size() < 2) {
            return 0;
        }
        return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8U) |
                                          static_cast<std::uint8_t>(payload[1]));
    }
};

/// Decodes one client frame at the front of `in`: the bytes it took, 0 while incomplete.
std::size_t parse_client_frame(std::string_view in, client_frame& f) {
    if (in.size() < 2) {
        return 0;
    }
    const auto b0 = static_cast<std::uint8_t>(in[0]);
    const auto b1 = static_cast<std::uint8_t>(in[1]);
    f.fin = (b0 & 0x80U) != 0;
    f.rsv = static_cast<std::uint8_t>((b0 >> 4U) & 0x7U);
    f.op = static_cast<std::uint8_t>(b0 & 0xFU);
    f.masked = (b1 & 0x80U) != 0;
    std::uint64_t length = b1 & 0x7FU;
    std::size_t pos = 2;
    if (length == 126) {
        if (in.size() < 4) {
            return 0;
        }
        length = (std::uint64_t{static_cast<std::uint8_t>(in[2])} << 8U) |
                 static_cast<std::uint8_t>(in[3]);
        pos = 4;
    } else if (length == 127) {
        if (in.size() < 10) {
            return 0;
        }
        length = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            length = (length << 8U) | static_cast<std::uint8_t>(in[2 + i]);
        }
        pos = 10;
    }
    std::array<std::uint8_t, 4> key{};
    if (f.masked) {
        if (in.size() < pos + 4) {
            return 0;
        }
        for (std::size_t i = 0; i < 4; ++i) {
            key[i] = static_cast<std::uint8_t>(in[pos + i]);
        }
        pos += 4;
    }
    if (in.size() - pos < length) {
        return 0;
    }
    f.payload.clear();
    for (std::size_t i = 0; i < length; ++i) {
        f.payload.push_back(static_cast<char>(static_cast<std::uint8_t>(in[pos + i]) ^ key[i % 4]));
    }
    return pos + static_cast<std::size_t>(length);
}

/// What the raw server does on each connection.
struct server_script {
    /// The answer to the upgrade request, "{accept}" replaced by the right Sec-WebSocket-Accept;
    /// empty: a correct 101.
    std::string response;
    std::string after_101;  ///< bytes written in the same write as the response
    std::string dribble;    ///< then written one byte per write
    bool echo_close = true; ///< answer the client's close frame with one (off: the server sent one)
    bool dribble_all = false; ///< write everything (response too) one byte per write
};

server_script sends(std::string after_101, bool echo_close = true) {
    server_script s;
    s.after_101 = std::move(after_101);
    s.echo_close = echo_close;
    return s;
}

server_script dribbles(std::string bytes) {
    server_script s;
    s.dribble = std::move(bytes);
    return s;
}

server_script answers(std::string response, std::string after_101 = {}) {
    server_script s;
    s.response = std::move(response);
    s.after_101 = std::move(after_101);
    return s;
}

/// What the raw server saw. Touched only on the test's single thread.
struct server_log {
    explicit server_log(const asio::any_io_executor& ex)
        : changed(ex, asio::steady_timer::time_point::max()) {}

    std::vector<std::string> requests;
    std::vector<client_frame> frames;
    boost::system::error_code read_error; ///< how the server's reading ended (eof, reset...)
    bool finished = false;                ///< the server has closed its end
    asio::steady_timer changed;           ///< cancelled whenever something above changes

    void notify() { changed.cancel(); }

    /// Suspends until `pred()` holds (the test's time limit ends it otherwise).
    template <class Pred> asio::awaitable<void> wait_until(Pred pred) {
        while (!pred()) {
            co_await changed.async_wait(use_tuple);
        }
    }

    [[nodiscard]] const client_frame* find(std::uint8_t op) const {
        for (const auto& f : frames) {
            if (f.op == op) {
                return &f;
            }
        }
        return nullptr;
    }
};

asio::awaitable<void> raw_server(tcp::socket socket, const server_script* script, server_log* log) {
    socket.set_option(tcp::no_delay(true));
    std::string buf;
    std::array<char, 4096> chunk{};
    auto finish = [&] {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        log->finished = true;
        log->notify();
    };
    while (buf.find("\r\n\r\n") == std::string::npos) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
        if (ec) {
            log->read_error = ec;
            finish();
            co_return;
        }
        buf.append(chunk.data(), n);
    }
    const auto end = buf.find("\r\n\r\n") + 4;
    log->requests.push_back(buf.substr(0, end));
    buf.erase(0, end);
    log->notify();

    const auto accept = expected_accept(header_value(log->requests.back(), "Sec-WebSocket-Key"));
    std::string out = script->response;
    if (out.empty()) {
        out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: {accept}\r\n\r\n";
    }
    if (const auto at = out.find("{accept}"); at != std::string::npos) {
        out.replace(at, 8, accept);
    }
    out += script->after_101;
    if (script->dribble_all) {
        out += script->dribble;
    }
    boost::system::error_code wec;
    std::size_t wn = 0;
    if (!script->dribble_all) {
        std::tie(wec, wn) = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
    }
    for (const char c : script->dribble_all ? out : script->dribble) {
        if (wec) {
            break;
        }
        std::tie(wec, wn) = co_await asio::async_write(socket, asio::buffer(&c, 1), use_tuple);
    }

    // Read the client's frames until it closes its end, or until a close frame has gone both
    // ways (then the server closes the TCP connection first, RFC 6455 section 7.1.1).
    for (;;) {
        client_frame f;
        if (const auto used = parse_client_frame(buf, f); used > 0) {
            buf.erase(0, used);
            const bool is_close = f.op == op_close;
            log->frames.push_back(std::move(f));
            log->notify();
            if (is_close) {
                if (script->echo_close) {
                    const auto echo = frame(true, op_close, log->frames.back().payload);
                    co_await asio::async_write(socket, asio::buffer(echo), use_tuple);
                }
                break;
            }
            continue;
        }
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
        if (ec) {
            log->read_error = ec;
            break;
        }
        buf.append(chunk.data(), n);
    }
    finish();
}

constexpr auto time_limit = 5s;

class WsWireTest : public ::testing::Test {
  protected:
    /// Starts the raw server with `script` (for every connection).
    void serve(server_script script) {
        script_ = std::move(script);
        server_.emplace(ioc_.get_executor(), [this](tcp::socket s) {
            return raw_server(std::move(s), &script_, &log_);
        });
    }

    /// Runs `f` (a coroutine) on the test's io_context until it finishes, or fails the test
    /// after `time_limit`.
    template <class F> void run(F&& f) {
        bool done = false;
        std::exception_ptr failure;
        asio::co_spawn(ioc_, std::forward<F>(f), [&](std::exception_ptr e) {
            done = true;
            failure = std::move(e);
            ioc_.stop();
        });
        asio::steady_timer limit(ioc_, time_limit);
        limit.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                ioc_.stop();
            }
        });
        ioc_.run();
        if (failure) {
            std::rethrow_exception(failure);
        }
        EXPECT_TRUE(done) << "the test did not finish within " << time_limit.count() << " s";
    }

    [[nodiscard]] ws_url url(std::string_view target = "/ws") const {
        std::string reason;
        auto u = parse_ws_url(
            "ws://127.0.0.1:" + std::to_string(server_->port()) + std::string(target), reason);
        EXPECT_TRUE(u) << reason;
        return *u;
    }

    /// Connects `s` to the raw server; EXPECTs success.
    asio::awaitable<bool> open(ws_session& s) {
        connect_step step{};
        const auto ec = co_await s.connect(url(), step);
        EXPECT_FALSE(ec) << ec.message() << " at " << to_string(step);
        if (!ec) {
            EXPECT_EQ(step, connect_step::none);
        }
        co_return !ec;
    }

    /// Reads one text message into a string.
    static asio::awaitable<std::pair<boost::system::error_code, std::string>>
    read_text(ws_session& s) {
        std::string_view text;
        const auto ec = co_await s.read(text);
        co_return std::pair{ec, std::string(text)};
    }

    /// Reads one text message for each of `want` and compares them in order; stops at the
    /// first read that fails (a test failure).
    static asio::awaitable<void> expect_texts(ws_session& s, std::vector<std::string> want) {
        for (std::size_t i = 0; i < want.size(); ++i) {
            auto [ec, text] = co_await read_text(s);
            if (ec) {
                ADD_FAILURE() << "message " << i << ": " << ec.message();
                co_return;
            }
            // Sizes and a prefix, not the whole text: some messages are 200 kB.
            EXPECT_TRUE(text == want[i])
                << "message " << i << " is '" << text.substr(0, 40) << "' (" << text.size()
                << " bytes), not '" << want[i].substr(0, 40) << "' (" << want[i].size()
                << " bytes)";
        }
    }

    /// The same for texts given one by one. Not a coroutine: GCC 12 cannot build a braced list
    /// of strings inside one ("array used as initializer").
    template <std::convertible_to<std::string_view>... Texts>
    static asio::awaitable<void> expect_texts(ws_session& s, const Texts&... want) {
        return expect_texts(s, std::vector<std::string>{std::string(std::string_view(want))...});
    }

    /// Runs `body` (a coroutine taking the ws_session&) on a session opened to the raw server;
    /// the test stops there if it does not open.
    template <class Body> void with_open_session(Body body, session_options opts = {}) {
        run([&]() -> asio::awaitable<void> {
            auto s = session(std::move(opts));
            if (!co_await open(s)) {
                co_return;
            }
            co_await body(s);
        });
    }

    /// Opens a session, expects `want` as its first text messages, then closes it.
    void expect_texts_then_close(std::vector<std::string> want) {
        with_open_session([&](ws_session& s) -> asio::awaitable<void> {
            co_await expect_texts(s, want);
            s.close(false);
        });
    }

    /// How a read() started by start_read() ended.
    struct pending_read {
        bool done = false;
        boost::system::error_code ec;
    };

    /// Starts a read() on `s` as a coroutine of its own (as exchange::feed's read loop does)
    /// and lets it run until it waits for the server.
    asio::awaitable<void> start_read(ws_session& s, pending_read& r) {
        asio::co_spawn(
            ioc_,
            [&]() -> asio::awaitable<void> {
                std::string_view text;
                r.ec = co_await s.read(text);
                r.done = true;
                log_.notify();
            },
            asio::detached);
        asio::steady_timer yield_once(ioc_, 0s);
        co_await yield_once.async_wait(use_tuple);
    }

    ws_session session(session_options opts = {}) {
        return ws_session{ioc_.get_executor(), nullptr, std::move(opts)};
    }

    asio::io_context ioc_;
    server_script script_;
    server_log log_{ioc_.get_executor()};
    std::optional<test::local_server> server_;
};

TEST_F(WsWireTest, UpgradeRequestCarriesTheRfcHeaders) {
    serve(sends({}));
    run([&]() -> asio::awaitable<void> {
        session_options opts;
        opts.user_agent = "mdgate-test/1";
        for (int i = 0; i < 2; ++i) {
            auto s = session(opts);
            connect_step step{};
            const auto ec = co_await s.connect(url("/ws/path?x=1&y=2"), step);
            EXPECT_FALSE(ec) << ec.message() << " at " << to_string(step);
            s.close(false);
        }
    });
    ASSERT_EQ(log_.requests.size(), 2U);
    const auto& req = log_.requests[0];
    EXPECT_TRUE(req.starts_with("GET /ws/path?x=1&y=2 HTTP/1.1\r\n")) << req;
    EXPECT_EQ(header_value(req, "Host"), "127.0.0.1:" + std::to_string(server_->port()));
    EXPECT_TRUE(iequals(header_value(req, "Upgrade"), "websocket")) << req;
    EXPECT_NE(lower(header_value(req, "Connection")).find("upgrade"), std::string::npos) << req;
    EXPECT_EQ(header_value(req, "Sec-WebSocket-Version"), "13");
    EXPECT_EQ(header_value(req, "User-Agent"), "mdgate-test/1");
    const auto key = header_value(req, "Sec-WebSocket-Key");
    // 16 bytes in base64: 22 characters and "==".
    ASSERT_EQ(key.size(), 24U) << key;
    EXPECT_TRUE(key.ends_with("=="));
    EXPECT_EQ(
        key.substr(0, 22).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789+/"),
        std::string::npos);
    EXPECT_NE(header_value(log_.requests[1], "Sec-WebSocket-Key"), key) << "the key is not random";
}

TEST_F(WsWireTest, FramesInTheSameWriteAsThe101AreDelivered) {
    serve(sends(frame(true, op_text, "first") + frame(true, op_text, "second")));
    expect_texts_then_close({"first", "second"});
}

/// 200 text frames of varied sizes (7- and 16-bit lengths), "m<i>:" then filler.
std::vector<std::string> two_hundred_messages() {
    std::vector<std::string> out;
    for (int i = 0; i < 200; ++i) {
        std::string m = "m" + std::to_string(i) + ":";
        const auto filler = static_cast<std::size_t>(i % 13 == 0 ? 120 + i : (i * 7) % 40);
        m.append(filler, static_cast<char>('a' + i % 26));
        out.push_back(std::move(m));
    }
    return out;
}

std::string as_frames(const std::vector<std::string>& messages) {
    std::string out;
    for (const auto& m : messages) {
        out += frame(true, op_text, m);
    }
    return out;
}

TEST_F(WsWireTest, TwoHundredFramesInOneWriteAreReadInOrder) {
    const auto messages = two_hundred_messages();
    serve(sends(as_frames(messages)));
    expect_texts_then_close(messages);
}

TEST_F(WsWireTest, TwoHundredFramesOneBytePerWriteAreReadInOrder) {
    const auto messages = two_hundred_messages();
    serve(dribbles(as_frames(messages)));
    expect_texts_then_close(messages);
}

TEST_F(WsWireTest, HandshakeAndFramesOneBytePerWrite) {
    auto script = sends(frame(true, op_ping, "p") + frame(false, op_text, "a") +
                        frame(true, op_cont, std::string(300, 'b')) + frame(true, op_text, "c"));
    script.dribble_all = true;
    serve(std::move(script));
    expect_texts_then_close({"a" + std::string(300, 'b'), "c"});
}

TEST_F(WsWireTest, FramesLargerThanOneReadAreReadWhole) {
    // Several times 64 kB in one write: frames straddle reads, one is longer than a read.
    std::vector<std::string> messages;
    for (int i = 0; i < 60; ++i) {
        messages.emplace_back(static_cast<std::size_t>(i * 97 % 5000),
                              static_cast<char>('A' + i % 26));
    }
    messages.emplace_back(200'000, 'Z');
    messages.emplace_back("after the big one");
    serve(sends(as_frames(messages)));
    expect_texts_then_close(messages);
}

TEST_F(WsWireTest, FragmentedTextWithAPingInsideIsOneMessageAndThePingIsAnswered) {
    serve(sends(frame(false, op_text, "Hel") + frame(true, op_ping, "p1") +
                frame(false, op_cont, "l") + frame(true, op_cont, "o") +
                frame(true, op_text, "next")));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        co_await expect_texts(s, "Hello", "next");
        co_await log_.wait_until([&] { return log_.find(op_pong) != nullptr || log_.finished; });
        s.close(false);
    });
    const auto* pong = log_.find(op_pong);
    ASSERT_NE(pong, nullptr) << "no pong";
    EXPECT_TRUE(pong->masked);
    EXPECT_TRUE(pong->fin);
    EXPECT_EQ(pong->rsv, 0);
    EXPECT_EQ(pong->payload, "p1");
}

TEST_F(WsWireTest, PingIsAnsweredBeforeAnyText) {
    serve(sends(frame(true, op_ping, "") + frame(true, op_ping, "hb") + frame(true, op_text, "x")));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        co_await expect_texts(s, "x");
        co_await log_.wait_until([&] { return log_.frames.size() >= 2 || log_.finished; });
        s.close(false);
    });
    ASSERT_EQ(log_.frames.size(), 2U);
    EXPECT_EQ(log_.frames[0].op, op_pong);
    EXPECT_EQ(log_.frames[0].payload, "");
    EXPECT_EQ(log_.frames[1].op, op_pong);
    EXPECT_EQ(log_.frames[1].payload, "hb");
}

TEST_F(WsWireTest, BinaryFramesAreSkippedAndCounted) {
    const auto before = binary_frames_dropped();
    serve(sends(frame(true, op_binary, std::string("\x00\x01", 2)) + frame(false, op_binary, "ab") +
                frame(true, op_cont, "cd") + frame(true, op_text, "text") +
                frame(true, op_binary, "zz") + frame(true, op_text, "more")));
    expect_texts_then_close({"text", "more"});
    EXPECT_EQ(binary_frames_dropped() - before, 3U); // messages: the fragmented one counts once
}

TEST_F(WsWireTest, ServerCloseEndsReadAsAnExpectedCloseAndIsAnswered) {
    serve(sends(frame(true, op_text, "last") + frame(true, op_close, close_body(1000, "bye")),
                /*echo_close=*/false));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        co_await expect_texts(s, "last");
        auto [ec, text] = co_await read_text(s);
        EXPECT_TRUE(ec);
        EXPECT_TRUE(is_expected_close(ec)) << ec.message();
        co_await log_.wait_until([&] { return log_.finished; });
    });
    const auto* close = log_.find(op_close);
    ASSERT_NE(close, nullptr) << "the client did not answer the close";
    EXPECT_TRUE(close->masked);
    EXPECT_TRUE(close->fin);
    EXPECT_EQ(close->close_code(), 1000);
}

class WsWireErrorTest : public WsWireTest {
  protected:
    /// The server sends `bad` after "ok"; read() gets "ok", then an error that is not an
    /// expected close, and the server sees a close frame with `code` before the connection ends.
    void expect_failure(std::string bad, std::uint16_t code, session_options opts = {}) {
        serve(sends(frame(true, op_text, "ok") + bad));
        with_open_session(
            [&](ws_session& s) -> asio::awaitable<void> {
                co_await expect_texts(s, "ok");
                auto [ec, text] = co_await read_text(s);
                EXPECT_TRUE(ec) << "read returned '" << text.substr(0, 40) << "'";
                EXPECT_FALSE(is_expected_close(ec)) << ec.message();
                co_await log_.wait_until([&] { return log_.finished; });
            },
            std::move(opts));
        const auto* close = log_.find(op_close);
        ASSERT_NE(close, nullptr) << "no close frame before the connection ended ("
                                  << log_.read_error.message() << ")";
        EXPECT_TRUE(close->masked);
        EXPECT_EQ(close->close_code(), code);
    }
};

TEST_F(WsWireErrorTest, ReservedBitIsAProtocolError) {
    expect_failure(frame(true, op_text, "rsv1", 4), 1002);
}

TEST_F(WsWireErrorTest, MaskedServerFrameIsAProtocolError) {
    expect_failure(frame(true, op_text, "masked", 0, true), 1002);
}

TEST_F(WsWireErrorTest, UnknownOpcodeIsAProtocolError) {
    expect_failure(frame(true, 0x3, "what"), 1002);
}

TEST_F(WsWireErrorTest, FrameOverTheLimitIsRefusedWith1009) {
    session_options opts;
    opts.max_frame_bytes = 1024;
    expect_failure(frame(true, op_text, std::string(2000, 'x')), 1009, opts);
}

TEST_F(WsWireErrorTest, FragmentedMessageOverTheLimitIsRefusedWith1009) {
    session_options opts;
    opts.max_frame_bytes = 1024;
    expect_failure(frame(false, op_text, std::string(700, 'x')) +
                       frame(true, op_cont, std::string(700, 'y')),
                   1009, opts);
}

// What exchange::feed does: read() fails, the read loop returns and the session is destroyed
// at once (session.reset()). The close frame that read() decided on must still go out.
TEST_F(WsWireTest, ProtocolErrorCloseFrameIsSentEvenIfTheSessionIsDroppedAtOnce) {
    serve(sends(frame(true, op_text, "ok") + frame(true, op_text, "rsv1", 4)));
    run([&]() -> asio::awaitable<void> {
        std::optional<ws_session> s{session()};
        if (!co_await open(*s)) {
            co_return;
        }
        auto [ec, text] = co_await read_text(*s);
        EXPECT_FALSE(ec) << ec.message();
        auto [ec2, text2] = co_await read_text(*s);
        EXPECT_TRUE(ec2);
        s.reset();
        co_await log_.wait_until([&] { return log_.finished; });
    });
    const auto* close = log_.find(op_close);
    ASSERT_NE(close, nullptr) << "no close frame before the connection ended ("
                              << log_.read_error.message() << ")";
    EXPECT_EQ(close->close_code(), 1002);
}

TEST_F(WsWireTest, ServerCloseIsAnsweredEvenIfTheSessionIsDroppedAtOnce) {
    serve(sends(frame(true, op_close, close_body(1001, "going away")), /*echo_close=*/false));
    run([&]() -> asio::awaitable<void> {
        std::optional<ws_session> s{session()};
        if (!co_await open(*s)) {
            co_return;
        }
        auto [ec, text] = co_await read_text(*s);
        EXPECT_TRUE(is_expected_close(ec)) << ec.message();
        s.reset();
        co_await log_.wait_until([&] { return log_.finished; });
    });
    const auto* close = log_.find(op_close);
    ASSERT_NE(close, nullptr) << "the close was not answered (" << log_.read_error.message() << ")";
    EXPECT_TRUE(close->masked);
}

TEST_F(WsWireTest, SendIsAMaskedFinalTextFrameAndSendsKeepTheirOrder) {
    serve(sends({}));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        s.send("hello");
        s.send("world");
        co_await log_.wait_until([&] { return log_.frames.size() >= 2 || log_.finished; });
        EXPECT_EQ(s.queued_bytes(), 0U);
        s.close(false);
    });
    ASSERT_EQ(log_.frames.size(), 2U);
    const std::vector<std::string> want{"hello", "world"};
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& f = log_.frames[i];
        EXPECT_EQ(f.op, op_text) << i;
        EXPECT_TRUE(f.fin) << i;
        EXPECT_EQ(f.rsv, 0) << i;
        EXPECT_TRUE(f.masked) << i;
        EXPECT_EQ(f.payload, want[i]) << i;
    }
}

TEST_F(WsWireTest, LongAndEmptySendsArriveWhole) {
    const std::string big(70'000, 'b'); // a 64-bit length, if sent as one frame
    serve(sends({}));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        s.send(big);
        s.send("");
        s.send("end");
        co_await log_.wait_until([&] {
            return (!log_.frames.empty() && log_.frames.back().payload == "end") || log_.finished;
        });
        s.close(false);
    });
    // The RFC lets a client fragment a message (Beast did, at 4 kB): put them together.
    std::vector<std::string> messages;
    bool open_message = false;
    for (const auto& f : log_.frames) {
        EXPECT_TRUE(f.masked);
        EXPECT_EQ(f.rsv, 0);
        if (f.op == op_text) {
            EXPECT_FALSE(open_message) << "a new message inside a fragmented one";
            messages.push_back(f.payload);
        } else if (f.op == op_cont) {
            EXPECT_TRUE(open_message) << "a continuation without a message";
            if (!messages.empty()) {
                messages.back() += f.payload;
            }
        } else {
            ADD_FAILURE() << "unexpected opcode " << static_cast<int>(f.op);
        }
        open_message = !f.fin;
    }
    ASSERT_EQ(messages.size(), 3U);
    EXPECT_TRUE(messages[0] == big) << messages[0].size() << " bytes";
    EXPECT_EQ(messages[1], "");
    EXPECT_EQ(messages[2], "end");
}

TEST_F(WsWireTest, GracefulCloseSendsACloseFrameWith1000) {
    serve(sends({}));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        s.close(true);
        co_await log_.wait_until([&] { return log_.finished; });
    });
    ASSERT_EQ(log_.frames.size(), 1U);
    const auto& close = log_.frames[0];
    EXPECT_EQ(close.op, op_close);
    EXPECT_TRUE(close.masked);
    EXPECT_TRUE(close.fin);
    EXPECT_EQ(close.close_code(), 1000);
}

// What exchange::feed::stop() does: close(true) while the read loop waits in read().
TEST_F(WsWireTest, GracefulCloseEndsAPendingReadAsAnExpectedClose) {
    serve(sends({}));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        pending_read pending;
        co_await start_read(s, pending);
        s.close(true);
        co_await log_.wait_until([&] { return pending.done && log_.finished; });
        EXPECT_TRUE(pending.ec);
        EXPECT_TRUE(is_expected_close(pending.ec)) << pending.ec.message();
    });
    const auto* close = log_.find(op_close);
    ASSERT_NE(close, nullptr);
    EXPECT_EQ(close->close_code(), 1000);
}

TEST_F(WsWireTest, CloseCompletesAPendingRead) {
    serve(sends({}));
    with_open_session([&](ws_session& s) -> asio::awaitable<void> {
        // Let the read start (the server has nothing to send), then close under it.
        pending_read pending;
        co_await start_read(s, pending);
        EXPECT_FALSE(pending.done);
        s.close(false);
        co_await log_.wait_until([&] { return pending.done; });
        EXPECT_TRUE(pending.ec);
    });
}

/// The server answers the upgrade with `response`; connect() must fail at the handshake step,
/// from what the answer says (not by running into the deadline).
class WsWireHandshakeTest : public WsWireTest {
  protected:
    void expect_refused(std::string response) {
        serve(answers(std::move(response)));
        run([&]() -> asio::awaitable<void> {
            session_options opts;
            opts.handshake_timeout = 3s;
            auto s = session(opts);
            connect_step step{};
            const auto ec = co_await s.connect(url(), step);
            EXPECT_TRUE(ec);
            EXPECT_EQ(step, connect_step::handshake) << to_string(step);
            EXPECT_NE(ec, boost::beast::error::timeout) << "decided by the deadline";
            EXPECT_NE(ec, asio::error::timed_out) << "decided by the deadline";
        });
    }
};

TEST_F(WsWireHandshakeTest, OkInsteadOf101IsRefused) {
    expect_refused("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST_F(WsWireHandshakeTest, NotFoundIsRefused) {
    expect_refused("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
}

TEST_F(WsWireHandshakeTest, SwitchingWithoutUpgradeHeaderIsRefused) {
    expect_refused("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST_F(WsWireHandshakeTest, SwitchingWithAWrongAcceptIsRefused) {
    // The RFC's example accept, which belongs to another key.
    expect_refused(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST_F(WsWireHandshakeTest, SwitchingWithoutAcceptIsRefused) {
    expect_refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\n\r\n");
}

TEST_F(WsWireHandshakeTest, SwitchingWithAnExtensionNotOfferedIsRefused) {
    // RFC 6455 section 4.1: the client offered none, so permessage-deflate (RSV1) is not on.
    expect_refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
}

TEST_F(WsWireTest, Ipv6HostHeaderIsBracketed) {
    // RFC 7230 section 5.4 and RFC 3986 section 3.2.2: Host: [::1]:port, not ::1:port.
    tcp::acceptor acceptor(ioc_);
    boost::system::error_code ec;
    acceptor.open(tcp::v6(), ec);
    if (!ec) {
        acceptor.bind({asio::ip::make_address("::1"), 0}, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
    }
    const auto port = std::to_string(acceptor.local_endpoint().port());
    script_ = sends(frame(true, op_text, "v6"));
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
            auto [aec, socket] = co_await acceptor.async_accept(use_tuple);
            if (!aec) {
                co_await raw_server(std::move(socket), &script_, &log_);
            }
        },
        asio::detached);
    run([&]() -> asio::awaitable<void> {
        std::string reason;
        const auto u = parse_ws_url("ws://[::1]:" + port + "/", reason);
        EXPECT_TRUE(u) << reason;
        if (!u) {
            co_return;
        }
        auto s = session();
        connect_step step{};
        const auto cec = co_await s.connect(*u, step);
        EXPECT_FALSE(cec) << cec.message() << " at " << to_string(step);
        if (cec) {
            co_return;
        }
        auto [rec, text] = co_await read_text(s);
        EXPECT_FALSE(rec) << rec.message();
        EXPECT_EQ(text, "v6");
        s.close(false);
    });
    ASSERT_EQ(log_.requests.size(), 1U);
    EXPECT_EQ(header_value(log_.requests[0], "Host"), "[::1]:" + port);
}

TEST_F(WsWireTest, HeaderNamesAndValuesAreCaseInsensitive) {
    // RFC 7230 section 3.2: header names are case-insensitive; RFC 6455 section 4.1: so are
    // the "websocket" and "Upgrade" tokens.
    serve(answers("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
                  "CONNECTION: keep-alive, upgrade\r\nsec-websocket-accept: {accept}\r\n\r\n",
                  frame(true, op_text, "hi")));
    expect_texts_then_close({"hi"});
}

} // namespace
} // namespace mdg::net
