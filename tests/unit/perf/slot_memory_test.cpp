// Memory under reconnect churn (issue: a long-running gateway must not grow with how often its
// venue drops it). A global operator new that counts live bytes (this binary only) watches the
// real shard router and shard through 1,000 reconnect cycles: each one marks the books stale,
// then sends a snapshot of random depth, a trade burst of random size, deltas, candles and
// liquidations, as a venue does after a reconnect; every 100th cycle one trade burst is larger
// than a quarter of the shard's payload arena (its payload gets a block of its own). The
// queue's slots hold no storage of their own and the payloads go through the arena, whose size
// is fixed at start: after warm-up, live bytes must come back to the same level (within what
// the market state's own maps may rehash). When the slots kept vectors, they kept what the
// bursts made them grow to and this test grew by megabytes.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "dispatch/shard.hpp"
#include "gateway/shard_router.hpp"
#include "metrics/registry.hpp"

namespace {

std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> peak_bytes{0}; // the most live_bytes has been

void* counted_alloc(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    const auto now = live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                                          std::memory_order_relaxed) +
                     static_cast<std::int64_t>(malloc_usable_size(p));
    auto peak = peak_bytes.load(std::memory_order_relaxed);
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
    return p;
}

void counted_free(void* p) noexcept {
    if (p != nullptr) {
        live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                             std::memory_order_relaxed);
        std::free(p);
    }
}

} // namespace

// Sanitizer builds replace the allocator themselves: the test skips there (see below), and
// these replacements are compiled out so the sanitizer's own stay in charge.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
void* operator new(std::size_t n) {
    return counted_alloc(n);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n);
}
void operator delete(void* p) noexcept {
    counted_free(p);
}
void operator delete[](void* p) noexcept {
    counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_free(p);
}
#endif

namespace mdg::gateway {
namespace {

using exchange::bybit::channel;
using exchange::bybit::decoded_frame;
using exchange::bybit::frame_type;

constexpr auto linear = model::category::linear;
constexpr std::size_t queue_capacity = 256;
constexpr std::uint16_t depth = 200;

constexpr std::size_t delta_levels = 3;
constexpr std::size_t max_candles = 2;
constexpr std::size_t queue_bytes = std::size_t{2} << 20;
// A trade burst whose payload is more than a quarter of the arena.
constexpr std::size_t huge_trades = queue_bytes / 4 / sizeof(model::trade) + 1;
// What the market state's own hash maps may add after warm-up (a rehash of a small map).
constexpr std::int64_t tolerance = 16 * 1024;

class churn_feed {
  public:
    explicit churn_feed(std::uint32_t seed) : rng_(seed) {
        for (std::size_t c = 0; c < counters_.size(); ++c) {
            counters_[c] = &reg_.counter(
                "frames_total", "",
                {{"channel", std::string(exchange::bybit::to_string(static_cast<channel>(c)))}});
        }
        for (const char* s : {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}) {
            ids_.push_back(registry_.intern(model::venue::bybit, linear, s));
            topics_.push_back(std::string("orderbook.200.") + s);
            topics_.push_back(std::string("publicTrade.") + s);
            topics_.push_back(std::string("tickers.") + s);
        }
        dispatch::shard::options so;
        so.queue_capacity = queue_capacity;
        so.queue_bytes = queue_bytes;
        so.spin = {};
        shards_.push_back(std::make_unique<dispatch::shard>(std::move(so), nullptr));
        for (auto id : ids_) {
            shards_.front()->expect_book(id, depth);
        }
        router_ = std::make_unique<shard_router>(0, linear, registry_, shards_, counters_);
        shards_.front()->start();
    }

    // What a venue sends after a reconnect, for every symbol; returns when the shard applied it.
    void cycle(bool huge_burst = false) {
        router_->on_connection_lost(topics_);
        for (auto id : ids_) {
            auto& u = update_id_[id.value % update_id_.size()];
            u = 1;
            book(id, model::update_kind::snapshot, pick(50, depth), u);
            for (int i = 0; i < 20; ++i) {
                book(id, model::update_kind::delta, pick(1, delta_levels), ++u);
            }
            batch(id, frame_type::trade, channel::public_trade, &decoded_frame::trades,
                  huge_burst && id == ids_.front() ? huge_trades : pick(10, 400));
            batch(id, frame_type::kline, channel::kline, &decoded_frame::klines,
                  pick(1, max_candles));
            batch(id, frame_type::liquidation, channel::all_liquidation,
                  &decoded_frame::liquidations, pick(10, 40));
        }
        ASSERT_TRUE(shards_.front()->query([](const market::market_state&) {}));
        ASSERT_EQ(shards_.front()->stats().dropped_full.load(), 0U) << "the test must not overrun";
    }

