#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "monitor/prom_text.hpp"

namespace mdg::monitor {
namespace {

std::vector<sample> parse_ok(std::string_view text) {
    std::string error;
    auto r = parse_prometheus_text(text, error);
    EXPECT_TRUE(r) << error;
    EXPECT_TRUE(error.empty());
    return r ? std::move(*r) : std::vector<sample>{};
}

std::string parse_error(std::string_view text) {
    std::string error;
    auto r = parse_prometheus_text(text, error);
    EXPECT_FALSE(r) << text;
    return error;
}

TEST(PromTextTest, ParsesAScrapeWithMetadataLabelsAndTimestamps) {
    const auto s = parse_ok("# HELP mdgate_handler_timeouts_total Receive-timeout closes.\n"
                            "# TYPE mdgate_handler_timeouts_total counter\n"
                            "mdgate_handler_timeouts_total{conn=\"conn_1\",venue=\"bybit\"} 3\n"
                            "mdgate_handler_timeouts_total{venue=\"bybit\",conn=\"conn_2\"} 0 "
                            "1730214000000\n"
                            "\n"
                            "# a plain comment\n"
                            "process_start_time_seconds 1.730214e9\n"
                            "up 1\n");
    ASSERT_EQ(s.size(), 4U);
    EXPECT_EQ(s[0].name, "mdgate_handler_timeouts_total");
    ASSERT_EQ(s[0].labels.size(), 2U);
    EXPECT_EQ(s[0].labels[0].first, "conn");
    EXPECT_EQ(s[0].labels[0].second, "conn_1");
    EXPECT_EQ(s[0].value, 3.0);
    EXPECT_FALSE(s[0].timestamp_ms);
    // Labels come back sorted whatever the order on the wire.
    EXPECT_EQ(s[1].labels[0].first, "conn");
    EXPECT_EQ(s[1].labels[1].first, "venue");
    ASSERT_TRUE(s[1].timestamp_ms);
    EXPECT_EQ(*s[1].timestamp_ms, 1730214000000);
    EXPECT_EQ(s[2].value, 1.730214e9);
    EXPECT_TRUE(s[2].labels.empty());
    EXPECT_EQ(s[1].label("venue"), "bybit");
    EXPECT_FALSE(s[1].label("nope"));
}

TEST(PromTextTest, UnescapesLabelValues) {
    const auto s = parse_ok(R"(m{path="C:\\dir",quote="say \"hi\"",nl="a\nb",empty=""} 1)");
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0].label("path"), "C:\\dir");
    EXPECT_EQ(s[0].label("quote"), "say \"hi\"");
    EXPECT_EQ(s[0].label("nl"), "a\nb");
    EXPECT_EQ(s[0].label("empty"), "");
}

TEST(PromTextTest, SpecialValuesBlanksCrlfAndTrailingCommas) {
    const auto s = parse_ok("a +Inf\r\n"
                            "b -Inf\r\n"
                            "c NaN\r\n"
                            "   \r\n"
                            "d{x=\"1\",} -0.5e-3\r\n"
                            "e{} 7\r\n"
                            "f\t{ x = \"2\" }\t42   \r\n"
                            "g{le=\"+Inf\"} 1e+3");
    ASSERT_EQ(s.size(), 7U);
    EXPECT_TRUE(std::isinf(s[0].value) && s[0].value > 0);
    EXPECT_TRUE(std::isinf(s[1].value) && s[1].value < 0);
    EXPECT_TRUE(std::isnan(s[2].value));
    EXPECT_EQ(s[3].value, -0.5e-3);
    EXPECT_EQ(s[3].label("x"), "1");
    EXPECT_EQ(s[4].name, "e");
    EXPECT_TRUE(s[4].labels.empty());
    EXPECT_EQ(s[5].value, 42.0);
    EXPECT_EQ(s[5].label("x"), "2");
    EXPECT_EQ(s[6].value, 1000.0);
}

