#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/bybit/parse.hpp"
#include "model/fixed_point.hpp"
#include "support/test_data.hpp"

namespace mdg::exchange::bybit {
namespace {

using model::category;

std::vector<std::string> read_lines(std::string_view name) {
    return test::read_bybit_lines(name);
}

std::string read_file(std::string_view name) {
    auto lines = read_lines(name);
    return lines.empty() ? std::string{} : lines.front();
}

// The first line of `name` whose text contains all of `needles`.
std::string find_line(std::string_view name, std::initializer_list<std::string_view> needles) {
    for (const auto& l : read_lines(name)) {
        bool all = true;
        for (auto n : needles) {
            all = all && l.find(n) != std::string::npos;
        }
        if (all) {
            return l;
        }
    }
    ADD_FAILURE() << "no line in " << name;
    return {};
}

class BybitParseTest : public ::testing::Test {
  protected:
    const decoded_frame& ok(std::string_view frame, category cat = category::linear) {
        ctx_.cat = cat;
        auto r = dec_.decode(frame, ctx_);
        if (!r) {
            ADD_FAILURE() << "decode failed: " << r.error().message() << " for " << frame;
            static const decoded_frame empty;
            return empty;
        }
        return **r;
    }
    errc fail(std::string_view frame, category cat = category::linear) {
        ctx_.cat = cat;
        auto r = dec_.decode(frame, ctx_);
        EXPECT_FALSE(r) << frame;
        return r ? errc::ok : static_cast<errc>(r.error().value());
    }
    std::string px(const model::price& p, category cat = category::linear) {
        (void)cat;
        return model::to_fixed_string(p.raw, model::default_spec.price_decimals, true);
    }
    std::string qt(const model::qty& q) {
        return model::to_fixed_string(q.raw, model::default_spec.qty_decimals, true);
    }

    model::instrument_registry reg_;
    parse_context ctx_{category::linear, &reg_, true, unix_nanos{42}};
    decoder dec_;
};

TEST_F(BybitParseTest, LinearOrderbookSnapshotFromTheRealCapture) {
    const auto line = find_line("cryptofeed_linear_2026-08-09.frames.jsonl",
                                {"orderbook.200.BTCUSDT", "snapshot"});
    const auto& f = ok(line);
    ASSERT_EQ(f.type, frame_type::orderbook);
    EXPECT_EQ(f.topic_text, "orderbook.200.BTCUSDT");
    EXPECT_EQ(f.topic.depth, 200);
    EXPECT_EQ(f.book.kind, model::update_kind::snapshot);
    EXPECT_EQ(f.book.depth, 200);
    EXPECT_EQ(f.book.ts_exchange, unix_nanos::from_millis(1786310818129));
    EXPECT_EQ(f.book.ts_recv, unix_nanos{42});
    EXPECT_GT(f.book.ts_engine.value, 0);
    EXPECT_EQ(f.book.bids.size(), 200U);
    EXPECT_EQ(f.book.asks.size(), 200U);
    EXPECT_EQ(px(f.book.bids[0].px), "65114.2");
    EXPECT_EQ(qt(f.book.bids[0].sz), "6.054");
    EXPECT_EQ(px(f.book.bids[1].px), "65114.1");
    EXPECT_EQ(reg_.info(f.book.instrument).symbol, "BTCUSDT");
    EXPECT_EQ(f.unknown_fields, 0U);
}

TEST_F(BybitParseTest, DeltaWithDeletesAndSequenceFields) {
    const auto& f = ok(
        R"({"topic":"orderbook.1.BTCUSDT","type":"delta","ts":1682092584425,"data":{"s":"BTCUSDT","b":[["27994.60","0"],["27991.70","0.777"]],"a":[["27994.40","0.058"],["27994.80","0"]],"u":1188472,"seq":11155892580}})");
    ASSERT_EQ(f.type, frame_type::orderbook);
    EXPECT_EQ(f.book.kind, model::update_kind::delta);
    EXPECT_EQ(f.book.update_id, 1188472U);
    EXPECT_EQ(f.book.seq, 11155892580U);
    ASSERT_EQ(f.book.bids.size(), 2U);
    EXPECT_TRUE(f.book.bids[0].sz.is_zero());
    EXPECT_EQ(qt(f.book.bids[1].sz), "0.777");
    EXPECT_EQ(f.book.ts_engine.value, 0); // no cts in this older frame
}

TEST_F(BybitParseTest, SpotTrimmedAndLinearPaddedNumbersDecodeToTheSameValues) {
    // Spot key order (ts before type) and trimmed zeros; linear key order and padded zeros.
    const auto spot = ok(
        R"({"topic":"orderbook.50.BTCUSDT","ts":1,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140","1.5"]],"a":[["65140.4","2"]],"u":1,"seq":2},"cts":1})",
        category::spot);
    const auto spot_bid = spot.book.bids[0];
    const auto spot_ask = spot.book.asks[0];
    const auto& lin = ok(
        R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["65140.00","1.500"]],"a":[["65140.40","2.000"]],"u":1,"seq":2},"cts":1})");
    EXPECT_EQ(spot_bid, lin.book.bids[0]);
    EXPECT_EQ(spot_ask, lin.book.asks[0]);
}

