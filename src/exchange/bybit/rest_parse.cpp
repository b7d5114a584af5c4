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

errc price_of(std::string_view s, const model::instrument_spec& spec, model::price& out) {
    auto r = model::parse_fixed(s, spec.price_decimals, false);
    if (!r) {
        return static_cast<errc>(r.error().value());
    }
    if (*r <= 0) {
        return errc::negative_value;
    }
    out.raw = *r;
    return errc::ok;
}

errc decimal_of(std::string_view s, model::decimal& out) {
    auto r = model::decimal::parse(s);
    if (!r) {
        return static_cast<errc>(r.error().value());
    }
    out = *r;
    return errc::ok;
}

} // namespace

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
