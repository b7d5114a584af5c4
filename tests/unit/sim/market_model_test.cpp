#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "book/order_book.hpp"
#include "exchange/bybit/parse.hpp"
#include "model/fixed_point.hpp"
#include "sim/market_model.hpp"

namespace mdg::sim {
namespace {

using book::apply_status;
using book::book_state;
using book::order_book;
using exchange::bybit::decoded_frame;
using exchange::bybit::frame_type;
using levels = std::vector<std::pair<std::string, std::string>>;

// 2026-08-09 21:26:00 UTC, a minute boundary (the time of the real capture in tests/data).
constexpr std::int64_t t0_ms = 1'786'310'760'000;

unix_nanos at_ms(std::int64_t ms) {
    return unix_nanos::from_millis(ms);
}

model_config config(model::category cat, std::uint64_t seed = 7, std::size_t book_levels = 1000) {
    model_config c;
    c.cat = cat;
    c.seed = seed;
    c.book_levels = book_levels;
    if (cat == model::category::inverse) {
        c.symbols = {{"BTCUSD", 0, 2, 0}, {"ETHUSD", 0, 2, 0}};
    } else {
        c.symbols = {{"BTCUSDT", 0, 2, 3}, {"ETHUSDT", 0, 2, 2}};
    }
    return c;
}

// The gateway's side of the wire: its decoder and books, used exactly as the gateway uses them.
class client {
  public:
    explicit client(const market_model& m) : cat_(m.config().cat) {
        for (const symbol_config& s : m.config().symbols) {
            const model::instrument_spec spec{s.price_decimals, s.qty_decimals};
            registry_.intern(model::venue::bybit, cat_, s.symbol, spec);
            specs_[s.symbol] = spec;
        }
        ctx_.cat = cat_;
        ctx_.registry = &registry_;
    }

    /// Decodes a frame; fails the test on any error or unknown field.
    const decoded_frame* decode(std::string_view frame) {
        auto r = decoder_.decode(frame, ctx_);
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message()) << " in " << frame;
        if (!r) {
            return nullptr;
        }
        EXPECT_EQ((*r)->unknown_fields, 0U) << frame;
        return *r;
    }

    /// Decodes a frame that must fail; returns what the decoder read of it.
    exchange::bybit::decode_failure fail(std::string_view frame) {
        EXPECT_FALSE(decoder_.decode(frame, ctx_).has_value()) << frame;
        return decoder_.last_failure();
    }

    /// Decodes a book frame and applies it to the topic's book.
    apply_status apply(std::string_view topic, std::string_view frame) {
        const decoded_frame* f = decode(frame);
        if (f == nullptr || f->type != frame_type::orderbook) {
            ADD_FAILURE() << "not a book frame: " << frame;
            return apply_status::invalid;
        }
        return book(topic, f->topic.depth).apply(f->book);
    }

    order_book& book(std::string_view topic, std::size_t depth) {
        auto it = books_.find(std::string(topic));
        if (it == books_.end()) {
            it = books_.emplace(std::string(topic), order_book{depth}).first;
        }
        return it->second;
    }

    [[nodiscard]] levels side(const order_book& b, std::string_view symbol, bool bids) const {
        const auto& spec = specs_.at(std::string(symbol));
        const bool trim = cat_ == model::category::spot;
        levels out;
        const std::size_t n = bids ? b.bid_count() : b.ask_count();
        for (std::size_t i = 0; i < n; ++i) {
            const model::level& l = bids ? b.bid(i) : b.ask(i);
            out.emplace_back(model::to_fixed_string(l.px.raw, spec.price_decimals, trim),
                             model::to_fixed_string(l.sz.raw, spec.qty_decimals, trim));
        }
        return out;
    }

    /// Whether the client's book of `topic` holds exactly the model's truth.
    ::testing::AssertionResult matches(const market_model& m, std::string_view topic,
                                       std::string_view symbol) {
        const auto truth = m.truth(topic);
        if (!truth) {
            return ::testing::AssertionFailure() << "no truth for " << topic;
        }
        const order_book& b = books_.at(std::string(topic));
        if (b.state() != book_state::live) {
            return ::testing::AssertionFailure() << topic << " is " << to_string(b.state());
        }
        if (b.update_id() != truth->u) {
            return ::testing::AssertionFailure()
                   << topic << ": u " << b.update_id() << " != truth " << truth->u;
        }
        if (side(b, symbol, true) != truth->bids) {
            return ::testing::AssertionFailure() << topic << ": bids differ from the truth";
        }
        if (side(b, symbol, false) != truth->asks) {
            return ::testing::AssertionFailure() << topic << ": asks differ from the truth";
        }
        if (!b.check_invariants()) {
            return ::testing::AssertionFailure() << topic << ": book invariants broken";
        }
        return ::testing::AssertionSuccess();
    }

  private:
    model::category cat_;
    model::instrument_registry registry_;
    std::map<std::string, model::instrument_spec> specs_;
    exchange::bybit::parse_context ctx_;
    exchange::bybit::decoder decoder_;
    std::map<std::string, order_book> books_;
};

// --- JSON helpers (simdjson DOM, which keeps the document's key order) -------------------------

std::vector<std::string> keys_of(simdjson::dom::element e) {
    std::vector<std::string> keys;
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        ADD_FAILURE() << "not an object";
        return keys;
    }
    for (auto field : obj) {
        keys.emplace_back(field.key);
    }
    return keys;
}

std::vector<std::string> top_keys(simdjson::dom::parser& p, const std::string& frame) {
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(frame).get(doc), simdjson::SUCCESS) << frame;
    return keys_of(doc);
}

std::vector<std::string> split(std::string_view csv) {
    std::vector<std::string> out;
    while (!csv.empty()) {
        const auto comma = csv.find(',');
        out.emplace_back(csv.substr(0, comma));
        csv = comma == std::string_view::npos ? std::string_view{} : csv.substr(comma + 1);
    }
    return out;
}

// Linear numbers carry exactly `decimals` digits after the point.
bool padded(std::string_view s, int decimals) {
    const auto dot = s.find('.');
    if (decimals == 0) {
        return dot == std::string_view::npos;
    }
    return dot != std::string_view::npos && static_cast<int>(s.size() - dot - 1) == decimals;
}

// Spot numbers never end in a fractional zero or a bare point.
bool trimmed(std::string_view s) {
    const auto dot = s.find('.');
    return dot == std::string_view::npos || (s.back() != '0' && s.back() != '.');
}

// Every [price, size] pair of the book arrays in a book frame's data.
std::vector<std::pair<std::string, std::string>> book_numbers(simdjson::dom::parser& p,
                                                              const std::string& frame) {
    std::vector<std::pair<std::string, std::string>> out;
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(frame).get(doc), simdjson::SUCCESS);
    for (const char* side : {"b", "a"}) {
        simdjson::dom::array arr;
        EXPECT_EQ(doc["data"][side].get_array().get(arr), simdjson::SUCCESS);
        for (auto lvl : arr) {
            std::string_view px;
            std::string_view sz;
            EXPECT_EQ(lvl.at(0).get_string().get(px), simdjson::SUCCESS);
            EXPECT_EQ(lvl.at(1).get_string().get(sz), simdjson::SUCCESS);
            out.emplace_back(px, sz);
        }
    }
    return out;
}

