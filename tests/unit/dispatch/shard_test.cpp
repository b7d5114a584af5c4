#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "dispatch/shard.hpp"

namespace mdg::dispatch {
namespace {

using namespace std::chrono_literals;
using book::book_state;

class Shard : public ::testing::Test {
  protected:
    Shard() { btc = registry.intern(model::venue::bybit, model::category::linear, "BTCUSDT"); }

    // Pushes a book update with one level per side (bid px, ask px + spread).
    void push_book(shard& s, model::update_kind kind, std::uint64_t u, std::int64_t px,
                   std::uint32_t source = 7, std::int64_t spread = 10) {
        shard_item* it = nullptr;
        while ((it = s.claim(2 * payload_size<model::level>(1))) == nullptr) {
            std::this_thread::yield();
        }
        it->kind = item_kind::book;
        it->source = source;
        it->book = {};
        it->book.instrument = btc;
        it->book.depth = 50;
        it->book.kind = kind;
        it->book.update_id = u;
        const model::level bid{model::price{px}, model::qty{1}};
        const model::level ask{model::price{px + spread}, model::qty{1}};
        std::size_t at = 0;
        it->book.bids = put_payload(*it, at, std::span{&bid, 1});
        it->book.asks = put_payload(*it, at, std::span{&ask, 1});
        s.commit();
    }

    void push_stale(shard& s, stale_channel ch, bool continuity_lost) {
        shard_item* it = nullptr;
        while ((it = s.claim()) == nullptr) {
            std::this_thread::yield();
        }
        it->kind = item_kind::stale;
        it->stale = stale_mark{
            .channel = ch, .instrument = btc, .depth = 50, .continuity_lost = continuity_lost};
        s.commit();
    }

    void push_unusable(shard& s, model::update_kind kind, std::uint32_t source = 7) {
        shard_item* it = nullptr;
        while ((it = s.claim()) == nullptr) {
            std::this_thread::yield();
        }
        it->kind = item_kind::unusable;
        it->source = source;
        it->unusable = unusable_mark{
            .instrument = btc, .depth = 50, .kind = kind, .reason = errc::precision_exceeded};
        s.commit();
    }

    // Options whose resync callback (called on the shard thread) records (source, id, depth).
    shard::options recording_resyncs() {
        shard::options o;
        o.resync = [this](std::uint32_t src, model::instrument_id id, std::uint16_t depth) {
            std::lock_guard lk(resync_mu_);
            resyncs_.emplace_back(src, id.value, depth);
        };
        return o;
    }
    std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint16_t>> resyncs() {
        std::lock_guard lk(resync_mu_);
        return resyncs_;
    }

    static std::uint32_t books_in(const shard& s, book_state st) {
        return s.stats().books[static_cast<std::size_t>(st)].load();
    }

    book_state state_of(shard& s) {
        book_state st{};
        EXPECT_TRUE(
            s.query([&](const market::market_state& m) { st = m.book(btc, 50)->book.state(); }));
        return st;
    }

