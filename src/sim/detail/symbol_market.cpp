#include "sim/detail/symbol_market.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "core/assert.hpp"
#include "sim/detail/kline_period.hpp"

namespace mdg::sim::detail {

namespace {

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t minutes_per_day = 1440;
// More than a day of minute buckets, so that the bucket of exactly 24 h ago is still there.
constexpr std::size_t minute_ring_size = 1500;
// Trades kept for topics that have not sent them yet: far more than one push interval holds
// (a topic that falls further behind skips ahead), small enough for hundreds of symbols.
constexpr std::size_t trade_log_capacity = 4096;
constexpr std::size_t liquidation_log_capacity = 1024;
// Spreads wider than this get a new level inside at the next chance.
constexpr std::int64_t max_spread_ticks = 6;
// Chances of each kind of event, cumulative, out of 10000: liquidations are rare (about one
// every 2000 events: a few per minute at the simulator's default rate), trades 16 %, new
// levels 18 %, cancelled levels 12 %, and the rest size changes.
constexpr std::uint64_t event_scale = 10'000;
constexpr std::uint64_t liquidation_below = 5;
constexpr std::uint64_t trade_below = 1'600;
constexpr std::uint64_t add_level_below = 3'400;
constexpr std::uint64_t cancel_level_below = 4'600;

// Random bits for a UUID of version 5 with the RFC 4122 variant, as Bybit's trade ids.
void make_uuid(rng& r, trade_print& t) {
    t.id_hi = (r.next() & ~std::uint64_t{0xF000}) | std::uint64_t{0x5000};
    t.id_lo = (r.next() & 0x3FFF'FFFF'FFFF'FFFFULL) | 0x8000'0000'0000'0000ULL;
}

model::tick_direction direction_of(std::int64_t px, std::int64_t last,
                                   model::tick_direction last_dir) noexcept {
    using model::tick_direction;
    if (px > last) {
        return tick_direction::plus_tick;
    }
    if (px < last) {
        return tick_direction::minus_tick;
    }
    const bool up =
        last_dir == tick_direction::plus_tick || last_dir == tick_direction::zero_plus_tick;
    return up ? tick_direction::zero_plus_tick : tick_direction::zero_minus_tick;
}

} // namespace

std::string_view trade_id_text(const trade_print& t, bool uuid, trade_id_buffer& buf) noexcept {
    if (!uuid) {
        const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), t.id_hi);
        static_cast<void>(ec); // 36 characters hold any 64-bit number
        return {buf.data(), static_cast<std::size_t>(end - buf.data())};
    }
    constexpr std::string_view hex = "0123456789abcdef";
    std::size_t n = 0;
    for (unsigned i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) {
            buf[n++] = '-';
        }
        const std::uint64_t word = i < 16 ? t.id_hi : t.id_lo;
        const unsigned shift = 60 - 4 * (i % 16);
        buf[n++] = hex[static_cast<std::size_t>((word >> shift) & 0xFU)];
    }
    return {buf.data(), n};
}

