// Fuzz target: the decoders of the venue's REST answers (exchange/bybit/rest_parse.cpp) on one
// body: as a kline list (a fixed interval and a calendar month) merged into a small series, as
// an open-interest page merged into a ticker's buckets, as a recent-trade list merged into a
// small trade ring, as a funding history, an account-ratio list and risk-limit tiers, and as
// an order book and a ticker (the emergency refresh's answers).
// Invariants: decoded candles are oldest first with strictly increasing starts, end after
// start, low <= open, close <= high; a failure has a reason; a series after merging stays in
// order and within its capacity; open-interest points strictly increase; trades are oldest
// first with positive prices and sizes and non-empty ids, and the ring after merging is in time
// order, within its capacity, each id once; funding rates and account ratios are oldest first
// with strictly increasing times, rates within [-1, 1], ratios within [0, 1]; risk tiers are by
// ascending limit, positive, with a max leverage of at least 1, each id once; a REST book has
// bids strictly descending, asks strictly ascending, positive levels within the limit, and is
// not crossed; a REST ticker is a snapshot of the asked instrument.

#include <cstddef>
#include <cstdint>
#include <string>

#include "exchange/bybit/rest_parse.hpp"
#include "fuzz/fuzz_check.hpp"
#include "market/kline_series.hpp"
#include "market/ticker_state.hpp"
#include "market/trade_ring.hpp"

