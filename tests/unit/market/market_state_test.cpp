#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "market/market_state.hpp"

// Counts every allocation in this test binary so that a test can prove the steady-state
// update path never allocates (docs/architecture.md, invariants). The replacements pair malloc with
// free; GCC cannot see that once they are inlined into library code, hence the pragma.
namespace {
std::atomic<std::size_t> allocation_count{0};
} // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc{};
}
// The nothrow form too (std::get_temporary_buffer uses it), so that every allocation the
// replaced delete frees came from malloc.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace mdg::market {
namespace {

using mdg::book::apply_status;
using mdg::book::book_state;
using namespace std::chrono_literals;

constexpr model::instrument_id btc{1};
constexpr model::instrument_id eth{2};

// A book update whose levels live in the caller's vectors (book_update only views them).
struct book_msg {
    std::vector<model::level> bids;
    std::vector<model::level> asks;
    model::book_update u;

    book_msg(model::instrument_id instrument, std::uint16_t depth, model::update_kind kind,
             std::uint64_t update_id, std::vector<model::level> b, std::vector<model::level> a,
             std::int64_t ts_ms = 0)
        : bids(std::move(b)), asks(std::move(a)) {
        u.instrument = instrument;
        u.depth = depth;
        u.kind = kind;
        u.update_id = update_id;
        u.seq = update_id * 10;
        u.ts_exchange = unix_nanos::from_millis(ts_ms);
        u.ts_engine = unix_nanos::from_millis(ts_ms - 1);
        u.ts_recv = unix_nanos::from_millis(ts_ms + 1);
        u.bids = bids;
        u.asks = asks;
    }
    book_msg(const book_msg&) = delete;
    book_msg& operator=(const book_msg&) = delete;
    book_msg(book_msg&&) = delete;
    book_msg& operator=(book_msg&&) = delete;
    ~book_msg() = default;
};

model::level lvl(std::int64_t px, std::int64_t sz) {
    return {model::price{px}, model::qty{sz}};
}

apply_status snapshot(market_state& m, model::instrument_id id, std::uint16_t depth,
                      std::uint64_t update_id, std::int64_t ts_ms = 0) {
    const book_msg msg{id,
                       depth,
                       model::update_kind::snapshot,
                       update_id,
                       {lvl(100, 1), lvl(99, 2)},
                       {lvl(101, 1), lvl(102, 2)},
                       ts_ms};
    return m.on_book(msg.u);
}

apply_status delta(market_state& m, model::instrument_id id, std::uint16_t depth,
                   std::uint64_t update_id, std::int64_t ts_ms = 0) {
    const book_msg msg{id, depth, model::update_kind::delta, update_id, {lvl(100, 5)}, {}, ts_ms};
    return m.on_book(msg.u);
}

model::ticker_update ticker(model::instrument_id id, model::update_kind kind, std::uint64_t cs) {
    model::ticker_update u;
    u.instrument = id;
    u.kind = kind;
    u.cross_seq = cs;
    u.fields.set(model::ticker_field::last_price, model::decimal{650001, 1});
    return u;
}

model::trade trade(model::instrument_id id, std::string_view trade_id, std::int64_t ts_ms) {
    model::trade t;
    t.instrument = id;
    t.ts_exchange = unix_nanos::from_millis(ts_ms);
    t.px = model::price{100};
    t.sz = model::qty{1};
    (void)t.id.assign(trade_id);
    return t;
}

model::kline candle(model::instrument_id id, model::kline_interval interval, std::int64_t m) {
    model::kline k;
    k.instrument = id;
    k.interval = interval;
    k.start = unix_nanos::from_millis(m * 60'000);
    k.close = model::price{m};
    return k;
}

model::liquidation liq(model::instrument_id id, std::int64_t ts_s, std::int64_t px = 100) {
    model::liquidation l;
    l.instrument = id;
    l.ts_exchange = unix_nanos::from_millis(ts_s * 1000);
    l.px = model::price{px};
    l.sz = model::qty{1};
    return l;
}

TEST(MarketStateTest, AccessorsReturnNullForUnseenInstruments) {
    const market_state m;
    EXPECT_EQ(m.book(btc, 50), nullptr);
    EXPECT_EQ(m.ticker(btc), nullptr);
    EXPECT_EQ(m.klines(btc, model::kline_interval::m1), nullptr);
    EXPECT_EQ(m.trades(btc), nullptr);
    EXPECT_EQ(m.liquidations(btc), nullptr);
}

TEST(MarketStateTest, BookIsCreatedOnFirstSightWithTheUpdateDepth) {
    market_state m;
    EXPECT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    const book_entry* e = m.book(btc, 50);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->book.depth(), 50U);
    EXPECT_EQ(e->book.state(), book_state::live);
    EXPECT_EQ(e->snapshots, 1U);
    EXPECT_EQ(m.book(btc, 200), nullptr);
    EXPECT_EQ(m.book(eth, 50), nullptr);
}

TEST(MarketStateTest, DepthsOfOneInstrumentAreSeparateBooks) {
    market_state m;
    EXPECT_EQ(snapshot(m, btc, 1, 10), apply_status::applied);
    EXPECT_EQ(snapshot(m, btc, 50, 20), apply_status::applied);
    EXPECT_EQ(delta(m, btc, 50, 21), apply_status::applied);
    EXPECT_EQ(m.book(btc, 1)->book.update_id(), 10U);
    EXPECT_EQ(m.book(btc, 50)->book.update_id(), 21U);
    EXPECT_EQ(m.book(btc, 1)->book.depth(), 1U);
    EXPECT_EQ(m.book_count(), 2U);
}

TEST(MarketStateTest, BookCountersTrackEveryOutcome) {
    market_state m;
    EXPECT_EQ(delta(m, btc, 50, 7), apply_status::awaiting_snapshot); // book created, syncing
    EXPECT_EQ(snapshot(m, btc, 50, 10), apply_status::applied);
    EXPECT_EQ(delta(m, btc, 50, 11), apply_status::applied);
    EXPECT_EQ(delta(m, btc, 50, 13), apply_status::gap);
    EXPECT_EQ(delta(m, btc, 50, 14), apply_status::awaiting_snapshot);
    EXPECT_EQ(snapshot(m, btc, 50, 20), apply_status::applied);

    const book_entry& e = *m.book(btc, 50);
    EXPECT_EQ(e.snapshots, 2U);
    EXPECT_EQ(e.deltas, 4U);
    EXPECT_EQ(e.gaps, 1U);
    EXPECT_EQ(e.ignored, 2U);
    EXPECT_EQ(e.resyncs_completed, 1U); // the first snapshot left `syncing`, not `resyncing`
    EXPECT_EQ(e.crossed, 0U);
    EXPECT_EQ(e.invalid, 0U);
}

TEST(MarketStateTest, UpdateIdOneCountsAsSnapshot) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 5), apply_status::applied);
    const book_msg restart{btc, 50, model::update_kind::delta, 1, {lvl(90, 1)}, {lvl(91, 1)}};
    EXPECT_EQ(m.on_book(restart.u), apply_status::applied);
    EXPECT_EQ(m.book(btc, 50)->snapshots, 2U);
    EXPECT_EQ(m.book(btc, 50)->deltas, 0U);
}

