#include <gtest/gtest.h>

#include "cli/duration.hpp"

namespace mdg::cli {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesEveryUnit) {
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("20s"), 20s);
    EXPECT_EQ(parse_duration("5m"), 5min);
    EXPECT_EQ(parse_duration("1h"), 1h);
    EXPECT_EQ(parse_duration("0s"), 0ms);
    EXPECT_EQ(parse_duration("1000h"), 1000h);
}

TEST(DurationTest, RejectsEverythingElse) {
    for (const char* bad : {"", "20", "-5s", "+5s", "1.5s", "20 s", " 20s", "20sec", "5M", "s",
                            "1d", "1001h", "99999999999999999999s", "9223372036854775807ms0"}) {
        EXPECT_FALSE(parse_duration(bad)) << bad;
    }
}

TEST(DurationTest, FormatsTheShortestExactSpelling) {
    EXPECT_EQ(format_duration(0ms), "0s");
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(90s), "90s");
    EXPECT_EQ(format_duration(5min), "5m");
    EXPECT_EQ(format_duration(2h), "2h");
    for (std::chrono::milliseconds d : {1ms, 999ms, 61000ms, 3601000ms, 3600000000ms}) {
        EXPECT_EQ(parse_duration(format_duration(d)), d);
    }
}

} // namespace
} // namespace mdg::cli