TEST_F(BybitParseTest, LinearTradesFromTheRealCapture) {
    const auto line = find_line("cryptofeed_linear_2026-08-09.frames.jsonl",
                                {"publicTrade.BTCUSDT", "a9188a0a-82bc-50de-be60-03eedbe3cdd7"});
    const auto& f = ok(line);
    ASSERT_EQ(f.type, frame_type::trade);
    ASSERT_EQ(f.trades.size(), 1U);
    const auto& t = f.trades[0];
    EXPECT_EQ(t.ts_exchange, unix_nanos::from_millis(1786310819680));
    EXPECT_EQ(t.taker_side, model::side::sell);
    EXPECT_EQ(qt(t.sz), "0.004");
    EXPECT_EQ(px(t.px), "65114.2");
    EXPECT_EQ(t.direction, model::tick_direction::minus_tick);
    EXPECT_EQ(t.id.view(), "a9188a0a-82bc-50de-be60-03eedbe3cdd7");
    EXPECT_EQ(t.seq, 753843954913U);
    EXPECT_FALSE(t.block_trade);
    EXPECT_FALSE(t.rpi);
}

TEST_F(BybitParseTest, SpotTradesUseTheirOwnKeyOrderAndNumericIds) {
    const auto line = read_lines("tardis_samples_spot.jsonl").front();
    const auto& f = ok(line, category::spot);
    ASSERT_EQ(f.type, frame_type::trade);
    ASSERT_GE(f.trades.size(), 3U);
    EXPECT_EQ(f.trades[0].id.view(), "2290000000050703789");
    EXPECT_EQ(f.trades[0].direction, model::tick_direction::none); // spot has no L
    EXPECT_EQ(qt(f.trades[0].sz), "0.041732");
}

TEST_F(BybitParseTest, TickerSnapshotAndDeltaFromTheRealCapture) {
    const auto lines = read_lines("cryptofeed_linear_2026-08-09.frames.jsonl");
    const auto& snap = ok(lines[0]);
    ASSERT_EQ(snap.type, frame_type::ticker);
    const auto& t = snap.ticker;
    EXPECT_EQ(t.kind, model::update_kind::snapshot);
    EXPECT_EQ(t.cross_seq, 753843900397U);
    EXPECT_EQ(t.ts_exchange, unix_nanos::from_millis(1786310817583));
    using model::ticker_field;
    EXPECT_EQ(t.fields.get(ticker_field::last_price).to_string(), "65114.30");
    EXPECT_EQ(t.fields.get(ticker_field::turnover_24h).to_string(), "1142118412.9021");
    EXPECT_EQ(t.fields.get(ticker_field::next_funding_time).to_string(), "1786320000000");
    EXPECT_EQ(t.fields.get(ticker_field::funding_rate).to_string(), "0.0001");
    EXPECT_EQ(t.fields.get(ticker_field::single_open_interest_value).to_string(), "1949998132.50");
    EXPECT_TRUE(t.fields.is_empty(ticker_field::pre_open_price)); // "" on the wire
    EXPECT_EQ(t.fields.direction, model::tick_direction::zero_plus_tick);
    EXPECT_EQ(snap.unknown_fields, 0U);

    const auto& delta = ok(lines[1]);
    EXPECT_EQ(delta.ticker.kind, model::update_kind::delta);
    EXPECT_EQ(delta.ticker.fields.count(), 4); // bid1Price, bid1Size, ask1Price, ask1Size
    EXPECT_TRUE(delta.ticker.fields.has(ticker_field::ask1_size));
    EXPECT_FALSE(delta.ticker.fields.has(ticker_field::last_price));
}

