// The simulator's market REST history (kline, open-interest, recent-trade, account-ratio,
// funding/history, risk-limit) against its own stream, at controlled times; and the pure
// helpers of the REST parameters.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "sim/detail/rest_params.hpp"
#include "sim/market_model.hpp"

namespace mdg::sim {
namespace {

// 2026-08-09 21:25:00 UTC: a 5-minute boundary.
constexpr std::int64_t t0_ms = 1'786'310'700'000;
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t far_ms = detail::max_query_ms;

unix_nanos at_ms(std::int64_t ms) {
    return unix_nanos::from_millis(ms);
}

model_config config(model::category cat, std::uint64_t seed = 7) {
    model_config c;
    c.cat = cat;
    c.seed = seed;
    c.book_levels = 200;
    c.symbols = {{"BTCUSDT", 0, 2, 3}, {"ETHUSDT", 0, 2, 2}};
    return c;
}

// One candle as REST lists it: start, open, high, low, close, volume, turnover (strings).
using row = std::vector<std::string>;

std::vector<row> kline_rows(const std::string& result) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(result).get(doc), simdjson::SUCCESS) << result;
    std::vector<row> out;
    simdjson::dom::array list;
    EXPECT_EQ(doc["list"].get(list), simdjson::SUCCESS) << result;
    for (auto item : list) {
        row r;
        for (auto v : item.get_array()) {
            r.emplace_back(std::string_view(v.get_string()));
        }
        EXPECT_EQ(r.size(), 7U);
        out.push_back(std::move(r));
    }
    return out;
}

// The candles of a kline frame as rows, with their confirm flags.
std::vector<std::pair<row, bool>> frame_candles(const std::string& frame) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(frame).get(doc), simdjson::SUCCESS) << frame;
    std::vector<std::pair<row, bool>> out;
    for (auto c : doc["data"].get_array()) {
        const auto s = [&](const char* k) {
            return std::string(std::string_view(c[k]));
        };
        row r{std::to_string(std::int64_t(c["start"])),
              s("open"),
              s("high"),
              s("low"),
              s("close"),
              s("volume"),
              s("turnover")};
        out.emplace_back(std::move(r), bool(c["confirm"]));
    }
    return out;
}

double num(const std::string& s) {
    return std::stod(s);
}

// Each candle opens at the previous close, is well formed, and the list is newest first with
// consecutive starts `step` apart.
void expect_continuous(const std::vector<row>& rows, std::int64_t step) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const row& r = rows[i];
        EXPECT_GE(num(r[2]), std::max(num(r[1]), num(r[4]))) << r[0];
        EXPECT_LE(num(r[3]), std::min(num(r[1]), num(r[4]))) << r[0];
        EXPECT_GT(num(r[3]), 0) << r[0];
        if (i + 1 < rows.size()) {
            const row& older = rows[i + 1];
            EXPECT_EQ(r[1], older[4]) << "open of " << r[0] << " vs close of " << older[0];
            if (step > 0) {
                EXPECT_EQ(std::stoll(r[0]) - std::stoll(older[0]), step) << r[0];
            } else {
                EXPECT_GT(std::stoll(r[0]), std::stoll(older[0]));
            }
        }
    }
}

