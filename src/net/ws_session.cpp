#include "net/ws_session.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <numeric>
#include <random>
#include <stdexcept>
#include <variant>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/error.hpp>
#include <fmt/format.h>

#include "core/log.hpp"
#include "net/http_url.hpp"
#include "net/tls_peer.hpp"
#include "net/ws_frame.hpp"

namespace mdg::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
} // namespace

std::string_view to_string(connect_step s) noexcept {
    switch (s) {
    case connect_step::resolve:
        return "dns";
    case connect_step::connect:
        return "connect";
    case connect_step::tls:
        return "tls";
    case connect_step::handshake:
        return "handshake";
    case connect_step::none:
        return "none";
    }
    return "none";
}

result<ws_url> parse_ws_url(std::string_view url, std::string& reason) {
    auto fail = [&](std::string_view why) -> result<ws_url> {
        reason = fmt::format("URL '{}': {}", core::printable_line(url), why);
        return errc::invalid_argument;
    };
    ws_url out;
    std::string_view rest;
    if (url.starts_with("wss://")) {
        out.tls = true;
        rest = url.substr(6);
    } else if (url.starts_with("ws://")) {
        rest = url.substr(5);
    } else {
        return fail("must start with ws:// or wss://");
    }
    if (rest.find_first_of("#@") != std::string_view::npos) {
        return fail("user info and fragments are not allowed");
    }
    if (has_space_or_control(rest)) {
        return fail("spaces and control characters are not allowed");
    }
    const auto end = rest.find_first_of("/?");
    std::string why;
    auto a = parse_url_authority(rest.substr(0, end), out.tls ? "443" : "80", why);
    if (!a) {
        return fail(why);
    }
    out.host = std::move(a->host);
    out.port = std::move(a->port);
    if (end == std::string_view::npos) {
        out.target = "/";
    } else if (rest[end] == '?') {
        out.target = "/" + std::string(rest.substr(end)); // "ws://h?x=1" asks for "/?x=1"
    } else {
        out.target = std::string(rest.substr(end));
    }
    reason.clear();
    return out;
}

namespace {

std::atomic<std::uint64_t> binary_frames{0}; // binary_frames_dropped()

void count_binary_frame(std::size_t bytes) {
    if (binary_frames.fetch_add(1, std::memory_order_relaxed) == 0) {
        spdlog::warn("ws: dropped a binary frame of {} bytes from the venue (only text is "
                     "decoded); counted in mdgate_ws_binary_frames_total, logged once",
                     bytes);
    }
}

} // namespace

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) {
        throw std::runtime_error("cannot load the system's trusted certificates: " + ec.message());
    }
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("cannot load CA file {}: {}", ca_file, ec.message()));
        }
    }
    return ctx;
}

bool is_expected_close(const boost::system::error_code& ec) noexcept {
    return ec == asio::error::operation_aborted || ec == websocket::error::closed ||
           ec == ssl::error::stream_truncated;
}

struct ws_session::impl : std::enable_shared_from_this<ws_session::impl> {
    using plain_stream = beast::tcp_stream;
    using tls_stream = ssl::stream<beast::tcp_stream>;

    /// Bytes asked of the socket per read when no frame needs more: a flood fills it, and every
    /// frame in it is handed out without another trip through the scheduler.
    static constexpr std::size_t read_chunk = 64 * 1024;

    impl(asio::any_io_executor ex_, std::shared_ptr<ssl::context> tls_, session_options opts_)
        : ex(std::move(ex_)), tls(std::move(tls_)), opts(std::move(opts_)),
          reader(opts.max_frame_bytes), wake(ex), grace(ex) {
        wake.expires_at(asio::steady_timer::time_point::max());
        std::random_device rd;
        rng = (std::uint64_t{rd()} << 32) ^ rd();
    }

