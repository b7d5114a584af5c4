#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "market/trade_ring.hpp"

namespace mdg::market {
namespace {

model::trade trade(std::string_view id, std::int64_t ts_ms, std::int64_t px = 100) {
    model::trade t;
    t.instrument = model::instrument_id{1};
    t.ts_exchange = unix_nanos::from_millis(ts_ms);
    t.ts_recv = unix_nanos::from_millis(ts_ms + 3);
    t.px = model::price{px};
    t.sz = model::qty{1};
    t.taker_side = model::side::sell;
    EXPECT_TRUE(t.id.assign(id));
    return t;
}

std::string id_of(std::int64_t n) {
    return "t" + std::to_string(n);
}

TEST(TradeRingTest, IsPreallocatedWithDefaultCapacity) {
    const trade_ring ring;
    EXPECT_EQ(ring.capacity(), 1000U);
    EXPECT_TRUE(ring.empty());
}

TEST(TradeRingTest, NewestIsTheMostRecentlyPushed) {
    trade_ring ring{4};
    EXPECT_TRUE(ring.push(trade("a", 10)));
    EXPECT_TRUE(ring.push(trade("b", 20)));
    ASSERT_EQ(ring.size(), 2U);
    EXPECT_EQ(ring.newest().id.view(), "b");
    EXPECT_EQ(ring.oldest().id.view(), "a");
    EXPECT_EQ(ring.at(0).id.view(), "a");
}

TEST(TradeRingTest, DuplicateIdIsRejected) {
    trade_ring ring{4};
    EXPECT_TRUE(ring.push(trade("a", 10, 100)));
    EXPECT_FALSE(ring.push(trade("a", 11, 999)));
    ASSERT_EQ(ring.size(), 1U);
    EXPECT_EQ(ring.newest().px, model::price{100});
    EXPECT_EQ(ring.duplicate_count(), 1U);
    EXPECT_EQ(ring.accepted_count(), 1U);
}

TEST(TradeRingTest, EvictedIdIsAcceptedAgain) {
    trade_ring ring{3};
    for (const char* id : {"a", "b", "c", "d"}) {
        ASSERT_TRUE(ring.push(trade(id, 10)));
    }
    EXPECT_FALSE(ring.contains(trade("a", 0).id));
    EXPECT_TRUE(ring.contains(trade("b", 0).id));
    EXPECT_TRUE(ring.push(trade("a", 20)));
    EXPECT_FALSE(ring.push(trade("c", 20))); // still in the ring
    EXPECT_EQ(ring.oldest().id.view(), "c");
    EXPECT_EQ(ring.newest().id.view(), "a");
}

TEST(TradeRingTest, LastTsExchangeIsTheMaxSeen) {
    trade_ring ring{4};
    (void)ring.push(trade("a", 50));
    (void)ring.push(trade("b", 30)); // out of order within a batch
    EXPECT_EQ(ring.newest().id.view(), "b");
    EXPECT_EQ(ring.last_ts_exchange(), unix_nanos::from_millis(50));
    EXPECT_EQ(ring.last_ts_recv(), unix_nanos::from_millis(33));
}

TEST(TradeRingTest, DuplicateDoesNotMoveFreshness) {
    trade_ring ring{4};
    (void)ring.push(trade("a", 50));
    (void)ring.push(trade("a", 90));
    EXPECT_EQ(ring.last_ts_exchange(), unix_nanos::from_millis(50));
    EXPECT_EQ(ring.last_ts_recv(), unix_nanos::from_millis(53));
}

TEST(TradeRingTest, EmptyIdIsNeverDeduplicated) {
    trade_ring ring{2};
    EXPECT_TRUE(ring.push(trade("", 1)));
    EXPECT_TRUE(ring.push(trade("", 2)));
    EXPECT_TRUE(ring.push(trade("", 3))); // evicts an id-less trade: nothing to forget
    EXPECT_EQ(ring.size(), 2U);
    EXPECT_FALSE(ring.contains(model::trade_id{}));
}

TEST(TradeRingTest, StaleFlagClearsOnNextAcceptedTrade) {
    trade_ring ring{4};
    (void)ring.push(trade("a", 1));
    ring.mark_stale();
    EXPECT_TRUE(ring.stale());
    (void)ring.push(trade("a", 2)); // duplicate: not fresh data
    EXPECT_TRUE(ring.stale());
    (void)ring.push(trade("b", 3));
    EXPECT_FALSE(ring.stale());
}

TEST(TradeRingTest, MemoryStaysBoundedAndIdSetTracksTheWindow) {
    trade_ring ring; // 1000
    constexpr std::int64_t n = 100'000;
    for (std::int64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(ring.push(trade(id_of(i), i)));
        // Re-sending the previous trade (a common venue replay after reconnect) is refused.
        if (i > 0) {
            ASSERT_FALSE(ring.push(trade(id_of(i - 1), i)));
        }
    }
    EXPECT_EQ(ring.size(), 1000U);
    EXPECT_EQ(ring.newest().id.view(), id_of(n - 1));
    EXPECT_EQ(ring.oldest().id.view(), id_of(n - 1000));
    model::trade_id id;
    ASSERT_TRUE(id.assign(id_of(n - 1000)));
    EXPECT_TRUE(ring.contains(id));
    ASSERT_TRUE(id.assign(id_of(n - 1001)));
    EXPECT_FALSE(ring.contains(id));
    EXPECT_EQ(ring.accepted_count(), static_cast<std::uint64_t>(n));
    EXPECT_EQ(ring.duplicate_count(), static_cast<std::uint64_t>(n - 1));
}

std::string ids(const trade_ring& r) {
    std::string out;
    for (std::size_t i = 0; i < r.size(); ++i) {
        out += std::string(r.at(i).id.view()) + " ";
    }
    return out;
}

TEST(TradeRingTest, HistoryGoesInByTimeWithoutDuplicatesAndFreshnessStaysTheStreams) {
    trade_ring ring{6};
    ASSERT_TRUE(ring.push(trade("c", 30)));
    ASSERT_TRUE(ring.push(trade("e", 50)));
    ring.mark_stale();
    const auto recv = ring.last_ts_recv();
    // History (oldest first) overlapping the stream: c is a duplicate, b, d go between, a
    // before, x twice in the history itself.
    const std::vector<model::trade> history{trade("a", 10), trade("b", 20), trade("c", 30),
                                            trade("x", 35), trade("x", 35), trade("d", 40)};
    EXPECT_EQ(ring.merge(history), 4U);
    EXPECT_EQ(ids(ring), "a b c x d e ");
    EXPECT_EQ(ring.duplicate_count(), 2U);
    EXPECT_EQ(ring.accepted_count(), 6U);
    EXPECT_EQ(ring.last_ts_recv(), recv);
    EXPECT_TRUE(ring.stale());
    EXPECT_TRUE(ring.contains(history[0].id));
    // Full: the next stream trade evicts the oldest, and its id is forgotten.
    ASSERT_TRUE(ring.push(trade("f", 60)));
    EXPECT_EQ(ids(ring), "b c x d e f ");
    EXPECT_FALSE(ring.contains(history[0].id));
    EXPECT_FALSE(ring.push(trade("d", 40))); // still known
    // Merging what is all known changes nothing.
    // Merging it again: only a is unknown (forgotten), and it is too old to be kept.
    EXPECT_EQ(ring.merge(history), 0U);
    EXPECT_EQ(ids(ring), "b c x d e f ");
}

TEST(TradeRingTest, HistoryLargerThanTheRingKeepsTheNewest) {
    trade_ring ring{3};
    ASSERT_TRUE(ring.push(trade("s", 100)));
    std::vector<model::trade> history;
    for (int i = 0; i < 5; ++i) {
        history.push_back(trade(id_of(i), 10 * i));
    }
    EXPECT_EQ(ring.merge(history), 2U);
    EXPECT_EQ(ids(ring), "t3 t4 s ");
    EXPECT_EQ(ring.newest().id.view(), "s");
    EXPECT_FALSE(ring.contains(history[0].id));
    EXPECT_TRUE(ring.contains(history[4].id));
}

} // namespace
} // namespace mdg::market
