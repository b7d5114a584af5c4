#include <string>

#include <gtest/gtest.h>

#include "exchange/bybit/rest_parse.hpp"

namespace mdg::exchange::bybit {
namespace {

using model::kline_interval;

// The example of Bybit's "Get Kline" page (inverse, interval 60), newest first.
const std::string kline_body =
    R"({"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSD","category":"inverse","list":[)"
    R"(["1670608800000","17071","17073","17027","17055.5","268611","15.74462667"],)"
    R"(["1670605200000","17071.5","17071.5","17061","17071","4177","0.24469757"],)"
    R"(["1670601600000","17086.5","17088","16978","17071.5","6356","0.37288112"]]},)"
    R"("retExtInfo":{},"time":1670610000000})";

constexpr model::instrument_spec spec{1, 0};
const model::instrument_id btc{3};

result<std::vector<model::kline>> klines(const std::string& body, std::string& reason,
                                         std::string_view symbol = "BTCUSD") {
    return parse_rest_klines(body, symbol, btc, spec, kline_interval::h1,
                             unix_nanos::from_millis(1670610000123), reason);
}

TEST(RestParseTest, KlinesComeOldestFirstWithTheirEndAndCloseFlag) {
    std::string reason;
    auto r = klines(kline_body, reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->size(), 3U);
    EXPECT_EQ((*r)[0].start, unix_nanos::from_millis(1670601600000));
    EXPECT_EQ((*r)[2].start, unix_nanos::from_millis(1670608800000));
    EXPECT_EQ((*r)[2].end, unix_nanos::from_millis(1670608800000 + 3'600'000 - 1));
    EXPECT_EQ((*r)[2].open.raw, 170710);
    EXPECT_EQ((*r)[2].close.raw, 170555);
    EXPECT_EQ((*r)[2].volume.to_string(), "268611");
    EXPECT_EQ((*r)[2].instrument, btc);
    EXPECT_EQ((*r)[2].interval, kline_interval::h1);
    // The server time (10:20) is past the end of all three hours but the newest (10:00-10:59).
    EXPECT_TRUE((*r)[0].confirm);
    EXPECT_TRUE((*r)[1].confirm);
    EXPECT_FALSE((*r)[2].confirm);
    EXPECT_EQ((*r)[2].ts_exchange, unix_nanos::from_millis(1670610000000));
}

std::string with(std::string body, const std::string& from, const std::string& to) {
    const auto at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return body.replace(at, from.size(), to);
}

TEST(RestParseTest, BadKlineListsAreRefusedWithAReason) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"not json", "not JSON"},
        {R"({"retCode":10001,"retMsg":"params error","result":{}})", "retCode 10001"},
        {R"({"retCode":0,"result":{"symbol":"BTCUSD"}})", "no list"},
        {with(kline_body, R"("BTCUSD")", R"("ETHUSD")"), "not BTCUSD"},
        {with(kline_body, R"("15.74462667"])", R"("15.7",1])"), "row 0: not an array of 7"},
        {with(kline_body, R"(,"15.74462667"])", "]"), "row 0: not an array of 7"},
        {with(kline_body, R"("17055.5")", R"("17055.55")"), "precision_exceeded"},
        {with(kline_body, R"("17055.5")", R"("abc")"), "row 0: a bad number"},
        {with(kline_body, R"("17073")", R"("17000")"), "high below open/close"},
        {with(kline_body, "1670605200000", "1670608800000"), "row 1: start times not strictly"},
        {with(kline_body, "1670605200000", "1670612400000"), "row 1: start times not strictly"},
        {with(kline_body, "1670605200000", "1670605200001"), "row 1: a start time that cannot"},
    };
    for (const auto& [body, why] : cases) {
        std::string reason;
        const auto r = klines(body, reason);
        EXPECT_FALSE(r) << body;
        EXPECT_NE(reason.find(why), std::string::npos) << reason << " / wanted: " << why;
    }
    std::string many = R"({"retCode":0,"result":{"list":[)";
    for (int i = 0; i < 1001; ++i) {
        many += std::string(i > 0 ? "," : "") + R"(["1","1","1","1","1","1","1"])";
    }
    many += "]}}";
    std::string reason;
    EXPECT_FALSE(klines(many, reason));
    EXPECT_NE(reason.find("1001 rows"), std::string::npos) << reason;
}

// The example of Bybit's "Get Open Interest" page, with a cursor to the next page.
const std::string oi_body =
    R"({"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSD","category":"inverse","list":[)"
    R"({"openInterest":"461134384.00000000","timestamp":"1669571400000"},)"
    R"({"openInterest":"461134292.00000000","timestamp":"1669571100000"}],)"
    R"("nextPageCursor":"lastid%3D0"},"retExtInfo":{},"time":1672053548579})";

TEST(RestParseTest, OpenInterestComesOldestFirstWithTheCursor) {
    std::string reason;
    auto r = parse_rest_open_interest(oi_body, "BTCUSD", reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->points.size(), 2U);
    EXPECT_EQ(r->points[0].ts, unix_nanos::from_millis(1669571100000));
    EXPECT_EQ(r->points[0].value.to_string(), "461134292.00000000");
    EXPECT_EQ(r->points[1].ts, unix_nanos::from_millis(1669571400000));
    EXPECT_EQ(r->next_cursor, "lastid%3D0");

    EXPECT_FALSE(parse_rest_open_interest(oi_body, "ETHUSD", reason));
    EXPECT_FALSE(parse_rest_open_interest(with(oi_body, "1669571100000", "1669571400000"), "BTCUSD",
                                          reason));
    EXPECT_NE(reason.find("not strictly decreasing"), std::string::npos) << reason;
    EXPECT_FALSE(parse_rest_open_interest(with(oi_body, R"("461134292.00000000")", "461134292"),
                                          "BTCUSD", reason));
    EXPECT_FALSE(parse_rest_open_interest(with(oi_body, R"("461134292.00000000")", R"("-1")"),
                                          "BTCUSD", reason));
}

