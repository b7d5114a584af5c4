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

using bad_cases = std::vector<std::pair<std::string, std::string>>;

// Every body of `cases` is refused by `decode(body, reason)` with a reason holding its fragment.
template <typename Decode> void expect_refused(const bad_cases& cases, Decode decode) {
    for (const auto& [body, why] : cases) {
        std::string reason;
        EXPECT_FALSE(decode(body, reason)) << body;
        EXPECT_NE(reason.find(why), std::string::npos) << reason << " / wanted: " << why;
    }
}

// Decoded rows as text, every field, to compare with what the answer says.
std::vector<std::string> texts(const std::vector<model::funding_rate_point>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) {
        out.push_back(std::to_string(p.ts.millis()) + " " + p.rate.to_string());
    }
    return out;
}
std::vector<std::string> texts(const std::vector<model::account_ratio_point>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) {
        out.push_back(std::to_string(p.ts.millis()) + " " + p.buy_ratio.to_string() + " " +
                      p.sell_ratio.to_string());
    }
    return out;
}
std::vector<std::string> texts(const std::vector<model::risk_limit_tier>& v) {
    std::vector<std::string> out;
    for (const auto& t : v) {
        out.push_back(std::to_string(t.id) + " " + t.limit_value.to_string() + " " +
                      t.maintenance_margin.to_string() + " " + t.initial_margin.to_string() + " " +
                      t.max_leverage.to_string() + (t.lowest ? " lowest" : ""));
    }
    return out;
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

// Shaped like the example of Bybit's "Get Funding Rate History" page, newest first, with a
// negative rate.
const std::string funding_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
    R"({"symbol":"BTCUSDT","fundingRate":"0.0001","fundingRateTimestamp":"1672041600000"},)"
    R"({"symbol":"BTCUSDT","fundingRate":"-0.00012","fundingRateTimestamp":"1672012800000"},)"
    R"({"symbol":"BTCUSDT","fundingRate":"0.000375","fundingRateTimestamp":"1671984000000"}]},)"
    R"("retExtInfo":{},"time":1672051897447})";

TEST(RestParseTest, FundingHistoryComesOldestFirst) {
    std::string reason;
    auto r = parse_rest_funding_history(funding_body, "BTCUSDT", reason);
    ASSERT_TRUE(r) << reason;
    EXPECT_EQ(texts(*r),
              (std::vector<std::string>{"1671984000000 0.000375", "1672012800000 -0.00012",
                                        "1672041600000 0.0001"}));
    // Exactly 100 % either way is still a rate; an empty list is no error.
    EXPECT_TRUE(parse_rest_funding_history(with(funding_body, R"("-0.00012")", R"("-1")"),
                                           "BTCUSDT", reason));
    auto none =
        parse_rest_funding_history(R"({"retCode":0,"result":{"list":[]}})", "BTCUSDT", reason);
    ASSERT_TRUE(none) << reason;
    EXPECT_TRUE(none->empty());

    expect_refused(
        bad_cases{
            {"not json", "not JSON"},
            {R"({"retCode":10001,"retMsg":"params error","result":{}})", "retCode 10001"},
            {R"({"retCode":0,"result":{"category":"linear"}})", "no list"},
            {with(funding_body, R"("symbol":"BTCUSDT","fundingRate":"-0.00012")",
                  R"("symbol":"ETHUSDT","fundingRate":"-0.00012")"),
             "row 1: a row of 'ETHUSDT', not BTCUSDT"},
            {with(funding_body, R"("-0.00012")", "-0.00012"), "row 1: fundingRate is not a string"},
            {with(funding_body, R"("-0.00012")", R"("abc")"), "row 1: fundingRate is a bad number"},
            {with(funding_body, R"("-0.00012")", R"("1e-4")"),
             "row 1: fundingRate is a bad number"},
            {with(funding_body, R"("-0.00012")", R"("-1.0001")"),
             "row 1: fundingRate outside [-1, 1]"},
            {with(funding_body, R"("0.0001")", R"("1.5")"), "row 0: fundingRate outside [-1, 1]"},
            {with(funding_body, R"("1672012800000")", "1672012800000"),
             "row 1: symbol and fundingRateTimestamp must be strings"},
            {with(funding_body, "1672012800000", "-1"),
             "row 1: fundingRateTimestamp is not a time"},
            {with(funding_body, "1672012800000", "1672041600000"),
             "row 1: timestamps not strictly"},
            {with(funding_body, "1671984000000", "1672041600001"),
             "row 2: timestamps not strictly"},
        },
        [](const std::string& body, std::string& why) {
            return parse_rest_funding_history(body, "BTCUSDT", why);
        });
    std::string many = R"({"retCode":0,"result":{"list":[)";
    for (int i = 0; i < 1001; ++i) {
        many += std::string(i > 0 ? "," : "") +
                R"({"symbol":"BTCUSDT","fundingRate":"0","fundingRateTimestamp":")" +
                std::to_string(1672041600000 - i) + R"("})";
    }
    many += "]}}";
    EXPECT_FALSE(parse_rest_funding_history(many, "BTCUSDT", reason));
    EXPECT_NE(reason.find("1001 rows"), std::string::npos) << reason;
}

