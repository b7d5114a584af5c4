#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "monitor/scrape.hpp"
#include "net/http_url.hpp"

namespace mdg::monitor {
namespace {

TEST(ReportScrapeTest, HttpGetRefusesHttpsWithoutTouchingTheNetwork) {
    std::string error;
    auto url = net::parse_http_url("https://127.0.0.1:9/p", error);
    ASSERT_TRUE(url) << error;
    EXPECT_FALSE(http_get(*url, "/metrics", {}, error));
    EXPECT_EQ(error, "GET https://127.0.0.1:9/p/metrics: https is not supported here");
}

TEST(ReportScrapeTest, ParsesGatewayStatus) {
    std::string error;
    auto s = parse_gateway_status(
        R"({"version":"1.4.0","venue":"bybit","started_at_unix_ms":1761750023000,)"
        R"("live_connections":2,"total_connections":3,"ready":false,"connections":[]})",
        error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(s->version, "1.4.0");
    EXPECT_EQ(s->started_at, unix_nanos::from_millis(1761750023000));
    EXPECT_EQ(s->live_connections, 2U);
    EXPECT_EQ(s->total_connections, 3U);
    EXPECT_EQ(s->ready, false);
    // Wrong types leave fields empty; only a non-object is an error.
    s = parse_gateway_status(R"({"version":7,"started_at_unix_ms":"x"})", error);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->version.empty());
    EXPECT_FALSE(s->started_at);
    EXPECT_FALSE(parse_gateway_status("[1,2]", error));
    EXPECT_FALSE(parse_gateway_status("{\"version\":", error));
    EXPECT_FALSE(error.empty());
}

TEST(ReportScrapeTest, ParsesAQueryRangeMatrix) {
    std::string error;
    const auto scrapes = parse_query_range(
        R"({"status":"success","data":{"resultType":"matrix","result":[)"
        R"({"metric":{"__name__":"mdgate_handler_timeouts_total","instance":"gw:8080","job":"mdgate"},)"
        R"("values":[[1761750000,"0"],[1761750005,"1"],[1761750010.5,"2"]]},)"
        R"({"metric":{"__name__":"mdgate_network_errors_total","kind":"probe"},)"
        R"("values":[[1761750005,"+Inf"],[1761750010.5,"NaN"]]}]}})",
        error);
    ASSERT_TRUE(scrapes) << error;
    ASSERT_EQ(scrapes->size(), 3U);
    EXPECT_EQ((*scrapes)[0].at, unix_nanos::from_millis(1761750000000));
    EXPECT_EQ((*scrapes)[0].samples.size(), 1U);
    EXPECT_EQ((*scrapes)[2].at, unix_nanos::from_millis(1761750010500));
    ASSERT_EQ((*scrapes)[1].samples.size(), 2U);
    const auto* s =
        find_sample((*scrapes)[2].samples, "mdgate_handler_timeouts_total", {{"job", "mdgate"}});
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->value, 2.0);
    EXPECT_EQ(s->labels.size(), 2U); // __name__ became the name
    EXPECT_TRUE(
        std::isinf(find_sample((*scrapes)[1].samples, "mdgate_network_errors_total")->value));
}

TEST(ReportScrapeTest, RejectsBadQueryRangeAnswers) {
    std::string error;
    EXPECT_FALSE(parse_query_range("not json", error));
    EXPECT_FALSE(parse_query_range(
        R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})", error));
    EXPECT_NE(error.find("parse error at char 3"), std::string::npos);
    EXPECT_FALSE(parse_query_range(
        R"({"status":"success","data":{"resultType":"vector","result":[]}})", error));
    EXPECT_FALSE(parse_query_range(
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}})",
        error));
    EXPECT_FALSE(parse_query_range(
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x"},"values":[[1,"abc"]]}]}})",
        error));
    EXPECT_FALSE(parse_query_range(
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x"},"values":[[1]]}]}})",
        error));
    EXPECT_EQ(error.find('\n'), std::string::npos);
    const auto empty = parse_query_range(
        R"({"status":"success","data":{"resultType":"matrix","result":[]}})", error);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(ReportScrapeTest, SelectorNamesEveryReportSeries) {
    const auto sel = report_series_selector("job=\"mdgate\"");
    EXPECT_TRUE(sel.starts_with("{__name__=~\"mdgate_handler_timeouts_total|"));
    EXPECT_NE(sel.find("|process_start_time_seconds\",job=\"mdgate\"}"), std::string::npos);
    EXPECT_EQ(url_encode("a b{\"}|~"), "a%20b%7B%22%7D%7C~");
}

} // namespace
} // namespace mdg::monitor
