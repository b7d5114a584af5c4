#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/shard_router.hpp"
#include "metrics/registry.hpp"

namespace mdg::gateway {
namespace {

using book::book_state;
using exchange::bybit::channel;
using exchange::bybit::decoded_frame;
using exchange::bybit::frame_type;

constexpr auto linear = model::category::linear;

class ShardRouterTest : public ::testing::Test {
  protected:
    ShardRouterTest() {
        btc = registry.intern(model::venue::bybit, linear, "BTCUSDT");
        eth = registry.intern(model::venue::bybit, linear, "ETHUSDT");
        for (std::size_t c = 0; c < counters.size(); ++c) {
            counters[c] = &reg.counter(
                "frames_total", "",
                {{"channel", std::string(exchange::bybit::to_string(static_cast<channel>(c)))}});
        }
        fill_book(btc_book, btc);
        fill_book(eth_book, eth);
        fill_ticker(btc_ticker, btc);
    }

    // `n` shards that are not started: what the router queues stays in their rings.
    void make_shards(std::size_t n, std::size_t capacity) {
        for (std::size_t i = 0; i < n; ++i) {
            shards.push_back(std::make_unique<dispatch::shard>(
                dispatch::shard::options{.index = i, .queue_capacity = capacity}, nullptr));
        }
    }

    dispatch::shard& owner(model::instrument_id id) { return *shards[id.value % shards.size()]; }

    // A depth-50 book snapshot with one level per side.
    static void fill_book(decoded_frame& f, model::instrument_id id) {
        f.type = frame_type::orderbook;
        f.topic.ch = channel::orderbook;
        f.topic.depth = 50;
        f.instrument = id;
        f.bid_buf.assign(1, {model::price{100}, model::qty{1}});
        f.ask_buf.assign(1, {model::price{110}, model::qty{1}});
        f.book.instrument = id;
        f.book.depth = 50;
        f.book.kind = model::update_kind::snapshot;
        f.book.update_id = 1;
        f.book.bids = f.bid_buf;
        f.book.asks = f.ask_buf;
    }

    static void fill_ticker(decoded_frame& f, model::instrument_id id) {
        f.type = frame_type::ticker;
        f.topic.ch = channel::tickers;
        f.instrument = id;
        f.ticker.instrument = id;
    }

    book_state state_of(model::instrument_id id) {
        book_state st{};
        EXPECT_TRUE(owner(id).query(
            [&](const market::market_state& m) { st = m.book(id, 50)->book.state(); }));
        return st;
    }