// The example of Bybit's "Get Long Short Ratio" page, with a third, older period whose two
// shares add up to a little more than 1 (the venue rounds them).
const std::string ratio_body =
    R"({"retCode":0,"retMsg":"OK","result":{"list":[)"
    R"({"symbol":"BTCUSDT","buyRatio":"0.49","sellRatio":"0.51","timestamp":"1696262400000"},)"
    R"({"symbol":"BTCUSDT","buyRatio":"0.4927","sellRatio":"0.5073","timestamp":"1696258800000"},)"
    R"({"symbol":"BTCUSDT","buyRatio":"0.5001","sellRatio":"0.5","timestamp":"1696255200000"}],)"
    R"("nextPageCursor":"lastid%3D0%26lasttime%3D1696258800"},"retExtInfo":{},)"
    R"("time":1731567491688})";

TEST(RestParseTest, AccountRatiosComeOldestFirst) {
    std::string reason;
    auto r = parse_rest_account_ratio(ratio_body, "BTCUSDT", reason);
    ASSERT_TRUE(r) << reason;
    EXPECT_EQ(texts(*r),
              (std::vector<std::string>{"1696255200000 0.5001 0.5", "1696258800000 0.4927 0.5073",
                                        "1696262400000 0.49 0.51"}));
    // The shares need not add up to 1: 0 and 1, or 1.01 in all, are accepted.
    EXPECT_TRUE(parse_rest_account_ratio(
        with(with(ratio_body, R"("0.49")", R"("0")"), R"("0.51")", R"("1")"), "BTCUSDT", reason))
        << reason;
    EXPECT_TRUE(
        parse_rest_account_ratio(with(ratio_body, R"("0.5001")", R"("0.51")"), "BTCUSDT", reason))
        << reason;

    expect_refused(
        bad_cases{
            {"[]", "no integer retCode"},
            {R"({"retCode":10006,"retMsg":"Too many visits!","result":{}})", "retCode 10006"},
            {R"({"retCode":0,"result":[]})", "no result object"},
            {with(ratio_body, R"("symbol":"BTCUSDT","buyRatio":"0.4927")",
                  R"("symbol":"BTCUSD","buyRatio":"0.4927")"),
             "row 1: a row of 'BTCUSD', not BTCUSDT"},
            {with(ratio_body, R"("buyRatio":"0.49",)", ""), "row 0: buyRatio is not a string"},
            {with(ratio_body, R"("0.5073")", "0.5073"), "row 1: sellRatio is not a string"},
            {with(ratio_body, R"("0.5073")", R"("0.5O73")"), "row 1: sellRatio is a bad number"},
            {with(ratio_body, R"("0.4927")", R"("-0.4927")"), "row 1: buyRatio outside [0, 1]"},
            {with(ratio_body, R"("0.5073")", R"("1.0001")"), "row 1: sellRatio outside [0, 1]"},
            {with(ratio_body, R"("0.5001")", R"("0.5101")"),
             "row 2: buyRatio + sellRatio above 1.01"},
            {with(ratio_body, R"("timestamp":"1696258800000")", R"("time":"1696258800000")"),
             "row 1: symbol and timestamp must be strings"},
            {with(ratio_body, "1696258800000", "1696258800000.5"),
             "row 1: timestamp is not a time"},
            {with(ratio_body, "1696258800000", "1696262400000"), "row 1: timestamps not strictly"},
        },
        [](const std::string& body, std::string& why) {
            return parse_rest_account_ratio(body, "BTCUSDT", why);
        });
}

