#include <functional>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "book/order_book.hpp"

namespace mdg::book {
namespace {

using model::level;

level lv(std::int64_t px, std::int64_t sz) {
    return level{{px}, {sz}};
}

// Holds the level storage an update views.
struct update {
    std::vector<level> bids;
    std::vector<level> asks;
    model::book_update u;

    update(model::update_kind kind, std::uint64_t id, std::vector<level> b, std::vector<level> a)
        : bids(std::move(b)), asks(std::move(a)) {
        u.kind = kind;
        u.update_id = id;
        u.depth = 50;
        u.bids = bids;
        u.asks = asks;
    }
    operator const model::book_update&() const { return u; } // NOLINT: test sugar
};

update snapshot(std::uint64_t id, std::vector<level> b, std::vector<level> a) {
    return {model::update_kind::snapshot, id, std::move(b), std::move(a)};
}
update delta(std::uint64_t id, std::vector<level> b, std::vector<level> a) {
    return {model::update_kind::delta, id, std::move(b), std::move(a)};
}

std::vector<level> bids_of(const order_book& b) {
    std::vector<level> out;
    for (std::size_t i = 0; i < b.bid_count(); ++i) {
        out.push_back(b.bid(i));
    }
    return out;
}
std::vector<level> asks_of(const order_book& b) {
    std::vector<level> out;
    for (std::size_t i = 0; i < b.ask_count(); ++i) {
        out.push_back(b.ask(i));
    }
    return out;
}

TEST(OrderBookTest, StartsSyncingAndIgnoresDeltasBeforeASnapshot) {
    order_book b{50};
    EXPECT_EQ(b.state(), book_state::syncing);
    EXPECT_EQ(b.apply(delta(5, {lv(100, 1)}, {})), apply_status::awaiting_snapshot);
    EXPECT_EQ(b.bid_count(), 0U);
    EXPECT_EQ(b.state(), book_state::syncing);
}

TEST(OrderBookTest, SnapshotReplacesAndDeltaUpsertsAndDeletes) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(10, {lv(100, 5), lv(99, 6), lv(98, 7)}, {lv(101, 1), lv(102, 2)})),
              apply_status::applied);
    EXPECT_EQ(b.state(), book_state::live);
    EXPECT_EQ(bids_of(b), (std::vector{lv(100, 5), lv(99, 6), lv(98, 7)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(101, 1), lv(102, 2)}));

    // Overwrite 99, delete 98, insert 97; delete ask 101, insert ask 103.
    ASSERT_EQ(b.apply(delta(11, {lv(99, 60), lv(98, 0), lv(97, 3)}, {lv(101, 0), lv(103, 4)})),
              apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(100, 5), lv(99, 60), lv(97, 3)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(102, 2), lv(103, 4)}));
    EXPECT_EQ(b.update_id(), 11U);
    EXPECT_TRUE(b.check_invariants());

    // A later snapshot replaces everything.
    ASSERT_EQ(b.apply(snapshot(500, {lv(50, 1)}, {lv(60, 1)})), apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(50, 1)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(60, 1)}));
}

TEST(OrderBookTest, DeletingAnUnknownPriceChangesNothing) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(1, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    ASSERT_EQ(b.apply(delta(2, {lv(90, 0)}, {lv(110, 0)})), apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(100, 5)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(101, 1)}));
}