symbol_market::symbol_market(const symbol_config& cfg, model::category cat, std::size_t book_levels,
                             std::uint64_t seed, rng& r)
    : name_(cfg.symbol), cat_(cat), pd_(cfg.price_decimals), qd_(cfg.qty_decimals),
      turnover_decimals_(
          cat == model::category::inverse ? 8 : std::min(8, cfg.price_decimals + cfg.qty_decimals)),
      book_levels_(book_levels),
      unit_(cfg.qty_decimals >= 3 ? model::pow10(cfg.qty_decimals) : std::int64_t{1000}),
      trades_(trade_log_capacity), liquidations_(liquidation_log_capacity),
      minutes_(minute_ring_size) {
    const auto levels = static_cast<std::int64_t>(book_levels);
    // Deep bids need room above zero: 1000 levels with gaps of up to 3 ticks.
    const std::int64_t min_start = 8 * levels + 1000;
    std::int64_t start = cfg.start_price_ticks;
    if (start <= 0) {
        const std::uint64_t h = derive(seed, "price:" + cfg.symbol);
        start = (100 + static_cast<std::int64_t>(h % 99'900)) * model::pow10(pd_);
    }
    start = std::max(start, min_start);
    fair_ = start;
    fair_floor_ = std::max<std::int64_t>(min_start / 2, 1);
    seq_ = 1'000'000'000 + derive(seed, "seq:" + cfg.symbol) % 100'000'000'000ULL;
    history_key_ = derive(seed, "history:" + cfg.symbol);
    next_spot_id_ =
        2'280'000'000'000'000'000ULL + derive(seed, "id:" + cfg.symbol) % 1'000'000'000'000ULL;

    std::int64_t px = start;
    bids_.reserve(book_levels + 1);
    for (std::size_t i = 0; i < book_levels && px >= 1; ++i) {
        bids_.push_back({px, draw_size(r)});
        px -= draw_gap(r);
    }
    px = start + 1 + r.below_i(2);
    asks_.reserve(book_levels + 1);
    for (std::size_t i = 0; i < book_levels; ++i) {
        asks_.push_back({px, draw_size(r)});
        px += draw_gap(r);
    }
    last_price_ = start;
    index_offset_ = r.between(-4, 4);
    basis_ = r.between(-2, 2);
    funding_e6_ = 100;
    single_oi_ = (5'000 + r.below_i(50'000)) * unit_;

    // A made-up day before the model started, so that 24 h figures look like a live market.
    baseline_.prev_price_24h = start + r.between(-start / 30, start / 30);
    baseline_.prev_price_1h = start + r.between(-start / 300, start / 300);
    baseline_.high = std::max(start, baseline_.prev_price_24h) + r.below_i(start / 60 + 1);
    baseline_.low = std::max<std::int64_t>(1, std::min(start, baseline_.prev_price_24h) -
                                                  r.below_i(start / 60 + 1));
    baseline_.volume = (1'000 + r.below_i(20'000)) * unit_;
    baseline_.turnover = turnover_of(start, baseline_.volume);
}

std::int64_t symbol_market::turnover_of(std::int64_t px, std::int64_t qty) const noexcept {
    if (cat_ == model::category::inverse) {
        // Inverse contracts: size is in quote units (USD), turnover in the base coin.
        if (px <= 0) {
            return 0;
        }
        const int128 num = int128{qty} * pow10_128(pd_ + turnover_decimals_);
        return static_cast<std::int64_t>(num / (int128{px} * pow10_128(qd_)));
    }
    const int128 value = int128{px} * qty; // at pd_ + qd_ decimals
    return static_cast<std::int64_t>(value / pow10_128(pd_ + qd_ - turnover_decimals_));
}

std::int64_t symbol_market::index_price() const noexcept {
    const std::int64_t mid =
        (bids_.empty() || asks_.empty()) ? last_price_ : (bids_.front().px + asks_.front().px) / 2;
    return std::max<std::int64_t>(1, mid + index_offset_);
}

std::int64_t symbol_market::mark_price() const noexcept {
    return std::max<std::int64_t>(1, index_price() + basis_);
}

// --- randomness helpers ------------------------------------------------------------------------

std::int64_t symbol_market::draw_size(rng& r) const {
    std::int64_t q = 1 + r.below_i(unit_);
    if (r.chance(1, 8)) {
        q *= 2 + r.below_i(9); // a heavy tail of large resting orders
    }
    return q;
}

std::int64_t symbol_market::draw_gap(rng& r) {
    return 1 + (r.chance(1, 3) ? r.below_i(3) : 0);
}

