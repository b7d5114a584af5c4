#include "exchange/bybit/parse.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include <simdjson.h>

#include "model/fixed_point.hpp"

namespace mdg::exchange::bybit {

namespace ondemand = simdjson::ondemand;
using model::level;

std::string_view to_string(reject_reason r) noexcept {
    switch (r) {
    case reject_reason::none:
        return "none";
    case reject_reason::handler_not_found:
        return "handler_not_found";
    case reject_reason::already_subscribed:
        return "already_subscribed";
    case reject_reason::args_size:
        return "args_size";
    case reject_reason::other:
        return "other";
    }
    return "other";
}

namespace {

// simdjson's codes are mapped to ours once, here at the boundary.
errc map_error(simdjson::error_code e) noexcept {
    switch (e) {
    case simdjson::SUCCESS:
        return errc::ok;
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
    case simdjson::UNCLOSED_STRING:
        return errc::truncated;
    case simdjson::INCORRECT_TYPE:
        return errc::wrong_type;
    case simdjson::NO_SUCH_FIELD:
        return errc::missing_field;
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
        return errc::invalid_number;
    case simdjson::CAPACITY:
        return errc::frame_too_large;
    default:
        return errc::malformed_json;
    }
}

// Evaluates a simdjson_result into `out`, returning our error code from the enclosing function.
#define MDG_JSON_GET(expr, out)                                                                    \
    do {                                                                                           \
        if (auto mdg_e_ = std::move(expr).get(out); mdg_e_ != simdjson::SUCCESS) {                 \
            return map_error(mdg_e_);                                                              \
        }                                                                                          \
    } while (false)

#define MDG_TRY(expr)                                                                              \
    do {                                                                                           \
        if (const errc mdg_r_ = (expr); mdg_r_ != errc::ok) {                                      \
            return mdg_r_;                                                                         \
        }                                                                                          \
    } while (false)

// The text between the quotes of a JSON string, as it is in the input (escapes are not
// decoded). Views the input buffer, so it survives document rewinds. Prices, symbols and ids
// never contain escapes; a string that does fails the stricter parse that follows.
std::string_view raw_text(ondemand::raw_json_string raw) noexcept {
    const char* const begin = raw.raw();
    const char* p = begin;
    // Stage 1 of simdjson validated that every string is closed, and the input is padded.
    while (*p != '"') {
        p += (*p == '\\') ? 2 : 1;
    }
    return {begin, static_cast<std::size_t>(p - begin)};
}

template <class V> errc get_plain(V&& v, std::string_view& out) noexcept {
    ondemand::raw_json_string raw;
    MDG_JSON_GET(std::forward<V>(v).get_raw_json_string(), raw);
    out = raw_text(raw);
    return errc::ok;
}

std::string_view key_text(ondemand::field& f) noexcept {
    return raw_text(f.key());
}

template <class V> errc get_u64(V&& v, std::uint64_t& out) noexcept {
    MDG_JSON_GET(std::forward<V>(v).get_uint64(), out);
    return errc::ok;
}

template <class V> errc get_bool(V&& v, bool& out) noexcept {
    MDG_JSON_GET(std::forward<V>(v).get_bool(), out);
    return errc::ok;
}

// Milliseconds since the epoch, as a JSON number or a string of digits (Bybit sends numbers;
// some fields, such as nextFundingTime, are strings).
errc get_millis(ondemand::value v, unix_nanos& out) noexcept {
    ondemand::json_type type{};
    MDG_JSON_GET(v.type(), type);
    std::uint64_t ms = 0;
    if (type == ondemand::json_type::string) {
        std::string_view s;
        MDG_TRY(get_plain(v, s));
        auto r = model::parse_fixed(s, 0, false);
        if (!r) {
            return static_cast<errc>(r.error().value());
        }
        ms = static_cast<std::uint64_t>(*r);
    } else {
        MDG_TRY(get_u64(v, ms));
    }
    // 2^63 ns is the year 2262: anything larger is not a timestamp.
    if (ms > 9'000'000'000'000ULL) {
        return errc::invalid_number;
    }
    out = unix_nanos::from_millis(static_cast<std::int64_t>(ms));
    return errc::ok;
}

errc to_errc(const boost::system::error_code& ec) noexcept {
    return static_cast<errc>(ec.value());
}

errc parse_price(std::string_view s, const model::instrument_spec& spec, model::price& out) {
    auto r = model::parse_fixed(s, spec.price_decimals, false);
    if (!r) {
        return to_errc(r.error());
    }
    out.raw = *r;
    return errc::ok;
}

errc parse_qty(std::string_view s, const model::instrument_spec& spec, model::qty& out) {
    auto r = model::parse_fixed(s, spec.qty_decimals, false);
    if (!r) {
        return to_errc(r.error());
    }
    out.raw = *r;
    return errc::ok;
}

errc parse_decimal(std::string_view s, model::decimal& out) {
    auto r = model::decimal::parse(s);
    if (!r) {
        return to_errc(r.error());
    }
    out = *r;
    return errc::ok;
}

errc parse_side(std::string_view s, model::side& out) noexcept {
    if (s == "Buy") {
        out = model::side::buy;
    } else if (s == "Sell") {
        out = model::side::sell;
    } else {
        return errc::unknown_enum;
    }
    return errc::ok;
}

errc parse_tick_direction(std::string_view s, model::tick_direction& out) noexcept {
    using model::tick_direction;
    if (s == "PlusTick") {
        out = tick_direction::plus_tick;
    } else if (s == "ZeroPlusTick") {
        out = tick_direction::zero_plus_tick;
    } else if (s == "MinusTick") {
        out = tick_direction::minus_tick;
    } else if (s == "ZeroMinusTick") {
        out = tick_direction::zero_minus_tick;
    } else {
        return errc::unknown_enum;
    }
    return errc::ok;
}

// Everything a channel parser needs besides the JSON value.
struct channel_input {
    const parse_context& ctx;
    const decoder_options& opts;
    std::string_view topic_symbol;
    model::instrument_id instrument;
    model::instrument_spec spec;
};

// Resolves a symbol to an instrument (for option trades, which carry one base-coin topic).
errc resolve(const parse_context& ctx, std::string_view symbol, model::instrument_id& id,
             model::instrument_spec& spec) {
    if (ctx.registry == nullptr) {
        return errc::unknown_symbol;
    }
    if (auto found = ctx.registry->find(model::venue::bybit, ctx.cat, symbol)) {
        id = *found;
    } else if (ctx.register_unknown) {
        id = ctx.registry->intern(model::venue::bybit, ctx.cat, symbol);
    } else {
        return errc::unknown_symbol;
    }
    spec = ctx.registry->info(id).spec;
    return errc::ok;
}

// --- orderbook -------------------------------------------------------------------------------

// Reads `[["price","size"],...]` from the array's raw text with a strict scanner. simdjson has
// already validated the structure (stage 1) and located the array; walking its text directly
// is several times cheaper than an On-Demand iterator per element, and just as strict: any
// shape other than arrays of exactly two plain strings is wrong_type, an escape inside a
// number is invalid_number.
errc parse_levels(ondemand::value v, const channel_input& in, std::vector<level>& out) {
    out.clear();
    ondemand::array arr;
    MDG_JSON_GET(v.get_array(), arr);
    std::string_view text;
    MDG_JSON_GET(arr.raw_json(), text);
    const char* p = text.data();
    const char* const end = p + text.size();
    auto skip_ws = [&]() noexcept {
        while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
            ++p;
        }
    };
    auto expect = [&](char c) noexcept {
        skip_ws();
        if (p == end || *p != c) {
            return false;
        }
        ++p;
        return true;
    };
    // A JSON string holding a plain decimal, parsed in the same pass that finds its end.
    auto number = [&](std::uint8_t decimals, std::int64_t& out_value) noexcept -> errc {
        if (!expect('"')) {
            return errc::wrong_type;
        }
        auto r = model::parse_fixed_prefix(p, end, decimals, false);
        if (!r) {
            return to_errc(r.error());
        }
        if (p == end) {
            return errc::truncated;
        }
        if (*p != '"') {
            return errc::invalid_number; // a letter, an escape, a space inside the string
        }
        ++p;
        out_value = *r;
        return errc::ok;
    };
    if (!expect('[')) {
        return errc::wrong_type;
    }
    if (expect(']')) {
        return errc::ok;
    }
    for (;;) {
        level l;
        if (!expect('[')) {
            return errc::wrong_type;
        }
        MDG_TRY(number(in.spec.price_decimals, l.px.raw));
        if (!expect(',')) {
            return errc::wrong_type;
        }
        MDG_TRY(number(in.spec.qty_decimals, l.sz.raw));
        if (!expect(']')) {
            return errc::wrong_type;
        }
        if (out.size() >= in.opts.max_levels_per_side) {
            return errc::too_many_levels;
        }
        out.push_back(l);
        if (expect(',')) {
            continue;
        }
        if (expect(']')) {
            return errc::ok;
        }
        return errc::wrong_type;
    }
}

errc parse_orderbook(ondemand::value data, const channel_input& in, decoded_frame& out) {
    ondemand::object obj;
    MDG_JSON_GET(data.get_object(), obj);
    bool has_b = false;
    bool has_a = false;
    bool has_u = false;
    model::book_update& b = out.book;
    for (auto fr : obj) {
        ondemand::field f;
        MDG_JSON_GET(fr, f);
        const auto key = key_text(f);
        if (key == "b") {
            MDG_TRY(parse_levels(f.value(), in, out.bid_buf));
            has_b = true;
        } else if (key == "a") {
            MDG_TRY(parse_levels(f.value(), in, out.ask_buf));
            has_a = true;
        } else if (key == "u") {
            MDG_TRY(get_u64(f.value(), b.update_id));
            has_u = true;
        } else if (key == "seq") {
            MDG_TRY(get_u64(f.value(), b.seq));
        } else if (key == "s") {
            std::string_view s;
            MDG_TRY(get_plain(f.value(), s));
            if (s != in.topic_symbol) {
                return errc::symbol_mismatch;
            }
        } else {
            ++out.unknown_fields;
        }
    }
    if (!has_b || !has_a || !has_u) {
        return errc::missing_field;
    }
    b.bids = out.bid_buf;
    b.asks = out.ask_buf;
    return errc::ok;
}

// --- publicTrade -----------------------------------------------------------------------------

errc parse_trades(ondemand::value data, const channel_input& in, decoded_frame& out) {
    ondemand::array arr;
    MDG_JSON_GET(data.get_array(), arr);
    for (auto item : arr) {
        ondemand::object obj;
        MDG_JSON_GET(item.get_object(), obj);
        model::trade t;
        t.ts_recv = in.ctx.ts_recv;
        std::string_view p;
        std::string_view v;
        std::string_view sym;
        std::string_view id;
        bool has_time = false;
        bool has_side = false;
        for (auto fr : obj) {
            ondemand::field f;
            MDG_JSON_GET(fr, f);
            const auto key = key_text(f);
            if (key == "T") {
                MDG_TRY(get_millis(f.value(), t.ts_exchange));
                has_time = true;
            } else if (key == "p") {
                MDG_TRY(get_plain(f.value(), p));
            } else if (key == "v") {
                MDG_TRY(get_plain(f.value(), v));
            } else if (key == "S") {
                std::string_view s;
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_side(s, t.taker_side));
                has_side = true;
            } else if (key == "s") {
                MDG_TRY(get_plain(f.value(), sym));
            } else if (key == "i") {
                MDG_TRY(get_plain(f.value(), id));
            } else if (key == "L") {
                std::string_view s;
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_tick_direction(s, t.direction));
            } else if (key == "BT") {
                MDG_TRY(get_bool(f.value(), t.block_trade));
            } else if (key == "RPI") {
                MDG_TRY(get_bool(f.value(), t.rpi));
            } else if (key == "seq") {
                MDG_TRY(get_u64(f.value(), t.seq));
            } else if (key == "mP" || key == "iP" || key == "mIv" || key == "iv") {
                // Option mark/index price and IVs: known, not kept on the trade.
            } else {
                ++out.unknown_fields;
            }
        }
        if (!has_time || !has_side || p.empty() || v.empty() || id.empty() || sym.empty()) {
            return errc::missing_field;
        }
        model::instrument_spec spec = in.spec;
        t.instrument = in.instrument;
        if (in.ctx.cat == model::category::option) {
            // Option trades come on a base-coin topic; each names its own contract.
            MDG_TRY(resolve(in.ctx, sym, t.instrument, spec));
        } else if (sym != in.topic_symbol) {
            return errc::symbol_mismatch;
        }
        MDG_TRY(parse_price(p, spec, t.px));
        MDG_TRY(parse_qty(v, spec, t.sz));
        if (!t.id.assign(id)) {
            return errc::number_too_long;
        }
        if (out.trades.size() >= in.opts.max_items) {
            return errc::too_many_levels;
        }
        out.trades.push_back(t);
    }
    return errc::ok;
}

