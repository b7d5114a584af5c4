#include "sim/market_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>
#include <variant>

#include "exchange/bybit/topic.hpp"
#include "sim/detail/json_text.hpp"
#include "sim/detail/kline_period.hpp"
#include "sim/detail/rest_params.hpp"
#include "sim/detail/rng.hpp"
#include "sim/detail/symbol_market.hpp"

namespace mdg::sim {

namespace {

using detail::append_fixed;
using detail::append_int;
using detail::append_key;
using detail::append_str;
using detail::book_level;
using detail::symbol_market;
using exchange::bybit::channel;

// Level 1 re-sends an unchanged snapshot after this long (docs/venues/bybit.md, order books).
constexpr std::int64_t level1_resend_ms = 3000;
// Futures and spot put at most this many trades in one message (§8).
constexpr std::uint64_t max_items_per_frame = 1024;
constexpr std::size_t max_rest_levels = 1000;
constexpr std::int64_t funding_interval_ms = std::int64_t{8} * 3'600'000;
constexpr std::uint8_t max_config_decimals = 10;

// --- tickers -----------------------------------------------------------------------------------

// Every ticker field the simulator writes, in no particular order; each frame shape lists its
// own order below.
enum class tk : std::uint8_t {
    symbol,
    tick_direction,
    price_24h_pcnt,
    last_price,
    prev_price_24h,
    high_price_24h,
    low_price_24h,
    prev_price_1h,
    mark_price,
    index_price,
    open_interest,
    open_interest_value,
    turnover_24h,
    volume_24h,
    funding_interval_hour,
    funding_cap,
    single_open_interest,
    single_open_interest_value,
    next_funding_time,
    funding_rate,
    bid1_price,
    bid1_size,
    ask1_price,
    ask1_size,
    pre_open_price,
    pre_qty,
    cur_pre_listing_phase,
    usd_index_price,
    predicted_delivery_price,
    basis_rate,
    delivery_fee_rate,
    delivery_time,
    basis, // keep last: tk_count counts up to it
};
constexpr std::size_t tk_count = static_cast<std::size_t>(tk::basis) + 1;

constexpr std::array<std::string_view, tk_count> tk_names{
    "symbol",
    "tickDirection",
    "price24hPcnt",
    "lastPrice",
    "prevPrice24h",
    "highPrice24h",
    "lowPrice24h",
    "prevPrice1h",
    "markPrice",
    "indexPrice",
    "openInterest",
    "openInterestValue",
    "turnover24h",
    "volume24h",
    "fundingIntervalHour",
    "fundingCap",
    "singleOpenInterest",
    "singleOpenInterestValue",
    "nextFundingTime",
    "fundingRate",
    "bid1Price",
    "bid1Size",
    "ask1Price",
    "ask1Size",
    "preOpenPrice",
    "preQty",
    "curPreListingPhase",
    "usdIndexPrice",
    "predictedDeliveryPrice",
    "basisRate",
    "deliveryFeeRate",
    "deliveryTime",
    "basis",
};
static_assert(!tk_names.back().empty(), "one name per ticker field");

// WebSocket linear/inverse snapshot, in the order of a real 2026 frame (tests/data/bybit).
constexpr std::array<tk, 27> linear_ws_fields{
    tk::symbol,
    tk::tick_direction,
    tk::price_24h_pcnt,
    tk::last_price,
    tk::prev_price_24h,
    tk::high_price_24h,
    tk::low_price_24h,
    tk::prev_price_1h,
    tk::mark_price,
    tk::index_price,
    tk::open_interest,
    tk::open_interest_value,
    tk::turnover_24h,
    tk::volume_24h,
    tk::funding_interval_hour,
    tk::funding_cap,
    tk::single_open_interest,
    tk::single_open_interest_value,
    tk::next_funding_time,
    tk::funding_rate,
    tk::bid1_price,
    tk::bid1_size,
    tk::ask1_price,
    tk::ask1_size,
    tk::pre_open_price,
    tk::pre_qty,
    tk::cur_pre_listing_phase,
};

// WebSocket spot snapshot (§9).
constexpr std::array<tk, 9> spot_ws_fields{
    tk::symbol,     tk::last_price,   tk::high_price_24h, tk::low_price_24h,   tk::prev_price_24h,
    tk::volume_24h, tk::turnover_24h, tk::price_24h_pcnt, tk::usd_index_price,
};

// REST /v5/market/tickers list entries, in the documented order.
constexpr std::array<tk, 27> linear_rest_fields{
    tk::symbol,
    tk::last_price,
    tk::index_price,
    tk::mark_price,
    tk::prev_price_24h,
    tk::price_24h_pcnt,
    tk::high_price_24h,
    tk::low_price_24h,
    tk::prev_price_1h,
    tk::open_interest,
    tk::open_interest_value,
    tk::turnover_24h,
    tk::volume_24h,
    tk::funding_rate,
    tk::next_funding_time,
    tk::predicted_delivery_price,
    tk::basis_rate,
    tk::delivery_fee_rate,
    tk::delivery_time,
    tk::ask1_size,
    tk::bid1_price,
    tk::ask1_price,
    tk::bid1_size,
    tk::basis,
    tk::pre_open_price,
    tk::pre_qty,
    tk::cur_pre_listing_phase,
};

constexpr std::array<tk, 13> spot_rest_fields{
    tk::symbol,          tk::bid1_price,    tk::bid1_size,      tk::ask1_price,
    tk::ask1_size,       tk::last_price,    tk::prev_price_24h, tk::price_24h_pcnt,
    tk::high_price_24h,  tk::low_price_24h, tk::turnover_24h,   tk::volume_24h,
    tk::usd_index_price,
};

using ticker_values = std::array<std::string, tk_count>;

[[nodiscard]] std::string& at(ticker_values& v, tk f) {
    return v[static_cast<std::size_t>(f)];
}
[[nodiscard]] const std::string& at(const ticker_values& v, tk f) {
    return v[static_cast<std::size_t>(f)];
}

// --- per-topic state ---------------------------------------------------------------------------

// A book topic: what it last sent (its truth) and pending faults.
struct book_topic {
    std::size_t sym = 0;
    std::uint16_t depth = 0;
    std::uint64_t u = 0;
    std::vector<book_level> bids; // best first
    std::vector<book_level> asks;
    std::uint64_t seq = 0;
    std::int64_t cts_ms = 0;
    std::int64_t ts_ms = 0;        // generation time of the truth
    std::int64_t last_push_ms = 0; // level 1: time of the last (re)send
    bool skip_pending = false;
    bool crossed_pending = false;
    bool restart_pending = false;
    std::optional<bad_number_kind> bad_number_pending;
    std::size_t oversized_pending = 0; // levels per side of the next frame, 0 = none
};

// publicTrade and allLiquidation: a cursor into the symbol's event log.
struct event_topic {
    std::size_t sym = 0;
    std::uint64_t cursor = 0;
};

struct ticker_topic {
    std::size_t sym = 0;
    ticker_values sent;
    std::uint64_t cs = 0;
    std::int64_t ts_ms = 0;
};

struct kline_topic {
    std::size_t sym = 0;
    model::kline_interval iv = model::kline_interval::m1;
    bool pushed = false;
    bool current_sent = false;
    std::int64_t sent_start = 0;
    std::uint64_t sent_version = 0;
};

using topic_state = std::variant<book_topic, event_topic, ticker_topic, kline_topic>;

// A topic that this market serves, in canonical spelling.
struct resolved_topic {
    exchange::bybit::topic t; // channel, depth, interval (symbol left empty: see `sym`)
    std::string key;
    std::size_t sym = 0;
};

// How numbers are written: linear/inverse pad to the tick and lot, spot trims zeros (§7.3).
struct number_style {
    std::uint8_t pd = 0;
    std::uint8_t qd = 0;
    bool trim = false;
};

std::span<const book_level> top(const std::vector<book_level>& side, std::size_t n) {
    return {side.data(), std::min(n, side.size())};
}

void append_level(std::string& out, std::int64_t px, std::int64_t qty, const number_style& ns) {
    out += '[';
    append_fixed(out, px, ns.pd, ns.trim);
    out += ',';
    if (qty == 0) {
        out += R"("0")"; // Bybit deletes with a bare "0" in every category
    } else {
        append_fixed(out, qty, ns.qd, ns.trim);
    }
    out += ']';
}

void append_levels(std::string& out, std::span<const book_level> levels, const number_style& ns) {
    out += '[';
    for (std::size_t i = 0; i < levels.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        append_level(out, levels[i].px, levels[i].qty, ns);
    }
    out += ']';
}

// Appends the levels that differ between what was sent and the book now (both best first):
// new or resized levels with their size, levels gone from the top N with "0". Returns how many.
std::size_t append_diff(std::string& out, std::span<const book_level> sent,
                        std::span<const book_level> now, bool bids, const number_style& ns) {
    const auto better = [bids](std::int64_t a, std::int64_t b) {
        return bids ? a > b : a < b;
    };
    std::size_t i = 0;
    std::size_t j = 0;
    std::size_t n = 0;
    out += '[';
    const auto emit = [&](std::int64_t px, std::int64_t qty) {
        if (n++ > 0) {
            out += ',';
        }
        append_level(out, px, qty, ns);
    };
    while (i < sent.size() || j < now.size()) {
        if (j == now.size() || (i < sent.size() && better(sent[i].px, now[j].px))) {
            emit(sent[i++].px, 0);
        } else if (i == sent.size() || better(now[j].px, sent[i].px)) {
            emit(now[j].px, now[j].qty);
            ++j;
        } else {
            if (sent[i].qty != now[j].qty) {
                emit(now[j].px, now[j].qty);
            }
            ++i;
            ++j;
        }
    }
    out += ']';
    return n;
}

bool same_levels(std::span<const book_level> a, std::span<const book_level> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// One bid whose price no client can use: `px` written with a non-zero digit beyond the tick and
// beyond 8 decimals, the finest any client may assume (precision: "65114.200000001"), with a
// letter among its digits (malformed), or "0" (zero).
void append_bad_level(std::string& out, std::int64_t px, bad_number_kind how,
                      const number_style& ns) {
    std::string text = model::to_fixed_string(px, ns.pd, false);
    switch (how) {
    case bad_number_kind::precision:
        text += ns.pd == 0 ? "." : "";
        text.append(ns.pd < 8 ? 8 - ns.pd : 0, '0');
        text += '1';
        break;
    case bad_number_kind::malformed:
        text.insert(1, "x");
        break;
    case bad_number_kind::zero:
        text = "0";
        break;
    }
    out += R"([")";
    out += text;
    out += R"(","1"])";
}

