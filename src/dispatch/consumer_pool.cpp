#include "dispatch/consumer_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/spin.hpp"

namespace mdg::dispatch {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string_view to_string(event_kind k) noexcept {
    switch (k) {
    case event_kind::book:
        return "book";
    case event_kind::ticker:
        return "ticker";
    case event_kind::trade:
        return "trade";
    case event_kind::kline:
        return "kline";
    case event_kind::liquidation:
        return "liquidation";
    }
    return "unknown";
}

namespace {

[[nodiscard]] std::int64_t steady_ns(steady::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What a running call is about, packed for the watchdog: kind, instrument, depth/interval.
[[nodiscard]] std::uint64_t pack_what(event_kind k, model::instrument_id id,
                                      unsigned detail) noexcept {
    return (std::uint64_t{id.value} << 24U) | (std::uint64_t{detail & 0xffffU} << 8U) |
           static_cast<std::uint64_t>(k);
}

// A FIFO event: a trade, a candle or a liquidation, in arrival order.
// A trades channel that went stale, in order with that instrument's trades.
struct trades_stale {
    model::instrument_id instrument;
};

// History fetched over REST, shared by every consumer it is queued for (one copy, however
// many consumers): candles of one (instrument, interval), or open interest of one instrument.
struct kline_history {
    std::shared_ptr<const std::vector<model::kline>> klines; // not empty
};
struct open_interest_history {
    model::instrument_id instrument;
    std::shared_ptr<const std::vector<model::open_interest_point>> points;
};
struct trade_history {
    std::shared_ptr<const std::vector<model::trade>> trades; // not empty
};
using venue_data_ptr = std::shared_ptr<const venue_data>; // not null

struct fifo_entry {
    std::uint64_t seq = 0;
    std::variant<model::trade, model::kline, model::liquidation, trades_stale, kline_history,
                 open_interest_history, trade_history, venue_data_ptr>
        ev;
};

// One conflated topic: the latest book or ticker state not yet delivered.
struct conflated_slot {
    event_kind kind = event_kind::book;
    bool pending = false;
    std::uint64_t seq = 0;
    book_view book;
    ticker_view ticker;
};

// A ring of indices with a fixed capacity that the owner grows (only when a topic is new).
class index_ring {
  public:
    /// Room for `n` indices at once (every conflated topic pending together).
    void reserve(std::size_t n) { grow(n); }
    void push(std::size_t v) {
        data_[(head_ + size_) % data_.size()] = v;
        ++size_;
    }
    [[nodiscard]] std::size_t front() const noexcept { return data_[head_]; }
    void pop() noexcept {
        head_ = (head_ + 1) % data_.size();
        --size_;
    }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  private:
    void grow(std::size_t n) {
        if (n <= data_.size()) {
            return;
        }
        std::vector<std::size_t> next(std::max<std::size_t>(n, data_.size() * 2));
        for (std::size_t i = 0; i < size_; ++i) {
            next[i] = data_[(head_ + i) % data_.size()];
        }
        data_ = std::move(next);
        head_ = 0;
    }
    std::vector<std::size_t> data_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace

std::string_view to_string(data_source s) noexcept {
    return s == data_source::rest ? "rest" : "stream";
}

std::string_view to_string(venue_data::kind k) noexcept {
    switch (k) {
    case venue_data::kind::funding_history:
        return "funding_history";
    case venue_data::kind::account_ratio:
        return "account_ratio";
    case venue_data::kind::risk_limits:
        return "risk_limits";
    }
    return "?";
}

struct consumer_pool::core : std::enable_shared_from_this<consumer_pool::core> {
    struct slot {
        std::shared_ptr<consumer> c;
        consumer_options opts;
        std::function<void(std::chrono::nanoseconds)> on_duration;
        consumer_stats stats;

        std::mutex mu; // guards everything below up to the atomics
        std::vector<fifo_entry> fifo;
        std::size_t fifo_head = 0;
        std::size_t fifo_size = 0;
        std::vector<std::unique_ptr<conflated_slot>> conflated;
        std::unordered_map<std::uint64_t, std::size_t> conflated_index;
        index_ring ready;
        std::uint64_t next_seq = 0;
        bool scheduled = false; // queued for a worker or being run by one
        std::stop_source stop;

        // Read by the watchdog without the lock.
        std::atomic<std::int64_t> running_since{0}; // steady ns; 0 = idle
        std::atomic<std::uint64_t> running_what{0};
        std::atomic<bool> overrun{false};

        // The worker's copies of the event being delivered (reused: no allocation).
        book_view book_scratch;
        ticker_view ticker_scratch;
        fifo_entry fifo_scratch;

        [[nodiscard]] std::size_t waiting() const noexcept {
            return fifo_size + (ready.empty() ? 0U : 1U);
        }
    };

    options opts;
    const model::instrument_registry& registry;
    std::vector<std::unique_ptr<slot>> slots;

    std::mutex mu; // guards the run queue and the thread bookkeeping
    std::condition_variable cv;
    std::condition_variable idle_cv;
    std::vector<std::size_t> run_queue; // consumers with work, FIFO (head index below)
    std::size_t run_head = 0;
    std::size_t running = 0;
    std::size_t alive = 0;
    std::size_t blocked = 0;  // workers inside an overrun call
    std::size_t sleepers = 0; // workers waiting on cv
    // Read without the lock by a spinning worker; written under mu (= run_queue entries).
    std::atomic<std::size_t> queued{0};
    // Workers that will look at the run queue under mu before they sleep (see schedule()).
    std::atomic<std::size_t> spinners{0};
    bool started = false;
    std::atomic<bool> accepting{false};
    std::atomic<bool> closed{false};         // stop() is past its drain: no more observer calls
    std::atomic<std::uint32_t> observers{0}; // observer calls in flight
    bool shutdown = false;
    std::vector<std::thread> workers;
    std::thread watchdog;
    std::condition_variable watchdog_cv;

    core(options o, const model::instrument_registry& r) : opts(std::move(o)), registry(r) {}

    std::string describe(std::uint64_t what) const {
        const auto kind = static_cast<event_kind>(what & 0xffU);
        const model::instrument_id id{static_cast<std::uint32_t>(what >> 24U)};
        const auto detail = static_cast<unsigned>((what >> 8U) & 0xffffU);
        if (opts.namer) {
            return opts.namer(kind, id, detail);
        }
        return fmt::format("{}.{}", to_string(kind), registry.info(id).symbol);
    }

    // A worker needs waking only when more consumers wait than spinning workers will take:
    // every worker counted in `spinners` checks the run queue under mu after this push (its
    // decrement comes before its lock, both seq_cst), so it cannot miss this entry.
    void schedule(std::size_t i) {
        bool wake = false;
        {
            std::lock_guard lk(mu);
            run_queue.push_back(i);
            const auto q = queued.fetch_add(1, std::memory_order_seq_cst) + 1;
            wake = sleepers > 0 && q > spinners.load(std::memory_order_seq_cst);
        }
        if (wake) {
            cv.notify_one();
        }
    }

    // Runs under s.mu: makes a consumer runnable when it was idle.
    static bool mark_scheduled(slot& s) {
        if (s.scheduled) {
            return false;
        }
        s.scheduled = true;
        return true;
    }

    void offer_fifo(std::size_t i, const auto& ev) {
        auto& s = *slots[i];
        bool wake = false;
        {
            std::lock_guard lk(s.mu);
            if (s.fifo_size == s.fifo.size()) {
                s.fifo_head = (s.fifo_head + 1) % s.fifo.size(); // drop the oldest
                --s.fifo_size;
                s.stats.dropped_oldest.fetch_add(1, std::memory_order_relaxed);
            } else {
                s.stats.depth.fetch_add(1, std::memory_order_relaxed);
            }
            auto& e = s.fifo[(s.fifo_head + s.fifo_size) % s.fifo.size()];
            e.seq = s.next_seq++;
            e.ev = ev;
            ++s.fifo_size;
            wake = mark_scheduled(s);
        }
        if (wake) {
            schedule(i);
        }
    }

    // Finds or creates the conflated slot of `key`; runs under s.mu.
    static conflated_slot& conflated_for(slot& s, std::uint64_t key, event_kind kind) {
        if (auto it = s.conflated_index.find(key); it != s.conflated_index.end()) {
            return *s.conflated[it->second];
        }
        s.conflated.push_back(std::make_unique<conflated_slot>());
        s.conflated.back()->kind = kind;
        s.conflated_index.emplace(key, s.conflated.size() - 1);
        // Every topic can be pending at once: the ring needs a place for each. (Sizing it by
        // the entries queued at the time a topic appeared let a third topic overwrite a
        // queued one, whose state then stayed "pending" and was never delivered again.)
        s.ready.reserve(s.conflated.size());
        return *s.conflated.back();
    }

    template <class Fill>
    void offer_conflated(std::size_t i, std::uint64_t key, event_kind kind, Fill&& fill) {
        auto& s = *slots[i];
        bool wake = false;
        {
            std::lock_guard lk(s.mu);
            auto& c = conflated_for(s, key, kind);
            if (c.pending) {
                s.stats.conflated.fetch_add(1, std::memory_order_relaxed);
            } else {
                c.pending = true;
                c.seq = s.next_seq++;
                s.ready.push(s.conflated_index[key]);
                s.stats.depth.fetch_add(1, std::memory_order_relaxed);
            }
            fill(s, c);
            wake = mark_scheduled(s);
        }
        if (wake) {
            schedule(i);
        }
    }

    // Takes the next event of consumer s into its scratch copies; returns what to call, or
    // nullopt when the queue is empty. Runs under s.mu.
    enum class next_kind : std::uint8_t { none, book, ticker, fifo };
    static next_kind take(slot& s) {
        const bool has_fifo = s.fifo_size > 0;
        const bool has_conf = !s.ready.empty();
        if (!has_fifo && !has_conf) {
            return next_kind::none;
        }
        const bool fifo_first =
            has_fifo && (!has_conf || s.fifo[s.fifo_head].seq < s.conflated[s.ready.front()]->seq);
        s.stats.depth.fetch_sub(1, std::memory_order_relaxed);
        if (fifo_first) {
            // Moved: a history batch must not stay alive in the slot it was delivered from.
            s.fifo_scratch = std::move(s.fifo[s.fifo_head]);
            s.fifo_head = (s.fifo_head + 1) % s.fifo.size();
            --s.fifo_size;
            return next_kind::fifo;
        }
        auto& c = *s.conflated[s.ready.front()];
        s.ready.pop();
        c.pending = false;
        if (c.kind == event_kind::book) {
            s.book_scratch.instrument = c.book.instrument;
            s.book_scratch.depth = c.book.depth;
            s.book_scratch.state = c.book.state;
            s.book_scratch.update_id = c.book.update_id;
            s.book_scratch.seq = c.book.seq;
            s.book_scratch.ts_exchange = c.book.ts_exchange;
            s.book_scratch.ts_recv = c.book.ts_recv;
            s.book_scratch.source = c.book.source;
            s.book_scratch.applied = c.book.applied;
            s.book_scratch.bids.assign(c.book.bids.begin(), c.book.bids.end());
            s.book_scratch.asks.assign(c.book.asks.begin(), c.book.asks.end());
            return next_kind::book;
        }
        s.ticker_scratch = c.ticker;
        return next_kind::ticker;
    }

    void call(slot& s, next_kind k, std::stop_token tok) {
        switch (k) {
        case next_kind::book:
            s.c->on_book(s.book_scratch, std::move(tok));
            break;
        case next_kind::ticker:
            s.c->on_ticker(s.ticker_scratch, std::move(tok));
            break;
        case next_kind::fifo:
            std::visit(
                [&](const auto& ev) {
                    using T = std::decay_t<decltype(ev)>;
                    if constexpr (std::is_same_v<T, model::trade>) {
                        s.c->on_trade(ev, tok);
                    } else if constexpr (std::is_same_v<T, model::kline>) {
                        s.c->on_kline(ev, tok);
                    } else if constexpr (std::is_same_v<T, trades_stale>) {
                        s.c->on_trades_stale(ev.instrument, tok);
                    } else if constexpr (std::is_same_v<T, kline_history>) {
                        s.c->on_kline_history(*ev.klines, tok);
                    } else if constexpr (std::is_same_v<T, open_interest_history>) {
                        s.c->on_open_interest_history(ev.instrument, *ev.points, tok);
                    } else if constexpr (std::is_same_v<T, trade_history>) {
                        s.c->on_trade_history(*ev.trades, tok);
                    } else if constexpr (std::is_same_v<T, venue_data_ptr>) {
                        s.c->on_venue_data(*ev, tok);
                    } else {
                        s.c->on_liquidation(ev, tok);
                    }
                },
                s.fifo_scratch.ev);
            break;
        case next_kind::none:
            break;
        }
    }

    static std::uint64_t what_of(const slot& s, next_kind k) {
        switch (k) {
        case next_kind::book:
            return pack_what(event_kind::book, s.book_scratch.instrument, s.book_scratch.depth);
        case next_kind::ticker:
            return pack_what(event_kind::ticker, s.ticker_scratch.instrument, 0);
        case next_kind::fifo:
            return std::visit(
                [](const auto& ev) {
                    using T = std::decay_t<decltype(ev)>;
                    if constexpr (std::is_same_v<T, model::trade> ||
                                  std::is_same_v<T, trades_stale>) {
                        return pack_what(event_kind::trade, ev.instrument, 0);
                    } else if constexpr (std::is_same_v<T, model::kline>) {
                        return pack_what(event_kind::kline, ev.instrument,
                                         static_cast<unsigned>(ev.interval));
                    } else if constexpr (std::is_same_v<T, kline_history>) {
                        const auto& first = ev.klines->front();
                        return pack_what(event_kind::kline, first.instrument,
                                         static_cast<unsigned>(first.interval));
                    } else if constexpr (std::is_same_v<T, open_interest_history>) {
                        return pack_what(event_kind::ticker, ev.instrument, 0);
                    } else if constexpr (std::is_same_v<T, trade_history>) {
                        return pack_what(event_kind::trade, ev.trades->front().instrument, 0);
                    } else if constexpr (std::is_same_v<T, venue_data_ptr>) {
                        return pack_what(event_kind::ticker, ev->instrument, 0);
                    } else {
                        return pack_what(event_kind::liquidation, ev.instrument, 0);
                    }
                },
                s.fifo_scratch.ev);
        case next_kind::none:
            break;
        }
        return 0;
    }

    // Runs up to a batch of consumer i's events. Returns false when this worker must exit
    // (it was a blocked thread whose replacement now runs).
    bool run_batch(std::size_t i) {
        auto& s = *slots[i];
        constexpr int batch = 32;
        for (int n = 0; n < batch; ++n) {
            next_kind k{};
            std::stop_token tok;
            {
                std::lock_guard lk(s.mu);
                k = take(s);
                if (k == next_kind::none) {
                    break;
                }
                tok = s.stop.get_token();
            }
            s.running_what.store(what_of(s, k), std::memory_order_relaxed);
            const auto t0 = steady::now();
            s.running_since.store(steady_ns(t0), std::memory_order_release);
            try {
                call(s, k, std::move(tok));
            } catch (const std::exception& e) {
                s.stats.exceptions.fetch_add(1, std::memory_order_relaxed);
                spdlog::error("Consumer {}: callback threw: {}", s.opts.name, e.what());
            } catch (...) {
                s.stats.exceptions.fetch_add(1, std::memory_order_relaxed);
                spdlog::error("Consumer {}: callback threw a non-exception", s.opts.name);
            }
            const auto elapsed = steady::now() - t0;
            s.running_since.store(0, std::memory_order_release);
            s.stats.delivered.fetch_add(1, std::memory_order_relaxed);
            // After stop() the owner's observers may be gone: a thread left blocked past the
            // drain deadline ends here, touching nothing of theirs. stop() waits for
            // observer calls in flight (a Dekker pair: both sides seq_cst).
            observers.fetch_add(1, std::memory_order_seq_cst);
            if (closed.load(std::memory_order_seq_cst)) {
                observers.fetch_sub(1, std::memory_order_seq_cst);
                return true;
            }
            if (s.on_duration) {
                s.on_duration(elapsed);
            }
            observers.fetch_sub(1, std::memory_order_seq_cst);
            if (s.overrun.exchange(false, std::memory_order_acq_rel)) {
                spdlog::info("Consumer {}: the overrunning callback returned after {:.1f} s",
                             s.opts.name, std::chrono::duration<double>(elapsed).count());
                {
                    std::lock_guard lk(s.mu);
                    s.stop = std::stop_source{}; // the old one is spent
                }
                bool leave = false;
                {
                    std::lock_guard lk(mu);
                    --blocked;
                    leave = !shutdown && alive - blocked > opts.threads;
                }
                if (leave) {
                    finish(i); // a replacement took this thread's place
                    return false;
                }
            }
        }
        finish(i);
        return true;
    }

    // After a batch: requeue consumer i if it has more work, else mark it idle.
    void finish(std::size_t i) {
        auto& s = *slots[i];
        bool more = false;
        {
            std::lock_guard lk(s.mu);
            more = s.waiting() > 0;
            s.scheduled = more;
        }
        if (more) {
            schedule(i);
        }
    }

    void worker() {
        // Batches run since this worker last slept (see shard::run: spinning pays in bursts).
        std::size_t since_sleep = 0;
        for (;;) {
            std::size_t i = 0;
            // One worker at a time busy-waits briefly for the next consumer with work before
            // sleeping: a shard in a flood publishes every few microseconds, and a sleep and
            // wake per event costs two context switches.
            if (since_sleep > 1) {
                if (spinners.fetch_add(1, std::memory_order_seq_cst) == 0) {
                    (void)::mdg::core::spin_until(
                        [this] { return queued.load(std::memory_order_relaxed) > 0; }, opts.spin);
                }
                spinners.fetch_sub(1, std::memory_order_seq_cst);
            }
            {
                std::unique_lock lk(mu);
                if (run_head == run_queue.size()) {
                    since_sleep = 0;
                }
                ++sleepers;
                cv.wait(lk, [&] { return shutdown || run_head < run_queue.size(); });
                --sleepers;
                if (shutdown) {
                    break;
                }
                queued.fetch_sub(1, std::memory_order_relaxed);
                i = run_queue[run_head++];
                if (run_head == run_queue.size()) {
                    run_queue.clear();
                    run_head = 0;
                }
                ++running;
            }
            const bool keep = run_batch(i);
            ++since_sleep;
            {
                std::lock_guard lk(mu);
                --running;
                if (!keep) {
                    --alive;
                    idle_cv.notify_all();
                    return;
                }
            }
            idle_cv.notify_all();
        }
        std::lock_guard lk(mu);
        --alive;
        idle_cv.notify_all();
    }

    void spawn_worker() { // under mu
        ++alive;
        // The thread owns a reference: a worker left blocked in a callback at stop() outlives
        // the pool safely.
        workers.emplace_back([self = shared_from_this()] { self->worker(); });
    }

    void watch() {
        std::unique_lock lk(mu);
        while (!shutdown) {
            watchdog_cv.wait_for(lk, 20ms);
            if (shutdown) {
                break;
            }
            const auto now = steady_ns(steady::now());
            for (auto& sp : slots) {
                auto& s = *sp;
                const auto since = s.running_since.load(std::memory_order_acquire);
                if (since == 0 || s.overrun.load(std::memory_order_acquire)) {
                    continue;
                }
                const auto elapsed = std::chrono::nanoseconds{now - since};
                if (elapsed <= s.opts.budget) {
                    continue;
                }
                s.overrun.store(true, std::memory_order_release);
                s.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
                const auto what = describe(s.running_what.load(std::memory_order_relaxed));
                auto sym = what.substr(what.rfind('.') + 1);
                // The old service's marker, one line per event (grep -c counts events).
                spdlog::error("Message callback timeout for {} on {}: {:.1f} s elapsed, budget "
                              "{:.1f} s (consumer {})",
                              sym, what, std::chrono::duration<double>(elapsed).count(),
                              std::chrono::duration<double>(s.opts.budget).count(), s.opts.name);
                {
                    std::lock_guard slk(s.mu);
                    s.stop.request_stop();
                }
                ++blocked;
                if (alive - blocked < opts.threads) {
                    spawn_worker();
                }
            }
        }
    }
};

consumer_pool::consumer_pool(options opts, const model::instrument_registry& registry)
    : core_(std::make_shared<core>(std::move(opts), registry)) {
    if (core_->opts.threads == 0) {
        core_->opts.threads = 1;
    }
}

consumer_pool::~consumer_pool() {
    (void)stop(0ms);
}

std::size_t consumer_pool::add(std::shared_ptr<consumer> c, consumer_options opts,
                               std::function<void(std::chrono::nanoseconds)> on_duration) {
    MDG_CHECK(!core_->started, "consumers are added before start()");
    auto s = std::make_unique<core::slot>();
    s->c = std::move(c);
    s->opts = std::move(opts);
    s->on_duration = std::move(on_duration);
    s->fifo.resize(std::max<std::size_t>(s->opts.queue_capacity, 1));
    s->book_scratch.bids.reserve(s->opts.book_levels);
    s->book_scratch.asks.reserve(s->opts.book_levels);
    core_->slots.push_back(std::move(s));
    return core_->slots.size() - 1;
}

void consumer_pool::start() {
    (void)spdlog::default_logger_raw(); // created before the threads that log (see gateway)
    auto& c = *core_;
    std::lock_guard lk(c.mu);
    if (c.started) {
        return;
    }
    c.started = true;
    c.accepting.store(true);
    c.run_queue.reserve(c.slots.size() * 2 + 8);
    for (std::size_t i = 0; i < c.opts.threads; ++i) {
        c.spawn_worker();
    }
    c.watchdog = std::thread([&c] { c.watch(); });
}

bool consumer_pool::stop(std::chrono::milliseconds drain_deadline) {
    auto& c = *core_;
    std::unique_lock lk(c.mu);
    if (!c.started || c.shutdown) {
        return true;
    }
    c.accepting.store(false);
    const auto deadline = steady::now() + drain_deadline;
    auto drained = [&] {
        if (c.running > 0 || c.run_head < c.run_queue.size()) {
            return false;
        }
        return true;
    };
    const bool clean = c.idle_cv.wait_until(lk, deadline, drained);
    c.shutdown = true;
    c.closed.store(true, std::memory_order_seq_cst);
    while (c.observers.load(std::memory_order_seq_cst) != 0) {
        std::this_thread::yield();
    }
    for (auto& s : c.slots) {
        std::lock_guard slk(s->mu);
        s->stop.request_stop();
    }
    lk.unlock();
    c.cv.notify_all();
    c.watchdog_cv.notify_all();
    if (c.watchdog.joinable()) {
        c.watchdog.join();
    }
    lk.lock();
    // Callbacks that honour their stop_token return now; give them a moment, then leave the
    // rest behind (each worker holds a reference to the core).
    const bool joined = c.idle_cv.wait_for(lk, 500ms, [&] { return c.alive == 0; });
    auto threads = std::move(c.workers);
    lk.unlock();
    for (auto& t : threads) {
        if (joined) {
            t.join();
        } else {
            t.detach();
        }
    }
    if (!joined) {
        spdlog::warn("Consumer pool: a callback ignored its stop request; its thread is left "
                     "to finish on its own");
    }
    return clean && joined;
}

void consumer_pool::publish_book(model::instrument_id id, std::uint16_t depth,
                                 const market::book_entry& e, steady::time_point applied) {
    auto& c = *core_;
    if (!c.accepting.load(std::memory_order_relaxed)) {
        return;
    }
    const auto key = (std::uint64_t{id.value} << 20U) | depth;
    for (std::size_t i = 0; i < c.slots.size(); ++i) {
        if ((c.slots[i]->opts.channels & static_cast<std::uint8_t>(channel_bit::books)) == 0) {
            continue;
        }
        c.offer_conflated(i, key, event_kind::book, [&](core::slot& s, conflated_slot& cs) {
            auto& b = cs.book;
            b.instrument = id;
            b.depth = depth;
            b.state = e.book.state();
            b.applied = applied;
            if (e.rest && e.book.state() != book::book_state::live) {
                // The REST answer fetched while the stream is not live, under the stream's
                // (non-live) state.
                const auto& r = *e.rest;
                b.source = data_source::rest;
                b.update_id = r.update_id;
                b.seq = 0;
                b.ts_exchange = r.ts_exchange;
                b.ts_recv = r.ts_recv;
                b.bids.assign(r.bids.begin(),
                              r.bids.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min(r.bids.size(), s.opts.book_levels)));
                b.asks.assign(r.asks.begin(),
                              r.asks.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min(r.asks.size(), s.opts.book_levels)));
                return;
            }
            b.source = data_source::stream;
            b.update_id = e.book.update_id();
            b.seq = e.book.seq();
            b.ts_exchange = e.ts_exchange;
            b.ts_recv = e.ts_recv;
            const auto nb = std::min(e.book.bid_count(), s.opts.book_levels);
            const auto na = std::min(e.book.ask_count(), s.opts.book_levels);
            b.bids.resize(nb);
            b.asks.resize(na);
            for (std::size_t k = 0; k < nb; ++k) {
                b.bids[k] = e.book.bid(k);
            }
            for (std::size_t k = 0; k < na; ++k) {
                b.asks[k] = e.book.ask(k);
            }
        });
    }
}

void consumer_pool::publish_ticker(model::instrument_id id, const market::ticker_state& t,
                                   steady::time_point applied) {
    auto& c = *core_;
    if (!c.accepting.load(std::memory_order_relaxed)) {
        return;
    }
    const auto key = (std::uint64_t{1} << 60U) | id.value;
    for (std::size_t i = 0; i < c.slots.size(); ++i) {
        if ((c.slots[i]->opts.channels & static_cast<std::uint8_t>(channel_bit::tickers)) == 0) {
            continue;
        }
        c.offer_conflated(i, key, event_kind::ticker, [&](core::slot&, conflated_slot& cs) {
            auto& v = cs.ticker;
            v.instrument = id;
            v.cross_seq = t.cross_seq();
            v.stale = t.stale();
            v.source = t.from_rest() ? data_source::rest : data_source::stream;
            v.ts_exchange = t.ts_exchange();
            v.ts_recv = t.ts_recv();
            v.applied = applied;
            v.fields = t.fields();
        });
    }
}

namespace {
template <class Ev> void publish_fifo(consumer_pool::core& c, const Ev& ev, channel_bit bit) {
    if (!c.accepting.load(std::memory_order_relaxed)) {
        return;
    }
    for (std::size_t i = 0; i < c.slots.size(); ++i) {
        if ((c.slots[i]->opts.channels & static_cast<std::uint8_t>(bit)) != 0) {
            c.offer_fifo(i, ev);
        }
    }
}
} // namespace

void consumer_pool::publish_trade(const model::trade& t) {
    publish_fifo(*core_, t, channel_bit::trades);
}
void consumer_pool::publish_trades_stale(model::instrument_id id) {
    publish_fifo(*core_, trades_stale{id}, channel_bit::trades);
}
void consumer_pool::publish_kline(const model::kline& k) {
    publish_fifo(*core_, k, channel_bit::klines);
}
void consumer_pool::publish_liquidation(const model::liquidation& l) {
    publish_fifo(*core_, l, channel_bit::liquidations);
}
void consumer_pool::publish_kline_history(std::span<const model::kline> history) {
    if (history.empty()) {
        return;
    }
    publish_fifo(*core_,
                 kline_history{std::make_shared<const std::vector<model::kline>>(history.begin(),
                                                                                 history.end())},
                 channel_bit::klines);
}
void consumer_pool::publish_venue_data(std::shared_ptr<const venue_data> d) {
    if (d) {
        publish_fifo(*core_, venue_data_ptr{std::move(d)}, channel_bit::venue_data);
    }
}
void consumer_pool::publish_trade_history(std::span<const model::trade> history) {
    if (history.empty()) {
        return;
    }
    publish_fifo(*core_,
                 trade_history{std::make_shared<const std::vector<model::trade>>(history.begin(),
                                                                                 history.end())},
                 channel_bit::trades);
}
void consumer_pool::publish_open_interest_history(
    model::instrument_id id, std::span<const model::open_interest_point> points) {
    if (points.empty()) {
        return;
    }
    publish_fifo(
        *core_,
        open_interest_history{id, std::make_shared<const std::vector<model::open_interest_point>>(
                                      points.begin(), points.end())},
        channel_bit::tickers);
}

std::size_t consumer_pool::size() const noexcept {
    return core_->slots.size();
}
const consumer_options& consumer_pool::consumer_opts(std::size_t i) const noexcept {
    return core_->slots[i]->opts;
}
const consumer_stats& consumer_pool::stats(std::size_t i) const noexcept {
    return core_->slots[i]->stats;
}
std::size_t consumer_pool::threads_alive() const noexcept {
    std::lock_guard lk(core_->mu);
    return core_->alive;
}

} // namespace mdg::dispatch
