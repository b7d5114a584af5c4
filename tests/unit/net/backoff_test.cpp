#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "net/backoff.hpp"

namespace mdg::net {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

TEST(BackoffTest, WaitsStayWithinTheGrowingCeilingAndTheCap) {
    backoff b{{1000ms, 60'000ms, 30'000ms}, 1};
    const std::vector<std::int64_t> ceilings{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (auto c : ceilings) {
        EXPECT_EQ(b.ceiling().count(), c);
        const auto d = b.next();
        EXPECT_GE(d.count(), 0);
        EXPECT_LE(d.count(), c);
    }
    for (int i = 0; i < 100; ++i) {
        EXPECT_LE(b.next(), 60'000ms); // never gives up, never exceeds the cap
    }
    EXPECT_EQ(b.attempt(), 108U);
}

TEST(BackoffTest, JitterSpreadsConnectionsThatFailTogether) {
    std::set<std::int64_t> first_waits;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        backoff b{{1000ms, 60'000ms, 30'000ms}, seed};
        (void)b.next();
        (void)b.next();
        first_waits.insert(b.next().count()); // third attempt: uniform in [0, 4 s]
    }
    EXPECT_GE(first_waits.size(), 9U);
    EXPECT_GT(*first_waits.rbegin() - *first_waits.begin(), 1000);
}

TEST(BackoffTest, ResetsOnlyAfterAStablePeriod) {
    backoff b{{1000ms, 60'000ms, 30'000ms}, 3};
    const auto t0 = clock::time_point{} + 1h;
    for (int i = 0; i < 5; ++i) {
        (void)b.next();
    }
    b.on_up(t0);
    b.on_down(t0 + 10s); // a flapping connection keeps its backoff
    EXPECT_EQ(b.attempt(), 5U);
    b.on_up(t0 + 20s);
    b.on_down(t0 + 51s); // up for 31 s: stable, start again from the base
    EXPECT_EQ(b.attempt(), 0U);
    EXPECT_EQ(b.ceiling(), 1000ms);
}

TEST(BackoffTest, AnHourLongOutageMakesABoundedNumberOfAttempts) {
    // Simulated clock: each failed attempt waits the backoff; count attempts in one hour.
    backoff b{{1000ms, 60'000ms, 30'000ms}, 11};
    std::chrono::milliseconds elapsed{0};
    int attempts = 0;
    while (elapsed < 1h) {
        elapsed += b.next();
        ++attempts;
    }
    // With a 60 s cap and full jitter the mean wait is 30 s: about 120 attempts, not thousands.
    EXPECT_GT(attempts, 60);
    EXPECT_LT(attempts, 250);
}

TEST(BackoffTest, HugeConfigurationsDoNotOverflow) {
    backoff b{{std::chrono::milliseconds{std::int64_t{1} << 40},
               std::chrono::milliseconds{std::int64_t{1} << 50}, 1s},
              5};
    for (int i = 0; i < 70; ++i) {
        EXPECT_LE(b.next().count(), std::int64_t{1} << 50);
    }
}

} // namespace
} // namespace mdg::net