// Shaped like the example of Bybit's "Get Risk Limit" page (linear, no symbol asked: every
// symbol's tiers), out of order, with an ETHUSDT tier in between. `id` and `isLowestRisk` are
// numbers, as Bybit sends them.
const std::string risk_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
    R"({"id":2,"symbol":"BTCUSDT","riskLimitValue":"4000000","maintenanceMargin":"0.01",)"
    R"("initialMargin":"0.02","isLowestRisk":0,"maxLeverage":"50.00","mmDeduction":"10000"},)"
    R"({"id":11,"symbol":"ETHUSDT","riskLimitValue":"1000000","maintenanceMargin":"0.005",)"
    R"("initialMargin":"0.01","isLowestRisk":1,"maxLeverage":"100.00","mmDeduction":""},)"
    R"({"id":1,"symbol":"BTCUSDT","riskLimitValue":"2000000","maintenanceMargin":"0.005",)"
    R"("initialMargin":"0.01","isLowestRisk":1,"maxLeverage":"100.00","mmDeduction":""},)"
    R"({"id":3,"symbol":"BTCUSDT","riskLimitValue":"6000000","maintenanceMargin":"0.015",)"
    R"("initialMargin":"0.03","isLowestRisk":0,"maxLeverage":"33.33","mmDeduction":"30000"}],)"
    R"("nextPageCursor":""},"retExtInfo":{},"time":1672054488010})";

TEST(RestParseTest, RiskLimitsOfTheSymbolComeByAscendingLimit) {
    std::string reason;
    auto r = parse_rest_risk_limits(risk_body, "BTCUSDT", reason);
    ASSERT_TRUE(r) << reason;
    EXPECT_EQ(texts(*r), (std::vector<std::string>{"1 2000000 0.005 0.01 100.00 lowest",
                                                   "2 4000000 0.01 0.02 50.00",
                                                   "3 6000000 0.015 0.03 33.33"}));
    auto eth = parse_rest_risk_limits(risk_body, "ETHUSDT", reason);
    ASSERT_TRUE(eth) << reason;
    ASSERT_EQ(eth->size(), 1U);
    EXPECT_EQ((*eth)[0].id, 11U);
    // No tier for the symbol: an empty list. Ids as strings of digits, isLowestRisk as a bool.
    auto none = parse_rest_risk_limits(risk_body, "SOLUSDT", reason);
    ASSERT_TRUE(none) << reason;
    EXPECT_TRUE(none->empty());
    const std::string lowest_1 =
        R"("isLowestRisk":1,"maxLeverage":"100.00","mmDeduction":""},{"id":3)";
    const std::string lowest_true =
        R"("isLowestRisk":true,"maxLeverage":"100.00","mmDeduction":""},{"id":3)";
    auto strings = parse_rest_risk_limits(
        with(with(risk_body, R"("id":1,)", R"("id":"1",)"), lowest_1, lowest_true), "BTCUSDT",
        reason);
    ASSERT_TRUE(strings) << reason;
    EXPECT_EQ(*strings, *r);
    // A bad tier of another symbol is skipped, not judged.
    EXPECT_TRUE(
        parse_rest_risk_limits(with(risk_body, R"("1000000")", R"("-1")"), "BTCUSDT", reason))
        << reason;

    expect_refused(
        bad_cases{
            {"not json", "not JSON"},
            {R"({"retCode":10001,"retMsg":"params error","result":{}})", "retCode 10001"},
            {R"({"retCode":0,"result":{"category":"linear","list":{}}})", "no list"},
            {with(risk_body, R"("symbol":"ETHUSDT")", R"("symbol":null)"),
             "row 1: symbol must be a string"},
            {with(risk_body, R"("id":2,)", R"("id":-2,)"), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", R"("id":2.5,)"), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", R"("id":"+2",)"), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", R"("id":"",)"), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", R"("id":4294967296,)"), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", ""), "row 0: id is neither"},
            {with(risk_body, R"("id":2,)", R"("id":1,)"), "row 2: id 1 twice"},
            {with(risk_body, R"("isLowestRisk":0,"maxLeverage":"50.00")",
                  R"("isLowestRisk":2,"maxLeverage":"50.00")"),
             "row 0: isLowestRisk is neither"},
            {with(risk_body, R"("isLowestRisk":0,"maxLeverage":"50.00")",
                  R"("isLowestRisk":"0","maxLeverage":"50.00")"),
             "row 0: isLowestRisk is neither"},
            {with(risk_body, R"("4000000")", "4000000"), "row 0: riskLimitValue is not a string"},
            {with(risk_body, R"("0.02")", R"("2%")"), "row 0: initialMargin is a bad number"},
            {with(risk_body, R"("4000000")", R"("0")"), "row 0: riskLimitValue, maintenanceMargin"},
            {with(risk_body, R"("0.015")", R"("-0.015")"),
             "row 3: riskLimitValue, maintenanceMargin"},
            {with(risk_body, R"("0.03")", R"("0")"), "row 3: riskLimitValue, maintenanceMargin"},
            {with(risk_body, R"("33.33")", R"("0.5")"), "row 3: maxLeverage below 1"},
            {with(risk_body, R"("33.33")", R"(null)"), "row 3: maxLeverage is not a string"},
        },
        [](const std::string& body, std::string& why) {
            return parse_rest_risk_limits(body, "BTCUSDT", why);
        });
    std::string many = R"({"retCode":0,"result":{"list":[)";
    for (int i = 0; i < 1001; ++i) {
        many += std::string(i > 0 ? "," : "") + R"({"symbol":"ETHUSDT"})";
    }
    many += "]}}";
    EXPECT_FALSE(parse_rest_risk_limits(many, "BTCUSDT", reason));
    EXPECT_NE(reason.find("1001 rows"), std::string::npos) << reason;
}

