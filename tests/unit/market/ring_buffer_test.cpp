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

TEST(RingBufferDeathTest, PushWhileFullAborts) {
    ring_buffer<int> ring{1};
    ring.push_back(1);
    EXPECT_DEATH(ring.push_back(2), "pop_front first");
}

} // namespace
} // namespace mdg::market::detail
