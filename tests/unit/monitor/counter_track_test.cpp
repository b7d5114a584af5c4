#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "monitor/counter_track.hpp"

namespace mdg::monitor {
namespace {

using status = counter_track::feed_status;

unix_nanos at_seconds(std::int64_t s) {
    return unix_nanos{s * 1'000'000'000};
}

TEST(CounterTrackTest, IncreaseWithoutRestarts) {
    counter_track c;
    EXPECT_EQ(c.hours(), 0.0);
    EXPECT_FALSE(c.first_time());
    EXPECT_EQ(c.feed(at_seconds(0), 1000.0, 40.0), status::accepted); // the starting point
    EXPECT_EQ(c.increase(), 0.0);
    EXPECT_EQ(c.feed(at_seconds(900), 1000.0, 45.0), status::accepted);
    EXPECT_EQ(c.feed(at_seconds(1800), 1000.0, 45.0), status::accepted);
    EXPECT_EQ(c.feed(at_seconds(3600), 1000.0, 52.0), status::accepted);
    EXPECT_EQ(c.increase(), 12.0);
    EXPECT_EQ(c.restarts(), 0U);
    EXPECT_EQ(c.observations(), 4U);
    EXPECT_EQ(c.hours(), 1.0);
    EXPECT_EQ(c.first_time(), at_seconds(0));
    EXPECT_EQ(c.last_time(), at_seconds(3600));
}

TEST(CounterTrackTest, ANewStartTimeCountsTheNewValueFromZero) {
    counter_track c;
    (void)c.feed(at_seconds(0), 1000.0, 10.0);
    (void)c.feed(at_seconds(60), 1000.0, 14.0); // +4
    // Restarted at t = 100 and has counted 20 already: more than before, yet a new process.
    EXPECT_EQ(c.feed(at_seconds(120), 1100.0, 20.0), status::restarted); // +20
    EXPECT_EQ(c.feed(at_seconds(180), 1100.0, 23.0), status::accepted);  // +3
    EXPECT_EQ(c.increase(), 27.0);
    EXPECT_EQ(c.restarts(), 1U);
}

TEST(CounterTrackTest, ADecreaseRevealsARestartWithoutAStartTime) {
    counter_track c;
    (void)c.feed(at_seconds(0), std::nullopt, 100.0);
    (void)c.feed(at_seconds(60), std::nullopt, 130.0);                        // +30
    EXPECT_EQ(c.feed(at_seconds(120), std::nullopt, 5.0), status::restarted); // +5
    EXPECT_EQ(c.feed(at_seconds(180), std::nullopt, 0.0), status::restarted); // +0
    EXPECT_EQ(c.feed(at_seconds(240), std::nullopt, 2.0), status::accepted);  // +2
    EXPECT_EQ(c.increase(), 37.0);
    EXPECT_EQ(c.restarts(), 2U);
}

TEST(CounterTrackTest, AStartTimeThatAppearsLaterIsNotARestart) {
    counter_track c;
    (void)c.feed(at_seconds(0), std::nullopt, 1.0);
    EXPECT_EQ(c.feed(at_seconds(60), 500.0, 3.0), status::accepted);
    EXPECT_EQ(c.feed(at_seconds(120), std::nullopt, 4.0), status::accepted);
    EXPECT_EQ(c.feed(at_seconds(180), 500.0, 6.0), status::accepted);
    EXPECT_EQ(c.feed(at_seconds(240), 900.0, 1.0), status::restarted);
    EXPECT_EQ(c.increase(), 6.0);
    EXPECT_EQ(c.restarts(), 1U);
}

TEST(CounterTrackTest, IgnoresOutOfOrderAndInvalidObservations) {
    counter_track c;
    (void)c.feed(at_seconds(60), 1.0, 10.0);
    EXPECT_EQ(c.feed(at_seconds(60), 1.0, 11.0), status::out_of_order);
    EXPECT_EQ(c.feed(at_seconds(30), 1.0, 12.0), status::out_of_order);
    EXPECT_EQ(c.feed(at_seconds(90), 1.0, -1.0), status::invalid);
    EXPECT_EQ(c.feed(at_seconds(90), 1.0, std::nan("")), status::invalid);
    EXPECT_EQ(c.feed(at_seconds(90), 1.0, std::numeric_limits<double>::infinity()),
              status::invalid);
    EXPECT_EQ(c.feed(at_seconds(90), std::nan(""), 1.0), status::invalid);
    EXPECT_EQ(c.feed(at_seconds(120), 1.0, 15.0), status::accepted);
    EXPECT_EQ(c.increase(), 5.0);
    EXPECT_EQ(c.ignored(), 6U);
    EXPECT_EQ(c.observations(), 2U);
    EXPECT_EQ(to_string(status::out_of_order), "out_of_order");
}

} // namespace
} // namespace mdg::monitor