// --- books -------------------------------------------------------------------------------------

void check_deltas_reproduce_the_truth(model::category cat, int depth_value) {
    const auto depth = static_cast<std::size_t>(depth_value);
    SCOPED_TRACE(std::string(model::to_string(cat)) + " depth " + std::to_string(depth));
    market_model m{config(cat, 11)};
    client c{m};
    std::int64_t now = t0_ms;
    for (int i = 0; i < 200; ++i) {
        m.step(at_ms(now += 5));
    }
    const std::vector<std::pair<std::string, std::string>> topics{
        {"orderbook." + std::to_string(depth) + ".BTCUSDT", "BTCUSDT"},
        {"orderbook." + std::to_string(depth) + ".ETHUSDT", "ETHUSDT"}};
    std::map<std::string, std::uint64_t> last_u;
    for (const auto& [topic, symbol] : topics) {
        const auto snap = m.subscribe_frame(topic, at_ms(now));
        ASSERT_TRUE(snap);
        ASSERT_EQ(c.apply(topic, *snap), apply_status::applied);
        ASSERT_TRUE(c.matches(m, topic, symbol));
        last_u[topic] = c.book(topic, depth).update_id();
        const auto t = m.truth(topic);
        ASSERT_EQ(t->bids.size(), depth);
        ASSERT_EQ(t->asks.size(), depth);
    }
    const int steps = depth == 1000 ? 2500 : 4000;
    int frames = 0;
    int deletions = 0;
    for (int i = 0; i < steps;) {
        const int burst = 1 + i % 4;
        for (int k = 0; k < burst; ++k, ++i) {
            m.step(at_ms(now += 5));
        }
        for (const auto& [topic, symbol] : topics) {
            const auto frame = m.push_frame(topic, at_ms(now));
            if (!frame) {
                continue;
            }
            ++frames;
            if (frame->find(",\"0\"]") != std::string::npos) {
                ++deletions;
            }
            ASSERT_EQ(c.apply(topic, *frame), apply_status::applied) << *frame;
            const std::uint64_t u = c.book(topic, depth).update_id();
            if (depth == 1) {
                ASSERT_TRUE(u == last_u[topic] + 1 || u == last_u[topic]) << *frame;
            } else {
                ASSERT_EQ(u, last_u[topic] + 1);
            }
            last_u[topic] = u;
            ASSERT_TRUE(c.matches(m, topic, symbol)) << "after step " << i;
        }
    }
    EXPECT_GT(frames, depth == 1 ? steps / 10 : steps / 4); // level 1 changes less often
    if (depth > 1) {
        EXPECT_GT(deletions, 10); // levels do leave the top N
    }
}

TEST(MarketModelTest, DeltasReproduceTheTruthAtEveryDepth) {
    for (const auto cat : {model::category::linear, model::category::spot}) {
        for (const int depth : {1, 50, 200, 1000}) {
            check_deltas_reproduce_the_truth(cat, depth);
        }
    }
}