TEST_F(BybitParseTest, InverseFutureAndOptionTickers) {
    const auto fut =
        find_line("tardis_samples_linear_inverse.jsonl", {"tickers.BTCUSDU23", "delta"});
    const auto& f = ok(fut, category::inverse);
    EXPECT_EQ(f.ticker.fields.get(model::ticker_field::basis_rate).to_string(), "0.01603111");
    EXPECT_EQ(f.ticker.fields.get(model::ticker_field::delivery_fee_rate).to_string(), "0.0005");

    const auto opt = find_line("tardis_samples_option.jsonl", {"tickers.SOL"});
    const auto& o = ok(opt, category::option);
    ASSERT_EQ(o.type, frame_type::ticker);
    EXPECT_EQ(o.ticker.fields.get(model::ticker_field::bid1_iv).to_string(), "0.6004");
    EXPECT_EQ(o.ticker.fields.get(model::ticker_field::bid1_price).to_string(), "0.34");
    EXPECT_EQ(o.unknown_fields, 0U);
}

TEST_F(BybitParseTest, KlineMessageWithAClosedAndANewCandle) {
    const auto line = find_line("cryptofeed_linear_2026-08-09.frames.jsonl",
                                {"kline.1.ETHUSDT", "\"confirm\":true"});
    const auto& f = ok(line);
    ASSERT_EQ(f.type, frame_type::kline);
    ASSERT_EQ(f.klines.size(), 2U);
    EXPECT_TRUE(f.klines[0].confirm);
    EXPECT_FALSE(f.klines[1].confirm);
    EXPECT_EQ(f.klines[0].start, unix_nanos::from_millis(1786310760000));
    EXPECT_EQ(f.klines[1].start, unix_nanos::from_millis(1786310820000));
    EXPECT_EQ(px(f.klines[0].close), "1922.48");
    EXPECT_EQ(f.klines[0].volume.to_string(), "15.7");
    EXPECT_EQ(f.klines[0].turnover.to_string(), "30182.0724");
    EXPECT_EQ(f.klines[0].interval, model::kline_interval::m1);
    EXPECT_EQ(f.klines[0].ts_exchange, unix_nanos::from_millis(1786310820123));
    EXPECT_EQ(f.klines[0].ts_last_trade, unix_nanos::from_millis(1786310820123));
}

TEST_F(BybitParseTest, SpotKlineWithTypeFirst) {
    const auto& f = ok(
        R"({"type":"snapshot","topic":"kline.5.BTCUSDT","data":[{"start":1,"end":2,"interval":"5","open":"65140","close":"65141","high":"65150.5","low":"65130","volume":"1.5","turnover":"97710","confirm":false,"timestamp":2}],"ts":3})",
        category::spot);
    ASSERT_EQ(f.klines.size(), 1U);
    EXPECT_EQ(f.klines[0].interval, model::kline_interval::m5);
    EXPECT_EQ(px(f.klines[0].high), "65150.5");
}

