#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/catalog.hpp"
#include "api/market_cache.hpp"

namespace mdg::api {
namespace {

using namespace std::chrono_literals;
using model::instrument_id;
using model::ticker_field;

constexpr instrument_id btc{0};
constexpr instrument_id eth{2};
constexpr instrument_id not_in_catalog{1}; // between the two: a hole in the id space
constexpr instrument_id far_away{100};

/// BTCUSDT (linear): books of depth 1, 50 and 200, candles of 1 and 60 minutes.
/// ETHUSDT (spot): a book of depth 50, 5-minute candles.
catalog make_catalog() {
    catalog c;
    auto& b = c.add(btc, model::venue::bybit, model::category::linear, "BTCUSDT", {1, 3});
    b.book_depths = {1, 50, 200};
    b.kline_intervals = {model::kline_interval::m1, model::kline_interval::h1};
    b.tickers = b.trades = b.liquidations = true;
    auto& e = c.add(eth, model::venue::bybit, model::category::spot, "ETHUSDT", {2, 4});
    e.book_depths = {50};
    e.kline_intervals = {model::kline_interval::m5};
    e.trades = true;
    return c;
}

model::level lv(std::int64_t px, std::int64_t sz) {
    return {model::price{px}, model::qty{sz}};
}

/// A live book version `u` of depth `depth` whose levels depend on `u`.
dispatch::book_view version(instrument_id id, std::uint16_t depth, std::uint64_t u) {
    dispatch::book_view b;
    b.instrument = id;
    b.depth = depth;
    b.state = book::book_state::live;
    b.update_id = u;
    b.seq = 1000 + u;
    b.ts_exchange = unix_nanos{static_cast<std::int64_t>(u) * 1'000'000};
    b.ts_recv = unix_nanos{static_cast<std::int64_t>(u) * 1'000'000 + 500};
    const auto k = static_cast<std::int64_t>(u);
    b.bids = {lv(10000 - k, 1 + k), lv(9990 - k, 2)};
    b.asks = {lv(10010 + k, 3), lv(10020 + k, 4 + k)};
    return b;
}

model::trade trade(instrument_id id, const char* trade_id, std::int64_t px) {
    model::trade t;
    t.instrument = id;
    t.ts_exchange = unix_nanos{px * 1000};
    t.px = model::price{px};
    t.sz = model::qty{1};
    EXPECT_TRUE(t.id.assign(trade_id));
    return t;
}

model::kline candle(instrument_id id, model::kline_interval iv, std::int64_t start_ms) {
    model::kline k;
    k.instrument = id;
    k.interval = iv;
    k.start = unix_nanos::from_millis(start_ms);
    k.end = unix_nanos::from_millis(start_ms + 59'999);
    k.open = k.high = k.low = k.close = model::price{100};
    return k;
}

model::liquidation liquidation(instrument_id id, std::int64_t ts_ms) {
    model::liquidation l;
    l.instrument = id;
    l.ts_exchange = unix_nanos::from_millis(ts_ms);
    l.px = model::price{64000};
    l.sz = model::qty{15};
    return l;
}

/// A merged ticker with an open interest, at `ts`.
dispatch::ticker_view ticker(instrument_id id, unix_nanos ts, std::int64_t oi, bool stale = false) {
    dispatch::ticker_view t;
    t.instrument = id;
    t.cross_seq = 7;
    t.stale = stale;
    t.ts_exchange = ts;
    t.ts_recv = ts;
    t.fields.set(ticker_field::last_price, model::decimal{650001, 1});
    t.fields.set(ticker_field::open_interest, model::decimal{oi, 1});
    return t;
}

constexpr auto t0 = unix_nanos::from_millis(1'765'000'200'000); // within a 5-minute bucket

TEST(CatalogTest, FindsInstrumentsByNameAndById) {
    const auto c = make_catalog();
    ASSERT_EQ(c.entries().size(), 2U);
    const auto* b = c.find(model::category::linear, "BTCUSDT");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->id, btc);
    EXPECT_EQ(b->symbol, "BTCUSDT");
    EXPECT_EQ(b->spec, (model::instrument_spec{1, 3}));
    EXPECT_EQ(c.find(btc), b);
    const auto* e = c.find(model::category::spot, "ETHUSDT");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(c.find(eth), e);

    EXPECT_EQ(c.find(model::category::spot, "BTCUSDT"), nullptr) << "another category";
    EXPECT_EQ(c.find(model::category::linear, "btcusdt"), nullptr);
    EXPECT_EQ(c.find(model::category::linear, "NOPE"), nullptr);
    EXPECT_EQ(c.find(not_in_catalog), nullptr);
    EXPECT_EQ(c.find(far_away), nullptr);
}

TEST(CatalogTest, AddingAnIdAgainReturnsItsEntry) {
    auto c = make_catalog();
    auto& again = c.add(btc, model::venue::bybit, model::category::linear, "BTCUSDT", {});
    EXPECT_EQ(&again, c.find(btc));
    EXPECT_EQ(again.book_depths, (std::vector<std::uint16_t>{1, 50, 200}));
    EXPECT_EQ(c.entries().size(), 2U);
}

TEST(CatalogTest, SourceDepthIsTheSmallestBookWithEnoughLevels) {
    const auto c = make_catalog();
    const auto& b = *c.find(btc);
    EXPECT_EQ(catalog::source_depth(b, 1), 1);
    EXPECT_EQ(catalog::source_depth(b, 2), 50);
    EXPECT_EQ(catalog::source_depth(b, 50), 50);
    EXPECT_EQ(catalog::source_depth(b, 51), 200);
    EXPECT_EQ(catalog::source_depth(b, 200), 200);
    EXPECT_EQ(catalog::source_depth(b, 201), std::nullopt);
    EXPECT_EQ(catalog::source_depth(b, 1000), std::nullopt);
    EXPECT_EQ(catalog::max_depth(b), 200);
    EXPECT_EQ(catalog::max_depth(*c.find(eth)), 50);

    instrument_entry no_book;
    EXPECT_EQ(catalog::source_depth(no_book, 1), std::nullopt);
    EXPECT_EQ(catalog::max_depth(no_book), 0);
}

/// Records every call and whether the update was already in the cache when it came.
class recording_listener final : public cache_listener {
  public:
    explicit recording_listener(const market_cache& c) : cache_(c) {}

