#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "market/kline_series.hpp"

namespace mdg::market {
namespace {

constexpr std::int64_t minute_ms = 60'000;

// A 1 m candle starting at minute `m`, closing at `close`.
model::kline candle(std::int64_t m, std::int64_t close, bool confirm = false) {
    model::kline k;
    k.instrument = model::instrument_id{1};
    k.interval = model::kline_interval::m1;
    k.start = unix_nanos::from_millis(m * minute_ms);
    k.end = unix_nanos::from_millis((m + 1) * minute_ms - 1);
    k.open = model::price{100};
    k.high = model::price{close + 1};
    k.low = model::price{close - 1};
    k.close = model::price{close};
    k.volume = model::decimal{close, 2};
    k.turnover = model::decimal{close * 10, 1};
    k.confirm = confirm;
    k.ts_exchange = unix_nanos::from_millis(m * minute_ms + 500);
    k.ts_recv = unix_nanos::from_millis(m * minute_ms + 501);
    return k;
}

TEST(KlineSeriesTest, IsPreallocatedAndEmptyAtConstruction) {
    const kline_series series;
    EXPECT_EQ(series.capacity(), 1440U);
    EXPECT_EQ(series.size(), 0U);
    EXPECT_TRUE(series.empty());
}

TEST(KlineSeriesTest, FirstCandleIsAppended) {
    kline_series series{4};
    EXPECT_EQ(series.upsert(candle(0, 100)), kline_status::appended);
    ASSERT_EQ(series.size(), 1U);
    EXPECT_EQ(series.newest().close, model::price{100});
}

TEST(KlineSeriesTest, SameStartUpdatesInPlace) {
    kline_series series{4};
    (void)series.upsert(candle(0, 100));
    EXPECT_EQ(series.upsert(candle(0, 105)), kline_status::updated);
    ASSERT_EQ(series.size(), 1U);
    EXPECT_EQ(series.newest().close, model::price{105});
    EXPECT_EQ(series.newest().turnover, (model::decimal{1050, 1}));
    EXPECT_FALSE(series.newest().confirm);
    EXPECT_EQ(series.updated_count(), 1U);
}

TEST(KlineSeriesTest, UpdateTakesConfirmFlagFromNewData) {
    kline_series series{4};
    (void)series.upsert(candle(0, 100));
    EXPECT_EQ(series.upsert(candle(0, 101, true)), kline_status::updated);
    EXPECT_TRUE(series.newest().confirm);
    EXPECT_EQ(series.upsert(candle(0, 102, false)), kline_status::updated);
    EXPECT_FALSE(series.newest().confirm);
}

TEST(KlineSeriesTest, NewerStartAppends) {
    kline_series series{4};
    (void)series.upsert(candle(0, 100, true));
    EXPECT_EQ(series.upsert(candle(1, 110)), kline_status::appended);
    ASSERT_EQ(series.size(), 2U);
    EXPECT_EQ(series.oldest().close, model::price{100});
    EXPECT_TRUE(series.oldest().confirm);
    EXPECT_EQ(series.newest().close, model::price{110});
    EXPECT_EQ(series.appended_count(), 2U);
}

TEST(KlineSeriesTest, OlderStartIsIgnored) {
    kline_series series{4};
    (void)series.upsert(candle(0, 100));
    (void)series.upsert(candle(1, 110));
    EXPECT_EQ(series.upsert(candle(0, 999)), kline_status::ignored_older);
    ASSERT_EQ(series.size(), 2U);
    EXPECT_EQ(series.at(0).close, model::price{100});
    EXPECT_EQ(series.newest().close, model::price{110});
    EXPECT_EQ(series.ignored_count(), 1U);
}

TEST(KlineSeriesTest, FullSeriesEvictsOldest) {
    kline_series series{3};
    for (std::int64_t m = 0; m < 5; ++m) {
        EXPECT_EQ(series.upsert(candle(m, 100 + m)), kline_status::appended);
    }
    ASSERT_EQ(series.size(), 3U);
    EXPECT_EQ(series.oldest().start, candle(2, 0).start);
    EXPECT_EQ(series.newest().start, candle(4, 0).start);
}

TEST(KlineSeriesTest, AtIndexesOldestToNewestAcrossWraparound) {
    kline_series series{4};
    for (std::int64_t m = 0; m < 10; ++m) {
        (void)series.upsert(candle(m, 100 + m));
    }
    ASSERT_EQ(series.size(), 4U);
    for (std::size_t i = 0; i < series.size(); ++i) {
        EXPECT_EQ(series.at(i).close, model::price{106 + static_cast<std::int64_t>(i)}) << i;
    }
    // The newest candle is still updated in place after the ring wrapped.
    EXPECT_EQ(series.upsert(candle(9, 200)), kline_status::updated);
    EXPECT_EQ(series.at(3).close, model::price{200});
    EXPECT_EQ(series.at(2).close, model::price{108});
}

TEST(KlineSeriesTest, KeepsTimestampsOfLastStoredCandle) {
    kline_series series{4};
    (void)series.upsert(candle(3, 100));
    (void)series.upsert(candle(1, 100)); // ignored: must not move the timestamps
    EXPECT_EQ(series.ts_exchange(), candle(3, 0).ts_exchange);
    EXPECT_EQ(series.ts_recv(), candle(3, 0).ts_recv);
}

TEST(KlineSeriesTest, MemoryStaysBoundedOverManyPushes) {
    kline_series series; // 1440: one day of 1 m candles
    for (std::int64_t m = 0; m < 100'000; ++m) {
        (void)series.upsert(candle(m, m));
        (void)series.upsert(candle(m, m + 1, true));
    }
    EXPECT_EQ(series.size(), 1440U);
    EXPECT_EQ(series.capacity(), 1440U);
    EXPECT_EQ(series.oldest().start, candle(100'000 - 1440, 0).start);
    EXPECT_EQ(series.newest().close, model::price{100'000});
    EXPECT_TRUE(series.newest().confirm);
}

TEST(KlineSeriesTest, StatusNamesAreStable) {
    EXPECT_EQ(to_string(kline_status::updated), "updated");
    EXPECT_EQ(to_string(kline_status::appended), "appended");
    EXPECT_EQ(to_string(kline_status::ignored_older), "ignored_older");
}

// The starts of the candles kept, in minutes, oldest first.
std::vector<std::int64_t> minutes_of(const kline_series& s) {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out.push_back(s.at(i).start.millis() / minute_ms);
    }
    return out;
}

// History from REST fills in before and between what the stream delivered: one candle per
// start, in order, the stream's kept where both have one.
TEST(KlineSeriesTest, MergedHistoryFillsBeforeAndBetweenTheStreamsCandles) {
    kline_series series{10};
    (void)series.upsert(candle(5, 500, true));
    (void)series.upsert(candle(7, 700)); // minute 6 was missed (a reconnect)
    const std::vector<model::kline> history{candle(2, 20, true), candle(3, 30, true),
                                            candle(4, 40, true), candle(5, 50, true),
                                            candle(6, 60, true), candle(7, 70)};
    EXPECT_EQ(series.merge(history), 4U); // 2, 3, 4 and 6
    EXPECT_EQ(minutes_of(series), (std::vector<std::int64_t>{2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(series.at(3).close.raw, 500);    // the stream's minute 5
    EXPECT_EQ(series.at(4).close.raw, 60);     // the hole, from the history
    EXPECT_EQ(series.newest().close.raw, 700); // the open candle: the stream's, fresher
    EXPECT_EQ(series.merged_count(), 4U);
    // The stream goes on from there.
    EXPECT_EQ(series.upsert(candle(7, 710, true)), kline_status::updated);
    EXPECT_EQ(series.upsert(candle(8, 800)), kline_status::appended);
    EXPECT_EQ(minutes_of(series), (std::vector<std::int64_t>{2, 3, 4, 5, 6, 7, 8}));
}

// A candle whose closing update the stream missed is replaced by the closed one from REST.
TEST(KlineSeriesTest, AClosedHistoryCandleReplacesAnOpenOneTheStreamLeftBehind) {
    kline_series series{10};
    (void)series.upsert(candle(5, 500)); // open, and then the connection dropped
    (void)series.upsert(candle(8, 800));
    EXPECT_EQ(series.merge(std::vector<model::kline>{candle(5, 555, true)}), 1U);
    EXPECT_TRUE(series.at(0).confirm);
    EXPECT_EQ(series.at(0).close.raw, 555);
}

TEST(KlineSeriesTest, MergeKeepsTheNewestCapacityCandles) {
    kline_series series{4};
    (void)series.upsert(candle(10, 100));
    std::vector<model::kline> history;
    for (std::int64_t m = 1; m <= 9; ++m) {
        history.push_back(candle(m, m, true));
    }
    EXPECT_EQ(series.merge(history), 3U); // 7, 8, 9 fit beside the stream's 10
    EXPECT_EQ(minutes_of(series), (std::vector<std::int64_t>{7, 8, 9, 10}));
    EXPECT_EQ(series.merge(std::vector<model::kline>{}), 0U);
    EXPECT_EQ(minutes_of(series), (std::vector<std::int64_t>{7, 8, 9, 10}));
}

} // namespace
} // namespace mdg::market
