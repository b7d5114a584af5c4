#include <gtest/gtest.h>

#include "sim/control.hpp"

namespace mdg::sim {
namespace {

using namespace std::chrono_literals;

TEST(SimControlTest, ParsesEveryAction) {
    std::string reason;
    auto drop = parse_action(R"({"action":"drop","connection":"3","mode":"reset"})", reason);
    ASSERT_TRUE(drop) << reason;
    EXPECT_EQ(drop->kind, action_kind::drop);
    EXPECT_EQ(drop->connection, 3U);
    EXPECT_EQ(drop->mode, "reset");

    auto all = parse_action(R"({"action":"drop","connection":"all"})", reason);
    ASSERT_TRUE(all);
    EXPECT_FALSE(all->connection);
    EXPECT_EQ(all->mode, "close");

    auto stall = parse_action(R"({"action":"stall","connection":2,"seconds":1.5})", reason);
    ASSERT_TRUE(stall);
    EXPECT_EQ(stall->duration, 1500ms);

    auto gap = parse_action(
        R"({"action":"skip_update","category":"spot","topic":"orderbook.50.BTCUSDT"})", reason);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->cat, model::category::spot);
    EXPECT_EQ(gap->topic, "orderbook.50.BTCUSDT");

    auto rest = parse_action(R"({"action":"rest_time","mode":"slow","seconds":"30s"})", reason);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->delay, 15s); // the default added latency
    EXPECT_EQ(rest->duration, 30s);

    for (const char* ok :
         {R"({"action":"restart"})", R"({"action":"pause"})", R"({"action":"resume"})",
          R"({"action":"malformed"})", R"({"action":"oversized","bytes":100})",
          R"({"action":"refuse_ws","seconds":3})",
          R"({"action":"crossed","topic":"orderbook.1.X"})",
          R"({"action":"bad_number","topic":"orderbook.50.X","mode":"malformed"})",
          R"({"action":"oversized_snapshot","topic":"orderbook.50.X","levels":6000})",
          R"({"action":"stall","seconds":86400})", R"({"action":"stall","seconds":"24h"})",
          R"({"action":"reject_subscription","topic":"tickers.X"})"}) {
        EXPECT_TRUE(parse_action(ok, reason)) << ok << ": " << reason;
    }
}

TEST(SimControlTest, RejectsBadCommandsWithAReason) {
    struct bad_case {
        const char* json;
        const char* reason_part;
    };
    for (auto [json, part] :
         {bad_case{"nope", "JSON"}, bad_case{"[1]", "object"},
          bad_case{R"({"seconds":1})", "action"}, bad_case{R"({"action":"explode"})", "explode"},
          bad_case{R"({"action":"stall"})", "seconds"},
          bad_case{R"({"action":"skip_update"})", "topic"},
          bad_case{R"({"action":"drop","mode":"gently"})", "close or reset"},
          bad_case{R"({"action":"rest_time","mode":"x","seconds":1})", "slow"},
          bad_case{R"({"action":"pause","colour":"red"})", "colour"},
          bad_case{R"({"action":"stall","seconds":-1})", "seconds"},
          bad_case{R"({"action":"drop","connection":"x1"})", "connection"},
          bad_case{R"({"action":"oversized","bytes":0})", "bytes"},
          bad_case{R"({"action":"skip_update","topic":"t","category":"fx"})", "category"},
          bad_case{R"({"action":"bad_number"})", "topic"},
          bad_case{R"({"action":"bad_number","topic":"t","mode":"loud"})", "precision"},
          bad_case{R"({"action":"oversized_snapshot","topic":"t","levels":0})", "levels"},
          bad_case{R"({"action":"oversized_snapshot","topic":"t","levels":1e9})", "levels"}}) {
        std::string reason;
        EXPECT_FALSE(parse_action(json, reason)) << json;
        EXPECT_NE(reason.find(part), std::string::npos) << json << " -> " << reason;
    }
}

// Every number is finite, not negative and within its field's bounds (durations: a day):
// "1e300s" or 1e308 seconds would overflow the millisecond count.
TEST(SimControlTest, RefusesNonFiniteNegativeAndAbsurdNumbersNamingTheField) {
    struct bad_case {
        const char* json;
        const char* field;
    };
    for (auto [json, field] : {
             bad_case{R"({"action":"pause","at":"1e300s"})", "'at'"},
             bad_case{R"({"action":"pause","at":1e300})", "'at'"},
             bad_case{R"({"action":"pause","at":"25h"})", "'at'"},
             bad_case{R"({"action":"pause","at":-0.5})", "'at'"},
             bad_case{R"({"action":"stall","seconds":1e308})", "'seconds'"},
             bad_case{R"({"action":"stall","seconds":"nan"})", "'seconds'"},
             bad_case{R"({"action":"stall","seconds":"inf"})", "'seconds'"},
             bad_case{R"({"action":"stall","seconds":"-inf"})", "'seconds'"},
             bad_case{R"({"action":"stall","seconds":"infinity"})", "'seconds'"},
             bad_case{R"({"action":"stall","seconds":86401})", "'seconds'"},
             bad_case{R"({"action":"refuse_ws","duration":"1e9h"})", "'duration'"},
             bad_case{R"({"action":"rest_time","mode":"slow","seconds":1,"delay":"nan"})",
                      "'delay'"},
             bad_case{R"({"action":"oversized","bytes":1e300})", "'bytes'"},
             bad_case{R"({"action":"oversized","bytes":-1})", "'bytes'"},
             bad_case{R"({"action":"drop","connection":-1})", "'connection'"},
             bad_case{R"({"action":"drop","connection":1e300})", "'connection'"},
         }) {
        std::string reason;
        EXPECT_FALSE(parse_action(json, reason)) << json;
        EXPECT_NE(reason.find(field), std::string::npos) << json << " -> " << reason;
        EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;
    }
    std::string reason;
    EXPECT_FALSE(parse_script(R"({"at":"1e300s","action":"pause"})", reason));
    EXPECT_NE(reason.find("line 1: bad value for 'at'"), std::string::npos) << reason;
}