TEST(MarketStateTest, CrossedAndInvalidBooksAreCountedAndRecover) {
    market_state m;
    const book_msg crossed{btc, 50, model::update_kind::snapshot, 1, {lvl(105, 1)}, {lvl(101, 1)}};
    EXPECT_EQ(m.on_book(crossed.u), apply_status::crossed);
    const book_msg dup{btc, 50, model::update_kind::snapshot, 2, {lvl(99, 1), lvl(99, 2)}, {}};
    EXPECT_EQ(m.on_book(dup.u), apply_status::invalid);
    EXPECT_EQ(snapshot(m, btc, 50, 3), apply_status::applied);
    const book_entry& e = *m.book(btc, 50);
    EXPECT_EQ(e.crossed, 1U);
    EXPECT_EQ(e.invalid, 1U);
    EXPECT_EQ(e.resyncs_completed, 1U);
    EXPECT_EQ(e.book.state(), book_state::live);
}

TEST(MarketStateTest, BookTimestampsFollowTheLastAppliedUpdate) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1, 1000), apply_status::applied);
    ASSERT_EQ(delta(m, btc, 50, 2, 2000), apply_status::applied);
    ASSERT_EQ(delta(m, btc, 50, 9, 3000), apply_status::gap);
    const book_entry& e = *m.book(btc, 50);
    EXPECT_EQ(e.ts_exchange, unix_nanos::from_millis(2000));
    EXPECT_EQ(e.ts_engine, unix_nanos::from_millis(1999));
    EXPECT_EQ(e.ts_recv, unix_nanos::from_millis(2001));
}

