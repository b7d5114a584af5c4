#include <gtest/gtest.h>

#include "exchange/bybit/topic.hpp"

namespace mdg::exchange::bybit {
namespace {

using model::category;
using model::kline_interval;

TEST(BybitTopicTest, ParsesEveryPublicChannel) {
    auto ob = parse_topic("orderbook.200.BTCUSDT");
    ASSERT_TRUE(ob);
    EXPECT_EQ(ob->ch, channel::orderbook);
    EXPECT_EQ(ob->depth, 200);
    EXPECT_EQ(ob->symbol, "BTCUSDT");

    auto kl = parse_topic("kline.D.ETHUSDT");
    ASSERT_TRUE(kl);
    EXPECT_EQ(kl->ch, channel::kline);
    EXPECT_EQ(kl->interval, kline_interval::d1);

    EXPECT_EQ(parse_topic("publicTrade.BTC")->ch, channel::public_trade);
    EXPECT_EQ(parse_topic("tickers.BTC-6JAN23-18000-C")->symbol, "BTC-6JAN23-18000-C");
    EXPECT_EQ(parse_topic("allLiquidation.PIPPINUSDT")->ch, channel::all_liquidation);
    EXPECT_EQ(parse_topic("liquidation.XRPUSD")->ch, channel::liquidation);
}

TEST(BybitTopicTest, EveryKlineIntervalRoundTrips) {
    for (std::string_view iv :
         {"1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"}) {
        const std::string text = "kline." + std::string(iv) + ".BTCUSDT";
        auto t = parse_topic(text);
        ASSERT_TRUE(t) << text;
        EXPECT_EQ(format_topic(*t), text);
    }
    EXPECT_FALSE(parse_topic("kline.2.BTCUSDT"));
}

TEST(BybitTopicTest, RecordedRetiredDepthsStillDecode) {
    // Bybit's archive files carry orderbook.500 (protocol notes §7.4).
    auto t = parse_topic("orderbook.500.XRPUSDT");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->depth, 500);
    EXPECT_EQ(format_topic(*t), "orderbook.500.XRPUSDT");
}

TEST(BybitTopicTest, RejectsMalformedTopics) {
    for (std::string_view s :
         {"", "orderbook", "orderbook.50", "orderbook.x.BTCUSDT", "orderbook.0.BTCUSDT",
          "orderbook.5000.BTCUSDT", "tickers.", "tickers.btcusdt", "publicTrade.BTC USDT",
          "tickers.BTC.USDT", "orderbook.50.BTC\"USDT"}) {
        auto t = parse_topic(s);
        EXPECT_FALSE(t) << s;
        if (!t) {
            EXPECT_EQ(t.error(), make_error_code(errc::unknown_topic)) << s;
        }
    }
    EXPECT_EQ(parse_topic("funding.BTCUSDT").error(), make_error_code(errc::unknown_channel));
}

TEST(BybitTopicTest, SubscriptionsAreHeldToTodaysDepths) {
    std::string reason;
    EXPECT_FALSE(validate_subscription(category::linear, "orderbook.50.BTCUSDT", reason));
    EXPECT_FALSE(validate_subscription(category::spot, "orderbook.1000.BTCUSDT", reason));
    EXPECT_FALSE(
        validate_subscription(category::option, "orderbook.25.BTC-6JAN23-18000-C", reason));

    auto ec = validate_subscription(category::linear, "orderbook.500.BTCUSDT", reason);
    EXPECT_EQ(ec, make_error_code(errc::invalid_argument));
    EXPECT_NE(reason.find("retired"), std::string::npos) << reason;
    EXPECT_NE(reason.find("1, 50, 200, 1000"), std::string::npos) << reason;

    EXPECT_TRUE(validate_subscription(category::linear, "orderbook.25.BTCUSDT", reason));
    EXPECT_TRUE(validate_subscription(category::option, "orderbook.50.BTC-X", reason));
}

TEST(BybitTopicTest, ChannelsAreCheckedAgainstTheCategory) {
    std::string reason;
    EXPECT_FALSE(validate_subscription(category::inverse, "allLiquidation.BTCUSD", reason));
    EXPECT_TRUE(validate_subscription(category::spot, "allLiquidation.BTCUSDT", reason));
    EXPECT_TRUE(validate_subscription(category::linear, "liquidation.BTCUSDT", reason));
    EXPECT_NE(reason.find("allLiquidation"), std::string::npos);
    EXPECT_TRUE(validate_subscription(category::linear, "nonsense", reason));
}

} // namespace
} // namespace mdg::exchange::bybit
