#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/buckets.hpp"
#include "metrics/counter.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"

namespace mdg::metrics {
namespace {

TEST(MetricsCounterTest, IncrementsByOneOrByN) {
    counter c;
    EXPECT_EQ(c.value(), 0U);
    c.inc();
    c.inc(41);
    EXPECT_EQ(c.value(), 42U);
}

TEST(MetricsGaugeTest, SetAddSub) {
    gauge g;
    g.set(10.5);
    g.add(2);
    g.sub(0.5);
    g.add();
    g.sub();
    EXPECT_EQ(g.value(), 12.0);
    g.add(-20);
    EXPECT_EQ(g.value(), -8.0);
}

TEST(MetricsInstrumentTest, EachInstrumentHasItsOwnCacheLine) {
    EXPECT_EQ(alignof(counter), 64U);
    EXPECT_EQ(alignof(gauge), 64U);
    EXPECT_EQ(alignof(histogram), 64U);
    std::vector<counter> many(3);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&many[1]) % 64, 0U);
}

TEST(MetricsHistogramTest, CountsEachValueInTheFirstBucketWhoseBoundIsNotBelowIt) {
    histogram h{std::array{1.0, 2.0, 4.0}};
    for (const double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, -1.0}) {
        h.observe(v);
    }
    EXPECT_EQ(h.bucket(0), 3U); // 0.5, 1.0, -1.0
    EXPECT_EQ(h.bucket(1), 2U); // 1.5, 2.0
    EXPECT_EQ(h.bucket(2), 2U); // 3.0, 4.0
    EXPECT_EQ(h.bucket(3), 1U); // 5.0 in +Inf
    EXPECT_EQ(h.bucket(4), 0U); // out of range reads 0
    EXPECT_EQ(h.count(), 8U);
    EXPECT_EQ(h.sum(), 16.0);
}

TEST(MetricsHistogramTest, NanGoesToTheInfBucket) {
    histogram h{std::array{1.0}};
    h.observe(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.bucket(0), 0U);
    EXPECT_EQ(h.bucket(1), 1U);
    EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(MetricsHistogramTest, ObserveNsRecordsSeconds) {
    histogram h{latency_seconds_buckets};
    h.observe_ns(1'500'000); // 1.5 ms -> le 0.0025
    EXPECT_DOUBLE_EQ(h.sum(), 0.0015);
    const auto b = h.bounds();
    for (std::size_t i = 0; i <= b.size(); ++i) {
        EXPECT_EQ(h.bucket(i), i < b.size() && b[i] == 0.0025 ? 1U : 0U) << i;
    }
}

void make_histogram(std::span<const double> bounds) {
    const histogram h{bounds};
}

TEST(MetricsHistogramTest, RejectsBadBoundsAndDropsATrailingInf) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    EXPECT_THROW(make_histogram(std::array{2.0, 1.0}), std::invalid_argument);
    EXPECT_THROW(make_histogram(std::array{1.0, 1.0}), std::invalid_argument);
    EXPECT_THROW(make_histogram(std::array{1.0, std::nan("")}), std::invalid_argument);
    EXPECT_THROW(make_histogram(std::array{-inf, 1.0}), std::invalid_argument);
    const histogram h{std::array{1.0, inf}};
    EXPECT_EQ(h.bounds().size(), 1U);
    const histogram empty{std::span<const double>{}};
    EXPECT_EQ(empty.bounds().size(), 0U);
}

TEST(MetricsBucketsTest, DefaultSetsAreIncreasingAndSpanTheirRanges) {
    auto increasing = [](auto& b) {
        return std::is_sorted(b.begin(), b.end());
    };
    EXPECT_TRUE(increasing(latency_seconds_buckets));
    EXPECT_EQ(latency_seconds_buckets.front(), 1e-6);
    EXPECT_EQ(latency_seconds_buckets.back(), 10.0);
    EXPECT_TRUE(increasing(callback_duration_seconds_buckets));
    EXPECT_EQ(callback_duration_seconds_buckets.front(), 1e-3);
    EXPECT_EQ(callback_duration_seconds_buckets.back(), 30.0);
}

TEST(MetricsConcurrencyTest, IncrementsFromFourThreadsSumExactly) {
    constexpr int threads = 4;
    constexpr int per_thread = 100'000;
    counter c;
    gauge g;
    histogram h{std::array{0.5}};
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    c.inc();
                    g.add(1.0);
                    h.observe(t % 2 == 0 ? 0.25 : 1.0);
                }
            });
        }
    }
    EXPECT_EQ(c.value(), std::uint64_t{threads} * per_thread);
    EXPECT_EQ(g.value(), double{threads} * per_thread);
    EXPECT_EQ(h.count(), std::uint64_t{threads} * per_thread);
    EXPECT_EQ(h.bucket(0), std::uint64_t{threads / 2} * per_thread);
    EXPECT_EQ(h.sum(), (0.25 + 1.0) * (threads / 2) * per_thread);
}

} // namespace
} // namespace mdg::metrics
