#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "net/rate_limiter.hpp"

namespace mdg::net {
namespace {

using namespace std::chrono_literals;
using clock = rate_limiter::clock;

const clock::time_point t0{1h};

TEST(RateLimiterTest, NeverMoreThanTheLimitInAnyWindowAndSaysWhenToAskAgain) {
    rate_limiter l{{.ip = {10, 5s}, .bulk_share = 1.0, .endpoints = {}}};
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(l.try_acquire("/v5/market/kline", rest_priority::bulk, t0 + i * 100ms).granted);
    }
    const auto v = l.try_acquire("/v5/market/kline", rest_priority::bulk, t0 + 1s);
    EXPECT_FALSE(v.granted);
    EXPECT_EQ(v.why, rate_limiter::reason::ip);
    EXPECT_EQ(v.retry_at, t0 + 5s); // when the first grant leaves the window
    EXPECT_FALSE(l.try_acquire("/x", rest_priority::urgent, t0 + 5s - 1ms).granted);
    EXPECT_TRUE(l.try_acquire("/x", rest_priority::urgent, t0 + 5s).granted);
    EXPECT_EQ(l.in_window(t0 + 5s), 10U);
}

// Whatever the arrival pattern and priorities, callers that wait for retry_at and ask again
// never make more than `max` grants fall in one window (checked over every window).
TEST(RateLimiterTest, RandomArrivalsWithRetriesStayWithinEveryWindow) {
    rate_limiter l{{.ip = {20, 1s}, .bulk_share = 0.8, .endpoints = {}}};
    std::mt19937_64 rng{42};
    std::vector<clock::time_point> granted;
    auto now = t0;
    for (int i = 0; i < 2000; ++i) {
        now += std::chrono::microseconds{rng() % 40'000};
        const auto p = rng() % 4 == 0 ? rest_priority::urgent : rest_priority::bulk;
        auto v = l.try_acquire("/p", p, now);
        auto at = now;
        while (!v.granted) {
            ASSERT_GT(v.retry_at, at);
            at = v.retry_at;
            v = l.try_acquire("/p", p, at);
        }
        granted.push_back(at);
        now = at; // time only goes forward: the next arrival comes after this grant
    }
    std::sort(granted.begin(), granted.end());
    std::size_t lo = 0;
    for (std::size_t hi = 0; hi < granted.size(); ++hi) {
        while (granted[lo] + 1s <= granted[hi]) {
            ++lo;
        }
        ASSERT_LE(hi - lo + 1, 20U) << "window ending at grant " << hi;
    }
}

TEST(RateLimiterTest, BulkLeavesRoomForUrgent) {
    rate_limiter l{{.ip = {10, 5s}, .bulk_share = 0.8, .endpoints = {}}};
    int bulk = 0;
    while (l.try_acquire("/v5/market/kline", rest_priority::bulk, t0).granted) {
        ++bulk;
    }
    EXPECT_EQ(bulk, 8);
    EXPECT_TRUE(l.try_acquire("/v5/market/orderbook", rest_priority::urgent, t0).granted);
    EXPECT_TRUE(l.try_acquire("/v5/market/orderbook", rest_priority::urgent, t0).granted);
    const auto v = l.try_acquire("/v5/market/orderbook", rest_priority::urgent, t0);
    EXPECT_FALSE(v.granted);
    EXPECT_EQ(v.retry_at, t0 + 5s);
}

TEST(RateLimiterTest, AnEndpointLimitAppliesToItsPathOnly) {
    rate_limiter l{{.ip = {100, 5s},
                    .bulk_share = 1.0,
                    .endpoints = {{"/v5/market/kline", {.max = 2, .window = 1s}}}}};
    EXPECT_TRUE(l.try_acquire("/v5/market/kline", rest_priority::bulk, t0).granted);
    EXPECT_TRUE(l.try_acquire("/v5/market/kline", rest_priority::bulk, t0 + 10ms).granted);
    const auto v = l.try_acquire("/v5/market/kline", rest_priority::bulk, t0 + 20ms);
    EXPECT_FALSE(v.granted);
    EXPECT_EQ(v.why, rate_limiter::reason::endpoint);
    EXPECT_EQ(v.retry_at, t0 + 1s);
    EXPECT_TRUE(l.try_acquire("/v5/market/tickers", rest_priority::bulk, t0 + 20ms).granted);
    // A refused request is not counted anywhere.
    EXPECT_EQ(l.in_window(t0 + 20ms), 3U);
}

TEST(RateLimiterTest, BansStopAPathOrEverythingUntilTheirTime) {
    rate_limiter l{{}};
    l.ban_endpoint("/v5/market/kline", t0 + 1s);
    auto v = l.try_acquire("/v5/market/kline", rest_priority::urgent, t0);
    EXPECT_FALSE(v.granted);
    EXPECT_EQ(v.why, rate_limiter::reason::endpoint_banned);
    EXPECT_EQ(v.retry_at, t0 + 1s);
    EXPECT_TRUE(l.try_acquire("/v5/market/tickers", rest_priority::urgent, t0).granted);
    EXPECT_TRUE(l.try_acquire("/v5/market/kline", rest_priority::urgent, t0 + 1s).granted);
    l.ban_ip(t0 + 10min);
    l.ban_ip(t0 + 1min); // an earlier end never shortens a ban
    v = l.try_acquire("/v5/market/tickers", rest_priority::urgent, t0 + 2min);
    EXPECT_FALSE(v.granted);
    EXPECT_EQ(v.why, rate_limiter::reason::ip_banned);
    EXPECT_EQ(v.retry_at, t0 + 10min);
}

} // namespace
} // namespace mdg::net
