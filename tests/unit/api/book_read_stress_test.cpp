// The reader stress test of the "Market data out" issue: one writer stores a long sequence of
// book versions in a market_cache while 16 readers take versions with book() and check each one
// is a whole, sorted, uncrossed version that was published (never a torn mix of two), and that
// no reader ever sees a book go back in time. Meant to run under ThreadSanitizer too.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/catalog.hpp"
#include "api/market_cache.hpp"

#if defined(__SANITIZE_THREAD__)
#define MDG_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MDG_TEST_TSAN 1
#endif
#endif

namespace mdg::api {
namespace {

// ThreadSanitizer makes every access many times slower: fewer versions keep the test short.
#ifdef MDG_TEST_TSAN
constexpr std::uint64_t total_versions = 20'000;
#else
constexpr std::uint64_t total_versions = 200'000;
#endif
constexpr std::size_t book_count = 2;
constexpr std::size_t reader_count = 16;
constexpr std::uint16_t depth = 50;

/// FNV-1a over the levels of both sides (with their counts, so sides cannot trade levels).
std::uint64_t levels_hash(const std::vector<model::level>& bids,
                          const std::vector<model::level>& asks) {
    std::uint64_t h = 14695981039346656037ULL;
    auto mix = [&h](std::int64_t v) {
        auto u = static_cast<std::uint64_t>(v);
        for (int i = 0; i < 8; ++i) {
            h ^= u & 0xFFU;
            h *= 1099511628211ULL;
            u >>= 8U;
        }
    };
    mix(static_cast<std::int64_t>(bids.size()));
    for (const auto& l : bids) {
        mix(l.px.raw);
        mix(l.sz.raw);
    }
    mix(static_cast<std::int64_t>(asks.size()));
    for (const auto& l : asks) {
        mix(l.px.raw);
        mix(l.sz.raw);
    }
    return h;
}

/// The reference book of the writer: a random walk of a mid price with random level changes
/// around it, never crossed.
class reference_book {
  public:
    explicit reference_book(std::uint64_t seed) : rng_(seed) {
        for (std::int64_t i = 0; i < 80; ++i) {
            bids_[mid_ - i] = 1 + i;
            asks_[mid_ + 1 + i] = 2 + i;
        }
    }

    /// Applies a random delta (1..6 level changes, sometimes a move of the mid).
    void step() {
        std::uniform_int_distribution<int> pick(0, 99);
        if (pick(rng_) < 5) {
            mid_ += pick(rng_) < 50 ? -1 : 1;
            // Levels on the wrong side of the new mid go (as a venue's delta would delete them).
            bids_.erase(bids_.begin(), bids_.upper_bound(mid_ + 1));
            asks_.erase(asks_.begin(), asks_.upper_bound(mid_));
        }
        std::uniform_int_distribution<int> changes(1, 6);
        std::uniform_int_distribution<std::int64_t> offset(0, 70);
        std::uniform_int_distribution<std::int64_t> size(0, 1000); // 0 deletes
        const int n = changes(rng_);
        for (int i = 0; i < n; ++i) {
            const bool bid = pick(rng_) < 50;
            const auto px = bid ? mid_ - offset(rng_) : mid_ + 1 + offset(rng_);
            const auto sz = pick(rng_) < 25 ? 0 : 1 + size(rng_);
            if (bid) {
                set(bids_, px, sz);
            } else {
                set(asks_, px, sz);
            }
        }
    }

    /// The top `depth` levels of each side as a book view of version `u`.
    void top(dispatch::book_view& v) const {
        v.bids.clear();
        v.asks.clear();
        for (auto it = bids_.begin(); it != bids_.end() && v.bids.size() < depth; ++it) {
            v.bids.push_back({model::price{it->first}, model::qty{it->second}});
        }
        for (auto it = asks_.begin(); it != asks_.end() && v.asks.size() < depth; ++it) {
            v.asks.push_back({model::price{it->first}, model::qty{it->second}});
        }
    }

  private:
    template <class Map> static void set(Map& side, std::int64_t px, std::int64_t sz) {
        if (sz == 0) {
            side.erase(px);
        } else {
            side[px] = sz;
        }
    }

