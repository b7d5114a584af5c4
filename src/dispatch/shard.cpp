#include "dispatch/shard.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "core/spin.hpp"

namespace mdg::dispatch {

using steady = std::chrono::steady_clock;

namespace {

[[nodiscard]] std::uint64_t key_of(model::instrument_id id, std::uint16_t depth) noexcept {
    return (std::uint64_t{id.value} << 16U) | depth;
}

[[nodiscard]] std::int64_t steady_ns(steady::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

shard::shard(options opts, consumer_pool* pool)
    : opts_(std::move(opts)), pool_(pool), state_(opts_.limits), ring_(opts_.queue_capacity),
      arena_(opts_.queue_bytes) {}

shard::~shard() {
    stop();
}

void shard::expect_book(model::instrument_id id, std::uint16_t depth) {
    MDG_CHECK(!thread_.joinable(), "books are declared before start()");
    if (status_index_.contains(key_of(id, depth))) {
        return;
    }
    auto st = std::make_unique<book_status>();
    st->instrument = id;
    st->depth = depth;
    st->state.store(static_cast<std::uint8_t>(book::book_state::syncing));
    status_index_.emplace(key_of(id, depth), st.get());
    statuses_.push_back(std::move(st));
    stats_.books[static_cast<std::size_t>(book::book_state::syncing)].fetch_add(1);
}

void shard::start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lk(query_mu_);
        running_ = true;
    }
    (void)spdlog::default_logger_raw(); // created before the thread that logs (see gateway)
    thread_ = std::thread([this] { run(); });
}

void shard::stop() {
    stop_.store(true);
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
}

shard_item* shard::claim(std::size_t payload_bytes, if_full full) noexcept {
    arena_.abandon(); // what a claim that was not committed took
    auto* it = ring_.try_claim();
    if (it != nullptr) {
        it->payload_size = payload_bytes;
        it->spill.reset();
        if (payload_bytes == 0) {
            it->payload = nullptr;
        } else if (payload_bytes > arena_.capacity() / 4) {
            // Rare (a deep snapshot, a huge trade burst): its own block, freed once applied, so
            // that one item cannot take the arena from the many small ones.
            it->spill.reset(new (std::nothrow) std::byte[payload_bytes]);
            it->payload = it->spill.get();
        } else {
            it->payload = arena_.allocate(payload_bytes);
        }
        if (payload_bytes == 0 || it->payload != nullptr) {
            claimed_ = it;
            return it;
        }
    }
    if (full == if_full::drop) {
        stats_.dropped_full.fetch_add(1, std::memory_order_relaxed);
    }
    return nullptr;
}

void shard::commit() noexcept {
    claimed_->arena_end = arena_.commit();
    ring_.publish();
    wake();
}

void shard::wake() noexcept {
    // Pairs with the fence in run() before the thread re-checks and parks (Dekker): either this
    // load sees sleeping_ set, or the parking thread sees what was published before this call.
    // In a flood the thread is awake and this costs a fence and a read of a line it does not
    // write; no shared write per item (the fetch_add on every commit cost 6% of the I/O
    // thread in `mdgate bench`, the line bouncing between the two cores).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_relaxed)) {
        signal_.fetch_add(1, std::memory_order_relaxed);
        signal_.notify_one();
    }
}

bool shard::query(const std::function<void(const market::market_state&)>& fn) {
    pending_query q{&fn, ring_.published(), {}};
    auto done = q.done.get_future();
    {
        std::lock_guard lk(query_mu_);
        if (!running_) {
            return false;
        }
        queries_.push_back(&q);
        has_queries_.store(true);
    }
    wake();
    done.wait();
    return true;
}

void shard::run_queries(bool all) {
    std::lock_guard lk(query_mu_);
    const auto consumed = ring_.consumed();
    std::erase_if(queries_, [&](pending_query* q) {
        if (!all && consumed < q->after) {
            return false;
        }
        (*q->fn)(state_);
        q->done.set_value();
        return true;
    });
    has_queries_.store(!queries_.empty());
}

void shard::run() {
    // Items handled since the thread last parked: more than one means frames come in bursts
    // or a flood, where the next one is microseconds away and spinning pays; one per wake-up
    // (a steady trickle) means the spin would only burn CPU.
    std::size_t since_park = 0;
    for (;;) {
        if (auto* it = ring_.front()) {
            process(*it);
            it->spill.reset();
            arena_.release(it->arena_end);
            ring_.pop();
            ++since_park;
            stats_.items.fetch_add(1, std::memory_order_relaxed);
            if (has_queries_.load(std::memory_order_relaxed)) {
                run_queries(false);
            }
            continue;
        }
        if (has_queries_.load()) {
            run_queries(false);
        }
        if (stop_.load()) {
            break;
        }
        if (since_park > 1 && core::spin_until(
                                  [this] {
                                      return ring_.front() != nullptr ||
                                             has_queries_.load(std::memory_order_relaxed) ||
                                             stop_.load(std::memory_order_relaxed);
                                  },
                                  opts_.spin)) {
            continue;
        }
        since_park = 0;
        const auto seen = signal_.load(std::memory_order_seq_cst);
        sleeping_.store(true, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst); // pairs with wake()
        if (ring_.front() == nullptr && !stop_.load() && !has_queries_.load()) {
            signal_.wait(seen, std::memory_order_seq_cst);
        }
        sleeping_.store(false, std::memory_order_relaxed);
    }
    std::lock_guard lk(query_mu_);
    running_ = false;
    for (auto* q : queries_) {
        (*q->fn)(state_);
        q->done.set_value();
    }
    queries_.clear();
    has_queries_.store(false);
}