TEST(MarketRestTest, KlineReturnsWhatTheStreamConfirmedAndTheFormingCandle) {
    market_model m{config(model::category::linear)};
    const std::string topic = "kline.1.BTCUSDT";
    std::int64_t now = t0_ms + 500;
    ASSERT_TRUE(m.push_frame(topic, at_ms(now)));
    std::vector<row> confirmed;
    for (int i = 0; i < 3 * 600; ++i) { // three minutes, a push every second
        m.step(at_ms(now += 100));
        if (i % 10 == 0) {
            if (const auto f = m.push_frame(topic, at_ms(now))) {
                for (const auto& [r, confirm] : frame_candles(*f)) {
                    if (confirm) {
                        confirmed.push_back(r);
                    }
                }
            }
        }
    }
    ASSERT_GE(confirmed.size(), 2U);
    const auto rows = kline_rows(
        *m.rest_kline("BTCUSDT", model::kline_interval::m1, 0, far_ms, 1000, at_ms(now)));
    ASSERT_EQ(rows.size(), 1000U);
    expect_continuous(rows, 60'000);
    for (const row& c : confirmed) {
        const auto it =
            std::find_if(rows.begin(), rows.end(), [&](const row& r) { return r[0] == c[0]; });
        ASSERT_NE(it, rows.end()) << c[0];
        EXPECT_EQ(*it, c);
    }
    // The newest is the candle forming now, as a new subscriber gets it.
    const auto sub = m.subscribe_frame(topic, at_ms(now));
    ASSERT_TRUE(sub);
    EXPECT_EQ(rows.front(), frame_candles(*sub).at(0).first);
    // Made-up history before the start: traded (volume > 0), and the same for the same seed.
    EXPECT_GT(num(rows.back()[5]), 0);
    const auto old_end = std::stoll(rows.back()[0]) + 10 * 60'000;
    const auto again =
        kline_rows(*m.rest_kline("BTCUSDT", model::kline_interval::m1, 0, old_end, 5, at_ms(now)));
    ASSERT_EQ(again.size(), 5U);
    EXPECT_EQ(again.front(), rows[rows.size() - 11]);
    EXPECT_EQ(again.back(), rows[rows.size() - 7]);
}

TEST(MarketRestTest, KlineRespectsStartEndAndLimitForEveryInterval) {
    market_model m{config(model::category::spot)};
    const std::int64_t now = t0_ms + 12'345;
    for (const char* name :
         {"1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"}) {
        const auto iv = *model::parse_kline_interval(name);
        const auto all = kline_rows(*m.rest_kline("ETHUSDT", iv, 0, far_ms, 1000, at_ms(now)));
        const std::int64_t minutes = std::string_view(name) == "D"   ? 1440
                                     : std::string_view(name) == "W" ? 10080
                                     : std::string_view(name) == "M" ? 0
                                                                     : std::stoll(name);
        // Monthly history reaches back to 1970, the others 1000 candles.
        ASSERT_EQ(all.size(), minutes == 0 ? 680U : 1000U) << name;
        expect_continuous(all, minutes * 60'000);
        EXPECT_LE(std::stoll(all.front()[0]), now) << name;
        // A window in the past: starts within [start, end], newest first, at most limit.
        const std::int64_t end = std::stoll(all[10][0]) + 1;
        const std::int64_t start = std::stoll(all[40][0]);
        const auto window = kline_rows(*m.rest_kline("ETHUSDT", iv, start, end, 1000, at_ms(now)));
        ASSERT_EQ(window.size(), 31U) << name;
        EXPECT_EQ(window.front(), all[10]) << name;
        EXPECT_EQ(window.back(), all[40]) << name;
        const auto limited = kline_rows(*m.rest_kline("ETHUSDT", iv, start, end, 7, at_ms(now)));
        ASSERT_EQ(limited.size(), 7U) << name;
        EXPECT_EQ(limited.front(), all[10]) << name;
    }
    EXPECT_FALSE(m.rest_kline("NOPE", model::kline_interval::m1, 0, far_ms, 10, at_ms(now)));
}

struct oi_row {
    std::string oi;
    std::int64_t ts = 0;
};

std::vector<oi_row> oi_rows(const std::string& result) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    const std::string closed = result + "}";
    EXPECT_EQ(p.parse(closed).get(doc), simdjson::SUCCESS) << closed;
    std::vector<oi_row> out;
    for (auto e : doc["list"].get_array()) {
        out.push_back({std::string(std::string_view(e["openInterest"])),
                       std::stoll(std::string(std::string_view(e["timestamp"])))});
    }
    return out;
}

std::string ticker_field(const market_model& m, const std::string& symbol, const char* key) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    const std::string t = m.rest_tickers(symbol);
    EXPECT_EQ(p.parse(t).get(doc), simdjson::SUCCESS);
    return std::string(std::string_view(doc["list"].at(0)[key]));
}

