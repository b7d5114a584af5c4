#include "exchange/bybit/rest_parse.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <simdjson.h>

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

} // namespace

result<std::vector<model::trade>> parse_rest_trades(std::string_view body, std::string_view symbol,
                                                    model::instrument_id instrument,
                                                    const model::instrument_spec& spec,
                                                    unix_nanos ts_recv, std::string& reason) {
    dom::parser parser;
    dom::object res;
    dom::array list;
    if (auto e = open_result(parser, body, res, nullptr, reason); e != errc::ok) {
        return e;
    }
    if (auto e = open_list(res, list, reason); e != errc::ok) {
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

} // namespace mdg::exchange::bybit