    metrics::registry reg;
    model::instrument_registry registry;
    model::instrument_id btc;
    model::instrument_id eth;
    shard_router::channel_counters counters{};
    std::vector<std::unique_ptr<dispatch::shard>> shards;
    // Frames filled once: a book frame's spans view its own bid_buf/ask_buf (never moved).
    decoded_frame btc_book;
    decoded_frame eth_book;
    decoded_frame btc_ticker;
};

TEST_F(ShardRouterTest, RoutesEachFrameToTheShardOwningItsInstrument) {
    make_shards(2, 8);
    ASSERT_NE(btc.value % 2, eth.value % 2);
    owner(eth).expect_book(eth, 50);
    shard_router r(0, linear, registry, shards, counters);

    EXPECT_FALSE(r.on_data(btc_ticker));
    EXPECT_FALSE(r.on_data(eth_book));
    EXPECT_FALSE(r.on_data(btc_ticker));

    EXPECT_EQ(owner(btc).queue_depth(), 2U);
    EXPECT_EQ(owner(eth).queue_depth(), 1U);
    EXPECT_EQ(r.data_frames(), 3U);
    EXPECT_EQ(counters[static_cast<std::size_t>(channel::tickers)]->value(), 2U);
    EXPECT_EQ(counters[static_cast<std::size_t>(channel::orderbook)]->value(), 1U);
    // The copies hold the frame's content: the shard applies them.
    for (auto& s : shards) {
        s->start();
    }
    EXPECT_EQ(state_of(eth), book_state::live);
    bool has_ticker = false;
    ASSERT_TRUE(owner(btc).query(
        [&](const market::market_state& m) { has_ticker = m.ticker(btc) != nullptr; }));
    EXPECT_TRUE(has_ticker);
}

TEST_F(ShardRouterTest, FullQueueDropsTheFrameAndResubscribesOnlyABook) {
    make_shards(1, 2);
    shard_router r(0, linear, registry, shards, counters);
    EXPECT_FALSE(r.on_data(btc_ticker));
    EXPECT_FALSE(r.on_data(btc_ticker));

    EXPECT_FALSE(r.on_data(btc_ticker)); // dropped; a ticker carries the whole state again soon
    EXPECT_TRUE(r.on_data(btc_book));    // dropped; a gap in the book: resubscribe it

    EXPECT_EQ(shards[0]->queue_depth(), 2U);
    EXPECT_EQ(shards[0]->stats().dropped_full.load(), 2U);
    EXPECT_EQ(r.data_frames(), 4U);
}

TEST_F(ShardRouterTest, ConnectionLostMarksBooksTickersAndTradesStale) {
    make_shards(2, 8);
    owner(btc).expect_book(btc, 50);
    shard_router r(0, linear, registry, shards, counters);
    ASSERT_FALSE(r.on_data(btc_book));
    ASSERT_FALSE(r.on_data(btc_ticker));

    const std::vector<std::string> topics{"orderbook.50.BTCUSDT", "tickers.BTCUSDT",
                                          "publicTrade.ETHUSDT",  "orderbook.50.XRPUSDT",
                                          "kline.1.BTCUSDT",      "not-a-topic"};
    r.on_connection_lost(topics);

    // A mark for the book, the ticker and the trades of known symbols; none for candles.
    EXPECT_EQ(owner(btc).queue_depth(), 4U);
    EXPECT_EQ(owner(eth).queue_depth(), 1U);
    EXPECT_EQ(r.data_frames(), 2U);
    for (auto& s : shards) {
        s->start();
    }
    // The snapshot made the book live; the mark that follows makes it stale, and its
    // continuity is lost.
    EXPECT_EQ(state_of(btc), book_state::stale);
    bool ticker_stale = false;
    bool needs_snapshot = false;
    ASSERT_TRUE(owner(btc).query([&](const market::market_state& m) {
        ticker_stale = m.ticker(btc)->stale();
        needs_snapshot = m.book(btc, 50)->needs_snapshot;
    }));
    EXPECT_TRUE(ticker_stale);
    EXPECT_TRUE(needs_snapshot);
}

TEST_F(ShardRouterTest, LostNoticeRefusedByAFullQueueGoesWithTheNextFrame) {
    make_shards(1, 2);
    shards[0]->expect_book(btc, 50);
    shard_router r(0, linear, registry, shards, counters);
    ASSERT_FALSE(r.on_data(btc_book));
    ASSERT_FALSE(r.on_data(btc_ticker));

    const std::vector<std::string> topics{"orderbook.50.BTCUSDT"};
    r.on_connection_lost(topics); // the queue is full: the notice waits
    EXPECT_EQ(shards[0]->stats().dropped_full.load(), 1U);

    shards[0]->start();
    EXPECT_EQ(state_of(btc), book_state::live); // queue drained, the notice not sent yet
    EXPECT_FALSE(r.on_data(btc_ticker));        // sends the notice first, then the ticker
    EXPECT_EQ(state_of(btc), book_state::stale);
    EXPECT_EQ(shards[0]->stats().dropped_full.load(), 1U);
}

TEST_F(ShardRouterTest, AnUnusableBookMessageResyncsTheBookInItsShardInOrder) {
    std::vector<std::uint32_t> resync_sources; // written on the shard thread, read after query
    shards.push_back(std::make_unique<dispatch::shard>(
        dispatch::shard::options{.index = 0,
                                 .queue_capacity = 2,
                                 .resync =
                                     [&](std::uint32_t src, model::instrument_id, std::uint16_t) {
                                         resync_sources.push_back(src);
                                     }},
        nullptr));
    shards[0]->expect_book(btc, 50);
    shard_router r(4, linear, registry, shards, counters);
    ASSERT_FALSE(r.on_data(btc_book));
    ASSERT_FALSE(r.on_data(btc_ticker));

    exchange::bybit::decode_failure why;
    why.reason = errc::precision_exceeded;
    why.topic_known = true;
    why.topic.ch = channel::orderbook;
    why.topic.depth = 50;
    why.instrument = btc;
    why.kind = model::update_kind::delta;
    EXPECT_FALSE(r.on_unusable(why)); // the shard asks for the resync; the queue is full: waits
    EXPECT_EQ(shards[0]->stats().dropped_full.load(), 1U);

    shards[0]->start();
    EXPECT_EQ(state_of(btc), book_state::live); // the mark is not sent yet
    EXPECT_FALSE(r.on_data(btc_ticker));        // sends the mark first, then the ticker
    EXPECT_EQ(state_of(btc), book_state::resyncing);
    EXPECT_EQ(shards[0]->stats().unusable.load(), 1U);
    EXPECT_EQ(shards[0]->stats().resyncs.load(), 1U);
    EXPECT_EQ(resync_sources, std::vector<std::uint32_t>{4});
}

TEST_F(ShardRouterTest, SilenceBeyondTheThresholdMarksOnceUntilNewData) {
    make_shards(1, 16);
    shards[0]->expect_book(btc, 50);
    shards[0]->start();
    shard_router r(0, linear, registry, shards, counters);
    exchange::subscription_set subs(linear, {"orderbook.50.BTCUSDT", "tickers.BTCUSDT",
                                             "publicTrade.BTCUSDT", "kline.1.BTCUSDT"});
    // Data makes a topic active (as after its acknowledgement).
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& [t, info] : subs.topics()) {
        subs.on_data(t, t0);
    }
    ASSERT_FALSE(r.on_data(btc_book));
    ASSERT_FALSE(r.on_data(btc_ticker));
    const freshness f{.orderbook = std::chrono::milliseconds{1000},
                      .tickers = std::chrono::milliseconds{2000},
                      .kline = std::chrono::milliseconds{1000},
                      .trades = std::chrono::milliseconds{0},
                      .liquidations = std::chrono::milliseconds{0}};
    auto marks = [&] {
        return shards[0]->stats().stale_marks.load();
    };
    auto settle = [&] {
        (void)shards[0]->query([](const market::market_state&) {});
    };

    r.check_silence(subs, f, t0 + std::chrono::milliseconds{1000}); // at the threshold: fresh
    settle();
    EXPECT_EQ(marks(), 0U);
    EXPECT_EQ(state_of(btc), book_state::live);

    r.check_silence(subs, f, t0 + std::chrono::milliseconds{1500}); // the book only
    settle();
    EXPECT_EQ(state_of(btc), book_state::stale);
    EXPECT_EQ(marks(), 1U);
    EXPECT_EQ(shards[0]->queue_depth(), 0U);

    r.check_silence(subs, f, t0 + std::chrono::milliseconds{2500}); // + the ticker, once
    r.check_silence(subs, f, t0 + std::chrono::milliseconds{3000});
    settle();
    EXPECT_EQ(marks(), 2U);
    EXPECT_EQ(shards[0]->stats().items.load(), 4U); // 2 frames + 2 marks: nothing repeated
    bool needs_snapshot = true;
    ASSERT_TRUE(shards[0]->query(
        [&](const market::market_state& m) { needs_snapshot = m.book(btc, 50)->needs_snapshot; }));
    EXPECT_FALSE(needs_snapshot); // silence keeps continuity
}

} // namespace
} // namespace mdg::gateway