TEST(PromTextTest, RejectsMalformedLinesWithTheLineNumber) {
    EXPECT_EQ(parse_error("ok 1\nbad{x=\"1\" 2\n"), "line 2: expected ',' or '}' after label 'x'");
    EXPECT_EQ(parse_error("a 1\n\nb abc\n"), "line 3: invalid value 'abc'");
    EXPECT_EQ(parse_error("a\n"), "line 1: missing value");
    EXPECT_EQ(parse_error("a{x=\"1\"}\n"), "line 1: missing value");
    EXPECT_EQ(parse_error("a 1 12x\n"), "line 1: invalid timestamp '12x'");
    EXPECT_EQ(parse_error("a 1 12 extra\n"), "line 1: unexpected text after the timestamp");
    EXPECT_EQ(parse_error("9a 1\n"), "line 1: invalid metric name at '9a 1'");
    EXPECT_EQ(parse_error("a{x=1} 1\n"), "line 1: label value must start with '\"'");
    EXPECT_EQ(parse_error("a{x=\"1\\t\"} 1\n"), "line 1: invalid escape '\\t' in label value");
    EXPECT_EQ(parse_error("a{x=\"1} 1\n"), "line 1: unterminated label value");
    EXPECT_EQ(parse_error("a{x=\"1\",x=\"2\"} 1\n"), "line 1: duplicate label 'x'");
    EXPECT_EQ(parse_error("a{1x=\"1\"} 1\n"), "line 1: invalid label name at '1x=\"1\"} 1'");
    EXPECT_EQ(parse_error("a{x=\"1\"\n"), "line 1: unterminated label set");
    EXPECT_EQ(parse_error("# TYPE a countr\n"), "line 1: unknown metric type 'countr'");
    EXPECT_EQ(parse_error("# TYPE\n"), "line 1: TYPE line without a valid metric name");
    EXPECT_EQ(parse_error("a- 1\n"), "line 1: unexpected character '-' after metric name");
    EXPECT_EQ(parse_error("a{x=\"1\"}2\n"), "line 1: unexpected character '2' after metric name");
    EXPECT_EQ(parse_error("a ++1\n"), "line 1: invalid value '++1'");
    EXPECT_EQ(parse_error("a 1e999\n"), "line 1: invalid value '1e999'");
}

TEST(PromTextTest, ErrorKinds) {
    std::string error;
    auto bad_value = parse_prometheus_text("a x\n", error);
    ASSERT_FALSE(bad_value);
    EXPECT_EQ(bad_value.error(), make_error_code(errc::invalid_number));
    auto bad_syntax = parse_prometheus_text("a{ 1\n", error);
    ASSERT_FALSE(bad_syntax);
    EXPECT_EQ(bad_syntax.error(), make_error_code(errc::invalid_argument));
    // A later success clears the error text.
    ASSERT_TRUE(parse_prometheus_text("a 1\n", error));
    EXPECT_TRUE(error.empty());
}

TEST(PromTextTest, EmptyInputIsNoSamples) {
    EXPECT_TRUE(parse_ok("").empty());
    EXPECT_TRUE(parse_ok("\n\n# only comments\n").empty());
}

TEST(PromTextTest, FindAndSumWithALabelSubset) {
    const auto s = parse_ok("mdgate_errors_total{module=\"feed\",kind=\"transient\"} 3\n"
                            "mdgate_errors_total{module=\"feed\",kind=\"resync\"} 2\n"
                            "mdgate_errors_total{module=\"http\",kind=\"transient\"} 5\n");
    const sample* feed_resync =
        find_sample(s, "mdgate_errors_total", {{"module", "feed"}, {"kind", "resync"}});
    ASSERT_NE(feed_resync, nullptr);
    EXPECT_EQ(feed_resync->value, 2.0);
    EXPECT_EQ(find_sample(s, "mdgate_errors_total"), &s[0]);
    EXPECT_EQ(find_sample(s, "mdgate_errors_total", {{"module", "db"}}), nullptr);
    EXPECT_EQ(find_sample(s, "nope"), nullptr);

    EXPECT_EQ(sum_samples(s, "mdgate_errors_total"), 10.0);
    EXPECT_EQ(sum_samples(s, "mdgate_errors_total", {{"module", "feed"}}), 5.0);
    EXPECT_EQ(sum_samples(s, "mdgate_errors_total", {{"kind", "transient"}}), 8.0);
    // Missing is not zero.
    EXPECT_FALSE(sum_samples(s, "mdgate_errors_total", {{"module", "db"}}));

    const std::vector<label_view> dynamic{{"module", "http"}};
    EXPECT_EQ(sum_samples(s, "mdgate_errors_total", dynamic), 5.0);
}