TEST(MarketStateTest, ZeroDepthUpdateIsRefusedWithoutCreatingABook) {
    market_state m;
    EXPECT_EQ(snapshot(m, btc, 0, 1), apply_status::invalid);
    EXPECT_EQ(m.book_count(), 0U);
    EXPECT_EQ(m.zero_depth_count(), 1U);
}

TEST(MarketStateTest, ForEachBookVisitsByInstrumentThenDepth) {
    market_state m;
    (void)snapshot(m, eth, 50, 1);
    (void)snapshot(m, btc, 200, 1);
    (void)snapshot(m, btc, 1, 1);
    (void)snapshot(m, model::instrument_id{70000}, 1000, 1);
    (void)snapshot(m, btc, 50, 1);
    std::vector<std::tuple<std::uint32_t, std::uint16_t, std::size_t>> seen;
    m.for_each_book([&](model::instrument_id id, std::uint16_t depth, const book_entry& e) {
        seen.emplace_back(id.value, depth, e.book.depth());
    });
    const std::vector<std::tuple<std::uint32_t, std::uint16_t, std::size_t>> expected{
        {1, 1, 1}, {1, 50, 50}, {1, 200, 200}, {2, 50, 50}, {70000, 1000, 1000}};
    EXPECT_EQ(seen, expected);
}

TEST(MarketStateTest, MarkSyncingMakesTheBookWaitForASnapshot) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    EXPECT_TRUE(m.mark_syncing(btc, 50));
    EXPECT_FALSE(m.mark_syncing(btc, 200));
    EXPECT_EQ(m.book(btc, 50)->book.state(), book_state::syncing);
    EXPECT_EQ(delta(m, btc, 50, 2), apply_status::awaiting_snapshot);
    EXPECT_EQ(snapshot(m, btc, 50, 7), apply_status::applied);
    EXPECT_EQ(m.book(btc, 50)->resyncs_completed, 0U);
}

TEST(MarketStateTest, AnUnusableBookMessageMakesTheBookResync) {
    using model::update_kind;
    market_state m;
    // The first snapshot could not be decoded: the book exists, resyncing, and asks for one.
    EXPECT_EQ(m.on_unusable_book(btc, 50, update_kind::snapshot), apply_status::invalid);
    ASSERT_NE(m.book(btc, 50), nullptr);
    const auto& e = *m.book(btc, 50);
    EXPECT_EQ(e.book.state(), book_state::resyncing);
    EXPECT_EQ(snapshot(m, btc, 50, 3), apply_status::applied);
    EXPECT_EQ(e.resyncs_completed, 1U);
    // A delta of a live book: resyncing, its later deltas ignored until the next snapshot.
    EXPECT_EQ(m.on_unusable_book(btc, 50, update_kind::delta), apply_status::invalid);
    EXPECT_EQ(e.book.state(), book_state::resyncing);
    EXPECT_EQ(delta(m, btc, 50, 5), apply_status::awaiting_snapshot);
    EXPECT_EQ(m.on_unusable_book(btc, 50, update_kind::delta), apply_status::awaiting_snapshot);
    EXPECT_EQ(e.unusable, 2U);
    EXPECT_EQ(e.ignored, 2U);
    // A book that lost continuity waits for a snapshot anyway; a failed snapshot still resyncs.
    EXPECT_EQ(snapshot(m, btc, 50, 9), apply_status::applied);
    m.mark_all_stale();
    EXPECT_EQ(m.on_unusable_book(btc, 50, update_kind::delta), apply_status::awaiting_snapshot);
    EXPECT_EQ(e.book.state(), book_state::stale);
    EXPECT_EQ(m.on_unusable_book(btc, 50, update_kind::snapshot), apply_status::invalid);
    EXPECT_EQ(e.book.state(), book_state::resyncing);
    EXPECT_EQ(m.on_unusable_book(btc, 0, update_kind::snapshot), apply_status::invalid);
    EXPECT_EQ(m.zero_depth_count(), 1U);
}