TEST(MarketRestTest, OpenInterestBucketsHoldTheTickerValueAtEachBoundary) {
    market_model m{config(model::category::linear)};
    ASSERT_TRUE(m.push_frame("tickers.BTCUSDT", at_ms(t0_ms + 1)));
    std::int64_t now = t0_ms + 1;
    std::vector<std::pair<std::int64_t, std::string>> at_boundary;
    for (int k = 1; k <= 3; ++k) {
        const std::int64_t boundary = t0_ms + k * 300'000;
        while (now + 50 < boundary) {
            m.step(at_ms(now += 50));
        }
        // Nothing trades between the last step and the boundary: the ticker now is the value.
        at_boundary.emplace_back(boundary, ticker_field(m, "BTCUSDT", "openInterest"));
        now = boundary;
        m.step(at_ms(now)); // rolls past the boundary first, then trades
    }
    std::int64_t next = 0;
    const auto rows =
        oi_rows(*m.rest_open_interest("BTCUSDT", 300'000, 0, far_ms, 50, at_ms(now + 10), next));
    ASSERT_EQ(rows.size(), 50U);
    EXPECT_NE(next, 0);
    EXPECT_EQ(rows.front().ts, t0_ms + 900'000); // the latest boundary
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
        EXPECT_EQ(rows[i].ts - rows[i + 1].ts, 300'000);
        EXPECT_GT(num(rows[i].oi), 0);
    }
    for (const auto& [ts, oi] : at_boundary) {
        const auto it =
            std::find_if(rows.begin(), rows.end(), [&](const oi_row& r) { return r.ts == ts; });
        ASSERT_NE(it, rows.end());
        EXPECT_EQ(it->oi, oi) << ts;
    }
    // Hourly buckets are the 5-minute values at the hour.
    const auto hourly =
        oi_rows(*m.rest_open_interest("BTCUSDT", 3'600'000, 0, far_ms, 3, at_ms(now + 10), next));
    ASSERT_EQ(hourly.size(), 3U);
    EXPECT_EQ(hourly[0].ts % 3'600'000, 0);
    // Paging: the next page starts where the cursor says and does not repeat.
    std::int64_t cursor = 0;
    const auto page1 =
        oi_rows(*m.rest_open_interest("BTCUSDT", 300'000, 0, far_ms, 10, at_ms(now), cursor));
    const auto page2 =
        oi_rows(*m.rest_open_interest("BTCUSDT", 300'000, 0, cursor, 10, at_ms(now), next));
    ASSERT_EQ(page2.size(), 10U);
    EXPECT_EQ(page1.back().ts - page2.front().ts, 300'000);
    // A start bound ends the pages: no cursor on the last one.
    const auto last = oi_rows(
        *m.rest_open_interest("BTCUSDT", 300'000, page1.back().ts, far_ms, 10, at_ms(now), next));
    EXPECT_EQ(last.size(), 10U);
    EXPECT_EQ(next, 0);
}

TEST(MarketRestTest, RecentTradesAreThePublicTradePushesNewestFirst) {
    for (const auto cat : {model::category::linear, model::category::spot}) {
        market_model m{config(cat)};
        const std::string topic = "publicTrade.BTCUSDT";
        ASSERT_FALSE(m.push_frame(topic, at_ms(t0_ms)));
        std::vector<std::string> pushed; // "id price size side time"
        std::int64_t now = t0_ms;
        simdjson::dom::parser p;
        for (int i = 0; i < 3000; ++i) {
            m.step(at_ms(now += 5));
            if (const auto f = m.push_frame(topic, at_ms(now))) {
                simdjson::dom::element doc;
                ASSERT_EQ(p.parse(*f).get(doc), simdjson::SUCCESS);
                for (auto t : doc["data"].get_array()) {
                    pushed.push_back(std::string(std::string_view(t["i"])) + " " +
                                     std::string(std::string_view(t["p"])) + " " +
                                     std::string(std::string_view(t["v"])) + " " +
                                     std::string(std::string_view(t["S"])) + " " +
                                     std::to_string(std::int64_t(t["T"])));
                }
            }
        }
        ASSERT_GT(pushed.size(), 60U);
        const std::string result = *m.rest_recent_trades("BTCUSDT", 60);
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(result).get(doc), simdjson::SUCCESS) << result;
        std::vector<std::string> rest;
        for (auto t : doc["list"].get_array()) {
            EXPECT_EQ(std::string_view(t["symbol"]), "BTCUSDT");
            EXPECT_FALSE(bool(t["isBlockTrade"]));
            rest.push_back(std::string(std::string_view(t["execId"])) + " " +
                           std::string(std::string_view(t["price"])) + " " +
                           std::string(std::string_view(t["size"])) + " " +
                           std::string(std::string_view(t["side"])) + " " +
                           std::string(std::string_view(t["time"])));
        }
        const std::vector<std::string> expected(pushed.rbegin(), pushed.rbegin() + 60);
        EXPECT_EQ(rest, expected);
    }
}

TEST(MarketRestTest, SetTurnoverChangesTheTickerRanking) {
    market_model m{config(model::category::linear)};
    ASSERT_TRUE(m.set_turnover("BTCUSDT", 5'000'000));
    ASSERT_TRUE(m.set_turnover("ETHUSDT", 9'000'000.5));
    EXPECT_EQ(ticker_field(m, "BTCUSDT", "turnover24h"), "5000000.0000");
    EXPECT_EQ(ticker_field(m, "ETHUSDT", "turnover24h"), "9000000.5000");
    ASSERT_TRUE(m.set_turnover("BTCUSDT", 12'000'000));
    EXPECT_GT(num(ticker_field(m, "BTCUSDT", "turnover24h")),
              num(ticker_field(m, "ETHUSDT", "turnover24h")));
    EXPECT_FALSE(m.set_turnover("NOPE", 1));
    EXPECT_FALSE(m.set_turnover("BTCUSDT", -1));
}

TEST(MarketRestTest, RatioFundingAndRiskLimitAreDeterministic) {
    market_model a{config(model::category::linear)};
    market_model b{config(model::category::linear)};
    const auto now = at_ms(t0_ms + 7);
    std::int64_t next_a = 0;
    std::int64_t next_b = 0;
    const auto ra = *a.rest_account_ratio("BTCUSDT", 3'600'000, 0, far_ms, 5, now, next_a);
    EXPECT_EQ(ra, *b.rest_account_ratio("BTCUSDT", 3'600'000, 0, far_ms, 5, now, next_b));
    EXPECT_EQ(next_a, t0_ms - (t0_ms % 3'600'000) - 5 * 3'600'000);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(ra + "}").get(doc), simdjson::SUCCESS) << ra;
    for (auto e : doc["list"].get_array()) {
        EXPECT_NEAR(num(std::string(std::string_view(e["buyRatio"]))) +
                        num(std::string(std::string_view(e["sellRatio"]))),
                    1.0, 1e-9);
    }
    const auto fa = *a.rest_funding_history("BTCUSDT", 0, far_ms, 3, now);
    EXPECT_EQ(fa, *b.rest_funding_history("BTCUSDT", 0, far_ms, 3, now));
    ASSERT_EQ(p.parse(fa).get(doc), simdjson::SUCCESS) << fa;
    std::int64_t prev = 0;
    for (auto e : doc["list"].get_array()) {
        const auto ts = std::stoll(std::string(std::string_view(e["fundingRateTimestamp"])));
        EXPECT_EQ(ts % (8 * 3'600'000), 0);
        EXPECT_LE(ts, t0_ms);
        if (prev != 0) {
            EXPECT_EQ(prev - ts, 8 * 3'600'000);
        }
        prev = ts;
    }
    const auto risk = *a.rest_risk_limit("BTCUSDT");
    ASSERT_EQ(p.parse(risk).get(doc), simdjson::SUCCESS) << risk;
    EXPECT_EQ(doc["list"].get_array().size(), 10U);
    EXPECT_EQ(std::int64_t(doc["list"].at(0)["isLowestRisk"]), 1);
    EXPECT_FALSE(a.rest_risk_limit("NOPE"));
    EXPECT_EQ(p.parse(*a.rest_risk_limit("")).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(doc["list"].get_array().size(), 20U);
}

// The `b`, `a` and `u` of a REST order book (levels as text pairs, best first).
book_truth rest_book(const market_model& m, std::size_t limit, std::int64_t now_ms) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    const auto text = m.rest_orderbook("BTCUSDT", limit, at_ms(now_ms));
    book_truth out;
    if (!text || p.parse(*text).get(doc) != simdjson::SUCCESS) {
        ADD_FAILURE() << text.value_or("no answer");
        return out;
    }
    const auto side = [](simdjson::dom::element levels, auto& into) {
        for (auto l : levels.get_array()) {
            into.emplace_back(std::string_view(l.at(0)), std::string_view(l.at(1)));
        }
    };
    side(doc["b"], out.bids);
    side(doc["a"], out.asks);
    out.u = std::uint64_t(doc["u"]);
    EXPECT_EQ(std::int64_t(doc["ts"]), now_ms);
    return out;
}

template <class Levels> Levels first(const Levels& levels, std::size_t n) {
    return Levels(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(n));
}

TEST(MarketRestTest, OrderbookIsTheBookNowWithTheDeepestTopicsUpdateId) {
    for (const auto cat :
         {model::category::spot, model::category::linear, model::category::inverse}) {
        SCOPED_TRACE(std::string(model::to_string(cat)));
        market_model m{config(cat)};
        const std::string topic = "orderbook.50.BTCUSDT";
        const std::string deepest = "orderbook.1000.BTCUSDT";
        std::int64_t now = t0_ms;
        ASSERT_TRUE(m.subscribe_frame(topic, at_ms(now)));
        const std::uint64_t unused_u = m.truth(deepest)->u; // the id it would start from
        for (int round = 0; round < 3; ++round) {
            for (int i = 0; i < 200; ++i) {
                m.step(at_ms(now += 5));
            }
            (void)m.push_frame(topic, at_ms(now)); // the stream catches up with the book
            const auto truth = *m.truth(topic);
            ASSERT_EQ(truth.bids.size(), 50U);
            for (const std::size_t limit : {50U, 7U}) {
                const auto rest = rest_book(m, limit, now);
                EXPECT_EQ(rest.bids, first(truth.bids, limit)); // formatted as the stream's
                EXPECT_EQ(rest.asks, first(truth.asks, limit));
                EXPECT_EQ(rest.u, unused_u);
            }
        }
        // Once the deepest topic is used, u is the one it last sent, whatever the book does.
        ASSERT_TRUE(m.push_frame(deepest, at_ms(now)));
        m.step(at_ms(now += 5));
        (void)m.push_frame(deepest, at_ms(now));
        const std::uint64_t sent_u = m.truth(deepest)->u;
        EXPECT_EQ(rest_book(m, 5, now).u, sent_u);
        for (int i = 0; i < 50; ++i) {
            m.step(at_ms(now += 5));
        }
        (void)m.push_frame(topic, at_ms(now));
        const auto later = rest_book(m, 50, now);
        EXPECT_EQ(later.bids, m.truth(topic)->bids); // the book now...
        EXPECT_EQ(later.u, sent_u); // ...with the id the deepest topic sent before: no splicing
        // No limit: the category's default.
        const auto dflt = rest_book(m, 0, now);
        EXPECT_EQ(static_cast<std::int64_t>(dflt.bids.size()),
                  detail::orderbook_limit(cat).fallback);
        EXPECT_FALSE(m.rest_orderbook("NOPE", 5, at_ms(now)));
    }
}

// --- REST parameter helpers --------------------------------------------------------------------

TEST(RestParamsTest, IntegersAreWholeDecimalsWithinBounds) {
    EXPECT_EQ(detail::parse_int_param("12", 1, 1000), 12);
    EXPECT_EQ(detail::parse_int_param("1000", 1, 1000), 1000);
    for (const char* bad : {"", "0", "1001", "-1", "+5", "1e3", "12x", " 12",
                            "99999999999999999999", "999999999999999999999", "nan", "1.5"}) {
        EXPECT_FALSE(detail::parse_int_param(bad, 1, 1000)) << bad;
    }
}

TEST(RestParamsTest, BucketNamesAndCursorsRoundTrip) {
    EXPECT_EQ(detail::bucket_ms("5min"), 300'000);
    EXPECT_EQ(detail::bucket_ms("1d"), day_ms);
    EXPECT_FALSE(detail::bucket_ms("5m"));
    EXPECT_FALSE(detail::bucket_ms(""));
    const std::string c = detail::encode_cursor(t0_ms);
    EXPECT_EQ(c.find(std::to_string(t0_ms)), std::string::npos); // opaque
    EXPECT_EQ(detail::decode_cursor(c, 300'000), t0_ms);
    EXPECT_FALSE(detail::decode_cursor(detail::encode_cursor(t0_ms + 1), 300'000)); // unaligned
    for (const char* bad : {"", "zz", "ffffffffffffffffff", "-1", "12 "}) {
        EXPECT_FALSE(detail::decode_cursor(bad, 300'000)) << bad;
    }
}

TEST(RestParamsTest, OrderbookLimitsAreBybitsPerCategory) {
    EXPECT_EQ(detail::orderbook_limit(model::category::spot).max, 200);
    EXPECT_EQ(detail::orderbook_limit(model::category::spot).fallback, 1);
    for (const auto cat : {model::category::linear, model::category::inverse}) {
        EXPECT_EQ(detail::orderbook_limit(cat).max, 500);
        EXPECT_EQ(detail::orderbook_limit(cat).fallback, 25);
    }
    EXPECT_EQ(detail::orderbook_limit(model::category::option).max, 25);
    EXPECT_EQ(detail::orderbook_limit(model::category::option).fallback, 1);
}

TEST(RestParamsTest, WindowLimiterAdmitsAtMostTheLimitInAnyWindow) {
    using tp = std::chrono::steady_clock::time_point;
    using namespace std::chrono_literals;
    detail::window_limiter<tp, std::chrono::steady_clock::duration> lim{3, 5s};
    const tp t{};
    EXPECT_TRUE(lim.admit(t));
    EXPECT_TRUE(lim.admit(t + 1s));
    EXPECT_TRUE(lim.admit(t + 2s));
    EXPECT_FALSE(lim.admit(t + 3s)); // 4th within 5 s
    EXPECT_FALSE(lim.idle(t + 4s));
    EXPECT_TRUE(lim.admit(t + 5s)); // the first left the window
    EXPECT_FALSE(lim.admit(t + 5s));
    EXPECT_TRUE(lim.admit(t + 7s)); // t+1s and t+2s left
    EXPECT_TRUE(lim.idle(t + 13s));
}

} // namespace
} // namespace mdg::sim
