#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dispatch/spsc_ring.hpp"

namespace mdg::dispatch {
namespace {

TEST(SpscRing, RefusesWhenFullAndReusesSlots) {
    spsc_ring<std::vector<int>> ring(3); // rounded up to 4
    EXPECT_EQ(ring.capacity(), 4U);
    for (int i = 0; i < 4; ++i) {
        auto* s = ring.try_claim();
        ASSERT_NE(s, nullptr);
        s->assign(100, i);
        ring.publish();
    }
    EXPECT_EQ(ring.try_claim(), nullptr);
    EXPECT_EQ(ring.size(), 4U);
    auto* f = ring.front();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->front(), 0);
    const auto* storage = f->data();
    ring.pop();
    auto* again = ring.try_claim();
    ASSERT_NE(again, nullptr);
    // The freed slot comes back with its capacity: refilling it does not allocate.
    again->assign(50, 9);
    EXPECT_EQ(again->data(), storage);
    ring.publish();
    EXPECT_EQ(ring.published(), 5U);
    EXPECT_EQ(ring.consumed(), 1U);
}

TEST(SpscRing, TransfersEveryItemInOrderBetweenThreads) {
    spsc_ring<std::uint64_t> ring(64);
    constexpr std::uint64_t n = 200'000;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < n;) {
            if (auto* s = ring.try_claim()) {
                *s = i++;
                ring.publish();
            } else {
                std::this_thread::yield();
            }
        }
    });
    std::uint64_t expected = 0;
    while (expected < n) {
        if (auto* s = ring.front()) {
            ASSERT_EQ(*s, expected);
            ++expected;
            ring.pop();
        } else {
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_EQ(ring.front(), nullptr);
}

} // namespace
} // namespace mdg::dispatch