TEST_F(BybitParseTest, AllLiquidationSideMeansThePositionLiquidated) {
    const auto line = find_line("tardis_samples_linear_inverse.jsonl", {"allLiquidation"});
    const auto& f = ok(line);
    ASSERT_EQ(f.type, frame_type::liquidation);
    ASSERT_EQ(f.liquidations.size(), 1U);
    const auto& l = f.liquidations[0];
    // "S":"Sell": a short position was liquidated (Bybit: Buy = a long was liquidated).
    EXPECT_EQ(l.position_side, model::side::sell);
    EXPECT_EQ(qt(l.sz), "2846");
    EXPECT_EQ(px(l.px), "0.02456");
    EXPECT_EQ(l.ts_exchange, unix_nanos::from_millis(1740480207110));
}

TEST_F(BybitParseTest, DeprecatedLiquidationWithDataBeforeTopic) {
    // A real 2023 frame whose keys come in another order: data first.
    const auto line = find_line("tardis_samples_linear_inverse.jsonl", {"liquidation.GALAUSDT"});
    const auto& f = ok(line);
    ASSERT_EQ(f.type, frame_type::liquidation);
    ASSERT_EQ(f.liquidations.size(), 1U);
    EXPECT_EQ(f.liquidations[0].position_side, model::side::buy);
    EXPECT_EQ(qt(f.liquidations[0].sz), "1637");
    EXPECT_EQ(f.liquidations[0].ts_exchange, unix_nanos::from_millis(1673251091822));
    EXPECT_EQ(f.topic_text, "liquidation.GALAUSDT");
}

TEST_F(BybitParseTest, OptionBaseCoinTradesResolveTheirContracts) {
    const auto lines = read_lines("tardis_samples_option.jsonl");
    const auto& f = ok(lines[0], category::option);
    ASSERT_EQ(f.type, frame_type::trade);
    ASSERT_EQ(f.trades.size(), 1U);
    EXPECT_EQ(reg_.info(f.trades[0].instrument).symbol, "BTC-28APR23-29500-C");
    const auto& empty = ok(lines[1], category::option);
    EXPECT_EQ(empty.book.update_id, 0U);
    EXPECT_TRUE(empty.book.bids.empty());
}

TEST_F(BybitParseTest, EveryFrameOfTheRealLinearCaptureDecodes) {
    std::map<frame_type, int> counts;
    for (const auto& line : read_lines("cryptofeed_linear_2026-08-09.frames.jsonl")) {
        const auto& f = ok(line);
        ++counts[f.type];
        EXPECT_EQ(f.unknown_fields, 0U) << line.substr(0, 120);
    }
    EXPECT_EQ(counts[frame_type::control], 17);
    EXPECT_EQ(counts[frame_type::orderbook], 4 + 413 + 420 + 382 + 379);
    EXPECT_EQ(counts[frame_type::ticker], 758);
    EXPECT_EQ(counts[frame_type::trade], 102);
    EXPECT_EQ(counts[frame_type::kline], 71);
}

TEST_F(BybitParseTest, EveryTardisSampleDecodes) {
    for (auto [file, cat] : {std::pair{"tardis_samples_linear_inverse.jsonl", category::linear},
                             std::pair{"tardis_samples_spot.jsonl", category::spot},
                             std::pair{"tardis_samples_option.jsonl", category::option}}) {
        for (const auto& line : read_lines(file)) {
            // Inverse symbols decode the same way on the linear context.
            (void)ok(line, cat);
        }
    }
}

// --- control frames --------------------------------------------------------------------------

