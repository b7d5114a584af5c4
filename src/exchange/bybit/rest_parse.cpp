#include "exchange/bybit/rest_parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>
#include <simdjson.h>

#include "exchange/bybit/parse.hpp"
#include "model/fixed_point.hpp"

namespace mdg::exchange::bybit {

namespace dom = simdjson::dom;

namespace {

// The envelope's `result` (retCode 0, an object), or an error with `reason`. `server_time`
// takes the envelope's `time` when there is one.
errc open_result(dom::parser& parser, std::string_view body, dom::object& result,
                 unix_nanos* server_time, std::string& reason) {
    dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
        reason = "the body is not JSON";
        return errc::malformed_json;
    }
    std::int64_t code = 0;
    if (doc["retCode"].get_int64().get(code) != simdjson::SUCCESS) {
        reason = "no integer retCode";
        return errc::missing_field;
    }
    if (code != 0) {
        reason = fmt::format("retCode {}", code);
        return errc::invalid_argument;
    }
    if (doc["result"].get_object().get(result) != simdjson::SUCCESS) {
        reason = "no result object";
        return errc::missing_field;
    }
    std::int64_t ms = 0;
    if (server_time != nullptr && doc["time"].get_int64().get(ms) == simdjson::SUCCESS && ms > 0 &&
        ms < 9'000'000'000'000) {
        *server_time = unix_nanos::from_millis(ms);
    }
    return errc::ok;
}

// `result.symbol`, when present, must be the one asked for.
errc check_symbol(const dom::object& result, std::string_view symbol, std::string& reason) {
    std::string_view s;
    if (result["symbol"].get_string().get(s) == simdjson::SUCCESS && s != symbol) {
        reason = fmt::format("answer for symbol '{}', not {}", s.substr(0, 40), symbol);
        return errc::symbol_mismatch;
    }
    return errc::ok;
}

// `result.list`, at most max_rest_rows long.
errc open_list(const dom::object& result, dom::array& list, std::string& reason) {
    if (result["list"].get_array().get(list) != simdjson::SUCCESS) {
        reason = "no list array";
        return errc::missing_field;
    }
    if (list.size() > max_rest_rows) {
        reason = fmt::format("{} rows, more than {}", list.size(), max_rest_rows);
        return errc::too_many_levels;
    }
    return errc::ok;
}

// `result.list` of an answer with no top-level symbol to check (open_result, then open_list).
errc open_rows(dom::parser& parser, std::string_view body, dom::array& list, std::string& reason) {
    dom::object res;
    if (auto e = open_result(parser, body, res, nullptr, reason); e != errc::ok) {
        return e;
    }
    return open_list(res, list, reason);
}

// Milliseconds since the epoch as a string of digits (Bybit's REST times).
errc millis_of(std::string_view s, unix_nanos& out) {
    auto r = model::parse_fixed(s, 0, false);
    if (!r || *r <= 0 || *r > 9'000'000'000'000) {
        return errc::invalid_number;
    }
    out = unix_nanos::from_millis(*r);
    return errc::ok;
}

// A fixed-point number with at most `decimals` decimals that must be positive.
errc positive_fixed(std::string_view s, std::uint8_t decimals, std::int64_t& out) {
    auto r = model::parse_fixed(s, decimals, false);
    if (!r) {
        return static_cast<errc>(r.error().value());
    }
    if (*r <= 0) {
        return errc::negative_value;
    }
    out = *r;
    return errc::ok;
}

errc price_of(std::string_view s, const model::instrument_spec& spec, model::price& out) {
    return positive_fixed(s, spec.price_decimals, out.raw);
}

errc decimal_of(std::string_view s, model::decimal& out) {
    auto r = model::decimal::parse(s);
    if (!r) {
        return static_cast<errc>(r.error().value());
    }
    out = *r;
    return errc::ok;
}

errc qty_of(std::string_view s, const model::instrument_spec& spec, model::qty& out) {
    return positive_fixed(s, spec.qty_decimals, out.raw);
}

// `item[key]`, a decimal string; otherwise `what` says what is wrong with it.
errc decimal_field(dom::element item, std::string_view key, model::decimal& out,
                   std::string& what) {
    std::string_view s;
    if (item[key].get_string().get(s) != simdjson::SUCCESS) {
        what = fmt::format("{} is not a string", key);
        return errc::wrong_type;
    }
    if (auto e = decimal_of(s, out); e != errc::ok) {
        what = fmt::format("{} is a bad number ({})", key, to_string(e));
        return e;
    }
    return errc::ok;
}

// `item[key]`, a decimal string within [lo, hi]; otherwise `what` says what is wrong with it.
errc bounded_field(dom::element item, std::string_view key, model::decimal lo, model::decimal hi,
                   model::decimal& out, std::string& what) {
    if (auto e = decimal_field(item, key, out, what); e != errc::ok) {
        return e;
    }
    if (out < lo || out > hi) {
        what = fmt::format("{} outside [{}, {}]", key, lo.to_string(), hi.to_string());
        return errc::invalid_argument;
    }
    return errc::ok;
}

// The points of a newest-first `list` of {symbol, ..., `time_key`} objects for `symbol`, oldest
// first. `fields` reads a row's own values into its point (on error, `what` says what is wrong);
// the envelope, the row's symbol, its time (milliseconds, into `ts`) and the strictly decreasing
// order of the times are checked here.
template <typename Point, typename Fields>
result<std::vector<Point>> parse_series(std::string_view body, std::string_view symbol,
                                        std::string_view time_key, Fields fields,
                                        std::string& reason) {
    dom::parser parser;
    dom::array list;
    if (auto e = open_rows(parser, body, list, reason); e != errc::ok) {
        return e;
    }
    std::vector<Point> out;
    out.reserve(list.size());
    std::size_t row = 0;
    for (dom::element item : list) {
        const auto fail = [&](errc e, std::string_view what) {
            reason = fmt::format("row {}: {}", row, what);
            return e;
        };
        std::string_view sym;
        std::string_view time;
        if (item["symbol"].get_string().get(sym) != simdjson::SUCCESS ||
            item[time_key].get_string().get(time) != simdjson::SUCCESS) {
            return fail(errc::missing_field,
                        fmt::format("symbol and {} must be strings", time_key));
        }
        if (sym != symbol) {
            return fail(errc::symbol_mismatch,
                        fmt::format("a row of '{}', not {}", sym.substr(0, 40), symbol));
        }
        Point p;
        if (auto e = millis_of(time, p.ts); e != errc::ok) {
            return fail(e, fmt::format("{} is not a time in milliseconds", time_key));
        }
        std::string what;
        if (auto e = fields(item, p, what); e != errc::ok) {
            return fail(e, what);
        }
        if (!out.empty() && p.ts >= out.back().ts) {
            return fail(errc::invalid_argument, "timestamps not strictly decreasing");
        }
        out.push_back(p);
        ++row;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

// A risk tier's id: a JSON number (as Bybit sends it) or a string of digits, within 32 bits.
bool tier_id_of(dom::element v, std::uint32_t& out) {
    std::uint64_t n = 0;
    std::string_view s;
    if (v.get_uint64().get(n) != simdjson::SUCCESS) {
        if (v.get_string().get(s) != simdjson::SUCCESS || s.empty()) {
            return false;
        }
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc{} || end != s.data() + s.size()) {
            return false;
        }
    }
    if (n > std::numeric_limits<std::uint32_t>::max()) {
        return false;
    }
    out = static_cast<std::uint32_t>(n);
    return true;
}

// `isLowestRisk`: a number 0 or 1 (as Bybit sends it) or a bool.
bool lowest_of(dom::element v, bool& out) {
    std::int64_t n = 0;
    if (v.get_int64().get(n) == simdjson::SUCCESS) {
        out = n == 1;
        return n == 0 || n == 1;
    }
    return v.get_bool().get(out) == simdjson::SUCCESS;
}

} // namespace

result<std::vector<model::trade>> parse_rest_trades(std::string_view body, std::string_view symbol,
                                                    model::instrument_id instrument,
                                                    const model::instrument_spec& spec,
                                                    unix_nanos ts_recv, std::string& reason) {
    dom::parser parser;
    dom::array list;
    if (auto e = open_rows(parser, body, list, reason); e != errc::ok) {
        return e;
    }
    std::vector<model::trade> out;
    out.reserve(list.size());
    std::size_t row = 0;
    for (dom::element item : list) {
        const auto fail = [&](errc e, std::string_view what) {
            reason = fmt::format("row {}: {}", row, what);
            return e;
        };
        std::string_view id;
        std::string_view sym;
        std::string_view px;
        std::string_view sz;
        std::string_view side;
        std::string_view time;
        if (item["execId"].get_string().get(id) != simdjson::SUCCESS ||
            item["symbol"].get_string().get(sym) != simdjson::SUCCESS ||
            item["price"].get_string().get(px) != simdjson::SUCCESS ||
            item["size"].get_string().get(sz) != simdjson::SUCCESS ||
            item["side"].get_string().get(side) != simdjson::SUCCESS ||
            item["time"].get_string().get(time) != simdjson::SUCCESS) {
            return fail(errc::missing_field, "execId, symbol, price, size, side and time must "
                                             "be strings");
        }
        if (sym != symbol) {
            return fail(errc::symbol_mismatch,
                        fmt::format("a trade of '{}', not {}", sym.substr(0, 40), symbol));
        }
        model::trade t;
        t.instrument = instrument;
        t.ts_recv = ts_recv;
        if (id.empty() || !t.id.assign(id)) {
            return fail(errc::invalid_argument, "an empty or over-long execId");
        }
        errc e = millis_of(time, t.ts_exchange);
        e = e != errc::ok ? e : price_of(px, spec, t.px);
        e = e != errc::ok ? e : qty_of(sz, spec, t.sz);
        if (e != errc::ok) {
            return fail(e, fmt::format("a bad number ({})", to_string(e)));
        }
        if (side == "Buy") {
            t.taker_side = model::side::buy;
        } else if (side == "Sell") {
            t.taker_side = model::side::sell;
        } else {
            return fail(errc::unknown_enum, "side is neither Buy nor Sell");
        }
        bool flag = false;
        if (item["isBlockTrade"].get_bool().get(flag) == simdjson::SUCCESS) {
            t.block_trade = flag;
        }
        if (item["isRPITrade"].get_bool().get(flag) == simdjson::SUCCESS) {
            t.rpi = flag;
        }
        if (!out.empty() && t.ts_exchange > out.back().ts_exchange) {
            return fail(errc::invalid_argument, "times not in newest-first order");
        }
        out.push_back(t);
        ++row;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

result<std::vector<model::kline>> parse_rest_klines(std::string_view body, std::string_view symbol,
                                                    model::instrument_id instrument,
                                                    const model::instrument_spec& spec,
                                                    model::kline_interval interval,
                                                    unix_nanos ts_recv, std::string& reason) {
    dom::parser parser;
    dom::object res;
    unix_nanos server_time = ts_recv;
    dom::array list;
    if (auto e = open_result(parser, body, res, &server_time, reason); e != errc::ok) {
        return e;
    }
    if (auto e = check_symbol(res, symbol, reason); e != errc::ok) {
        return e;
    }
    if (auto e = open_list(res, list, reason); e != errc::ok) {
        return e;
    }
    std::vector<model::kline> out;
    out.reserve(list.size());
    std::size_t row = 0;
    for (dom::element item : list) {
        dom::array cells;
        const auto fail = [&](errc e, std::string_view what) {
            reason = fmt::format("row {}: {}", row, what);
            return e;
        };
        if (item.get_array().get(cells) != simdjson::SUCCESS || cells.size() != 7) {
            return fail(errc::wrong_type, "not an array of 7 values");
        }
        std::array<std::string_view, 7> v;
        std::size_t i = 0;
        for (dom::element c : cells) {
            if (c.get_string().get(v[i]) != simdjson::SUCCESS) {
                return fail(errc::wrong_type, "a value that is not a string");
            }
            ++i;
        }
        model::kline k;
        k.instrument = instrument;
        k.interval = interval;
        k.ts_recv = ts_recv;
        k.ts_exchange = server_time;
        errc e = millis_of(v[0], k.start);
        e = e != errc::ok ? e : price_of(v[1], spec, k.open);
        e = e != errc::ok ? e : price_of(v[2], spec, k.high);
        e = e != errc::ok ? e : price_of(v[3], spec, k.low);
        e = e != errc::ok ? e : price_of(v[4], spec, k.close);
        e = e != errc::ok ? e : decimal_of(v[5], k.volume);
        e = e != errc::ok ? e : decimal_of(v[6], k.turnover);
        if (e != errc::ok) {
            return fail(e, fmt::format("a bad number ({})", to_string(e)));
        }
        if (k.high.raw < std::max(k.open.raw, k.close.raw) ||
            k.low.raw > std::min(k.open.raw, k.close.raw)) {
            return fail(errc::invalid_argument, "high below open/close or low above it");
        }
        if (!model::kline_start_valid(interval, k.start)) {
            return fail(errc::invalid_argument, "a start time that cannot begin a candle");
        }
        if (!out.empty() && k.start >= out.back().start) {
            return fail(errc::invalid_argument, "start times not strictly decreasing");
        }
        const auto next = model::kline_next_start(interval, k.start);
        k.end = unix_nanos{next.value - 1'000'000};
        k.confirm = next <= server_time;
        out.push_back(k);
        ++row;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

result<rest_oi_page> parse_rest_open_interest(std::string_view body, std::string_view symbol,
                                              std::string& reason) {
    dom::parser parser;
    dom::object res;
    dom::array list;
    if (auto e = open_result(parser, body, res, nullptr, reason); e != errc::ok) {
        return e;
    }
    if (auto e = check_symbol(res, symbol, reason); e != errc::ok) {
        return e;
    }
    if (auto e = open_list(res, list, reason); e != errc::ok) {
        return e;
    }
    rest_oi_page page;
    page.points.reserve(list.size());
    std::size_t row = 0;
    for (dom::element item : list) {
        std::string_view oi;
        std::string_view ts;
        rest_oi_point p;
        errc e = errc::ok;
        if (item["openInterest"].get_string().get(oi) != simdjson::SUCCESS ||
            item["timestamp"].get_string().get(ts) != simdjson::SUCCESS) {
            e = errc::wrong_type;
        }
        e = e != errc::ok ? e : decimal_of(oi, p.value);
        e = e != errc::ok ? e : millis_of(ts, p.ts);
        if (e == errc::ok && p.value < model::decimal{}) {
            e = errc::negative_value;
        }
        if (e != errc::ok) {
            reason = fmt::format("row {}: {}", row, to_string(e));
            return e;
        }
        if (!page.points.empty() && p.ts >= page.points.back().ts) {
            reason = fmt::format("row {}: timestamps not strictly decreasing", row);
            return errc::invalid_argument;
        }
        page.points.push_back(p);
        ++row;
    }
    std::reverse(page.points.begin(), page.points.end());
    std::string_view cursor;
    if (res["nextPageCursor"].get_string().get(cursor) == simdjson::SUCCESS) {
        page.next_cursor = std::string(cursor.substr(0, 256));
    }
    return page;
}

result<std::vector<model::funding_rate_point>>
parse_rest_funding_history(std::string_view body, std::string_view symbol, std::string& reason) {
    // At most 100 % either way.
    return parse_series<model::funding_rate_point>(
        body, symbol, "fundingRateTimestamp",
        [](dom::element item, model::funding_rate_point& p, std::string& what) {
            return bounded_field(item, "fundingRate", {-1, 0}, {1, 0}, p.rate, what);
        },
        reason);
}

result<std::vector<model::account_ratio_point>>
parse_rest_account_ratio(std::string_view body, std::string_view symbol, std::string& reason) {
    // The most the two shares may add up to: 1 and the venue's rounding (1.01, at 18 decimals).
    constexpr std::int64_t max_sum = 1'010'000'000'000'000'000;
    return parse_series<model::account_ratio_point>(
        body, symbol, "timestamp",
        [](dom::element item, model::account_ratio_point& p, std::string& what) {
            errc e = bounded_field(item, "buyRatio", {}, {1, 0}, p.buy_ratio, what);
            e = e != errc::ok ? e
                              : bounded_field(item, "sellRatio", {}, {1, 0}, p.sell_ratio, what);
            if (e != errc::ok) {
                return e;
            }
            // Both within [0, 1]: exact at 18 decimals, and their sum fits in int64.
            const auto buy = p.buy_ratio.to_fixed(model::max_decimals);
            const auto sell = p.sell_ratio.to_fixed(model::max_decimals);
            if (!buy || !sell || *buy + *sell > max_sum) {
                what = "buyRatio + sellRatio above 1.01";
                return errc::invalid_argument;
            }
            return errc::ok;
        },
        reason);
}

result<std::vector<model::risk_limit_tier>>
parse_rest_risk_limits(std::string_view body, std::string_view symbol, std::string& reason) {
    dom::parser parser;
    dom::array list;
    if (auto e = open_rows(parser, body, list, reason); e != errc::ok) {
        return e;
    }
    std::vector<model::risk_limit_tier> out;
    std::size_t row = 0;
    for (dom::element item : list) {
        const auto fail = [&](errc e, std::string_view what) {
            reason = fmt::format("row {}: {}", row, what);
            return e;
        };
        std::string_view sym;
        if (item["symbol"].get_string().get(sym) != simdjson::SUCCESS) {
            return fail(errc::missing_field, "symbol must be a string");
        }
        if (sym != symbol) { // the tiers of another symbol: not asked for
            ++row;
            continue;
        }
        model::risk_limit_tier t;
        dom::element v;
        if (item["id"].get(v) != simdjson::SUCCESS || !tier_id_of(v, t.id)) {
            return fail(errc::wrong_type, "id is neither a 32-bit number nor a string of digits");
        }
        if (item["isLowestRisk"].get(v) != simdjson::SUCCESS || !lowest_of(v, t.lowest)) {
            return fail(errc::wrong_type, "isLowestRisk is neither 0, 1 nor a bool");
        }
        std::string what;
        errc e = decimal_field(item, "riskLimitValue", t.limit_value, what);
        e = e != errc::ok ? e
                          : decimal_field(item, "maintenanceMargin", t.maintenance_margin, what);
        e = e != errc::ok ? e : decimal_field(item, "initialMargin", t.initial_margin, what);
        e = e != errc::ok ? e : decimal_field(item, "maxLeverage", t.max_leverage, what);
        if (e != errc::ok) {
            return fail(e, what);
        }
        if (t.limit_value <= model::decimal{} || t.maintenance_margin <= model::decimal{} ||
            t.initial_margin <= model::decimal{}) {
            return fail(errc::negative_value,
                        "riskLimitValue, maintenanceMargin and initialMargin must be positive");
        }
        if (t.max_leverage < model::decimal{1, 0}) {
            return fail(errc::invalid_argument, "maxLeverage below 1");
        }
        if (std::any_of(out.begin(), out.end(),
                        [&](const model::risk_limit_tier& o) { return o.id == t.id; })) {
            return fail(errc::invalid_argument, fmt::format("id {} twice", t.id));
        }
        out.push_back(t);
        ++row;
    }
    // Equal limits (not expected) keep a stable order: by id.
    std::sort(out.begin(), out.end(),
              [](const model::risk_limit_tier& a, const model::risk_limit_tier& b) {
                  return a.limit_value != b.limit_value ? a.limit_value < b.limit_value
                                                        : a.id < b.id;
              });
    return out;
}

namespace {
// One side of a REST book: [[price, size], ...] strings, best first (`descending` for bids).
errc book_side(dom::element side, const model::instrument_spec& spec, std::size_t max_levels,
               bool descending, std::vector<model::level>& out, std::string& reason) {
    dom::array levels;
    if (side.get_array().get(levels) != simdjson::SUCCESS) {
        reason = "a side that is not an array";
        return errc::wrong_type;
    }
    if (levels.size() > max_levels) {
        reason = fmt::format("{} levels, more than {}", levels.size(), max_levels);
        return errc::too_many_levels;
    }
    for (dom::element l : levels) {
        dom::array pair;
        std::string_view px;
        std::string_view sz;
        if (l.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2 ||
            pair.at(0).get_string().get(px) != simdjson::SUCCESS ||
            pair.at(1).get_string().get(sz) != simdjson::SUCCESS) {
            reason = fmt::format("level {}: not a pair of strings", out.size());
            return errc::wrong_type;
        }
        model::level lv;
        if (auto e = price_of(px, spec, lv.px); e != errc::ok) {
            reason = fmt::format("level {}: a bad price ({})", out.size(), to_string(e));
            return e;
        }
        if (auto e = qty_of(sz, spec, lv.sz); e != errc::ok) {
            reason = fmt::format("level {}: a bad size ({})", out.size(), to_string(e));
            return e;
        }
        if (!out.empty() &&
            (descending ? lv.px.raw >= out.back().px.raw : lv.px.raw <= out.back().px.raw)) {
            reason = fmt::format("level {}: prices not strictly {}", out.size(),
                                 descending ? "descending" : "ascending");
            return errc::invalid_argument;
        }
        out.push_back(lv);
    }
    return errc::ok;
}
} // namespace

result<rest_book> parse_rest_orderbook(std::string_view body, std::string_view symbol,
                                       const model::instrument_spec& spec, std::size_t max_levels,
                                       std::string& reason) {
    dom::parser parser;
    dom::object res;
    if (auto e = open_result(parser, body, res, nullptr, reason); e != errc::ok) {
        return e;
    }
    std::string_view s;
    if (res["s"].get_string().get(s) != simdjson::SUCCESS || s != symbol) {
        reason = fmt::format("answer for symbol '{}', not {}", s.substr(0, 40), symbol);
        return errc::symbol_mismatch;
    }
    rest_book b;
    std::int64_t ts = 0;
    if (res["u"].get_uint64().get(b.update_id) != simdjson::SUCCESS ||
        res["ts"].get_int64().get(ts) != simdjson::SUCCESS || ts <= 0 || ts > 9'000'000'000'000) {
        reason = "no integer u or ts";
        return errc::missing_field;
    }
    b.ts_exchange = unix_nanos::from_millis(ts);
    if (res["seq"].get_uint64().get(b.seq) != simdjson::SUCCESS) {
        b.seq = 0; // optional
    }
    if (std::int64_t cts = 0; res["cts"].get_int64().get(cts) == simdjson::SUCCESS && cts > 0 &&
                              cts < 9'000'000'000'000) {
        b.ts_engine = unix_nanos::from_millis(cts);
    }
    // Taken with an error check: converting a missing field's result to an element throws.
    dom::element bids;
    dom::element asks;
    if (res["b"].get(bids) != simdjson::SUCCESS || res["a"].get(asks) != simdjson::SUCCESS) {
        reason = "no b or a";
        return errc::missing_field;
    }
    if (auto e = book_side(bids, spec, max_levels, true, b.bids, reason); e != errc::ok) {
        reason = "bids: " + reason;
        return e;
    }
    if (auto e = book_side(asks, spec, max_levels, false, b.asks, reason); e != errc::ok) {
        reason = "asks: " + reason;
        return e;
    }
    if (!b.bids.empty() && !b.asks.empty() && b.bids.front().px.raw >= b.asks.front().px.raw) {
        reason = "a crossed book (best bid at or above best ask)";
        return errc::invalid_argument;
    }
    return b;
}

result<model::ticker_update> parse_rest_ticker(std::string_view body, std::string_view symbol,
                                               model::instrument_id instrument, unix_nanos ts_recv,
                                               std::string& reason) {
    dom::parser parser;
    dom::object res;
    unix_nanos server_time = ts_recv;
    dom::array list;
    if (auto e = open_result(parser, body, res, &server_time, reason); e != errc::ok) {
        return e;
    }
    if (auto e = open_list(res, list, reason); e != errc::ok) {
        return e;
    }
    for (dom::element item : list) {
        std::string_view s;
        if (item["symbol"].get_string().get(s) != simdjson::SUCCESS || s != symbol) {
            continue;
        }
        dom::object obj;
        if (item.get_object().get(obj) != simdjson::SUCCESS) {
            break;
        }
        model::ticker_update u;
        u.instrument = instrument;
        u.kind = model::update_kind::snapshot;
        u.ts_exchange = server_time;
        u.ts_recv = ts_recv;
        for (auto [key, value] : obj) {
            const auto field = ticker_field_of(key);
            if (!field) {
                continue; // symbol, tickDirection, deliveryTime, ...: not numeric fields
            }
            std::string_view text;
            if (value.get_string().get(text) != simdjson::SUCCESS) {
                reason = fmt::format("{}: not a string", key.substr(0, 40));
                return errc::wrong_type;
            }
            if (text.empty()) {
                u.fields.set_empty(*field);
                continue;
            }
            model::decimal d;
            if (auto e = decimal_of(text, d); e != errc::ok) {
                reason = fmt::format("{}: a bad number ({})", key.substr(0, 40), to_string(e));
                return e;
            }
            u.fields.set(*field, d);
        }
        return u;
    }
    reason = fmt::format("no ticker for {}", symbol);
    return errc::missing_field;
}

result<std::vector<rest_ticker_row>> parse_rest_tickers_list(std::string_view body,
                                                             std::string& reason) {
    constexpr std::size_t max_instruments = 5000;
    dom::parser parser;
    dom::object res;
    dom::array list;
    if (auto e = open_result(parser, body, res, nullptr, reason); e != errc::ok) {
        return e;
    }
    if (res["list"].get_array().get(list) != simdjson::SUCCESS) {
        reason = "no list array";
        return errc::missing_field;
    }
    if (list.size() > max_instruments) {
        reason = fmt::format("{} entries, more than {}", list.size(), max_instruments);
        return errc::too_many_levels;
    }
    std::vector<rest_ticker_row> out;
    out.reserve(list.size());
    for (dom::element item : list) {
        std::string_view sym;
        std::string_view turnover;
        std::string_view volume;
        if (item["symbol"].get_string().get(sym) != simdjson::SUCCESS || sym.empty() ||
            sym.size() > 64 ||
            item["turnover24h"].get_string().get(turnover) != simdjson::SUCCESS ||
            item["volume24h"].get_string().get(volume) != simdjson::SUCCESS) {
            reason = fmt::format("entry {}: symbol, turnover24h and volume24h must be strings",
                                 out.size());
            return errc::missing_field;
        }
        rest_ticker_row r;
        r.symbol = std::string(sym);
        errc e = decimal_of(turnover, r.turnover_24h);
        e = e != errc::ok ? e : decimal_of(volume, r.volume_24h);
        if (e == errc::ok &&
            (r.turnover_24h < model::decimal{} || r.volume_24h < model::decimal{})) {
            e = errc::negative_value;
        }
        if (e != errc::ok) {
            reason = fmt::format("entry {} ({}): a bad 24 h figure ({})", out.size(),
                                 sym.substr(0, 40), to_string(e));
            return e;
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace mdg::exchange::bybit