    std::mt19937_64 rng_;
    std::int64_t mid_ = 1'000'000;
    std::map<std::int64_t, std::int64_t, std::greater<>> bids_; // best (highest) first
    std::map<std::int64_t, std::int64_t> asks_;                 // best (lowest) first
};

/// What one reader found.
struct reader_result {
    std::uint64_t reads = 0;
    std::uint64_t failures = 0;
    std::string first_failure;
    std::array<std::uint64_t, book_count> last_u{};
};

/// Checks one version against the rules and the writer's record; "" when it is fine.
std::string check(const dispatch::book_view& b, model::instrument_id id,
                  const std::vector<std::uint64_t>& expected) {
    if (b.instrument != id || b.depth != depth) {
        return "wrong book";
    }
    if (b.update_id == 0 || b.update_id >= expected.size()) {
        return "update id " + std::to_string(b.update_id) + " was never written";
    }
    for (std::size_t i = 1; i < b.bids.size(); ++i) {
        if (!(b.bids[i - 1].px > b.bids[i].px)) {
            return "bids not strictly descending at " + std::to_string(i);
        }
    }
    for (std::size_t i = 1; i < b.asks.size(); ++i) {
        if (!(b.asks[i - 1].px < b.asks[i].px)) {
            return "asks not strictly ascending at " + std::to_string(i);
        }
    }
    if (!b.bids.empty() && !b.asks.empty() && !(b.bids.front().px < b.asks.front().px)) {
        return "crossed";
    }
    for (const auto* side : {&b.bids, &b.asks}) {
        for (const auto& l : *side) {
            if (l.sz.raw <= 0) {
                return "a level of size <= 0";
            }
        }
    }
    if (levels_hash(b.bids, b.asks) != expected[b.update_id]) {
        return "levels differ from version " + std::to_string(b.update_id) + " (torn read)";
    }
    return {};
}

TEST(BookReadStressTest, ReadersSeeWholeVersionsInOrder) {
    catalog cat;
    std::array<model::instrument_id, book_count> ids{};
    for (std::size_t i = 0; i < book_count; ++i) {
        ids[i] = model::instrument_id{static_cast<std::uint32_t>(i)};
        auto& e = cat.add(ids[i], model::venue::bybit, model::category::linear,
                          "SYM" + std::to_string(i), model::default_spec);
        e.book_depths = {depth};
    }
    market_cache cache{cat, cache_options{}};

    // expected[book][u]: hash of the levels of version u. Sized up front (never reallocated);
    // the writer fills an entry before it publishes the version, and a reader reads it only
    // after it took that version from the cache, whose lock orders the two.
    std::array<std::vector<std::uint64_t>, book_count> expected;
    for (auto& e : expected) {
        e.assign(total_versions + 1, 0);
    }
    std::array<std::uint64_t, book_count> written{};

    std::vector<reader_result> results(reader_count);
    {
        std::vector<std::jthread> readers;
        readers.reserve(reader_count);
        for (std::size_t r = 0; r < reader_count; ++r) {
            readers.emplace_back([&, r](const std::stop_token& st) {
                auto& res = results[r];
                auto read_one = [&](std::size_t k) {
                    const auto b = cache.book(ids[k], depth);
                    ++res.reads;
                    if (b == nullptr) {
                        return;
                    }
                    auto why = check(*b, ids[k], expected[k]);
                    if (why.empty() && b->update_id < res.last_u[k]) {
                        why = "update id went back from " + std::to_string(res.last_u[k]) + " to " +
                              std::to_string(b->update_id);
                    }
                    if (!why.empty()) {
                        if (res.failures++ == 0) {
                            res.first_failure = "book " + std::to_string(k) + ": " + why;
                        }
                        return;
                    }
                    res.last_u[k] = b->update_id;
                };
                for (std::size_t i = r;; ++i) {
                    // Stop checked before the read: after a stop, one last pass below.
                    if (st.stop_requested()) {
                        break;
                    }
                    read_one(i % book_count);
                    // Sixteen readers spinning on two cores would leave the writer a sliver of
                    // CPU time (and the test 10 s long): give the core up now and then.
                    if (i % 16 == 0) {
                        std::this_thread::yield();
                    }
                }
                for (std::size_t k = 0; k < book_count; ++k) {
                    read_one(k);
                }
            });
        }

        std::jthread writer([&] {
            std::array<reference_book, book_count> refs{reference_book{1}, reference_book{2}};
            std::mt19937_64 rng{42};
            std::uniform_int_distribution<std::size_t> which(0, book_count - 1);
            dispatch::book_view v;
            v.depth = depth;
            v.state = book::book_state::live;
            for (std::uint64_t n = 0; n < total_versions; ++n) {
                const auto k = which(rng);
                refs[k].step();
                refs[k].top(v);
                const auto u = ++written[k];
                v.instrument = ids[k];
                v.update_id = u;
                v.seq = n + 1;
                expected[k][u] = levels_hash(v.bids, v.asks);
                cache.on_book(v, std::stop_token{});
            }
        });
        writer.join();
        for (auto& r : readers) {
            r.request_stop();
        }
    } // joins the readers

    std::uint64_t total_reads = 0;
    for (std::size_t r = 0; r < reader_count; ++r) {
        const auto& res = results[r];
        total_reads += res.reads;
        EXPECT_EQ(res.failures, 0U) << "reader " << r << ": " << res.first_failure;
        // The last pass ran after the writer was done: it saw the final versions.
        for (std::size_t k = 0; k < book_count; ++k) {
            EXPECT_EQ(res.last_u[k], written[k]) << "reader " << r << ", book " << k;
        }
    }
    EXPECT_EQ(cache.books_stored(), total_versions);
    EXPECT_EQ(written[0] + written[1], total_versions);
    RecordProperty("reads", std::to_string(total_reads));
}

} // namespace
} // namespace mdg::api
