#include "market/market_state.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace mdg::market {

using mdg::book::apply_status;
using mdg::book::book_state;

market_state::market_state(market_limits limits) : limits_(limits) {
    MDG_CHECK(limits_.klines_per_series > 0, "klines_per_series must be positive");
    MDG_CHECK(limits_.trades_per_instrument > 0, "trades_per_instrument must be positive");
    MDG_CHECK(limits_.liquidations_per_instrument > 0,
              "liquidations_per_instrument must be positive");
    MDG_CHECK(limits_.oi_history_depth > 0, "oi_history_depth must be positive");
}

book_entry& market_state::book_for(model::instrument_id instrument, std::uint16_t depth) {
    const std::uint64_t key = book_key(instrument, depth);
    auto it = books_.find(key);
    if (it == books_.end()) {
        it = books_.try_emplace(key, depth).first;
        book_keys_.insert(std::lower_bound(book_keys_.begin(), book_keys_.end(), key), key);
    }
    return it->second;
}

apply_status market_state::on_book(const model::book_update& u) {
    if (u.depth == 0) {
        ++zero_depth_;
        return apply_status::invalid;
    }
    book_entry& e = book_for(u.instrument, u.depth);
    const bool snapshot = u.kind == model::update_kind::snapshot || u.update_id == 1;
    if (snapshot) {
        ++e.snapshots;
        e.needs_snapshot = false;
    } else {
        ++e.deltas;
        if (e.needs_snapshot) {
            // The connection dropped since the last update: a delta cannot be trusted to
            // continue this book, whatever its `u` (docs/feed.md, stale state).
            ++e.ignored;
            return apply_status::awaiting_snapshot;
        }
    }
    const book_state before = e.book.state();
    const apply_status status = e.book.apply(u);
    if (e.rest && e.book.state() == book_state::live) {
        e.rest.reset(); // the stream is live again: its book, not the REST one
    }
    switch (status) {
    case apply_status::applied:
        e.ts_exchange = u.ts_exchange;
        e.ts_engine = u.ts_engine;
        e.ts_recv = u.ts_recv;
        if (before == book_state::resyncing) {
            ++e.resyncs_completed;
        }
        break;
    case apply_status::awaiting_snapshot:
        ++e.ignored;
        break;
    case apply_status::gap:
        ++e.gaps;
        break;
    case apply_status::crossed:
        ++e.crossed;
        break;
    case apply_status::invalid:
        ++e.invalid;
        break;
    }
    return status;
}

ticker_state& market_state::ticker_for(model::instrument_id instrument) {
    auto it = tickers_.find(instrument);
    if (it == tickers_.end()) {
        it = tickers_.try_emplace(instrument, limits_.oi_history_depth, limits_.oi_bucket_width)
                 .first;
    }
    return it->second;
}

bool market_state::on_rest_book(const model::book_update& u) {
    const auto it = books_.find(book_key(u.instrument, u.depth));
    if (it == books_.end() || it->second.book.state() == book_state::live) {
        return false;
    }
    auto& e = it->second;
    rest_snapshot r;
    const auto depth = static_cast<std::size_t>(u.depth);
    r.bids.assign(u.bids.begin(),
                  u.bids.begin() + static_cast<std::ptrdiff_t>(std::min(depth, u.bids.size())));
    r.asks.assign(u.asks.begin(),
                  u.asks.begin() + static_cast<std::ptrdiff_t>(std::min(depth, u.asks.size())));
    r.update_id = u.update_id;
    r.ts_exchange = u.ts_exchange;
    r.ts_recv = u.ts_recv;
    e.rest = std::move(r);
    ++e.rest_books;
    return true;
}

ticker_status market_state::on_rest_ticker(const model::ticker_update& u) {
    return ticker_for(u.instrument).apply_rest(u);
}

ticker_status market_state::on_ticker(const model::ticker_update& u) {
    return ticker_for(u.instrument).apply(u);
}

trade_ring& market_state::trades_for(model::instrument_id instrument) {
    auto it = trades_.find(instrument);
    if (it == trades_.end()) {
        it = trades_.try_emplace(instrument, limits_.trades_per_instrument).first;
    }
    return it->second;
}

std::size_t market_state::on_trades(std::span<const model::trade> trades) {
    std::size_t accepted = 0;
    // A batch is almost always one instrument: look the ring up once per run of trades.
    trade_ring* ring = nullptr;
    model::instrument_id current{};
    for (const model::trade& t : trades) {
        if (ring == nullptr || t.instrument != current) {
            ring = &trades_for(t.instrument);
            current = t.instrument;
        }
        if (ring->push(t)) {
            ++accepted;
        }
    }
    return accepted;
}

kline_counts market_state::on_klines(std::span<const model::kline> klines) {
    kline_counts counts;
    for (const model::kline& k : klines) {
        const std::uint64_t key = kline_key(k.instrument, k.interval);
        auto it = klines_.find(key);
        if (it == klines_.end()) {
            it = klines_.try_emplace(key, limits_.klines_per_series).first;
        }
        switch (it->second.upsert(k)) {
        case kline_status::updated:
            ++counts.updated;
            break;
        case kline_status::appended:
            ++counts.appended;
            break;
        case kline_status::ignored_older:
            ++counts.ignored_older;
            break;
        }
    }
    return counts;
}