// The truth's levels, then made-up ones with worse prices, `levels` per side (bids stop above
// price 0).
book_topic padded(const book_topic& bt, std::size_t levels) {
    book_topic out = bt;
    const auto pad = [levels](std::vector<book_level>& side, std::int64_t from, std::int64_t step) {
        for (std::int64_t px = from + step; side.size() < levels && px > 0; px += step) {
            side.push_back({px, 1});
        }
    };
    pad(out.bids, out.bids.empty() ? 1'000'000 : out.bids.back().px, -1);
    pad(out.asks, out.asks.empty() ? 1'000'000 : out.asks.back().px, 1);
    return out;
}

// Bybit's base and quote coins from the symbol's suffix.
std::pair<std::string, std::string> split_symbol(std::string_view s) {
    for (const std::string_view quote :
         {"USDT", "USDC", "USDE", "PERP", "USD", "BTC", "ETH", "EUR"}) {
        if (s.size() > quote.size() && s.ends_with(quote)) {
            const std::string base(s.substr(0, s.size() - quote.size()));
            return {base, quote == "PERP" ? std::string("USDC") : std::string(quote)};
        }
    }
    return {std::string(s), "USDT"};
}

// (a - b) / b at `decimals` digits, rounded half away from zero.
std::int64_t ratio(std::int64_t a, std::int64_t b, int decimals) {
    if (b == 0) {
        return 0;
    }
    return static_cast<std::int64_t>(
        detail::round_div(detail::int128{a - b} * detail::pow10_128(decimals), b));
}

std::string fixed_text(std::int64_t raw, int decimals, bool trim) {
    return model::to_fixed_string(raw, static_cast<std::uint8_t>(decimals), trim);
}

void validate(const model_config& cfg) {
    if (cfg.cat == model::category::option) {
        throw std::invalid_argument("sim: the option category is not simulated");
    }
    if (cfg.book_levels == 0) {
        throw std::invalid_argument("sim: book_levels must be at least 1");
    }
    for (std::size_t i = 0; i < cfg.symbols.size(); ++i) {
        const symbol_config& s = cfg.symbols[i];
        std::string reason;
        if (exchange::bybit::validate_subscription(cfg.cat, "tickers." + s.symbol, reason)) {
            throw std::invalid_argument("sim: invalid symbol '" + s.symbol + "'");
        }
        if (s.price_decimals > max_config_decimals || s.qty_decimals > max_config_decimals) {
            throw std::invalid_argument("sim: " + s.symbol +
                                        ": price and quantity decimals must be at most 10");
        }
        if (s.start_price_ticks < 0) {
            throw std::invalid_argument("sim: " + s.symbol + ": negative start price");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (cfg.symbols[j].symbol == s.symbol) {
                throw std::invalid_argument("sim: symbol '" + s.symbol + "' appears twice");
            }
        }
    }
}

} // namespace

// --- impl --------------------------------------------------------------------------------------

struct market_model::impl {
    model_config cfg;
    detail::rng rng;
    std::vector<symbol_market> symbols;
    std::map<std::string, std::size_t, std::less<>> by_symbol;
    std::map<std::string, topic_state, std::less<>> topics;
    std::int64_t last_now_ms = 0;

    explicit impl(model_config c) : cfg(std::move(c)), rng(cfg.seed) {
        validate(cfg);
        symbols.reserve(cfg.symbols.size());
        for (std::size_t i = 0; i < cfg.symbols.size(); ++i) {
            symbols.emplace_back(cfg.symbols[i], cfg.cat, cfg.book_levels, cfg.seed, rng);
            by_symbol.emplace(cfg.symbols[i].symbol, i);
        }
    }

    [[nodiscard]] bool spot() const noexcept { return cfg.cat == model::category::spot; }
    [[nodiscard]] number_style style(const symbol_market& s) const noexcept {
        return {s.price_decimals(), s.qty_decimals(), spot()};
    }
    void note_time(std::int64_t ms) noexcept { last_now_ms = std::max(last_now_ms, ms); }

    [[nodiscard]] std::optional<resolved_topic> resolve(std::string_view text) const;
    [[nodiscard]] std::uint64_t initial_u(std::string_view key) const noexcept {
        // Some large, seed-derived starting point, never 1 (which means "after a restart").
        return 10'000'000 + detail::derive(cfg.seed, key) % 90'000'000;
    }
    [[nodiscard]] book_topic fresh_book(const resolved_topic& rt, std::int64_t ms) const;
    topic_state& state_of(const resolved_topic& rt, std::int64_t ms, bool& fresh);
    /// The state of a book topic (for its faults), created if new; null if not a book topic.
    book_topic* book_topic_of(std::string_view topic) {
        const auto rt = resolve(topic);
        if (!rt || rt->t.ch != channel::orderbook) {
            return nullptr;
        }
        bool fresh = false;
        return &std::get<book_topic>(state_of(*rt, last_now_ms, fresh));
    }

