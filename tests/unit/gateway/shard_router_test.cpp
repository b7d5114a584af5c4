#include <array>
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

TEST_F(ShardRouterTest, ConnectionLostQueuesBooksLostForOrderbookTopicsOnly) {
    make_shards(2, 8);
    owner(btc).expect_book(btc, 50);
    shard_router r(0, linear, registry, shards, counters);
    ASSERT_FALSE(r.on_data(btc_book));

    const std::vector<std::string> topics{"orderbook.50.BTCUSDT", "tickers.BTCUSDT",
                                          "publicTrade.ETHUSDT", "orderbook.50.XRPUSDT",
                                          "not-a-topic"};
    r.on_connection_lost(topics);

    // One notice, for the one known book; nothing for the other channels.
    EXPECT_EQ(owner(btc).queue_depth(), 2U);
    EXPECT_EQ(owner(eth).queue_depth(), 0U);
    EXPECT_EQ(r.data_frames(), 1U);
    // The snapshot made the book live; the notice that follows sends it back to syncing.
    for (auto& s : shards) {
        s->start();
    }
    EXPECT_EQ(state_of(btc), book_state::syncing);
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
    EXPECT_EQ(state_of(btc), book_state::syncing);
    EXPECT_EQ(shards[0]->stats().dropped_full.load(), 1U);
}

} // namespace
} // namespace mdg::gateway