namespace {

using namespace mdg;
namespace bybit = exchange::bybit;

void klines(std::string_view body, model::kline_interval iv) {
    std::string reason;
    const auto r =
        bybit::parse_rest_klines(body, "BTCUSDT", model::instrument_id{1},
                                 model::instrument_spec{2, 3}, iv, unix_nanos{1}, reason);
    if (!r) {
        fuzz::check(!reason.empty(), "a refused list has a reason");
        return;
    }
    fuzz::check(r->size() <= bybit::max_rest_rows, "rows within max_rest_rows");
    for (std::size_t i = 0; i < r->size(); ++i) {
        const auto& k = (*r)[i];
        fuzz::check(i == 0 || (*r)[i - 1].start < k.start, "starts strictly increase");
        fuzz::check(k.end > k.start, "end after start");
        fuzz::check(k.low.raw <= k.open.raw && k.low.raw <= k.close.raw &&
                        k.high.raw >= k.open.raw && k.high.raw >= k.close.raw,
                    "low <= open, close <= high");
    }
    market::kline_series series{8};
    model::kline live = r->empty() ? model::kline{} : r->back();
    (void)series.upsert(live);
    (void)series.merge(*r);
    fuzz::check(series.size() <= series.capacity(), "series within capacity");
    for (std::size_t i = 1; i < series.size(); ++i) {
        fuzz::check(series.at(i - 1).start < series.at(i).start, "series in order after merge");
    }
}

void trades(std::string_view body) {
    std::string reason;
    const auto r = bybit::parse_rest_trades(body, "BTCUSDT", model::instrument_id{1},
                                            model::instrument_spec{2, 3}, unix_nanos{1}, reason);
    if (!r) {
        fuzz::check(!reason.empty(), "a refused trade list has a reason");
        return;
    }
    for (std::size_t i = 0; i < r->size(); ++i) {
        const auto& t = (*r)[i];
        fuzz::check(i == 0 || (*r)[i - 1].ts_exchange <= t.ts_exchange, "trades oldest first");
        fuzz::check(t.px.raw > 0 && t.sz.raw > 0, "positive price and size");
        fuzz::check(!t.id.view().empty(), "every trade has an id");
    }
    market::trade_ring ring{8};
    if (!r->empty()) {
        (void)ring.push(r->back());
    }
    (void)ring.merge(*r);
    fuzz::check(ring.size() <= ring.capacity(), "ring within capacity");
    for (std::size_t i = 1; i < ring.size(); ++i) {
        fuzz::check(ring.at(i - 1).ts_exchange <= ring.at(i).ts_exchange, "ring in time order");
        for (std::size_t k = 0; k < i; ++k) {
            fuzz::check(!(ring.at(k).id == ring.at(i).id), "each id once in the ring");
        }
    }
}

// Whether `r` holds decoded rows (at most max_rest_rows); a refusal must have a reason.
template <typename Row>
bool accepted(const result<std::vector<Row>>& r, const std::string& reason) {
    if (!r) {
        fuzz::check(!reason.empty(), "a refused list has a reason");
        return false;
    }
    fuzz::check(r->size() <= bybit::max_rest_rows, "rows within max_rest_rows");
    return true;
}

void funding(std::string_view body) {
    std::string reason;
    const auto r = bybit::parse_rest_funding_history(body, "BTCUSDT", reason);
    if (!accepted(r, reason)) {
        return;
    }
    for (std::size_t i = 0; i < r->size(); ++i) {
        const auto& p = (*r)[i];
        fuzz::check(i == 0 || (*r)[i - 1].ts < p.ts, "funding times strictly increase");
        fuzz::check(p.rate >= model::decimal{-1, 0} && p.rate <= model::decimal{1, 0},
                    "funding rate within [-1, 1]");
    }
}

void account_ratio(std::string_view body) {
    std::string reason;
    const auto r = bybit::parse_rest_account_ratio(body, "BTCUSDT", reason);
    if (!accepted(r, reason)) {
        return;
    }
    const auto share = [](const model::decimal& d) {
        return d >= model::decimal{} && d <= model::decimal{1, 0};
    };
    for (std::size_t i = 0; i < r->size(); ++i) {
        const auto& p = (*r)[i];
        fuzz::check(i == 0 || (*r)[i - 1].ts < p.ts, "ratio times strictly increase");
        fuzz::check(share(p.buy_ratio) && share(p.sell_ratio), "ratios within [0, 1]");
    }
}

void risk_limits(std::string_view body) {
    std::string reason;
    const auto r = bybit::parse_rest_risk_limits(body, "BTCUSDT", reason);
    if (!accepted(r, reason)) {
        return;
    }
    const model::decimal zero{};
    for (std::size_t i = 0; i < r->size(); ++i) {
        const auto& t = (*r)[i];
        fuzz::check(i == 0 || (*r)[i - 1].limit_value <= t.limit_value, "tiers by ascending limit");
        fuzz::check(t.limit_value > zero && t.maintenance_margin > zero && t.initial_margin > zero,
                    "positive limit and margins");
        fuzz::check(t.max_leverage >= model::decimal{1, 0}, "max leverage at least 1");
        for (std::size_t k = 0; k < i; ++k) {
            fuzz::check((*r)[k].id != t.id, "each tier id once");
        }
    }
}

void book_and_ticker(std::string_view body) {
    std::string reason;
    constexpr std::size_t limit = 50;
    if (const auto b = bybit::parse_rest_orderbook(body, "BTCUSDT", model::instrument_spec{2, 3},
                                                   limit, reason)) {
        fuzz::check(b->bids.size() <= limit && b->asks.size() <= limit, "levels within the limit");
        for (std::size_t i = 0; i < b->bids.size(); ++i) {
            fuzz::check(b->bids[i].px.raw > 0 && b->bids[i].sz.raw > 0, "positive bid");
            fuzz::check(i == 0 || b->bids[i - 1].px.raw > b->bids[i].px.raw, "bids descend");
        }
        for (std::size_t i = 0; i < b->asks.size(); ++i) {
            fuzz::check(b->asks[i].px.raw > 0 && b->asks[i].sz.raw > 0, "positive ask");
            fuzz::check(i == 0 || b->asks[i - 1].px.raw < b->asks[i].px.raw, "asks ascend");
        }
        fuzz::check(b->bids.empty() || b->asks.empty() ||
                        b->bids.front().px.raw < b->asks.front().px.raw,
                    "not crossed");
    } else {
        fuzz::check(!reason.empty(), "a refused book has a reason");
    }
    reason.clear();
    if (const auto t = bybit::parse_rest_ticker(body, "BTCUSDT", model::instrument_id{1},
                                                unix_nanos{1}, reason)) {
        fuzz::check(t->instrument == model::instrument_id{1} &&
                        t->kind == model::update_kind::snapshot && t->cross_seq == 0,
                    "a snapshot of the asked instrument");
    } else {
        fuzz::check(!reason.empty(), "a refused ticker has a reason");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto body = fuzz::as_text(data, size);
    klines(body, model::kline_interval::m5);
    klines(body, model::kline_interval::mn1);
    std::string reason;
    const auto oi = bybit::parse_rest_open_interest(body, "BTCUSDT", reason);
    if (!oi) {
        fuzz::check(!reason.empty(), "a refused page has a reason");
    } else {
        for (std::size_t i = 1; i < oi->points.size(); ++i) {
            fuzz::check(oi->points[i - 1].ts < oi->points[i].ts, "points strictly increase");
        }
        fuzz::check(oi->next_cursor.size() <= 256, "cursor bounded");
        market::ticker_state t{4};
        (void)t.merge_open_interest(oi->points);
        fuzz::check(t.oi_history().size() <= 4, "buckets within the depth");
        fuzz::check(!t.open_interest_current().has_value(), "history never sets the current value");
    }
    trades(body);
    funding(body);
    account_ratio(body);
    risk_limits(body);
    book_and_ticker(body);
    return 0;
}