// --- tickers ---------------------------------------------------------------------------------

struct ticker_key {
    std::string_view json;
    model::ticker_field field;
};

// Sorted by JSON key for binary search. Option tickers spell best bid/ask without the "1".
constexpr auto ticker_keys = [] {
    using f = model::ticker_field;
    std::array<ticker_key, 45> keys{{
        {"ask1Price", f::ask1_price},
        {"ask1Size", f::ask1_size},
        {"askIv", f::ask1_iv},
        {"askPrice", f::ask1_price},
        {"askSize", f::ask1_size},
        {"basis", f::basis},
        {"basisRate", f::basis_rate},
        {"basisRateYear", f::basis_rate_year},
        {"bid1Price", f::bid1_price},
        {"bid1Size", f::bid1_size},
        {"bidIv", f::bid1_iv},
        {"bidPrice", f::bid1_price},
        {"bidSize", f::bid1_size},
        {"change24h", f::change_24h},
        {"deliveryFeeRate", f::delivery_fee_rate},
        {"delta", f::delta},
        {"fundingCap", f::funding_cap},
        {"fundingIntervalHour", f::funding_interval_hour},
        {"fundingRate", f::funding_rate},
        {"gamma", f::gamma},
        {"highPrice24h", f::high_price_24h},
        {"indexPrice", f::index_price},
        {"lastPrice", f::last_price},
        {"lowPrice24h", f::low_price_24h},
        {"markPrice", f::mark_price},
        {"markPriceIv", f::mark_price_iv},
        {"nextFundingTime", f::next_funding_time},
        {"openInterest", f::open_interest},
        {"openInterestValue", f::open_interest_value},
        {"preOpenPrice", f::pre_open_price},
        {"preQty", f::pre_qty},
        {"predictedDeliveryPrice", f::predicted_delivery_price},
        {"prevPrice1h", f::prev_price_1h},
        {"prevPrice24h", f::prev_price_24h},
        {"price24hPcnt", f::price_24h_pcnt},
        {"singleOpenInterest", f::single_open_interest},
        {"singleOpenInterestValue", f::single_open_interest_value},
        {"theta", f::theta},
        {"totalTurnover", f::total_turnover},
        {"totalVolume", f::total_volume},
        {"turnover24h", f::turnover_24h},
        {"underlyingPrice", f::underlying_price},
        {"usdIndexPrice", f::usd_index_price},
        {"vega", f::vega},
        {"volume24h", f::volume_24h},
    }};
    return keys;
}();
static_assert(std::is_sorted(ticker_keys.begin(), ticker_keys.end(),
                             [](const ticker_key& a, const ticker_key& b) {
                                 return a.json < b.json;
                             }),
              "ticker_keys must stay sorted");

