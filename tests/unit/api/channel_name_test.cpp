#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "api/detail/channel_name.hpp"

namespace mdg::api::detail {
namespace {

using model::category;
using model::kline_interval;

std::optional<channel_name> parse(std::string_view s) {
    std::string why;
    auto c = parse_channel(s, why);
    if (c) {
        EXPECT_TRUE(why.empty()) << s << ": " << why;
    }
    return c;
}

/// Expects `s` to be refused with a reason.
void expect_malformed(std::string_view s) {
    std::string why;
    const auto c = parse_channel(s, why);
    EXPECT_FALSE(c) << "'" << s << "' was accepted";
    EXPECT_FALSE(why.empty()) << "'" << s << "' has no reason";
}

TEST(ChannelNameTest, BookChannels) {
    const auto c = parse("book.50.linear.BTCUSDT");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, channel_kind::book);
    EXPECT_EQ(c->depth, 50);
    EXPECT_EQ(c->cat, category::linear);
    EXPECT_EQ(c->symbol, "BTCUSDT");

    const auto one = parse("book.1.spot.ETHUSDT");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->depth, 1);
    EXPECT_EQ(one->cat, category::spot);
    const auto max = parse("book.1000.inverse.BTCUSD");
    ASSERT_TRUE(max);
    EXPECT_EQ(max->depth, 1000);
    EXPECT_EQ(max->cat, category::inverse);
}

TEST(ChannelNameTest, EventChannels) {
    const auto trades = parse("trades.linear.BTCUSDT");
    ASSERT_TRUE(trades);
    EXPECT_EQ(trades->kind, channel_kind::trades);
    EXPECT_EQ(trades->cat, category::linear);
    EXPECT_EQ(trades->symbol, "BTCUSDT");

    const auto ticker = parse("ticker.option.BTC-26DEC25-100000-C");
    ASSERT_TRUE(ticker);
    EXPECT_EQ(ticker->kind, channel_kind::ticker);
    EXPECT_EQ(ticker->cat, category::option);
    EXPECT_EQ(ticker->symbol, "BTC-26DEC25-100000-C");

    const auto liq = parse("liquidations.inverse.ETHUSD");
    ASSERT_TRUE(liq);
    EXPECT_EQ(liq->kind, channel_kind::liquidations);
    EXPECT_EQ(liq->cat, category::inverse);
    EXPECT_EQ(liq->symbol, "ETHUSD");
}

TEST(ChannelNameTest, EveryKlineInterval) {
    const std::vector<std::pair<std::string, kline_interval>> intervals{
        {"1", kline_interval::m1},    {"3", kline_interval::m3},   {"5", kline_interval::m5},
        {"15", kline_interval::m15},  {"30", kline_interval::m30}, {"60", kline_interval::h1},
        {"120", kline_interval::h2},  {"240", kline_interval::h4}, {"360", kline_interval::h6},
        {"720", kline_interval::h12}, {"D", kline_interval::d1},   {"W", kline_interval::w1},
        {"M", kline_interval::mn1},
    };
    for (const auto& [text, iv] : intervals) {
        const auto c = parse("kline." + text + ".linear.BTCUSDT");
        ASSERT_TRUE(c) << text;
        EXPECT_EQ(c->kind, channel_kind::kline);
        EXPECT_EQ(c->interval, iv) << text;
        EXPECT_EQ(c->cat, category::linear);
        EXPECT_EQ(c->symbol, "BTCUSDT");
    }
}

TEST(ChannelNameTest, EveryCategory) {
    for (const auto& [text, cat] :
         std::vector<std::pair<std::string, category>>{{"spot", category::spot},
                                                       {"linear", category::linear},
                                                       {"inverse", category::inverse},
                                                       {"option", category::option}}) {
        const auto c = parse("trades." + text + ".X");
        ASSERT_TRUE(c) << text;
        EXPECT_EQ(c->cat, cat);
    }
}

TEST(ChannelNameTest, WildcardSymbol) {
    for (const std::string s : {"book.50.linear.*", "trades.spot.*", "ticker.linear.*",
                                "kline.D.inverse.*", "liquidations.linear.*"}) {
        const auto c = parse(s);
        ASSERT_TRUE(c) << s;
        EXPECT_EQ(c->symbol, "*") << s;
    }
}

TEST(ChannelNameTest, SymbolCharactersAndLength) {
    for (const std::string s : {"A", "btcusdt", "BTC_USDT", "BTC-USDT", "1000PEPEUSDT", "a-_9Z"}) {
        EXPECT_TRUE(parse("trades.linear." + s)) << s;
    }
    EXPECT_TRUE(parse("trades.linear." + std::string(64, 'A'))) << "64 characters";
    expect_malformed("trades.linear." + std::string(65, 'A'));
    expect_malformed("book.50.linear." + std::string(200, 'B'));
}

