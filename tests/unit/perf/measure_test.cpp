#include <array>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "perf/measure.hpp"

namespace mdg::perf {
namespace {

using std::chrono::nanoseconds;

TEST(LatencyHistogramTest, SmallValuesAreExact) {
    for (std::uint64_t v = 0; v < 16; ++v) {
        EXPECT_EQ(latency_histogram::bucket_upper(latency_histogram::bucket_of(v)), v);
    }
}

TEST(LatencyHistogramTest, BucketsBoundTheValueWithinOneSixteenth) {
    for (std::uint64_t v : {16ULL, 17ULL, 31ULL, 32ULL, 1000ULL, 12345ULL, 999'999ULL, 1ULL << 40U,
                            (1ULL << 63U) + 12345ULL, ~0ULL}) {
        const auto b = latency_histogram::bucket_of(v);
        ASSERT_LT(b, latency_histogram::bucket_count);
        const auto up = latency_histogram::bucket_upper(b);
        EXPECT_GE(up, v) << v;
        EXPECT_LE(static_cast<double>(up - v), static_cast<double>(v) / 16.0) << v;
        if (b > 0) {
            EXPECT_LT(latency_histogram::bucket_upper(b - 1), v) << v;
        }
    }
}

TEST(LatencyHistogramTest, PercentilesOfAUniformSpread) {
    latency_histogram h;
    for (int i = 1; i <= 1000; ++i) {
        h.record(nanoseconds{i * 1000});
    }
    EXPECT_EQ(h.count(), 1000U);
    const auto p50 = h.percentile(0.5).count();
    EXPECT_GE(p50, 500'000);
    EXPECT_LE(p50, 500'000 + 500'000 / 16);
    const auto p99 = h.percentile(0.99).count();
    EXPECT_GE(p99, 990'000);
    EXPECT_LE(p99, 1'000'000);
    EXPECT_EQ(h.percentile(1.0).count(), 1'000'000); // clamped to the maximum
    EXPECT_EQ(h.max().count(), 1'000'000);
}

TEST(LatencyHistogramTest, EmptyNegativeAndReset) {
    latency_histogram h;
    EXPECT_EQ(h.percentile(0.99).count(), 0);
    h.record(nanoseconds{-5});
    EXPECT_EQ(h.count(), 1U);
    EXPECT_EQ(h.percentile(0.5).count(), 0);
    h.reset();
    EXPECT_EQ(h.count(), 0U);
}

TEST(LatencyHistogramTest, ConcurrentWritersLoseNothing) {
    latency_histogram h;
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&h, t] {
            for (int i = 0; i < 10'000; ++i) {
                h.record(nanoseconds{(i % 100) * (t + 1)});
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    EXPECT_EQ(h.count(), 40'000U);
    EXPECT_EQ(h.max().count(), 99 * 4);
}

TEST(SummaryTest, MedianAndSpread) {
    const std::array<double, 3> odd{3, 1, 2};
    const auto s = summarize(odd);
    EXPECT_EQ(s.median, 2);
    EXPECT_EQ(s.min, 1);
    EXPECT_EQ(s.max, 3);
    EXPECT_DOUBLE_EQ(s.spread(), 1.0);
    const std::array<double, 4> even{4, 1, 3, 2};
    EXPECT_DOUBLE_EQ(summarize(even).median, 2.5);
    EXPECT_EQ(summarize({}).median, 0);
}

TEST(RssSlopeTest, LinearGrowthAndFlat) {
    std::vector<rss_sample> grow;
    std::vector<rss_sample> flat;
    for (int i = 0; i < 10; ++i) {
        grow.push_back({i * 10.0, 1e6 + i * 1000.0}); // 100 bytes per second
        flat.push_back({i * 10.0, i % 2 == 0 ? 1e6 : 1e6 + 4096});
    }
    EXPECT_NEAR(rss_slope_per_hour(grow), 360'000.0, 1e-6);
    EXPECT_LT(std::abs(rss_slope_per_hour(flat)), 4096.0 * 3600 / 90);
    EXPECT_EQ(rss_slope_per_hour(std::span<const rss_sample>(grow).first(1)), 0);
}

TEST(ProcessMeasuresTest, ReadTheirOwnProcess) {
    volatile double x = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        x = x + 1;
    }
    EXPECT_GT(process_cpu_seconds(), 0);
    EXPECT_GT(thread_cpu_seconds(), 0);
    EXPECT_GT(rss_bytes(), 0U);
    EXPECT_GE(peak_rss_bytes(), rss_bytes() / 2);
    EXPECT_TRUE(other_process_cpu_seconds(::getpid()).has_value());
    EXPECT_FALSE(other_process_cpu_seconds(-1).has_value());
}

} // namespace
} // namespace mdg::perf