TEST(MarketModelTest, BookFramesAreEmptyWhenNothingChanged) {
    market_model m{config(model::category::linear)};
    const std::string topic = "orderbook.50.BTCUSDT";
    ASSERT_TRUE(m.subscribe_frame(topic, at_ms(t0_ms)));
    EXPECT_FALSE(m.push_frame(topic, at_ms(t0_ms + 20)));
    EXPECT_FALSE(m.push_frame(topic, at_ms(t0_ms + 10'000)));
}

TEST(MarketModelTest, SubscribeSnapshotIsTheLastSentBookNotTheBookNow) {
    // A stream is shared by all subscribers: a late subscriber gets what the others hold, so
    // the next delta is right for everyone.
    market_model m{config(model::category::linear)};
    client early{m};
    client late{m};
    const std::string topic = "orderbook.200.BTCUSDT";
    std::int64_t now = t0_ms;
    ASSERT_EQ(early.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    for (int i = 0; i < 300; ++i) {
        m.step(at_ms(now += 5));
        if (i % 7 == 0) {
            if (auto f = m.push_frame(topic, at_ms(now))) {
                ASSERT_EQ(early.apply(topic, *f), apply_status::applied);
            }
        }
    }
    for (int i = 0; i < 20; ++i) {
        m.step(at_ms(now += 5)); // changes not pushed yet
    }
    ASSERT_EQ(late.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    EXPECT_TRUE(late.matches(m, topic, "BTCUSDT"));
    const auto f = m.push_frame(topic, at_ms(now));
    ASSERT_TRUE(f);
    ASSERT_EQ(early.apply(topic, *f), apply_status::applied);
    ASSERT_EQ(late.apply(topic, *f), apply_status::applied);
    EXPECT_TRUE(early.matches(m, topic, "BTCUSDT"));
    EXPECT_TRUE(late.matches(m, topic, "BTCUSDT"));
}

TEST(MarketModelTest, FreshTopicsStartAtASeedDerivedUpdateId) {
    market_model a{config(model::category::linear, 5)};
    market_model b{config(model::category::linear, 6)};
    const auto ua = a.truth("orderbook.50.BTCUSDT")->u;
    EXPECT_GT(ua, 1U);
    EXPECT_EQ(ua,
              market_model{config(model::category::linear, 5)}.truth("orderbook.50.BTCUSDT")->u);
    EXPECT_NE(ua, b.truth("orderbook.50.BTCUSDT")->u);
    EXPECT_NE(ua, a.truth("orderbook.200.BTCUSDT")->u);
}

// --- determinism -------------------------------------------------------------------------------

std::vector<std::string> run_scenario(std::uint64_t seed, model::category cat) {
    market_model m{config(cat, seed)};
    std::vector<std::string> topics{"orderbook.1.BTCUSDT",    "orderbook.50.BTCUSDT",
                                    "orderbook.1000.ETHUSDT", "publicTrade.BTCUSDT",
                                    "tickers.ETHUSDT",        "kline.1.BTCUSDT"};
    if (cat != model::category::spot) {
        topics.emplace_back("allLiquidation.BTCUSDT");
    }
    std::vector<std::string> frames;
    std::int64_t now = t0_ms;
    for (const auto& t : topics) {
        if (auto f = m.subscribe_frame(t, at_ms(now))) {
            frames.push_back(std::move(*f));
        }
    }
    for (int i = 0; i < 3000; ++i) {
        m.step(at_ms(now += 37));
        if (i % 3 == 0) {
            for (const auto& t : topics) {
                if (auto f = m.push_frame(t, at_ms(now))) {
                    frames.push_back(std::move(*f));
                }
            }
        }
        if (i == 1000) {
            m.skip_update("orderbook.50.BTCUSDT");
        }
        if (i == 2000) {
            m.restart();
        }
    }
    frames.push_back(m.rest_tickers(""));
    frames.push_back(*m.rest_orderbook("BTCUSDT", 200, at_ms(now)));
    return frames;
}

TEST(MarketModelTest, SameSeedGivesIdenticalFramesAndOtherSeedsDiffer) {
    for (const auto cat : {model::category::linear, model::category::spot}) {
        const auto a = run_scenario(42, cat);
        const auto b = run_scenario(42, cat);
        const auto c = run_scenario(43, cat);
        ASSERT_GT(a.size(), 1000U);
        EXPECT_EQ(a, b);
        EXPECT_NE(a, c);
    }
}

// --- frame shapes ------------------------------------------------------------------------------

// Collects one frame of each kind for BTCUSDT by running the market until each has appeared.
std::map<std::string, std::vector<std::string>> sample_frames(market_model& m) {
    const bool spot = m.config().cat == model::category::spot;
    std::vector<std::string> topics{"orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT",
                                    "publicTrade.BTCUSDT", "tickers.BTCUSDT", "kline.1.BTCUSDT"};
    if (!spot) {
        topics.emplace_back("allLiquidation.BTCUSDT");
    }
    std::map<std::string, std::vector<std::string>> out;
    std::int64_t now = t0_ms;
    for (const auto& t : topics) {
        if (auto f = m.subscribe_frame(t, at_ms(now))) {
            out[t].push_back(std::move(*f));
        }
    }
    for (int i = 0; i < 6000; ++i) {
        m.step(at_ms(now += 11));
        for (const auto& t : topics) {
            if (auto f = m.push_frame(t, at_ms(now))) {
                out[t].push_back(std::move(*f));
            }
        }
    }
    return out;
}

TEST(MarketModelTest, LinearFramesHaveBybitKeyOrderAndPaddedNumbers) {
    market_model m{config(model::category::linear)};
    auto frames = sample_frames(m);
    simdjson::dom::parser p;
    const auto& book50 = frames["orderbook.50.BTCUSDT"];
    ASSERT_GE(book50.size(), 2U);
    EXPECT_EQ(top_keys(p, book50[0]), split("topic,type,ts,data,cts"));
    EXPECT_EQ(top_keys(p, book50[1]), split("topic,type,ts,data,cts"));
    EXPECT_NE(book50[0].find("\"type\":\"snapshot\""), std::string::npos);
    EXPECT_NE(book50[1].find("\"type\":\"delta\""), std::string::npos);
    EXPECT_EQ(top_keys(p, frames["orderbook.1.BTCUSDT"].at(0)), split("topic,ts,type,data,cts"));
    EXPECT_EQ(top_keys(p, frames["tickers.BTCUSDT"].at(0)), split("topic,type,data,cs,ts"));
    EXPECT_EQ(top_keys(p, frames["kline.1.BTCUSDT"].at(0)), split("topic,data,ts,type"));
    EXPECT_EQ(top_keys(p, frames["publicTrade.BTCUSDT"].at(0)), split("topic,type,ts,data"));
    EXPECT_EQ(top_keys(p, frames["allLiquidation.BTCUSDT"].at(0)), split("topic,type,ts,data"));

    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(book50[1]).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"]), split("s,b,a,u,seq"));
    ASSERT_EQ(p.parse(frames["publicTrade.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"].at(0)), split("T,s,S,v,p,L,i,BT,RPI,seq"));
    std::string_view id;
    ASSERT_EQ(doc["data"].at(0)["i"].get_string().get(id), simdjson::SUCCESS);
    ASSERT_EQ(id.size(), 36U); // a UUID
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[14], '5');
    ASSERT_EQ(p.parse(frames["allLiquidation.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"].at(0)), split("T,s,S,v,p"));
    ASSERT_EQ(p.parse(frames["tickers.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"]),
              split("symbol,tickDirection,price24hPcnt,lastPrice,prevPrice24h,highPrice24h,"
                    "lowPrice24h,prevPrice1h,markPrice,indexPrice,openInterest,"
                    "openInterestValue,turnover24h,volume24h,fundingIntervalHour,fundingCap,"
                    "singleOpenInterest,singleOpenInterestValue,nextFundingTime,fundingRate,"
                    "bid1Price,bid1Size,ask1Price,ask1Size,preOpenPrice,preQty,"
                    "curPreListingPhase"));
    std::string_view last;
    ASSERT_EQ(doc["data"]["lastPrice"].get_string().get(last), simdjson::SUCCESS);
    EXPECT_TRUE(padded(last, 2)) << last;
    ASSERT_EQ(p.parse(frames["kline.1.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"].at(0)),
              split("start,end,interval,open,close,high,low,volume,turnover,confirm,timestamp"));

    // Prices pad to the tick (2 decimals), sizes to the lot (3); deletions are a bare "0".
    int checked = 0;
    for (const auto& f : book50) {
        for (const auto& [px, sz] : book_numbers(p, f)) {
            EXPECT_TRUE(padded(px, 2)) << px;
            EXPECT_TRUE(sz == "0" || padded(sz, 3)) << sz;
            ++checked;
        }
    }
    EXPECT_GT(checked, 1000);
    EXPECT_NE(book50[0].find("\"s\":\"BTCUSDT\""), std::string::npos);
}

TEST(MarketModelTest, SpotFramesHaveBybitKeyOrderAndTrimmedNumbers) {
    market_model m{config(model::category::spot)};
    auto frames = sample_frames(m);
    simdjson::dom::parser p;
    const auto& book50 = frames["orderbook.50.BTCUSDT"];
    ASSERT_GE(book50.size(), 2U);
    EXPECT_EQ(top_keys(p, book50[0]), split("topic,ts,type,data,cts"));
    EXPECT_EQ(top_keys(p, book50[1]), split("topic,ts,type,data,cts"));
    EXPECT_EQ(top_keys(p, frames["orderbook.1.BTCUSDT"].at(0)), split("topic,ts,type,data,cts"));
    EXPECT_EQ(top_keys(p, frames["tickers.BTCUSDT"].at(0)), split("topic,ts,type,cs,data"));
    EXPECT_EQ(top_keys(p, frames["kline.1.BTCUSDT"].at(0)), split("type,topic,data,ts"));
    EXPECT_EQ(top_keys(p, frames["publicTrade.BTCUSDT"].at(0)), split("topic,ts,type,data"));
    EXPECT_FALSE(m.serves("allLiquidation.BTCUSDT"));

    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(frames["publicTrade.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"].at(0)), split("i,T,p,v,S,seq,s,BT,RPI"));
    std::string_view id;
    ASSERT_EQ(doc["data"].at(0)["i"].get_string().get(id), simdjson::SUCCESS);
    EXPECT_TRUE(std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        << id;
    ASSERT_EQ(p.parse(frames["tickers.BTCUSDT"].at(0)).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(keys_of(doc["data"]), split("symbol,lastPrice,highPrice24h,lowPrice24h,"
                                          "prevPrice24h,volume24h,turnover24h,price24hPcnt,"
                                          "usdIndexPrice"));
    for (const auto& f : frames["tickers.BTCUSDT"]) {
        EXPECT_NE(f.find("\"type\":\"snapshot\""), std::string::npos); // spot: snapshots only
    }

    int checked = 0;
    bool saw_integer_price = false;
    for (const auto& f : book50) {
        for (const auto& [px, sz] : book_numbers(p, f)) {
            EXPECT_TRUE(trimmed(px)) << px;
            EXPECT_TRUE(trimmed(sz)) << sz;
            saw_integer_price = saw_integer_price || px.find('.') == std::string::npos;
            ++checked;
        }
    }
    EXPECT_GT(checked, 1000);
    EXPECT_TRUE(saw_integer_price); // "65140", not "65140.00"
}

TEST(MarketModelTest, EveryFrameDecodesWithoutErrorsOrUnknownFields) {
    for (const auto cat :
         {model::category::linear, model::category::spot, model::category::inverse}) {
        SCOPED_TRACE(std::string(model::to_string(cat)));
        market_model m{config(cat, 3)};
        client c{m};
        const bool spot = cat == model::category::spot;
        const std::string btc = cat == model::category::inverse ? "BTCUSD" : "BTCUSDT";
        const std::string eth = cat == model::category::inverse ? "ETHUSD" : "ETHUSDT";
        std::vector<std::string> topics;
        for (const auto& sym : {btc, eth}) {
            for (const char* prefix :
                 {"orderbook.1.", "orderbook.50.", "orderbook.200.", "orderbook.1000.",
                  "publicTrade.", "tickers.", "kline.1.", "kline.5.", "kline.60.", "kline.D.",
                  "kline.W.", "kline.M."}) {
                topics.push_back(prefix + sym);
            }
            if (!spot) {
                topics.push_back("allLiquidation." + sym);
            }
        }
        std::map<frame_type, int> counts;
        std::int64_t now = t0_ms;
        const auto take = [&](const std::optional<std::string>& f) {
            if (f) {
                if (const decoded_frame* d = c.decode(*f)) {
                    ++counts[d->type];
                }
            }
        };
        for (const auto& t : topics) {
            ASSERT_TRUE(m.serves(t)) << t;
            take(m.subscribe_frame(t, at_ms(now)));
        }
        for (int i = 0; i < 8000; ++i) {
            m.step(at_ms(now += 9));
            if (i % 5 == 0) {
                for (const auto& t : topics) {
                    take(m.push_frame(t, at_ms(now)));
                }
            }
        }
        EXPECT_GT(counts[frame_type::orderbook], 1000);
        EXPECT_GT(counts[frame_type::trade], 100);
        EXPECT_GT(counts[frame_type::ticker], 100);
        EXPECT_GT(counts[frame_type::kline], 100);
        if (!spot) {
            EXPECT_GT(counts[frame_type::liquidation], 0);
        }
    }
}

TEST(MarketModelTest, LiquidationsAreRareAndEachIsATakerTrade) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::string liq = "allLiquidation.BTCUSDT";
    const std::string trades = "publicTrade.BTCUSDT";
    EXPECT_FALSE(m.subscribe_frame(liq, at_ms(t0_ms)));
    EXPECT_FALSE(m.subscribe_frame(trades, at_ms(t0_ms)));
    std::vector<model::liquidation> liqs;
    std::map<std::int64_t, std::vector<model::trade>> trades_at; // by fill time
    std::int64_t now = t0_ms;
    const int steps = 40'000;
    for (int i = 0; i < steps; ++i) {
        m.step(at_ms(now += 3));
        if (const auto f = m.push_frame(trades, at_ms(now))) {
            const decoded_frame* d = c.decode(*f);
            ASSERT_NE(d, nullptr);
            for (const auto& t : d->trades) {
                trades_at[t.ts_exchange.millis()].push_back(t);
            }
        }
        if (const auto f = m.push_frame(liq, at_ms(now))) {
            const decoded_frame* d = c.decode(*f);
            ASSERT_NE(d, nullptr);
            ASSERT_EQ(d->type, frame_type::liquidation);
            liqs.insert(liqs.end(), d->liquidations.begin(), d->liquidations.end());
        }
    }
    EXPECT_GT(liqs.size(), 2U);
    EXPECT_LT(liqs.size(), static_cast<std::size_t>(steps / 500));
    for (const model::liquidation& l : liqs) {
        // A liquidated long is sold into the bids at or above its bankruptcy price.
        const auto& fills = trades_at[l.ts_exchange.millis()];
        ASSERT_FALSE(fills.empty());
        std::int64_t size = 0;
        for (const model::trade& t : fills) {
            EXPECT_NE(t.taker_side, l.position_side);
            if (l.position_side == model::side::buy) {
                EXPECT_GT(t.px.raw, l.px.raw);
            } else {
                EXPECT_LT(t.px.raw, l.px.raw);
            }
            size += t.sz.raw;
        }
        EXPECT_EQ(size, l.sz.raw);
    }
}

TEST(MarketModelTest, LevelOneResendsTheSameSnapshotAfterThreeSeconds) {
    for (const auto cat : {model::category::linear, model::category::spot}) {
        market_model m{config(cat)};
        client c{m};
        const std::string topic = "orderbook.1.BTCUSDT";
        const auto snap = m.subscribe_frame(topic, at_ms(t0_ms));
        ASSERT_TRUE(snap);
        ASSERT_EQ(c.apply(topic, *snap), apply_status::applied);
        const std::uint64_t u = m.truth(topic)->u;
        EXPECT_FALSE(m.push_frame(topic, at_ms(t0_ms + 1000)));
        EXPECT_FALSE(m.push_frame(topic, at_ms(t0_ms + 2999)));
        const auto again = m.push_frame(topic, at_ms(t0_ms + 3000));
        ASSERT_TRUE(again);
        const decoded_frame* d = c.decode(*again);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->book.kind, model::update_kind::snapshot);
        EXPECT_EQ(d->book.update_id, u);
        EXPECT_EQ(m.truth(topic)->u, u);
        // The same book, the same u: only the envelope time differs.
        const auto data_of = [](const std::string& f) {
            return f.substr(f.find("\"data\""));
        };
        EXPECT_EQ(data_of(*again), data_of(*snap));
        EXPECT_FALSE(m.push_frame(topic, at_ms(t0_ms + 5999)));
        EXPECT_TRUE(m.push_frame(topic, at_ms(t0_ms + 6000)));

        // A change of the top is a new snapshot with u + 1.
        std::int64_t now = t0_ms + 6000;
        std::optional<std::string> next;
        for (int i = 0; i < 1000 && !next; ++i) {
            m.step(at_ms(now += 1));
            next = m.push_frame(topic, at_ms(now));
        }
        ASSERT_TRUE(next);
        d = c.decode(*next);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->book.kind, model::update_kind::snapshot);
        EXPECT_EQ(d->book.update_id, u + 1);
    }
}

// --- klines ------------------------------------------------------------------------------------

struct ohlcv {
    std::int64_t open = 0;
    std::int64_t high = 0;
    std::int64_t low = 0;
    std::int64_t close = 0;
    std::int64_t volume = 0;
    int trades = 0;
};

TEST(MarketModelTest, KlineConfirmsTheCandleWhenTheMinuteCloses) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::string topic = "kline.1.BTCUSDT";
    const std::string trades = "publicTrade.BTCUSDT";
    EXPECT_FALSE(m.subscribe_frame(topic, at_ms(t0_ms))); // nothing pushed yet
    EXPECT_FALSE(m.subscribe_frame(trades, at_ms(t0_ms)));
    std::int64_t now = t0_ms;
    ohlcv agg;
    // The candle aggregates exactly the trades of its minute.
    const auto collect_trades = [&] {
        if (const auto f = m.push_frame(trades, at_ms(now))) {
            const decoded_frame* d = c.decode(*f);
            ASSERT_NE(d, nullptr);
            for (const model::trade& t : d->trades) {
                if (t.ts_exchange.millis() >= t0_ms + 60'000) {
                    continue;
                }
                ++agg.trades;
                agg.high = std::max(agg.high, t.px.raw);
                agg.low = std::min(agg.low, t.px.raw);
                agg.close = t.px.raw;
                agg.volume += t.sz.raw;
            }
        }
    };
    auto first = m.push_frame(topic, at_ms(now));
    ASSERT_TRUE(first);
    {
        // The candle opens at the previous close (the last price when it started), as Bybit's
        // klines do: the open is not the first trade's price.
        const decoded_frame* d = c.decode(*first);
        ASSERT_NE(d, nullptr);
        ASSERT_EQ(d->klines.size(), 1U);
        agg.open = agg.high = agg.low = agg.close = d->klines[0].open.raw;
    }
    for (int i = 0; i < 5000; ++i) { // 50 s of the first minute
        m.step(at_ms(now += 10));
        collect_trades();
        if (i % 50 == 0) {
            if (const auto f = m.push_frame(topic, at_ms(now))) {
                const decoded_frame* d = c.decode(*f);
                ASSERT_NE(d, nullptr);
                ASSERT_EQ(d->klines.size(), 1U);
                EXPECT_FALSE(d->klines[0].confirm);
            }
        }
    }
    ASSERT_GT(agg.trades, 10);
    now = t0_ms + 60'000 + 5;
    m.step(at_ms(now));
    const auto closing = m.push_frame(topic, at_ms(now));
    ASSERT_TRUE(closing);
    const decoded_frame* d = c.decode(*closing);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->klines.size(), 2U) << *closing; // linear: closed + new in one message
    const model::kline& closed = d->klines[0];
    EXPECT_TRUE(closed.confirm);
    EXPECT_EQ(closed.start.millis(), t0_ms);
    EXPECT_EQ(closed.end.millis(), t0_ms + 59'999);
    EXPECT_EQ(closed.open.raw, agg.open);
    EXPECT_EQ(closed.high.raw, agg.high);
    EXPECT_EQ(closed.low.raw, agg.low);
    EXPECT_EQ(closed.close.raw, agg.close);
    EXPECT_EQ(closed.volume, (model::decimal{agg.volume, 3}));
    EXPECT_FALSE(d->klines[1].confirm);
    EXPECT_EQ(d->klines[1].start.millis(), t0_ms + 60'000);
    // Once pushed, a subscriber gets the forming candle.
    const auto sub = m.subscribe_frame(topic, at_ms(now));
    ASSERT_TRUE(sub);
    d = c.decode(*sub);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->klines.size(), 1U);
    EXPECT_EQ(d->klines[0].start.millis(), t0_ms + 60'000);
}

TEST(MarketModelTest, SpotKlineSendsTheClosedCandleAlone) {
    market_model m{config(model::category::spot)};
    client c{m};
    const std::string topic = "kline.1.BTCUSDT";
    std::int64_t now = t0_ms + 1000;
    ASSERT_TRUE(m.push_frame(topic, at_ms(now)));
    for (int i = 0; i < 100; ++i) {
        m.step(at_ms(now += 100));
    }
    now = t0_ms + 60'000 + 1;
    const auto closing = m.push_frame(topic, at_ms(now));
    ASSERT_TRUE(closing);
    const decoded_frame* d = c.decode(*closing);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->klines.size(), 1U);
    EXPECT_TRUE(d->klines[0].confirm);
    EXPECT_EQ(d->klines[0].start.millis(), t0_ms);
    const auto next = m.push_frame(topic, at_ms(now + 1));
    ASSERT_TRUE(next);
    d = c.decode(*next);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->klines.size(), 1U);
    EXPECT_FALSE(d->klines[0].confirm);
    EXPECT_EQ(d->klines[0].start.millis(), t0_ms + 60'000);
    EXPECT_FALSE(m.push_frame(topic, at_ms(now + 2)));
}

TEST(MarketModelTest, KlineIntervalsAlignToBybitBoundaries) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::int64_t now = t0_ms + 754; // 2026-08-09 (a Sunday) 21:26:00.754 UTC
    const std::map<std::string, std::pair<std::int64_t, std::int64_t>> expected{
        {"1", {t0_ms, t0_ms + 59'999}},
        {"5", {t0_ms - 60'000, t0_ms + 240'000 - 1}},           // 21:25
        {"60", {t0_ms - 26 * 60'000, t0_ms + 34 * 60'000 - 1}}, // 21:00
        {"720", {1'786'276'800'000, 1'786'320'000'000 - 1}},    // 12:00
        {"D", {1'786'233'600'000, 1'786'320'000'000 - 1}},      // 2026-08-09
        {"W", {1'785'715'200'000, 1'786'320'000'000 - 1}},      // Monday 2026-08-03
        {"M", {1'785'542'400'000, 1'788'220'799'999}},          // 2026-08-01 .. 08-31
    };
    for (const auto& [iv, range] : expected) {
        const auto f = m.push_frame("kline." + iv + ".BTCUSDT", at_ms(now));
        ASSERT_TRUE(f) << iv;
        const decoded_frame* d = c.decode(*f);
        ASSERT_NE(d, nullptr);
        ASSERT_EQ(d->klines.size(), 1U);
        EXPECT_EQ(d->klines[0].start.millis(), range.first) << iv;
        EXPECT_EQ(d->klines[0].end.millis(), range.second) << iv;
    }
}

// --- tickers -----------------------------------------------------------------------------------

TEST(MarketModelTest, LinearTickerSendsASnapshotThenOnlyChangedFields) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::string topic = "tickers.BTCUSDT";
    std::int64_t now = t0_ms;
    const auto snap = m.subscribe_frame(topic, at_ms(now));
    ASSERT_TRUE(snap);
    const decoded_frame* d = c.decode(*snap);
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->ticker.kind, model::update_kind::snapshot);
    model::ticker_fields cache = d->ticker.fields;
    EXPECT_GE(cache.count(), 24);
    EXPECT_TRUE(cache.has_direction);
    int deltas = 0;
    for (int i = 0; i < 3000; ++i) {
        m.step(at_ms(now += 7));
        if (i % 5 != 0) {
            continue;
        }
        const auto f = m.push_frame(topic, at_ms(now));
        if (!f) {
            continue;
        }
        d = c.decode(*f);
        ASSERT_NE(d, nullptr);
        ASSERT_EQ(d->ticker.kind, model::update_kind::delta) << *f;
        ++deltas;
        const model::ticker_fields& delta = d->ticker.fields;
        // Every field carried changed, except the other half of a bid or ask pair.
        for (std::size_t k = 0; k < model::ticker_field_count; ++k) {
            const auto field = static_cast<model::ticker_field>(k);
            if (!delta.has(field)) {
                continue;
            }
            using tf = model::ticker_field;
            const bool pair = field == tf::bid1_price || field == tf::bid1_size ||
                              field == tf::ask1_price || field == tf::ask1_size;
            if (!pair) {
                EXPECT_FALSE(cache.has(field) && cache.get(field) == delta.get(field))
                    << model::to_string(field) << " unchanged in " << *f;
            }
        }
        EXPECT_LT(delta.count(), cache.count());
        cache.merge(delta);
        // A subscriber now gets exactly what the merged cache holds.
        const auto fresh = m.subscribe_frame(topic, at_ms(now));
        ASSERT_TRUE(fresh);
        d = c.decode(*fresh);
        ASSERT_NE(d, nullptr);
        const model::ticker_fields& full = d->ticker.fields;
        EXPECT_EQ(full.present, cache.present);
        EXPECT_EQ(full.empty, cache.empty);
        EXPECT_EQ(full.direction, cache.direction);
        for (std::size_t k = 0; k < model::ticker_field_count; ++k) {
            EXPECT_EQ(full.values[k], cache.values[k]) << k;
        }
    }
    EXPECT_GT(deltas, 100);
}