// Shaped like the example of Bybit's "Get Orderbook" page.
const std::string book_body =
    R"({"retCode":0,"retMsg":"OK","result":{"s":"BTCUSDT",)"
    R"("b":[["65485.4","47.081"],["65485.3","2.5"]],"a":[["65557.7","16.6"]],)"
    R"("ts":1716863719031,"u":230704,"seq":1432604333,"cts":1716863718905},)"
    R"("retExtInfo":{},"time":1716863719382})";

TEST(RestParseTest, AnOrderbookDecodesBestFirstWithItsIdsAndTimes) {
    constexpr model::instrument_spec book_spec{1, 3};
    std::string reason;
    auto b = parse_rest_orderbook(book_body, "BTCUSDT", book_spec, 50, reason);
    ASSERT_TRUE(b) << reason;
    ASSERT_EQ(b->bids.size(), 2U);
    ASSERT_EQ(b->asks.size(), 1U);
    EXPECT_EQ(b->bids[0].px.raw, 654854);
    EXPECT_EQ(b->bids[1].px.raw, 654853);
    EXPECT_EQ(b->asks[0].px.raw, 655577);
    EXPECT_EQ(b->update_id, 230704U);
    EXPECT_EQ(b->seq, 1432604333U);
    EXPECT_EQ(b->ts_exchange, unix_nanos::from_millis(1716863719031));
    EXPECT_EQ(b->ts_engine, unix_nanos::from_millis(1716863718905));

    const std::vector<std::pair<std::string, std::string>> cases{
        {with(book_body, R"("s":"BTCUSDT")", R"("s":"ETHUSDT")"), "not BTCUSDT"},
        {with(book_body, R"("u":230704,)", ""), "no integer u"},
        {with(book_body, R"(["65485.3","2.5"])", R"(["65485.5","2.5"])"), "strictly descending"},
        {with(book_body, R"(["65485.3","2.5"])", R"(["65485.35","2.5"])"), "bad price"},
        {with(book_body, R"(["65485.3","2.5"])", R"(["65485.3","0"])"), "bad size"},
        {with(book_body, R"(["65485.3","2.5"])", R"(["65485.3"])"), "pair of strings"},
        {with(book_body, R"(["65557.7","16.6"])", R"(["65485.4","16.6"])"), "crossed"},
        // Found by the fuzzer: a missing side threw out of the decoder (simdjson's conversion).
        {with(book_body, R"("b":)", R"("0":)"), "no b or a"},
    };
    for (const auto& [body, why] : cases) {
        reason.clear();
        EXPECT_FALSE(parse_rest_orderbook(body, "BTCUSDT", book_spec, 50, reason)) << body;
        EXPECT_NE(reason.find(why), std::string::npos) << reason << " / " << why;
    }
    EXPECT_FALSE(parse_rest_orderbook(book_body, "BTCUSDT", book_spec, 1, reason)); // 2 bids
    EXPECT_NE(reason.find("more than 1"), std::string::npos) << reason;
}