TEST(ChannelNameTest, WrongNumberOfParts) {
    for (const std::string s : {
             "",
             ".",
             "book",
             "book.50",
             "book.50.linear",
             "book.50.linear.BTC.USDT",
             "book.linear.BTCUSDT",
             "trades",
             "trades.linear",
             "trades.linear.BTCUSDT.x",
             "trades.50.linear.BTCUSDT",
             "ticker.linear",
             "ticker.linear.BTC.USDT",
             "kline.1.linear",
             "kline.linear.BTCUSDT",
             "kline.1.linear.BTCUSDT.x",
             "liquidations.linear",
             "liquidations.linear.BTCUSDT.",
         }) {
        expect_malformed(s);
    }
}

TEST(ChannelNameTest, UnknownChannelKinds) {
    for (const std::string s :
         {"orderbook.50.linear.BTCUSDT", "Book.50.linear.BTCUSDT", "trade.linear.BTCUSDT",
          "tickers.linear.BTCUSDT", "liquidation.linear.BTCUSDT", "klines.1.linear.BTCUSDT",
          " book.50.linear.BTCUSDT", "*.linear.BTCUSDT"}) {
        expect_malformed(s);
    }
}

TEST(ChannelNameTest, BadBookDepths) {
    for (const std::string d : {"0", "1001", "abc", "", "-1", "+5", "5x", " 5", "5 ", "1e2", "50.0",
                                "65536", "4294967346", "99999999999999999999"}) {
        expect_malformed("book." + d + ".linear.BTCUSDT");
    }
}

TEST(ChannelNameTest, BadKlineIntervals) {
    for (const std::string iv : {"", "0", "2", "1m", "60s", "d", "w", "m", "1D", "1440", "*"}) {
        expect_malformed("kline." + iv + ".linear.BTCUSDT");
    }
}

TEST(ChannelNameTest, BadCategories) {
    for (const std::string c : {"", "futures", "Linear", "LINEAR", "spot ", "*", "perp"}) {
        expect_malformed("trades." + c + ".BTCUSDT");
        expect_malformed("book.50." + c + ".BTCUSDT");
        expect_malformed("kline.1." + c + ".BTCUSDT");
    }
}

TEST(ChannelNameTest, BadSymbols) {
    const std::vector<std::string> symbols{"",
                                           "BTC/USDT",
                                           "BTC USDT",
                                           "BTC*",
                                           "**",
                                           "*BTC",
                                           "BTC+",
                                           "BTC:USDT",
                                           "BTC%2E",
                                           "\xc3\xa9",
                                           std::string("BT\0C", 4),
                                           "BTC\n"};
    for (const auto& s : symbols) {
        expect_malformed("trades.linear." + s);
        expect_malformed("book.50.linear." + s);
    }
}

TEST(ChannelNameTest, FormatRoundTrips) {
    for (const std::string s : {
             "book.1.linear.BTCUSDT",
             "book.50.spot.ETHUSDT",
             "book.1000.inverse.BTCUSD",
             "trades.linear.BTCUSDT",
             "ticker.option.BTC-26DEC25-100000-C",
             "kline.1.linear.BTCUSDT",
             "kline.720.spot.ETHUSDT",
             "kline.D.linear.BTCUSDT",
             "kline.W.linear.BTCUSDT",
             "kline.M.linear.BTCUSDT",
             "liquidations.linear.BTCUSDT",
             "ticker.linear.*",
         }) {
        const auto c = parse(s);
        ASSERT_TRUE(c) << s;
        EXPECT_EQ(format_channel(*c, c->symbol), s);
        const auto again = parse(format_channel(*c, c->symbol));
        ASSERT_TRUE(again) << s;
        EXPECT_EQ(again->kind, c->kind);
        EXPECT_EQ(again->depth, c->depth);
        EXPECT_EQ(again->interval, c->interval);
        EXPECT_EQ(again->cat, c->cat);
        EXPECT_EQ(again->symbol, c->symbol);
    }
}

TEST(ChannelNameTest, FormatReplacesTheSymbol) {
    const auto all = parse("ticker.linear.*");
    ASSERT_TRUE(all);
    EXPECT_EQ(format_channel(*all, "ETHUSDT"), "ticker.linear.ETHUSDT");
    const auto book = parse("book.200.spot.*");
    ASSERT_TRUE(book);
    EXPECT_EQ(format_channel(*book, "BTCUSDT"), "book.200.spot.BTCUSDT");
    const auto kline = parse("kline.240.inverse.*");
    ASSERT_TRUE(kline);
    EXPECT_EQ(format_channel(*kline, "BTCUSD"), "kline.240.inverse.BTCUSD");
}

} // namespace
} // namespace mdg::api::detail