TEST(MarketModelTest, TickerDayStatisticsRollOverTheLast24Hours) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::string trades = "publicTrade.BTCUSDT";
    EXPECT_FALSE(m.subscribe_frame(trades, at_ms(t0_ms)));
    std::vector<model::trade> all;
    std::int64_t now = t0_ms;
    for (int i = 0; i < 26 * 180; ++i) { // 26 h, an event every 20 s
        m.step(at_ms(now += 20'000));
        if (const auto f = m.push_frame(trades, at_ms(now))) {
            const decoded_frame* d = c.decode(*f);
            ASSERT_NE(d, nullptr);
            all.insert(all.end(), d->trades.begin(), d->trades.end());
        }
    }
    ASSERT_GT(all.size(), 500U);
    const auto snap = m.subscribe_frame("tickers.BTCUSDT", at_ms(now));
    ASSERT_TRUE(snap);
    const decoded_frame* d = c.decode(*snap);
    ASSERT_NE(d, nullptr);
    // The window is the current minute and the 1439 before it; prevPrice24h is the last price
    // at the end of the minute 24 h ago.
    const std::int64_t now_min = now / 60'000;
    std::int64_t volume = 0;
    std::int64_t prev_24h = 0;
    for (const model::trade& t : all) {
        const std::int64_t minute = t.ts_exchange.millis() / 60'000;
        if (minute > now_min - 1440) {
            volume += t.sz.raw;
        } else {
            prev_24h = t.px.raw;
        }
    }
    using tf = model::ticker_field;
    const model::ticker_fields& f = d->ticker.fields;
    EXPECT_EQ(f.get(tf::volume_24h), (model::decimal{volume, 3}));
    EXPECT_EQ(f.get(tf::prev_price_24h), (model::decimal{prev_24h, 2}));
    EXPECT_EQ(f.get(tf::last_price), (model::decimal{all.back().px.raw, 2}));
}

// --- faults ------------------------------------------------------------------------------------

TEST(MarketModelTest, SkipUpdateProducesExactlyOneGap) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::string topic = "orderbook.50.BTCUSDT";
    std::int64_t now = t0_ms;
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    int gaps = 0;
    for (int i = 0; i < 3000; ++i) {
        m.step(at_ms(now += 5));
        if (i == 1500) {
            EXPECT_TRUE(m.skip_update(topic));
        }
        if (i % 3 != 0) {
            continue;
        }
        const auto f = m.push_frame(topic, at_ms(now));
        if (!f) {
            continue;
        }
        const auto st = c.apply(topic, *f);
        if (st == apply_status::gap) {
            ++gaps;
            // What the gateway does: resubscribe and rebuild from the snapshot.
            ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
        } else {
            ASSERT_EQ(st, apply_status::applied);
        }
        ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
    }
    EXPECT_EQ(gaps, 1);
    EXPECT_FALSE(m.skip_update("orderbook.50.NOPE"));
    EXPECT_FALSE(m.skip_update("tickers.BTCUSDT"));
}