    // Frames.
    [[nodiscard]] std::string book_frame(std::string_view topic, const book_topic& bt,
                                         bool snapshot, std::int64_t ts_ms) const;
    [[nodiscard]] std::optional<std::string> push_book(const resolved_topic& rt, book_topic& bt,
                                                       bool fresh, std::int64_t ms);
    [[nodiscard]] std::optional<std::string> push_trades(const resolved_topic& rt, event_topic& et,
                                                         std::int64_t ms);
    [[nodiscard]] std::optional<std::string> push_liquidations(const resolved_topic& rt,
                                                               event_topic& et, std::int64_t ms);
    [[nodiscard]] ticker_values ticker_now(const symbol_market& s, std::int64_t ms) const;
    [[nodiscard]] std::string ticker_frame(std::string_view topic, const ticker_values& v,
                                           const std::vector<tk>* delta_fields, std::uint64_t cs,
                                           std::int64_t ts_ms) const;
    [[nodiscard]] std::optional<std::string> push_ticker(const resolved_topic& rt, ticker_topic& tt,
                                                         bool fresh, std::int64_t ms);
    void append_candle(std::string& out, const symbol_market& s, model::kline_interval iv,
                       const detail::candle& c, bool confirm) const;
    [[nodiscard]] std::string kline_frame(std::string_view topic, const symbol_market& s,
                                          model::kline_interval iv,
                                          std::span<const detail::candle* const> candles,
                                          bool first_confirmed, std::int64_t ts_ms) const;
    [[nodiscard]] std::optional<std::string> push_kline(const resolved_topic& rt, kline_topic& kt,
                                                        std::int64_t ms);
};

std::optional<resolved_topic> market_model::impl::resolve(std::string_view text) const {
    std::string reason;
    if (exchange::bybit::validate_subscription(cfg.cat, text, reason)) {
        return std::nullopt;
    }
    auto t = exchange::bybit::parse_topic(text);
    if (!t) {
        return std::nullopt;
    }
    const auto it = by_symbol.find(t->symbol);
    if (it == by_symbol.end()) {
        return std::nullopt;
    }
    resolved_topic rt;
    rt.key = exchange::bybit::format_topic(*t);
    rt.sym = it->second;
    rt.t = *t;
    rt.t.symbol = {}; // viewed `text`; use `sym`
    return rt;
}

book_topic market_model::impl::fresh_book(const resolved_topic& rt, std::int64_t ms) const {
    const symbol_market& s = symbols[rt.sym];
    book_topic bt;
    bt.sym = rt.sym;
    bt.depth = rt.t.depth;
    bt.u = initial_u(rt.key);
    const auto b = top(s.bids(), bt.depth);
    const auto a = top(s.asks(), bt.depth);
    bt.bids.assign(b.begin(), b.end());
    bt.asks.assign(a.begin(), a.end());
    bt.seq = s.seq();
    bt.cts_ms = s.last_change_ms();
    bt.ts_ms = ms;
    bt.last_push_ms = ms;
    return bt;
}

topic_state& market_model::impl::state_of(const resolved_topic& rt, std::int64_t ms, bool& fresh) {
    const auto it = topics.find(rt.key);
    fresh = it == topics.end();
    if (!fresh) {
        return it->second;
    }
    const symbol_market& s = symbols[rt.sym];
    topic_state st;
    switch (rt.t.ch) {
    case channel::orderbook:
        st = fresh_book(rt, ms);
        break;
    case channel::public_trade:
        st = event_topic{rt.sym, s.trades().end()};
        break;
    case channel::all_liquidation:
    case channel::liquidation:
        st = event_topic{rt.sym, s.liquidations().end()};
        break;
    case channel::tickers:
        st = ticker_topic{rt.sym, ticker_now(s, ms), s.seq(), ms};
        break;
    case channel::kline:
        st = kline_topic{rt.sym, rt.t.interval, false, false, 0, 0};
        break;
    }
    return topics.emplace(rt.key, std::move(st)).first->second;
}

// --- orderbook ---------------------------------------------------------------------------------

std::string market_model::impl::book_frame(std::string_view topic, const book_topic& bt,
                                           bool snapshot, std::int64_t ts_ms) const {
    const symbol_market& s = symbols[bt.sym];
    std::string out;
    out.reserve(64 + 40 * (bt.bids.size() + bt.asks.size()));
    const std::string_view type = snapshot ? "snapshot" : "delta";
    out += '{';
    append_key(out, "topic");
    append_str(out, topic);
    // Spot (every depth) and level 1 of every category write ts before type (§6, §13).
    if (spot() || bt.depth == 1) {
        out += ',';
        append_key(out, "ts");
        append_int(out, ts_ms);
        out += ',';
        append_key(out, "type");
        append_str(out, type);
    } else {
        out += ',';
        append_key(out, "type");
        append_str(out, type);
        out += ',';
        append_key(out, "ts");
        append_int(out, ts_ms);
    }
    out += R"(,"data":{"s":)";
    append_str(out, s.name());
    out += R"(,"b":)";
    append_levels(out, bt.bids, style(s));
    out += R"(,"a":)";
    append_levels(out, bt.asks, style(s));
    out += R"(,"u":)";
    append_int(out, bt.u);
    out += R"(,"seq":)";
    append_int(out, bt.seq);
    out += R"(},"cts":)";
    append_int(out, bt.cts_ms);
    out += '}';
    return out;
}

std::optional<std::string> market_model::impl::push_book(const resolved_topic& rt, book_topic& bt,
                                                         bool fresh, std::int64_t ms) {
    const symbol_market& s = symbols[rt.sym];
    if (fresh) {
        return book_frame(rt.key, bt, true, ms);
    }
    const auto now_b = top(s.bids(), bt.depth);
    const auto now_a = top(s.asks(), bt.depth);
    const auto take_truth = [&](std::uint64_t u) {
        bt.u = u;
        bt.bids.assign(now_b.begin(), now_b.end());
        bt.asks.assign(now_a.begin(), now_a.end());
        bt.seq = s.seq();
        bt.cts_ms = s.last_change_ms();
        bt.ts_ms = ms;
        bt.last_push_ms = ms;
    };
    if (bt.restart_pending) {
        // After a service restart every book topic starts over: a snapshot with u = 1 (§7.3.4).
        bt.restart_pending = false;
        bt.skip_pending = false;
        bt.crossed_pending = false;
        take_truth(1);
        return book_frame(rt.key, bt, true, ms);
    }
    if (bt.oversized_pending > 0) {
        // The book as it is now, with u + 1, padded beyond any depth: the truth is the real part.
        const std::size_t levels = std::exchange(bt.oversized_pending, 0);
        take_truth(bt.u + 1);
        return book_frame(rt.key, padded(bt, levels), true, ms);
    }
    if (bt.crossed_pending) {
        // A bid at the best ask. The truth stays as it was, so a client that resubscribes gets
        // a correct book and the stream goes on from it.
        bt.crossed_pending = false;
        book_topic bad;
        bad.sym = bt.sym;
        bad.depth = bt.depth;
        bad.u = bt.u + 1;
        bad.seq = s.seq();
        bad.cts_ms = s.last_change_ms();
        const std::int64_t px = !bt.asks.empty()   ? bt.asks.front().px
                                : !now_a.empty()   ? now_a.front().px
                                : !bt.bids.empty() ? bt.bids.front().px + 1
                                                   : 1;
        bad.bids.push_back({px, bt.bids.empty() ? 1 : bt.bids.front().qty});
        if (bt.depth == 1) {
            bad.asks = bt.asks; // level 1 is snapshot-only: a crossed snapshot
            return book_frame(rt.key, bad, true, ms);
        }
        return book_frame(rt.key, bad, false, ms);
    }
    const std::uint64_t step = bt.skip_pending ? 2 : 1;
    if (bt.depth == 1) {
        if (same_levels(bt.bids, now_b) && same_levels(bt.asks, now_a)) {
            if (ms - bt.last_push_ms < level1_resend_ms) {
                return std::nullopt;
            }
            // Unchanged for 3 s: the same snapshot again, with the same u (§7.3.5).
            bt.last_push_ms = ms;
            return book_frame(rt.key, bt, true, ms);
        }
        bt.skip_pending = false;
        take_truth(bt.u + step);
        return book_frame(rt.key, bt, true, ms);
    }

    const number_style ns = style(s);
    std::string out;
    out.reserve(256);
    out += '{';
    append_key(out, "topic");
    append_str(out, rt.key);
    if (spot()) {
        out += R"(,"ts":)";
        append_int(out, ms);
        out += R"(,"type":"delta")";
    } else {
        out += R"(,"type":"delta","ts":)";
        append_int(out, ms);
    }
    out += R"(,"data":{"s":)";
    append_str(out, s.name());
    out += R"(,"b":)";
    std::size_t changed = append_diff(out, bt.bids, now_b, true, ns);
    if (bt.bad_number_pending) {
        out.pop_back(); // the bids' closing bracket: one more bid, then close again
        if (changed > 0) {
            out += ',';
        }
        append_bad_level(out, now_b.empty() ? 1 : now_b.front().px, *bt.bad_number_pending, ns);
        out += ']';
    }
    out += R"(,"a":)";
    changed += append_diff(out, bt.asks, now_a, false, ns);
    if (changed == 0) {
        return std::nullopt;
    }
    bt.skip_pending = false;
    bt.bad_number_pending.reset();
    take_truth(bt.u + step);
    out += R"(,"u":)";
    append_int(out, bt.u);
    out += R"(,"seq":)";
    append_int(out, bt.seq);
    out += R"(},"cts":)";
    append_int(out, bt.cts_ms);
    out += '}';
    return out;
}