    model::instrument_registry registry;
    model::instrument_id btc;
    std::mutex resync_mu_;
    std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint16_t>> resyncs_;
};

TEST_F(Shard, AppliesInOrderAndPublishesBookStatus) {
    shard s({.index = 0, .queue_capacity = 16}, nullptr);
    s.expect_book(btc, 50);
    EXPECT_EQ(s.stats().books[static_cast<std::size_t>(book_state::syncing)].load(), 1U);
    s.start();
    push_book(s, model::update_kind::snapshot, 1, 100);
    for (std::uint64_t u = 2; u <= 500; ++u) { // far more than the queue holds: it cycles
        // Levels below the best bid and above the best ask: the book never crosses.
        push_book(s, model::update_kind::delta, u, 90 - static_cast<std::int64_t>(u % 40), 7, 100);
    }
    EXPECT_EQ(state_of(s), book_state::live);
    std::int64_t best = 0;
    ASSERT_TRUE(s.query(
        [&](const market::market_state& m) { best = m.book(btc, 50)->book.best_bid()->px.raw; }));
    EXPECT_EQ(best, 100);
    EXPECT_EQ(s.stats().items.load(), 500U);
    EXPECT_EQ(s.stats().books[static_cast<std::size_t>(book_state::live)].load(), 1U);
    EXPECT_EQ(s.stats().books[static_cast<std::size_t>(book_state::syncing)].load(), 0U);
    ASSERT_EQ(s.books().size(), 1U);
    EXPECT_EQ(s.books()[0]->update_id.load(), 500U);
    s.stop();
    EXPECT_FALSE(s.query([](const market::market_state&) {}));
}

TEST_F(Shard, GapRequestsAResyncOfThatBookFromItsSource) {
    shard s(recording_resyncs(), nullptr);
    s.expect_book(btc, 50);
    s.start();
    push_book(s, model::update_kind::snapshot, 10, 100, 3);
    push_book(s, model::update_kind::delta, 12, 101, 3); // 11 is missing
    push_book(s, model::update_kind::delta, 13, 102, 3); // ignored until a snapshot
    EXPECT_EQ(state_of(s), book_state::resyncing);
    EXPECT_EQ(resyncs(), (std::vector{std::make_tuple(3U, btc.value, std::uint16_t{50})}));
    EXPECT_EQ(s.stats().gaps.load(), 1U);
    EXPECT_EQ(s.stats().books[static_cast<std::size_t>(book_state::resyncing)].load(), 1U);
    push_book(s, model::update_kind::snapshot, 20, 200, 3);
    EXPECT_EQ(state_of(s), book_state::live);
}

TEST_F(Shard, AnUnusableBookMessageMakesTheBookResyncLikeAGap) {
    shard s(recording_resyncs(), nullptr);
    s.expect_book(btc, 50);
    s.start();
    // The first snapshot could not be decoded: without a resync the book would sync forever.
    push_unusable(s, model::update_kind::snapshot, 3);
    EXPECT_EQ(state_of(s), book_state::resyncing);
    EXPECT_EQ(books_in(s, book_state::resyncing), 1U);
    push_book(s, model::update_kind::snapshot, 10, 100, 3);
    EXPECT_EQ(state_of(s), book_state::live);
    // A delta of the live book could not be decoded: never live without it.
    push_unusable(s, model::update_kind::delta, 3);
    push_book(s, model::update_kind::delta, 12, 101, 3); // ignored, not a gap
    push_unusable(s, model::update_kind::delta, 3);      // waits for the snapshot anyway
    EXPECT_EQ(state_of(s), book_state::resyncing);
    EXPECT_EQ(books_in(s, book_state::resyncing), 1U);
    EXPECT_EQ(resyncs(), (std::vector(2, std::make_tuple(3U, btc.value, std::uint16_t{50}))));
    EXPECT_EQ(s.stats().unusable.load(), 2U);
    EXPECT_EQ(s.stats().resyncs.load(), 2U);
    EXPECT_EQ(s.stats().gaps.load(), 0U);
    push_book(s, model::update_kind::snapshot, 20, 200, 3);
    EXPECT_EQ(state_of(s), book_state::live);
}

// The payload arena is part of the queue: a payload that does not fit is refused and counted
// like a full queue; one larger than a quarter of the arena gets a block of its own.
TEST_F(Shard, AFullPayloadArenaRefusesAndCountsAndHugePayloadsGetTheirOwnBlock) {
    shard s({.queue_capacity = 64, .queue_bytes = 64 * 1024}, nullptr);
    EXPECT_EQ(s.queue_bytes(), 64U * 1024U);
    // Not started: nothing is released. 15 items of 4 KiB fill 60 of the 64 KiB.
    for (int i = 0; i < 15; ++i) {
        auto* it = s.claim(4096);
        ASSERT_NE(it, nullptr) << i;
        it->kind = item_kind::stale;
        it->stale = {.channel = stale_channel::ticker, .instrument = btc};
        s.commit();
    }
    EXPECT_EQ(s.claim(8192), nullptr) << "the arena is full";
    EXPECT_EQ(s.stats().dropped_full.load(), 1U);
    auto* big = s.claim(20 * 1024); // beyond a quarter: not from the arena
    ASSERT_NE(big, nullptr);
    EXPECT_NE(big->spill, nullptr);
    big->kind = item_kind::stale;
    big->stale = {.channel = stale_channel::ticker, .instrument = btc};
    s.commit();
    EXPECT_NE(s.claim(4096), nullptr) << "4 KiB left in the arena";
    s.start();
    (void)s.query([](const market::market_state&) {});
    EXPECT_EQ(s.stats().items.load(), 16U);
    EXPECT_NE(s.claim(32 * 1024), nullptr) << "released once applied";
    s.stop();
}

TEST_F(Shard, LostFeedMakesItsBooksStaleUntilASnapshotAndFullQueueIsCounted) {
    shard s({.queue_capacity = 2}, nullptr);
    s.expect_book(btc, 50);
    // Not started: the queue fills and further claims are refused and counted.
    push_book(s, model::update_kind::snapshot, 1, 100);
    push_stale(s, stale_channel::book, true);
    EXPECT_EQ(s.claim(), nullptr);
    EXPECT_EQ(s.stats().dropped_full.load(), 1U);
    s.start();
    EXPECT_EQ(state_of(s), book_state::stale);
    EXPECT_EQ(books_in(s, book_state::stale), 1U);
    EXPECT_EQ(books_in(s, book_state::live), 0U);
    EXPECT_EQ(s.stats().stale_marks.load(), 1U);
    // Continuity is lost: even the next u waits for a snapshot.
    push_book(s, model::update_kind::delta, 2, 100);
    EXPECT_EQ(state_of(s), book_state::stale);
    push_book(s, model::update_kind::snapshot, 30, 100);
    EXPECT_EQ(state_of(s), book_state::live);
    EXPECT_EQ(books_in(s, book_state::stale), 0U);
    EXPECT_EQ(books_in(s, book_state::live), 1U);
}

TEST_F(Shard, SilentBookIsStaleUntilTheDeltaThatContinuesItsSequence) {
    shard s({.queue_capacity = 16}, nullptr);
    s.expect_book(btc, 50);
    s.start();
    push_book(s, model::update_kind::snapshot, 1, 100);
    push_stale(s, stale_channel::book, false);
    EXPECT_EQ(state_of(s), book_state::stale);
    EXPECT_EQ(books_in(s, book_state::stale), 1U);
    push_stale(s, stale_channel::book, false); // already stale: not counted again
    EXPECT_EQ(s.stats().stale_marks.load(), 1U);
    push_book(s, model::update_kind::delta, 2, 100);
    EXPECT_EQ(state_of(s), book_state::live);
    EXPECT_EQ(books_in(s, book_state::stale), 0U);
    EXPECT_EQ(s.stats().gaps.load(), 0U);
}

TEST_F(Shard, StaleTickerAndTradesReachConsumersInOrder) {
    struct recorder : consumer {
        void on_ticker(const ticker_view& t, std::stop_token) override {
            std::lock_guard lk(mu);
            events.push_back(t.stale ? "ticker stale" : "ticker live");
        }
        void on_trade(const model::trade& t, std::stop_token) override {
            std::lock_guard lk(mu);
            events.push_back("trade " + std::string(t.id.view()));
        }
        void on_trades_stale(model::instrument_id, std::stop_token) override {
            std::lock_guard lk(mu);
            events.push_back("trades stale");
        }
        // Waits until `n` events arrived, so that no ticker state conflates with the next.
        void wait_for(std::size_t n) {
            for (int i = 0; i < 10'000; ++i) {
                {
                    std::lock_guard lk(mu);
                    if (events.size() >= n) {
                        return;
                    }
                }
                std::this_thread::sleep_for(1ms);
            }
        }
        std::mutex mu;
        std::vector<std::string> events;
    };
    consumer_pool pool({.threads = 1}, registry);
    auto rec = std::make_shared<recorder>();
    pool.add(rec, {.name = "rec"});
    pool.start();
    shard s({.queue_capacity = 16}, &pool);
    s.start();
    auto push = [&](item_kind k, std::string_view trade_id) {
        shard_item* it = nullptr;
        while ((it = s.claim(payload_size<model::ticker_update>(1) +
                             payload_size<model::trade>(1))) == nullptr) {
            std::this_thread::yield();
        }
        it->kind = k;
        model::ticker_update tk;
        tk.instrument = btc;
        tk.kind = model::update_kind::snapshot;
        model::trade t;
        t.instrument = btc;
        (void)t.id.assign(trade_id);
        std::size_t at = 0;
        it->ticker = put_payload(*it, at, std::span{&tk, 1}).data();
        it->trades = put_payload(*it, at, std::span{&t, 1});
        s.commit();
    };
    push(item_kind::ticker, "");
    rec->wait_for(1);
    push(item_kind::trades, "1");
    rec->wait_for(2);
    push_stale(s, stale_channel::ticker, true);
    rec->wait_for(3);
    push_stale(s, stale_channel::trades, true);
    push_stale(s, stale_channel::trades, true); // already stale: nothing published
    push(item_kind::trades, "2");
    rec->wait_for(5);
    push(item_kind::ticker, "");
    rec->wait_for(6);
    s.stop();
    ASSERT_TRUE(pool.stop(5s));
    const std::vector<std::string> expected{"ticker live",  "trade 1", "ticker stale",
                                            "trades stale", "trade 2", "ticker live"};
    EXPECT_EQ(rec->events, expected);
    EXPECT_EQ(s.stats().stale_marks.load(), 2U);
}

TEST_F(Shard, GapsAndResyncsAreLoggedOncePerBookWithFields) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    ASSERT_NE(file, nullptr);
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "shard-test",
        core::make_log_sink({spdlog::level::info, core::log_format::json}, file.get())));
    {
        shard s({.queue_capacity = 16, .registry = &registry}, nullptr);
        s.expect_book(btc, 50);
        s.start();
        push_book(s, model::update_kind::snapshot, 1, 100);
        push_book(s, model::update_kind::delta, 5, 100); // gap: u 5 after u 1
        push_book(s, model::update_kind::snapshot, 10, 100);
        push_book(s, model::update_kind::delta, 20, 100); // a second gap within the minute
        push_book(s, model::update_kind::snapshot, 30, 100);
        EXPECT_EQ(state_of(s), book_state::live);
        EXPECT_EQ(s.stats().gaps.load(), 2U); // both counted
    }
    spdlog::set_default_logger(previous);
    std::rewind(file.get());
    std::vector<std::string> lines;
    std::array<char, 1024> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), file.get()) != nullptr) {
        lines.emplace_back(buf.data());
    }
    // One line per book and event: the second gap and resync wait for the next minute.
    ASSERT_EQ(lines.size(), 2U) << lines.size();
    EXPECT_NE(lines[0].find(R"("msg":"Book gap on orderbook.50.BTCUSDT: u 5 after u 1; )"
                            R"(resubscribing","event":"book_gap","symbol":"BTCUSDT",)"
                            R"("topic":"orderbook.50.BTCUSDT","reason":"u 5 after u 1; )"
                            R"(resubscribing"})"),
              std::string::npos)
        << lines[0];
    EXPECT_NE(lines[1].find(R"("event":"book_resynced","symbol":"BTCUSDT")"), std::string::npos)
        << lines[1];
}

