#include <string>

#include <gtest/gtest.h>

#include "market/detail/ring_buffer.hpp"

namespace mdg::market::detail {
namespace {

TEST(RingBufferTest, WrapsAroundKeepingOldestFirst) {
    ring_buffer<int> ring{3};
    for (int v = 1; v <= 3; ++v) {
        ring.push_back(v);
    }
    EXPECT_TRUE(ring.full());
    for (int v = 4; v <= 7; ++v) {
        ring.pop_front();
        ring.push_back(v);
    }
    ASSERT_EQ(ring.size(), 3U);
    EXPECT_EQ(ring[0], 5);
    EXPECT_EQ(ring[1], 6);
    EXPECT_EQ(ring[2], 7);
    EXPECT_EQ(ring.front(), 5);
    EXPECT_EQ(ring.back(), 7);
}

TEST(RingBufferTest, PopFrontThenPushReusesSlots) {
    ring_buffer<int> ring{2};
    ring.push_back(1);
    ring.pop_front();
    EXPECT_TRUE(ring.empty());
    ring.push_back(2);
    ring.push_back(3);
    EXPECT_EQ(ring.front(), 2);
    EXPECT_EQ(ring.back(), 3);
    ring.clear();
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.capacity(), 2U);
}

// Slots are constructed on first write: objects that own memory (checked for leaks and
// use-after-free by the sanitizer passes) survive partial fills, wrap-around, clear and
// destruction with exactly the expected contents.
TEST(RingBufferTest, ObjectsOwningMemoryThroughPartialFillWrapAndClear) {
    const auto big = [](int i) {
        return std::string(64, static_cast<char>('a' + i % 26));
    };
    ring_buffer<std::string> ring{4};
    ring.push_back(big(0));
    ring.push_back(big(1));
    ring.pop_front(); // head moves over a written slot
    ring.push_back(big(2));
    ring.push_back(big(3));
    ring.push_back(big(4)); // the last never-written slot
    ring.pop_front();
    ring.push_back(big(5)); // wraps onto slot 0
    ASSERT_EQ(ring.size(), 4U);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(ring[i], big(static_cast<int>(i) + 2));
    }
    ring.clear();
    ring.push_back(big(6));
    EXPECT_EQ(ring.front(), big(6));
    ring_buffer<std::string> moved{std::move(ring)};
    EXPECT_EQ(moved.size(), 1U);
    EXPECT_EQ(moved.back(), big(6));
    ring_buffer<std::string> unused{1000}; // never written: nothing constructed or destroyed
    EXPECT_TRUE(unused.empty());
}

TEST(RingBufferDeathTest, PushWhileFullAborts) {
    ring_buffer<int> ring{1};
    ring.push_back(1);
    EXPECT_DEATH(ring.push_back(2), "pop_front first");
}

} // namespace
} // namespace mdg::market::detail