TEST(SimControlTest, RestFaultsTargetAPathOrEveryMarketPath) {
    std::string reason;
    auto time = parse_action(R"({"action":"rest_time","mode":"error","seconds":3})", reason);
    ASSERT_TRUE(time) << reason;
    EXPECT_EQ(time->path, "/v5/market/time"); // rest_time is rest on the time path
    auto all = parse_action(R"({"action":"rest","mode":"refuse","seconds":3})", reason);
    ASSERT_TRUE(all) << reason;
    EXPECT_EQ(all->kind, action_kind::rest);
    EXPECT_EQ(all->path, ""); // every /v5/market/ path
    for (const std::string_view mode : rest_fault_modes) {
        const std::string json = R"({"action":"rest","path":"/v5/market/kline","mode":")" +
                                 std::string(mode) + R"(","seconds":"2s"})";
        auto a = parse_action(json, reason);
        ASSERT_TRUE(a) << json << ": " << reason;
        EXPECT_EQ(a->mode, mode);
        EXPECT_EQ(a->path, "/v5/market/kline");
        EXPECT_EQ(a->duration, 2s);
    }
    auto slow = parse_action(R"({"action":"rest","mode":"slow","seconds":1,"path":"all"})", reason);
    ASSERT_TRUE(slow) << reason;
    EXPECT_EQ(slow->delay, 15s);
    EXPECT_EQ(slow->path, "");
    auto script = parse_script(
        R"({"at":"5s","action":"rest","path":"/v5/market/open-interest","mode":"http_429","seconds":9})",
        reason);
    ASSERT_TRUE(script) << reason;
    EXPECT_EQ(script->at(0).kind, action_kind::rest);
    auto turnover =
        parse_action(R"({"action":"set_turnover","symbol":"BTCUSDT","value":123.5})", reason);
    ASSERT_TRUE(turnover) << reason;
    EXPECT_EQ(turnover->symbol, "BTCUSDT");
    EXPECT_EQ(turnover->value, 123.5);
    EXPECT_EQ(to_string(action_kind::set_turnover), "set_turnover");

    struct bad_case {
        const char* json;
        const char* reason_part;
    };
    for (auto [json, part] : {
             bad_case{R"({"action":"rest","mode":"slow"})", "seconds"},
             bad_case{R"({"action":"rest","mode":"explode","seconds":1})", "rate_limit"},
             bad_case{R"({"action":"rest","seconds":1})", "bad_body"},
             bad_case{R"({"action":"rest","mode":"error","seconds":1,"path":"/sim/status"})",
                      "'path'"},
             bad_case{R"({"action":"rest_time","mode":"bad_body","seconds":1})", "slow"},
             bad_case{R"({"action":"set_turnover","value":1})", "symbol"},
             bad_case{R"({"action":"set_turnover","symbol":"X"})", "value"},
             bad_case{R"({"action":"set_turnover","symbol":"X","value":-1})", "'value'"},
             bad_case{R"({"action":"set_turnover","symbol":"X","value":"1"})", "'value'"},
             bad_case{R"({"action":"set_turnover","symbol":"X","value":1e300})", "'value'"},
         }) {
        EXPECT_FALSE(parse_action(json, reason)) << json;
        EXPECT_NE(reason.find(part), std::string::npos) << json << " -> " << reason;
    }
}

TEST(SimControlTest, ScriptsAreSortedByTimeAndNameTheBadLine) {
    std::string reason;
    auto s = parse_script(R"(# a comment
{"at":"20s","action":"restart"}

{"at":1.5,"action":"drop","mode":"reset"}
{"at":"500ms","action":"pause"}
)",
                          reason);
    ASSERT_TRUE(s) << reason;
    ASSERT_EQ(s->size(), 3U);
    EXPECT_EQ((*s)[0].kind, action_kind::pause);
    EXPECT_EQ((*s)[1].at, 1500ms);
    EXPECT_EQ((*s)[2].at, 20s);

    auto bad = parse_script(
        "{\"at\":\"1s\",\"action\":\"pause\"}\n{\"at\":\"2s\",\"action\":\"x\"}\n", reason);
    EXPECT_FALSE(bad);
    EXPECT_NE(reason.find("line 2"), std::string::npos) << reason;
}

TEST(SimControlTest, Durations) {
    EXPECT_EQ(parse_duration("10s"), 10s);
    EXPECT_EQ(parse_duration("1500ms"), 1500ms);
    EXPECT_EQ(parse_duration("2m"), 2min);
    EXPECT_EQ(parse_duration("1h"), 1h);
    EXPECT_EQ(parse_duration("3"), 3s);
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_FALSE(parse_duration("10 s"));
    EXPECT_FALSE(parse_duration("ten"));
    EXPECT_FALSE(parse_duration(""));
    for (const char* bad : {"nan", "inf", "-inf", "infinity", "1e300s", "1e300", "-0.5h"}) {
        EXPECT_FALSE(parse_duration(bad)) << bad;
    }
}

} // namespace
} // namespace mdg::sim