TEST_F(BybitParseTest, SubscribeAcksOfAllThreeShapes) {
    const auto& spot = ok(read_file("control_ack_spot.json"), category::spot);
    ASSERT_EQ(spot.type, frame_type::control);
    EXPECT_EQ(spot.control.op, control_op::subscribe);
    EXPECT_TRUE(spot.control.success);
    EXPECT_FALSE(spot.control.has_req_id); // spot omits it when the request had none
    EXPECT_EQ(spot.control.ret_msg, "subscribe");
    EXPECT_EQ(spot.control.conn_id, "d9avt8shteepr00gfc1g-4zd1x");

    const auto& spot_id = ok(read_file("control_ack_spot_req_id.json"), category::spot);
    EXPECT_TRUE(spot_id.control.has_req_id);
    EXPECT_EQ(spot_id.control.req_id, "10001");

    const auto& lin = ok(read_file("control_ack_linear.json"));
    EXPECT_TRUE(lin.control.success);
    EXPECT_TRUE(lin.control.has_req_id);
    EXPECT_EQ(lin.control.req_id, "");
    EXPECT_EQ(lin.control.ret_msg, "");

    const auto& unsub = ok(read_file("control_ack_linear_unsubscribe.json"));
    EXPECT_EQ(unsub.control.op, control_op::unsubscribe);

    const auto& opt = ok(read_file("control_ack_option.json"), category::option);
    EXPECT_TRUE(opt.control.command_resp);
    EXPECT_TRUE(opt.control.success);
    EXPECT_EQ(opt.control.op, control_op::subscribe);
    EXPECT_TRUE(opt.control.fail_topics.empty());

    const auto& opt_fail = ok(read_file("control_ack_option_fail.json"), category::option);
    EXPECT_FALSE(opt_fail.control.success);
    ASSERT_EQ(opt_fail.control.fail_topics.size(), 1U);
    EXPECT_EQ(opt_fail.control.fail_topics[0], "orderbook.500.BTC-6JAN23-18000-C");
    EXPECT_EQ(opt_fail.control.reject_topic, "orderbook.500.BTC-6JAN23-18000-C");
}

TEST_F(BybitParseTest, PongsOfAllShapes) {
    for (auto [file, cat] : {std::pair{"control_pong_spot.json", category::spot},
                             std::pair{"control_pong_linear.json", category::linear},
                             std::pair{"control_pong_option.json", category::option}}) {
        const auto& f = ok(read_file(file), cat);
        ASSERT_EQ(f.type, frame_type::control) << file;
        EXPECT_TRUE(f.control.is_pong) << file;
        EXPECT_TRUE(f.control.success) << file;
        EXPECT_EQ(f.control.op, control_op::ping) << file;
    }
    EXPECT_EQ(ok(read_file("control_pong_linear.json")).control.req_id, "7");
}

TEST_F(BybitParseTest, ErrorFramesAreClassified) {
    const auto& nf = ok(read_file("control_error_handler_not_found.json"));
    EXPECT_FALSE(nf.control.success);
    EXPECT_EQ(nf.control.reason, reject_reason::handler_not_found);
    EXPECT_EQ(nf.control.reject_topic, "publicTrade.NOTASYMBOL");

    const auto& dup = ok(read_file("control_error_already_subscribed.json"));
    EXPECT_EQ(dup.control.reason, reject_reason::already_subscribed);
    EXPECT_EQ(dup.control.reject_topic, "orderbook.50.BTCUSDT");
    EXPECT_EQ(dup.control.req_id, "12");

    const auto& args = ok(read_file("control_error_args_size.json"), category::spot);
    EXPECT_EQ(args.control.reason, reject_reason::args_size);
    EXPECT_FALSE(args.control.has_req_id);
}

// --- bad input -------------------------------------------------------------------------------

TEST_F(BybitParseTest, MalformedAndTruncatedFramesAreErrorsByKind) {
    EXPECT_EQ(fail("not json"), errc::malformed_json);
    const auto bad_value = fail("{\"topic\":}");
    EXPECT_TRUE(bad_value == errc::malformed_json || bad_value == errc::wrong_type);
    EXPECT_EQ(fail(""), errc::truncated);
    EXPECT_EQ(fail("[1,2]"), errc::wrong_type);
    const auto line =
        find_line("cryptofeed_linear_2026-08-09.frames.jsonl", {"orderbook.200.SOLUSDT", "delta"});
    // Every prefix of a real frame is rejected, none crashes or half-decodes.
    for (std::size_t n = 0; n < line.size(); n += 7) {
        const auto e = fail(line.substr(0, n));
        EXPECT_TRUE(e == errc::truncated || e == errc::malformed_json) << n << " " << to_string(e);
    }
    EXPECT_EQ(fail(line + "{}"), errc::malformed_json); // trailing content
}

