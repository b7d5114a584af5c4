#include "net/ws_session.hpp"

#include <deque>
#include <optional>
#include <stdexcept>
#include <variant>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

namespace mdg::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
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
    ws_url out;
    std::string_view rest;
    if (url.starts_with("wss://")) {
        out.tls = true;
        rest = url.substr(6);
    } else if (url.starts_with("ws://")) {
        rest = url.substr(5);
    } else {
        reason = fmt::format("'{}' is not a ws:// or wss:// URL", url);
        return errc::invalid_argument;
    }
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) { // [::1]:9000
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            reason = fmt::format("bad IPv6 host in '{}'", url);
            return errc::invalid_argument;
        }
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        reason = fmt::format("no host in '{}'", url);
        return errc::invalid_argument;
    }
    if (!port.empty() &&
        (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)) {
        reason = fmt::format("bad port in '{}'", url);
        return errc::invalid_argument;
    }
    out.host = host;
    out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
    return out;
}

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
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<ssl::stream<beast::tcp_stream>>;

    impl(asio::any_io_executor ex_, std::shared_ptr<ssl::context> tls_, session_options opts_)
        : ex(std::move(ex_)), tls(std::move(tls_)), opts(std::move(opts_)), wake(ex) {
        wake.expires_at(asio::steady_timer::time_point::max());
    }

    asio::any_io_executor ex;
    std::shared_ptr<ssl::context> tls;
    session_options opts;
    std::variant<std::monostate, plain_ws, tls_ws> ws;
    beast::flat_buffer buffer;
    std::deque<std::string> queue;
    std::size_t queued = 0;
    asio::steady_timer wake;
    bool open = false;
    bool closing = false;
    bool want_close_frame = false;

    beast::tcp_stream& tcp_layer() {
        if (auto* p = std::get_if<plain_ws>(&ws)) {
            return beast::get_lowest_layer(*p);
        }
        return beast::get_lowest_layer(std::get<tls_ws>(ws));
    }

    template <class F> decltype(auto) visit(F&& f) {
        if (auto* p = std::get_if<plain_ws>(&ws)) {
            return f(*p);
        }
        return f(std::get<tls_ws>(ws));
    }

    asio::awaitable<void> writer() {
        auto self = shared_from_this();
        for (;;) {
            if (want_close_frame) {
                want_close_frame = false;
                co_await visit([](auto& s) {
                    return s.async_close(websocket::close_code::normal, use_tuple);
                });
                boost::system::error_code ignored;
                tcp_layer().socket().close(ignored);
                co_return;
            }
            if (!open) {
                co_return;
            }
            if (queue.empty()) {
                wake.expires_at(asio::steady_timer::time_point::max());
                co_await wake.async_wait(use_tuple);
                continue;
            }
            std::string frame = std::move(queue.front());
            queue.pop_front();
            queued -= frame.size();
            auto [ec, n] = co_await visit([&](auto& s) {
                s.text(true);
                return s.async_write(asio::buffer(frame), use_tuple);
            });
            if (ec) {
                open = false;
                boost::system::error_code ignored;
                tcp_layer().socket().close(ignored);
                co_return;
            }
        }
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

    auto handshake = [&](auto& ws,
                         std::string host_header) -> asio::awaitable<boost::system::error_code> {
        failed_step = connect_step::handshake;
        beast::get_lowest_layer(ws).expires_after(d.opts.handshake_timeout);
        ws.set_option(websocket::stream_base::decorator(
            [ua = d.opts.user_agent](auto& req) { req.set(beast::http::field::user_agent, ua); }));
        auto [hec] = co_await ws.async_handshake(host_header, url.target, use_tuple);
        if (hec) {
            co_return hec;
        }
        beast::get_lowest_layer(ws).expires_never();
        // Deadlines after the handshake are the feed's (receive watchdog, pong deadline).
        websocket::stream_base::timeout t{};
        t.handshake_timeout = d.opts.handshake_timeout;
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws.set_option(t);
        ws.read_message_max(d.opts.max_frame_bytes);
        co_return boost::system::error_code{};
    };
    const bool default_port = url.port == (url.tls ? "443" : "80");
    const std::string host_header = default_port ? url.host : url.host + ":" + url.port;

    boost::system::error_code ec;
    if (url.tls) {
        if (!d.tls) {
            failed_step = connect_step::tls;
            co_return asio::error::no_protocol_option;
        }
        failed_step = connect_step::tls;
        auto& ws = d.ws.emplace<impl::tls_ws>(std::move(stream), *d.tls);
        auto& tls_stream = ws.next_layer();
        // SNI, and the certificate must name the host.
        // SSL_set_tlsext_host_name, spelled out: the macro casts the C way.
        if (SSL_ctrl(tls_stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())) != 1) {
            co_return boost::system::error_code{static_cast<int>(::ERR_get_error()),
                                                asio::error::get_ssl_category()};
        }
        tls_stream.set_verify_callback(ssl::host_name_verification(url.host));
        beast::get_lowest_layer(ws).expires_after(d.opts.tls_timeout);
        auto [tec] = co_await tls_stream.async_handshake(ssl::stream_base::client, use_tuple);
        if (tec) {
            co_return tec;
        }
        ec = co_await handshake(ws, host_header);
    } else {
        auto& ws = d.ws.emplace<impl::plain_ws>(std::move(stream));
        ec = co_await handshake(ws, host_header);
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
    if (!d.open) {
        co_return asio::error::not_connected;
    }
    for (;;) {
        d.buffer.consume(d.buffer.size());
        auto [ec, n] = co_await d.visit([&](auto& s) { return s.async_read(d.buffer, use_tuple); });
        if (ec) {
            d.open = false;
            d.wake.cancel();
            co_return ec;
        }
        const bool is_text = d.visit([](auto& s) { return s.got_text(); });
        if (!is_text) {
            continue;
        }
        const auto data = d.buffer.cdata();
        text = {static_cast<const char*>(data.data()), data.size()};
        co_return boost::system::error_code{};
    }
}

void ws_session::send(std::string text) {
    auto& d = *impl_;
    if (!d.open || d.closing) {
        return;
    }
    d.queued += text.size();
    d.queue.push_back(std::move(text));
    d.wake.cancel();
}

std::size_t ws_session::queued_bytes() const noexcept {
    return impl_->queued;
}

void ws_session::close(bool graceful) {
    auto& d = *impl_;
    if (d.closing || std::holds_alternative<std::monostate>(d.ws)) {
        return;
    }
    d.closing = true;
    d.queue.clear();
    d.queued = 0;
    if (graceful && d.open) {
        d.want_close_frame = true; // the writer sends it, never overlapping a write
        d.wake.cancel();
        return;
    }
    d.open = false;
    d.wake.cancel();
    boost::system::error_code ignored;
    d.tcp_layer().socket().close(ignored);
}

} // namespace mdg::net