// --- publicTrade and allLiquidation ------------------------------------------------------------

std::optional<std::string> market_model::impl::push_trades(const resolved_topic& rt,
                                                           event_topic& et, std::int64_t ms) {
    const symbol_market& s = symbols[rt.sym];
    const auto& log = s.trades();
    et.cursor = std::max(et.cursor, log.first()); // a topic that fell behind skips ahead
    if (et.cursor >= log.end()) {
        return std::nullopt;
    }
    const std::uint64_t end = std::min(log.end(), et.cursor + max_items_per_frame);
    const number_style ns = style(s);
    std::string out;
    out.reserve(64 + 200 * (end - et.cursor));
    out += '{';
    append_key(out, "topic");
    append_str(out, rt.key);
    if (spot()) {
        out += R"(,"ts":)";
        append_int(out, ms);
        out += R"(,"type":"snapshot")";
    } else {
        out += R"(,"type":"snapshot","ts":)";
        append_int(out, ms);
    }
    out += R"(,"data":[)";
    detail::trade_id_buffer id_buf{};
    for (std::uint64_t i = et.cursor; i < end; ++i) {
        const detail::trade_print& t = log.at(i);
        const std::string_view side = t.taker == model::side::buy ? "Buy" : "Sell";
        if (i > et.cursor) {
            out += ',';
        }
        if (spot()) {
            // Spot: i,T,p,v,S,seq,s,BT,RPI and no L (§8).
            out += R"({"i":)";
            append_str(out, detail::trade_id_text(t, !spot(), id_buf));
            out += R"(,"T":)";
            append_int(out, t.ts_ms);
            out += R"(,"p":)";
            append_fixed(out, t.px, ns.pd, ns.trim);
            out += R"(,"v":)";
            append_fixed(out, t.qty, ns.qd, ns.trim);
            out += R"(,"S":)";
            append_str(out, side);
            out += R"(,"seq":)";
            append_int(out, t.seq);
            out += R"(,"s":)";
            append_str(out, s.name());
            out += R"(,"BT":false,"RPI":false})";
        } else {
            // Linear/inverse: T,s,S,v,p,L,i,BT,RPI,seq.
            out += R"({"T":)";
            append_int(out, t.ts_ms);
            out += R"(,"s":)";
            append_str(out, s.name());
            out += R"(,"S":)";
            append_str(out, side);
            out += R"(,"v":)";
            append_fixed(out, t.qty, ns.qd, ns.trim);
            out += R"(,"p":)";
            append_fixed(out, t.px, ns.pd, ns.trim);
            out += R"(,"L":)";
            append_str(out, model::to_string(t.direction));
            out += R"(,"i":)";
            append_str(out, detail::trade_id_text(t, !spot(), id_buf));
            out += R"(,"BT":false,"RPI":false,"seq":)";
            append_int(out, t.seq);
            out += '}';
        }
    }
    out += "]}";
    et.cursor = end;
    return out;
}

std::optional<std::string> market_model::impl::push_liquidations(const resolved_topic& rt,
                                                                 event_topic& et, std::int64_t ms) {
    const symbol_market& s = symbols[rt.sym];
    const auto& log = s.liquidations();
    et.cursor = std::max(et.cursor, log.first());
    if (et.cursor >= log.end()) {
        return std::nullopt;
    }
    const std::uint64_t end = std::min(log.end(), et.cursor + max_items_per_frame);
    const number_style ns = style(s);
    std::string out;
    out += '{';
    append_key(out, "topic");
    append_str(out, rt.key);
    out += R"(,"type":"snapshot","ts":)";
    append_int(out, ms);
    out += R"(,"data":[)";
    for (std::uint64_t i = et.cursor; i < end; ++i) {
        const detail::liquidation_event& l = log.at(i);
        if (i > et.cursor) {
            out += ',';
        }
        out += R"({"T":)";
        append_int(out, l.ts_ms);
        out += R"(,"s":)";
        append_str(out, s.name());
        out += R"(,"S":)";
        append_str(out, l.position_side == model::side::buy ? "Buy" : "Sell");
        out += R"(,"v":)";
        append_fixed(out, l.qty, ns.qd, ns.trim);
        out += R"(,"p":)";
        append_fixed(out, l.px, ns.pd, ns.trim);
        out += '}';
    }
    out += "]}";
    et.cursor = end;
    return out;
}

// --- tickers -----------------------------------------------------------------------------------

ticker_values market_model::impl::ticker_now(const symbol_market& s, std::int64_t ms) const {
    const number_style ns = style(s);
    const detail::rolling_stats st = s.stats();
    const auto price = [&](std::int64_t ticks) {
        return fixed_text(ticks, ns.pd, ns.trim);
    };
    const auto size = [&](std::int64_t lots) {
        return fixed_text(lots, ns.qd, ns.trim);
    };
    ticker_values v;
    at(v, tk::symbol) = s.name();
    at(v, tk::last_price) = price(s.last_price());
    at(v, tk::prev_price_24h) = price(st.prev_price_24h);
    at(v, tk::high_price_24h) = price(st.high);
    at(v, tk::low_price_24h) = price(st.low);
    at(v, tk::prev_price_1h) = price(st.prev_price_1h);
    at(v, tk::index_price) = price(s.index_price());
    at(v, tk::usd_index_price) = fixed_text(s.index_price(), ns.pd, true);
    at(v, tk::mark_price) = price(s.mark_price());
    const bool has_bid = !s.bids().empty();
    const bool has_ask = !s.asks().empty();
    at(v, tk::bid1_price) = has_bid ? price(s.bids().front().px) : std::string();
    at(v, tk::bid1_size) = has_bid ? size(s.bids().front().qty) : std::string();
    at(v, tk::ask1_price) = has_ask ? price(s.asks().front().px) : std::string();
    at(v, tk::ask1_size) = has_ask ? size(s.asks().front().qty) : std::string();
    const int td = s.turnover_decimals();
    if (spot()) {
        at(v, tk::price_24h_pcnt) =
            fixed_text(ratio(s.last_price(), st.prev_price_24h, 4), 4, true);
        at(v, tk::volume_24h) = size(st.volume);
        at(v, tk::turnover_24h) = fixed_text(st.turnover, td, true);
    } else {
        // As in real linear frames: percent to 6 digits, turnover to 4, volume one digit past
        // the lot ("17573.9120"), open interest value to 2.
        at(v, tk::price_24h_pcnt) =
            fixed_text(ratio(s.last_price(), st.prev_price_24h, 6), 6, true);
        at(v, tk::turnover_24h) = fixed_text(detail::rescale(st.turnover, td, 4), 4, false);
        const int vd = ns.qd > 0 ? ns.qd + 1 : 0;
        at(v, tk::volume_24h) = fixed_text(detail::rescale(st.volume, ns.qd, vd), vd, false);
    }
    at(v, tk::tick_direction) = std::string(model::to_string(s.last_direction()));
    const std::int64_t single = s.single_open_interest();
    const auto oi_value = [&](std::int64_t lots) {
        if (cfg.cat == model::category::inverse) {
            // Contracts are quote units: value in the base coin = size / mark.
            const detail::int128 num = detail::int128{lots} * detail::pow10_128(ns.pd + 2);
            const detail::int128 den = detail::int128{s.mark_price()} * detail::pow10_128(ns.qd);
            return fixed_text(static_cast<std::int64_t>(detail::round_div(num, den)), 2, false);
        }
        const detail::int128 value = detail::int128{lots} * s.mark_price();
        return fixed_text(detail::rescale(value, ns.pd + ns.qd, 2), 2, false);
    };
    at(v, tk::open_interest) = size(2 * single);
    at(v, tk::open_interest_value) = oi_value(2 * single);
    at(v, tk::single_open_interest) = size(single);
    at(v, tk::single_open_interest_value) = oi_value(single);
    at(v, tk::funding_interval_hour) = "8";
    at(v, tk::funding_cap) = "0.005";
    at(v, tk::funding_rate) = fixed_text(s.funding_rate_e6(), 6, true);
    const std::int64_t next_funding =
        (detail::floor_div(ms, funding_interval_ms) + 1) * funding_interval_ms;
    at(v, tk::next_funding_time) = std::to_string(next_funding);
    at(v, tk::delivery_time) = "0";
    // pre_open_price, pre_qty, cur_pre_listing_phase, predicted_delivery_price, basis_rate,
    // delivery_fee_rate, basis: "" for a perpetual that is trading.
    return v;
}

