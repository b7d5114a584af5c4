#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <ranges>
#include <span>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/assert.hpp"
#include "core/error.hpp"
#include "dispatch/consumer_pool.hpp"
#include "dispatch/payload_arena.hpp"
#include "dispatch/spsc_ring.hpp"
#include "market/market_state.hpp"
#include "model/events.hpp"
#include "model/ticker.hpp"

namespace mdg::dispatch {

/// What a shard item carries.
enum class item_kind : std::uint8_t {
    book,          ///< `book` + `bids`/`asks`
    ticker,        ///< `ticker`
    trades,        ///< `trades`
    klines,        ///< `klines`
    liquidations,  ///< `liquidations`
    stale,         ///< `stale`: these channels are silent or their connection was lost
    unusable,      ///< `unusable`: a book message that could not be decoded
    kline_history, ///< `klines`: candles of one (instrument, interval) from REST, oldest first
    open_interest_history, ///< `open_interest` of `instrument` from REST, oldest first
    trade_history,         ///< `trades` of one instrument from REST, oldest first
    rest_book,             ///< `book`: a REST book of an expected book whose stream is not live
    rest_ticker,           ///< `ticker`: a REST ticker
};

/// Which state a stale mark is about.
enum class stale_channel : std::uint8_t { book, ticker, trades };

/// One channel to flag stale (docs/feed.md, stale state): its book (instrument + depth), its
/// ticker or its trades. `continuity_lost`: its connection dropped, so a book may become live
/// again only on a snapshot; otherwise it is silence on a connected socket, and a delta that
/// continues the book's `u` makes it live again.
struct stale_mark {
    stale_channel channel = stale_channel::book;
    model::instrument_id instrument;
    std::uint16_t depth = 0; ///< books only
    bool continuity_lost = false;
    friend bool operator==(const stale_mark&, const stale_mark&) = default;
};

/// A book message that could not be decoded after its topic was read (docs/feed.md): its book
/// must not stay live without it, so the shard makes it `resyncing` and resubscribes it.
struct unusable_mark {
    model::instrument_id instrument;
    std::uint16_t depth = 0;
    model::update_kind kind = model::update_kind::snapshot; ///< as far as the decoder read it
    errc reason = errc::ok;                                 ///< the decode error
    friend bool operator==(const unusable_mark&, const unusable_mark&) = default;
};

/// One unit of work from an I/O thread to a shard: an owned copy of a decoded frame. The slot
/// holds the fixed part; what varies in size (book levels, the ticker, trades, candles,
/// liquidations) is the item's payload, one block in the shard's payload_arena (or, larger than
/// a quarter of it, a block of its own freed once the item is applied), laid out with
/// put_payload(). Nothing in a slot grows, so a queue's memory is set by its configuration.
struct shard_item {
    item_kind kind = item_kind::book;
    std::uint32_t source = 0; ///< the connection it came from (for resync requests)
    std::int64_t read_ns = 0; ///< steady time the frame was read (handle duration)
    model::book_update book;  ///< bids/asks point into the payload
    const model::ticker_update* ticker = nullptr; ///< in the payload
    std::span<const model::trade> trades;         ///< in the payload
    std::span<const model::kline> klines;
    std::span<const model::liquidation> liquidations;
    std::span<const model::open_interest_point> open_interest;
    model::instrument_id instrument; ///< open_interest_history only
    stale_mark stale;
    unusable_mark unusable;

    std::byte* payload = nullptr; ///< payload_size bytes, 16-byte aligned
    std::size_t payload_size = 0;
    std::uint64_t arena_end = 0;        ///< the arena position released once applied
    std::unique_ptr<std::byte[]> spill; ///< the payload when it is not in the arena
};

/// The bytes an array of `n` T takes in an item's payload (each array starts 16-byte aligned).
template <class T> [[nodiscard]] constexpr std::size_t payload_size(std::size_t n) noexcept {
    return payload_arena::round_up(n * sizeof(T));
}

/// Copies `src` into `it`'s payload at `offset`, moves `offset` past it and returns the copy.
/// The item was claimed with room for it (the sum of payload_size() of its arrays).
template <std::ranges::contiguous_range R>
auto put_payload(shard_item& it, std::size_t& offset, const R& range) noexcept
    -> std::span<const std::ranges::range_value_t<R>> {
    using T = std::ranges::range_value_t<R>;
    const std::span<const T> src{range};
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T> &&
                  alignof(T) <= payload_arena::alignment);
    if (src.empty()) {
        return {};
    }
    MDG_ASSERT(offset + src.size_bytes() <= it.payload_size, "the item was claimed with room");
    auto* dst = it.payload + offset;
    std::memcpy(dst, src.data(), src.size_bytes()); // implicitly creates the T objects
    offset += payload_size<T>(src.size());
    return {std::launder(reinterpret_cast<const T*>(dst)), src.size()};
}

/// The published state of one expected book, readable from any thread (HTTP, readiness).
struct book_status {
    model::instrument_id instrument;
    std::uint16_t depth = 0;
    std::atomic<std::uint8_t> state{0};      ///< book::book_state
    std::atomic<std::int64_t> applied_ns{0}; ///< steady time of the last applied update
    std::atomic<std::uint64_t> update_id{0};
};

/// Counters of one shard (relaxed atomics: written by the shard or its producer, read by
/// anyone).
struct shard_stats {
    std::atomic<std::uint64_t> items{0};
    std::atomic<std::uint64_t> dropped_full{0}; ///< items refused because the queue was full
    std::atomic<std::uint64_t> gaps{0};
    std::atomic<std::uint64_t> crossed{0};
    std::atomic<std::uint64_t> invalid{0};
    std::atomic<std::uint64_t> unusable{0};    ///< undecodable book messages that resynced
    std::atomic<std::uint64_t> resyncs{0};     ///< resubscriptions requested
    std::atomic<std::uint64_t> stale_marks{0}; ///< channels that went from live to stale
    std::array<std::atomic<std::uint32_t>, book::book_state_count>
        books{}; ///< expected books by state
};