const ticker_key* find_ticker_key(std::string_view key) noexcept {
    const auto* it =
        std::lower_bound(ticker_keys.begin(), ticker_keys.end(), key,
                         [](const ticker_key& k, std::string_view s) { return k.json < s; });
    if (it == ticker_keys.end() || it->json != key) {
        return nullptr;
    }
    return it;
}

errc parse_ticker(ondemand::value data, const channel_input& in, decoded_frame& out) {
    ondemand::object obj;
    MDG_JSON_GET(data.get_object(), obj);
    model::ticker_fields& fields = out.ticker.fields;
    fields = model::ticker_fields{};
    for (auto fr : obj) {
        ondemand::field f;
        MDG_JSON_GET(fr, f);
        const auto key = key_text(f);
        if (const auto* k = find_ticker_key(key)) {
            ondemand::value v = f.value();
            ondemand::json_type type{};
            MDG_JSON_GET(v.type(), type);
            std::string_view text;
            if (type == ondemand::json_type::string) {
                MDG_TRY(get_plain(v, text));
            } else if (type == ondemand::json_type::number) {
                text = v.raw_json_token();
                while (!text.empty() && (text.back() == ' ' || text.back() == '\n' ||
                                         text.back() == '\r' || text.back() == '\t')) {
                    text.remove_suffix(1);
                }
            } else {
                return errc::wrong_type;
            }
            if (text.empty()) {
                fields.set_empty(k->field);
            } else {
                model::decimal d;
                MDG_TRY(parse_decimal(text, d));
                fields.set(k->field, d);
            }
        } else if (key == "symbol") {
            std::string_view s;
            MDG_TRY(get_plain(f.value(), s));
            if (s != in.topic_symbol) {
                return errc::symbol_mismatch;
            }
        } else if (key == "tickDirection") {
            std::string_view s;
            MDG_TRY(get_plain(f.value(), s));
            if (!s.empty()) {
                MDG_TRY(parse_tick_direction(s, fields.direction));
                fields.has_direction = true;
            }
        } else if (key == "deliveryTime" || key == "curPreListingPhase") {
            // Known text fields that carry no number; not kept.
        } else {
            ++out.unknown_fields;
        }
    }
    return errc::ok;
}