TEST(MarketModelTest, SendCrossedIsDetectedAndLeavesTheTruthAlone) {
    for (const int depth : {1, 50, 1000}) {
        market_model m{config(model::category::spot)};
        client c{m};
        const std::string topic = "orderbook." + std::to_string(depth) + ".BTCUSDT";
        std::int64_t now = t0_ms;
        ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
        for (int i = 0; i < 200; ++i) {
            m.step(at_ms(now += 5));
            if (auto f = m.push_frame(topic, at_ms(now))) {
                ASSERT_EQ(c.apply(topic, *f), apply_status::applied);
            }
        }
        const auto before = m.truth(topic);
        ASSERT_TRUE(m.send_crossed(topic));
        m.step(at_ms(now += 5));
        const auto bad = m.push_frame(topic, at_ms(now));
        ASSERT_TRUE(bad);
        EXPECT_EQ(c.apply(topic, *bad), apply_status::crossed) << *bad;
        const auto after = m.truth(topic);
        EXPECT_EQ(after->u, before->u);
        EXPECT_EQ(after->bids, before->bids);
        EXPECT_EQ(after->asks, before->asks);
        // The client resubscribes; the stream goes on from the true book.
        ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
        ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
        for (int i = 0; i < 300; ++i) {
            m.step(at_ms(now += 5));
            if (auto f = m.push_frame(topic, at_ms(now))) {
                ASSERT_EQ(c.apply(topic, *f), apply_status::applied);
                ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
            }
        }
    }
}

