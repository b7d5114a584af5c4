#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dispatch/consumer_pool.hpp"

namespace mdg::dispatch {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Liveness guard for waits in these tests: generous, never a measured threshold.
constexpr auto patience = 20s;

template <class Pred> bool eventually(Pred p) {
    const auto until = steady::now() + patience;
    while (!p()) {
        if (steady::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Books to publish: a market_state whose book for (id, 50) has best bid `px` after each call.
struct books {
    market::market_state state;
    std::vector<model::level> bids{1};
    std::vector<model::level> asks{1};
    std::uint64_t u = 0;

    const market::book_entry& snapshot(model::instrument_id id, std::int64_t px) {
        bids[0] = {model::price{px}, model::qty{1}};
        asks[0] = {model::price{px + 10}, model::qty{1}};
        model::book_update up;
        up.instrument = id;
        up.depth = 50;
        up.kind = model::update_kind::snapshot;
        up.update_id = ++u;
        up.bids = bids;
        up.asks = asks;
        (void)state.on_book(up);
        return *state.book(id, 50);
    }
};

model::trade make_trade(model::instrument_id id, std::uint64_t seq) {
    model::trade t;
    t.instrument = id;
    t.seq = seq;
    t.px = model::price{100};
    t.sz = model::qty{1};
    return t;
}

// A consumer whose callbacks wait until released (or until their stop_token fires).
class gated : public consumer {
  public:
    void on_book(const book_view& b, std::stop_token stop) override {
        wait(stop);
        std::lock_guard lk(mu_);
        book_bids.push_back(b.bids.empty() ? 0 : b.bids[0].px.raw);
    }
    void on_trade(const model::trade& t, std::stop_token stop) override {
        wait(stop);
        std::lock_guard lk(mu_);
        trades.push_back(t.seq);
    }
    void release() {
        {
            std::lock_guard lk(mu_);
            open_ = true;
        }
        cv_.notify_all();
    }
    std::size_t entered() const { return entered_.load(); }
    bool saw_stop() const { return saw_stop_.load(); }
    std::vector<std::int64_t> book_bids;
    std::vector<std::uint64_t> trades;
    std::mutex mu_;

  private:
    void wait(std::stop_token& stop) {
        entered_.fetch_add(1);
        std::unique_lock lk(mu_);
        // Wakes on release() or when the pool stops the token.
        (void)cv_.wait_for(lk, stop, patience, [&] { return open_; });
        if (stop.stop_requested()) {
            saw_stop_.store(true);
        }
    }
    std::condition_variable_any cv_;
    bool open_ = false;
    std::atomic<std::size_t> entered_{0};
    std::atomic<bool> saw_stop_{false};
};

// Counts what it receives, never blocks.
class counting : public consumer {
  public:
    void on_book(const book_view&, std::stop_token) override { books.fetch_add(1); }
    void on_trade(const model::trade& t, std::stop_token) override {
        std::lock_guard lk(mu);
        trades.push_back(t.seq);
    }
    std::atomic<std::size_t> books{0};
    std::mutex mu;
    std::vector<std::uint64_t> trades;
};

class ConsumerPool : public ::testing::Test {
  protected:
    ConsumerPool() {
        btc = registry.intern(model::venue::bybit, model::category::linear, "BTCUSDT");
    }
    model::instrument_registry registry;
    model::instrument_id btc;
};

TEST_F(ConsumerPool, BlockedConsumerConflatesBooksToTheLatestState) {
    consumer_pool pool({.threads = 2}, registry);
    auto slow = std::make_shared<gated>();
    const auto i = pool.add(slow, {.name = "slow", .budget = 60s});
    pool.start();
    books b;
    pool.publish_book(btc, 50, b.snapshot(btc, 1000), steady::now());
    ASSERT_TRUE(eventually([&] { return slow->entered() == 1; }));
    // While the first call is blocked, 100 more states arrive: they conflate into one.
    for (int k = 1; k <= 100; ++k) {
        pool.publish_book(btc, 50, b.snapshot(btc, 1000 + k), steady::now());
    }
    EXPECT_EQ(pool.stats(i).conflated.load(), 99U);
    slow->release();
    ASSERT_TRUE(eventually([&] { return pool.stats(i).delivered.load() == 2; }));
    std::lock_guard lk(slow->mu_);
    ASSERT_EQ(slow->book_bids.size(), 2U);
    EXPECT_EQ(slow->book_bids[0], 1000);
    EXPECT_EQ(slow->book_bids[1], 1100); // the latest state, not a stale one
}

// Regression: the ring of pending conflated topics was sized by what was queued when a topic
// first appeared. Topics that first appeared one at a time (each delivered before the next)
// left it with room for one, so when several were pending at once they overwrote each other;
// an overwritten topic stayed "pending" and was never delivered again (found through the data
// API, whose books froze).
TEST_F(ConsumerPool, EveryConflatedTopicPendingAtOnceIsDeliveredAgainAndAgain) {
    // Remembers the last best bid per instrument; blocks while paused.
    class pausable : public consumer {
      public:
        void on_book(const book_view& b, std::stop_token stop) override {
            std::unique_lock lk(mu);
            last[b.instrument.value] = b.bids.empty() ? 0 : b.bids[0].px.raw;
            ++entered;
            (void)cv.wait_for(lk, stop, patience, [&] { return !paused; });
        }
        void set_paused(bool p) {
            {
                std::lock_guard lk(mu);
                paused = p;
            }
            cv.notify_all();
        }
        std::int64_t bid(model::instrument_id id) {
            std::lock_guard lk(mu);
            return last[id.value];
        }
        std::mutex mu;
        std::condition_variable_any cv;
        bool paused = false;
        std::size_t entered = 0;
        std::map<std::uint32_t, std::int64_t> last;
    };
    std::vector<model::instrument_id> ids;
    for (const char* s : {"A", "B", "C", "D", "E", "F"}) {
        ids.push_back(registry.intern(model::venue::bybit, model::category::linear, s));
    }
    consumer_pool pool({.threads = 1}, registry);
    auto c = std::make_shared<pausable>();
    (void)pool.add(c, {.name = "c", .budget = 60s});
    pool.start();
    books b;
    // Each topic appears while nothing else is pending.
    for (std::size_t k = 0; k < ids.size(); ++k) {
        pool.publish_book(ids[k], 50, b.snapshot(ids[k], 1), steady::now());
        ASSERT_TRUE(eventually([&] { return c->bid(ids[k]) == 1; }));
    }
    for (std::int64_t round = 2; round <= 4; ++round) {
        // The consumer is busy with one topic while every topic gets a new state: all of them
        // are pending together.
        c->set_paused(true);
        const auto entered = [&] {
            std::lock_guard lk(c->mu);
            return c->entered;
        };
        const auto before = entered();
        pool.publish_book(ids[0], 50, b.snapshot(ids[0], round * 10), steady::now());
        ASSERT_TRUE(eventually([&] { return entered() == before + 1; }));
        for (std::size_t k = 0; k < ids.size(); ++k) {
            pool.publish_book(ids[k], 50, b.snapshot(ids[k], round), steady::now());
        }
        c->set_paused(false);
        for (std::size_t k = 0; k < ids.size(); ++k) {
            ASSERT_TRUE(eventually([&] { return c->bid(ids[k]) == round; }))
                << "round " << round << ": topic " << k << " was never delivered again";
        }
    }
}

TEST_F(ConsumerPool, FullFifoDropsTheOldestAndKeepsOrder) {
    consumer_pool pool({.threads = 1}, registry);
    auto slow = std::make_shared<gated>();
    const auto i = pool.add(slow, {.name = "slow", .queue_capacity = 8, .budget = 60s});
    pool.start();
    pool.publish_trade(make_trade(btc, 0));
    ASSERT_TRUE(eventually([&] { return slow->entered() == 1; }));
    for (std::uint64_t s = 1; s <= 20; ++s) {
        pool.publish_trade(make_trade(btc, s));
    }
    EXPECT_EQ(pool.stats(i).dropped_oldest.load(), 12U);
    EXPECT_EQ(pool.stats(i).depth.load(), 8U);
    slow->release();
    ASSERT_TRUE(eventually([&] { return pool.stats(i).delivered.load() == 9; }));
    std::lock_guard lk(slow->mu_);
    const std::vector<std::uint64_t> want{0, 13, 14, 15, 16, 17, 18, 19, 20};
    EXPECT_EQ(slow->trades, want);
    EXPECT_EQ(pool.stats(i).depth.load(), 0U);
}

TEST_F(ConsumerPool, OverrunIsCountedStopsTheTokenAndOthersKeepGoing) {
    consumer_pool pool({.threads = 1}, registry);
    auto slow = std::make_shared<gated>();
    auto fast = std::make_shared<counting>();
    const auto si = pool.add(slow, {.name = "slow", .budget = 50ms});
    const auto fi = pool.add(fast, {.name = "fast"});
    pool.start();
    pool.publish_trade(make_trade(btc, 1));
    // The slow call holds the only configured thread; the watchdog stops its token, counts
    // the overrun and starts a replacement thread for the others.
    ASSERT_TRUE(eventually([&] { return pool.stats(si).timeouts.load() == 1; }));
    for (std::uint64_t s = 2; s <= 50; ++s) {
        pool.publish_trade(make_trade(btc, s));
    }
    ASSERT_TRUE(eventually([&] { return pool.stats(fi).delivered.load() == 50; }));
    EXPECT_TRUE(eventually([&] { return slow->saw_stop(); }));
    std::lock_guard lk(fast->mu);
    ASSERT_EQ(fast->trades.size(), 50U);
    for (std::uint64_t s = 1; s <= 50; ++s) {
        EXPECT_EQ(fast->trades[s - 1], s);
    }
}

TEST_F(ConsumerPool, AFreeThreadServesOthersWhileOneCallIsBlockedWithinItsBudget) {
    // Idle workers spin before they sleep and a publish wakes a sleeper only when the spinners
    // cannot take all queued work: whatever the interleaving, the second thread must serve the
    // fast consumer while the first is blocked (no watchdog help: the budget is long). Several
    // rounds, with and without spinning, to meet different interleavings.
    for (const auto spin : {std::chrono::nanoseconds{0}, std::chrono::nanoseconds{50us},
                            std::chrono::nanoseconds{5ms}}) {
        for (int round = 0; round < 10; ++round) {
            consumer_pool pool({.threads = 2, .spin = spin}, registry);
            auto slow = std::make_shared<gated>();
            auto fast = std::make_shared<counting>();
            const auto si = pool.add(slow, {.name = "slow", .budget = 60s});
            const auto fi = pool.add(fast, {.name = "fast"});
            pool.start();
            pool.publish_trade(make_trade(btc, 1));
            ASSERT_TRUE(eventually([&] { return slow->entered() == 1; }));
            for (std::uint64_t s = 2; s <= 20; ++s) {
                pool.publish_trade(make_trade(btc, s));
            }
            ASSERT_TRUE(eventually([&] { return pool.stats(fi).delivered.load() == 20; }))
                << "spin " << spin.count() << " ns, round " << round;
            EXPECT_EQ(pool.stats(si).timeouts.load(), 0U);
            EXPECT_EQ(pool.threads_alive(), 2U); // no replacement was needed
            slow->release();
            ASSERT_TRUE(eventually([&] { return pool.stats(si).delivered.load() == 20; }));
            EXPECT_TRUE(pool.stop(std::chrono::milliseconds{patience}));
        }
    }
}

TEST_F(ConsumerPool, ThrowingCallbackIsCountedAndTheConsumerContinues) {
    struct thrower : consumer {
        void on_trade(const model::trade& t, std::stop_token) override {
            if (t.seq == 1) {
                throw std::runtime_error("boom");
            }
            ok.fetch_add(1);
        }
        std::atomic<int> ok{0};
    };
    consumer_pool pool({.threads = 2}, registry);
    auto c = std::make_shared<thrower>();
    const auto i = pool.add(c, {.name = "thrower"});
    pool.start();
    pool.publish_trade(make_trade(btc, 1));
    pool.publish_trade(make_trade(btc, 2));
    ASSERT_TRUE(eventually([&] { return pool.stats(i).delivered.load() == 2; }));
    EXPECT_EQ(pool.stats(i).exceptions.load(), 1U);
    EXPECT_EQ(c->ok.load(), 1);
}

TEST_F(ConsumerPool, ChannelMaskFiltersAndStopDrains) {
    consumer_pool pool({.threads = 2}, registry);
    auto trades_only = std::make_shared<counting>();
    const auto i =
        pool.add(trades_only,
                 {.name = "trades", .channels = static_cast<std::uint8_t>(channel_bit::trades)});
    pool.start();
    books b;
    pool.publish_book(btc, 50, b.snapshot(btc, 1), steady::now());
    for (std::uint64_t s = 1; s <= 100; ++s) {
        pool.publish_trade(make_trade(btc, s));
    }
    EXPECT_TRUE(pool.stop(std::chrono::milliseconds{patience}));
    EXPECT_EQ(trades_only->books.load(), 0U);
    EXPECT_EQ(pool.stats(i).delivered.load(), 100U);
    // After stop nothing is accepted.
    pool.publish_trade(make_trade(btc, 101));
    EXPECT_EQ(pool.stats(i).depth.load(), 0U);
}

TEST_F(ConsumerPool, StopLeavesACallbackThatIgnoresItsTokenBehind) {
    struct stubborn : consumer {
        void on_trade(const model::trade&, std::stop_token) override {
            entered.store(true);
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return go; });
        }
        std::atomic<bool> entered{false};
        std::mutex mu;
        std::condition_variable cv;
        bool go = false;
    };
    auto c = std::make_shared<stubborn>();
    {
        consumer_pool pool({.threads = 1}, registry);
        pool.add(c, {.name = "stubborn", .budget = 60s});
        pool.start();
        pool.publish_trade(make_trade(btc, 1));
        ASSERT_TRUE(eventually([&] { return c->entered.load(); }));
        EXPECT_FALSE(pool.stop(10ms)); // returns although the callback never does
    }
    {
        std::lock_guard lk(c->mu);
        c->go = true;
    }
    c->cv.notify_all(); // the detached thread finishes and releases the pool's core
}

// History from REST reaches the consumers of its channel (candles: klines; open interest:
// tickers) as one shared copy, in order with the instrument's live candles; other consumers
// never see it.
TEST_F(ConsumerPool, HistoryGoesToItsChannelAsOneSharedCopyInOrderWithLiveCandles) {
    struct recorder : consumer {
        void on_kline(const model::kline& k, std::stop_token) override {
            std::lock_guard lk(mu);
            seen.push_back("live " + std::to_string(k.start.value));
        }
        void on_kline_history(std::span<const model::kline> h, std::stop_token) override {
            std::lock_guard lk(mu);
            seen.push_back("history " + std::to_string(h.size()));
            history_data = h.data();
        }
        void on_open_interest_history(model::instrument_id id,
                                      std::span<const model::open_interest_point> h,
                                      std::stop_token) override {
            std::lock_guard lk(mu);
            seen.push_back("oi " + std::to_string(id.value) + " " + std::to_string(h.size()));
        }
        std::mutex mu;
        std::vector<std::string> seen;
        const model::kline* history_data = nullptr;
    };
    consumer_pool pool({.threads = 2}, registry);
    auto a = std::make_shared<recorder>();
    auto b = std::make_shared<recorder>();
    auto tickers = std::make_shared<recorder>();
    auto trades = std::make_shared<recorder>();
    const auto mask = [](channel_bit c) {
        return static_cast<std::uint8_t>(c);
    };
    pool.add(a, {.name = "a", .channels = mask(channel_bit::klines)});
    pool.add(b, {.name = "b", .channels = mask(channel_bit::klines)});
    pool.add(tickers, {.name = "tickers", .channels = mask(channel_bit::tickers)});
    const auto t = pool.add(trades, {.name = "trades", .channels = mask(channel_bit::trades)});
    pool.start();

    model::kline live;
    live.instrument = btc;
    live.start = unix_nanos{7};
    std::vector<model::kline> history(3, live);
    const std::vector<model::open_interest_point> oi(2);
    pool.publish_kline(live);
    pool.publish_kline_history(history);
    pool.publish_kline_history({}); // nothing to deliver
    pool.publish_open_interest_history(btc, oi);
    pool.publish_kline(live);
    ASSERT_TRUE(pool.stop(std::chrono::milliseconds{patience}));

    const std::vector<std::string> klines{"live 7", "history 3", "live 7"};
    EXPECT_EQ(a->seen, klines);
    EXPECT_EQ(b->seen, klines);
    EXPECT_EQ(tickers->seen, std::vector<std::string>{"oi " + std::to_string(btc.value) + " 2"});
    EXPECT_TRUE(trades->seen.empty());
    EXPECT_EQ(pool.stats(t).delivered.load(), 0U);
    ASSERT_NE(a->history_data, nullptr);
    EXPECT_EQ(a->history_data, b->history_data); // one copy for both
    EXPECT_NE(a->history_data, history.data());  // the publisher's buffer is not kept
}

} // namespace
} // namespace mdg::dispatch
