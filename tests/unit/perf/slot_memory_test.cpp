// Memory under reconnect churn (issue: a long-running gateway must not grow with how often its
// venue drops it). A global operator new that counts live bytes (this binary only) watches the
// real shard router and shard through 1,000 reconnect cycles: each one marks the books stale,
// then sends a snapshot of random depth, a trade burst of random size, deltas, candles and
// liquidations, as a venue does after a reconnect. The snapshots, trade bursts and
// liquidation batches are all larger than their dispatch::slot_keep bounds, the deltas and
// candles within them: the shard queue's slots must keep nothing of the bursts, so live bytes
// after the last cycle stay within what the small items may leave in every slot
// (queue capacity x (3 levels a side + 2 candles + the stale marks)) of what they were after
// warm-up. Without the trimming the slots keep the bursts and the test fails.
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
#include "dispatch/slot_bounds.hpp"
#include "gateway/shard_router.hpp"
#include "metrics/registry.hpp"

namespace {

std::atomic<std::int64_t> live_bytes{0};

void* counted_alloc(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                         std::memory_order_relaxed);
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

// The most a slot may keep between items (dispatch::slot_keep), in bytes.
// Item sizes: bursts above their keep bound, small items within it.
constexpr std::size_t delta_levels = 3;
constexpr std::size_t max_candles = 2;
static_assert(delta_levels <= dispatch::slot_keep::levels &&
              max_candles <= dispatch::slot_keep::klines);
constexpr std::size_t min_snapshot_levels = dispatch::slot_keep::levels + 1;
constexpr std::size_t min_trades = dispatch::slot_keep::trades + 1;
constexpr std::size_t min_liquidations = dispatch::slot_keep::liquidations + 1;

// The most the small items may leave in one slot between uses, in bytes.
constexpr std::size_t small_item_bytes =
    2 * delta_levels * sizeof(model::level) + max_candles * sizeof(model::kline) +
    dispatch::slot_keep::stale_marks * sizeof(dispatch::stale_mark);

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
        so.spin = {};
        shards_.push_back(std::make_unique<dispatch::shard>(std::move(so), nullptr));
        for (auto id : ids_) {
            shards_.front()->expect_book(id, depth);
        }
        router_ = std::make_unique<shard_router>(0, linear, registry_, shards_, counters_);
        shards_.front()->start();
    }

    // What a venue sends after a reconnect, for every symbol; returns when the shard applied it.
    void cycle() {
        router_->on_connection_lost(topics_);
        for (auto id : ids_) {
            auto& u = update_id_[id.value % update_id_.size()];
            u = 1;
            book(id, model::update_kind::snapshot, pick(min_snapshot_levels, depth), u);
            for (int i = 0; i < 20; ++i) {
                book(id, model::update_kind::delta, pick(1, delta_levels), ++u);
            }
            batch(id, frame_type::trade, channel::public_trade, &decoded_frame::trades,
                  pick(min_trades, 400));
            batch(id, frame_type::kline, channel::kline, &decoded_frame::klines,
                  pick(1, max_candles));
            batch(id, frame_type::liquidation, channel::all_liquidation,
                  &decoded_frame::liquidations, pick(min_liquidations, 40));
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

TEST(SlotMemoryTest, LiveBytesStayWithinTheConfiguredBoundThrough1000Reconnects) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "live-byte counting needs the real allocator (this is a sanitizer build)";
#endif
    churn_feed feed{20261206};
    // Warm-up: the market state's books, trade rings and candle series reach their steady size.
    for (int i = 0; i < 50; ++i) {
        feed.cycle();
    }
    const auto warm = live_bytes.load();
    std::int64_t peak_growth = 0;
    for (int i = 50; i < 1000; ++i) {
        feed.cycle();
        peak_growth = std::max(peak_growth, live_bytes.load() - warm);
    }
    const auto growth = live_bytes.load() - warm;
    // Each cycle ends with the shard idle (query) and every slot trimmed: from warm-up to the end
    // the slots may at most fill up with what the small items leave.
    const auto bound = static_cast<std::int64_t>(queue_capacity * small_item_bytes);
    std::printf("live bytes after warm-up %lld, growth %lld (peak %lld), bound %lld\n",
                static_cast<long long>(warm), static_cast<long long>(growth),
                static_cast<long long>(peak_growth), static_cast<long long>(bound));
    EXPECT_LE(growth, bound) << "live bytes after warm-up " << warm << ", growth " << growth
                             << ", peak growth " << peak_growth;
    feed.stop();
}

} // namespace
} // namespace mdg::gateway