    void stop() { shards_.front()->stop(); }

  private:
    std::size_t pick(std::size_t lo, std::size_t hi) {
        return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
    }

    void route(decoded_frame& f) {
        // Never more in flight than the ring holds (no drops): each cycle's items fit in it.
        (void)router_->on_data(f);
    }

    void book(model::instrument_id id, model::update_kind kind, std::size_t levels,
              std::uint64_t u) {
        decoded_frame f;
        f.type = frame_type::orderbook;
        f.topic.ch = channel::orderbook;
        f.topic.depth = depth;
        f.instrument = id;
        for (std::size_t i = 0; i < levels; ++i) {
            const auto step = static_cast<std::int64_t>(i);
            f.bid_buf.push_back({model::price{10'000 - step}, model::qty{1 + step}});
            f.ask_buf.push_back({model::price{10'001 + step}, model::qty{1 + step}});
        }
        f.book.instrument = id;
        f.book.depth = depth;
        f.book.kind = kind;
        f.book.update_id = u;
        f.book.bids = f.bid_buf;
        f.book.asks = f.ask_buf;
        route(f);
    }

    // A frame of `n` trades, candles or liquidations (the vector `events` of the frame).
    template <class Event>
    void batch(model::instrument_id id, frame_type type, channel ch,
               std::vector<Event> decoded_frame::*events, std::size_t n) {
        decoded_frame f;
        f.type = type;
        f.topic.ch = ch;
        f.instrument = id;
        auto& v = f.*events;
        v.resize(n);
        for (auto& e : v) {
            e.instrument = id;
            if constexpr (std::is_same_v<Event, model::trade>) {
                e.px = model::price{10'000};
                e.sz = model::qty{1};
            }
        }
        route(f);
    }

    std::mt19937 rng_;
    metrics::registry reg_;
    model::instrument_registry registry_;
    shard_router::channel_counters counters_{};
    std::vector<model::instrument_id> ids_;
    std::vector<std::string> topics_;
    std::vector<std::unique_ptr<dispatch::shard>> shards_;
    std::unique_ptr<shard_router> router_;
    std::array<std::uint64_t, 8> update_id_{};
};

TEST(SlotMemoryTest, LiveBytesComeBackToTheSameLevelThrough1000Reconnects) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "live-byte counting needs the real allocator (this is a sanitizer build)";
#endif
    churn_feed feed{20261206};
    // Warm-up: the market state's books, trade rings and candle series reach their steady size.
    for (int i = 0; i < 50; ++i) {
        feed.cycle();
    }
    const auto warm = live_bytes.load();
    peak_bytes.store(warm);
    std::int64_t end_growth = 0; // the most live bytes grew, seen at the end of a cycle
    for (int i = 50; i < 1000; ++i) {
        feed.cycle(i % 100 == 0);
        end_growth = std::max(end_growth, live_bytes.load() - warm);
    }
    // Each cycle ends with the shard idle (query): nothing is in flight.
    const auto growth = live_bytes.load() - warm;
    const auto in_flight = peak_bytes.load() - warm;
    std::printf("live bytes after warm-up %lld, growth %lld (largest at a cycle's end %lld, "
                "peak in flight %lld)\n",
                static_cast<long long>(warm), static_cast<long long>(growth),
                static_cast<long long>(end_growth), static_cast<long long>(in_flight));
    EXPECT_LE(growth, tolerance) << "live bytes after warm-up " << warm << ", growth " << growth
                                 << ", largest at a cycle's end " << end_growth;
    // The huge bursts were queued with a block of their own, given back once applied: in flight,
    // the decoded frame's trades and their copy in that block.
    EXPECT_GE(in_flight, static_cast<std::int64_t>(2 * huge_trades * sizeof(model::trade)));
    feed.stop();
}

} // namespace
} // namespace mdg::gateway
