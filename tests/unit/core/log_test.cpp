#include <gtest/gtest.h>

#include "core/log.hpp"

namespace mdg::core {
namespace {

using namespace std::chrono_literals;

TEST(LogLimiterTest, OneLinePerKeyPerIntervalWithSuppressedCount) {
    log_limiter limiter{60s};
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    std::uint64_t suppressed = 99;
    EXPECT_TRUE(limiter.allow("json", t0, suppressed));
    EXPECT_EQ(suppressed, 0U);
    EXPECT_FALSE(limiter.allow("json", t0 + 1s, suppressed));
    EXPECT_FALSE(limiter.allow("json", t0 + 59s, suppressed));
    // Another key is independent.
    EXPECT_TRUE(limiter.allow("gap", t0 + 2s, suppressed));
    EXPECT_TRUE(limiter.allow("json", t0 + 60s, suppressed));
    EXPECT_EQ(suppressed, 2U);
    EXPECT_FALSE(limiter.allow("json", t0 + 61s, suppressed));
}

} // namespace
} // namespace mdg::core