    void on_book(const instrument_entry& e, const book_ptr& b) override {
        calls.push_back("book " + e.symbol + " " + std::to_string(b->depth) + " " +
                        std::to_string(b->update_id));
        stored.push_back(cache_.book(e.id, b->depth) == b);
    }
    void on_ticker(const instrument_entry& e, const dispatch::ticker_view& t) override {
        calls.push_back("ticker " + e.symbol);
        bool seen = false;
        cache_.read(e.id, [&](const instrument_data& d) {
            seen = d.has_ticker && d.ticker.ts_recv() == t.ts_recv;
        });
        stored.push_back(seen);
    }
    void on_trade(const instrument_entry& e, const model::trade& t) override {
        calls.push_back("trade " + e.symbol + " " + std::string(t.id.view()));
        bool seen = false;
        cache_.read(e.id, [&](const instrument_data& d) { seen = d.trades.contains(t.id); });
        stored.push_back(seen);
    }
    void on_kline(const instrument_entry& e, const model::kline& k) override {
        calls.push_back("kline " + e.symbol + " " + std::string(model::to_string(k.interval)));
        bool seen = false;
        cache_.read(e.id, [&](const instrument_data& d) {
            for (const auto& series : d.klines) {
                seen = seen || (!series.empty() && series.newest().start == k.start);
            }
        });
        stored.push_back(seen);
    }
    void on_liquidation(const instrument_entry& e, const model::liquidation& l) override {
        calls.push_back("liquidation " + e.symbol);
        bool seen = false;
        cache_.read(e.id, [&](const instrument_data& d) { seen = d.liquidations.contains(l); });
        stored.push_back(seen);
    }

    std::vector<std::string> calls;
    std::vector<bool> stored;