const std::string ticker_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
    R"({"symbol":"ETHUSDT","lastPrice":"3000"},)"
    R"({"symbol":"BTCUSDT","lastPrice":"65000.1","bid1Price":"65000","bid1Size":"2",)"
    R"("markPrice":"65000.05","openInterest":"51234.5","deliveryTime":"","predictedDeliveryPrice":"",)"
    R"("fundingRate":"-0.0001","nextFundingTime":"1765008000000","tickDirection":"PlusTick"}]},)"
    R"("retExtInfo":{},"time":1765000000125})";

TEST(RestParseTest, ATickerDecodesAsASnapshotOfTheStreamsFields) {
    std::string reason;
    const auto recv = unix_nanos::from_millis(1765000000200);
    auto t = parse_rest_ticker(ticker_body, "BTCUSDT", btc, recv, reason);
    ASSERT_TRUE(t) << reason;
    using f = model::ticker_field;
    EXPECT_EQ(t->instrument, btc);
    EXPECT_EQ(t->kind, model::update_kind::snapshot);
    EXPECT_EQ(t->cross_seq, 0U);
    EXPECT_EQ(t->ts_exchange, unix_nanos::from_millis(1765000000125));
    EXPECT_EQ(t->ts_recv, recv);
    EXPECT_EQ(t->fields.get(f::last_price).to_string(), "65000.1");
    EXPECT_EQ(t->fields.get(f::funding_rate).to_string(), "-0.0001");
    EXPECT_EQ(t->fields.get(f::open_interest).to_string(), "51234.5");
    EXPECT_TRUE(t->fields.has(f::predicted_delivery_price));
    EXPECT_TRUE(t->fields.is_empty(f::predicted_delivery_price));
    EXPECT_FALSE(t->fields.has(f::ask1_price));

    EXPECT_FALSE(parse_rest_ticker(ticker_body, "SOLUSDT", btc, recv, reason));
    EXPECT_NE(reason.find("no ticker for SOLUSDT"), std::string::npos) << reason;
    EXPECT_FALSE(parse_rest_ticker(with(ticker_body, R"("65000.05")", "65000.05"), "BTCUSDT", btc,
                                   recv, reason));
    EXPECT_NE(reason.find("markPrice: not a string"), std::string::npos) << reason;
    EXPECT_FALSE(parse_rest_ticker(with(ticker_body, R"("51234.5")", R"("5x")"), "BTCUSDT", btc,
                                   recv, reason));
    EXPECT_NE(reason.find("openInterest: a bad number"), std::string::npos) << reason;
}

TEST(RestParseTest, ATickersListGivesEachSymbolsTurnoverAndVolume) {
    const std::string body =
        R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[)"
        R"({"symbol":"BTCUSDT","lastPrice":"65000","turnover24h":"2000000000.5","volume24h":"30000"},)"
        R"({"symbol":"ETHUSDT","turnover24h":"0","volume24h":"0"}]},"time":1765000000125})";
    std::string reason;
    auto r = parse_rest_tickers_list(body, reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->size(), 2U);
    EXPECT_EQ((*r)[0].symbol, "BTCUSDT");
    EXPECT_EQ((*r)[0].turnover_24h.to_string(), "2000000000.5");
    EXPECT_EQ((*r)[0].volume_24h.to_string(), "30000");
    EXPECT_FALSE(
        parse_rest_tickers_list(with(body, R"("0","volume24h")", R"("-1","volume24h")"), reason));
    EXPECT_NE(reason.find("entry 1 (ETHUSDT): a bad 24 h figure"), std::string::npos) << reason;
    EXPECT_FALSE(parse_rest_tickers_list(with(body, R"("turnover24h":"0",)", ""), reason));
    EXPECT_NE(reason.find("must be strings"), std::string::npos) << reason;
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
