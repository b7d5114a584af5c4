#include <set>

#include <gtest/gtest.h>

#include "exchange/bybit/plan.hpp"

namespace mdg::exchange::bybit {
namespace {

using model::category;

// The old production setup: five topics per symbol, in the old service's order.
std::vector<std::string> old_setup(int symbols) {
    std::vector<std::string> out;
    for (int i = 0; i < symbols; ++i) {
        const std::string s = "SYM" + std::to_string(i) + "USDT";
        for (const char* prefix :
             {"tickers.", "kline.1.", "orderbook.50.", "publicTrade.", "allLiquidation."}) {
            out.push_back(prefix + s);
        }
    }
    return out;
}

TEST(BybitPlanTest, FaithfulChunksOfEightGiveTenConnectionsForFifteenSymbols) {
    std::string reason;
    auto plans = plan_connections(category::linear, old_setup(15), {8, false}, reason);
    ASSERT_TRUE(plans) << reason;
    ASSERT_EQ(plans->size(), 10U); // conn_0..conn_9, as in the old service
    EXPECT_EQ(plans->front().id, "conn_0");
    EXPECT_EQ(plans->back().id, "conn_9");
    EXPECT_EQ(plans->back().topics.size(), 3U);
    // Chunking straddles symbols: SYM1's topics are on conn_0 and conn_1.
    EXPECT_EQ((*plans)[0].topics.back(), "orderbook.50.SYM1USDT");
    EXPECT_EQ((*plans)[1].topics.front(), "publicTrade.SYM1USDT");
}

TEST(BybitPlanTest, SymbolAlignedPackingNeverSplitsASymbol) {
    std::string reason;
    auto plans = plan_connections(category::linear, old_setup(15), {10, true}, reason);
    ASSERT_TRUE(plans) << reason;
    ASSERT_EQ(plans->size(), 8U); // 2 symbols per connection, the last one alone
    for (const auto& p : *plans) {
        std::set<std::string> symbols;
        for (const auto& t : p.topics) {
            symbols.insert(t.substr(t.rfind('.') + 1));
        }
        EXPECT_LE(symbols.size(), 2U) << p.id;
        EXPECT_EQ(p.topics.size() % 5, 0U) << p.id;
    }
}

TEST(BybitPlanTest, WithoutACapTheArgsBudgetDecides) {
    std::string reason;
    auto plans = plan_connections(category::linear, old_setup(400), {}, reason);
    ASSERT_TRUE(plans) << reason;
    EXPECT_GT(plans->size(), 1U);
    for (const auto& p : *plans) {
        std::size_t chars = 0;
        for (const auto& t : p.topics) {
            chars += t.size() + 3;
        }
        EXPECT_LE(chars, 21'000U) << p.id;
    }
    std::size_t total = 0;
    for (const auto& p : *plans) {
        total += p.topics.size();
    }
    EXPECT_EQ(total, 2000U);
}

TEST(BybitPlanTest, DuplicatesAreDroppedAndBadTopicsRejected) {
    std::string reason;
    auto plans = plan_connections(category::linear,
                                  {"tickers.BTCUSDT", "tickers.BTCUSDT", "orderbook.50.BTCUSDT"},
                                  {}, reason);
    ASSERT_TRUE(plans);
    EXPECT_EQ(plans->front().topics.size(), 2U);
    EXPECT_FALSE(plan_connections(category::linear, {"orderbook.500.BTCUSDT"}, {}, reason));
    EXPECT_NE(reason.find("retired"), std::string::npos) << reason;
    EXPECT_FALSE(plan_connections(category::linear, old_setup(1), {3, true}, reason));
    EXPECT_NE(reason.find("SYM0USDT"), std::string::npos) << reason;
}

} // namespace
} // namespace mdg::exchange::bybit