std::string market_model::impl::ticker_frame(std::string_view topic, const ticker_values& v,
                                             const std::vector<tk>* delta_fields, std::uint64_t cs,
                                             std::int64_t ts_ms) const {
    std::string out;
    out.reserve(1024);
    const auto append_data = [&] {
        out += R"("data":{)";
        bool first = true;
        const auto field = [&](tk f) {
            if (!first) {
                out += ',';
            }
            first = false;
            append_key(out, tk_names[static_cast<std::size_t>(f)]);
            append_str(out, at(v, f));
        };
        if (delta_fields != nullptr) {
            field(tk::symbol);
            for (const tk f : *delta_fields) {
                field(f);
            }
        } else if (spot()) {
            for (const tk f : spot_ws_fields) {
                field(f);
            }
        } else {
            for (const tk f : linear_ws_fields) {
                field(f);
            }
        }
        out += '}';
    };
    out += '{';
    append_key(out, "topic");
    append_str(out, topic);
    if (spot()) {
        // topic,ts,type,cs,data (§6).
        out += R"(,"ts":)";
        append_int(out, ts_ms);
        out += R"(,"type":"snapshot","cs":)";
        append_int(out, cs);
        out += ',';
        append_data();
    } else {
        // topic,type,data,cs,ts (§6).
        out += R"(,"type":)";
        append_str(out, delta_fields != nullptr ? "delta" : "snapshot");
        out += ',';
        append_data();
        out += R"(,"cs":)";
        append_int(out, cs);
        out += R"(,"ts":)";
        append_int(out, ts_ms);
    }
    out += '}';
    return out;
}

std::optional<std::string> market_model::impl::push_ticker(const resolved_topic& rt,
                                                           ticker_topic& tt, bool fresh,
                                                           std::int64_t ms) {
    const symbol_market& s = symbols[rt.sym];
    if (fresh) {
        return ticker_frame(rt.key, tt.sent, nullptr, tt.cs, ms);
    }
    ticker_values now = ticker_now(s, ms);
    if (now == tt.sent) {
        return std::nullopt;
    }
    tt.cs = s.seq();
    tt.ts_ms = ms;
    if (spot()) {
        tt.sent = std::move(now);
        return ticker_frame(rt.key, tt.sent, nullptr, tt.cs, ms);
    }
    // Linear/inverse: only the changed fields; the best bid and ask travel as price+size pairs,
    // as in real frames.
    std::vector<tk> changed;
    const auto differs = [&](tk f) {
        return at(now, f) != at(tt.sent, f);
    };
    const bool bid_changed = differs(tk::bid1_price) || differs(tk::bid1_size);
    const bool ask_changed = differs(tk::ask1_price) || differs(tk::ask1_size);
    for (const tk f : linear_ws_fields) {
        if (f == tk::symbol) {
            continue;
        }
        const bool pair_bid = f == tk::bid1_price || f == tk::bid1_size;
        const bool pair_ask = f == tk::ask1_price || f == tk::ask1_size;
        if ((pair_bid && bid_changed) || (pair_ask && ask_changed) ||
            (!pair_bid && !pair_ask && differs(f))) {
            changed.push_back(f);
        }
    }
    tt.sent = std::move(now);
    if (changed.empty()) {
        return std::nullopt; // only fields that linear frames do not carry changed
    }
    return ticker_frame(rt.key, tt.sent, &changed, tt.cs, ms);
}

// --- kline -------------------------------------------------------------------------------------

void market_model::impl::append_candle(std::string& out, const symbol_market& s,
                                       model::kline_interval iv, const detail::candle& c,
                                       bool confirm) const {
    // Candle numbers are trimmed in every category (real linear kline frames: "65119.9").
    const std::uint8_t pd = s.price_decimals();
    out += R"({"start":)";
    append_int(out, c.start);
    out += R"(,"end":)";
    append_int(out, c.end);
    out += R"(,"interval":)";
    append_str(out, model::to_string(iv));
    out += R"(,"open":)";
    append_fixed(out, c.open, pd, true);
    out += R"(,"close":)";
    append_fixed(out, c.close, pd, true);
    out += R"(,"high":)";
    append_fixed(out, c.high, pd, true);
    out += R"(,"low":)";
    append_fixed(out, c.low, pd, true);
    out += R"(,"volume":)";
    append_fixed(out, c.volume, s.qty_decimals(), true);
    out += R"(,"turnover":)";
    append_fixed(out, c.turnover, static_cast<std::uint8_t>(s.turnover_decimals()), true);
    out += R"(,"confirm":)";
    out += confirm ? "true" : "false";
    out += R"(,"timestamp":)";
    append_int(out, c.last_trade_ms);
    out += '}';
}

std::string market_model::impl::kline_frame(std::string_view topic, const symbol_market& s,
                                            model::kline_interval iv,
                                            std::span<const detail::candle* const> candles,
                                            bool first_confirmed, std::int64_t ts_ms) const {
    std::string out;
    out.reserve(512);
    const auto append_data = [&] {
        out += R"("data":[)";
        for (std::size_t i = 0; i < candles.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            append_candle(out, s, iv, *candles[i], i == 0 && first_confirmed);
        }
        out += ']';
    };
    out += '{';
    if (spot()) {
        // type,topic,data,ts (§6).
        out += R"("type":"snapshot","topic":)";
        append_str(out, topic);
        out += ',';
        append_data();
        out += R"(,"ts":)";
        append_int(out, ts_ms);
    } else {
        // topic,data,ts,type (§6).
        append_key(out, "topic");
        append_str(out, topic);
        out += ',';
        append_data();
        out += R"(,"ts":)";
        append_int(out, ts_ms);
        out += R"(,"type":"snapshot")";
    }
    out += '}';
    return out;
}

std::optional<std::string> market_model::impl::push_kline(const resolved_topic& rt, kline_topic& kt,
                                                          std::int64_t ms) {
    const symbol_market& s = symbols[rt.sym];
    const detail::candle_series& series = s.series(kt.iv);
    const detail::candle& cur = series.current;
    const auto send_current = [&]() {
        kt.pushed = true;
        kt.current_sent = true;
        kt.sent_start = cur.start;
        kt.sent_version = cur.version;
        const std::array<const detail::candle*, 1> one{&cur};
        return kline_frame(rt.key, s, kt.iv, one, false, ms);
    };
    if (!kt.pushed) {
        return send_current();
    }
    if (kt.sent_start < cur.start && series.closed && series.closed->start >= kt.sent_start) {
        // A candle closed since the last push: send it final, with confirm=true. Linear puts
        // the new candle in the same message; spot sends the closed one alone (§10).
        const detail::candle& closed = *series.closed;
        kt.sent_start = cur.start;
        if (spot()) {
            kt.current_sent = false;
            const std::array<const detail::candle*, 1> one{&closed};
            return kline_frame(rt.key, s, kt.iv, one, true, ms);
        }
        kt.current_sent = true;
        kt.sent_version = cur.version;
        const std::array<const detail::candle*, 2> two{&closed, &cur};
        return kline_frame(rt.key, s, kt.iv, two, true, ms);
    }
    if (kt.sent_start < cur.start || !kt.current_sent || cur.version != kt.sent_version) {
        return send_current();
    }
    return std::nullopt;
}

