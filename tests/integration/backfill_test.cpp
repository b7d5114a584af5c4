// History at start (the backfill, docs/rest.md) against the simulator's market REST endpoints:
// the candles and open-interest buckets fetched while the stream is live merge with what the
// stream delivered, with no duplicate and no hole at the seam, and equal the venue's history; a
// failing endpoint is retried with backoff, counted and reported until it succeeds. The
// simulator runs on a manual clock, so candles close when the test says.
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "api/encode.hpp"
#include "api/market_cache.hpp"
#include "core/clock.hpp"
#include "exchange/bybit/rest_parse.hpp"
#include "gateway/gateway.hpp"
#include "gateway/symbol_select.hpp"
#include "model/fixed_point.hpp"
#include "sim/server.hpp"
#include "support/sim_harness.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using steady = std::chrono::steady_clock;
using model::kline_interval;

// A liveness guard for waits, never a measured threshold.
constexpr auto patience = 30s;
// 2026-08-09 21:25:00 UTC, a 5-minute boundary; the simulator's clock starts one second later.
constexpr std::int64_t t0_ms = 1'786'310'700'000;
constexpr std::int64_t minute_ns = 60'000'000'000;

template <class Pred> bool eventually(Pred p) {
    return test::eventually(std::move(p), patience);
}

class BackfillTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim::server_options opts;
        opts.rate = 400;
        opts.symbols = {{"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}};
        sim_ = std::make_unique<test::sim_harness>(std::move(opts), clock_);
        port_ = sim_->port();
    }

    gateway_options options() {
        gateway_options o;
        o.cat = model::category::linear;
        o.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", port_);
        o.topics = {"tickers.BTCUSDT", "kline.1.BTCUSDT", "kline.5.BTCUSDT",
                    "orderbook.50.BTCUSDT"};
        o.probe.url = fmt::format("http://127.0.0.1:{}", port_);
        o.http.address = "127.0.0.1";
        o.http.port = 0;
        o.drain_timeout = 1s;
        o.version = "test";
        o.rest.enabled = true;
        o.history.enabled = true;
        o.history.klines = {{kline_interval::m1, 1000}, {kline_interval::m5, 300}};
        o.history.open_interest = 288;
        o.history.retry_base = 100ms;
        o.history.retry_cap = 400ms;
        return o;
    }
    void start(gateway_options o) {
        gw_ = std::make_unique<gateway>(std::move(o));
        std::string error;
        ASSERT_TRUE(gw_->start(error)) << error;
        btc_ = *gw_->instruments().find(model::venue::bybit, model::category::linear, "BTCUSDT");
    }
    void control(const std::string& json) { EXPECT_EQ(sim_->control(json), 200U) << json; }

    // The API's series of BTCUSDT at `series` (0: 1m, 1: 5m), oldest first.
    std::vector<model::kline> series(std::size_t index) {
        std::vector<model::kline> out;
        (void)gw_->market_cache()->read(btc_, [&](const api::instrument_data& d) {
            const auto& s = d.klines[index];
            for (std::size_t i = 0; i < s.size(); ++i) {
                out.push_back(s.at(i));
            }
        });
        return out;
    }
    // Whether the 1m series holds the candle starting at `start_ms`, closed when `closed`.
    bool has_candle(std::int64_t start_ms, bool closed) {
        for (const auto& k : series(0)) {
            if (k.start.value == start_ms * 1'000'000 && (!closed || k.confirm)) {
                return true;
            }
        }
        return false;
    }
    // The simulator's own answer: the newest `limit` candles of `interval`, oldest first.
    std::vector<model::kline> venue_klines(kline_interval iv, std::size_t limit) {
        auto [status, body] = test::http_request(
            port_, http::verb::get,
            fmt::format("/v5/market/kline?category=linear&symbol=BTCUSDT&interval={}&limit={}",
                        model::to_string(iv), limit));
        EXPECT_EQ(status, 200U) << body;
        std::string why;
        const auto& info = gw_->instruments().info(btc_);
        auto k = exchange::bybit::parse_rest_klines(body, "BTCUSDT", btc_, info.spec, iv,
                                                    clock_.now(), why);
        EXPECT_TRUE(k.has_value()) << why;
        return k ? *k : std::vector<model::kline>{};
    }
    std::string status_json() { return gw_->status_json(); }
    // One sample of the gateway's /metrics (0 when absent).
    std::uint64_t metric(std::string_view series) {
        const auto text = gw_->metrics_text();
        const auto at = text.find(fmt::format("\n{} ", series));
        return at == std::string::npos
                   ? 0
                   : std::strtoull(text.c_str() + at + series.size() + 2, nullptr, 10);
    }

    // Every candle follows the one before by exactly one interval: no duplicate, no hole.
    static void expect_continuous(const std::vector<model::kline>& s, kline_interval iv) {
        for (std::size_t i = 1; i < s.size(); ++i) {
            ASSERT_EQ(s[i].start.value, model::kline_next_start(iv, s[i - 1].start).value)
                << "candle " << i << " of " << s.size() << " (" << model::to_string(iv) << ")";
        }
    }
    // `mine` holds `truth`'s closed candles (same start, prices, volume, turnover, confirm) at
    // its end, followed by one open candle. The venue's open candle is not compared: it moves
    // between the stream's last push and the question.
    static void expect_closed_equal(const std::vector<model::kline>& mine,
                                    const std::vector<model::kline>& truth) {
        ASSERT_GE(truth.size(), 2U);
        ASSERT_GE(mine.size(), truth.size());
        ASSERT_FALSE(mine.back().confirm);
        ASSERT_FALSE(truth.back().confirm);
        const auto off = mine.size() - truth.size();
        for (std::size_t i = 0; i + 1 < truth.size(); ++i) {
            const auto& a = mine[off + i];
            const auto& b = truth[i];
            ASSERT_EQ(a.start.value, b.start.value) << i;
            EXPECT_EQ(a.open, b.open) << i;
            EXPECT_EQ(a.high, b.high) << i;
            EXPECT_EQ(a.low, b.low) << i;
            EXPECT_EQ(a.close, b.close) << i;
            EXPECT_EQ(a.volume, b.volume) << i;
            EXPECT_EQ(a.turnover, b.turnover) << i;
            EXPECT_TRUE(a.confirm) << i;
            EXPECT_TRUE(b.confirm) << i;
        }
        EXPECT_EQ(mine.back().start.value, truth.back().start.value);
    }

    core::manual_clock clock_{unix_nanos::from_millis(t0_ms + 1000)};
    std::unique_ptr<test::sim_harness> sim_; // destroyed after the gateway
    std::uint16_t port_ = 0;
    std::unique_ptr<gateway> gw_;
    model::instrument_id btc_;
};