// --- kline -----------------------------------------------------------------------------------

errc parse_klines(ondemand::value data, const channel_input& in, decoded_frame& out) {
    ondemand::array arr;
    MDG_JSON_GET(data.get_array(), arr);
    for (auto item : arr) {
        ondemand::object obj;
        MDG_JSON_GET(item.get_object(), obj);
        model::kline k;
        k.instrument = in.instrument;
        k.ts_recv = in.ctx.ts_recv;
        unsigned seen = 0; // bit per required field
        for (auto fr : obj) {
            ondemand::field f;
            MDG_JSON_GET(fr, f);
            const auto key = key_text(f);
            std::string_view s;
            if (key == "start") {
                MDG_TRY(get_millis(f.value(), k.start));
                seen |= 1U;
            } else if (key == "end") {
                MDG_TRY(get_millis(f.value(), k.end));
                seen |= 2U;
            } else if (key == "interval") {
                MDG_TRY(get_plain(f.value(), s));
                auto iv = model::parse_kline_interval(s);
                if (!iv) {
                    return errc::unknown_enum;
                }
                if (*iv != out.topic.interval) {
                    return errc::symbol_mismatch;
                }
                k.interval = *iv;
            } else if (key == "open") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_price(s, in.spec, k.open));
                seen |= 4U;
            } else if (key == "close") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_price(s, in.spec, k.close));
                seen |= 8U;
            } else if (key == "high") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_price(s, in.spec, k.high));
                seen |= 16U;
            } else if (key == "low") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_price(s, in.spec, k.low));
                seen |= 32U;
            } else if (key == "volume") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_decimal(s, k.volume));
            } else if (key == "turnover") {
                MDG_TRY(get_plain(f.value(), s));
                MDG_TRY(parse_decimal(s, k.turnover));
            } else if (key == "confirm") {
                MDG_TRY(get_bool(f.value(), k.confirm));
                seen |= 64U;
            } else if (key == "timestamp") {
                MDG_TRY(get_millis(f.value(), k.ts_last_trade));
            } else {
                ++out.unknown_fields;
            }
        }
        if (seen != 127U) {
            return errc::missing_field;
        }
        k.interval = out.topic.interval;
        if (out.klines.size() >= in.opts.max_items) {
            return errc::too_many_levels;
        }
        out.klines.push_back(k);
    }
    return errc::ok;
}