TEST_F(BybitParseTest, BadNumbersAreErrorsByKind) {
    auto book = [](std::string_view bid) {
        return R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[[)" +
               std::string(bid) + R"(]],"a":[],"u":5,"seq":6}})";
    };
    EXPECT_EQ(fail(book(R"("100","-1")")), errc::negative_value);
    EXPECT_EQ(fail(book(R"("100","abc")")), errc::invalid_number);
    EXPECT_EQ(fail(book(R"("100","")")), errc::invalid_number);
    EXPECT_EQ(fail(book(R"("1000000000000000000000","1")")), errc::number_too_long);
    EXPECT_EQ(fail(book(R"("100.000000001","1")")), errc::precision_exceeded);
    EXPECT_EQ(fail(book(R"("100",1)")), errc::wrong_type);
    EXPECT_EQ(fail(book(R"("100")")), errc::wrong_type);
    EXPECT_EQ(fail(book(R"("100","1","2")")), errc::wrong_type);
    EXPECT_EQ(
        fail(
            R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":-5}})"),
        errc::wrong_type); // u is an unsigned integer
}

TEST_F(BybitParseTest, StructuralProblemsAreErrorsByKind) {
    EXPECT_EQ(
        fail(
            R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[]}})"),
        errc::missing_field); // no u
    EXPECT_EQ(
        fail(
            R"({"topic":"orderbook.50.BTCUSDT","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":1}})"),
        errc::missing_field); // no type
    EXPECT_EQ(fail(R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1})"),
              errc::missing_field); // no data
    EXPECT_EQ(
        fail(
            R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"ETHUSDT","b":[],"a":[],"u":1}})"),
        errc::symbol_mismatch);
    EXPECT_EQ(fail(R"({"topic":"orderbook.50.BTCUSDT","type":"partial","ts":1,"data":{}})"),
              errc::unknown_enum);
    EXPECT_EQ(fail(R"({"topic":"funding.BTCUSDT","type":"snapshot","ts":1,"data":{}})"),
              errc::unknown_channel);
    EXPECT_EQ(fail(R"({"topic":"orderbook.50","type":"snapshot","ts":1,"data":{}})"),
              errc::unknown_topic);
    EXPECT_EQ(
        fail(
            R"({"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Hold","v":"1","p":"1","i":"x"}]})"),
        errc::unknown_enum);
    EXPECT_EQ(fail(R"({"foo":1})"), errc::unknown_topic);
}

TEST_F(BybitParseTest, UnknownFieldsAreCountedNotErrors) {
    const auto& f = ok(
        R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"newKey":{"x":[1,2]},"data":{"s":"BTCUSDT","b":[],"a":[],"u":1,"extra":"y"}})");
    EXPECT_EQ(f.type, frame_type::orderbook);
    EXPECT_EQ(f.unknown_fields, 2U);
}

TEST_F(BybitParseTest, UnknownSymbolsFailUnlessRegistering) {
    ctx_.register_unknown = false;
    EXPECT_EQ(
        fail(
            R"({"topic":"tickers.NEWUSDT","type":"snapshot","ts":1,"cs":1,"data":{"symbol":"NEWUSDT"}})"),
        errc::unknown_symbol);
    reg_.intern(model::venue::bybit, category::linear, "NEWUSDT");
    (void)ok(
        R"({"topic":"tickers.NEWUSDT","type":"snapshot","ts":1,"cs":1,"data":{"symbol":"NEWUSDT"}})");
}

TEST_F(BybitParseTest, InstrumentPrecisionIsEnforced) {
    reg_.intern(model::venue::bybit, category::linear, "BTCUSDT", {2, 3});
    const auto& f = ok(
        R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["65114.20","6.054"]],"a":[],"u":1}})");
    EXPECT_EQ(f.book.bids[0].px.raw, 6511420);
    EXPECT_EQ(f.book.bids[0].sz.raw, 6054);
    EXPECT_EQ(
        fail(
            R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["65114.205","1"]],"a":[],"u":1}})"),
        errc::precision_exceeded);
}