TEST(MarketModelTest, BadNumberDeltaCannotBeDecodedAndTheTruthMovesOn) {
    const std::string topic = "orderbook.50.BTCUSDT";
    for (const auto cat : {model::category::linear, model::category::spot}) {
        for (const auto how : {bad_number_kind::precision, bad_number_kind::malformed}) {
            market_model m{config(cat)};
            client c{m};
            std::int64_t now = t0_ms;
            ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
            const auto before = m.truth(topic);
            ASSERT_TRUE(m.send_bad_number(topic, how));
            std::optional<std::string> bad;
            while (!bad) {
                m.step(at_ms(now += 5));
                bad = m.push_frame(topic, at_ms(now));
            }
            const auto why = c.fail(*bad);
            EXPECT_EQ(why.reason, how == bad_number_kind::precision ? errc::precision_exceeded
                                                                    : errc::invalid_number)
                << *bad;
            EXPECT_TRUE(why.topic_known);
            EXPECT_EQ(why.kind, model::update_kind::delta);
            // The delta's real changes happened: a client that stays at the old u is wrong.
            EXPECT_EQ(m.truth(topic)->u, before->u + 1);
            // Resubscribing gives the true book, and the stream goes on from it.
            ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
            ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
            for (int i = 0; i < 100; ++i) {
                m.step(at_ms(now += 5));
                if (auto f = m.push_frame(topic, at_ms(now))) {
                    ASSERT_EQ(c.apply(topic, *f), apply_status::applied);
                }
            }
            ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
        }
    }
    // A price of "0" decodes; the book refuses it.
    market_model m{config(model::category::linear)};
    client c{m};
    std::int64_t now = t0_ms;
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    ASSERT_TRUE(m.send_bad_number(topic, bad_number_kind::zero));
    std::optional<std::string> bad;
    while (!bad) {
        m.step(at_ms(now += 5));
        bad = m.push_frame(topic, at_ms(now));
    }
    EXPECT_NE(bad->find(R"(["0","1"])"), std::string::npos) << *bad;
    EXPECT_EQ(c.apply(topic, *bad), apply_status::invalid);
    EXPECT_FALSE(m.send_bad_number("tickers.BTCUSDT", bad_number_kind::precision));
    EXPECT_FALSE(m.send_oversized_snapshot("orderbook.50.NOPE", 6000));
}