void shard::publish_state(model::instrument_id id, std::uint16_t depth, const market::book_entry& e,
                          steady::time_point now) {
    if (auto it = status_index_.find(key_of(id, depth)); it != status_index_.end()) {
        auto& st = *it->second;
        const auto now_state = static_cast<std::uint8_t>(e.book.state());
        const auto was = st.state.load(std::memory_order_relaxed);
        if (was != now_state) {
            if (was == static_cast<std::uint8_t>(book::book_state::resyncing) &&
                e.book.state() == book::book_state::live) {
                log_book_event(
                    "resynced", id, depth,
                    fmt::format("live again from a snapshot at u {}", e.book.update_id()));
            }
            stats_.books[was].fetch_sub(1, std::memory_order_relaxed);
            stats_.books[now_state].fetch_add(1, std::memory_order_relaxed);
            st.state.store(now_state, std::memory_order_release);
        }
        st.applied_ns.store(steady_ns(now), std::memory_order_relaxed);
        st.update_id.store(e.book.update_id(), std::memory_order_relaxed);
    }
    if (pool_ != nullptr) {
        pool_->publish_book(id, depth, e, now);
    }
}

void shard::on_book(shard_item& it) {
    const auto status = state_.on_book(it.book);
    const auto id = it.book.instrument;
    const auto depth = it.book.depth;
    switch (status) {
    case book::apply_status::gap:
        stats_.gaps.fetch_add(1, std::memory_order_relaxed);
        break;
    case book::apply_status::crossed:
        stats_.crossed.fetch_add(1, std::memory_order_relaxed);
        break;
    case book::apply_status::invalid:
        stats_.invalid.fetch_add(1, std::memory_order_relaxed);
        break;
    case book::apply_status::applied:
    case book::apply_status::awaiting_snapshot:
        break;
    }
    if (status == book::apply_status::gap || status == book::apply_status::crossed ||
        status == book::apply_status::invalid) {
        const auto* e = state_.book(id, depth);
        const auto had = e != nullptr ? e->book.update_id() : 0; // a gap keeps the previous u
        log_book_event(status == book::apply_status::gap ? "gap" : "resync", id, depth,
                       status == book::apply_status::gap
                           ? fmt::format("u {} after u {}; resubscribing", it.book.update_id, had)
                           : fmt::format("{} book at u {}; resubscribing", book::to_string(status),
                                         it.book.update_id));
        request_resync(it.source, id, depth);
    }
    if (status != book::apply_status::awaiting_snapshot) {
        if (const auto* e = state_.book(id, depth)) {
            publish_state(id, depth, *e, steady::now());
        }
    }
    if (opts_.on_latency && it.book.ts_exchange.value != 0) {
        opts_.on_latency(item_kind::book, it.book.ts_recv - it.book.ts_exchange);
    }
}

void shard::request_resync(std::uint32_t source, model::instrument_id id, std::uint16_t depth) {
    stats_.resyncs.fetch_add(1, std::memory_order_relaxed);
    if (opts_.resync) {
        opts_.resync(source, id, depth);
    }
}

void shard::on_unusable(std::uint32_t source, const unusable_mark& m, steady::time_point now) {
    if (state_.on_unusable_book(m.instrument, m.depth, m.kind) != book::apply_status::invalid) {
        return; // a delta to a book that waits for a snapshot anyway
    }
    stats_.unusable.fetch_add(1, std::memory_order_relaxed);
    log_book_event("resync", m.instrument, m.depth,
                   fmt::format("a {} that could not be decoded ({}); resubscribing",
                               model::to_string(m.kind), to_string(m.reason)));
    request_resync(source, m.instrument, m.depth);
    if (const auto* e = state_.book(m.instrument, m.depth)) {
        publish_state(m.instrument, m.depth, *e, now);
    }
}

void shard::on_stale(const stale_mark& m, steady::time_point now) {
    switch (m.channel) {
    case stale_channel::book:
        if (state_.mark_book_stale(m.instrument, m.depth, m.continuity_lost)) {
            stats_.stale_marks.fetch_add(1, std::memory_order_relaxed);
            if (const auto* e = state_.book(m.instrument, m.depth)) {
                publish_state(m.instrument, m.depth, *e, now);
            }
        }
        return;
    case stale_channel::ticker:
        if (state_.mark_ticker_stale(m.instrument)) {
            stats_.stale_marks.fetch_add(1, std::memory_order_relaxed);
            if (const auto* t = state_.ticker(m.instrument); t != nullptr && pool_ != nullptr) {
                pool_->publish_ticker(m.instrument, *t, now);
            }
        }
        return;
    case stale_channel::trades:
        if (state_.mark_trades_stale(m.instrument)) {
            stats_.stale_marks.fetch_add(1, std::memory_order_relaxed);
            if (pool_ != nullptr) {
                pool_->publish_trades_stale(m.instrument);
            }
        }
        return;
    }
}

