#include <chrono>

#include <gtest/gtest.h>

#include "exchange/feed/resync_pacer.hpp"

namespace mdg::exchange {
namespace {

using namespace std::chrono_literals;
using clock = resync_pacer::clock;

constexpr auto topic = "orderbook.50.BTCUSDT";

TEST(ResyncPacerTest, AResyncAfterACalmSpellGoesAtOnce) {
    resync_pacer p;
    const clock::time_point t0{1h};
    EXPECT_EQ(p.on_request(topic, t0), clock::duration::zero());
    EXPECT_EQ(p.on_request(topic, t0 + 31s), clock::duration::zero());
    EXPECT_EQ(p.on_request(topic, t0 + 62s), clock::duration::zero());
    EXPECT_EQ(p.streak(topic), 0U);
}

// A topic whose every snapshot fails asks again at the round-trip rate: the resyncs back off.
TEST(ResyncPacerTest, AStreakWaitsLongerEachTimeUpToTheCap) {
    resync_pacer p;
    auto now = clock::time_point{1h};
    EXPECT_EQ(p.on_request(topic, now), clock::duration::zero());
    clock::duration expected = 500ms;
    for (int i = 1; i <= 10; ++i) {
        now += 50ms; // the next snapshot fails one round trip later
        const auto d = p.on_request(topic, now);
        EXPECT_EQ(d, std::min<clock::duration>(expected, 60s)) << "resync " << i;
        EXPECT_EQ(p.streak(topic), static_cast<unsigned>(i));
        // While it waits, more requests for the topic add nothing.
        EXPECT_EQ(p.on_request(topic, now + 1ms), clock::duration::max());
        p.on_sent(topic);
        now += d;
        expected *= 2;
    }
    // After a calm spell the topic is back to immediate resyncs.
    EXPECT_EQ(p.on_request(topic, now + 30s), clock::duration::zero());
    EXPECT_EQ(p.streak(topic), 0U);
}

TEST(ResyncPacerTest, TopicsArePacedApart) {
    resync_pacer p;
    const clock::time_point t0{1h};
    EXPECT_EQ(p.on_request(topic, t0), clock::duration::zero());
    EXPECT_EQ(p.on_request("orderbook.50.ETHUSDT", t0 + 1ms), clock::duration::zero());
    EXPECT_EQ(p.on_request(topic, t0 + 2ms), 500ms);
}

} // namespace
} // namespace mdg::exchange