TEST(MarketModelTest, OversizedSnapshotCannotBeDecodedAndLeavesTheTruthAlone) {
    const std::string topic = "orderbook.50.BTCUSDT";
    market_model m{config(model::category::linear)};
    client c{m};
    std::int64_t now = t0_ms;
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    for (int i = 0; i < 50; ++i) {
        m.step(at_ms(now += 5));
        if (auto f = m.push_frame(topic, at_ms(now))) {
            ASSERT_EQ(c.apply(topic, *f), apply_status::applied);
        }
    }
    // On a subscribe: the truth's snapshot, padded beyond what any decoder accepts.
    const auto before = m.truth(topic);
    ASSERT_TRUE(m.send_oversized_snapshot(topic, 6000));
    auto why = c.fail(*m.subscribe_frame(topic, at_ms(now)));
    EXPECT_EQ(why.reason, errc::too_many_levels);
    EXPECT_TRUE(why.topic_known);
    EXPECT_EQ(why.kind, model::update_kind::snapshot);
    EXPECT_EQ(m.truth(topic)->u, before->u);
    EXPECT_EQ(m.truth(topic)->bids, before->bids);
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
    // On a push: the book as it is now, with u + 1; resubscribing gives exactly that.
    ASSERT_TRUE(m.send_oversized_snapshot(topic, 6000));
    m.step(at_ms(now += 5));
    why = c.fail(*m.push_frame(topic, at_ms(now)));
    EXPECT_EQ(why.reason, errc::too_many_levels);
    EXPECT_EQ(m.truth(topic)->u, before->u + 1);
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    ASSERT_TRUE(c.matches(m, topic, "BTCUSDT"));
}

TEST(MarketModelTest, RestartSendsSnapshotsWithUpdateIdOne) {
    market_model m{config(model::category::linear)};
    client c{m};
    const std::vector<std::string> topics{"orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT",
                                          "orderbook.200.ETHUSDT"};
    std::int64_t now = t0_ms;
    for (const auto& t : topics) {
        ASSERT_EQ(c.apply(t, *m.subscribe_frame(t, at_ms(now))), apply_status::applied);
    }
    for (int i = 0; i < 500; ++i) {
        m.step(at_ms(now += 5));
        if (i % 4 == 0) {
            for (const auto& t : topics) {
                if (auto f = m.push_frame(t, at_ms(now))) {
                    ASSERT_EQ(c.apply(t, *f), apply_status::applied);
                }
            }
        }
    }
    m.restart();
    m.step(at_ms(now += 5));
    for (const auto& t : topics) {
        const auto f = m.push_frame(t, at_ms(now));
        ASSERT_TRUE(f) << t; // even when the book did not change
        const decoded_frame* d = c.decode(*f);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->book.kind, model::update_kind::snapshot);
        EXPECT_EQ(d->book.update_id, 1U);
        ASSERT_EQ(c.apply(t, *f), apply_status::applied);
        EXPECT_TRUE(c.matches(m, t, t.substr(t.rfind('.') + 1)));
    }
    std::map<std::string, std::uint64_t> next_u;
    for (int i = 0; i < 400; ++i) {
        m.step(at_ms(now += 5));
        for (const auto& t : topics) {
            if (auto f = m.push_frame(t, at_ms(now))) {
                ASSERT_EQ(c.apply(t, *f), apply_status::applied);
                EXPECT_TRUE(c.matches(m, t, t.substr(t.rfind('.') + 1)));
            }
        }
    }
    EXPECT_GT(m.truth("orderbook.50.BTCUSDT")->u, 2U);
    EXPECT_LT(m.truth("orderbook.50.BTCUSDT")->u, 1000U);
}

// --- topics and config -------------------------------------------------------------------------

TEST(MarketModelTest, ServesOnlyCurrentTopicsOfKnownSymbols) {
    const market_model linear{config(model::category::linear)};
    EXPECT_TRUE(linear.has_symbol("BTCUSDT"));
    EXPECT_FALSE(linear.has_symbol("XRPUSDT"));
    for (const char* t : {"orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT", "orderbook.200.ETHUSDT",
                          "orderbook.1000.BTCUSDT", "publicTrade.BTCUSDT", "tickers.BTCUSDT",
                          "kline.1.BTCUSDT", "kline.M.BTCUSDT", "allLiquidation.BTCUSDT"}) {
        EXPECT_TRUE(linear.serves(t)) << t;
    }
    for (const char* t :
         {"orderbook.500.BTCUSDT", "orderbook.25.BTCUSDT", "orderbook.50.XRPUSDT",
          "liquidation.BTCUSDT", "kline.2.BTCUSDT", "tickers.btcusdt", "candles.BTCUSDT", ""}) {
        EXPECT_FALSE(linear.serves(t)) << t;
    }
    const market_model spot{config(model::category::spot)};
    EXPECT_FALSE(spot.serves("allLiquidation.BTCUSDT"));
    EXPECT_TRUE(spot.serves("orderbook.1000.BTCUSDT"));
    EXPECT_FALSE(spot.truth("tickers.BTCUSDT"));
    EXPECT_FALSE(spot.truth("orderbook.50.NOPE"));
}

TEST(MarketModelTest, RejectsInvalidConfigs) {
    auto bad = config(model::category::option);
    EXPECT_THROW(market_model{bad}, std::invalid_argument);
    bad = config(model::category::linear);
    bad.symbols.push_back(bad.symbols.front());
    EXPECT_THROW(market_model{bad}, std::invalid_argument);
    bad = config(model::category::linear);
    bad.symbols.front().symbol = "btc usdt";
    EXPECT_THROW(market_model{bad}, std::invalid_argument);
    bad = config(model::category::linear);
    bad.book_levels = 0;
    EXPECT_THROW(market_model{bad}, std::invalid_argument);
}

