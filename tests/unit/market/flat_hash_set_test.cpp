#include <cstdint>
#include <random>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "market/detail/flat_hash_set.hpp"

namespace mdg::market::detail {
namespace {

TEST(FlatHashSetTest, CapacityIsPowerOfTwo) {
    EXPECT_EQ(flat_hash_set{0}.capacity(), 2U);
    EXPECT_EQ(flat_hash_set{3}.capacity(), 4U);
    EXPECT_EQ(flat_hash_set{2000}.capacity(), 2048U);
    EXPECT_EQ(flat_hash_set{2048}.capacity(), 2048U);
}

TEST(FlatHashSetTest, InsertRejectsDuplicate) {
    flat_hash_set set{16};
    EXPECT_TRUE(set.insert(42));
    EXPECT_FALSE(set.insert(42));
    EXPECT_TRUE(set.contains(42));
    EXPECT_FALSE(set.contains(43));
    EXPECT_EQ(set.size(), 1U);
}

TEST(FlatHashSetTest, EraseMakesKeyInsertableAgain) {
    flat_hash_set set{16};
    ASSERT_TRUE(set.insert(7));
    EXPECT_TRUE(set.erase(7));
    EXPECT_FALSE(set.erase(7));
    EXPECT_FALSE(set.contains(7));
    EXPECT_TRUE(set.insert(7));
    EXPECT_EQ(set.size(), 1U);
}

TEST(FlatHashSetTest, ZeroIsAnOrdinaryKey) {
    flat_hash_set set{4};
    EXPECT_FALSE(set.contains(0));
    EXPECT_TRUE(set.insert(0));
    EXPECT_FALSE(set.insert(0));
    EXPECT_TRUE(set.contains(0));
    EXPECT_EQ(set.size(), 1U);
    EXPECT_TRUE(set.erase(0));
    EXPECT_FALSE(set.contains(0));
    EXPECT_TRUE(set.empty());
}

TEST(FlatHashSetTest, ClearEmptiesTheSet) {
    flat_hash_set set{8};
    for (std::uint64_t k = 0; k < 5; ++k) {
        ASSERT_TRUE(set.insert(k));
    }
    set.clear();
    EXPECT_TRUE(set.empty());
    for (std::uint64_t k = 0; k < 5; ++k) {
        EXPECT_FALSE(set.contains(k));
    }
}

// Checks the set against std::unordered_set under random churn. Small key ranges and tables
// that are nearly full make long, wrapping clusters, which is where backward-shift deletion
// can go wrong.
void check_against_reference(std::size_t capacity, std::size_t max_keys, std::uint64_t key_range,
                             std::uint64_t seed) {
    flat_hash_set set{capacity};
    std::unordered_set<std::uint64_t> ref;
    std::mt19937_64 rng{seed};
    for (int op = 0; op < 200'000; ++op) {
        const std::uint64_t key = rng() % key_range;
        if (ref.size() < max_keys && (rng() & 1U) == 0) {
            ASSERT_EQ(set.insert(key), ref.insert(key).second) << "op " << op;
        } else {
            ASSERT_EQ(set.erase(key), ref.erase(key) == 1) << "op " << op;
        }
        ASSERT_EQ(set.size(), ref.size());
    }
    for (std::uint64_t k = 0; k < key_range; ++k) {
        ASSERT_EQ(set.contains(k), ref.contains(k)) << "key " << k;
    }
}

TEST(FlatHashSetTest, MatchesReferenceUnderChurnInATinyTable) {
    check_against_reference(8, 7, 32, 1);
}

TEST(FlatHashSetTest, MatchesReferenceUnderChurnAtHighLoad) {
    check_against_reference(64, 60, 256, 2);
}

TEST(FlatHashSetTest, MatchesReferenceUnderChurnWithHashKeys) {
    check_against_reference(2048, 1000, 4096, 3);
}

TEST(FlatHashSetTest, EveryKeyStaysReachableAfterEraseInsideCluster) {
    // Fill a table to its limit, then erase every other key: the survivors must all still be
    // found, which fails if a deletion leaves a hole in the middle of a probe sequence.
    flat_hash_set set{16};
    std::vector<std::uint64_t> keys;
    for (std::uint64_t k = 1; keys.size() < 15; ++k) {
        keys.push_back(k * 16); // multiples of the table size: many share a home slot
        ASSERT_TRUE(set.insert(keys.back()));
    }
    for (std::size_t i = 0; i < keys.size(); i += 2) {
        ASSERT_TRUE(set.erase(keys[i]));
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(set.contains(keys[i]), i % 2 == 1) << "key " << keys[i];
    }
}

TEST(FlatHashSetDeathTest, InsertIntoFullTableAborts) {
    flat_hash_set set{4};
    ASSERT_TRUE(set.insert(1));
    ASSERT_TRUE(set.insert(2));
    ASSERT_TRUE(set.insert(3));
    EXPECT_DEATH((void)set.insert(4), "flat_hash_set is full");
}

} // namespace
} // namespace mdg::market::detail
