#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/spin.hpp"

namespace mdg::core {
namespace {

using namespace std::chrono_literals;

TEST(SpinTest, ReturnsAtOnceWhenReadyAndChecksOnceWithoutABudget) {
    int calls = 0;
    EXPECT_TRUE(spin_until(
        [&] {
            ++calls;
            return true;
        },
        1s));
    EXPECT_EQ(calls, 1);
    calls = 0;
    EXPECT_FALSE(spin_until(
        [&] {
            ++calls;
            return false;
        },
        0ns));
    EXPECT_EQ(calls, 1);
}

TEST(SpinTest, GivesUpAfterItsBudget) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(spin_until([] { return false; }, 2ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 2ms); // a lower bound: never flaky
}

TEST(SpinTest, SeesAnotherThreadsStore) {
    std::atomic<bool> flag{false};
    std::thread setter([&] {
        std::this_thread::sleep_for(1ms);
        flag.store(true, std::memory_order_release);
    });
    // A budget far beyond the setter's delay: only a missed store could make this false.
    EXPECT_TRUE(spin_until([&] { return flag.load(std::memory_order_acquire); }, 60s));
    setter.join();
}

} // namespace
} // namespace mdg::core
