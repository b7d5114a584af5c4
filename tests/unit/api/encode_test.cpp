#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>
#include <zlib.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/encode.hpp"

namespace mdg::api {
namespace {

using simdjson::SUCCESS;

// Prices with 2 decimals, sizes with 3.
constexpr model::instrument_spec spec{2, 3};

std::string text(std::int64_t raw, std::uint8_t decimals) {
    std::array<char, model::fixed_text_capacity> buf{};
    return std::string(decimal_text(raw, decimals, buf.data()));
}

/// A level given as the canonical text the API must send for it.
struct text_level {
    std::string px;
    std::string sz;
};

model::level to_level(const text_level& t) {
    const auto px = model::parse_fixed(t.px, spec.price_decimals, false);
    const auto sz = model::parse_fixed(t.sz, spec.qty_decimals, false);
    EXPECT_TRUE(px && sz) << t.px << " " << t.sz;
    return {model::price{px ? *px : 0}, model::qty{sz ? *sz : 0}};
}

std::vector<model::level> to_levels(const std::vector<text_level>& ts) {
    std::vector<model::level> out;
    for (const auto& t : ts) {
        out.push_back(to_level(t));
    }
    return out;
}

/// CRC-32 of the checksum string, built by hand from docs/api.md "The book checksum".
std::uint32_t expected_checksum(const std::vector<text_level>& bids,
                                const std::vector<text_level>& asks) {
    std::string s;
    auto piece = [&](const text_level& l) {
        if (!s.empty()) {
            s += ':';
        }
        s += l.px + ':' + l.sz;
    };
    for (std::size_t i = 0; i < 25; ++i) {
        if (i < bids.size()) {
            piece(bids[i]);
        }
        if (i < asks.size()) {
            piece(asks[i]);
        }
    }
    return static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::uint32_t checksum_of(const std::vector<text_level>& bids,
                          const std::vector<text_level>& asks) {
    const auto b = to_levels(bids);
    const auto a = to_levels(asks);
    return book_checksum(b, a, spec);
}

/// `n` levels best first: bids descending from 5000.5, asks ascending from 5001.25.
std::vector<text_level> ladder(std::size_t n, bool bids) {
    std::vector<text_level> out;
    for (std::size_t i = 0; i < n; ++i) {
        const auto px = bids ? std::to_string(5000 - i) + ".5" : std::to_string(5001 + i) + ".25";
        out.push_back({px, std::to_string(i + 1) + ".001"});
    }
    return out;
}

// Accessors for a parsed object; a missing or mistyped member fails the test.
std::string_view str(simdjson::dom::element o, std::string_view key) {
    std::string_view v;
    EXPECT_EQ(o[key].get(v), SUCCESS) << key;
    return v;
}

std::int64_t int64(simdjson::dom::element o, std::string_view key) {
    std::int64_t v = 0;
    EXPECT_EQ(o[key].get(v), SUCCESS) << key;
    return v;
}

bool boolean(simdjson::dom::element o, std::string_view key) {
    bool v = false;
    EXPECT_EQ(o[key].get(v), SUCCESS) << key;
    return v;
}

/// `[["px","sz"],...]` as text pairs.
std::vector<std::pair<std::string, std::string>> levels_of(simdjson::dom::element o,
                                                           std::string_view key) {
    std::vector<std::pair<std::string, std::string>> out;
    simdjson::dom::array levels;
    EXPECT_EQ(o[key].get(levels), SUCCESS) << key;
    for (auto l : levels) {
        simdjson::dom::array pair;
        EXPECT_EQ(l.get(pair), SUCCESS);
        EXPECT_EQ(pair.size(), 2U);
        std::string_view px;
        std::string_view sz;
        EXPECT_EQ(pair.at(0).get(px), SUCCESS);
        EXPECT_EQ(pair.at(1).get(sz), SUCCESS);
        out.emplace_back(px, sz);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<text_level>& ts) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& t : ts) {
        out.emplace_back(t.px, t.sz);
    }
    return out;
}

/// The JSON text `write` puts into a writer.
template <class F> std::string encoded(F write) {
    core::json_writer j;
    write(j);
    return j.take();
}

/// The same for the functions that write members only: inside an object of its own.
template <class F> std::string encoded_members(F write) {
    return encoded([&](core::json_writer& j) {
        j.begin_object();
        write(j);
        j.end_object();
    });
}

/// A parsed document (simdjson's DOM); the test fails when the text is not JSON.
struct parsed {
    explicit parsed(const std::string& json) {
        ok = parser.parse(json).get(root) == SUCCESS;
        EXPECT_TRUE(ok) << json;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    bool ok = false;
};

TEST(DecimalTextTest, TrailingFractionalZerosAndBarePointAreTrimmed) {
    EXPECT_EQ(text(6500010, 2), "65000.1");
    EXPECT_EQ(text(6500000, 2), "65000");
    EXPECT_EQ(text(6514000, 2), "65140");
    EXPECT_EQ(text(1, 3), "0.001");
    EXPECT_EQ(text(1250, 3), "1.25");
    EXPECT_EQ(text(10, 1), "1");
    EXPECT_EQ(text(100000000, 8), "1");
    EXPECT_EQ(text(123456789, 8), "1.23456789");
    EXPECT_EQ(text(5, 0), "5");
    EXPECT_EQ(text(1000, 0), "1000") << "integer zeros are not fractional";
}

TEST(DecimalTextTest, ZeroIsZero) {
    EXPECT_EQ(text(0, 0), "0");
    EXPECT_EQ(text(0, 2), "0");
    EXPECT_EQ(text(0, 8), "0");
    EXPECT_EQ(text(0, model::max_decimals), "0");
}

TEST(DecimalTextTest, NegativeValues) {
    EXPECT_EQ(text(-1624, 6), "-0.001624");
    EXPECT_EQ(text(-500, 2), "-5");
    EXPECT_EQ(text(-6500010, 2), "-65000.1");
    EXPECT_EQ(text(-1, 0), "-1");
    EXPECT_EQ(text(-10, 1), "-1");
}

TEST(DecimalTextTest, MaxDecimalsAndExtremes) {
    EXPECT_EQ(text(1, model::max_decimals), "0.000000000000000001");
    EXPECT_EQ(text(-1, model::max_decimals), "-0.000000000000000001");
    EXPECT_EQ(text(123456789012345678, model::max_decimals), "0.123456789012345678");
    EXPECT_EQ(text(1'000'000'000'000'000'000, model::max_decimals), "1");
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    EXPECT_EQ(text(max, 0), "9223372036854775807");
    EXPECT_EQ(text(min, 0), "-9223372036854775808");
    EXPECT_EQ(text(max, model::max_decimals), "9.223372036854775807");
    EXPECT_EQ(text(min, model::max_decimals), "-9.223372036854775808");
}

TEST(DecimalTextTest, WritesIntoTheBufferAndReturnsAViewOfIt) {
    std::array<char, model::fixed_text_capacity> buf{};
    const auto v = decimal_text(6500010, 2, buf.data());
    EXPECT_EQ(v.data(), buf.data());
    EXPECT_EQ(v, "65000.1");
}

TEST(CanonicalTest, ExactDecimalsInCanonicalForm) {
    EXPECT_EQ(canonical(model::decimal{6514000, 2}), "65140");
    EXPECT_EQ(canonical(model::decimal{1, 4}), "0.0001");
    EXPECT_EQ(canonical(model::decimal{-1624, 6}), "-0.001624");
    EXPECT_EQ(canonical(model::decimal{0, 5}), "0");
    EXPECT_EQ(canonical(model::decimal{11421184129021, 4}), "1142118412.9021");
}

TEST(WriteLevelsTest, PriceSizePairsAsCanonicalStrings) {
    const std::vector<model::level> levels{
        {model::price{6500010}, model::qty{500}},
        {model::price{6500000}, model::qty{1250}},
        {model::price{1}, model::qty{1}},
    };
    EXPECT_EQ(encoded([&](core::json_writer& j) { write_levels(j, levels, spec); }),
              R"([["65000.1","0.5"],["65000","1.25"],["0.01","0.001"]])");
    EXPECT_EQ(encoded([](core::json_writer& j) { write_levels(j, {}, spec); }), "[]");
}

TEST(BookChecksumTest, TheDocumentedExample) {
    const std::string s = "3366.1:7:3366.8:9:3366:6";
    EXPECT_EQ(crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())),
              1164732920U)
        << "the test's own CRC";
    const std::vector<text_level> bids{{"3366.1", "7"}, {"3366", "6"}};
    const std::vector<text_level> asks{{"3366.8", "9"}};
    EXPECT_EQ(checksum_of(bids, asks), 1164732920U);
    EXPECT_EQ(expected_checksum(bids, asks), 1164732920U);
}

TEST(BookChecksumTest, EmptyBookIsZero) {
    EXPECT_EQ(book_checksum({}, {}, spec), 0U);
    EXPECT_EQ(expected_checksum({}, {}), 0U);
}

TEST(BookChecksumTest, OnlyBidsOrOnlyAsks) {
    const auto bids = ladder(3, true);
    const auto asks = ladder(4, false);
    EXPECT_EQ(checksum_of(bids, {}), expected_checksum(bids, {}));
    EXPECT_EQ(checksum_of({}, asks), expected_checksum({}, asks));
    // The text does not name the sides: one side alone gives the same text either way.
    EXPECT_EQ(checksum_of(bids, {}), checksum_of({}, bids));
}

TEST(BookChecksumTest, SidesOfDifferentLengthsInterleaveUntilBothEnd) {
    const auto bids = ladder(2, true);
    const auto asks = ladder(5, false);
    EXPECT_EQ(checksum_of(bids, asks), expected_checksum(bids, asks));
    EXPECT_EQ(checksum_of(asks, bids), expected_checksum(asks, bids));
}

TEST(BookChecksumTest, OnlyTheTop25LevelsOfEachSideCount) {
    const auto bids = ladder(30, true);
    const auto asks = ladder(27, false);
    const auto want = expected_checksum(bids, asks);
    EXPECT_EQ(checksum_of(bids, asks), want);
    const std::vector<text_level> top_bids(bids.begin(), bids.begin() + 25);
    const std::vector<text_level> top_asks(asks.begin(), asks.begin() + 25);
    EXPECT_EQ(checksum_of(top_bids, top_asks), want);
    // A change at level 26 does not matter, one at level 25 does.
    auto deep = bids;
    deep[25].sz = "99";
    EXPECT_EQ(checksum_of(deep, asks), want);
    auto edge = bids;
    edge[24].sz = "99";
    EXPECT_NE(checksum_of(edge, asks), want);
    EXPECT_EQ(checksum_of(edge, asks), expected_checksum(edge, asks));
}

TEST(BookChecksumTest, UsesTheCanonicalText) {
    // "3366.10" on the wire is "3366.1" in the API, in the levels and in the checksum.
    const std::vector<text_level> wire{{"3366.10", "7.000"}};
    const std::vector<text_level> canonical_text{{"3366.1", "7"}};
    EXPECT_EQ(checksum_of(wire, {}), expected_checksum(canonical_text, {}));
}

TEST(WriteEventsTest, TradeFields) {
    model::trade t;
    t.instrument = model::instrument_id{3};
    t.ts_exchange = unix_nanos{1'765'000'000'120'000'999};
    t.ts_recv = unix_nanos{1'765'000'000'125'311'000};
    t.px = model::price{6500010};
    t.sz = model::qty{2};
    t.taker_side = model::side::sell;
    t.block_trade = true;
    ASSERT_TRUE(t.id.assign("2290ab4d-5e1c"));
    const parsed sell{encoded([&](core::json_writer& j) { write_trade(j, t, spec); })};
    ASSERT_TRUE(sell.ok);
    EXPECT_EQ(str(sell.root, "id"), "2290ab4d-5e1c");
    EXPECT_EQ(int64(sell.root, "ts_exchange"), 1'765'000'000'120'000);
    EXPECT_EQ(int64(sell.root, "ts_recv"), 1'765'000'000'125'311);
    EXPECT_EQ(str(sell.root, "price"), "65000.1");
    EXPECT_EQ(str(sell.root, "size"), "0.002");
    EXPECT_EQ(str(sell.root, "side"), "sell");
    EXPECT_TRUE(boolean(sell.root, "block_trade"));

    t.taker_side = model::side::buy;
    t.block_trade = false;
    const parsed buy{encoded([&](core::json_writer& j) { write_trade(j, t, spec); })};
    ASSERT_TRUE(buy.ok);
    EXPECT_EQ(str(buy.root, "side"), "buy");
    EXPECT_FALSE(boolean(buy.root, "block_trade"));
}

TEST(WriteEventsTest, KlineFields) {
    model::kline k;
    k.interval = model::kline_interval::m1;
    k.start = unix_nanos::from_millis(1'764'999'960'000);
    k.end = unix_nanos::from_millis(1'765'000'019'999);
    k.open = model::price{6499000};
    k.high = model::price{6501050};
    k.low = model::price{6498000};
    k.close = model::price{6500010};
    k.volume = model::decimal{125000, 4};     // "12.5000" from the venue
    k.turnover = model::decimal{81234560, 2}; // "812345.60"
    k.confirm = true;
    const parsed o{encoded([&](core::json_writer& j) { write_kline(j, k, spec); })};
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(int64(o.root, "start"), 1'764'999'960'000'000);
    EXPECT_EQ(int64(o.root, "end"), 1'765'000'019'999'000);
    EXPECT_EQ(str(o.root, "open"), "64990");
    EXPECT_EQ(str(o.root, "high"), "65010.5");
    EXPECT_EQ(str(o.root, "low"), "64980");
    EXPECT_EQ(str(o.root, "close"), "65000.1");
    EXPECT_EQ(str(o.root, "volume"), "12.5");
    EXPECT_EQ(str(o.root, "turnover"), "812345.6");
    EXPECT_TRUE(boolean(o.root, "confirm"));
}

TEST(WriteEventsTest, LiquidationFields) {
    model::liquidation l;
    l.ts_exchange = unix_nanos{1'765'000'000'001'002'003};
    l.ts_recv = unix_nanos{1'765'000'000'004'005'006};
    l.position_side = model::side::buy;
    l.px = model::price{6400000};
    l.sz = model::qty{1500};
    const parsed o{encoded([&](core::json_writer& j) { write_liquidation(j, l, spec); })};
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(int64(o.root, "ts_exchange"), 1'765'000'000'001'002);
    EXPECT_EQ(int64(o.root, "ts_recv"), 1'765'000'000'004'005);
    EXPECT_EQ(str(o.root, "price"), "64000");
    EXPECT_EQ(str(o.root, "size"), "1.5");
    EXPECT_EQ(str(o.root, "side"), "buy");
}

TEST(WriteEventsTest, TickerFieldsSentAreWrittenEmptyOnesAreNull) {
    using model::ticker_field;
    model::ticker_fields f;
    f.set(ticker_field::last_price, model::decimal{6500010, 2});
    f.set(ticker_field::funding_rate, model::decimal{1, 4});
    f.set(ticker_field::next_funding_time, model::decimal{1'765'008'000'000, 0});
    f.set(ticker_field::open_interest, model::decimal{512345000, 4});
    f.set(ticker_field::price_24h_pcnt, model::decimal{-1624, 6});
    f.set_empty(ticker_field::mark_price);
    const parsed doc{encoded_members([&](core::json_writer& j) { write_ticker_fields(j, f); })};
    ASSERT_TRUE(doc.ok);
    simdjson::dom::element o;
    ASSERT_EQ(doc.root["fields"].get(o), SUCCESS);
    simdjson::dom::object fields;
    ASSERT_EQ(o.get(fields), SUCCESS);
    EXPECT_EQ(fields.size(), 6U) << "only the fields sent";
    EXPECT_EQ(str(o, "last_price"), "65000.1");
    EXPECT_EQ(str(o, "funding_rate"), "0.0001");
    EXPECT_EQ(str(o, "next_funding_time"), "1765008000000");
    EXPECT_EQ(str(o, "open_interest"), "51234.5");
    EXPECT_EQ(str(o, "price_24h_pcnt"), "-0.001624");
    EXPECT_TRUE(o["mark_price"].is_null());
    EXPECT_EQ(o["index_price"].error(), simdjson::NO_SUCH_FIELD);

    EXPECT_EQ(encoded_members(
                  [](core::json_writer& j) { write_ticker_fields(j, model::ticker_fields{}); }),
              R"({"fields":{}})");
}

dispatch::book_view sample_book(const std::vector<text_level>& bids,
                                const std::vector<text_level>& asks) {
    dispatch::book_view b;
    b.instrument = model::instrument_id{1};
    b.depth = 50;
    b.state = book::book_state::live;
    b.update_id = 1'829'403;
    b.seq = 98'213'345;
    b.ts_exchange = unix_nanos{1'765'000'000'123'000'456};
    b.ts_recv = unix_nanos{1'765'000'000'125'311'789};
    b.bids = to_levels(bids);
    b.asks = to_levels(asks);
    return b;
}

TEST(WriteBookFieldsTest, CutToDepthWithTheChecksumOfTheCutLevels) {
    const auto bids = ladder(40, true);
    const auto asks = ladder(35, false);
    const auto b = sample_book(bids, asks);
    for (const std::size_t depth : {std::size_t{1}, std::size_t{3}, std::size_t{25},
                                    std::size_t{30}, std::size_t{36}, std::size_t{1000}}) {
        SCOPED_TRACE(depth);
        const parsed o{
            encoded_members([&](core::json_writer& j) { write_book_fields(j, b, depth, spec); })};
        ASSERT_TRUE(o.ok);
        EXPECT_EQ(int64(o.root, "u"), 1'829'403);
        EXPECT_EQ(int64(o.root, "cross_seq"), 98'213'345);
        // A stream message has a "seq" of its own: the book's members must not shadow it.
        EXPECT_EQ(o.root["seq"].error(), simdjson::NO_SUCH_FIELD);
        EXPECT_EQ(str(o.root, "state"), "live");
        EXPECT_EQ(int64(o.root, "ts_exchange"), 1'765'000'000'123'000);
        EXPECT_EQ(int64(o.root, "ts_recv"), 1'765'000'000'125'311);
        const auto cut = [depth](const std::vector<text_level>& side) {
            return std::vector<text_level>(
                side.begin(),
                side.begin() + static_cast<std::ptrdiff_t>(std::min(depth, side.size())));
        };
        const auto cut_bids = cut(bids);
        const auto cut_asks = cut(asks);
        EXPECT_EQ(levels_of(o.root, "bids"), pairs(cut_bids));
        EXPECT_EQ(levels_of(o.root, "asks"), pairs(cut_asks));
        std::uint64_t checksum = 0;
        ASSERT_EQ(o.root["checksum"].get(checksum), SUCCESS);
        EXPECT_EQ(checksum, expected_checksum(cut_bids, cut_asks));
    }
}

TEST(WriteBookFieldsTest, StateIsNamed) {
    auto b = sample_book({{"1", "1"}}, {});
    b.state = book::book_state::stale;
    const parsed o{
        encoded_members([&](core::json_writer& j) { write_book_fields(j, b, 50, spec); })};
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(str(o.root, "state"), "stale");
    EXPECT_EQ(levels_of(o.root, "asks").size(), 0U);
}

TEST(WriteBookFieldsTest, EmptyBookFields) {
    const parsed o{encoded_members([](core::json_writer& j) { write_empty_book_fields(j); })};
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(int64(o.root, "u"), 0);
    EXPECT_EQ(int64(o.root, "cross_seq"), 0);
    EXPECT_EQ(o.root["seq"].error(), simdjson::NO_SUCH_FIELD);
    EXPECT_EQ(str(o.root, "state"), "syncing");
    EXPECT_TRUE(levels_of(o.root, "bids").empty());
    EXPECT_TRUE(levels_of(o.root, "asks").empty());
    EXPECT_EQ(int64(o.root, "checksum"), 0);
}

TEST(EncodeHelpersTest, MicrosAndSideNames) {
    EXPECT_EQ(micros(unix_nanos{1'765'000'000'125'311'999}), 1'765'000'000'125'311);
    EXPECT_EQ(micros(unix_nanos{}), 0);
    EXPECT_EQ(side_name(model::side::buy), "buy");
    EXPECT_EQ(side_name(model::side::sell), "sell");
}

} // namespace
} // namespace mdg::api