/// A state shard: one thread that owns a market_state (the single writer of its books,
/// tickers, candles, trades and liquidations), fed by one bounded SPSC queue from the I/O
/// thread, publishing to the consumer pool (docs/architecture.md, stage 2).
///
/// A book gap, crossed or invalid book, or an unusable mark (a book message that could not be
/// decoded), calls `resync(source, instrument, depth)` on the shard thread; the owner forwards it
/// to the connection's executor. Gaps and completed resyncs are logged per book: the first at once,
/// then at most one line a minute with a count.
class shard {
  public:
    struct options {
        std::size_t index = 0;
        std::size_t queue_capacity = 8192;
        /// The payload arena's size: room for the levels, tickers, trades, candles and
        /// liquidations of the queued items (a full arena refuses items like a full queue).
        std::size_t queue_bytes = std::size_t{2} << 20;
        market::market_limits limits{};
        std::function<void(std::uint32_t source, model::instrument_id, std::uint16_t depth)>
            resync{};
        /// Observers for the metrics histograms (called on the shard thread): read-to-applied
        /// time of every data item, and local receive time minus venue time per item kind.
        std::function<void(std::chrono::nanoseconds)> on_handled{};
        std::function<void(item_kind, std::chrono::nanoseconds)> on_latency{};
        /// How long the thread busy-waits for the next item before it parks (core::spin_until),
        /// when it handled more than one item since it last parked: in a burst or a flood the
        /// next frame is microseconds away and a park + wake per frame costs two context
        /// switches; a steady trickle (one item per wake-up) parks at once. Zero: never spin.
        std::chrono::nanoseconds spin = std::chrono::microseconds{50};
        /// Names instruments in log lines (its symbol); null: the instrument id. Read-only
        /// while the shard runs.
        const model::instrument_registry* registry = nullptr;
    };

    shard(options opts, consumer_pool* pool);
    ~shard(); ///< stop()
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    shard(shard&&) = delete;
    shard& operator=(shard&&) = delete;

    /// Declares a book the feed subscribes (before start()): it gets a book_status.
    void expect_book(model::instrument_id id, std::uint16_t depth);
    void start();
    /// Processes what is queued, then ends the thread. Idempotent.
    void stop();

    /// What a refused claim means: the item is lost (counted in dropped_full), or its producer
    /// keeps it and offers it again later (the backfill's history: not a loss, not counted).
    enum class if_full : std::uint8_t { drop, retry };

    /// Producer side (the one I/O thread): a free slot with `payload_bytes` of payload, or
    /// nullptr when the queue or its arena is full (counted as a drop unless `full` is retry);
    /// fill it, then commit(). A slot claimed and not committed is claimed again by the next
    /// call.
    [[nodiscard]] shard_item* claim(std::size_t payload_bytes = 0,
                                    if_full full = if_full::drop) noexcept;
    void commit() noexcept;

    /// Runs `fn` on the shard thread once everything committed before the call is applied,
    /// and waits for it. Any thread but the I/O thread (it blocks). Returns false when the
    /// shard is not running.
    bool query(const std::function<void(const market::market_state&)>& fn);

    [[nodiscard]] const shard_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] std::size_t queue_depth() const noexcept { return ring_.size(); }
    [[nodiscard]] std::size_t queue_capacity() const noexcept { return ring_.capacity(); }
    [[nodiscard]] std::size_t queue_bytes() const noexcept { return arena_.capacity(); }
    [[nodiscard]] std::span<const std::unique_ptr<book_status>> books() const noexcept {
        return statuses_;
    }

  private:
    void run();
    void process(shard_item& it);
    void on_book(shard_item& it);
    void on_stale(const stale_mark& m, std::chrono::steady_clock::time_point now);
    void on_unusable(std::uint32_t source, const unusable_mark& m,
                     std::chrono::steady_clock::time_point now);
    void request_resync(std::uint32_t source, model::instrument_id id, std::uint16_t depth);
    void log_book_event(std::string_view event, model::instrument_id id, std::uint16_t depth,
                        std::string_view reason);
    void publish_state(model::instrument_id id, std::uint16_t depth, const market::book_entry& e,
                       std::chrono::steady_clock::time_point now);
    void wake() noexcept;

    options opts_;
    consumer_pool* pool_; // outlives: the shard (nullable: no consumers)
    market::market_state state_;
    spsc_ring<shard_item> ring_;
    payload_arena arena_;
    shard_item* claimed_ = nullptr; // producer: the slot claim() returned last
    shard_stats stats_;
    std::vector<std::unique_ptr<book_status>> statuses_;
    std::unordered_map<std::uint64_t, book_status*> status_index_; // frozen at start()
    // The producer reads sleeping_ on every commit: its own cache line, written only when the
    // thread parks or wakes, so a flood does not bounce it.
    alignas(64) std::atomic<std::uint32_t> signal_{0};
    std::atomic<bool> sleeping_{false};
    alignas(64) std::atomic<bool> stop_{false};
    std::thread thread_;
    struct pending_query {
        const std::function<void(const market::market_state&)>* fn;
        std::uint64_t after; // ring position that must be consumed first
        std::promise<void> done;
    };
    void run_queries(bool all);
    std::mutex query_mu_;
    std::vector<pending_query*> queries_;
    std::atomic<bool> has_queries_{false};
    bool running_ = false; // guarded by query_mu_
};

} // namespace mdg::dispatch