TEST(MarketModelTest, SmallBooksAndExplicitStartPricesWork) {
    model_config cfg = config(model::category::linear, 9, 5);
    cfg.symbols = {{"DOGEUSDT", 0, 5, 0}, {"BTCUSDT", 6'500'000, 2, 3}};
    market_model m{cfg};
    client c{m};
    EXPECT_EQ(m.truth("orderbook.1.BTCUSDT")->bids.front().first.substr(0, 5), "65000");
    const std::string topic = "orderbook.50.DOGEUSDT";
    std::int64_t now = t0_ms;
    ASSERT_EQ(c.apply(topic, *m.subscribe_frame(topic, at_ms(now))), apply_status::applied);
    for (int i = 0; i < 2000; ++i) {
        m.step(at_ms(now += 5));
        if (auto f = m.push_frame(topic, at_ms(now))) {
            ASSERT_EQ(c.apply(topic, *f), apply_status::applied);
            ASSERT_TRUE(c.matches(m, topic, "DOGEUSDT"));
            ASSERT_LE(m.truth(topic)->bids.size(), 5U);
        }
    }
}

// --- REST --------------------------------------------------------------------------------------

TEST(MarketModelTest, RestOrderbookCarriesTheBookAndTheDepth1000UpdateId) {
    market_model m{config(model::category::linear)};
    std::int64_t now = t0_ms;
    ASSERT_TRUE(m.subscribe_frame("orderbook.1000.BTCUSDT", at_ms(now)));
    for (int i = 0; i < 100; ++i) {
        m.step(at_ms(now += 5));
    }
    ASSERT_TRUE(m.push_frame("orderbook.1000.BTCUSDT", at_ms(now)));
    const auto text = m.rest_orderbook("BTCUSDT", 50, at_ms(now));
    ASSERT_TRUE(text);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(*text).get(doc), simdjson::SUCCESS) << *text;
    EXPECT_EQ(keys_of(doc), split("s,b,a,ts,u,seq,cts"));
    std::string_view s;
    ASSERT_EQ(doc["s"].get_string().get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "BTCUSDT");
    simdjson::dom::array bids;
    ASSERT_EQ(doc["b"].get_array().get(bids), simdjson::SUCCESS);
    EXPECT_EQ(bids.size(), 50U);
    std::uint64_t u = 0;
    ASSERT_EQ(doc["u"].get_uint64().get(u), simdjson::SUCCESS);
    EXPECT_EQ(u, m.truth("orderbook.1000.BTCUSDT")->u);
    std::int64_t ts = 0;
    ASSERT_EQ(doc["ts"].get_int64().get(ts), simdjson::SUCCESS);
    EXPECT_EQ(ts, now);
    // Best first, and the same levels as the 1000-level stream just sent.
    const auto truth = m.truth("orderbook.1000.BTCUSDT");
    for (std::size_t i = 0; i < 50; ++i) {
        std::string_view px;
        ASSERT_EQ(bids.at(i).at(0).get_string().get(px), simdjson::SUCCESS);
        EXPECT_EQ(px, truth->bids[i].first);
    }
    EXPECT_FALSE(m.rest_orderbook("NOPE", 50, at_ms(now)));
    const auto dflt = m.rest_orderbook("ETHUSDT", 0, at_ms(now));
    ASSERT_EQ(p.parse(*dflt).get(doc), simdjson::SUCCESS);
    ASSERT_EQ(doc["a"].get_array().get(bids), simdjson::SUCCESS);
    EXPECT_EQ(bids.size(), 25U); // linear default limit
}

TEST(MarketModelTest, RestTickersAndInstrumentsCarryBybitFields) {
    for (const auto cat : {model::category::linear, model::category::spot}) {
        SCOPED_TRACE(std::string(model::to_string(cat)));
        market_model m{config(cat)};
        std::int64_t now = t0_ms;
        for (int i = 0; i < 500; ++i) {
            m.step(at_ms(now += 5));
        }
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        const std::string tickers = m.rest_tickers("");
        ASSERT_EQ(p.parse(tickers).get(doc), simdjson::SUCCESS) << tickers;
        std::string_view category;
        ASSERT_EQ(doc["category"].get_string().get(category), simdjson::SUCCESS);
        EXPECT_EQ(category, model::to_string(cat));
        simdjson::dom::array list;
        ASSERT_EQ(doc["list"].get_array().get(list), simdjson::SUCCESS);
        ASSERT_EQ(list.size(), 2U);
        for (const char* field : {"symbol", "lastPrice", "bid1Price", "ask1Size", "volume24h",
                                  "turnover24h", "price24hPcnt", "highPrice24h"}) {
            std::string_view v;
            EXPECT_EQ(list.at(0)[field].get_string().get(v), simdjson::SUCCESS) << field;
            EXPECT_FALSE(v.empty()) << field;
        }
        const char* extra = cat == model::category::spot ? "usdIndexPrice" : "fundingRate";
        std::string_view v;
        EXPECT_EQ(list.at(0)[extra].get_string().get(v), simdjson::SUCCESS) << extra;
        ASSERT_EQ(p.parse(m.rest_tickers("ETHUSDT")).get(doc), simdjson::SUCCESS);
        ASSERT_EQ(doc["list"].get_array().get(list), simdjson::SUCCESS);
        ASSERT_EQ(list.size(), 1U);

        const std::string instruments = m.rest_instruments("BTCUSDT");
        ASSERT_EQ(p.parse(instruments).get(doc), simdjson::SUCCESS) << instruments;
        ASSERT_EQ(doc["list"].get_array().get(list), simdjson::SUCCESS);
        ASSERT_EQ(list.size(), 1U);
        const auto entry = list.at(0);
        const auto str = [&](const char* a, const char* b = nullptr) {
            std::string_view out;
            const auto e = b == nullptr ? entry[a] : entry[a][b];
            EXPECT_EQ(e.get_string().get(out), simdjson::SUCCESS) << a;
            return std::string(out);
        };
        EXPECT_EQ(str("symbol"), "BTCUSDT");
        EXPECT_EQ(str("status"), "Trading");
        EXPECT_EQ(str("priceScale"), "2");
        EXPECT_EQ(str("priceFilter", "tickSize"), "0.01");
        EXPECT_EQ(str("baseCoin"), "BTC");
        EXPECT_EQ(str("quoteCoin"), "USDT");
        if (cat == model::category::spot) {
            EXPECT_EQ(str("lotSizeFilter", "basePrecision"), "0.001");
        } else {
            EXPECT_EQ(str("lotSizeFilter", "qtyStep"), "0.001");
            EXPECT_EQ(str("contractType"), "LinearPerpetual");
        }
        ASSERT_EQ(p.parse(m.rest_instruments("")).get(doc), simdjson::SUCCESS);
        ASSERT_EQ(doc["list"].get_array().get(list), simdjson::SUCCESS);
        EXPECT_EQ(list.size(), 2U);
    }
}

} // namespace
} // namespace mdg::sim
