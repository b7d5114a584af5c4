#include "perf/stream_subscribers.hpp"

#include <charconv>
#include <ctime>
#include <pthread.h>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

namespace mdg::perf {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The integer after `"ts_recv":` in a stream message (the first one: a book's own, or an
// event's in its `data`); 0 when there is none.
[[nodiscard]] std::int64_t ts_recv_of(std::string_view text) noexcept {
    constexpr std::string_view key = R"("ts_recv":)";
    const auto at = text.find(key);
    if (at == std::string_view::npos) {
        return 0;
    }
    std::int64_t v = 0;
    const auto* first = text.data() + at + key.size();
    (void)std::from_chars(first, text.data() + text.size(), v);
    return v;
}

[[nodiscard]] std::int64_t now_us() noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

struct stream_subscribers::state {
    explicit state(std::size_t n) : messages(n) {}
    std::vector<std::atomic<std::uint64_t>> messages; // per reading subscriber
    std::atomic<std::uint64_t> conflated{0};
    std::atomic<std::uint64_t> closed{0};
    std::atomic<std::size_t> ready{0};  // subscribed (or, for the stalled one, asked)
    std::atomic<std::size_t> failed{0}; // could not connect or subscribe
    std::string first_error;            // written once, on the subscribers' thread
    std::atomic<bool> has_error{false};
};

stream_subscribers::stream_subscribers(subscribers_options opts)
    : opts_(std::move(opts)), st_(std::make_unique<state>(opts_.count)) {}

stream_subscribers::~stream_subscribers() {
    stop();
}

bool stream_subscribers::start(std::string& reason) {
    std::string request = R"({"op":"subscribe","id":1,"channels":[)";
    for (std::size_t i = 0; i < opts_.channels.size(); ++i) {
        request += fmt::format(R"({}"{}")", i == 0 ? "" : ",", opts_.channels[i]);
    }
    request += "]}";
    const asio::ip::tcp::endpoint ep{asio::ip::make_address(opts_.host), opts_.port};
    const auto total = opts_.count + (opts_.stalled ? 1 : 0);
    auto& st = *st_;
    const auto fail = [&st](std::string why) {
        if (!st.has_error.exchange(true)) {
            st.first_error = std::move(why);
        }
        st.failed.fetch_add(1);
    };
    for (std::size_t i = 0; i < total; ++i) {
        const bool stall = i == opts_.count;
        asio::co_spawn(
            ioc_,
            [this, &st, ep, request, stall, i, fail]() -> asio::awaitable<void> {
                websocket::stream<beast::tcp_stream> ws{co_await asio::this_coro::executor};
                auto& tcp = beast::get_lowest_layer(ws);
                tcp.expires_after(opts_.connect_timeout);
                if (auto [ec] = co_await tcp.async_connect(ep, use_tuple); ec) {
                    fail("connect: " + ec.message());
                    co_return;
                }
                const auto host = fmt::format("{}:{}", opts_.host, opts_.port);
                if (auto [ec] = co_await ws.async_handshake(host, "/v1/stream", use_tuple); ec) {
                    fail("handshake: " + ec.message());
                    co_return;
                }
                tcp.expires_never();
                ws.read_message_max(64U << 20);
                ws.text(true);
                if (auto [ec, n] = co_await ws.async_write(asio::buffer(request), use_tuple); ec) {
                    fail("subscribe: " + ec.message());
                    co_return;
                }
                if (stall) {
                    // Never read: park until the io_context stops (the socket closes with it).
                    st.ready.fetch_add(1);
                    asio::steady_timer park{ws.get_executor(),
                                            asio::steady_timer::time_point::max()};
                    (void)co_await park.async_wait(use_tuple);
                    co_return;
                }
                beast::flat_buffer buf;
                bool subscribed = false;
                for (;;) {
                    auto [ec, n] = co_await ws.async_read(buf, use_tuple);
                    if (ec) {
                        if (!subscribed) {
                            fail("read: " + ec.message());
                        } else {
                            st.closed.fetch_add(1);
                        }
                        co_return;
                    }
                    const std::string_view text{static_cast<const char*>(buf.data().data()),
                                                buf.size()};
                    if (!subscribed &&
                        text.find(R"("type":"subscribed")") != std::string_view::npos) {
                        subscribed = true;
                        st.ready.fetch_add(1);
                    } else if (text.find(R"("ch":)") != std::string_view::npos) {
                        st.messages[i].fetch_add(1, std::memory_order_relaxed);
                        if (recording_.load(std::memory_order_relaxed)) {
                            if (const auto ts = ts_recv_of(text); ts > 0) {
                                latency_.record(std::chrono::microseconds{now_us() - ts});
                            }
                        }
                        if (text.find(R"("conflated":true)") != std::string_view::npos) {
                            st.conflated.fetch_add(1, std::memory_order_relaxed);
                        }
                    }
                    buf.consume(buf.size());
                }
            },
            asio::detached);
    }
    thread_ = std::thread([this] { ioc_.run(); });
    const auto deadline = std::chrono::steady_clock::now() + opts_.connect_timeout;
    while (st.ready.load() + st.failed.load() < total &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    if (st.failed.load() != 0) {
        reason = fmt::format("{} of {} subscribers failed (first: {})", st.failed.load(), total,
                             st.first_error);
        return false;
    }
    if (st.ready.load() < total) {
        reason = fmt::format("only {} of {} subscribers subscribed within {} ms", st.ready.load(),
                             total, opts_.connect_timeout.count());
        return false;
    }
    return true;
}

void stream_subscribers::stop() {
    if (thread_.joinable()) {
        ioc_.stop();
        thread_.join();
    }
}

subscribers_totals stream_subscribers::totals() const {
    subscribers_totals t;
    t.messages.reserve(st_->messages.size());
    for (const auto& m : st_->messages) {
        t.messages.push_back(m.load(std::memory_order_relaxed));
    }
    t.conflated_snapshots = st_->conflated.load(std::memory_order_relaxed);
    t.closed = st_->closed.load(std::memory_order_relaxed);
    return t;
}

double stream_subscribers::cpu_seconds() const noexcept {
    if (!thread_.joinable()) {
        return 0;
    }
    clockid_t id{};
    // The std::thread is not modified while the subscribers run (start() and stop() only).
    if (::pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &id) != 0) {
        return 0;
    }
    timespec ts{};
    if (::clock_gettime(id, &ts) != 0) {
        return 0;
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace mdg::perf