std::size_t symbol_market::weighted_index(rng& r, std::size_t n) {
    // Half of the changes hit the top 5 levels, a quarter the top 50, a quarter anywhere: real
    // books change mostly at the top, but the far end must move too for deep topics.
    const auto bucket = r.below(8);
    std::uint64_t limit = n;
    if (bucket < 4) {
        limit = std::min<std::uint64_t>(n, 5);
    } else if (bucket < 6) {
        limit = std::min<std::uint64_t>(n, 50);
    }
    return static_cast<std::size_t>(r.below(limit));
}

model::side symbol_market::pick_taker(rng& r) const {
    // Takers lean towards the fair price, so the mid follows its random walk.
    const std::int64_t mid2 = bids_.front().px + asks_.front().px;
    const std::int64_t fair2 = 2 * fair_;
    const std::uint64_t buy_in_10 = fair2 > mid2 ? 7 : (fair2 < mid2 ? 3 : 5);
    return r.chance(buy_in_10, 10) ? model::side::buy : model::side::sell;
}

// --- events ------------------------------------------------------------------------------------

void symbol_market::step(rng& r, std::int64_t now_ms) {
    roll(now_ms);
    last_change_ms_ = std::max(last_change_ms_, now_ms);
    seq_ += 1 + r.below(6);
    drift(r);
    if (bids_.empty() || asks_.empty()) {
        add_level(r); // only reachable with prices near zero
        return;
    }
    const std::int64_t spread = asks_.front().px - bids_.front().px;
    const auto event = r.below(event_scale);
    if (derivative() && event < liquidation_below) {
        liquidate(r, now_ms);
    } else if (event < trade_below) {
        trade(r, now_ms, pick_taker(r));
    } else if (event < add_level_below || spread > max_spread_ticks) {
        add_level(r);
    } else if (event < cancel_level_below) {
        cancel_level(r);
    } else {
        change_size(r);
    }
    MDG_ASSERT(bids_.empty() || asks_.empty() || bids_.front().px < asks_.front().px,
               "the simulated book must never cross");
}

void symbol_market::drift(rng& r) {
    if (r.chance(1, 3)) {
        fair_ += r.chance(1, 2) ? 1 : -1;
    }
    // Keep the fair price within reach of the book, and above the floor.
    const std::int64_t mid =
        (bids_.empty() || asks_.empty()) ? fair_ : (bids_.front().px + asks_.front().px) / 2;
    if (fair_ - mid > 40) {
        --fair_;
    } else if (mid - fair_ > 40) {
        ++fair_;
    }
    fair_ = std::max(fair_, fair_floor_);
    if (r.chance(1, 4)) {
        index_offset_ = std::clamp<std::int64_t>(index_offset_ + (r.chance(1, 2) ? 1 : -1), -8, 8);
    }
    if (r.chance(1, 4)) {
        basis_ = std::clamp<std::int64_t>(basis_ + (r.chance(1, 2) ? 1 : -1), -4, 4);
    }
    if (derivative() && r.chance(1, 40)) {
        funding_e6_ =
            std::clamp<std::int64_t>(funding_e6_ + (r.chance(1, 2) ? 1 : -1), -5000, 5000);
    }
}

