#include <gtest/gtest.h>

#include "net/circuit_breaker.hpp"

namespace mdg::net {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using state = circuit_breaker::state;

TEST(CircuitBreakerTest, OpensOnFailureRefusesDuringCooldownThenTriesOnce) {
    circuit_breaker cb{{1, 30s}};
    const auto t0 = clock::time_point{} + 1h;
    EXPECT_TRUE(cb.allow(t0));
    EXPECT_TRUE(cb.on_failure(t0)); // closed -> open: a change, log it
    EXPECT_EQ(cb.current(), state::open);
    EXPECT_FALSE(cb.allow(t0 + 10s));
    EXPECT_TRUE(cb.allow(t0 + 30s)); // the trial
    EXPECT_EQ(cb.current(), state::half_open);
    EXPECT_FALSE(cb.allow(t0 + 31s)); // only one trial at a time
    EXPECT_TRUE(cb.on_failure(t0 + 32s));
    EXPECT_FALSE(cb.allow(t0 + 40s));
    EXPECT_TRUE(cb.allow(t0 + 62s));
    EXPECT_TRUE(cb.on_success());  // half_open -> closed
    EXPECT_FALSE(cb.on_success()); // no change, nothing to log
    EXPECT_EQ(to_string(cb.current()), "closed");
}

TEST(CircuitBreakerTest, NeedsSeveralFailuresWhenConfigured) {
    circuit_breaker cb{{3, 5s}};
    const auto t0 = clock::time_point{} + 1h;
    EXPECT_FALSE(cb.on_failure(t0));
    EXPECT_FALSE(cb.on_failure(t0));
    EXPECT_TRUE(cb.allow(t0));
    EXPECT_TRUE(cb.on_failure(t0));
    EXPECT_FALSE(cb.allow(t0 + 1s));
}

} // namespace
} // namespace mdg::net