// --- market_model ------------------------------------------------------------------------------

market_model::market_model(model_config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}
market_model::~market_model() = default;
market_model::market_model(market_model&&) noexcept = default;
market_model& market_model::operator=(market_model&&) noexcept = default;

const model_config& market_model::config() const noexcept {
    return impl_->cfg;
}

bool market_model::has_symbol(std::string_view symbol) const noexcept {
    return impl_->by_symbol.find(symbol) != impl_->by_symbol.end();
}

void market_model::step(unix_nanos now) {
    impl& m = *impl_;
    if (m.symbols.empty()) {
        return;
    }
    const std::int64_t ms = now.millis();
    m.note_time(ms);
    const auto i = static_cast<std::size_t>(m.rng.below(m.symbols.size()));
    m.symbols[i].step(m.rng, ms);
}

bool market_model::serves(std::string_view topic) const {
    return impl_->resolve(topic).has_value();
}

std::optional<std::string> market_model::subscribe_frame(std::string_view topic, unix_nanos now) {
    impl& m = *impl_;
    const auto rt = m.resolve(topic);
    if (!rt) {
        return std::nullopt;
    }
    const std::int64_t ms = now.millis();
    m.note_time(ms);
    m.symbols[rt->sym].roll(ms);
    bool fresh = false;
    topic_state& st = m.state_of(*rt, ms, fresh);
    if (auto* bt = std::get_if<book_topic>(&st)) {
        if (bt->oversized_pending > 0) {
            return m.book_frame(rt->key, padded(*bt, std::exchange(bt->oversized_pending, 0)), true,
                                bt->ts_ms);
        }
        return m.book_frame(rt->key, *bt, true, bt->ts_ms);
    }
    if (auto* tt = std::get_if<ticker_topic>(&st)) {
        return m.ticker_frame(rt->key, tt->sent, nullptr, tt->cs, tt->ts_ms);
    }
    if (auto* kt = std::get_if<kline_topic>(&st)) {
        if (!kt->pushed) {
            return std::nullopt;
        }
        const symbol_market& s = m.symbols[rt->sym];
        const std::array<const detail::candle*, 1> one{&s.series(kt->iv).current};
        return m.kline_frame(rt->key, s, kt->iv, one, false, ms);
    }
    return std::nullopt; // publicTrade, allLiquidation: events only
}

std::optional<std::string> market_model::push_frame(std::string_view topic, unix_nanos now) {
    impl& m = *impl_;
    const auto rt = m.resolve(topic);
    if (!rt) {
        return std::nullopt;
    }
    const std::int64_t ms = now.millis();
    m.note_time(ms);
    m.symbols[rt->sym].roll(ms);
    bool fresh = false;
    topic_state& st = m.state_of(*rt, ms, fresh);
    if (auto* bt = std::get_if<book_topic>(&st)) {
        return m.push_book(*rt, *bt, fresh, ms);
    }
    if (auto* tt = std::get_if<ticker_topic>(&st)) {
        return m.push_ticker(*rt, *tt, fresh, ms);
    }
    if (auto* kt = std::get_if<kline_topic>(&st)) {
        return m.push_kline(*rt, *kt, ms);
    }
    auto& et = std::get<event_topic>(st);
    if (rt->t.ch == channel::public_trade) {
        return m.push_trades(*rt, et, ms);
    }
    return m.push_liquidations(*rt, et, ms);
}

std::optional<book_truth> market_model::truth(std::string_view topic) const {
    const impl& m = *impl_;
    const auto rt = m.resolve(topic);
    if (!rt || rt->t.ch != channel::orderbook) {
        return std::nullopt;
    }
    const auto it = m.topics.find(rt->key);
    // A topic never touched would start from the book now.
    const book_topic bt =
        it != m.topics.end() ? std::get<book_topic>(it->second) : m.fresh_book(*rt, m.last_now_ms);
    const number_style ns = m.style(m.symbols[rt->sym]);
    book_truth t;
    t.u = bt.u;
    const auto convert = [&](const std::vector<book_level>& side, auto& out) {
        out.reserve(side.size());
        for (const book_level& l : side) {
            out.emplace_back(fixed_text(l.px, ns.pd, ns.trim), fixed_text(l.qty, ns.qd, ns.trim));
        }
    };
    convert(bt.bids, t.bids);
    convert(bt.asks, t.asks);
    return t;
}

bool market_model::skip_update(std::string_view topic) {
    if (auto* bt = impl_->book_topic_of(topic)) {
        bt->skip_pending = true;
        return true;
    }
    return false;
}

bool market_model::send_crossed(std::string_view topic) {
    if (auto* bt = impl_->book_topic_of(topic)) {
        bt->crossed_pending = true;
        return true;
    }
    return false;
}

bool market_model::send_bad_number(std::string_view topic, bad_number_kind how) {
    if (auto* bt = impl_->book_topic_of(topic)) {
        bt->bad_number_pending = how;
        return true;
    }
    return false;
}

bool market_model::send_oversized_snapshot(std::string_view topic, std::size_t levels) {
    if (auto* bt = impl_->book_topic_of(topic)) {
        bt->oversized_pending = levels;
        return true;
    }
    return false;
}

void market_model::restart() {
    for (auto& [key, st] : impl_->topics) {
        if (auto* bt = std::get_if<book_topic>(&st)) {
            bt->restart_pending = true;
        }
    }
}

// --- REST --------------------------------------------------------------------------------------

std::optional<std::string> market_model::rest_orderbook(std::string_view symbol, std::size_t limit,
                                                        unix_nanos now) const {
    const impl& m = *impl_;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end()) {
        return std::nullopt;
    }
    const symbol_market& s = m.symbols[it->second];
    if (limit == 0) {
        limit = static_cast<std::size_t>(detail::orderbook_limit(m.cfg.cat).fallback);
    }
    limit = std::min(limit, max_rest_levels);
    // The book now, which every book topic of the symbol sends at its next push. `u` is the one
    // /sim/truth/book reports for the deepest topic (§12): informative only, a client must not
    // splice deltas onto this book by it (docs/simulator.md).
    const std::string key = "orderbook.1000." + s.name();
    const auto topic = m.topics.find(key);
    const std::uint64_t u =
        topic != m.topics.end() ? std::get<book_topic>(topic->second).u : m.initial_u(key);
    const number_style ns = m.style(s);
    std::string out;
    out.reserve(64 + 80 * limit);
    out += R"({"s":)";
    append_str(out, s.name());
    out += R"(,"b":)";
    append_levels(out, top(s.bids(), limit), ns);
    out += R"(,"a":)";
    append_levels(out, top(s.asks(), limit), ns);
    out += R"(,"ts":)";
    append_int(out, now.millis());
    out += R"(,"u":)";
    append_int(out, u);
    out += R"(,"seq":)";
    append_int(out, s.seq());
    out += R"(,"cts":)";
    append_int(out, s.last_change_ms());
    out += '}';
    return out;
}

std::string market_model::rest_tickers(std::string_view symbol) const {
    const impl& m = *impl_;
    std::string out = R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    bool first = true;
    for (const symbol_market& s : m.symbols) {
        if (!symbol.empty() && s.name() != symbol) {
            continue;
        }
        const ticker_values v = m.ticker_now(s, m.last_now_ms);
        if (!first) {
            out += ',';
        }
        first = false;
        out += '{';
        const auto write = [&](std::span<const tk> fields) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (i > 0) {
                    out += ',';
                }
                append_key(out, tk_names[static_cast<std::size_t>(fields[i])]);
                append_str(out, at(v, fields[i]));
            }
        };
        if (m.spot()) {
            write(spot_rest_fields);
        } else {
            write(linear_rest_fields);
        }
        out += '}';
    }
    out += "]}";
    return out;
}