symbol_market::trade_result symbol_market::trade(rng& r, std::int64_t now_ms, model::side taker) {
    const bool hits_asks = taker == model::side::buy;
    std::vector<book_level>& side = hits_asks ? asks_ : bids_;
    if (side.empty()) {
        return {};
    }
    // Take part of the best level, all of it, or all of it and part of the next.
    std::array<fill, 2> fills{};
    std::size_t nfills = 1;
    const std::int64_t q0 = side[0].qty;
    if (q0 == 1 || r.chance(1, 3)) {
        fills[0] = {side[0].px, q0};
        if (side.size() > 1 && r.chance(1, 4)) {
            const std::int64_t q1 = side[1].qty;
            fills[1] = {side[1].px, (q1 == 1 || r.chance(1, 2)) ? q1 : 1 + r.below_i(q1 - 1)};
            nfills = 2;
        }
    } else {
        fills[0] = {side[0].px, 1 + r.below_i(q0 - 1)};
    }
    trade_result result;
    for (std::size_t f = 0; f < nfills; ++f) {
        const fill& fl = fills[f];
        MDG_ASSERT(side.front().px == fl.px, "fills walk the book from the top");
        // Several resting orders make up a level: one print per maker fill.
        const std::int64_t parts = 1 + r.below_i(std::min<std::int64_t>(fl.qty, 3));
        std::int64_t rest = fl.qty;
        for (std::int64_t k = 0; k < parts; ++k) {
            const std::int64_t left_after = parts - 1 - k;
            const std::int64_t part = left_after == 0 ? rest : 1 + r.below_i(rest - left_after);
            record_print(r, now_ms, taker, fl.px, part);
            rest -= part;
        }
        side.front().qty -= fl.qty;
        if (side.front().qty == 0) {
            side.erase(side.begin());
        }
        result.qty += fl.qty;
        result.worst_px = fl.px;
    }
    refill(r, !hits_asks);
    return result;
}

void symbol_market::liquidate(rng& r, std::int64_t now_ms) {
    // A liquidated long is closed by a market sell, a liquidated short by a market buy.
    const model::side position = r.chance(1, 2) ? model::side::buy : model::side::sell;
    const model::side taker = position == model::side::buy ? model::side::sell : model::side::buy;
    const trade_result t = trade(r, now_ms, taker);
    if (t.qty == 0) {
        return;
    }
    const std::int64_t away = 1 + r.below_i(20);
    const std::int64_t bankruptcy = position == model::side::buy
                                        ? std::max<std::int64_t>(1, t.worst_px - away)
                                        : t.worst_px + away;
    liquidations_.push({now_ms, position, bankruptcy, t.qty});
}

void symbol_market::add_level(rng& r) {
    if (bids_.empty() || asks_.empty()) {
        refill(r, bids_.empty());
        return;
    }
    const std::int64_t best_bid = bids_.front().px;
    const std::int64_t best_ask = asks_.front().px;
    const std::int64_t spread = best_ask - best_bid;
    if (spread > 1 && (spread > max_spread_ticks || r.chance(2, 3))) {
        // A new best level inside the spread, on the side that moves the mid towards fair.
        const std::int64_t mid2 = best_bid + best_ask;
        const bool bid = 2 * fair_ > mid2 || (2 * fair_ == mid2 && r.chance(1, 2));
        const std::int64_t k = 1 + r.below_i(std::min<std::int64_t>(spread - 1, 3));
        std::vector<book_level>& side = bid ? bids_ : asks_;
        side.insert(side.begin(), {bid ? best_bid + k : best_ask - k, draw_size(r)});
        trim(side);
        return;
    }
    // Otherwise fill an empty tick between two levels, near the top more often than not.
    const bool bid = r.chance(1, 2);
    std::vector<book_level>& side = bid ? bids_ : asks_;
    const std::int64_t away = bid ? -1 : 1; // direction away from the spread
    const std::size_t n = side.size();
    if (n >= 2) {
        const std::size_t from = weighted_index(r, n - 1);
        for (std::size_t i = from; i + 1 < n && i < from + 64; ++i) {
            const std::int64_t gap = (side[i + 1].px - side[i].px) * away;
            if (gap > 1) {
                const std::int64_t px = side[i].px + away * (1 + r.below_i(gap - 1));
                side.insert(side.begin() + static_cast<std::ptrdiff_t>(i + 1), {px, draw_size(r)});
                trim(side);
                return;
            }
        }
    }
    change_size(r);
}

void symbol_market::cancel_level(rng& r) {
    const bool bid = r.chance(1, 2);
    std::vector<book_level>& side = bid ? bids_ : asks_;
    if (side.size() <= 1) {
        change_size(r);
        return;
    }
    const std::size_t i = weighted_index(r, side.size());
    side.erase(side.begin() + static_cast<std::ptrdiff_t>(i));
    refill(r, bid);
}