// Shaped like the example of Bybit's "Get Public Recent Trading History" page, newest first.
const std::string trade_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
    R"({"execId":"2100000000007764263","symbol":"BTCUSDT","price":"16618.5","size":"12",)"
    R"("side":"Buy","time":"1672052955758","isBlockTrade":false,"isRPITrade":true},)"
    R"({"execId":"2100000000007764262","symbol":"BTCUSDT","price":"16618.4","size":"3",)"
    R"("side":"Sell","time":"1672052955758","isBlockTrade":true}]},)"
    R"("retExtInfo":{},"time":1672053054358})";

TEST(RestParseTest, RecentTradesComeOldestFirstWithIdsAndFlags) {
    std::string reason;
    const auto ts_recv = unix_nanos::from_millis(1672053054400);
    auto r = parse_rest_trades(trade_body, "BTCUSDT", btc, spec, ts_recv, reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->size(), 2U);
    const auto& a = (*r)[0];
    EXPECT_EQ(a.id.view(), "2100000000007764262");
    EXPECT_EQ(a.instrument, btc);
    EXPECT_EQ(a.px.raw, 166184);
    EXPECT_EQ(a.sz.raw, 3);
    EXPECT_EQ(a.taker_side, model::side::sell);
    EXPECT_TRUE(a.block_trade);
    EXPECT_FALSE(a.rpi);
    EXPECT_EQ(a.ts_exchange, unix_nanos::from_millis(1672052955758));
    EXPECT_EQ(a.ts_recv, ts_recv);
    EXPECT_EQ((*r)[1].id.view(), "2100000000007764263");
    EXPECT_TRUE((*r)[1].rpi);

    const std::vector<std::pair<std::string, std::string>> cases{
        {with(trade_body, R"("symbol":"BTCUSDT","price":"16618.4")",
              R"("symbol":"ETHUSDT","price":"16618.4")"),
         "not BTCUSDT"},
        {with(trade_body, R"("16618.4")", R"("16618.45")"), "bad number"},
        {with(trade_body, R"("16618.4")", R"("0")"), "bad number"},
        {with(trade_body, R"("size":"3")", R"("size":"-3")"), "bad number"},
        {with(trade_body, R"("Sell")", R"("sell")"), "neither Buy nor Sell"},
        {with(trade_body, R"("execId":"2100000000007764262")", R"("execId":"")"), "execId"},
        {with(trade_body, R"("size":"3")", R"("size":3)"), "must be strings"},
        {with(trade_body, R"("time":"1672052955758","isBlockTrade":true)",
              R"("time":"1672052955759","isBlockTrade":true)"),
         "newest-first"},
    };
    for (const auto& [body, why] : cases) {
        reason.clear();
        EXPECT_FALSE(parse_rest_trades(body, "BTCUSDT", btc, spec, ts_recv, reason)) << body;
        EXPECT_NE(reason.find(why), std::string::npos) << reason << " / " << why;
    }
}

TEST(KlineNextStartTest, FixedIntervalsAndCalendarMonths) {
    const auto t = unix_nanos::from_millis(1670601600000); // 2022-12-09 16:00 UTC
    EXPECT_EQ(model::kline_next_start(kline_interval::m1, t),
              unix_nanos::from_millis(1670601660000));
    EXPECT_EQ(model::kline_next_start(kline_interval::h12, t),
              unix_nanos::from_millis(1670601600000 + 12 * 3'600'000LL));
    EXPECT_EQ(model::kline_next_start(kline_interval::w1, t),
              unix_nanos::from_millis(1670601600000 + 7 * 86'400'000LL));
    // Months: December 2022 to January 2023; January 2024 to February (31 days); February
    // 2024 (a leap year) to March (29 days).
    EXPECT_EQ(model::kline_next_start(kline_interval::mn1, unix_nanos::from_millis(1669852800000)),
              unix_nanos::from_millis(1672531200000));
    EXPECT_EQ(model::kline_next_start(kline_interval::mn1, unix_nanos::from_millis(1704067200000)),
              unix_nanos::from_millis(1706745600000));
    EXPECT_EQ(model::kline_next_start(kline_interval::mn1, unix_nanos::from_millis(1706745600000)),
              unix_nanos::from_millis(1709251200000));
}

TEST(KlineNextStartTest, OnlyAlignedStartsCanBeginACandle) {
    EXPECT_TRUE(model::kline_start_valid(kline_interval::m5, unix_nanos::from_millis(300'000)));
    EXPECT_FALSE(model::kline_start_valid(kline_interval::m5, unix_nanos::from_millis(360'000)));
    EXPECT_TRUE(model::kline_start_valid(kline_interval::d1, unix_nanos::from_millis(86'400'000)));
    EXPECT_FALSE(model::kline_start_valid(kline_interval::w1, unix_nanos::from_millis(3'600'000)));
    // The fuzzer's find: a "month" starting a millisecond before February.
    EXPECT_FALSE(
        model::kline_start_valid(kline_interval::mn1, unix_nanos::from_millis(1706745599999)));
    EXPECT_FALSE(
        model::kline_start_valid(kline_interval::mn1, unix_nanos::from_millis(1706832000000)));
    EXPECT_TRUE(
        model::kline_start_valid(kline_interval::mn1, unix_nanos::from_millis(1706745600000)));
}

} // namespace
} // namespace mdg::exchange::bybit