    asio::any_io_executor ex;
    std::shared_ptr<ssl::context> tls;
    session_options opts;
    std::variant<std::monostate, plain_stream, tls_stream> stream;
    beast::flat_buffer buffer; ///< bytes read and not yet handed out; the handshake's leftovers
    ws::reader reader;
    std::size_t handed_out = 0;
    std::uint64_t socket_reads = 0; ///< bytes of the frame read() returned last, dropped next time
    std::deque<std::string> controls; ///< pongs and our close, written before `queue`, in order
    std::deque<std::string> queue;    ///< encoded data frames, written in order by writer()
    std::size_t queued = 0;           ///< bytes in both
    asio::steady_timer wake;
    asio::steady_timer grace; ///< bounds the wait for a close frame after the owner let go
    std::uint64_t rng;
    bool open = false;         ///< read() may hand out frames, send() queues
    bool close_queued = false; ///< our close frame is queued (or written): nothing after it
    bool close_written = false;
    bool shut_after_close = false; ///< the peer closed or failed: no need to wait for its close
    bool shut = false;             ///< the socket is closed

    beast::tcp_stream& tcp_layer() {
        if (auto* p = std::get_if<plain_stream>(&stream)) {
            return *p;
        }
        return beast::get_lowest_layer(std::get<tls_stream>(stream));
    }

    template <class F> decltype(auto) visit(F&& f) {
        if (auto* p = std::get_if<plain_stream>(&stream)) {
            return f(*p);
        }
        return f(std::get<tls_stream>(stream));
    }

    /// Masks and the handshake nonce. RFC 6455 10.3 asks for unpredictable masks so that a
    /// hostile script cannot steer the bytes a browser puts on the wire; this client sends
    /// only its own subscribe and ping messages, so a generator seeded from random_device is
    /// enough (splitmix64).
    std::uint64_t next_random() noexcept {
        std::uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }

    std::array<std::uint8_t, 4> next_mask() noexcept {
        const auto r = next_random();
        return {static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(r >> 8U),
                static_cast<std::uint8_t>(r >> 16U), static_cast<std::uint8_t>(r >> 24U)};
    }

    std::string encode(ws::opcode op, std::string_view payload) {
        std::string frame;
        frame.reserve(payload.size() + 14);
        ws::append_frame(frame, op, payload, next_mask());
        return frame;
    }

    void shutdown_now() {
        if (shut) {
            return;
        }
        shut = true;
        open = false;
        queue.clear();
        controls.clear();
        queued = 0;
        wake.cancel();
        grace.cancel();
        boost::system::error_code ignored;
        tcp_layer().socket().close(ignored);
    }

    void push_control(std::string frame) {
        queued += frame.size();
        controls.push_back(std::move(frame));
        wake.cancel();
    }

    /// Queues our close frame as the last frame; frames not yet written are dropped.
    void queue_close(std::uint16_t code) {
        if (close_queued) {
            return;
        }
        close_queued = true;
        queued -= std::accumulate(queue.begin(), queue.end(), std::size_t{0},
                                  [](std::size_t n, const std::string& f) { return n + f.size(); });
        queue.clear();
        // 1005 means the peer sent no code: the echo carries none either (RFC 6455 5.5.1).
        push_control(
            encode(ws::opcode::close, code == 1005 ? std::string{} : ws::close_payload(code)));
    }

    /// The one writer: frames go out in order, never two writes at once. After our close frame
    /// it waits (bounded by the handshake timeout) for the peer's close, then closes the socket.
    asio::awaitable<void> writer() {
        auto self = shared_from_this();
        for (;;) {
            if (shut) {
                co_return;
            }
            if (controls.empty() && queue.empty()) {
                if (close_written) {
                    wake.expires_after(opts.handshake_timeout);
                    co_await wake.async_wait(use_tuple);
                    shutdown_now();
                    co_return;
                }
                wake.expires_at(asio::steady_timer::time_point::max());
                co_await wake.async_wait(use_tuple);
                continue;
            }
            auto& from = controls.empty() ? queue : controls;
            std::string frame = std::move(from.front());
            from.pop_front();
            queued -= frame.size();
            const bool is_close = close_queued && controls.empty() && queue.empty();
            auto [ec, n] = co_await visit(
                [&](auto& s) { return asio::async_write(s, asio::buffer(frame), use_tuple); });
            if (ec) {
                shutdown_now();
                co_return;
            }
            if (is_close) {
                close_written = true;
                if (shut_after_close) {
                    shutdown_now();
                    co_return;
                }
            }
        }
    }