void symbol_market::change_size(rng& r) {
    const bool bid = r.chance(1, 2);
    std::vector<book_level>& side = bid ? bids_ : asks_;
    if (side.empty()) {
        refill(r, bid);
        return;
    }
    book_level& l = side[weighted_index(r, side.size())];
    if (l.qty > 1 && r.chance(1, 2)) {
        l.qty = 1 + r.below_i(l.qty - 1); // part of it cancelled: strictly smaller, never 0
    } else {
        const std::int64_t added = 1 + r.below_i(unit_);
        l.qty = l.qty > 1000 * unit_ ? l.qty / 2 : l.qty + added;
    }
}

void symbol_market::refill(rng& r, bool bid_side) {
    // The venue's top-N view refills from beyond its far end as levels leave the top.
    std::vector<book_level>& side = bid_side ? bids_ : asks_;
    const std::int64_t away = bid_side ? -1 : 1;
    while (side.size() < book_levels_) {
        std::int64_t px = 0;
        if (!side.empty()) {
            px = side.back().px + away * draw_gap(r);
        } else {
            const std::vector<book_level>& other = bid_side ? asks_ : bids_;
            const std::int64_t ref = other.empty() ? fair_ : other.front().px;
            px = ref + away * (1 + r.below_i(2));
        }
        if (px < 1) {
            break;
        }
        side.push_back({px, draw_size(r)});
    }
}

void symbol_market::trim(std::vector<book_level>& side) const {
    if (side.size() > book_levels_) {
        side.resize(book_levels_);
    }
}

void symbol_market::record_print(rng& r, std::int64_t now_ms, model::side taker, std::int64_t px,
                                 std::int64_t qty) {
    trade_print t;
    t.ts_ms = now_ms;
    t.taker = taker;
    t.px = px;
    t.qty = qty;
    t.direction = direction_of(px, last_price_, last_dir_);
    t.seq = seq_;
    if (derivative()) {
        make_uuid(r, t);
    } else {
        t.id_hi = next_spot_id_++;
    }
    trades_.push(t);
    last_price_ = px;
    last_dir_ = t.direction;

    const std::int64_t turnover = turnover_of(px, qty);
    minute_bucket& b = bucket(cur_min_);
    b.high = std::max(b.high, px);
    b.low = std::min(b.low, px);
    b.close = px;
    b.volume += qty;
    b.turnover += turnover;
    for (candle_series& s : candles_) {
        candle& c = s.current;
        // A candle opens at the previous close, as Bybit's do (its klines are continuous).
        c.high = std::max(c.high, px);
        c.low = std::min(c.low, px);
        c.close = px;
        c.volume += qty;
        c.turnover += turnover;
        c.last_trade_ms = now_ms;
        ++c.version;
    }
    if (derivative()) {
        // Each fill opens or closes positions: open interest wanders with the volume.
        single_oi_ = r.chance(1, 2) ? single_oi_ + qty : std::max(unit_, single_oi_ - qty);
    }
}

// --- time --------------------------------------------------------------------------------------

symbol_market::minute_bucket& symbol_market::bucket(std::int64_t minute) noexcept {
    return minutes_[static_cast<std::size_t>(minute) % minute_ring_size];
}

const symbol_market::minute_bucket& symbol_market::bucket(std::int64_t minute) const noexcept {
    return minutes_[static_cast<std::size_t>(minute) % minute_ring_size];
}

symbol_market::minute_bucket symbol_market::fresh_bucket(std::int64_t minute) const noexcept {
    return {minute, last_price_, last_price_, last_price_, 0, 0};
}

candle symbol_market::fresh_candle(model::kline_interval iv, std::int64_t now_ms) const {
    const kline_period p = period_of(iv, now_ms);
    candle c;
    c.start = p.start;
    c.end = p.end;
    c.open = c.high = c.low = c.close = last_price_;
    c.last_trade_ms = p.start;
    return c;
}