// --- liquidations ----------------------------------------------------------------------------

// One liquidation object. allLiquidation uses T/s/S/v/p; the deprecated liquidation topic
// uses updatedTime (documented as updateTime)/symbol/side/size/price.
errc parse_liquidation_object(ondemand::object obj, const channel_input& in, decoded_frame& out) {
    model::liquidation l;
    l.instrument = in.instrument;
    l.ts_recv = in.ctx.ts_recv;
    std::string_view p;
    std::string_view v;
    std::string_view sym;
    bool has_time = false;
    bool has_side = false;
    for (auto fr : obj) {
        ondemand::field f;
        MDG_JSON_GET(fr, f);
        const auto key = key_text(f);
        if (key == "T" || key == "updatedTime" || key == "updateTime") {
            MDG_TRY(get_millis(f.value(), l.ts_exchange));
            has_time = true;
        } else if (key == "S" || key == "side") {
            std::string_view s;
            MDG_TRY(get_plain(f.value(), s));
            MDG_TRY(parse_side(s, l.position_side));
            has_side = true;
        } else if (key == "p" || key == "price") {
            MDG_TRY(get_plain(f.value(), p));
        } else if (key == "v" || key == "size") {
            MDG_TRY(get_plain(f.value(), v));
        } else if (key == "s" || key == "symbol") {
            MDG_TRY(get_plain(f.value(), sym));
        } else {
            ++out.unknown_fields;
        }
    }
    if (!has_time || !has_side || p.empty() || v.empty()) {
        return errc::missing_field;
    }
    if (!sym.empty() && sym != in.topic_symbol) {
        return errc::symbol_mismatch;
    }
    MDG_TRY(parse_price(p, in.spec, l.px));
    MDG_TRY(parse_qty(v, in.spec, l.sz));
    if (out.liquidations.size() >= in.opts.max_items) {
        return errc::too_many_levels;
    }
    out.liquidations.push_back(l);
    return errc::ok;
}

