#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "market/ticker_state.hpp"

namespace mdg::market {
namespace {

using model::ticker_field;
using model::update_kind;

model::decimal dec(std::string_view text) {
    return model::decimal::parse(text).value();
}

model::ticker_update update(update_kind kind, std::uint64_t cs, std::int64_t ts_ms) {
    model::ticker_update u;
    u.instrument = model::instrument_id{1};
    u.kind = kind;
    u.cross_seq = cs;
    u.ts_exchange = unix_nanos::from_millis(ts_ms);
    u.ts_recv = unix_nanos::from_millis(ts_ms + 2);
    return u;
}

model::ticker_update snapshot(std::uint64_t cs, std::int64_t ts_ms) {
    model::ticker_update u = update(update_kind::snapshot, cs, ts_ms);
    u.fields.set(ticker_field::last_price, dec("65000.10"));
    u.fields.set(ticker_field::bid1_price, dec("65000.00"));
    u.fields.set(ticker_field::ask1_price, dec("65000.20"));
    return u;
}

model::ticker_update delta(std::uint64_t cs, std::int64_t ts_ms) {
    return update(update_kind::delta, cs, ts_ms);
}

model::ticker_update with_oi(model::ticker_update u, std::string_view oi) {
    u.fields.set(ticker_field::open_interest, dec(oi));
    return u;
}

TEST(TickerStateTest, SnapshotReplacesAllFields) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(1, 1000)), ticker_status::applied);
    model::ticker_update second = update(update_kind::snapshot, 2, 2000);
    second.fields.set(ticker_field::mark_price, dec("64999"));
    ASSERT_EQ(t.apply(second), ticker_status::applied);
    EXPECT_FALSE(t.fields().has(ticker_field::last_price));
    EXPECT_TRUE(t.fields().has(ticker_field::mark_price));
    EXPECT_EQ(t.fields().count(), 1);
    EXPECT_EQ(t.snapshot_count(), 2U);
}

TEST(TickerStateTest, DeltaMergesOnlyPresentFields) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(1, 1000)), ticker_status::applied);
    model::ticker_update d = delta(2, 1100);
    d.fields.set(ticker_field::last_price, dec("65001.00"));
    d.fields.set_empty(ticker_field::ask1_price);
    d.fields.set(ticker_field::funding_rate, dec("-0.0001"));
    ASSERT_EQ(t.apply(d), ticker_status::applied);
    EXPECT_EQ(t.fields().get(ticker_field::last_price), dec("65001"));
    EXPECT_EQ(t.fields().get(ticker_field::bid1_price), dec("65000.00")); // untouched
    EXPECT_TRUE(t.fields().is_empty(ticker_field::ask1_price));
    EXPECT_EQ(t.fields().get(ticker_field::funding_rate), dec("-0.0001"));
    EXPECT_EQ(t.delta_count(), 1U);
}

TEST(TickerStateTest, DeltaBeforeSnapshotIsIgnored) {
    ticker_state t;
    model::ticker_update d = delta(5, 1000);
    d.fields.set(ticker_field::last_price, dec("1"));
    EXPECT_EQ(t.apply(d), ticker_status::delta_before_snapshot);
    EXPECT_FALSE(t.has_snapshot());
    EXPECT_EQ(t.fields().count(), 0);
    EXPECT_EQ(t.cross_seq(), 0U);
    EXPECT_EQ(t.ts_exchange(), unix_nanos{});
    EXPECT_EQ(t.early_delta_count(), 1U);
    ASSERT_EQ(t.apply(snapshot(3, 2000)), ticker_status::applied); // cs 5 was never recorded
    EXPECT_TRUE(t.has_snapshot());
}

TEST(TickerStateTest, LowerCrossSeqIsIgnored) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(100, 1000)), ticker_status::applied);
    model::ticker_update d = delta(99, 1100);
    d.fields.set(ticker_field::last_price, dec("1"));
    EXPECT_EQ(t.apply(d), ticker_status::stale_cross_seq);
    EXPECT_EQ(t.apply(snapshot(50, 1200)), ticker_status::stale_cross_seq);
    EXPECT_EQ(t.fields().get(ticker_field::last_price), dec("65000.10"));
    EXPECT_EQ(t.cross_seq(), 100U);
    EXPECT_EQ(t.ts_exchange(), unix_nanos::from_millis(1000));
    EXPECT_EQ(t.stale_cross_seq_count(), 2U);
}

TEST(TickerStateTest, EqualCrossSeqIsApplied) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(100, 1000)), ticker_status::applied);
    model::ticker_update d = delta(100, 1100);
    d.fields.set(ticker_field::mark_price, dec("65000.5"));
    EXPECT_EQ(t.apply(d), ticker_status::applied);
    EXPECT_EQ(t.fields().get(ticker_field::mark_price), dec("65000.5"));
}