void symbol_market::roll(std::int64_t now_ms) {
    const std::int64_t now_min = floor_div(now_ms, ms_per_minute);
    if (!clock_started_) {
        clock_started_ = true;
        last_change_ms_ = now_ms; // the book as first seen counts as generated then
        start_min_ = cur_min_ = now_min;
        bucket(now_min) = fresh_bucket(now_min);
    } else if (now_min > cur_min_) {
        const auto ring = static_cast<std::int64_t>(minute_ring_size);
        for (std::int64_t m = std::max(cur_min_ + 1, now_min - ring + 1); m <= now_min; ++m) {
            bucket(m) = fresh_bucket(m);
        }
        cur_min_ = now_min;
    }
    for (std::size_t i = 0; i < candles_.size(); ++i) {
        candle_series& s = candles_[i];
        const auto iv = static_cast<model::kline_interval>(i);
        if (!s.started) {
            s.current = fresh_candle(iv, now_ms);
            s.started = true;
        } else if (now_ms > s.current.end) {
            s.closed = s.current;
            std::deque<candle>& ring = closed_[i];
            ring.push_back(s.current);
            if (ring.size() > closed_candle_capacity) {
                ring.pop_front();
            }
            s.current = fresh_candle(iv, now_ms);
        }
    }
    sample_oi(now_ms);
}

void symbol_market::sample_oi(std::int64_t now_ms) {
    const std::int64_t boundary = floor_div(now_ms, oi_sample_ms) * oi_sample_ms;
    const auto cap = static_cast<std::int64_t>(oi_sample_capacity);
    std::int64_t from = oi_.empty() ? boundary : oi_.back().ts_ms + oi_sample_ms;
    from = std::max(from, boundary - (cap - 1) * oi_sample_ms);
    // Nothing traded since the last roll: every boundary passed since holds the value now.
    for (std::int64_t b = from; b <= boundary; b += oi_sample_ms) {
        oi_.push_back({b, 2 * single_oi_});
        if (oi_.size() > oi_sample_capacity) {
            oi_.pop_front();
        }
    }
}

std::uint64_t symbol_market::hashed(std::string_view what, std::int64_t t,
                                    std::uint64_t n) const noexcept {
    return mix64(history_key_ ^ mix64(fnv1a(what) + static_cast<std::uint64_t>(t))) % n;
}

std::int64_t symbol_market::path_price(std::int64_t t_ms, std::int64_t anchor_ms,
                                       std::int64_t anchor_price) const noexcept {
    // Octaves of interpolated noise, each four times longer and twice as strong as the one
    // before (a random walk's growth): about 0.1 % per minute, a few % per day.
    constexpr int octaves = 9;
    constexpr std::int64_t unit = 1'000'000;
    const auto noise = [&](std::int64_t t) {
        int128 sum = 0;
        std::int64_t len = 60'000;
        for (int j = 0; j < octaves; ++j, len *= 4) {
            const std::int64_t k = floor_div(t, len);
            const std::int64_t r = t - k * len;
            const auto knot = [&](std::int64_t at) {
                return static_cast<std::int64_t>(hashed("path", at * 16 + j, 2 * unit + 1)) - unit;
            };
            const int128 v = (int128{knot(k)} * (len - r) + int128{knot(k + 1)} * r) / len;
            sum += v * (int128{1} << j);
        }
        return sum;
    };
    const int128 amp = anchor_price; // the first octave moves about amp / 1000
    const int128 moved = (noise(t_ms) - noise(anchor_ms)) * amp / (int128{1000} * unit);
    const std::int64_t floor_px = std::max<std::int64_t>(1, anchor_price / 10);
    return std::max(floor_px, static_cast<std::int64_t>(anchor_price + moved));
}