TEST(MarketStateTest, MarkAllStaleFlagsBooksTickersAndTrades) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    ASSERT_EQ(snapshot(m, eth, 50, 1), apply_status::applied);
    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::snapshot, 1)), ticker_status::applied);
    const std::array trades{trade(btc, "a", 1)};
    ASSERT_EQ(m.on_trades(trades), 1U);

    m.mark_all_stale();
    EXPECT_EQ(m.book(btc, 50)->book.state(), book_state::stale);
    EXPECT_EQ(m.book(eth, 50)->book.state(), book_state::stale);
    EXPECT_TRUE(m.ticker(btc)->stale());
    EXPECT_TRUE(m.trades(btc)->stale());

    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::delta, 2)), ticker_status::applied);
    EXPECT_FALSE(m.ticker(btc)->stale());
    EXPECT_EQ(snapshot(m, btc, 50, 9), apply_status::applied);
    EXPECT_EQ(m.book(btc, 50)->book.state(), book_state::live);
}

TEST(MarketStateTest, MarkAllStaleLosesEveryBooksContinuity) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    m.mark_all_stale();
    EXPECT_TRUE(m.book(btc, 50)->needs_snapshot);
    EXPECT_EQ(delta(m, btc, 50, 2), apply_status::awaiting_snapshot);
    EXPECT_EQ(m.book(btc, 50)->book.state(), book_state::stale);
}

TEST(MarketStateTest, SilentBookGoesLiveAgainOnADeltaThatContinuesTheSequence) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    ASSERT_EQ(delta(m, btc, 50, 2), apply_status::applied);
    EXPECT_TRUE(m.mark_book_stale(btc, 50, false));
    EXPECT_FALSE(m.mark_book_stale(btc, 50, false));  // already stale: no change
    EXPECT_FALSE(m.mark_book_stale(btc, 200, false)); // no such book
    const auto& e = *m.book(btc, 50);
    EXPECT_EQ(e.book.state(), book_state::stale);
    EXPECT_EQ(e.stale_marks, 1U);
    EXPECT_FALSE(e.needs_snapshot);
    // Silence on a connected socket keeps continuity: u 3 follows u 2.
    EXPECT_EQ(delta(m, btc, 50, 3), apply_status::applied);
    EXPECT_EQ(e.book.state(), book_state::live);
    EXPECT_EQ(e.book.update_id(), 3U);
}

TEST(MarketStateTest, SilentBookWhoseNextDeltaSkipsAnUpdateIdIsAGap) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    ASSERT_TRUE(m.mark_book_stale(btc, 50, false));
    EXPECT_EQ(delta(m, btc, 50, 5), apply_status::gap);
    EXPECT_EQ(m.book(btc, 50)->book.state(), book_state::resyncing);
    EXPECT_EQ(m.book(btc, 50)->gaps, 1U);
}

TEST(MarketStateTest, LostConnectionBookWaitsForASnapshotEvenForAContinuousDelta) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    EXPECT_TRUE(m.mark_book_stale(btc, 50, true));
    const auto& e = *m.book(btc, 50);
    EXPECT_EQ(e.book.state(), book_state::stale);
    EXPECT_TRUE(e.needs_snapshot);
    EXPECT_EQ(delta(m, btc, 50, 2), apply_status::awaiting_snapshot);
    EXPECT_EQ(e.book.state(), book_state::stale);
    EXPECT_EQ(e.ignored, 1U);
    EXPECT_EQ(snapshot(m, btc, 50, 40), apply_status::applied);
    EXPECT_EQ(e.book.state(), book_state::live);
    EXPECT_FALSE(e.needs_snapshot);
    EXPECT_EQ(delta(m, btc, 50, 41), apply_status::applied);
}

TEST(MarketStateTest, LostConnectionOnAStaleBookStillLosesContinuity) {
    market_state m;
    ASSERT_EQ(snapshot(m, btc, 50, 1), apply_status::applied);
    ASSERT_TRUE(m.mark_book_stale(btc, 50, false));
    EXPECT_FALSE(m.mark_book_stale(btc, 50, true));                   // state unchanged, but...
    EXPECT_EQ(delta(m, btc, 50, 2), apply_status::awaiting_snapshot); // ...continuity is gone
}