constexpr std::string_view latency_histogram = "# TYPE lat histogram\n"
                                               "lat_bucket{conn=\"a\",le=\"0.1\"} 10\n"
                                               "lat_bucket{conn=\"a\",le=\"0.5\"} 60\n"
                                               "lat_bucket{conn=\"a\",le=\"1\"} 90\n"
                                               "lat_bucket{conn=\"a\",le=\"+Inf\"} 100\n"
                                               "lat_sum{conn=\"a\"} 42\n"
                                               "lat_count{conn=\"a\"} 100\n"
                                               "lat_bucket{conn=\"b\",le=\"0.1\"} 0\n"
                                               "lat_bucket{conn=\"b\",le=\"0.5\"} 0\n"
                                               "lat_bucket{conn=\"b\",le=\"1\"} 0\n"
                                               "lat_bucket{conn=\"b\",le=\"+Inf\"} 100\n";

TEST(HistogramQuantileTest, InterpolatesLinearlyInsideTheBucket) {
    const auto s = parse_ok(latency_histogram);
    // conn a: rank 50 of 100 falls in (0.1, 0.5] holding 50: 0.1 + 0.4 * (40 / 50) = 0.42.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.5, s, "lat", {{"conn", "a"}}), 0.42);
    // rank 5 in the first bucket, interpolated from 0: 0.1 * 5 / 10 = 0.05.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.05, s, "lat", {{"conn", "a"}}), 0.05);
    // rank 99 is in the +Inf bucket: the highest finite bound.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.99, s, "lat", {{"conn", "a"}}), 1.0);
    // Summed over both series (sum by (le)): rank 100 of 200 sits in the +Inf bucket.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.5, s, "lat"), 1.0);
    // rank 40 of 200: bucket (0.1, 0.5] holds 50 (after 10): 0.1 + 0.4 * 30 / 50 = 0.34.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.2, s, "lat"), 0.34);
}

TEST(HistogramQuantileTest, FollowsPrometheusEdgeCases) {
    const auto s = parse_ok(latency_histogram);
    EXPECT_EQ(histogram_quantile(-0.1, s, "lat"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(histogram_quantile(1.1, s, "lat"), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(histogram_quantile(std::nan(""), s, "lat")));
    EXPECT_TRUE(std::isnan(histogram_quantile(0.5, s, "nope")));

    // No +Inf bucket: NaN.
    const auto no_inf = parse_ok("h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 2\n");
    EXPECT_TRUE(std::isnan(histogram_quantile(0.5, no_inf, "h")));
    // Only the +Inf bucket: fewer than two buckets, NaN.
    const auto only_inf = parse_ok("h_bucket{le=\"+Inf\"} 5\n");
    EXPECT_TRUE(std::isnan(histogram_quantile(0.5, only_inf, "h")));
    // No observations: NaN.
    const auto empty = parse_ok("h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n");
    EXPECT_TRUE(std::isnan(histogram_quantile(0.5, empty, "h")));
    // A first bucket with a bound <= 0 is returned as is.
    const auto negative = parse_ok("h_bucket{le=\"-1\"} 5\nh_bucket{le=\"+Inf\"} 10\n");
    EXPECT_EQ(histogram_quantile(0.2, negative, "h"), -1.0);
    // Non-monotonic counts (a racy scrape) are forced monotonic: the 0.5 bucket counts as 8.
    const auto dip = parse_ok("h_bucket{le=\"1\"} 8\nh_bucket{le=\"2\"} 6\n"
                              "h_bucket{le=\"4\"} 10\nh_bucket{le=\"+Inf\"} 10\n");
    // rank 9 of 10: bucket (2, 4] holds 10 - 8 = 2; 2 + 2 * (1 / 2) = 3.
    EXPECT_DOUBLE_EQ(histogram_quantile(0.9, dip, "h"), 3.0);
    // Buckets without a parseable le are ignored.
    const auto junk = parse_ok("h_bucket{le=\"x\"} 3\nh_bucket 4\nh_bucket{le=\"1\"} 2\n"
                               "h_bucket{le=\"+Inf\"} 4\n");
    EXPECT_DOUBLE_EQ(histogram_quantile(0.25, junk, "h"), 0.5);
}

} // namespace
} // namespace mdg::monitor