std::size_t market_state::merge_klines(std::span<const model::kline> history) {
    if (history.empty()) {
        return 0;
    }
    const std::uint64_t key = kline_key(history.front().instrument, history.front().interval);
    auto it = klines_.find(key);
    if (it == klines_.end()) {
        it = klines_.try_emplace(key, limits_.klines_per_series).first;
    }
    return it->second.merge(history);
}

std::size_t market_state::merge_trades(std::span<const model::trade> history) {
    return history.empty() ? 0 : trades_for(history.front().instrument).merge(history);
}

std::size_t market_state::merge_open_interest(model::instrument_id instrument,
                                              std::span<const model::open_interest_point> points) {
    return ticker_for(instrument).merge_open_interest(points);
}

liquidation_store& market_state::liquidations_for(model::instrument_id instrument) {
    auto it = liquidations_.find(instrument);
    if (it == liquidations_.end()) {
        it = liquidations_
                 .try_emplace(instrument, limits_.liquidations_per_instrument,
                              limits_.liquidation_max_age)
                 .first;
    }
    return it->second;
}

std::size_t market_state::on_liquidations(std::span<const model::liquidation> liquidations) {
    std::size_t stored = 0;
    liquidation_store* store = nullptr;
    model::instrument_id current{};
    for (const model::liquidation& l : liquidations) {
        if (store == nullptr || l.instrument != current) {
            store = &liquidations_for(l.instrument);
            current = l.instrument;
        }
        if (store->push(l)) {
            ++stored;
        }
    }
    return stored;
}

namespace {

bool mark_entry_stale(book_entry& e, bool continuity_lost) noexcept {
    if (continuity_lost) {
        e.needs_snapshot = true;
    }
    if (e.book.state() != book_state::live) {
        return false;
    }
    e.book.mark_stale();
    ++e.stale_marks;
    return true;
}

// Flags the ticker or trade ring of `instrument` stale; true when it was not already.
template <class Map> bool flag_stale(Map& m, model::instrument_id instrument) noexcept {
    const auto it = m.find(instrument);
    if (it == m.end() || it->second.stale()) {
        return false;
    }
    it->second.mark_stale();
    return true;
}

} // namespace

void market_state::mark_all_stale() noexcept {
    for (auto& [key, entry] : books_) {
        (void)mark_entry_stale(entry, true);
    }
    for (auto& [id, ticker] : tickers_) {
        ticker.mark_stale();
    }
    for (auto& [id, ring] : trades_) {
        ring.mark_stale();
    }
}

bool market_state::mark_book_stale(model::instrument_id instrument, std::uint16_t depth,
                                   bool continuity_lost) noexcept {
    const auto it = books_.find(book_key(instrument, depth));
    return it != books_.end() && mark_entry_stale(it->second, continuity_lost);
}

bool market_state::mark_ticker_stale(model::instrument_id instrument) noexcept {
    return flag_stale(tickers_, instrument);
}

bool market_state::mark_trades_stale(model::instrument_id instrument) noexcept {
    return flag_stale(trades_, instrument);
}

apply_status market_state::on_unusable_book(model::instrument_id instrument, std::uint16_t depth,
                                            model::update_kind kind) {
    if (depth == 0) {
        ++zero_depth_;
        return apply_status::invalid;
    }
    book_entry& e = book_for(instrument, depth);
    if (kind == model::update_kind::delta && e.needs_snapshot) {
        ++e.ignored;
        return apply_status::awaiting_snapshot;
    }
    const apply_status status = e.book.mark_unusable(kind);
    if (status == apply_status::awaiting_snapshot) {
        ++e.ignored;
    } else {
        ++e.unusable;
    }
    return status;
}

bool market_state::mark_syncing(model::instrument_id instrument, std::uint16_t depth) noexcept {
    const auto it = books_.find(book_key(instrument, depth));
    if (it == books_.end()) {
        return false;
    }
    it->second.book.mark_syncing();
    return true;
}

const book_entry* market_state::book(model::instrument_id instrument,
                                     std::uint16_t depth) const noexcept {
    const auto it = books_.find(book_key(instrument, depth));
    return it == books_.end() ? nullptr : &it->second;
}

const ticker_state* market_state::ticker(model::instrument_id instrument) const noexcept {
    const auto it = tickers_.find(instrument);
    return it == tickers_.end() ? nullptr : &it->second;
}

const kline_series* market_state::klines(model::instrument_id instrument,
                                         model::kline_interval interval) const noexcept {
    const auto it = klines_.find(kline_key(instrument, interval));
    return it == klines_.end() ? nullptr : &it->second;
}

const trade_ring* market_state::trades(model::instrument_id instrument) const noexcept {
    const auto it = trades_.find(instrument);
    return it == trades_.end() ? nullptr : &it->second;
}

const liquidation_store*
market_state::liquidations(model::instrument_id instrument) const noexcept {
    const auto it = liquidations_.find(instrument);
    return it == liquidations_.end() ? nullptr : &it->second;
}

} // namespace mdg::market