std::string market_model::rest_instruments(std::string_view symbol) const {
    const impl& m = *impl_;
    std::string out = R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    bool first = true;
    for (const symbol_market& s : m.symbols) {
        if (!symbol.empty() && s.name() != symbol) {
            continue;
        }
        if (!first) {
            out += ',';
        }
        first = false;
        const auto [base, quote] = split_symbol(s.name());
        const std::uint8_t pd = s.price_decimals();
        const std::uint8_t qd = s.qty_decimals();
        const std::string tick = fixed_text(1, pd, false);
        const std::string lot = fixed_text(1, qd, false);
        const std::string scale = std::to_string(pd);
        // The largest order: a thousand typical units, as the simulated book holds.
        const std::int64_t unit = qd >= 3 ? model::pow10(qd) : 1000;
        const std::string max_qty = fixed_text(1000 * unit, qd, false);
        out += R"({"symbol":)";
        append_str(out, s.name());
        if (m.spot()) {
            out += R"(,"baseCoin":)";
            append_str(out, base);
            out += R"(,"quoteCoin":)";
            append_str(out, quote);
            out += R"(,"innovation":"0","status":"Trading","marginTrading":"both")";
            out += R"(,"priceScale":)";
            append_str(out, scale);
            out += R"(,"lotSizeFilter":{"basePrecision":)";
            append_str(out, lot);
            out += R"(,"quotePrecision":"0.00000001","minOrderQty":)";
            append_str(out, lot);
            out += R"(,"maxOrderQty":)";
            append_str(out, max_qty);
            out += R"(,"minOrderAmt":"1","maxOrderAmt":"2000000"},"priceFilter":{)"
                   R"("tickSize":)";
            append_str(out, tick);
            out += R"(},"riskParameters":{"priceLimitRatioX":"0.05","priceLimitRatioY":)"
                   R"("0.05"}})";
            continue;
        }
        const bool inverse = m.cfg.cat == model::category::inverse;
        out += R"(,"contractType":)";
        append_str(out, inverse ? "InversePerpetual" : "LinearPerpetual");
        out += R"(,"status":"Trading","baseCoin":)";
        append_str(out, base);
        out += R"(,"quoteCoin":)";
        append_str(out, quote);
        out += R"(,"launchTime":"1585526400000","deliveryTime":"0","deliveryFeeRate":"")"
               R"(,"priceScale":)";
        append_str(out, scale);
        out += R"(,"leverageFilter":{"minLeverage":"1","maxLeverage":"100.00",)"
               R"("leverageStep":"0.01"},"priceFilter":{"minPrice":)";
        append_str(out, tick);
        out += R"(,"maxPrice":)";
        append_str(out, fixed_text(std::max<std::int64_t>(s.last_price(), 1) * 50, pd, false));
        out += R"(,"tickSize":)";
        append_str(out, tick);
        out += R"(},"lotSizeFilter":{"maxOrderQty":)";
        append_str(out, max_qty);
        out += R"(,"minOrderQty":)";
        append_str(out, lot);
        out += R"(,"qtyStep":)";
        append_str(out, lot);
        out += R"(,"postOnlyMaxOrderQty":)";
        append_str(out, max_qty);
        out += R"(,"maxMktOrderQty":)";
        append_str(out, max_qty);
        out += R"(,"minNotionalValue":"5"},"unifiedMarginTrade":true,"fundingInterval":480,)"
               R"("settleCoin":)";
        append_str(out, inverse ? base : quote);
        out += R"(,"copyTrading":"both","upperFundingRate":"0.005","lowerFundingRate":)"
               R"("-0.005","isPreListing":false,"preListingInfo":null})";
    }
    out += R"(],"nextPageCursor":""})";
    return out;
}

// --- REST history ------------------------------------------------------------------------------

namespace {

// ["start","open","high","low","close","volume","turnover"], numbers as the kline topic
// writes them (trimmed in every category).
void append_rest_candle(std::string& out, const symbol_market& s, const detail::candle& c) {
    const std::uint8_t pd = s.price_decimals();
    out += R"([")";
    append_int(out, c.start);
    out += R"(",)";
    append_fixed(out, c.open, pd, true);
    out += ',';
    append_fixed(out, c.high, pd, true);
    out += ',';
    append_fixed(out, c.low, pd, true);
    out += ',';
    append_fixed(out, c.close, pd, true);
    out += ',';
    append_fixed(out, c.volume, s.qty_decimals(), true);
    out += ',';
    append_fixed(out, c.turnover, static_cast<std::uint8_t>(s.turnover_decimals()), true);
    out += ']';
}

// A period nothing traded in: flat at `px`, no volume.
detail::candle flat_candle(model::kline_interval iv, std::int64_t start, std::int64_t px) {
    const detail::kline_period p = detail::period_of(iv, start);
    detail::candle c;
    c.start = p.start;
    c.end = p.end;
    c.open = c.high = c.low = c.close = px;
    return c;
}

void append_quoted_int(std::string& out, std::int64_t v) {
    out += '"';
    append_int(out, v);
    out += '"';
}

// Calls f(bucket, first) for the newest `limit` buckets of `step_ms` (aligned in UTC) in
// [max(start_ms, launch_ms), min(end_ms, now_ms)], newest first. Returns the next older bucket
// when more remain (the cursor), else 0.
template <class F>
std::int64_t each_bucket(std::int64_t step_ms, std::int64_t start_ms, std::int64_t end_ms,
                         std::int64_t now_ms, std::size_t limit, F&& f) {
    const std::int64_t first = std::max(start_ms, market_model::launch_ms);
    std::int64_t b = detail::floor_div(std::min(end_ms, now_ms), step_ms) * step_ms;
    for (std::size_t n = 0; n < limit && b >= first; ++n, b -= step_ms) {
        f(b, n == 0);
    }
    return b >= first ? b : 0;
}

} // namespace

std::optional<std::string> market_model::rest_kline(std::string_view symbol,
                                                    model::kline_interval iv, std::int64_t start_ms,
                                                    std::int64_t end_ms, std::size_t limit,
                                                    unix_nanos now) {
    impl& m = *impl_;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end()) {
        return std::nullopt;
    }
    symbol_market& s = m.symbols[it->second];
    const std::int64_t now_ms = now.millis();
    m.note_time(now_ms);
    s.roll(now_ms);
    const detail::candle& cur = s.series(iv).current;
    const std::deque<detail::candle>& ring = s.closed_candles(iv);
    // The made-up history ends where the oldest candle kept begins, at its open.
    const detail::candle& oldest = ring.empty() ? cur : ring.front();
    std::string out;
    out.reserve(64 + 96 * std::min<std::size_t>(limit, 1000));
    out += R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"symbol":)";
    append_str(out, s.name());
    out += R"(,"list":[)";
    // Back to 1970 at most (for monthly candles, fewer than 1000).
    const std::int64_t first = std::max<std::int64_t>(start_ms, 0);
    std::int64_t t = detail::period_of(iv, std::min(end_ms, now_ms)).start;
    // Index of the newest kept candle that starts at or before t.
    auto idx =
        static_cast<std::ptrdiff_t>(
            std::upper_bound(ring.begin(), ring.end(), t,
                             [](std::int64_t v, const detail::candle& c) { return v < c.start; }) -
            ring.begin()) -
        1;
    std::size_t n = 0;
    while (n < limit && t >= first) {
        if (n++ > 0) {
            out += ',';
        }
        if (t == cur.start) {
            append_rest_candle(out, s, cur);
        } else if (t > oldest.start) {
            while (idx >= 0 && ring[static_cast<std::size_t>(idx)].start > t) {
                --idx;
            }
            const detail::candle& kept = ring[static_cast<std::size_t>(idx)];
            append_rest_candle(out, s, kept.start == t ? kept : flat_candle(iv, t, kept.close));
        } else if (t == oldest.start) {
            append_rest_candle(out, s, oldest);
        } else {
            append_rest_candle(out, s, s.synthetic_candle(iv, t, oldest.start, oldest.open));
        }
        t = detail::period_of(iv, t - 1).start;
    }
    out += "]}";
    return out;
}