TEST(TickerStateTest, ZeroCrossSeqIsNeverStaleAndNeverRecorded) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(100, 1000)), ticker_status::applied);
    EXPECT_EQ(t.apply(delta(0, 1100)), ticker_status::applied);
    EXPECT_EQ(t.cross_seq(), 100U);
    EXPECT_EQ(t.apply(delta(99, 1200)), ticker_status::stale_cross_seq);
    EXPECT_EQ(t.apply(delta(101, 1300)), ticker_status::applied);
    EXPECT_EQ(t.cross_seq(), 101U);
}

TEST(TickerStateTest, KeepsTimestampsOfLastAppliedUpdate) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(10, 1000)), ticker_status::applied);
    ASSERT_EQ(t.apply(delta(11, 1500)), ticker_status::applied);
    EXPECT_EQ(t.ts_exchange(), unix_nanos::from_millis(1500));
    EXPECT_EQ(t.ts_recv(), unix_nanos::from_millis(1502));
    EXPECT_EQ(t.apply(delta(9, 1600)), ticker_status::stale_cross_seq);
    EXPECT_EQ(t.ts_exchange(), unix_nanos::from_millis(1500));
}

TEST(TickerStateTest, OpenInterestChangeMovesCurrentToPrevious) {
    ticker_state t;
    ASSERT_EQ(t.apply(with_oi(snapshot(1, 1000), "100")), ticker_status::applied);
    EXPECT_EQ(t.open_interest_current(), dec("100"));
    EXPECT_FALSE(t.open_interest_previous().has_value());
    EXPECT_EQ(t.open_interest_ts(), unix_nanos::from_millis(1000));

    ASSERT_EQ(t.apply(delta(2, 2000)), ticker_status::applied); // no OI: nothing changes
    ASSERT_EQ(t.apply(with_oi(delta(3, 3000), "100")), ticker_status::applied); // same value
    EXPECT_EQ(t.open_interest_current(), dec("100"));
    EXPECT_FALSE(t.open_interest_previous().has_value());
    EXPECT_EQ(t.open_interest_ts(), unix_nanos::from_millis(1000));

    ASSERT_EQ(t.apply(with_oi(delta(4, 4000), "120.5")), ticker_status::applied);
    EXPECT_EQ(t.open_interest_current(), dec("120.5"));
    EXPECT_EQ(t.open_interest_previous(), dec("100"));
    EXPECT_EQ(t.open_interest_ts(), unix_nanos::from_millis(4000));

    ASSERT_EQ(t.apply(with_oi(delta(5, 5000), "90")), ticker_status::applied);
    EXPECT_EQ(t.open_interest_current(), dec("90"));
    EXPECT_EQ(t.open_interest_previous(), dec("120.5"));
    EXPECT_EQ(t.oi_change_count(), 3U);
}

TEST(TickerStateTest, OpenInterestWithOtherScaleButSameValueIsNoChange) {
    ticker_state t;
    ASSERT_EQ(t.apply(with_oi(snapshot(1, 1000), "100")), ticker_status::applied);
    ASSERT_EQ(t.apply(with_oi(delta(2, 2000), "100.000")), ticker_status::applied);
    EXPECT_FALSE(t.open_interest_previous().has_value());
    EXPECT_EQ(t.oi_change_count(), 1U);
}

TEST(TickerStateTest, EmptyOpenInterestIsNotAValue) {
    ticker_state t;
    ASSERT_EQ(t.apply(with_oi(snapshot(1, 1000), "100")), ticker_status::applied);
    model::ticker_update d = delta(2, 2000);
    d.fields.set_empty(ticker_field::open_interest);
    ASSERT_EQ(t.apply(d), ticker_status::applied);
    EXPECT_EQ(t.open_interest_current(), dec("100"));
    EXPECT_FALSE(t.open_interest_previous().has_value());
}

TEST(TickerStateTest, NegativeOpenInterestIsRejected) {
    ticker_state t;
    ASSERT_EQ(t.apply(with_oi(snapshot(1, 1000), "100")), ticker_status::applied);
    ASSERT_EQ(t.apply(with_oi(delta(2, 2000), "-5")), ticker_status::applied);
    EXPECT_EQ(t.open_interest_current(), dec("100"));
    EXPECT_EQ(t.oi_rejected_count(), 1U);
}

TEST(TickerStateTest, IgnoredUpdatesDoNotTouchOpenInterest) {
    ticker_state t;
    EXPECT_EQ(t.apply(with_oi(delta(1, 500), "7")), ticker_status::delta_before_snapshot);
    EXPECT_FALSE(t.open_interest_current().has_value());
    ASSERT_EQ(t.apply(with_oi(snapshot(10, 1000), "100")), ticker_status::applied);
    EXPECT_EQ(t.apply(with_oi(delta(9, 2000), "200")), ticker_status::stale_cross_seq);
    EXPECT_EQ(t.open_interest_current(), dec("100"));
    EXPECT_FALSE(t.open_interest_previous().has_value());
}

