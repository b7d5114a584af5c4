#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "market/open_interest_history.hpp"

namespace mdg::market {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t bucket_s = 300;

unix_nanos at_s(std::int64_t s) {
    return unix_nanos::from_millis(s * 1000);
}
model::decimal oi(std::int64_t v) {
    return model::decimal{v, 0};
}

std::vector<oi_sample> samples(const open_interest_history& h) {
    std::vector<oi_sample> out;
    h.for_each([&](const oi_sample& s) { out.push_back(s); });
    return out;
}

TEST(OpenInterestHistoryTest, HasDocumentedDefaults) {
    const open_interest_history h;
    EXPECT_EQ(h.depth(), 288U);
    EXPECT_EQ(h.bucket_width(), std::chrono::nanoseconds{5min});
    EXPECT_TRUE(h.empty());
    EXPECT_FALSE(h.newest().has_value());
}

TEST(OpenInterestHistoryTest, LastValueWinsWithinABucket) {
    open_interest_history h{4};
    EXPECT_TRUE(h.record(at_s(10), oi(1)));
    EXPECT_TRUE(h.record(at_s(200), oi(2)));
    ASSERT_EQ(h.size(), 1U);
    EXPECT_EQ(h.newest(), (oi_sample{at_s(0), oi(2)}));
}

TEST(OpenInterestHistoryTest, RecordIntoOlderBucketIsIgnored) {
    open_interest_history h{4};
    ASSERT_TRUE(h.record(at_s(bucket_s + 1), oi(2)));
    EXPECT_FALSE(h.record(at_s(1), oi(1)));
    EXPECT_EQ(h.size(), 1U);
}

TEST(OpenInterestHistoryTest, WindowKeepsTheNewestBuckets) {
    open_interest_history h{3};
    for (std::int64_t b = 0; b < 5; ++b) {
        ASSERT_TRUE(h.record(at_s(b * bucket_s), oi(b)));
    }
    const std::vector<oi_sample> expected{
        {at_s(2 * bucket_s), oi(2)}, {at_s(3 * bucket_s), oi(3)}, {at_s(4 * bucket_s), oi(4)}};
    EXPECT_EQ(samples(h), expected);
    EXPECT_EQ(h.size(), 3U);
}

TEST(OpenInterestHistoryTest, SilentBucketsStayEmpty) {
    open_interest_history h{4};
    ASSERT_TRUE(h.record(at_s(0), oi(1)));
    ASSERT_TRUE(h.record(at_s(2 * bucket_s), oi(3)));
    const std::vector<oi_sample> expected{{at_s(0), oi(1)}, {at_s(2 * bucket_s), oi(3)}};
    EXPECT_EQ(samples(h), expected);
    EXPECT_FALSE(h.at(at_s(bucket_s)).has_value());
}

TEST(OpenInterestHistoryTest, JumpLongerThanWindowEmptiesIt) {
    open_interest_history h{4};
    ASSERT_TRUE(h.record(at_s(0), oi(1)));
    ASSERT_TRUE(h.record(at_s(bucket_s), oi(2)));
    ASSERT_TRUE(h.record(at_s(100 * bucket_s), oi(3)));
    EXPECT_EQ(h.size(), 1U);
    EXPECT_FALSE(h.at(at_s(0)).has_value());
    EXPECT_EQ(h.at(at_s(100 * bucket_s + 5)), oi(3));
}

TEST(OpenInterestHistoryTest, MergeFillsOnlyEmptyBucketsInTheWindow) {
    open_interest_history h{4};
    ASSERT_TRUE(h.record(at_s(0), oi(10)));
    ASSERT_TRUE(h.record(at_s(2 * bucket_s), oi(12)));
    EXPECT_TRUE(h.merge(at_s(bucket_s), oi(11)));      // gap filled
    EXPECT_FALSE(h.merge(at_s(2 * bucket_s), oi(99))); // live value wins
    EXPECT_FALSE(h.merge(at_s(bucket_s), oi(98)));     // no duplicate bucket
    EXPECT_EQ(h.size(), 3U);
    EXPECT_EQ(h.at(at_s(2 * bucket_s)), oi(12));
    EXPECT_EQ(h.at(at_s(bucket_s)), oi(11));
}

TEST(OpenInterestHistoryTest, MergeOlderThanWindowIsRejected) {
    open_interest_history h{2};
    ASSERT_TRUE(h.record(at_s(5 * bucket_s), oi(5)));
    EXPECT_TRUE(h.merge(at_s(4 * bucket_s), oi(4)));
    EXPECT_FALSE(h.merge(at_s(3 * bucket_s), oi(3)));
    EXPECT_EQ(h.size(), 2U);
}

TEST(OpenInterestHistoryTest, MergeOfNewerBucketMovesWindowAndLiveOverwritesIt) {
    open_interest_history h{4};
    ASSERT_TRUE(h.merge(at_s(bucket_s), oi(1)));
    EXPECT_EQ(h.newest(), (oi_sample{at_s(bucket_s), oi(1)}));
    ASSERT_TRUE(h.record(at_s(bucket_s + 10), oi(2)));
    EXPECT_EQ(h.newest(), (oi_sample{at_s(bucket_s), oi(2)}));
    EXPECT_EQ(h.size(), 1U);
}

TEST(OpenInterestHistoryTest, MemoryStaysBoundedOverManySamples) {
    open_interest_history h; // 288 x 5 min
    for (std::int64_t s = 0; s < 100'000; ++s) {
        (void)h.record(at_s(s), oi(s));
    }
    EXPECT_EQ(h.size(), 288U);
    EXPECT_EQ(h.newest(), (oi_sample{at_s(99'900), oi(99'999)}));
    EXPECT_EQ(samples(h).front().bucket_start, at_s(99'900 - 287 * bucket_s));
}

} // namespace
} // namespace mdg::market