TEST_F(Shard, FeedsTheConsumerPool) {
    struct last_book : consumer {
        void on_book(const book_view& b, std::stop_token) override {
            std::lock_guard lk(mu);
            states.push_back(b.state);
            if (!b.bids.empty()) {
                bid = b.bids[0].px.raw;
            }
        }
        std::mutex mu;
        std::vector<book_state> states;
        std::int64_t bid = 0;
    };
    consumer_pool pool({.threads = 1}, registry);
    auto c = std::make_shared<last_book>();
    const auto ci = pool.add(c, {.name = "books"});
    pool.start();
    shard s({}, &pool);
    s.start();
    push_book(s, model::update_kind::snapshot, 1, 100);
    push_book(s, model::update_kind::delta, 2, 105);
    EXPECT_EQ(state_of(s), book_state::live);
    EXPECT_TRUE(pool.stop(20s));
    std::lock_guard lk(c->mu);
    ASSERT_FALSE(c->states.empty());
    EXPECT_EQ(c->states.back(), book_state::live);
    EXPECT_EQ(c->bid, 105);
    EXPECT_EQ(pool.stats(ci).delivered.load() + pool.stats(ci).conflated.load(), 2U);
}

// History items merge into the shard's state (candles by start, open interest by bucket) and
// a refused history item is not counted as a drop: its producer offers it again.
TEST_F(Shard, HistoryMergesIntoTheStateAndARefusalToRetryIsNoDrop) {
    shard::options o;
    o.queue_capacity = 2;
    shard s(std::move(o), nullptr);
    // Not started: the queue fills. Two items fit, the third is refused without a drop.
    model::kline k;
    k.instrument = btc;
    k.interval = model::kline_interval::m1;
    k.confirm = true;
    std::vector<model::kline> history;
    for (std::int64_t m = 0; m < 3; ++m) {
        k.start = unix_nanos{m * 60'000'000'000};
        history.push_back(k);
    }
    const std::vector<model::open_interest_point> oi{
        {unix_nanos{300'000'000'000}, model::decimal::parse("12.5").value()}};
    auto* it = s.claim(payload_size<model::kline>(history.size()), shard::if_full::retry);
    ASSERT_NE(it, nullptr);
    std::size_t at = 0;
    it->kind = item_kind::kline_history;
    it->klines = put_payload(*it, at, history);
    s.commit();
    it = s.claim(payload_size<model::open_interest_point>(1), shard::if_full::retry);
    ASSERT_NE(it, nullptr);
    at = 0;
    it->kind = item_kind::open_interest_history;
    it->instrument = btc;
    it->open_interest = put_payload(*it, at, oi);
    s.commit();
    EXPECT_EQ(s.claim(0, shard::if_full::retry), nullptr);
    EXPECT_EQ(s.stats().dropped_full.load(), 0U);
    EXPECT_EQ(s.claim(0), nullptr); // a frame the I/O thread would lose: counted
    EXPECT_EQ(s.stats().dropped_full.load(), 1U);

    s.start();
    std::size_t candles = 0;
    std::size_t buckets = 0;
    ASSERT_TRUE(s.query([&](const market::market_state& m) {
        const auto* series = m.klines(btc, model::kline_interval::m1);
        candles = series != nullptr ? series->size() : 0;
        const auto* t = m.ticker(btc);
        buckets = t != nullptr ? t->oi_history().size() : 0;
    }));
    EXPECT_EQ(candles, 3U);
    EXPECT_EQ(buckets, 1U);
}

} // namespace
} // namespace mdg::dispatch