TEST(OrderBookTest, GapMarksResyncingUntilTheNextSnapshot) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(10, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(b.apply(delta(12, {lv(100, 6)}, {})), apply_status::gap);
    EXPECT_EQ(b.state(), book_state::resyncing);
    EXPECT_EQ(b.bid(0), lv(100, 5)); // nothing from the gapped delta was applied
    EXPECT_EQ(b.apply(delta(13, {lv(100, 7)}, {})), apply_status::awaiting_snapshot);
    ASSERT_EQ(b.apply(snapshot(20, {lv(100, 8)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(b.state(), book_state::live);
    EXPECT_EQ(b.apply(delta(21, {lv(100, 9)}, {})), apply_status::applied);
}

TEST(OrderBookTest, LowerOrRepeatedUpdateIdIsAGap) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(10, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(b.apply(delta(10, {lv(100, 6)}, {})), apply_status::gap);
    order_book c{50};
    ASSERT_EQ(c.apply(snapshot(10, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(c.apply(delta(9, {lv(100, 6)}, {})), apply_status::gap);
    EXPECT_EQ(c.state(), book_state::resyncing);
}

TEST(OrderBookTest, UpdateIdOneIsARestartSnapshot) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(1000, {lv(100, 5), lv(99, 1)}, {lv(101, 1)})),
              apply_status::applied);
    // After a venue restart the server sends u=1; even typed as a delta it resets the book.
    ASSERT_EQ(b.apply(delta(1, {lv(95, 2)}, {lv(96, 3)})), apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(95, 2)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(96, 3)}));
    EXPECT_EQ(b.apply(delta(2, {lv(95, 0)}, {})), apply_status::applied);
}

TEST(OrderBookTest, CrossingDeltaIsNeverLive) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(1, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(b.apply(delta(2, {lv(101, 1)}, {})), apply_status::crossed);
    EXPECT_EQ(b.state(), book_state::resyncing);
    EXPECT_EQ(b.apply(delta(3, {lv(101, 0)}, {})), apply_status::awaiting_snapshot);
}

TEST(OrderBookTest, CrossedOrDuplicateSnapshotIsRejected) {
    order_book b{50};
    EXPECT_EQ(b.apply(snapshot(1, {lv(102, 5)}, {lv(101, 1)})), apply_status::crossed);
    EXPECT_EQ(b.state(), book_state::resyncing);
    EXPECT_EQ(b.apply(snapshot(2, {lv(100, 5), lv(100, 6)}, {lv(101, 1)})), apply_status::invalid);
    EXPECT_EQ(b.state(), book_state::resyncing);
}

TEST(OrderBookTest, ZeroOrNegativePriceOrNegativeSizeIsNeverLive) {
    // A delta with such a level applies nothing and waits for a snapshot; so does a snapshot.
    // (An update views its own vectors: built in place, never copied.)
    const auto expect_refused = [](const update& d) {
        order_book b{50};
        ASSERT_EQ(b.apply(snapshot(1, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
        EXPECT_EQ(b.apply(d), apply_status::invalid);
        EXPECT_EQ(b.state(), book_state::resyncing);
        EXPECT_EQ(bids_of(b), (std::vector{lv(100, 5)}));
        EXPECT_EQ(b.apply(delta(3, {lv(99, 1)}, {})), apply_status::awaiting_snapshot);
        EXPECT_EQ(b.apply(snapshot(4, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    };
    expect_refused(delta(2, {lv(0, 1)}, {}));  // "0" or "-0"
    expect_refused(delta(2, {}, {lv(-5, 1)})); // a negative price
    expect_refused(delta(2, {lv(99, -1)}, {}));
    const auto expect_refused_snapshot = [](const update& s) {
        order_book b{50};
        EXPECT_EQ(b.apply(s), apply_status::invalid);
        EXPECT_EQ(b.state(), book_state::resyncing);
    };
    expect_refused_snapshot(snapshot(1, {lv(100, 5), lv(0, 1)}, {lv(101, 1)}));
    expect_refused_snapshot(snapshot(1, {lv(100, 5)}, {lv(101, 1), lv(-101, 1)}));
    expect_refused_snapshot(snapshot(1, {lv(100, -5)}, {lv(101, 1)}));
}

TEST(OrderBookTest, AnUnusableMessageMakesTheBookResyncUnlessItWaitsAnyway) {
    order_book b{50};
    // A snapshot that could not be decoded: a syncing book would otherwise wait forever.
    EXPECT_EQ(b.mark_unusable(model::update_kind::snapshot), apply_status::invalid);
    EXPECT_EQ(b.state(), book_state::resyncing);
    ASSERT_EQ(b.apply(snapshot(1, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    // A delta that could not be decoded: the live book would miss it.
    EXPECT_EQ(b.mark_unusable(model::update_kind::delta), apply_status::invalid);
    EXPECT_EQ(b.state(), book_state::resyncing);
    EXPECT_EQ(b.mark_unusable(model::update_kind::delta), apply_status::awaiting_snapshot);
    EXPECT_EQ(b.state(), book_state::resyncing);
    ASSERT_EQ(b.apply(snapshot(5, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    b.mark_stale();
    EXPECT_EQ(b.mark_unusable(model::update_kind::delta), apply_status::invalid);
    EXPECT_EQ(b.state(), book_state::resyncing);
}

TEST(OrderBookTest, UnsortedSnapshotIsRepairedAndZeroLevelsDropped) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(1, {lv(98, 1), lv(100, 5), lv(99, 0)}, {lv(103, 1), lv(101, 2)})),
              apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(100, 5), lv(98, 1)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(101, 2), lv(103, 1)}));
}

TEST(OrderBookTest, TrimsToItsDepthKeepingTheBestLevels) {
    order_book b{3};
    ASSERT_EQ(b.apply(snapshot(1, {lv(100, 1), lv(99, 1), lv(98, 1), lv(97, 1)},
                               {lv(201, 1), lv(202, 1), lv(203, 1), lv(204, 1)})),
              apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(100, 1), lv(99, 1), lv(98, 1)}));
    EXPECT_EQ(asks_of(b), (std::vector{lv(201, 1), lv(202, 1), lv(203, 1)}));
    // Inserting a better bid pushes the worst one out.
    ASSERT_EQ(b.apply(delta(2, {lv(150, 1)}, {})), apply_status::applied);
    EXPECT_EQ(bids_of(b), (std::vector{lv(150, 1), lv(100, 1), lv(99, 1)}));
    EXPECT_TRUE(b.check_invariants());
}

TEST(OrderBookTest, StaleIsFlaggedAndClearedByTheNextContiguousDelta) {
    order_book b{50};
    ASSERT_EQ(b.apply(snapshot(1, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    b.mark_stale();
    EXPECT_EQ(b.state(), book_state::stale);
    EXPECT_EQ(b.apply(delta(2, {lv(100, 6)}, {})), apply_status::applied);
    EXPECT_EQ(b.state(), book_state::live);
    b.mark_syncing();
    EXPECT_EQ(b.apply(delta(3, {lv(100, 7)}, {})), apply_status::awaiting_snapshot);
}

TEST(OrderBookTest, LevelOneSnapshotRepeatedWithTheSameIdIsAccepted) {
    order_book b{1};
    ASSERT_EQ(b.apply(snapshot(7, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    ASSERT_EQ(b.apply(snapshot(7, {lv(100, 5)}, {lv(101, 1)})), apply_status::applied);
    EXPECT_EQ(b.state(), book_state::live);
}

// Randomised: a long stream of deltas must leave the book equal to a std::map reference
// trimmed the same way, and sorted and uncrossed after every step.
TEST(OrderBookTest, MatchesAReferenceMapOverRandomDeltas) {
    constexpr std::size_t depth = 20;
    std::mt19937_64 rng{42};
    order_book b{depth};
    std::map<std::int64_t, std::int64_t, std::greater<>> ref_bids;
    std::map<std::int64_t, std::int64_t> ref_asks;
    std::vector<level> sb;
    std::vector<level> sa;
    for (std::int64_t i = 0; i < 30; ++i) {
        sb.push_back(lv(1000 - i, i + 1));
        sa.push_back(lv(1001 + i, i + 1));
    }
    ASSERT_EQ(b.apply(snapshot(1, sb, sa)), apply_status::applied);
    for (std::size_t i = 0; i < depth; ++i) {
        ref_bids[sb[i].px.raw] = sb[i].sz.raw;
        ref_asks[sa[i].px.raw] = sa[i].sz.raw;
    }
    auto trim = [&](auto& m) {
        while (m.size() > depth) {
            m.erase(std::prev(m.end()));
        }
    };
    for (std::uint64_t u = 2; u < 20'000; ++u) {
        std::vector<level> db;
        std::vector<level> da;
        const auto mid = 1000;
        const int n = static_cast<int>(rng() % 6);
        for (int k = 0; k < n; ++k) {
            const auto off = static_cast<std::int64_t>(rng() % 40);
            const auto sz = (rng() % 3 == 0) ? 0 : static_cast<std::int64_t>(rng() % 100 + 1);
            if (rng() % 2 == 0) {
                db.push_back(lv(mid - off, sz));
            } else {
                da.push_back(lv(mid + 1 + off, sz));
            }
        }
        ASSERT_EQ(b.apply(delta(u, db, da)), apply_status::applied) << u;
        for (const auto& l : db) {
            l.sz.raw == 0 ? static_cast<void>(ref_bids.erase(l.px.raw))
                          : static_cast<void>(ref_bids[l.px.raw] = l.sz.raw);
        }
        for (const auto& l : da) {
            l.sz.raw == 0 ? static_cast<void>(ref_asks.erase(l.px.raw))
                          : static_cast<void>(ref_asks[l.px.raw] = l.sz.raw);
        }
        trim(ref_bids);
        trim(ref_asks);
        ASSERT_TRUE(b.check_invariants());
        ASSERT_EQ(b.bid_count(), ref_bids.size());
        ASSERT_EQ(b.ask_count(), ref_asks.size());
        std::size_t i = 0;
        for (const auto& [px, sz] : ref_bids) {
            ASSERT_EQ(b.bid(i), lv(px, sz));
            ++i;
        }
        i = 0;
        for (const auto& [px, sz] : ref_asks) {
            ASSERT_EQ(b.ask(i), lv(px, sz));
            ++i;
        }
    }
}

TEST(OrderBookTest, StatesAndStatusesHaveNames) {
    EXPECT_EQ(to_string(book_state::resyncing), "resyncing");
    EXPECT_EQ(to_string(apply_status::awaiting_snapshot), "awaiting_snapshot");
}

} // namespace
} // namespace mdg::book
