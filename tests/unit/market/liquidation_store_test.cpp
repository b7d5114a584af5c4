#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "market/liquidation_store.hpp"

namespace mdg::market {
namespace {

using namespace std::chrono_literals;

model::liquidation liq(std::int64_t ts_s, model::side position_side = model::side::buy,
                       std::int64_t px = 65000, std::int64_t sz = 10) {
    model::liquidation l;
    l.instrument = model::instrument_id{1};
    l.ts_exchange = unix_nanos::from_millis(ts_s * 1000);
    l.ts_recv = unix_nanos::from_millis(ts_s * 1000 + 7);
    l.position_side = position_side;
    l.px = model::price{px};
    l.sz = model::qty{sz};
    return l;
}

TEST(LiquidationStoreTest, HasDocumentedDefaults) {
    const liquidation_store store;
    EXPECT_EQ(store.capacity(), 10000U);
    EXPECT_EQ(store.max_age(), std::chrono::nanoseconds{24h});
}

TEST(LiquidationStoreTest, SameTupleIsADuplicate) {
    liquidation_store store{8, 1h};
    EXPECT_TRUE(store.push(liq(1)));
    EXPECT_FALSE(store.push(liq(1)));
    EXPECT_EQ(store.size(), 1U);
    EXPECT_EQ(store.duplicate_count(), 1U);
}

TEST(LiquidationStoreTest, AnyDifferingKeyFieldIsANewEvent) {
    liquidation_store store{8, 1h};
    EXPECT_TRUE(store.push(liq(1, model::side::buy, 65000, 10)));
    EXPECT_TRUE(store.push(liq(2, model::side::buy, 65000, 10)));
    EXPECT_TRUE(store.push(liq(1, model::side::sell, 65000, 10)));
    EXPECT_TRUE(store.push(liq(1, model::side::buy, 65001, 10)));
    EXPECT_TRUE(store.push(liq(1, model::side::buy, 65000, 11)));
    EXPECT_EQ(store.size(), 5U);
}

TEST(LiquidationStoreTest, ReceiveTimeIsNotPartOfTheKey) {
    liquidation_store store{8, 1h};
    model::liquidation again = liq(1);
    again.ts_recv = unix_nanos::from_millis(999'999);
    EXPECT_TRUE(store.push(liq(1)));
    EXPECT_FALSE(store.push(again));
}

// Bybit allLiquidation: S = "Buy" means a long position was liquidated. The store keeps the
// position side exactly as decoded, so a Buy stays a long liquidation (docs/venues/bybit.md).
TEST(LiquidationStoreTest, BuyPositionSideMeansLongLiquidatedAndIsKept) {
    liquidation_store store{8, 1h};
    ASSERT_TRUE(store.push(liq(1, model::side::buy)));
    ASSERT_TRUE(store.push(liq(2, model::side::sell)));
    EXPECT_EQ(store.at(0).position_side, model::side::buy);  // long liquidated
    EXPECT_EQ(store.at(1).position_side, model::side::sell); // short liquidated
}

TEST(LiquidationStoreTest, EventsOlderThanWindowFromNewestAreEvicted) {
    liquidation_store store{100, 10s};
    ASSERT_TRUE(store.push(liq(0)));
    ASSERT_TRUE(store.push(liq(5)));
    ASSERT_TRUE(store.push(liq(12))); // window starts at 2 s: the event at 0 s goes
    ASSERT_EQ(store.size(), 2U);
    EXPECT_EQ(store.oldest().ts_exchange, liq(5).ts_exchange);
    EXPECT_EQ(store.aged_out_count(), 1U);
    EXPECT_EQ(store.newest_ts_exchange(), liq(12).ts_exchange);
}

TEST(LiquidationStoreTest, EventExactlyAtWindowStartIsKept) {
    liquidation_store store{100, 10s};
    ASSERT_TRUE(store.push(liq(0)));
    ASSERT_TRUE(store.push(liq(10)));
    EXPECT_EQ(store.size(), 2U);
    ASSERT_TRUE(store.push(liq(11)));
    EXPECT_EQ(store.size(), 2U);
}

TEST(LiquidationStoreTest, EventAlreadyOutsideWindowIsRejected) {
    liquidation_store store{100, 10s};
    ASSERT_TRUE(store.push(liq(100)));
    EXPECT_FALSE(store.push(liq(50)));
    EXPECT_EQ(store.size(), 1U);
    EXPECT_EQ(store.expired_count(), 1U);
    EXPECT_TRUE(store.push(liq(95))); // late but inside the window
    EXPECT_EQ(store.newest().ts_exchange, liq(95).ts_exchange);
    EXPECT_EQ(store.newest_ts_exchange(), liq(100).ts_exchange);
}

TEST(LiquidationStoreTest, AgeEvictionWorksFromTheOldestSideOnly) {
    liquidation_store store{100, 10s};
    ASSERT_TRUE(store.push(liq(20)));
    ASSERT_TRUE(store.push(liq(15))); // arrives late, behind the front
    ASSERT_TRUE(store.push(liq(26))); // window starts at 16 s; the front (20 s) is inside
    EXPECT_EQ(store.size(), 3U);
    ASSERT_TRUE(store.push(liq(31))); // window starts at 21 s: both old events go
    EXPECT_EQ(store.size(), 2U);
    EXPECT_EQ(store.oldest().ts_exchange, liq(26).ts_exchange);
}

TEST(LiquidationStoreTest, CountCapEvictsOldest) {
    liquidation_store store{3, 24h};
    for (std::int64_t s = 0; s < 5; ++s) {
        ASSERT_TRUE(store.push(liq(s)));
    }
    ASSERT_EQ(store.size(), 3U);
    EXPECT_EQ(store.oldest().ts_exchange, liq(2).ts_exchange);
    EXPECT_EQ(store.aged_out_count(), 0U);
}

TEST(LiquidationStoreTest, EvictedKeyIsAcceptedAgain) {
    liquidation_store store{2, 24h};
    ASSERT_TRUE(store.push(liq(1)));
    ASSERT_TRUE(store.push(liq(2)));
    ASSERT_TRUE(store.push(liq(3))); // evicts the event at 1 s
    EXPECT_FALSE(store.contains(liq(1)));
    EXPECT_TRUE(store.push(liq(1)));
    EXPECT_FALSE(store.push(liq(3)));
}

TEST(LiquidationStoreTest, AgedOutKeyIsForgotten) {
    liquidation_store store{100, 10s};
    ASSERT_TRUE(store.push(liq(0)));
    ASSERT_TRUE(store.push(liq(20)));
    EXPECT_FALSE(store.contains(liq(0)));
    EXPECT_EQ(store.size(), 1U);
}

TEST(LiquidationStoreTest, MemoryStaysBoundedOverManyPushes) {
    liquidation_store store; // 10000, 24 h
    constexpr std::int64_t n = 100'000;
    for (std::int64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(store.push(liq(i / 10, model::side::buy, 65000 + i % 10)));
    }
    EXPECT_EQ(store.size(), 10000U);
    EXPECT_EQ(store.capacity(), 10000U);
    EXPECT_EQ(store.accepted_count(), static_cast<std::uint64_t>(n));
    EXPECT_TRUE(store.contains(liq((n - 1) / 10, model::side::buy, 65000 + (n - 1) % 10)));
    EXPECT_FALSE(store.contains(liq(0)));
}

TEST(LiquidationStoreTest, MemoryStaysBoundedByAgeOverADay) {
    liquidation_store store{10000, 1h};
    // One event a second for 28 h: the 1 h window keeps at most 3601 of them.
    for (std::int64_t s = 0; s < 100'000; ++s) {
        ASSERT_TRUE(store.push(liq(s)));
    }
    EXPECT_EQ(store.size(), 3601U);
    EXPECT_EQ(store.oldest().ts_exchange, liq(100'000 - 3601).ts_exchange);
}

} // namespace
} // namespace mdg::market