// The stream runs ahead of the history (its endpoint fails at first): two candles close on
// the stream before the history arrives, one more after. The series is the venue's history
// with the stream's candles in place, one per minute, and the failures were retried.
TEST_F(BackfillTest, HistoryMergesWithTheStreamWithoutADuplicateOrAHoleAtTheSeam) {
    control(R"({"action":"rest","path":"/v5/market/kline","mode":"error","seconds":120})");
    start(options());
    ASSERT_TRUE(eventually([&] { return has_candle(t0_ms, false); }));
    clock_.advance(60s);
    ASSERT_TRUE(eventually([&] { return has_candle(t0_ms, true); }));
    clock_.advance(60s);
    ASSERT_TRUE(eventually([&] { return has_candle(t0_ms + 60'000, true); }));
    // Only stream candles so far, and the history has failed (and is retried).
    EXPECT_LE(series(0).size(), 3U);
    ASSERT_TRUE(eventually([&] {
        return metric(R"(mdgate_backfill_fetches_total{kind="klines",outcome="failed"})") >= 2;
    }));
    EXPECT_NE(status_json().find(R"("last_error")"), std::string::npos) << status_json();
    EXPECT_NE(status_json().find(R"("complete":false)"), std::string::npos) << status_json();

    control(
        R"({"action":"rest","path":"/v5/market/kline","mode":"slow","delay":"1ms","seconds":"1ms"})");
    ASSERT_TRUE(eventually([&] { return series(0).size() >= 1000; })) << series(0).size();
    clock_.advance(60s);
    ASSERT_TRUE(eventually([&] { return has_candle(t0_ms + 120'000, true); }));

    const auto m1 = series(0);
    expect_continuous(m1, kline_interval::m1);
    // 1000 candles up to the one forming when the history was fetched, plus the next one.
    EXPECT_EQ(m1.size(), 1001U);
    EXPECT_EQ(m1.back().start.value, (t0_ms + 180'000) * 1'000'000);
    expect_closed_equal(m1, venue_klines(kline_interval::m1, 1000));

    const auto m5 = series(1);
    expect_continuous(m5, kline_interval::m5);
    EXPECT_EQ(m5.size(), 300U);
    expect_closed_equal(m5, venue_klines(kline_interval::m5, 300));

    ASSERT_TRUE(eventually([&] {
        return status_json().find(R"("complete":true)") != std::string::npos;
    })) << status_json();
    EXPECT_EQ(metric(R"(mdgate_backfill_fetches_total{kind="klines",outcome="ok"})"), 2U);
    EXPECT_EQ(metric(R"(mdgate_backfill_rows_total{kind="klines"})"), 1300U);
    // Labels come sorted by name.
    EXPECT_GE(
        metric(R"(mdgate_rest_requests_total{outcome="http_status",path="/v5/market/kline"})"), 2U);
}

// The open-interest history fills the 5-minute buckets before the live one: 288 buckets, one
// per 5 minutes, each the venue's open interest at the bucket's end.
TEST_F(BackfillTest, OpenInterestHistoryFillsTheBucketsBeforeTheLiveOne) {
    start(options());
    ASSERT_TRUE(eventually(
        [&] { return metric(R"(mdgate_backfill_rows_total{kind="open_interest"})") > 0; }));
    std::vector<market::oi_sample> buckets;
    ASSERT_TRUE(eventually([&] {
        buckets.clear();
        (void)gw_->market_cache()->read(btc_, [&](const api::instrument_data& d) {
            d.ticker.oi_history().for_each(
                [&](const market::oi_sample& s) { buckets.push_back(s); });
        });
        // The live bucket [t0, t0 + 5 min) has its sample from the stream's ticker.
        return !buckets.empty() && buckets.back().bucket_start.value == t0_ms * 1'000'000;
    }));
    ASSERT_EQ(buckets.size(), 288U);
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        ASSERT_EQ(buckets[i].bucket_start.value - buckets[i - 1].bucket_start.value, 5 * minute_ns)
            << i;
    }
    // The venue's value at t0 is the end of the bucket [t0 - 5 min, t0).
    auto [status, body] = test::http_request(
        port_, http::verb::get,
        "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&limit=2");
    ASSERT_EQ(status, 200U);
    std::string why;
    auto page = exchange::bybit::parse_rest_open_interest(body, "BTCUSDT", why);
    ASSERT_TRUE(page) << why;
    ASSERT_EQ(page->points.size(), 2U);
    EXPECT_EQ(page->points.back().ts.value, t0_ms * 1'000'000);
    EXPECT_EQ(buckets[286].bucket_start.value, (t0_ms - 300'000) * 1'000'000);
    EXPECT_EQ(buckets[286].value, page->points.back().value);
}

// Trades made before the gateway connected come from the history, the later ones from the
// stream; the ring holds each once, in time order.
TEST_F(BackfillTest, RecentTradesFromBeforeTheStartJoinTheStreamsTradesOnce) {
    // Another client makes the market trade before the gateway exists.
    test::ws_test_client early;
    ASSERT_TRUE(early.connect(port_, "/v5/public/linear")) << early.error().message();
    early.send(R"({"op":"subscribe","args":["publicTrade.BTCUSDT"]})");
    int frames = 0;
    const auto until = steady::now() + patience;
    while (frames < 5 && steady::now() < until) {
        if (auto m = early.read(1s);
            m && m->find(R"("topic":"publicTrade.BTCUSDT")") != std::string::npos) {
            ++frames;
        }
    }
    ASSERT_EQ(frames, 5);
    auto [status, body] = test::http_request(
        port_, http::verb::get, "/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=50");
    ASSERT_EQ(status, 200U);
    std::string why;
    const auto before = exchange::bybit::parse_rest_trades(body, "BTCUSDT", model::instrument_id{},
                                                           {}, clock_.now(), why);
    ASSERT_TRUE(before) << why;
    ASSERT_FALSE(before->empty());

    auto o = options();
    o.topics.push_back("publicTrade.BTCUSDT");
    start(std::move(o));
    ASSERT_TRUE(eventually([&] {
        return metric(R"(mdgate_backfill_fetches_total{kind="trades",outcome="ok"})") == 1;
    }));
    std::vector<model::trade> ring;
    ASSERT_TRUE(eventually([&] {
        ring.clear();
        (void)gw_->market_cache()->read(btc_, [&](const api::instrument_data& d) {
            for (std::size_t i = 0; i < d.trades.size(); ++i) {
                ring.push_back(d.trades.at(i));
            }
        });
        return std::all_of(before->begin(), before->end(), [&](const model::trade& t) {
            return std::any_of(ring.begin(), ring.end(),
                               [&](const model::trade& r) { return r.id == t.id; });
        });
    })) << ring.size()
        << " trades in the ring";
    for (std::size_t i = 1; i < ring.size(); ++i) {
        EXPECT_LE(ring[i - 1].ts_exchange, ring[i].ts_exchange) << i;
        for (std::size_t k = 0; k < i; ++k) {
            ASSERT_NE(ring[k].id, ring[i].id) << "trade " << ring[i].id.view() << " twice";
        }
    }
}

// The REST-only data is polled, reaches the data API's market answer with its age, and a
// failing endpoint is reported and recovers.
TEST_F(BackfillTest, PolledFundingRatiosAndRiskLimitsReachTheMarketAnswerWithTheirAge) {
    control(R"({"action":"rest","path":"/v5/market/risk-limit","mode":"error","seconds":120})");
    auto o = options();
    o.history.enabled = false;
    o.poll.funding_history = 200ms;
    o.poll.funding_rows = 20;
    o.poll.account_ratio = 200ms;
    o.poll.account_ratio_rows = 12;
    o.poll.risk_limits = 200ms;
    start(std::move(o));
    const auto market = [&] {
        return test::http_request(gw_->http_port(), http::verb::get,
                                  "/v1/market/linear/BTCUSDT?allow_stale=1")
            .second;
    };
    ASSERT_TRUE(eventually([&] {
        return market().find(R"("funding_history":{)") != std::string::npos &&
               market().find(R"("account_ratio":{)") != std::string::npos;
    })) << market();
    // Risk limits fail: reported, not shown.
    ASSERT_TRUE(eventually([&] {
        return metric(R"(mdgate_rest_polls_total{kind="risk_limits",outcome="failed"})") >= 1;
    }));
    EXPECT_NE(market().find(R"("risk_limits":null)"), std::string::npos) << market();
    EXPECT_NE(status_json().find(R"("kind":"risk_limits","symbol":"BTCUSDT","failures")"),
              std::string::npos)
        << status_json();

    control(
        R"({"action":"rest","path":"/v5/market/risk-limit","mode":"slow","delay":"1ms","seconds":"1ms"})");
    ASSERT_TRUE(eventually([&] {
        return market().find(R"("risk_limits":{)") != std::string::npos;
    })) << market();
    EXPECT_NE(status_json().find(R"("failing":[])"), std::string::npos) << status_json();

    // What the answer holds equals the venue's own answers, decoded.
    simdjson::dom::parser parser;
    const auto body = market();
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(body).get(doc), simdjson::SUCCESS);
    const auto venue = [&](const std::string& target) {
        return test::http_request(port_, http::verb::get, target).second;
    };
    std::string why;
    const auto funding = exchange::bybit::parse_rest_funding_history(
        venue("/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=20"), "BTCUSDT",
        why);
    ASSERT_TRUE(funding) << why;
    simdjson::dom::array list;
    ASSERT_EQ(doc["funding_history"]["list"].get(list), simdjson::SUCCESS);
    ASSERT_EQ(list.size(), funding->size());
    std::size_t i = 0;
    for (auto f : list) {
        EXPECT_EQ(std::int64_t(f["ts"]), (*funding)[i].ts.value / 1000) << i;
        EXPECT_EQ(std::string_view(f["rate"]), api::canonical((*funding)[i].rate)) << i;
        ++i;
    }
    ASSERT_EQ(doc["account_ratio"]["list"].get(list), simdjson::SUCCESS);
    EXPECT_EQ(list.size(), 12U);
    double age = -1;
    ASSERT_EQ(doc["account_ratio"]["age_seconds"].get(age), simdjson::SUCCESS);
    EXPECT_GE(age, 0.0);
    const auto tiers = exchange::bybit::parse_rest_risk_limits(
        venue("/v5/market/risk-limit?category=linear&symbol=BTCUSDT"), "BTCUSDT", why);
    ASSERT_TRUE(tiers) << why;
    ASSERT_EQ(doc["risk_limits"]["list"].get(list), simdjson::SUCCESS);
    EXPECT_EQ(list.size(), tiers->size());
    EXPECT_GE(metric(R"(mdgate_rest_polls_total{kind="funding_history",outcome="ok"})"), 1U);
}

// The emergency refresh: a book and a ticker whose stream went silent (the connection stays
// up) are fetched over REST and served as such, never as live; the stream's return ends it.
TEST_F(BackfillTest, AStaleBookAndTickerAreRefreshedOverRestAndNeverShownLive) {
    auto o = options();
    o.history.enabled = false;
    o.freshness.orderbook = 500ms;
    o.freshness.tickers = 500ms;
    o.refresh.orderbook = 1s;
    o.refresh.tickers = 1s;
    o.refresh.min_interval = 1s;
    start(std::move(o));
    const auto* cache = gw_->market_cache();
    const auto book = [&] {
        return cache->book(btc_, 50);
    };
    ASSERT_TRUE(eventually([&] {
        const auto b = book();
        return b && b->state == book::book_state::live;
    }));
    // The stream goes silent (nothing sent, the socket stays open), then the market stops, so
    // that the venue's answers are the market as it now stands.
    control(R"({"action":"stall","seconds":8})");
    control(R"({"action":"pause"})");
    ASSERT_TRUE(eventually([&] {
        const auto b = book();
        return b && b->source == dispatch::data_source::rest;
    }));
    const auto b = book();
    EXPECT_NE(b->state, book::book_state::live);
    auto [status, body] = test::http_request(
        port_, http::verb::get, "/sim/truth/book?category=linear&topic=orderbook.50.BTCUSDT");
    ASSERT_EQ(status, 200U);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS);
    for (const char* side : {"bids", "asks"}) {
        const auto& mine = std::string_view(side) == "bids" ? b->bids : b->asks;
        simdjson::dom::array levels;
        ASSERT_EQ(doc[side].get(levels), simdjson::SUCCESS);
        ASSERT_EQ(levels.size(), mine.size()) << side;
        std::size_t i = 0;
        for (auto l : levels) {
            EXPECT_EQ(mine[i].px.raw, *model::parse_fixed(std::string_view(l.at(0)), 8, false))
                << side << i;
            ++i;
        }
    }
    ASSERT_TRUE(eventually([&] {
        dispatch::data_source src{};
        (void)cache->read(btc_, [&](const api::instrument_data& d) { src = d.ticker_source; });
        return src == dispatch::data_source::rest;
    }));
    // The API says where it comes from, and never serves it as live.
    const auto api = [&](const std::string& target) {
        return test::http_request(gw_->http_port(), http::verb::get, target);
    };
    const auto stale_book = api("/v1/book/linear/BTCUSDT?allow_stale=1");
    EXPECT_NE(stale_book.second.find(R"("source":"rest")"), std::string::npos) << stale_book.second;
    EXPECT_EQ(api("/v1/book/linear/BTCUSDT").first, 503U);
    const auto ticker = api("/v1/ticker/linear/BTCUSDT");
    EXPECT_NE(ticker.second.find(R"("state":"stale","source":"rest")"), std::string::npos)
        << ticker.second;
    EXPECT_GE(metric(R"(mdgate_rest_refreshes_total{channel="orderbook",outcome="ok"})"), 1U);
    EXPECT_GE(metric(R"(mdgate_rest_refreshes_total{channel="tickers",outcome="ok"})"), 1U);

    // The stream comes back: its book is live again, and it is the stream's.
    control(R"({"action":"resume"})");
    ASSERT_TRUE(eventually([&] {
        const auto v = book();
        return v && v->state == book::book_state::live &&
               v->source == dispatch::data_source::stream;
    }));
}

// Choosing the symbols at start: the venue's tickers fetched over REST, ranked by 24 h
// turnover; a turnover changed on the venue changes the choice.
TEST_F(BackfillTest, TheTopSymbolsByTurnoverAreChosenFromTheVenuesTickers) {
    ticker_source src;
    src.rest_url = fmt::format("http://127.0.0.1:{}", port_);
    control(R"({"action":"set_turnover","symbol":"ETHUSDT","value":9000000000})");
    control(R"({"action":"set_turnover","symbol":"BTCUSDT","value":5000000000})");
    std::string why;
    auto rows = fetch_tickers(src, why);
    ASSERT_TRUE(rows) << why;
    ASSERT_EQ(rows->size(), 2U);
    selection_options o;
    o.top = 1;
    auto chosen = choose_symbols(*rows, o);
    ASSERT_EQ(chosen.size(), 1U);
    EXPECT_EQ(chosen[0].symbol, "ETHUSDT");
    control(R"({"action":"set_turnover","symbol":"BTCUSDT","value":20000000000})");
    rows = fetch_tickers(src, why);
    ASSERT_TRUE(rows) << why;
    chosen = choose_symbols(*rows, o);
    ASSERT_EQ(chosen.size(), 1U);
    EXPECT_EQ(chosen[0].symbol, "BTCUSDT");

    // A venue that does not answer: an error with the reason, not an empty choice.
    control(R"({"action":"rest","path":"/v5/market/tickers","mode":"error","seconds":60})");
    EXPECT_FALSE(fetch_tickers(src, why));
    EXPECT_NE(why.find("503"), std::string::npos) << why;
}

// No REST client, no history: the gateway runs as before when the backfill is off.
TEST_F(BackfillTest, OffMeansNoRestRequestAndNoBackfillInTheStatus) {
    auto o = options();
    o.history.enabled = false;
    start(std::move(o));
    ASSERT_TRUE(eventually([&] { return has_candle(t0_ms, false); }));
    EXPECT_EQ(status_json().find(R"("backfill")"), std::string::npos);
    EXPECT_EQ(gw_->metrics_text().find("mdgate_rest_requests_total"), std::string::npos);
    EXPECT_EQ(series(0).size(), 1U);
}

} // namespace
} // namespace mdg::gateway