    /// The HTTP upgrade (RFC 6455 4.1) over a connected (and TLS-established) stream. Bytes the
    /// server sent after its headers stay in `buffer` for read().
    template <class Stream>
    asio::awaitable<boost::system::error_code> upgrade(Stream& s, const ws_url& url,
                                                       const std::string& host_header) {
        beast::get_lowest_layer(s).expires_after(opts.handshake_timeout);
        std::array<std::uint8_t, 16> nonce{};
        for (std::size_t i = 0; i < nonce.size(); i += 8) {
            const auto r = next_random();
            std::memcpy(nonce.data() + i, &r, 8);
        }
        const std::string key = ws::make_key(nonce);
        http::request<http::empty_body> req{http::verb::get, url.target, 11};
        req.set(http::field::host, host_header);
        req.set(http::field::upgrade, "websocket");
        req.set(http::field::connection, "Upgrade");
        req.set(http::field::sec_websocket_key, key);
        req.set(http::field::sec_websocket_version, "13");
        req.set(http::field::user_agent, opts.user_agent);
        auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
        if (wec) {
            co_return wec;
        }
        http::response_parser<http::empty_body> parser;
        parser.header_limit(16 * 1024);
        auto [rec, rn] = co_await http::async_read_header(s, buffer, parser, use_tuple);
        if (rec) {
            co_return rec;
        }
        const auto& res = parser.get();
        if (res.result() != http::status::switching_protocols) {
            co_return websocket::error::upgrade_declined;
        }
        if (!beast::iequals(res[http::field::upgrade], "websocket")) {
            co_return websocket::error::no_upgrade_websocket;
        }
        if (!http::token_list(res[http::field::connection]).exists("upgrade")) {
            co_return websocket::error::no_connection_upgrade;
        }
        if (res[http::field::sec_websocket_accept] != ws::accept_for(key)) {
            co_return websocket::error::bad_sec_accept;
        }
        // No extension was offered, so none may be in use (permessage-deflate would set RSV1).
        if (res.find(http::field::sec_websocket_extensions) != res.end()) {
            co_return boost::system::errc::make_error_code(boost::system::errc::protocol_error);
        }
        beast::get_lowest_layer(s).expires_never();
        // Deadlines after the handshake are the feed's (receive watchdog, pong deadline).
        co_return boost::system::error_code{};
    }
};

ws_session::ws_session(asio::any_io_executor ex, std::shared_ptr<ssl::context> tls,
                       session_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(tls), std::move(opts))) {}
ws_session::~ws_session() {
    if (impl_) {
        close(false);
    }
}
ws_session::ws_session(ws_session&&) noexcept = default;
ws_session& ws_session::operator=(ws_session&&) noexcept = default;