candle symbol_market::synthetic_candle(model::kline_interval iv, std::int64_t start_ms,
                                       std::int64_t anchor_ms,
                                       std::int64_t anchor_price) const noexcept {
    const kline_period p = period_of(iv, start_ms);
    candle c;
    c.start = p.start;
    c.end = p.end;
    c.open = path_price(p.start, anchor_ms, anchor_price);
    c.close = path_price(p.end + 1, anchor_ms, anchor_price);
    const std::int64_t wick = std::abs(c.open - c.close) / 2 + anchor_price / 1000 + 1;
    const auto tag = static_cast<std::int64_t>(iv);
    c.high = std::max(c.open, c.close) +
             static_cast<std::int64_t>(
                 hashed("high", p.start * 16 + tag, static_cast<std::uint64_t>(wick)));
    c.low = std::max<std::int64_t>(
        1, std::min(c.open, c.close) -
               static_cast<std::int64_t>(
                   hashed("low", p.start * 16 + tag, static_cast<std::uint64_t>(wick))));
    const std::int64_t minutes = std::max<std::int64_t>(1, (p.end + 1 - p.start) / ms_per_minute);
    const std::int64_t per_minute = std::max<std::int64_t>(1, baseline_.volume / minutes_per_day);
    const auto share = 50 + static_cast<std::int64_t>(hashed("volume", p.start * 16 + tag, 100));
    c.volume = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(int128{per_minute} * minutes * share / 100));
    c.turnover = turnover_of((c.open + c.close) / 2, c.volume);
    c.last_trade_ms = p.end;
    c.version = 1;
    return c;
}

std::int64_t symbol_market::synthetic_oi(std::int64_t ts_ms, std::int64_t anchor_ms,
                                         std::int64_t anchor_oi) const noexcept {
    // The price path's shape, scaled to open interest: it wanders a few % a day.
    const std::int64_t scale = 1'000'000'000;
    const int128 rel = path_price(ts_ms + 7, anchor_ms + 7, scale);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(int128{anchor_oi} * rel / scale));
}

void symbol_market::set_turnover_24h(std::int64_t target) noexcept {
    turnover_offset_ += target - stats().turnover;
}

rolling_stats symbol_market::stats() const noexcept {
    if (!clock_started_) {
        rolling_stats s = baseline_;
        s.high = std::max(s.high, last_price_);
        s.low = std::min(s.low, last_price_);
        s.turnover += turnover_offset_;
        return s;
    }
    rolling_stats s;
    s.high = last_price_;
    s.low = last_price_;
    const std::int64_t window_first = cur_min_ - (minutes_per_day - 1);
    for (std::int64_t m = std::max(window_first, start_min_); m <= cur_min_; ++m) {
        const minute_bucket& b = bucket(m);
        if (b.minute != m) {
            continue;
        }
        s.high = std::max(s.high, b.high);
        s.low = std::min(s.low, b.low);
        s.volume += b.volume;
        s.turnover += b.turnover;
    }
    if (window_first < start_min_) {
        // The part of the window before the model started: a share of the made-up day.
        const std::int64_t covered = start_min_ - window_first;
        s.volume += static_cast<std::int64_t>(int128{baseline_.volume} * covered / minutes_per_day);
        s.turnover +=
            static_cast<std::int64_t>(int128{baseline_.turnover} * covered / minutes_per_day);
        s.high = std::max(s.high, baseline_.high);
        s.low = std::min(s.low, baseline_.low);
    }
    const auto close_at = [&](std::int64_t minute, std::int64_t before_start) {
        if (minute < start_min_) {
            return before_start;
        }
        const minute_bucket& b = bucket(minute);
        return b.minute == minute ? b.close : before_start;
    };
    s.prev_price_24h = close_at(cur_min_ - minutes_per_day, baseline_.prev_price_24h);
    s.prev_price_1h = close_at(cur_min_ - 60, baseline_.prev_price_1h);
    s.turnover += turnover_offset_;
    return s;
}

} // namespace mdg::sim::detail