std::optional<std::string>
market_model::rest_open_interest(std::string_view symbol, std::int64_t step_ms,
                                 std::int64_t start_ms, std::int64_t end_ms, std::size_t limit,
                                 unix_nanos now, std::int64_t& next_before) {
    impl& m = *impl_;
    next_before = 0;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end() || step_ms <= 0) {
        return std::nullopt;
    }
    symbol_market& s = m.symbols[it->second];
    const std::int64_t now_ms = now.millis();
    m.note_time(now_ms);
    s.roll(now_ms);
    const std::deque<detail::oi_sample>& samples = s.oi_samples();
    const number_style ns = m.style(s);
    std::string out;
    out += R"({"symbol":)";
    append_str(out, s.name());
    out += R"(,"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    next_before =
        each_bucket(step_ms, start_ms, end_ms, now_ms, limit, [&](std::int64_t b, bool first) {
            std::int64_t oi = 0;
            if (samples.empty() || b < samples.front().ts_ms) {
                const detail::oi_sample& a =
                    samples.empty() ? detail::oi_sample{b, 2 * s.single_open_interest()}
                                    : samples.front();
                oi = s.synthetic_oi(b, a.ts_ms, a.oi);
            } else {
                // Exact at every boundary; one skipped by a long gap without rolls held the
                // value of the next sample (nothing traded in between).
                const auto sit = std::lower_bound(
                    samples.begin(), samples.end(), b,
                    [](const detail::oi_sample& x, std::int64_t v) { return x.ts_ms < v; });
                oi = sit == samples.end() ? 2 * s.single_open_interest() : sit->oi;
            }
            out += first ? "" : ",";
            out += R"({"openInterest":)";
            append_str(out, fixed_text(oi, ns.qd, ns.trim));
            out += R"(,"timestamp":)";
            append_quoted_int(out, b);
            out += '}';
        });
    out += ']';
    return out; // the caller adds nextPageCursor and closes the object
}

std::optional<std::string>
market_model::rest_account_ratio(std::string_view symbol, std::int64_t step_ms,
                                 std::int64_t start_ms, std::int64_t end_ms, std::size_t limit,
                                 unix_nanos now, std::int64_t& next_before) const {
    const impl& m = *impl_;
    next_before = 0;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end() || step_ms <= 0) {
        return std::nullopt;
    }
    const symbol_market& s = m.symbols[it->second];
    std::string out = R"({"list":[)";
    next_before = each_bucket(
        step_ms, start_ms, end_ms, now.millis(), limit, [&](std::int64_t b, bool first) {
            // Buyers' share from 0.3000 to 0.7000, the same for a time whatever the period.
            const auto buy = 3000 + static_cast<std::int64_t>(s.hashed("ratio", b, 4001));
            out += first ? "" : ",";
            out += R"({"symbol":)";
            append_str(out, s.name());
            out += R"(,"buyRatio":)";
            append_str(out, fixed_text(buy, 4, false));
            out += R"(,"sellRatio":)";
            append_str(out, fixed_text(10'000 - buy, 4, false));
            out += R"(,"timestamp":)";
            append_quoted_int(out, b);
            out += '}';
        });
    out += ']';
    return out; // the caller adds nextPageCursor and closes the object
}

std::optional<std::string> market_model::rest_recent_trades(std::string_view symbol,
                                                            std::size_t limit) const {
    const impl& m = *impl_;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end()) {
        return std::nullopt;
    }
    const symbol_market& s = m.symbols[it->second];
    const auto& log = s.trades();
    const number_style ns = m.style(s);
    std::string out = R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    detail::trade_id_buffer id_buf{};
    const std::uint64_t stop = log.end() - std::min<std::uint64_t>(limit, log.end() - log.first());
    for (std::uint64_t i = log.end(); i > stop; --i) {
        const detail::trade_print& t = log.at(i - 1);
        if (i < log.end()) {
            out += ',';
        }
        out += R"({"execId":)";
        append_str(out, detail::trade_id_text(t, !m.spot(), id_buf));
        out += R"(,"symbol":)";
        append_str(out, s.name());
        out += R"(,"price":)";
        append_fixed(out, t.px, ns.pd, ns.trim);
        out += R"(,"size":)";
        append_fixed(out, t.qty, ns.qd, ns.trim);
        out += R"(,"side":)";
        append_str(out, t.taker == model::side::buy ? "Buy" : "Sell");
        out += R"(,"time":)";
        append_quoted_int(out, t.ts_ms);
        out += R"(,"isBlockTrade":false,"isRPITrade":false})";
    }
    out += "]}";
    return out;
}

std::optional<std::string>
market_model::rest_funding_history(std::string_view symbol, std::int64_t start_ms,
                                   std::int64_t end_ms, std::size_t limit, unix_nanos now) const {
    const impl& m = *impl_;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end()) {
        return std::nullopt;
    }
    const symbol_market& s = m.symbols[it->second];
    std::string out = R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    each_bucket(funding_interval_ms, start_ms, end_ms, now.millis(), limit,
                [&](std::int64_t b, bool first) {
                    // From -0.0002 to 0.0002, mostly the usual 0.0001.
                    const auto h = static_cast<std::int64_t>(s.hashed("funding", b, 1000));
                    const std::int64_t rate_e6 = h < 600 ? 100 : h - 800;
                    out += first ? "" : ",";
                    out += R"({"symbol":)";
                    append_str(out, s.name());
                    out += R"(,"fundingRate":)";
                    append_str(out, fixed_text(rate_e6, 6, true));
                    out += R"(,"fundingRateTimestamp":)";
                    append_quoted_int(out, b);
                    out += '}';
                });
    out += "]}";
    return out;
}

std::optional<std::string> market_model::rest_risk_limit(std::string_view symbol) const {
    const impl& m = *impl_;
    if (!symbol.empty() && m.by_symbol.find(symbol) == m.by_symbol.end()) {
        return std::nullopt;
    }
    const bool inverse = m.cfg.cat == model::category::inverse;
    std::string out = R"({"category":)";
    append_str(out, model::to_string(m.cfg.cat));
    out += R"(,"list":[)";
    bool first = true;
    int id = 1;
    for (const symbol_market& s : m.symbols) {
        if (!symbol.empty() && s.name() != symbol) {
            id += 10;
            continue;
        }
        // Ten tiers: each adds a step of value, 0.5 % maintenance and 1 % initial margin.
        const std::int64_t step = inverse ? 150 : 2'000'000;
        for (int tier = 1; tier <= 10; ++tier, ++id) {
            if (!first) {
                out += ',';
            }
            first = false;
            out += R"({"id":)";
            append_int(out, id);
            out += R"(,"symbol":)";
            append_str(out, s.name());
            out += R"(,"riskLimitValue":)";
            append_str(out, std::to_string(step * tier));
            out += R"(,"maintenanceMargin":)";
            append_str(out, fixed_text(5 * tier, 3, true));
            out += R"(,"initialMargin":)";
            append_str(out, fixed_text(tier, 2, true));
            out += R"(,"isLowestRisk":)";
            append_int(out, tier == 1 ? 1 : 0);
            out += R"(,"maxLeverage":)";
            append_str(out, fixed_text(10'000 / tier, 2, false));
            out += R"(,"mmDeduction":)";
            // What the tier's higher margin would charge on the tiers below it.
            append_str(out, tier == 1
                                ? std::string{}
                                : fixed_text(step * (tier - 1) * 5 * (tier - 1) / 2, 3, true));
            out += '}';
        }
    }
    out += R"(],"nextPageCursor":""})";
    return out;
}

bool market_model::set_turnover(std::string_view symbol, double value) {
    impl& m = *impl_;
    const auto it = m.by_symbol.find(symbol);
    if (it == m.by_symbol.end() || !(value >= 0) || value > 1e15) {
        return false;
    }
    symbol_market& s = m.symbols[it->second];
    const auto raw = static_cast<std::int64_t>(std::llround(
        value *
        static_cast<double>(model::pow10(static_cast<std::uint8_t>(s.turnover_decimals())))));
    s.set_turnover_24h(raw);
    return true;
}

} // namespace mdg::sim