asio::awaitable<boost::system::error_code> ws_session::connect(const ws_url& url,
                                                               connect_step& failed_step) {
    auto self = impl_;
    auto& d = *self;
    failed_step = connect_step::resolve;
    // Resolve under a deadline: a timer that cancels the resolver (shared, so a late timer
    // never touches a resolver that is gone).
    auto resolver = std::make_shared<tcp::resolver>(d.ex);
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer deadline(d.ex, d.opts.resolve_timeout);
    deadline.async_wait([resolver, timed_out](boost::system::error_code ec) {
        if (!ec) {
            *timed_out = true;
            resolver->cancel();
        }
    });
    auto [rec, results] = co_await resolver->async_resolve(url.host, url.port, use_tuple);
    deadline.cancel();
    if (*timed_out) {
        co_return beast::error::timeout;
    }
    if (rec) {
        co_return rec;
    }

    failed_step = connect_step::connect;
    beast::tcp_stream stream(d.ex);
    stream.expires_after(d.opts.connect_timeout);
    auto [cec, ep] = co_await stream.async_connect(results, use_tuple);
    if (cec) {
        co_return cec;
    }
    stream.socket().set_option(tcp::no_delay(true));

    const std::string host = host_header(url.host, url.port, url.tls);

    boost::system::error_code ec;
    if (url.tls) {
        failed_step = connect_step::tls;
        if (!d.tls) {
            co_return asio::error::no_protocol_option;
        }
        auto& tls_stream = d.stream.emplace<impl::tls_stream>(std::move(stream), *d.tls);
        // SNI, and the certificate must name the host.
        if (!set_tls_peer(tls_stream, url.host)) {
            co_return boost::system::error_code{static_cast<int>(::ERR_get_error()),
                                                asio::error::get_ssl_category()};
        }
        beast::get_lowest_layer(tls_stream).expires_after(d.opts.tls_timeout);
        auto [tec] = co_await tls_stream.async_handshake(ssl::stream_base::client, use_tuple);
        if (tec) {
            co_return tec;
        }
        failed_step = connect_step::handshake;
        ec = co_await d.upgrade(tls_stream, url, host);
    } else {
        failed_step = connect_step::handshake;
        auto& plain = d.stream.emplace<impl::plain_stream>(std::move(stream));
        ec = co_await d.upgrade(plain, url, host);
    }
    if (ec) {
        co_return ec;
    }
    failed_step = connect_step::none;
    d.open = true;
    asio::co_spawn(
        d.ex, [self]() { return self->writer(); }, asio::detached);
    co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> ws_session::read(std::string_view& text) {
    auto self = impl_;
    auto& d = *self;
    for (;;) {
        if (!d.open) {
            co_return asio::error::not_connected;
        }
        d.buffer.consume(d.handed_out);
        d.handed_out = 0;
        const auto in = d.buffer.cdata();
        const auto ev = d.reader.next({static_cast<const char*>(in.data()), in.size()});
        switch (ev.kind) {
        case ws::event_kind::need_more: {
            // Asks for what fills the buffer to read_chunk (or to the frame's end when it is
            // bigger), so the capacity stays put and a partial frame only moves to the front.
            const std::size_t want = std::max(impl::read_chunk, ev.needed) - in.size();
            auto [ec, n] = co_await d.visit(
                [&](auto& s) { return s.async_read_some(d.buffer.prepare(want), use_tuple); });
            if (ec) {
                d.shutdown_now();
                co_return ec;
            }
            d.buffer.commit(n);
            ++d.socket_reads;
            continue;
        }
        case ws::event_kind::binary:
            count_binary_frame(ev.payload.size());
            d.handed_out = ev.size;
            continue;
        case ws::event_kind::consumed:
            d.handed_out = ev.size;
            continue;
        case ws::event_kind::ping:
            if (!d.close_queued) { // ahead of queued data frames, never inside one
                d.push_control(d.encode(ws::opcode::pong, ev.payload));
            }
            d.handed_out = ev.size;
            continue;
        case ws::event_kind::text:
            d.handed_out = ev.size;
            text = ev.payload;
            co_return boost::system::error_code{};
        case ws::event_kind::close:
            d.handed_out = ev.size;
            d.open = false;
            d.shut_after_close = true;
            if (d.close_written) {
                d.shutdown_now();
            } else {
                d.queue_close(ev.code); // echoes the peer's code; no-op if ours is queued
            }
            co_return websocket::error::closed;
        case ws::event_kind::error:
            d.open = false;
            d.shut_after_close = true;
            if (d.close_written) {
                d.shutdown_now();
            } else {
                d.queue_close(ev.code);
            }
            co_return ev.ec;
        }
    }
}

void ws_session::send(std::string text) {
    auto& d = *impl_;
    if (!d.open || d.close_queued) {
        return;
    }
    auto frame = d.encode(ws::opcode::text, text);
    d.queued += frame.size();
    d.queue.push_back(std::move(frame));
    d.wake.cancel();
}

std::uint64_t binary_frames_dropped() noexcept {
    return binary_frames.load(std::memory_order_relaxed);
}

std::uint64_t ws_session::socket_reads() const noexcept {
    return impl_->socket_reads;
}

std::size_t ws_session::queued_bytes() const noexcept {
    return impl_->queued;
}

void ws_session::close(bool graceful) {
    auto& d = *impl_;
    if (std::holds_alternative<std::monostate>(d.stream) || d.shut) {
        return;
    }
    if (d.close_queued && !d.close_written) {
        // Our close frame (an echo, a protocol error's code, or close(true) just before) is
        // waiting for the writer, which holds the state alive: let it go out, then the writer
        // closes the socket. The grace timer closes it if the peer does not take the bytes.
        d.open = false;
        d.shut_after_close = true;
        d.grace.expires_after(std::chrono::seconds(1));
        d.grace.async_wait([self = impl_](boost::system::error_code ec) {
            if (!ec) {
                self->shutdown_now();
            }
        });
        return;
    }
    if (graceful && d.open) {
        d.queue_close(ws::close_code::normal); // the writer sends it, never overlapping a write
        return;
    }
    d.shutdown_now();
}

} // namespace mdg::net
