#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "net/backoff.hpp"
#include "net/outage_log.hpp"

namespace mdg::net {
namespace {

using namespace std::chrono_literals;
using clock = outage_log::clock;
using verdict = outage_log::verdict;

const clock::time_point t0{std::chrono::hours{1000}};

struct tally {
    int lines = 0;
    int summaries = 0;
    int quiet = 0;
    [[nodiscard]] int written() const { return lines + summaries; }
};

TEST(OutageLogTest, OneLinePerGrowingBackoffStepThenOneSummaryPerMinuteAtTheCap) {
    // The real backoff (base 1 s, cap 60 s) drives the clock: each failed attempt comes after
    // the wait the backoff chose, like the connection's retry loop.
    backoff retry{{1000ms, 60'000ms, 30'000ms}, 7};
    outage_log log; // summaries every minute
    auto now = t0;
    log.on_down(now);
    tally t;
    std::vector<clock::time_point> written_at;
    constexpr int attempts = 500;
    for (int i = 0; i < attempts; ++i) {
        const bool capped = retry.ceiling() >= 60'000ms;
        const auto v = log.on_failure(now, capped, "tcp connect failed: Connection refused");
        if (v == verdict::line) {
            ++t.lines;
            written_at.push_back(now);
        } else if (v == verdict::summary) {
            ++t.summaries;
            written_at.push_back(now);
        } else {
            ++t.quiet;
        }
        now += retry.next();
    }
    EXPECT_EQ(log.attempts(), static_cast<std::uint64_t>(attempts));
    // 1, 2, 4, 8, 16, 32 s: six growing steps, one line each, and one for the first capped wait.
    EXPECT_EQ(t.lines, 7);
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(now - t0).count();
    EXPECT_LE(t.summaries, minutes);
    EXPECT_GT(t.quiet, 0);
    EXPECT_LT(t.written(), attempts / 2);
    // At the cap, written lines are at least a minute apart.
    for (std::size_t i = 8; i < written_at.size(); ++i) {
        EXPECT_GE(written_at[i] - written_at[i - 1], 1min) << i;
    }
}

TEST(OutageLogTest, ThreeFailuresASecondAtTheCapGiveOneLinePerMinute) {
    // The flood the operator saw: failures every 333 ms (say, several paths failing fast).
    outage_log log{60s};
    tally t;
    auto now = t0;
    for (int i = 0; i < 3 * 600; ++i) { // ten minutes
        const auto v = log.on_failure(now, true, "refused");
        t.lines += v == verdict::line ? 1 : 0;
        t.summaries += v == verdict::summary ? 1 : 0;
        now += 333ms;
    }
    EXPECT_EQ(t.lines, 1);
    EXPECT_LE(t.summaries, 10);
    EXPECT_GE(t.summaries, 9);
    EXPECT_EQ(log.last_error(), "refused");
}

TEST(OutageLogTest, DownTimeCountsFromTheDropAndUpEndsTheOutage) {
    outage_log log{60s};
    EXPECT_FALSE(log.down());
    EXPECT_EQ(log.down_for(t0), clock::duration::zero());
    log.on_down(t0);
    log.on_down(t0 + 5s); // already down: the start stays
    EXPECT_EQ(log.on_failure(t0 + 10s, false, "a"), verdict::line);
    EXPECT_EQ(log.on_failure(t0 + 20s, false, "b"), verdict::line);
    EXPECT_TRUE(log.down());
    EXPECT_EQ(log.attempts(), 2U);
    EXPECT_EQ(log.down_for(t0 + 192s), 192s);
    EXPECT_EQ(log.last_error(), "b");
    log.on_up();
    EXPECT_FALSE(log.down());
    EXPECT_EQ(log.attempts(), 0U);
    // A startup failure starts an outage without on_down.
    EXPECT_EQ(log.on_failure(t0 + 300s, false, "c"), verdict::line);
    EXPECT_EQ(log.down_for(t0 + 303s), 3s);
}

TEST(OutageLogTest, BackoffGrowingAgainAfterTheCapGetsLinesAgain) {
    outage_log log{60s};
    EXPECT_EQ(log.on_failure(t0, true, "x"), verdict::line);
    EXPECT_EQ(log.on_failure(t0 + 1s, true, "x"), verdict::quiet);
    EXPECT_EQ(log.on_failure(t0 + 61s, true, "x"), verdict::summary);
    EXPECT_EQ(log.on_failure(t0 + 62s, false, "x"), verdict::line);
    EXPECT_EQ(log.on_failure(t0 + 63s, true, "x"), verdict::line);
}

TEST(OutageLogTest, FormatsDownTimeToTheSecond) {
    EXPECT_EQ(format_down_time(0s), "0s");
    EXPECT_EQ(format_down_time(45s + 900ms), "45s");
    EXPECT_EQ(format_down_time(192s), "3m12s");
    EXPECT_EQ(format_down_time(2h + 5min + 7s), "2h05m07s");
}

} // namespace
} // namespace mdg::net