TEST(TickerStateTest, OpenInterestIsSampledIntoBucketsEvenWithoutDeltas) {
    ticker_state t{4, std::chrono::minutes{5}};
    ASSERT_EQ(t.apply(with_oi(snapshot(1, 10'000), "100")), ticker_status::applied);
    ASSERT_EQ(t.apply(delta(2, 200'000)), ticker_status::applied);
    ASSERT_EQ(t.apply(delta(3, 301'000)), ticker_status::applied); // next bucket, OI unchanged
    ASSERT_EQ(t.apply(with_oi(delta(4, 400'000), "110")), ticker_status::applied);
    std::vector<oi_sample> got;
    t.oi_history().for_each([&](const oi_sample& s) { got.push_back(s); });
    const std::vector<oi_sample> expected{{unix_nanos{}, dec("100")},
                                          {unix_nanos::from_millis(300'000), dec("110")}};
    EXPECT_EQ(got, expected);
}

TEST(TickerStateTest, StaleFlagClearsOnNextAppliedUpdate) {
    ticker_state t;
    ASSERT_EQ(t.apply(snapshot(10, 1000)), ticker_status::applied);
    t.mark_stale();
    EXPECT_TRUE(t.stale());
    EXPECT_EQ(t.apply(delta(9, 1100)), ticker_status::stale_cross_seq);
    EXPECT_TRUE(t.stale());
    EXPECT_EQ(t.apply(delta(10, 1200)), ticker_status::applied);
    EXPECT_FALSE(t.stale());
}

TEST(TickerStateTest, StatusNamesAreStable) {
    EXPECT_EQ(to_string(ticker_status::applied), "applied");
    EXPECT_EQ(to_string(ticker_status::stale_cross_seq), "stale_cross_seq");
    EXPECT_EQ(to_string(ticker_status::delta_before_snapshot), "delta_before_snapshot");
}

} // namespace
} // namespace mdg::market

namespace mdg::market {
namespace {

constexpr std::int64_t five_min_ms = 300'000;
// 2026-08-09 21:25:00 UTC, a 5-minute boundary.
constexpr std::int64_t t0_ms = 1'786'310'700'000;

std::vector<oi_sample> buckets_of(const ticker_state& t) {
    std::vector<oi_sample> out;
    t.oi_history().for_each([&](const oi_sample& s) { out.push_back(s); });
    return out;
}

TEST(TickerStateTest, RestOpenInterestFillsTheBucketThatEndsAtItsTimeAndNeverALiveOne) {
    ticker_state t;
    // Live: the bucket [t0, t0 + 5 min) holds 120 (the last value seen in it).
    ASSERT_EQ(t.apply(with_oi(snapshot(1, t0_ms + 1000), "110")), ticker_status::applied);
    ASSERT_EQ(t.apply(with_oi(delta(2, t0_ms + 2000), "120")), ticker_status::applied);
    // REST: the open interest at t0 - 5 min, at t0 (the end of [t0 - 5 min, t0)) and at
    // t0 + 5 min (the end of the live bucket, which keeps its live value), and a negative one.
    const std::vector<model::open_interest_point> rest{
        {unix_nanos::from_millis(t0_ms - five_min_ms), dec("90")},
        {unix_nanos::from_millis(t0_ms), dec("100")},
        {unix_nanos::from_millis(t0_ms + five_min_ms), dec("999")},
    };
    EXPECT_EQ(t.merge_open_interest(rest), 2U);
    const std::vector<model::open_interest_point> negative{
        {unix_nanos::from_millis(t0_ms - 2 * five_min_ms), dec("-1")}};
    EXPECT_EQ(t.merge_open_interest(negative), 0U);

    const auto b = buckets_of(t);
    ASSERT_EQ(b.size(), 3U);
    EXPECT_EQ(b[0].bucket_start, unix_nanos::from_millis(t0_ms - 2 * five_min_ms));
    EXPECT_EQ(b[0].value, dec("90"));
    EXPECT_EQ(b[1].bucket_start, unix_nanos::from_millis(t0_ms - five_min_ms));
    EXPECT_EQ(b[1].value, dec("100"));
    EXPECT_EQ(b[2].bucket_start, unix_nanos::from_millis(t0_ms));
    EXPECT_EQ(b[2].value, dec("120"));
    // The current value and its change count are the stream's alone.
    EXPECT_EQ(t.open_interest_current(), dec("120"));
    EXPECT_EQ(t.oi_change_count(), 2U);
}

TEST(TickerStateTest, RestOpenInterestBeforeAnyTickerStartsTheHistoryAndTheStreamContinuesIt) {
    ticker_state t;
    const std::vector<model::open_interest_point> rest{
        {unix_nanos::from_millis(t0_ms - five_min_ms), dec("90")},
        {unix_nanos::from_millis(t0_ms), dec("100")},
    };
    EXPECT_EQ(t.merge_open_interest(rest), 2U);
    EXPECT_FALSE(t.has_snapshot());
    EXPECT_FALSE(t.open_interest_current().has_value());
    ASSERT_EQ(t.apply(with_oi(snapshot(1, t0_ms + 1000), "110")), ticker_status::applied);
    const auto b = buckets_of(t);
    ASSERT_EQ(b.size(), 3U);
    EXPECT_EQ(b[2].bucket_start, unix_nanos::from_millis(t0_ms));
    EXPECT_EQ(b[2].value, dec("110"));
}

} // namespace
} // namespace mdg::market