TEST_F(BybitParseTest, LimitsAreEnforced) {
    decoder small{decoder_options{.max_frame_bytes = 64, .max_levels_per_side = 2, .max_items = 2}};
    const std::string big(100, ' ');
    auto r = small.decode(big, ctx_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::frame_too_large));

    decoder few{
        decoder_options{.max_frame_bytes = 1 << 20, .max_levels_per_side = 2, .max_items = 2}};
    auto r2 = few.decode(
        R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["1","1"],["2","1"],["3","1"]],"a":[],"u":1}})",
        ctx_);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error(), make_error_code(errc::too_many_levels));
    // An oversized snapshot still names its book (docs/feed.md: it is resynced).
    EXPECT_EQ(few.last_failure().reason, errc::too_many_levels);
    EXPECT_TRUE(few.last_failure().topic_known);
    EXPECT_EQ(few.last_failure().kind, model::update_kind::snapshot);
}

// A book message that fails after its topic is known names its book, so that the book can be
// resynced instead of silently missing the message (docs/feed.md).
TEST_F(BybitParseTest, AFailedBookMessageNamesItsBookAndKind) {
    reg_.intern(model::venue::bybit, category::linear, "BTCUSDT", {2, 3});
    const auto delta = [](std::string_view bid) {
        return R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[[)" +
               std::string(bid) + R"(]],"a":[],"u":5,"seq":6}})";
    };
    const std::map<std::string, errc> bad{
        {R"("65114.205","1")", errc::precision_exceeded}, // more decimals than the tick
        {R"("651x4.20","1")", errc::invalid_number},      // malformed
        {R"("-65114.20","1")", errc::negative_value},
        {R"("65114.20","-1")", errc::negative_value},
    };
    for (const auto& [bid, kind] : bad) {
        EXPECT_EQ(fail(delta(bid)), kind) << bid;
        const auto& why = dec_.last_failure();
        EXPECT_EQ(why.reason, kind);
        ASSERT_TRUE(why.topic_known) << bid;
        EXPECT_EQ(why.topic_text, "orderbook.50.BTCUSDT");
        EXPECT_EQ(why.topic.ch, channel::orderbook);
        EXPECT_EQ(why.topic.depth, 50);
        EXPECT_EQ(why.instrument, reg_.find(model::venue::bybit, category::linear, "BTCUSDT"));
        EXPECT_EQ(why.kind, model::update_kind::delta);
    }

    // Before the topic, or with a topic that names no known book, nothing is known.
    EXPECT_EQ(
        fail(R"({"type":"partial","topic":"orderbook.50.BTCUSDT","ts":1,"data":{"b":[],"a":[]}})"),
        errc::unknown_enum);
    EXPECT_FALSE(dec_.last_failure().topic_known);
    EXPECT_EQ(fail(R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"B)"),
              errc::truncated);
    EXPECT_FALSE(dec_.last_failure().topic_known); // stage 1 refused it: nothing read
    ctx_.register_unknown = false;
    EXPECT_EQ(fail(R"({"topic":"orderbook.50.NEWUSDT","type":"delta","ts":1,"data":{}})"),
              errc::unknown_symbol);
    EXPECT_FALSE(dec_.last_failure().topic_known);
}

// The decoder reads a price of "0" or "-0" as 0 and hands it on: judging a level is the book's
// rule (order_book: a price must be above 0), which a replay applies too.
TEST_F(BybitParseTest, ZeroPricesAreDecodedForTheBookToRefuse) {
    for (const auto* zero : {R"("0","1")", R"("-0","1")", R"("-0.00","1")"}) {
        const auto& f = ok(
            R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[[)" +
            std::string(zero) + R"(]],"a":[],"u":5}})");
        ASSERT_EQ(f.book.bids.size(), 1U) << zero;
        EXPECT_EQ(f.book.bids[0].px.raw, 0) << zero;
    }
}

TEST_F(BybitParseTest, DecoderIsReusableAfterErrors) {
    EXPECT_EQ(fail("{"), errc::truncated);
    const auto& f = ok(read_file("control_ack_linear.json"));
    EXPECT_TRUE(f.control.success);
    EXPECT_TRUE(f.trades.empty());
}

} // namespace
} // namespace mdg::exchange::bybit
