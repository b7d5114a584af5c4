#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "net/connect_budget.hpp"

namespace mdg::net {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

TEST(ConnectBudgetTest, TenConnectionsDroppingAtOnceAreSpreadOverMoreThanASecond) {
    connect_budget budget{{}};
    const auto t0 = clock::time_point{} + 1h;
    std::vector<clock::time_point> starts;
    for (int i = 0; i < 10; ++i) {
        starts.push_back(budget.reserve(t0));
    }
    EXPECT_EQ(starts.front(), t0); // a burst of 4 goes at once
    EXPECT_EQ(starts[3], t0);
    EXPECT_GT(starts.back() - starts.front(), 1s);
    EXPECT_TRUE(std::is_sorted(starts.begin(), starts.end()));
}

TEST(ConnectBudgetTest, NeverMoreThanTheCapInAnyWindow) {
    connect_budget budget{
        {.max_per_window = 10, .window = 60s, .rate_per_second = 100, .burst = 100}};
    const auto t0 = clock::time_point{} + 1h;
    std::vector<clock::time_point> starts;
    for (int i = 0; i < 35; ++i) {
        starts.push_back(budget.reserve(t0));
    }
    for (std::size_t i = 0; i + 10 < starts.size(); ++i) {
        EXPECT_GE(starts[i + 10] - starts[i], 60s) << i; // the 11th start is a window later
    }
    EXPECT_LE(budget.in_window(starts.back()), 10U);
}

TEST(ConnectBudgetTest, IdleTimeRefillsTheBurst) {
    connect_budget budget{{}};
    const auto t0 = clock::time_point{} + 1h;
    for (int i = 0; i < 8; ++i) {
        (void)budget.reserve(t0);
    }
    const auto later = t0 + 10min;
    EXPECT_EQ(budget.reserve(later), later);
}

} // namespace
} // namespace mdg::net
