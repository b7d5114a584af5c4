// The steady-state hot path (WebSocket read; decode -> shard item -> apply to market state ->
// consumer publish and callback) must not allocate per message (docs/architecture.md, invariants).
// A counting global operator new (this binary only) counts every allocation on every thread while
// the measured passes run (or, for the socket test, on the reading thread only: the test's own
// server thread is not the product).
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "dispatch/consumer_pool.hpp"
#include "dispatch/shard.hpp"
#include "exchange/bybit/parse.hpp"
#include "gateway/shard_router.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_session.hpp"
#include "perf/frame_set.hpp"
#include "support/ws_frames.hpp"

namespace {

std::atomic<bool> counting{false};
thread_local bool counting_here = false; // this thread only
std::atomic<std::uint64_t> allocations{0};
// MDG_ALLOC_TRAP=1 stops at the first counted allocation, for a backtrace in a debugger.
const bool trap = std::getenv("MDG_ALLOC_TRAP") != nullptr;

[[maybe_unused]] void* counted_alloc(std::size_t n, std::size_t align) {
    if (counting.load(std::memory_order_relaxed) || counting_here) {
        allocations.fetch_add(1, std::memory_order_relaxed);
        if (trap) {
            __builtin_trap();
        }
    }
    if (n == 0) {
        n = 1;
    }
    void* p = align > alignof(std::max_align_t)
                  ? std::aligned_alloc(align, (n + align - 1) / align * align)
                  : std::malloc(n);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}

} // namespace

// AddressSanitizer brings its own allocator (and its own operator new, which libraries may
// bind to): replacing operator new there mixes allocators. The count is only meaningful with
// the real allocator, so under ASan the test is skipped.
#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t n) {
    return counted_alloc(n, 0);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
#endif

namespace mdg::perf {
namespace {

// A consumer that only counts (its own work must not hide the pipeline's allocations).
class counting_consumer final : public dispatch::consumer {
  public:
    void on_book(const dispatch::book_view&, std::stop_token) override { ++calls; }
    void on_ticker(const dispatch::ticker_view&, std::stop_token) override { ++calls; }
    void on_trade(const model::trade&, std::stop_token) override { ++calls; }
    void on_kline(const model::kline&, std::stop_token) override { ++calls; }
    void on_liquidation(const model::liquidation&, std::stop_token) override { ++calls; }
    std::atomic<std::uint64_t> calls{0};
};

// What the gateway's shard router does per frame: an owned copy into a slot and the shard's
// payload arena (the router's own copy_frame; the test waits for room instead of dropping).
void route(dispatch::shard& sh, const exchange::bybit::decoded_frame& f) {
    dispatch::shard_item* it = nullptr;
    while ((it = sh.claim(gateway::payload_bytes(f))) == nullptr) {
        std::this_thread::yield(); // the test never drops: it waits for the shard
    }
    it->source = 0;
    it->read_ns = 1;
    if (gateway::copy_frame(f, *it)) {
        sh.commit();
    }
}

TEST(HotPathAllocTest, SteadyStateDecodeRouteApplyPublishDoesNotAllocate) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "allocation counting needs the real allocator (this is an ASan build)";
#endif
    frame_set_options fo;
    fo.symbols = bench_symbols(4);
    fo.mix = topic_mix::typical;
    fo.min_frames = 1500;
    std::string reason;
    auto set = make_frame_set(fo, reason);
    ASSERT_TRUE(set) << reason;

    model::instrument_registry registry;
    for (const auto& s : fo.symbols) {
        (void)registry.intern(model::venue::bybit, model::category::linear, s.symbol);
    }
    dispatch::consumer_pool pool{{.threads = 2, .namer = {}}, registry};
    auto consumer = std::make_shared<counting_consumer>();
    dispatch::consumer_options co;
    co.name = "count";
    co.queue_capacity = 256;
    pool.add(consumer, co);
    dispatch::shard::options so;
    // Slots keep the capacity of the largest item they carried (a snapshot needs 50 levels, a
    // delta a few). Slot positions repeat with a period of at most `ring` passes over the set,
    // so after `ring` warm-up passes every slot has carried every size it will ever carry:
    // any later allocation would be per message.
    constexpr std::size_t ring = 16;
    so.queue_capacity = ring;
    std::atomic<std::uint64_t> handled{0};
    so.on_handled = [&](std::chrono::nanoseconds) {
        handled.fetch_add(1, std::memory_order_relaxed);
    };
    dispatch::shard shard{std::move(so), &pool};
    for (const auto& t : set->topics) {
        if (t.starts_with("orderbook.")) {
            const auto sym = std::string_view(t).substr(t.rfind('.') + 1);
            shard.expect_book(*registry.find(model::venue::bybit, model::category::linear, sym),
                              fo.depth);
        }
    }
    pool.start();
    shard.start();