void shard::log_book_event(std::string_view event, model::instrument_id id, std::uint16_t depth,
                           std::string_view reason) {
    const std::string symbol =
        opts_.registry != nullptr ? opts_.registry->info(id).symbol : std::to_string(id.value);
    const std::string topic = fmt::format("orderbook.{}.{}", depth, symbol);
    // One key per book and event: a flapping book cannot hide another book's first line.
    const auto level = event == "resynced" ? spdlog::level::info : spdlog::level::warn;
    core::log_limited_event(level, fmt::format("book_{}.{}", event, topic),
                            {{"event", fmt::format("book_{}", event)},
                             {"symbol", symbol},
                             {"topic", topic},
                             {"reason", reason}},
                            "Book {} on {}: {}", event, topic, reason);
}

void shard::process(shard_item& it) {
    const auto now = steady::now();
    switch (it.kind) {
    case item_kind::book:
        on_book(it);
        break;
    case item_kind::ticker: {
        const auto& tk = *it.ticker;
        (void)state_.on_ticker(tk);
        if (const auto* t = state_.ticker(tk.instrument); t != nullptr && pool_ != nullptr) {
            pool_->publish_ticker(tk.instrument, *t, now);
        }
        if (opts_.on_latency && tk.ts_exchange.value != 0) {
            opts_.on_latency(item_kind::ticker, tk.ts_recv - tk.ts_exchange);
        }
        break;
    }
    case item_kind::trades:
        (void)state_.on_trades(it.trades);
        for (const auto& t : it.trades) {
            if (pool_ != nullptr) {
                pool_->publish_trade(t);
            }
        }
        if (opts_.on_latency && !it.trades.empty()) {
            opts_.on_latency(item_kind::trades,
                             it.trades.back().ts_recv - it.trades.back().ts_exchange);
        }
        break;
    case item_kind::klines:
        (void)state_.on_klines(it.klines);
        for (const auto& k : it.klines) {
            if (pool_ != nullptr) {
                pool_->publish_kline(k);
            }
        }
        if (opts_.on_latency && !it.klines.empty() && it.klines.back().ts_exchange.value != 0) {
            opts_.on_latency(item_kind::klines,
                             it.klines.back().ts_recv - it.klines.back().ts_exchange);
        }
        break;
    case item_kind::liquidations:
        (void)state_.on_liquidations(it.liquidations);
        for (const auto& l : it.liquidations) {
            if (pool_ != nullptr) {
                pool_->publish_liquidation(l);
            }
        }
        if (opts_.on_latency && !it.liquidations.empty()) {
            opts_.on_latency(item_kind::liquidations,
                             it.liquidations.back().ts_recv - it.liquidations.back().ts_exchange);
        }
        break;
    case item_kind::kline_history:
        // History, not a live update: no latency or handling time to observe.
        (void)state_.merge_klines(it.klines);
        if (pool_ != nullptr) {
            pool_->publish_kline_history(it.klines);
        }
        return;
    case item_kind::rest_book:
        // The book's status (state, u, applied time) stays the stream's: only the consumers
        // see the REST levels.
        if (state_.on_rest_book(it.book) && pool_ != nullptr) {
            if (const auto* e = state_.book(it.book.instrument, it.book.depth)) {
                pool_->publish_book(it.book.instrument, it.book.depth, *e, now);
            }
        }
        return;
    case item_kind::rest_ticker:
        (void)state_.on_rest_ticker(*it.ticker);
        if (const auto* t = state_.ticker(it.ticker->instrument);
            t != nullptr && pool_ != nullptr) {
            pool_->publish_ticker(it.ticker->instrument, *t, now);
        }
        return;
    case item_kind::trade_history:
        (void)state_.merge_trades(it.trades);
        if (pool_ != nullptr) {
            pool_->publish_trade_history(it.trades);
        }
        return;
    case item_kind::open_interest_history:
        (void)state_.merge_open_interest(it.instrument, it.open_interest);
        if (pool_ != nullptr) {
            pool_->publish_open_interest_history(it.instrument, it.open_interest);
        }
        return;
    case item_kind::stale:
        on_stale(it.stale, now);
        return;
    case item_kind::unusable:
        on_unusable(it.source, it.unusable, now);
        return;
    }
    if (opts_.on_handled && it.read_ns != 0) {
        opts_.on_handled(std::chrono::nanoseconds{steady_ns(steady::now()) - it.read_ns});
    }
}

} // namespace mdg::dispatch
