#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "api/catalog.hpp"
#include "dispatch/consumer.hpp"
#include "market/kline_series.hpp"
#include "market/liquidation_store.hpp"
#include "market/ticker_state.hpp"
#include "market/trade_ring.hpp"

namespace mdg::api {

/// One version of a book as the API serves it: an immutable copy of its top levels, taken by
/// its shard at one update id. Shared by every reader that holds it.
using book_ptr = std::shared_ptr<const dispatch::book_view>;

/// Told about every update after the cache has stored it (the stream). Called on the cache's
/// consumer thread, one call at a time, in each instrument's order.
class cache_listener {
  public:
    cache_listener() = default;
    cache_listener(const cache_listener&) = delete;
    cache_listener& operator=(const cache_listener&) = delete;
    cache_listener(cache_listener&&) = delete;
    cache_listener& operator=(cache_listener&&) = delete;
    virtual ~cache_listener() = default;

    virtual void on_book(const instrument_entry& e, const book_ptr& b) = 0;
    virtual void on_ticker(const instrument_entry& e, const dispatch::ticker_view& t) = 0;
    virtual void on_trade(const instrument_entry& e, const model::trade& t) = 0;
    virtual void on_kline(const instrument_entry& e, const model::kline& k) = 0;
    virtual void on_liquidation(const instrument_entry& e, const model::liquidation& l) = 0;
};

struct cache_options {
    std::size_t trades = market::trade_ring::default_capacity;
    std::size_t klines = market::kline_series::default_capacity;
    std::size_t liquidations = market::liquidation_store::default_capacity;
    std::chrono::nanoseconds liquidation_max_age = market::liquidation_store::default_max_age;
    std::size_t oi_depth = market::open_interest_history::default_depth;
    std::chrono::nanoseconds oi_bucket_width = market::open_interest_history::default_bucket_width;
};

/// Everything the API keeps of one instrument but its books. Read it under market_cache::read.
struct instrument_data {
    instrument_data(const cache_options& o, std::size_t kline_series_count);

    market::ticker_state ticker;
    bool has_ticker = false;
    bool ticker_stale = false;
    /// rest: the fields are a REST answer's (the stream is stale; docs/rest.md)
    dispatch::data_source ticker_source = dispatch::data_source::stream;
    std::uint64_t ticker_cross_seq = 0; ///< the shard's (the cache applies with cs 0)
    std::chrono::steady_clock::time_point ticker_applied{};
    /// One series per subscribed interval, in the catalog entry's order.
    std::vector<market::kline_series> klines;
    market::trade_ring trades;
    market::liquidation_store liquidations;
    /// The latest polled REST answer of each kind (dispatch::venue_data::kind); null: none yet.
    std::array<std::shared_ptr<const dispatch::venue_data>, dispatch::venue_data_kinds> venue;
};

/// The API's copy of the market state: a consumer of the pool (docs/architecture.md, stage 3), so
/// the shards never wait for it and it never reads a shard's state. Books are kept as immutable
/// versions (book_ptr) swapped in one at a time: a reader takes one with book() and may keep it
/// as long as it likes; it is one consistent version (one `u`), never torn. The other state is
/// kept per instrument behind that instrument's own mutex, held only for a copy or a read.
///
/// Owned by the gateway (shared with the consumer pool). Set up (catalog, listener) before the
/// pool starts; afterwards every reader is thread-safe, and the consumer calls come from one
/// pool thread at a time.
class market_cache final : public dispatch::consumer {
  public:
    /// `cat` must outlive the cache and stay unchanged.
    market_cache(const catalog& cat, cache_options opts);

    /// Receives every update after it is stored (before the pool starts; may be null).
    void set_listener(cache_listener* l) noexcept { listener_ = l; }

    // dispatch::consumer
    void on_book(const dispatch::book_view& b, std::stop_token stop) override;
    void on_ticker(const dispatch::ticker_view& t, std::stop_token stop) override;
    void on_trade(const model::trade& t, std::stop_token stop) override;
    void on_trades_stale(model::instrument_id id, std::stop_token stop) override;
    void on_kline(const model::kline& k, std::stop_token stop) override;
    void on_liquidation(const model::liquidation& l, std::stop_token stop) override;
    /// History from REST: merged into the series / the open-interest buckets; the stream's
    /// listener is not told (its subscribers get live updates; GET /v1/klines has the rest).
    void on_kline_history(std::span<const model::kline> history, std::stop_token stop) override;
    void on_trade_history(std::span<const model::trade> history, std::stop_token stop) override;
    /// Keeps the answer (the previous one of its kind is released).
    void on_venue_data(const dispatch::venue_data& d, std::stop_token stop) override;
    void on_open_interest_history(model::instrument_id id,
                                  std::span<const model::open_interest_point> history,
                                  std::stop_token stop) override;

    /// The newest version of the book (instrument, subscribed depth); null before its first
    /// update. Thread-safe, wait-free for the writer in practice (a pointer copy under a lock
    /// that is never held longer than that).
    [[nodiscard]] book_ptr book(model::instrument_id id, std::uint16_t depth) const;

    /// Calls f(const instrument_data&) under the instrument's lock; false when the instrument
    /// is not in the catalog. Keep f short: the consumer waits for it.
    template <class F> bool read(model::instrument_id id, F&& f) const {
        const auto* s = slot(id);
        if (s == nullptr) {
            return false;
        }
        std::lock_guard lk(s->mu);
        f(s->data);
        return true;
    }

    /// Updates stored, by kind (relaxed counters for tests and metrics).
    [[nodiscard]] std::uint64_t books_stored() const noexcept {
        return books_stored_.load(std::memory_order_relaxed);
    }

  private:
    struct book_slot {
        std::uint16_t depth = 0;
        mutable std::mutex mu;
        book_ptr current;
    };
    struct instrument_slot {
        instrument_slot(const cache_options& o, std::size_t kline_series_count)
            : data(o, kline_series_count) {}
        mutable std::mutex mu;
        instrument_data data;
        std::vector<std::unique_ptr<book_slot>> books; // one per subscribed depth, fixed
    };

    [[nodiscard]] const instrument_slot* slot(model::instrument_id id) const noexcept;
    [[nodiscard]] instrument_slot* slot(model::instrument_id id) noexcept;

    const catalog& catalog_; // outlives: the cache
    cache_options opts_;
    std::vector<std::unique_ptr<instrument_slot>> slots_; // by instrument id; null = none
    cache_listener* listener_ = nullptr;
    std::atomic<std::uint64_t> books_stored_{0};
};

} // namespace mdg::api
