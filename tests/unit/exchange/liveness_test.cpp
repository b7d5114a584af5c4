#include <chrono>

#include <gtest/gtest.h>

#include "exchange/feed/liveness.hpp"

// What a stall is (docs/feed.md): nothing at all within the first deadline to fire. With the
// default ratio (ping every 20 s, pong deadline 10 s, receive timeout 30 s) the pong deadline
// fires first, and a silent connection must still be a stall, not a missed pong.

namespace mdg::exchange {
namespace {

using namespace std::chrono_literals;
using verdict = liveness::verdict;
using detector = liveness::detector;
const liveness::clock::time_point t0{std::chrono::hours{1}};

liveness defaults() {
    return liveness{10s, 30s};
}

TEST(Liveness, FramesAndAnsweredPingsAreFine) {
    auto l = defaults();
    l.on_up(t0);
    l.on_frame(t0 + 5s);
    l.on_ping(t0 + 20s);
    l.on_frame(t0 + 21s);
    l.on_pong();
    EXPECT_EQ(l.check(t0 + 40s).what, verdict::ok);
}

TEST(Liveness, SilenceAfterAPingIsAStallSeenByThePongDeadline) {
    auto l = defaults();
    l.on_up(t0);
    l.on_frame(t0 + 15s); // the last frame, then nothing
    l.on_ping(t0 + 20s);
    EXPECT_EQ(l.check(t0 + 30s).what, verdict::ok); // the deadline has not passed yet
    const auto f = l.check(t0 + 30s + 1ms);
    EXPECT_EQ(f.what, verdict::stall);
    EXPECT_EQ(f.by, detector::pong_deadline);
    EXPECT_EQ(f.silent, 15s + 1ms);
    EXPECT_EQ(to_string(f.by), "pong_timeout");
}

TEST(Liveness, AMissedPongWhileDataArrivesIsNotAStall) {
    auto l = defaults();
    l.on_up(t0);
    l.on_ping(t0 + 20s);
    for (auto t = t0 + 20s; t <= t0 + 35s; t += 1s) {
        l.on_frame(t); // data keeps streaming, the pong never comes
    }
    const auto f = l.check(t0 + 35s);
    EXPECT_EQ(f.what, verdict::missed_pong);
    EXPECT_EQ(f.by, detector::pong_deadline);
}

TEST(Liveness, SilenceWithoutAPingIsAStallSeenByTheReceiveWatchdog) {
    // A ping interval longer than the receive timeout: the watchdog is the first deadline.
    auto l = defaults();
    l.on_up(t0);
    l.on_frame(t0 + 1s);
    EXPECT_EQ(l.check(t0 + 31s).what, verdict::ok);
    const auto f = l.check(t0 + 31s + 1ms);
    EXPECT_EQ(f.what, verdict::stall);
    EXPECT_EQ(f.by, detector::receive_watchdog);
    EXPECT_EQ(to_string(f.by), "receive_timeout");
}

TEST(Liveness, TheDeadlineRunsFromTheOldestUnansweredPing) {
    auto l = liveness{10s, 60s};
    l.on_up(t0);
    l.on_ping(t0 + 1s);
    l.on_ping(t0 + 8s); // a second ping does not push the deadline back
    EXPECT_EQ(l.check(t0 + 11s + 1ms).what, verdict::stall);
    l.on_pong();
    EXPECT_EQ(l.check(t0 + 11s + 1ms).what, verdict::ok);
}

TEST(Liveness, ANewConnectionStartsAfresh) {
    auto l = defaults();
    l.on_up(t0);
    l.on_ping(t0 + 1s);
    l.on_up(t0 + 100s);
    EXPECT_EQ(l.check(t0 + 120s).what, verdict::ok);
    EXPECT_EQ(l.last_rx(), t0 + 100s);
}

} // namespace
} // namespace mdg::exchange