    exchange::bybit::decoder decoder;
    const exchange::bybit::parse_context ctx{model::category::linear, &registry, false, {}};
    std::string text;
    text.reserve(1U << 20U);
    std::uint64_t routed = 0;
    const auto run_pass = [&](std::uint64_t pass) {
        for (const auto& f : set->frames) {
            text.clear();
            append_text(text, *set, f, set->sequence_offset(f.topic, pass));
            auto d = decoder.decode(text, ctx);
            ASSERT_TRUE(d) << d.error().message();
            route(shard, **d);
            ++routed;
        }
        while (handled.load() < routed) {
            std::this_thread::yield();
        }
        while (pool.stats(0).depth.load() != 0) {
            std::this_thread::yield();
        }
    };
    for (std::uint64_t pass = 0; pass < ring + 1; ++pass) {
        run_pass(pass); // warm-up: instruments, books, rings, slots and buffers reach size
    }
    const auto calls_before = consumer->calls.load();
    counting.store(true);
    for (std::uint64_t pass = ring + 1; pass < ring + 4; ++pass) {
        run_pass(pass);
    }
    counting.store(false);
    const auto n = allocations.load();
    const auto messages = 3 * set->frames.size();
    EXPECT_EQ(n, 0U) << n << " allocations for " << messages << " messages";
    EXPECT_GT(consumer->calls.load(), calls_before); // the consumer did get work
    EXPECT_EQ(shard.stats().gaps.load() + shard.stats().crossed.load(), 0U);
    EXPECT_EQ(shard.stats().books[static_cast<std::size_t>(book::book_state::live)].load(), 4U);
    shard.stop();
    (void)pool.stop(std::chrono::milliseconds(1000));
}

// The network end of the hot path: net::ws_session reading a flood of text frames (sizes
// 40 B to 3 kB, so 7- and 16-bit lengths and frames split across socket reads) from a
// loopback server. After a warm-up, reading 100,000 frames must not allocate on the reading
// thread (asio's operation and coroutine frames are recycled, the read buffer is reused).
TEST(HotPathAllocTest, SteadyStateWebSocketReadDoesNotAllocate) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "allocation counting needs the real allocator (this is an ASan build)";
#endif
    namespace asio = boost::asio;
    using tcp = asio::ip::tcp;
    constexpr std::size_t sizes = 61; // payload size of frame i: 40 + 49 * (i % sizes)
    std::string batch;
    for (std::size_t i = 0; i < 4 * sizes; ++i) {
        const std::string payload(40 + 49 * (i % sizes), static_cast<char>('a' + i % 26));
        batch += test::frame(true, test::op_text, payload);
    }
    asio::io_context server_ioc;
    tcp::acceptor acceptor(server_ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    std::thread server([&] {
        tcp::socket s(server_ioc);
        boost::system::error_code ec;
        acceptor.accept(s, ec);
        asio::streambuf request;
        asio::read_until(s, request, "\r\n\r\n", ec);
        if (ec) {
            return;
        }
        const std::string head(asio::buffers_begin(request.data()),
                               asio::buffers_end(request.data()));
        const auto at = head.find("Sec-WebSocket-Key: ");
        const auto key = head.substr(at + 19, head.find("\r\n", at) - at - 19);
        const std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                     "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                     net::ws::accept_for(key) + "\r\n\r\n";
        asio::write(s, asio::buffer(response), ec);
        while (!ec) { // until the client closes
            asio::write(s, asio::buffer(batch), ec);
        }
    });

    asio::io_context ioc{1};
    net::ws_session session{ioc.get_executor(), nullptr, {}};
    std::uint64_t frames = 0;
    std::uint64_t wrong = 0;
    std::uint64_t counted_allocations = 0;
    std::string failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            std::string why;
            const auto url = net::parse_ws_url("ws://127.0.0.1:" + std::to_string(port), why);
            net::connect_step step{};
            if (const auto ec = co_await session.connect(*url, step); ec) {
                failure = "connect: " + ec.message();
                co_return;
            }
            auto read_some = [&](std::uint64_t n) -> asio::awaitable<bool> {
                for (std::uint64_t i = 0; i < n; ++i, ++frames) {
                    std::string_view text;
                    if (const auto ec = co_await session.read(text); ec) {
                        failure = "read: " + ec.message();
                        co_return false;
                    }
                    const auto k = frames % (4 * sizes);
                    if (text.size() != 40 + 49 * (k % sizes) ||
                        text.front() != static_cast<char>('a' + k % 26)) {
                        ++wrong;
                    }
                }
                co_return true;
            };
            if (!co_await read_some(20'000)) { // warm-up
                co_return;
            }
            const auto before = allocations.load();
            counting_here = true;
            const bool ok = co_await read_some(100'000);
            counting_here = false;
            counted_allocations = allocations.load() - before;
            if (ok) {
                session.close(false);
            }
        },
        asio::detached);
    ioc.run();
    session.close(false);
    server.join();
    ASSERT_TRUE(failure.empty()) << failure;
    EXPECT_EQ(frames, 120'000U);
    EXPECT_EQ(wrong, 0U) << "frames out of order or cut";
    EXPECT_EQ(counted_allocations, 0U) << counted_allocations << " allocations for 100,000 frames";
}

} // namespace
} // namespace mdg::perf
