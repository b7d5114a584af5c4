#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "book/detail/level_array.hpp"

namespace mdg::book::detail {
namespace {

model::level lv(std::int64_t px) {
    return {{px}, {px * 10}};
}

void expect_same(const level_array& a, const std::vector<model::level>& ref) {
    ASSERT_EQ(a.size(), ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(a[i], ref[i]) << i;
    }
}

// Random inserts and erases at every position, with a tiny expected size so that re-centring
// and growth both happen, must match std::vector exactly.
TEST(LevelArrayTest, MatchesAVectorUnderRandomInsertsAndErases) {
    std::mt19937_64 rng{7};
    level_array a{4};
    std::vector<model::level> ref;
    for (int step = 0; step < 50'000; ++step) {
        const auto op = rng() % 10;
        if (op < 5 || ref.empty()) {
            const auto pos = static_cast<std::size_t>(rng() % (ref.size() + 1));
            const auto l = lv(static_cast<std::int64_t>(rng() % 1000));
            a.insert(pos, l);
            ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(pos), l);
        } else if (op < 9) {
            const auto pos = static_cast<std::size_t>(rng() % ref.size());
            a.erase(pos);
            ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(pos));
        } else {
            const auto n = static_cast<std::size_t>(rng() % (ref.size() + 1) / 4);
            a.erase_front(n);
            ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n));
        }
        expect_same(a, ref);
        if (step % 997 == 0) {
            a.clear();
            ref.clear();
        }
    }
}

TEST(LevelArrayTest, PushBackGrowsPastTheExpectedSize) {
    level_array a{2};
    std::vector<model::level> ref;
    for (std::int64_t i = 0; i < 100; ++i) {
        a.push_back(lv(i));
        ref.push_back(lv(i));
    }
    expect_same(a, ref);
    EXPECT_EQ(a.back(), lv(99));
}

} // namespace
} // namespace mdg::book::detail