errc parse_liquidations(ondemand::value data, const channel_input& in, decoded_frame& out) {
    ondemand::json_type type{};
    MDG_JSON_GET(data.type(), type);
    if (type == ondemand::json_type::object) { // deprecated liquidation.{symbol}
        ondemand::object obj;
        MDG_JSON_GET(data.get_object(), obj);
        return parse_liquidation_object(obj, in, out);
    }
    ondemand::array arr;
    MDG_JSON_GET(data.get_array(), arr);
    for (auto item : arr) {
        ondemand::object obj;
        MDG_JSON_GET(item.get_object(), obj);
        MDG_TRY(parse_liquidation_object(obj, in, out));
    }
    return errc::ok;
}

errc parse_data(ondemand::value data, const channel_input& in, decoded_frame& out) {
    switch (out.topic.ch) {
    case channel::orderbook:
        out.type = frame_type::orderbook;
        return parse_orderbook(data, in, out);
    case channel::public_trade:
        out.type = frame_type::trade;
        return parse_trades(data, in, out);
    case channel::tickers:
        out.type = frame_type::ticker;
        return parse_ticker(data, in, out);
    case channel::kline:
        out.type = frame_type::kline;
        return parse_klines(data, in, out);
    case channel::all_liquidation:
    case channel::liquidation:
        out.type = frame_type::liquidation;
        return parse_liquidations(data, in, out);
    }
    return errc::unknown_channel;
}

// --- control frames --------------------------------------------------------------------------

errc parse_command_resp_data(ondemand::value data, control_frame& c) {
    ondemand::object obj;
    MDG_JSON_GET(data.get_object(), obj);
    for (auto fr : obj) {
        ondemand::field f;
        MDG_JSON_GET(fr, f);
        if (key_text(f) == "failTopics") {
            ondemand::array arr;
            MDG_JSON_GET(f.value().get_array(), arr);
            for (auto item : arr) {
                std::string_view s;
                MDG_TRY(get_plain(item, s));
                c.fail_topics.push_back(s);
            }
        }
    }
    return errc::ok;
}

// Maps Bybit's error text (the only thing it sends) to a reason, once. Examples:
// "error:handler not found,topic:orderbook.500.BTCUSDT", "error:already subscribed,topic:X",
// "args size >10" (escaped on the wire as \u003e).
void classify_reject(control_frame& c) noexcept {
    const auto msg = c.ret_msg;
    if (msg.find("handler not found") != std::string_view::npos) {
        c.reason = reject_reason::handler_not_found;
    } else if (msg.find("already subscribed") != std::string_view::npos) {
        c.reason = reject_reason::already_subscribed;
    } else if (msg.starts_with("args size")) {
        c.reason = reject_reason::args_size;
    } else {
        c.reason = reject_reason::other;
    }
    if (const auto pos = msg.find("topic:"); pos != std::string_view::npos) {
        c.reject_topic = msg.substr(pos + 6);
    }
}

} // namespace

std::optional<model::ticker_field> ticker_field_of(std::string_view json_key) noexcept {
    if (const auto* k = find_ticker_key(json_key)) {
        return k->field;
    }
    return std::nullopt;
}

// --- decoder ---------------------------------------------------------------------------------