  private:
    const market_cache& cache_; // outlives: this listener
};

class MarketCacheTest : public ::testing::Test {
  protected:
    catalog cat_ = make_catalog();
    market_cache cache_{cat_, cache_options{}};
    std::stop_token stop_;
};

TEST_F(MarketCacheTest, NoBookBeforeItsFirstUpdate) {
    EXPECT_EQ(cache_.book(btc, 50), nullptr);
    EXPECT_EQ(cache_.book(eth, 50), nullptr);
    EXPECT_EQ(cache_.books_stored(), 0U);
}

TEST_F(MarketCacheTest, BookIsTheNewestVersion) {
    cache_.on_book(version(btc, 50, 1), stop_);
    auto b = cache_.book(btc, 50);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->update_id, 1U);
    cache_.on_book(version(btc, 50, 2), stop_);
    cache_.on_book(version(btc, 50, 3), stop_);
    b = cache_.book(btc, 50);
    ASSERT_NE(b, nullptr);
    const auto want = version(btc, 50, 3);
    EXPECT_EQ(b->instrument, btc);
    EXPECT_EQ(b->depth, 50);
    EXPECT_EQ(b->state, book::book_state::live);
    EXPECT_EQ(b->update_id, 3U);
    EXPECT_EQ(b->seq, want.seq);
    EXPECT_EQ(b->ts_exchange, want.ts_exchange);
    EXPECT_EQ(b->ts_recv, want.ts_recv);
    EXPECT_EQ(b->bids, want.bids);
    EXPECT_EQ(b->asks, want.asks);
    EXPECT_EQ(cache_.books_stored(), 3U);
}

TEST_F(MarketCacheTest, AVersionAReaderHoldsNeverChanges) {
    cache_.on_book(version(btc, 50, 1), stop_);
    const auto held = cache_.book(btc, 50);
    ASSERT_NE(held, nullptr);
    const dispatch::book_view copy = *held;
    for (std::uint64_t u = 2; u <= 20; ++u) {
        cache_.on_book(version(btc, 50, u), stop_);
    }
    EXPECT_EQ(held->update_id, 1U);
    EXPECT_EQ(held->bids, copy.bids);
    EXPECT_EQ(held->asks, copy.asks);
    EXPECT_EQ(held->seq, copy.seq);
    const auto now = cache_.book(btc, 50);
    ASSERT_NE(now, nullptr);
    EXPECT_NE(now, held);
    EXPECT_EQ(now->update_id, 20U);
}

TEST_F(MarketCacheTest, TheCacheKeepsACopyOfTheView) {
    auto v = version(btc, 50, 5);
    cache_.on_book(v, stop_);
    v.bids.clear();
    v.update_id = 99;
    const auto b = cache_.book(btc, 50);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->update_id, 5U);
    EXPECT_EQ(b->bids, version(btc, 50, 5).bids);
}

TEST_F(MarketCacheTest, EachSubscribedDepthIsItsOwnBook) {
    cache_.on_book(version(btc, 1, 10), stop_);
    cache_.on_book(version(btc, 200, 20), stop_);
    cache_.on_book(version(eth, 50, 30), stop_);
    EXPECT_EQ(cache_.book(btc, 50), nullptr);
    ASSERT_NE(cache_.book(btc, 1), nullptr);
    EXPECT_EQ(cache_.book(btc, 1)->update_id, 10U);
    ASSERT_NE(cache_.book(btc, 200), nullptr);
    EXPECT_EQ(cache_.book(btc, 200)->update_id, 20U);
    ASSERT_NE(cache_.book(eth, 50), nullptr);
    EXPECT_EQ(cache_.book(eth, 50)->update_id, 30U);
    EXPECT_EQ(cache_.book(eth, 1), nullptr);
}

TEST_F(MarketCacheTest, UnknownInstrumentsAndDepthsAreIgnored) {
    recording_listener l{cache_};
    cache_.set_listener(&l);
    cache_.on_book(version(btc, 25, 1), stop_); // no book of depth 25
    cache_.on_book(version(not_in_catalog, 50, 1), stop_);
    cache_.on_book(version(far_away, 50, 1), stop_);
    cache_.on_ticker(ticker(not_in_catalog, t0, 10), stop_);
    cache_.on_ticker(ticker(far_away, t0, 10), stop_);
    cache_.on_trade(trade(not_in_catalog, "t1", 100), stop_);
    cache_.on_trade(trade(far_away, "t1", 100), stop_);
    cache_.on_kline(candle(not_in_catalog, model::kline_interval::m1, 0), stop_);
    cache_.on_kline(candle(btc, model::kline_interval::m5, 0), stop_); // not subscribed
    cache_.on_liquidation(liquidation(not_in_catalog, 1), stop_);
    cache_.on_liquidation(liquidation(far_away, 1), stop_);
    EXPECT_EQ(cache_.books_stored(), 0U);
    EXPECT_EQ(cache_.book(btc, 25), nullptr);
    EXPECT_EQ(cache_.book(not_in_catalog, 50), nullptr);
    EXPECT_EQ(cache_.book(far_away, 50), nullptr);
    EXPECT_TRUE(l.calls.empty());
    bool called = false;
    EXPECT_FALSE(cache_.read(not_in_catalog, [&](const instrument_data&) { called = true; }));
    EXPECT_FALSE(cache_.read(far_away, [&](const instrument_data&) { called = true; }));
    EXPECT_FALSE(called);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_TRUE(d.trades.empty());
        for (const auto& series : d.klines) {
            EXPECT_TRUE(series.empty());
        }
        EXPECT_TRUE(d.liquidations.empty());
        EXPECT_FALSE(d.has_ticker);
    }));
}

