#include "api/market_cache.hpp"

#include <algorithm>
#include <optional>

namespace mdg::api {

instrument_data::instrument_data(const cache_options& o, std::size_t kline_series_count)
    : ticker(o.oi_depth, o.oi_bucket_width), trades(o.trades),
      liquidations(o.liquidations, o.liquidation_max_age) {
    klines.reserve(kline_series_count);
    for (std::size_t i = 0; i < kline_series_count; ++i) {
        klines.emplace_back(o.klines);
    }
}

market_cache::market_cache(const catalog& cat, cache_options opts)
    : catalog_(cat), opts_(std::move(opts)) {
    for (const auto& e : catalog_.entries()) {
        if (slots_.size() <= e.id.value) {
            slots_.resize(e.id.value + 1);
        }
        auto s = std::make_unique<instrument_slot>(opts_, e.kline_intervals.size());
        for (const auto d : e.book_depths) {
            auto b = std::make_unique<book_slot>();
            b->depth = d;
            s->books.push_back(std::move(b));
        }
        slots_[e.id.value] = std::move(s);
    }
}

const market_cache::instrument_slot* market_cache::slot(model::instrument_id id) const noexcept {
    return id.value < slots_.size() ? slots_[id.value].get() : nullptr;
}

market_cache::instrument_slot* market_cache::slot(model::instrument_id id) noexcept {
    return id.value < slots_.size() ? slots_[id.value].get() : nullptr;
}

book_ptr market_cache::book(model::instrument_id id, std::uint16_t depth) const {
    const auto* s = slot(id);
    if (s == nullptr) {
        return nullptr;
    }
    for (const auto& b : s->books) {
        if (b->depth == depth) {
            std::lock_guard lk(b->mu);
            return b->current;
        }
    }
    return nullptr;
}

void market_cache::on_book(const dispatch::book_view& b, std::stop_token /*stop*/) {
    auto* s = slot(b.instrument);
    const auto* e = catalog_.find(b.instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    for (auto& bs : s->books) {
        if (bs->depth != b.depth) {
            continue;
        }
        // The copy is made here, on the consumer thread; the lock covers only the swap.
        auto next = std::make_shared<const dispatch::book_view>(b);
        {
            std::lock_guard lk(bs->mu);
            bs->current = next;
        }
        books_stored_.fetch_add(1, std::memory_order_relaxed);
        if (listener_ != nullptr) {
            listener_->on_book(*e, next);
        }
        return;
    }
}

void market_cache::on_ticker(const dispatch::ticker_view& t, std::stop_token /*stop*/) {
    auto* s = slot(t.instrument);
    const auto* e = catalog_.find(t.instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    {
        // The view is the shard's merged ticker: apply it as a snapshot, which also samples the
        // open interest into this cache's 5-minute history.
        model::ticker_update u;
        u.instrument = t.instrument;
        u.kind = model::update_kind::snapshot;
        // The shard already ordered the updates by `cs`: applied with cs 0 (never compared),
        // so a venue restart, whose `cs` starts low again, does not freeze the cache's copy.
        u.cross_seq = 0;
        u.ts_exchange = t.ts_exchange;
        u.ts_recv = t.ts_recv;
        u.fields = t.fields;
        std::lock_guard lk(s->mu);
        s->data.ticker_stale = t.stale;
        s->data.ticker_source = t.source;
        if (t.stale && s->data.has_ticker && t.ts_recv == s->data.ticker.ts_recv()) {
            // Only the flag changed (its channel went silent or its connection dropped): the
            // fields and the age stay those of the last update. A stale view with a newer
            // ts_recv is an update and its mark conflated into one delivery: applied below.
        } else {
            (void)s->data.ticker.apply(u);
            s->data.has_ticker = s->data.ticker.has_snapshot();
            s->data.ticker_cross_seq = t.cross_seq;
            s->data.ticker_applied = t.applied;
        }
    }
    if (listener_ != nullptr) {
        listener_->on_ticker(*e, t);
    }
}

void market_cache::on_trade(const model::trade& t, std::stop_token /*stop*/) {
    auto* s = slot(t.instrument);
    const auto* e = catalog_.find(t.instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    {
        std::lock_guard lk(s->mu);
        (void)s->data.trades.push(t);
    }
    if (listener_ != nullptr) {
        listener_->on_trade(*e, t);
    }
}

void market_cache::on_trades_stale(model::instrument_id id, std::stop_token /*stop*/) {
    if (auto* s = slot(id)) {
        std::lock_guard lk(s->mu);
        s->data.trades.mark_stale(); // until the next trade
    }
}

namespace {
// The index of `interval` among the entry's subscribed intervals (its series), if subscribed.
[[nodiscard]] std::optional<std::size_t> series_of(const instrument_entry& e,
                                                   model::kline_interval interval) noexcept {
    const auto it = std::find(e.kline_intervals.begin(), e.kline_intervals.end(), interval);
    if (it == e.kline_intervals.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - e.kline_intervals.begin());
}
} // namespace

void market_cache::on_kline(const model::kline& k, std::stop_token /*stop*/) {
    auto* s = slot(k.instrument);
    const auto* e = catalog_.find(k.instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    const auto series = series_of(*e, k.interval);
    if (!series) {
        return;
    }
    {
        std::lock_guard lk(s->mu);
        (void)s->data.klines[*series].upsert(k);
    }
    if (listener_ != nullptr) {
        listener_->on_kline(*e, k);
    }
}

void market_cache::on_kline_history(std::span<const model::kline> history,
                                    std::stop_token /*stop*/) {
    if (history.empty()) {
        return;
    }
    auto* s = slot(history.front().instrument);
    const auto* e = catalog_.find(history.front().instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    if (const auto series = series_of(*e, history.front().interval)) {
        std::lock_guard lk(s->mu);
        (void)s->data.klines[*series].merge(history);
    }
}

void market_cache::on_trade_history(std::span<const model::trade> history,
                                    std::stop_token /*stop*/) {
    if (history.empty()) {
        return;
    }
    if (auto* s = slot(history.front().instrument); s != nullptr) {
        std::lock_guard lk(s->mu);
        (void)s->data.trades.merge(history);
    }
}

void market_cache::on_venue_data(const dispatch::venue_data& d, std::stop_token /*stop*/) {
    auto* s = slot(d.instrument);
    const auto k = static_cast<std::size_t>(d.what);
    if (s == nullptr || k >= dispatch::venue_data_kinds) {
        return;
    }
    // A copy (an answer every few minutes); readers take the pointer under the lock.
    auto copy = std::make_shared<const dispatch::venue_data>(d);
    std::lock_guard lk(s->mu);
    s->data.venue[k] = std::move(copy);
}

void market_cache::on_open_interest_history(model::instrument_id id,
                                            std::span<const model::open_interest_point> history,
                                            std::stop_token /*stop*/) {
    if (auto* s = slot(id); s != nullptr) {
        std::lock_guard lk(s->mu);
        (void)s->data.ticker.merge_open_interest(history);
    }
}

void market_cache::on_liquidation(const model::liquidation& l, std::stop_token /*stop*/) {
    auto* s = slot(l.instrument);
    const auto* e = catalog_.find(l.instrument);
    if (s == nullptr || e == nullptr) {
        return;
    }
    {
        std::lock_guard lk(s->mu);
        (void)s->data.liquidations.push(l);
    }
    if (listener_ != nullptr) {
        listener_->on_liquidation(*e, l);
    }
}

} // namespace mdg::api