struct decoder::impl {
    decoder_options opts;
    ondemand::parser parser;
    std::string buffer; // padded copy of the frame
    decoded_frame out;
    decode_failure failure;

    explicit impl(decoder_options o) : opts(o), parser(o.max_frame_bytes) {
        buffer.reserve(4096 + simdjson::SIMDJSON_PADDING);
    }

    errc run(std::string_view frame, const parse_context& ctx);
};

errc decoder::impl::run(std::string_view frame, const parse_context& ctx) {
    failure = decode_failure{};
    if (frame.size() > opts.max_frame_bytes) {
        return errc::frame_too_large;
    }
    buffer.assign(frame);
    buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    const simdjson::padded_string_view input(buffer.data(), frame.size(), buffer.size());

    out.type = frame_type::control;
    out.topic_text = {};
    out.topic = {};
    out.unknown_fields = 0;
    out.trades.clear();
    out.klines.clear();
    out.liquidations.clear();
    out.bid_buf.clear();
    out.ask_buf.clear();
    out.book = {};
    auto fail_topics = std::move(out.control.fail_topics); // keep the capacity
    fail_topics.clear();
    out.control = control_frame{};
    out.control.fail_topics = std::move(fail_topics);

    ondemand::document doc;
    MDG_JSON_GET(parser.iterate(input), doc);
    ondemand::object root;
    MDG_JSON_GET(doc.get_object(), root);

    bool have_topic = false;
    bool data_done = false;
    bool data_pending = false;
    bool has_type = false;
    bool command_resp = false;
    bool has_success = false;
    model::update_kind kind = model::update_kind::snapshot;
    unix_nanos ts{};
    unix_nanos cts{};
    std::uint64_t cs = 0;
    std::string_view op;
    std::optional<channel_input> in;
    control_frame& c = out.control;

    for (auto fr : root) {
        ondemand::field f;
        MDG_JSON_GET(fr, f);
        const auto key = key_text(f);
        if (key == "topic") {
            MDG_TRY(get_plain(f.value(), out.topic_text));
            auto t = parse_topic(out.topic_text);
            if (!t) {
                return to_errc(t.error());
            }
            out.topic = *t;
            model::instrument_id id;
            model::instrument_spec spec;
            if (ctx.cat == model::category::option && t->ch == channel::public_trade) {
                // A base-coin topic: trades resolve their own instruments.
                spec = model::default_spec;
            } else {
                MDG_TRY(resolve(ctx, t->symbol, id, spec));
            }
            out.instrument = id;
            in.emplace(channel_input{ctx, opts, t->symbol, id, spec});
            have_topic = true;
            failure.topic_known = true;
            failure.topic_text = out.topic_text;
            failure.topic = out.topic;
            failure.instrument = id;
        } else if (key == "type") {
            std::string_view s;
            MDG_TRY(get_plain(f.value(), s));
            has_type = true;
            if (s == "snapshot") {
                kind = model::update_kind::snapshot;
            } else if (s == "delta") {
                kind = model::update_kind::delta;
                failure.kind = kind;
            } else if (s == "COMMAND_RESP") {
                command_resp = true;
            } else {
                return errc::unknown_enum;
            }
        } else if (key == "ts") {
            MDG_TRY(get_millis(f.value(), ts));
        } else if (key == "cts") {
            MDG_TRY(get_millis(f.value(), cts));
        } else if (key == "cs") {
            MDG_TRY(get_u64(f.value(), cs));
        } else if (key == "data") {
            if (have_topic) {
                MDG_TRY(parse_data(f.value(), *in, out));
                data_done = true;
            } else {
                data_pending = true; // parsed after the loop, once we know what it is
            }
        } else if (key == "success") {
            MDG_TRY(get_bool(f.value(), c.success));
            has_success = true;
        } else if (key == "ret_msg") {
            MDG_TRY(get_plain(f.value(), c.ret_msg));
        } else if (key == "conn_id") {
            MDG_TRY(get_plain(f.value(), c.conn_id));
        } else if (key == "req_id") {
            MDG_TRY(get_plain(f.value(), c.req_id));
            c.has_req_id = true;
        } else if (key == "op") {
            MDG_TRY(get_plain(f.value(), op));
        } else if (key == "id" || key == "args") {
            // Option message id; pong/ack args: known, not needed.
        } else {
            ++out.unknown_fields;
        }
    }
    if (auto loc = doc.current_location(); loc.error() == simdjson::SUCCESS) {
        return errc::malformed_json; // trailing content after the root object
    }

    if (have_topic) {
        if (!data_done) {
            if (!data_pending) {
                return errc::missing_field;
            }
            // `data` came before `topic` (seen in older captures): read it again.
            doc.rewind();
            ondemand::value data;
            MDG_JSON_GET(doc.find_field_unordered("data"), data);
            MDG_TRY(parse_data(data, *in, out));
        }
        if (!has_type && (out.type == frame_type::orderbook || out.type == frame_type::ticker)) {
            return errc::missing_field;
        }
        switch (out.type) {
        case frame_type::orderbook:
            out.book.instrument = out.instrument;
            out.book.depth = out.topic.depth;
            out.book.kind = kind;
            out.book.ts_exchange = ts;
            out.book.ts_engine = cts;
            out.book.ts_recv = ctx.ts_recv;
            break;
        case frame_type::ticker:
            out.ticker.instrument = out.instrument;
            out.ticker.kind = kind;
            out.ticker.cross_seq = cs;
            out.ticker.ts_exchange = ts;
            out.ticker.ts_recv = ctx.ts_recv;
            break;
        case frame_type::kline:
            for (auto& k : out.klines) {
                k.ts_exchange = ts;
            }
            break;
        case frame_type::trade:
        case frame_type::liquidation:
        case frame_type::control:
            break;
        }
        return errc::ok;
    }

    // A control frame: an ack, a pong or an error frame.
    if (op.empty() && !command_resp) {
        return has_success ? errc::missing_field : errc::unknown_topic;
    }
    c.command_resp = command_resp;
    if (data_pending && command_resp) {
        doc.rewind();
        ondemand::value data;
        MDG_JSON_GET(doc.find_field_unordered("data"), data);
        MDG_TRY(parse_command_resp_data(data, c));
        if (!c.fail_topics.empty()) {
            c.success = false;
            c.reason = reject_reason::handler_not_found;
            c.reject_topic = c.fail_topics.front();
        }
    }
    if (op == "subscribe") {
        c.op = control_op::subscribe;
    } else if (op == "unsubscribe") {
        c.op = control_op::unsubscribe;
    } else if (op == "ping" || op == "pong") {
        c.op = control_op::ping;
    } else {
        c.op = command_resp ? control_op::subscribe : control_op::other;
    }
    c.is_pong = op == "pong" || (op == "ping" && c.ret_msg == "pong");
    if (c.is_pong && !has_success) {
        c.success = true; // option/private pongs carry no success flag
    }
    if (!c.success && !c.is_pong && c.reason == reject_reason::none) {
        classify_reject(c);
    }
    return errc::ok;
}

