#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "api/detail/book_diff.hpp"

namespace mdg::api::detail {
namespace {

using model::level;

level lv(std::int64_t px, std::int64_t sz) {
    return {model::price{px}, model::qty{sz}};
}

/// A side as a map from price to size, ordered best first.
using side_map =
    std::map<std::int64_t, std::int64_t, std::function<bool(std::int64_t, std::int64_t)>>;

side_map make_side(bool bids) {
    if (bids) {
        return side_map{std::greater<>{}};
    }
    return side_map{std::less<>{}};
}

/// Applies `diff` to `from` as a client applies a delta (size 0 deletes) and returns the side.
/// Also checks that the diff is ordered best first and changes something at every level.
std::vector<level> apply(const std::vector<level>& from, const std::vector<level>& diff,
                         bool bids) {
    auto side = make_side(bids);
    for (const auto& l : from) {
        side[l.px.raw] = l.sz.raw;
    }
    for (std::size_t i = 0; i < diff.size(); ++i) {
        const auto& l = diff[i];
        if (i > 0) {
            const auto prev = diff[i - 1].px.raw;
            EXPECT_TRUE(bids ? prev > l.px.raw : prev < l.px.raw)
                << "diff not strictly best first at " << i;
        }
        const auto it = side.find(l.px.raw);
        if (l.sz.raw == 0) {
            EXPECT_NE(it, side.end()) << "deletes price " << l.px.raw << " that is not there";
            if (it != side.end()) {
                side.erase(it);
            }
        } else {
            EXPECT_FALSE(it != side.end() && it->second == l.sz.raw)
                << "sets price " << l.px.raw << " to the size it has";
            side[l.px.raw] = l.sz.raw;
        }
    }
    std::vector<level> out;
    for (const auto& [px, sz] : side) {
        out.push_back(lv(px, sz));
    }
    return out;
}

std::vector<level> diff(const std::vector<level>& from, const std::vector<level>& to, bool bids) {
    std::vector<level> out{lv(1, 1), lv(2, 2)}; // diff_side clears what was there
    diff_side(from, to, bids, out);
    return out;
}

/// A random side: unique prices in [lo, hi], best first, sizes 1..max_size.
std::vector<level> random_side(std::mt19937_64& rng, bool bids, std::size_t max_levels,
                               std::int64_t lo, std::int64_t hi, std::int64_t max_size) {
    std::uniform_int_distribution<std::size_t> count(0, max_levels);
    std::uniform_int_distribution<std::int64_t> price(lo, hi);
    std::uniform_int_distribution<std::int64_t> size(1, max_size);
    std::set<std::int64_t> prices;
    const auto n = count(rng);
    for (std::size_t i = 0; i < n; ++i) {
        prices.insert(price(rng));
    }
    std::vector<level> out;
    for (const auto px : prices) {
        out.push_back(lv(px, size(rng)));
    }
    if (bids) {
        std::reverse(out.begin(), out.end());
    }
    return out;
}

/// `from` with some levels removed, resized or added (so that many prices are shared).
std::vector<level> mutate(std::mt19937_64& rng, const std::vector<level>& from, bool bids,
                          std::int64_t lo, std::int64_t hi) {
    auto side = make_side(bids);
    for (const auto& l : from) {
        side[l.px.raw] = l.sz.raw;
    }
    std::uniform_int_distribution<int> changes(0, 8);
    std::uniform_int_distribution<std::int64_t> price(lo, hi);
    std::uniform_int_distribution<std::int64_t> size(0, 3); // 0 deletes
    const int n = changes(rng);
    for (int i = 0; i < n; ++i) {
        const auto px = price(rng);
        const auto sz = size(rng);
        if (sz == 0) {
            side.erase(px);
        } else {
            side[px] = sz;
        }
    }
    std::vector<level> out;
    for (const auto& [px, sz] : side) {
        out.push_back(lv(px, sz));
    }
    return out;
}

TEST(BookDiffTest, RandomSidesApplyToTheTarget) {
    std::mt19937_64 rng{20251206};
    for (int round = 0; round < 20'000; ++round) {
        const bool bids = round % 2 == 0;
        const std::int64_t lo = 1000;
        const std::int64_t hi = round % 3 == 0 ? 1010 : 1100; // dense or sparse prices
        const auto from = random_side(rng, bids, 40, lo, hi, 5);
        const auto to = round % 4 == 0 ? random_side(rng, bids, 40, lo, hi, 5)
                                       : mutate(rng, from, bids, lo, hi);
        const auto d = diff(from, to, bids);
        ASSERT_EQ(apply(from, d, bids), to) << "round " << round;
        if (::testing::Test::HasFailure()) {
            FAIL() << "round " << round;
        }
    }
}

TEST(BookDiffTest, EmptyToFullIsTheWholeSide) {
    const std::vector<level> bids{lv(105, 1), lv(104, 2), lv(100, 3)};
    EXPECT_EQ(diff({}, bids, true), bids);
    const std::vector<level> asks{lv(106, 1), lv(107, 2), lv(120, 3)};
    EXPECT_EQ(diff({}, asks, false), asks);
}

TEST(BookDiffTest, FullToEmptyDeletesEveryPrice) {
    const std::vector<level> bids{lv(105, 1), lv(104, 2), lv(100, 3)};
    EXPECT_EQ(diff(bids, {}, true), (std::vector<level>{lv(105, 0), lv(104, 0), lv(100, 0)}));
    const std::vector<level> asks{lv(106, 1), lv(107, 2)};
    EXPECT_EQ(diff(asks, {}, false), (std::vector<level>{lv(106, 0), lv(107, 0)}));
}

TEST(BookDiffTest, SameSideHasAnEmptyDiff) {
    const std::vector<level> bids{lv(105, 1), lv(104, 2), lv(100, 3)};
    EXPECT_TRUE(diff(bids, bids, true).empty());
    const std::vector<level> asks{lv(106, 1), lv(107, 2)};
    EXPECT_TRUE(diff(asks, asks, false).empty());
    EXPECT_TRUE(diff({}, {}, true).empty());
}

TEST(BookDiffTest, SizeChangeOnlyIsOneLevel) {
    const std::vector<level> from{lv(105, 1), lv(104, 2), lv(100, 3)};
    const std::vector<level> to{lv(105, 1), lv(104, 7), lv(100, 3)};
    EXPECT_EQ(diff(from, to, true), (std::vector<level>{lv(104, 7)}));
    const std::vector<level> asks_from{lv(106, 1), lv(107, 2)};
    const std::vector<level> asks_to{lv(106, 9), lv(107, 2)};
    EXPECT_EQ(diff(asks_from, asks_to, false), (std::vector<level>{lv(106, 9)}));
}

TEST(BookDiffTest, NewAndGoneLevelsInterleaveBestFirst) {
    // Bids: 105 gone, 103 new, 101 resized, 99 new at the far end.
    const std::vector<level> from{lv(105, 1), lv(104, 2), lv(101, 3)};
    const std::vector<level> to{lv(104, 2), lv(103, 5), lv(101, 4), lv(99, 1)};
    EXPECT_EQ(diff(from, to, true),
              (std::vector<level>{lv(105, 0), lv(103, 5), lv(101, 4), lv(99, 1)}));
    // Asks: the same prices, ascending.
    const std::vector<level> afrom{lv(101, 3), lv(104, 2), lv(105, 1)};
    const std::vector<level> ato{lv(99, 1), lv(101, 4), lv(103, 5), lv(104, 2)};
    EXPECT_EQ(diff(afrom, ato, false),
              (std::vector<level>{lv(99, 1), lv(101, 4), lv(103, 5), lv(105, 0)}));
}

} // namespace
} // namespace mdg::api::detail