TEST(MarketStateTest, TickerAndTradesAreMarkedStaleUntilTheirNextUpdate) {
    market_state m;
    EXPECT_FALSE(m.mark_ticker_stale(btc));
    EXPECT_FALSE(m.mark_trades_stale(btc));
    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::snapshot, 1)), ticker_status::applied);
    const std::array first{trade(btc, "a", 1)};
    ASSERT_EQ(m.on_trades(first), 1U);
    EXPECT_TRUE(m.mark_ticker_stale(btc));
    EXPECT_FALSE(m.mark_ticker_stale(btc));
    EXPECT_TRUE(m.mark_trades_stale(btc));
    EXPECT_FALSE(m.mark_trades_stale(btc));
    EXPECT_TRUE(m.ticker(btc)->stale());
    EXPECT_TRUE(m.trades(btc)->stale());
    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::delta, 2)), ticker_status::applied);
    const std::array next{trade(btc, "b", 2)};
    ASSERT_EQ(m.on_trades(next), 1U);
    EXPECT_FALSE(m.ticker(btc)->stale());
    EXPECT_FALSE(m.trades(btc)->stale());
}

TEST(MarketStateTest, TickersAreKeptPerInstrument) {
    market_state m;
    EXPECT_EQ(m.on_ticker(ticker(btc, model::update_kind::delta, 1)),
              ticker_status::delta_before_snapshot);
    EXPECT_EQ(m.on_ticker(ticker(btc, model::update_kind::snapshot, 10)), ticker_status::applied);
    EXPECT_EQ(m.on_ticker(ticker(eth, model::update_kind::snapshot, 3)), ticker_status::applied);
    EXPECT_EQ(m.on_ticker(ticker(btc, model::update_kind::delta, 9)),
              ticker_status::stale_cross_seq);
    EXPECT_EQ(m.ticker(btc)->cross_seq(), 10U);
    EXPECT_EQ(m.ticker(eth)->cross_seq(), 3U);
    EXPECT_EQ(m.ticker_count(), 2U);
}

TEST(MarketStateTest, OnTradesCountsAcceptedAcrossInstruments) {
    market_state m;
    const std::array batch{trade(btc, "1", 1), trade(btc, "2", 2), trade(eth, "1", 3),
                           trade(btc, "2", 4), trade(btc, "3", 5)};
    EXPECT_EQ(m.on_trades(batch), 4U);
    EXPECT_EQ(m.trades(btc)->size(), 3U);
    EXPECT_EQ(m.trades(eth)->size(), 1U);
    EXPECT_EQ(m.trades(btc)->newest().id.view(), "3");
    EXPECT_EQ(m.on_trades(batch), 0U);
}

TEST(MarketStateTest, OnKlinesCountsEachStatusPerSeries) {
    market_state m;
    const std::array batch{
        candle(btc, model::kline_interval::m1, 5), candle(btc, model::kline_interval::m1, 5),
        candle(btc, model::kline_interval::m1, 6), candle(btc, model::kline_interval::m1, 4),
        candle(btc, model::kline_interval::m5, 1), candle(eth, model::kline_interval::m1, 1)};
    EXPECT_EQ(m.on_klines(batch), (kline_counts{1, 4, 1}));
    EXPECT_EQ(m.klines(btc, model::kline_interval::m1)->size(), 2U);
    EXPECT_EQ(m.klines(btc, model::kline_interval::m5)->size(), 1U);
    EXPECT_EQ(m.klines(eth, model::kline_interval::m1)->size(), 1U);
    EXPECT_EQ(m.klines(eth, model::kline_interval::m5), nullptr);
    EXPECT_EQ(m.kline_series_count(), 3U);
}

TEST(MarketStateTest, OnLiquidationsCountsStored) {
    market_state m;
    const std::array batch{liq(btc, 1), liq(btc, 1), liq(eth, 1), liq(btc, 2)};
    EXPECT_EQ(m.on_liquidations(batch), 3U);
    EXPECT_EQ(m.liquidations(btc)->size(), 2U);
    EXPECT_EQ(m.liquidations(btc)->duplicate_count(), 1U);
    EXPECT_EQ(m.liquidations(eth)->size(), 1U);
}

TEST(MarketStateTest, LimitsSizeEveryContainer) {
    market_state m{market_limits{.klines_per_series = 10,
                                 .trades_per_instrument = 5,
                                 .liquidations_per_instrument = 7,
                                 .liquidation_max_age = 1h,
                                 .oi_history_depth = 12,
                                 .oi_bucket_width = 1min}};
    (void)m.on_ticker(ticker(btc, model::update_kind::snapshot, 1));
    const std::array trades{trade(btc, "a", 1)};
    (void)m.on_trades(trades);
    const std::array klines{candle(btc, model::kline_interval::m1, 1)};
    (void)m.on_klines(klines);
    const std::array liqs{liq(btc, 1)};
    (void)m.on_liquidations(liqs);
    EXPECT_EQ(m.klines(btc, model::kline_interval::m1)->capacity(), 10U);
    EXPECT_EQ(m.trades(btc)->capacity(), 5U);
    EXPECT_EQ(m.liquidations(btc)->capacity(), 7U);
    EXPECT_EQ(m.liquidations(btc)->max_age(), std::chrono::nanoseconds{1h});
    EXPECT_EQ(m.ticker(btc)->oi_history().depth(), 12U);
    EXPECT_EQ(m.ticker(btc)->oi_history().bucket_width(), std::chrono::nanoseconds{1min});
}

