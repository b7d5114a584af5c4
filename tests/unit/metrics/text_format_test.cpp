#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "metrics/detail/text_format.hpp"

namespace mdg::metrics::detail {
namespace {

std::string number(double v) {
    std::string s;
    append_double(s, v);
    return s;
}

TEST(MetricsTextFormatTest, IntegersHaveNoExponentAndDoublesRoundTrip) {
    EXPECT_EQ(number(0.0), "0");
    EXPECT_EQ(number(1.0), "1");
    EXPECT_EQ(number(-3.0), "-3");
    EXPECT_EQ(number(1e15), "1000000000000000");
    EXPECT_EQ(number(9007199254740992.0), "9007199254740992");
    EXPECT_EQ(number(1.5), "1.5");
    EXPECT_EQ(number(0.1), "0.1");
    EXPECT_EQ(number(0.025), "0.025");
    EXPECT_EQ(number(1e-6), "1e-06");
    EXPECT_EQ(number(1e300), "1e+300");
    for (const double v : {0.1, 1.0 / 3.0, 2.5e-6, 123456.789, 1e-300}) {
        EXPECT_EQ(std::stod(number(v)), v) << number(v);
    }
    EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(number(std::nan("")), "NaN");
    std::string s;
    append_uint(s, 18446744073709551615ULL);
    EXPECT_EQ(s, "18446744073709551615");
}

TEST(MetricsTextFormatTest, EscapesLabelValuesAndHelp) {
    std::string v;
    append_label_value(v, "a\\b\"c\nd");
    EXPECT_EQ(v, R"(a\\b\"c\nd)");
    std::string h;
    append_help(h, "a\\b\"c\nd");
    EXPECT_EQ(h, R"(a\\b"c\nd)");
}

TEST(MetricsTextFormatTest, ValidatesNamesAgainstThePrometheusGrammar) {
    EXPECT_TRUE(is_valid_metric_name("mdgate_frames_total"));
    EXPECT_TRUE(is_valid_metric_name("job:rate:5m"));
    EXPECT_TRUE(is_valid_metric_name("_x"));
    EXPECT_FALSE(is_valid_metric_name(""));
    EXPECT_FALSE(is_valid_metric_name("1x"));
    EXPECT_FALSE(is_valid_metric_name("a-b"));
    EXPECT_FALSE(is_valid_metric_name("a b"));
    EXPECT_FALSE(is_valid_metric_name("caf\xc3\xa9"));

    EXPECT_TRUE(is_valid_label_name("venue"));
    EXPECT_TRUE(is_valid_label_name("_x9"));
    EXPECT_FALSE(is_valid_label_name("__name__"));
    EXPECT_FALSE(is_valid_label_name("a:b"));
    EXPECT_FALSE(is_valid_label_name("9a"));
    EXPECT_FALSE(is_valid_label_name(""));
}

TEST(MetricsTextFormatTest, AcceptsOnlyWellFormedUtf8) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xc3"));             // cut short
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xff"));
    EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(MetricsTextFormatTest, CanonicalLabelsAreSortedAndUnique) {
    labels l{{"venue", "bybit"}, {"conn", "conn_0"}};
    EXPECT_EQ(canonicalize(l, false), nullptr);
    EXPECT_EQ(l, (labels{{"conn", "conn_0"}, {"venue", "bybit"}}));
    labels dup{{"a", "1"}, {"b", "2"}, {"a", "3"}};
    EXPECT_NE(canonicalize(dup, false), nullptr);
    labels le{{"le", "1"}};
    EXPECT_EQ(canonicalize(le, false), nullptr);
    EXPECT_NE(canonicalize(le, true), nullptr);
    labels bad_value{{"a", "\xff"}};
    EXPECT_NE(canonicalize(bad_value, false), nullptr);
}

} // namespace
} // namespace mdg::metrics::detail
