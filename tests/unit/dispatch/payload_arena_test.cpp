#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dispatch/payload_arena.hpp"
#include "dispatch/spsc_ring.hpp"

namespace mdg::dispatch {
namespace {

TEST(PayloadArena, HandsOutAlignedBlocksInOrderAndRefusesWhatDoesNotFit) {
    payload_arena a(250); // rounded up to 256
    EXPECT_EQ(a.capacity(), 256U);
    auto* p1 = a.allocate(1); // takes 16
    ASSERT_NE(p1, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p1) % payload_arena::alignment, 0U);
    const auto end1 = a.commit();
    EXPECT_EQ(end1, 16U);
    auto* p2 = a.allocate(200);
    ASSERT_NE(p2, nullptr);
    EXPECT_EQ(p2, p1 + 16);
    const auto end2 = a.commit();
    EXPECT_EQ(end2, 224U);
    EXPECT_EQ(a.allocate(48), nullptr) << "32 bytes left";
    EXPECT_EQ(a.allocate(257), nullptr) << "larger than the arena";
    // 32 bytes at the end are free, but a block never crosses the end: 48 bytes must wait
    // until the front is released, and then skip the tail.
    a.release(end1);
    EXPECT_EQ(a.allocate(48), nullptr) << "16 bytes free at the front, 32 at the end";
    a.release(end2);
    auto* p3 = a.allocate(48);
    EXPECT_EQ(p3, p1) << "starts again at the front";
    EXPECT_EQ(a.commit(), 256U + 48U) << "the skipped tail counts as used";
}

TEST(PayloadArena, AbandonForgetsWhatWasNotCommitted) {
    payload_arena a(128);
    ASSERT_NE(a.allocate(64), nullptr);
    ASSERT_NE(a.allocate(64), nullptr);
    EXPECT_EQ(a.allocate(16), nullptr);
    a.abandon();
    auto* p = a.allocate(128);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(a.commit(), 128U);
}

// A producer and a consumer on two threads, as a shard queue uses them: every payload
// arrives intact although the arena is much smaller than what goes through it.
TEST(PayloadArena, CarriesPayloadsBetweenTwoThreadsThroughManyWraps) {
    struct item {
        std::byte* payload = nullptr;
        std::size_t size = 0;
        std::uint64_t end = 0;
        std::uint32_t seq = 0;
    };
    spsc_ring<item> ring(64);
    payload_arena arena(4096);
    constexpr std::uint32_t count = 200'000;
    std::uint64_t bad = 0;
    std::thread consumer([&] {
        for (std::uint32_t want = 0; want < count;) {
            auto* it = ring.front();
            if (it == nullptr) {
                std::this_thread::yield();
                continue;
            }
            EXPECT_EQ(it->seq, want);
            for (std::size_t i = 0; i < it->size; ++i) {
                bad += it->payload[i] != static_cast<std::byte>((it->seq + i) & 0xff) ? 1 : 0;
            }
            arena.release(it->end);
            ring.pop();
            ++want;
        }
    });
    std::uint64_t bytes = 0;
    for (std::uint32_t seq = 0; seq < count;) {
        auto* it = ring.try_claim();
        const std::size_t size = 1 + (seq * 7919U) % 1000;
        std::byte* p = it != nullptr ? arena.allocate(size) : nullptr;
        if (p == nullptr) {
            arena.abandon();
            std::this_thread::yield();
            continue;
        }
        for (std::size_t i = 0; i < size; ++i) {
            p[i] = static_cast<std::byte>((seq + i) & 0xff);
        }
        *it = {.payload = p, .size = size, .end = arena.commit(), .seq = seq};
        ring.publish();
        bytes += size;
        ++seq;
    }
    consumer.join();
    EXPECT_EQ(bad, 0U);
    EXPECT_GT(bytes, 20'000 * arena.capacity() / 1000) << "the arena went round many times";
}

} // namespace
} // namespace mdg::dispatch