decoder::decoder(decoder_options opts) : impl_(std::make_unique<impl>(opts)) {}
decoder::~decoder() = default;
decoder::decoder(decoder&&) noexcept = default;
decoder& decoder::operator=(decoder&&) noexcept = default;

namespace {

// The kind of a failed frame's error, refined: a frame that is not JSON at all, or cut short.
errc refine(errc e, std::string_view frame) noexcept {
    if (e != errc::malformed_json && e != errc::wrong_type && e != errc::truncated) {
        return e;
    }
    const auto begin = frame.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) {
        return errc::truncated; // empty
    }
    if (frame[begin] != '{' && frame[begin] != '[') {
        return errc::malformed_json; // not JSON at all
    }
    // A frame cut short often fails as a generic syntax error; tell the two apart by whether
    // the text still ends like a JSON object.
    if (e == errc::malformed_json && frame[frame.find_last_not_of(" \t\r\n")] != '}') {
        return errc::truncated;
    }
    return e;
}

} // namespace

result<const decoded_frame*> decoder::decode(std::string_view frame, const parse_context& ctx) {
    const errc e = impl_->run(frame, ctx);
    if (e != errc::ok) {
        impl_->failure.reason = refine(e, frame);
        return impl_->failure.reason;
    }
    return &impl_->out;
}

const decode_failure& decoder::last_failure() const noexcept {
    return impl_->failure;
}

} // namespace mdg::exchange::bybit