TEST_F(MarketCacheTest, ReadSeesTradesKlinesAndLiquidations) {
    cache_.on_trade(trade(btc, "a", 100), stop_);
    cache_.on_trade(trade(btc, "b", 101), stop_);
    cache_.on_trade(trade(eth, "c", 200), stop_);
    cache_.on_kline(candle(btc, model::kline_interval::m1, 60'000), stop_);
    cache_.on_kline(candle(btc, model::kline_interval::m1, 120'000), stop_);
    cache_.on_kline(candle(btc, model::kline_interval::h1, 3'600'000), stop_);
    cache_.on_kline(candle(eth, model::kline_interval::m5, 300'000), stop_);
    cache_.on_liquidation(liquidation(btc, 5), stop_);
    cache_.on_liquidation(liquidation(btc, 6), stop_);

    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        ASSERT_EQ(d.trades.size(), 2U);
        EXPECT_EQ(d.trades.oldest().id.view(), "a");
        EXPECT_EQ(d.trades.newest().id.view(), "b");
        EXPECT_EQ(d.trades.newest().px, model::price{101});
        ASSERT_EQ(d.klines.size(), 2U) << "one series per subscribed interval";
        ASSERT_EQ(d.klines[0].size(), 2U);
        EXPECT_EQ(d.klines[0].newest().interval, model::kline_interval::m1);
        EXPECT_EQ(d.klines[0].newest().start, unix_nanos::from_millis(120'000));
        ASSERT_EQ(d.klines[1].size(), 1U);
        EXPECT_EQ(d.klines[1].newest().interval, model::kline_interval::h1);
        ASSERT_EQ(d.liquidations.size(), 2U);
        EXPECT_EQ(d.liquidations.newest().ts_exchange, unix_nanos::from_millis(6));
    }));
    ASSERT_TRUE(cache_.read(eth, [](const instrument_data& d) {
        ASSERT_EQ(d.trades.size(), 1U);
        EXPECT_EQ(d.trades.newest().id.view(), "c");
        ASSERT_EQ(d.klines.size(), 1U);
        ASSERT_EQ(d.klines[0].size(), 1U);
        EXPECT_EQ(d.klines[0].newest().interval, model::kline_interval::m5);
        EXPECT_TRUE(d.liquidations.empty());
    }));
}

TEST_F(MarketCacheTest, ReadSeesTheTickerAndItsOpenInterestHistory) {
    cache_.on_ticker(ticker(btc, t0, 512345), stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_TRUE(d.has_ticker);
        EXPECT_FALSE(d.ticker_stale);
        EXPECT_EQ(d.ticker_cross_seq, 7U);
        EXPECT_EQ(d.ticker.ts_exchange(), t0);
        EXPECT_EQ(d.ticker.fields().get(ticker_field::last_price), (model::decimal{650001, 1}));
        ASSERT_TRUE(d.ticker.open_interest_current());
        EXPECT_EQ(*d.ticker.open_interest_current(), (model::decimal{512345, 1}));
        ASSERT_EQ(d.ticker.oi_history().size(), 1U);
    }));

    // Later updates: the same bucket keeps its last value, the next bucket adds one.
    cache_.on_ticker(ticker(btc, unix_nanos{t0.value + 1'000'000'000}, 512346), stop_);
    cache_.on_ticker(ticker(btc, unix_nanos{t0.value + 300'000'000'000}, 512400), stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_FALSE(d.ticker_stale);
        std::vector<model::decimal> history;
        d.ticker.oi_history().for_each(
            [&](const market::oi_sample& s) { history.push_back(s.value); });
        EXPECT_EQ(history, (std::vector<model::decimal>{{512346, 1}, {512400, 1}}));
    }));
    ASSERT_TRUE(cache_.read(eth, [](const instrument_data& d) { EXPECT_FALSE(d.has_ticker); }));
}

TEST_F(MarketCacheTest, AStaleTickerKeepsItsFieldsAndAgeUntilItsNextUpdate) {
    auto live = ticker(btc, t0, 512345);
    live.applied = std::chrono::steady_clock::time_point{1s};
    cache_.on_ticker(live, stop_);
    // The shard's stale mark: the same merged state, flagged, stamped when it was marked.
    auto marked = live;
    marked.stale = true;
    marked.applied = std::chrono::steady_clock::time_point{9s};
    cache_.on_ticker(marked, stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_TRUE(d.ticker_stale);
        EXPECT_EQ(d.ticker_applied, std::chrono::steady_clock::time_point{1s}); // age goes on
        EXPECT_EQ(d.ticker.oi_history().size(), 1U);                            // no extra sample
        EXPECT_EQ(d.ticker.fields().get(ticker_field::last_price), (model::decimal{650001, 1}));
    }));
    auto next = ticker(btc, unix_nanos{t0.value + 1'000'000'000}, 512346);
    next.applied = std::chrono::steady_clock::time_point{10s};
    cache_.on_ticker(next, stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_FALSE(d.ticker_stale);
        EXPECT_EQ(d.ticker_applied, std::chrono::steady_clock::time_point{10s});
    }));
}

TEST_F(MarketCacheTest, AnUpdateConflatedWithTheStaleMarkIsNotLost) {
    auto live = ticker(btc, t0, 512345);
    live.applied = std::chrono::steady_clock::time_point{1s};
    cache_.on_ticker(live, stop_);
    // One more update, then the mark, merged by the pool into one delivery: the newest state,
    // flagged stale.
    auto merged = ticker(btc, unix_nanos{t0.value + 1'000'000'000}, 512346, true);
    merged.fields.set(ticker_field::last_price, model::decimal{650002, 1});
    merged.applied = std::chrono::steady_clock::time_point{9s};
    cache_.on_ticker(merged, stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_TRUE(d.ticker_stale);
        EXPECT_EQ(d.ticker.fields().get(ticker_field::last_price), (model::decimal{650002, 1}));
    }));
}

TEST_F(MarketCacheTest, TradesAreStaleFromTheMarkUntilTheNextTrade) {
    cache_.on_trade(trade(btc, "a", 100), stop_);
    cache_.on_trades_stale(btc, stop_);
    cache_.on_trades_stale(not_in_catalog, stop_); // ignored
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) {
        EXPECT_TRUE(d.trades.stale());
        EXPECT_EQ(d.trades.size(), 1U); // the trades stay readable
    }));
    ASSERT_TRUE(cache_.read(eth, [](const instrument_data& d) { EXPECT_FALSE(d.trades.stale()); }));
    cache_.on_trade(trade(btc, "b", 101), stop_);
    ASSERT_TRUE(cache_.read(btc, [](const instrument_data& d) { EXPECT_FALSE(d.trades.stale()); }));
}

TEST_F(MarketCacheTest, TheListenerIsCalledAfterTheUpdateIsStored) {
    recording_listener l{cache_};
    cache_.set_listener(&l);
    cache_.on_book(version(btc, 50, 1), stop_);
    cache_.on_book(version(eth, 50, 2), stop_);
    cache_.on_ticker(ticker(btc, t0, 10), stop_);
    cache_.on_trade(trade(btc, "x1", 100), stop_);
    cache_.on_kline(candle(btc, model::kline_interval::h1, 3'600'000), stop_);
    cache_.on_liquidation(liquidation(btc, 1), stop_);
    cache_.on_trade(trade(eth, "x2", 100), stop_);
    EXPECT_EQ(l.calls,
              (std::vector<std::string>{"book BTCUSDT 50 1", "book ETHUSDT 50 2", "ticker BTCUSDT",
                                        "trade BTCUSDT x1", "kline BTCUSDT 60",
                                        "liquidation BTCUSDT", "trade ETHUSDT x2"}));
    EXPECT_EQ(l.stored, std::vector<bool>(l.calls.size(), true));
}

TEST_F(MarketCacheTest, OptionsSizeTheStores) {
    cache_options o;
    o.trades = 2;
    o.klines = 1;
    market_cache small{cat_, o};
    for (const char* id : {"a", "b", "c"}) {
        small.on_trade(trade(btc, id, 100), stop_);
    }
    small.on_kline(candle(btc, model::kline_interval::m1, 0), stop_);
    small.on_kline(candle(btc, model::kline_interval::m1, 60'000), stop_);
    ASSERT_TRUE(small.read(btc, [](const instrument_data& d) {
        ASSERT_EQ(d.trades.size(), 2U);
        EXPECT_EQ(d.trades.oldest().id.view(), "b");
        ASSERT_EQ(d.klines[0].size(), 1U);
        EXPECT_EQ(d.klines[0].newest().start, unix_nanos::from_millis(60'000));
    }));
}

} // namespace
} // namespace mdg::api