TEST(MarketStateTest, SteadyStateUpdatesDoNotAllocate) {
    market_state m{market_limits{.klines_per_series = 16,
                                 .trades_per_instrument = 16,
                                 .liquidations_per_instrument = 16,
                                 .liquidation_max_age = 24h}};
    constexpr std::uint16_t depth = 50;
    std::vector<model::level> bids;
    std::vector<model::level> asks;
    for (std::int64_t i = 0; i < depth; ++i) {
        bids.push_back(lvl(10'000 - i, 1 + i));
        asks.push_back(lvl(10'001 + i, 1 + i));
    }
    const book_msg snap{btc, depth, model::update_kind::snapshot, 1, bids, asks};
    ASSERT_EQ(m.on_book(snap.u), apply_status::applied);

    // Per-message scratch lives outside the measured loop, as a decoder's buffers would.
    std::array<model::level, 3> delta_bids{};
    std::array<model::level, 1> delta_asks{};
    model::book_update d = snap.u;
    d.kind = model::update_kind::delta;
    d.bids = delta_bids;
    d.asks = delta_asks;
    std::array<model::trade, 2> trade_batch{trade(btc, "", 0), trade(btc, "", 0)};
    std::array<model::kline, 1> kline_batch{candle(btc, model::kline_interval::m1, 0)};
    std::array<model::liquidation, 1> liq_batch{liq(btc, 0)};
    model::ticker_update tick = ticker(btc, model::update_kind::snapshot, 1);
    tick.fields.set(model::ticker_field::open_interest, model::decimal{5, 0});
    ASSERT_EQ(m.on_ticker(tick), ticker_status::applied);
    tick.kind = model::update_kind::delta;

    auto step = [&](std::int64_t i) {
        // Book: insert a level beyond the depth (trimmed), resize the best bid, delete and
        // re-add the best ask.
        d.update_id = static_cast<std::uint64_t>(i) + 2;
        delta_bids[0] = lvl(10'000 - depth - (i % 7), 3);
        delta_bids[1] = lvl(10'000, 1 + (i % 5));
        delta_bids[2] = lvl(9'990, (i % 2 == 0) ? 0 : 4);
        delta_asks[0] = lvl(10'001, (i % 2 == 0) ? 0 : 2);
        (void)m.on_book(d);
        // Ticker delta with a moving open interest (rolls the OI history buckets).
        tick.cross_seq = static_cast<std::uint64_t>(i) + 2;
        tick.ts_exchange = unix_nanos::from_millis(i * 100'000);
        tick.fields.set(model::ticker_field::open_interest, model::decimal{5 + i % 3, 0});
        (void)m.on_ticker(tick);
        // Two trades with fresh ids, one re-sent id.
        for (std::size_t k = 0; k < trade_batch.size(); ++k) {
            std::array<char, 24> buf{};
            const auto r = std::to_chars(buf.data(), buf.data() + buf.size(),
                                         i * 2 + static_cast<std::int64_t>(k));
            (void)trade_batch[k].id.assign(std::string_view(buf.data(), r.ptr));
        }
        (void)m.on_trades(trade_batch);
        (void)m.on_trades(std::span{trade_batch}.first(1));
        // Candle: update in place, then open the next one.
        kline_batch[0] = candle(btc, model::kline_interval::m1, i / 2);
        (void)m.on_klines(kline_batch);
        liq_batch[0] = liq(btc, i);
        (void)m.on_liquidations(liq_batch);
    };
    for (std::int64_t i = 0; i < 100; ++i) { // warm up: fill every ring so eviction runs too
        step(i);
    }
    ASSERT_EQ(m.book(btc, depth)->book.state(), book_state::live);

    const std::size_t before = allocation_count.load(std::memory_order_relaxed);
    for (std::int64_t i = 100; i < 20'000; ++i) {
        step(i);
    }
    const std::size_t allocations = allocation_count.load(std::memory_order_relaxed) - before;

    EXPECT_EQ(allocations, 0U);
    // The counter must see allocations, or the check above proves nothing: a new book does.
    ASSERT_EQ(snapshot(m, eth, depth, 1), apply_status::applied);
    EXPECT_GT(allocation_count.load(std::memory_order_relaxed), before + allocations);

    const book_entry& e = *m.book(btc, depth);
    EXPECT_EQ(e.book.state(), book_state::live);
    EXPECT_EQ(e.gaps + e.crossed + e.invalid + e.ignored, 0U);
    EXPECT_TRUE(e.book.check_invariants());
    EXPECT_EQ(m.trades(btc)->size(), 16U);
    EXPECT_EQ(m.trades(btc)->duplicate_count(), 20'000U);
    EXPECT_EQ(m.klines(btc, model::kline_interval::m1)->size(), 16U);
    EXPECT_EQ(m.liquidations(btc)->size(), 16U);
    EXPECT_EQ(m.ticker(btc)->oi_history().size(), 288U);
}

// A REST book is kept beside a book that is not live, never applied to it, cut to the book's
// depth, and dropped as soon as the stream's book is live again.
TEST(MarketStateTest, RestBookIsKeptBesideANonLiveBookAndDroppedWhenTheStreamIsLive) {
    market_state m;
    const book_msg rest{btc,
                        2,
                        model::update_kind::snapshot,
                        900,
                        {lvl(110, 1), lvl(109, 1), lvl(108, 1)},
                        {lvl(111, 1)},
                        5000};
    EXPECT_FALSE(m.on_rest_book(rest.u)); // no such book yet
    ASSERT_EQ(snapshot(m, btc, 2, 1), apply_status::applied);
    EXPECT_FALSE(m.on_rest_book(rest.u)); // live: the stream is fresh, keep nothing
    EXPECT_FALSE(m.book(btc, 2)->rest.has_value());

    ASSERT_TRUE(m.mark_book_stale(btc, 2, false));
    ASSERT_TRUE(m.on_rest_book(rest.u));
    const auto* e = m.book(btc, 2);
    ASSERT_TRUE(e->rest.has_value());
    EXPECT_EQ(e->rest->update_id, 900U);
    EXPECT_EQ(e->rest->bids.size(), 2U); // cut to the depth
    EXPECT_EQ(e->rest->bids[0].px.raw, 110);
    EXPECT_EQ(e->rest->ts_exchange, unix_nanos::from_millis(5000));
    // The stream's book is untouched: still stale at its own u, with its own levels.
    EXPECT_EQ(e->book.state(), book::book_state::stale);
    EXPECT_EQ(e->book.update_id(), 1U);
    EXPECT_EQ(e->book.bid(0).px.raw, 100);
    EXPECT_EQ(e->rest_books, 1U);

    // The stream continues its sequence: live again, and the REST book is gone.
    ASSERT_EQ(delta(m, btc, 2, 2), apply_status::applied);
    EXPECT_EQ(m.book(btc, 2)->book.state(), book::book_state::live);
    EXPECT_FALSE(m.book(btc, 2)->rest.has_value());
}

TEST(MarketStateTest, RestTickerReplacesTheFieldsKeepsItStaleAndTheStreamTakesOver) {
    market_state m;
    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::snapshot, 7)), ticker_status::applied);
    ASSERT_TRUE(m.mark_ticker_stale(btc));
    auto rest = ticker(btc, model::update_kind::snapshot, 0);
    rest.fields.set(model::ticker_field::last_price, model::decimal{650100, 1});
    ASSERT_EQ(m.on_rest_ticker(rest), ticker_status::applied);
    const auto* t = m.ticker(btc);
    EXPECT_TRUE(t->from_rest());
    EXPECT_TRUE(t->stale()); // REST does not make the stream fresh
    EXPECT_EQ(t->fields().get(model::ticker_field::last_price), (model::decimal{650100, 1}));
    EXPECT_EQ(t->cross_seq(), 7U);
    ASSERT_EQ(m.on_ticker(ticker(btc, model::update_kind::delta, 8)), ticker_status::applied);
    EXPECT_FALSE(m.ticker(btc)->from_rest());
    EXPECT_FALSE(m.ticker(btc)->stale());
}

} // namespace
} // namespace mdg::market
