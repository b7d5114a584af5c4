#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "book/order_book.hpp"
#include "core/clock.hpp"
#include "market/kline_series.hpp"
#include "market/liquidation_store.hpp"
#include "market/open_interest_history.hpp"
#include "market/ticker_state.hpp"
#include "market/trade_ring.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"
#include "model/ticker.hpp"

namespace mdg::market {

/// Per-instrument memory bounds of a market_state. Every container is preallocated to these
/// sizes when its instrument is first seen, so memory per instrument is fixed
/// (the old service's grew to 2 GB).
struct market_limits {
    std::size_t klines_per_series = kline_series::default_capacity;
    std::size_t trades_per_instrument = trade_ring::default_capacity;
    std::size_t liquidations_per_instrument = liquidation_store::default_capacity;
    std::chrono::nanoseconds liquidation_max_age = liquidation_store::default_max_age;
    std::size_t oi_history_depth = open_interest_history::default_depth;
    std::chrono::nanoseconds oi_bucket_width = open_interest_history::default_bucket_width;
};

/// One order book topic (instrument + depth) with its bookkeeping. Timestamps are those of the
/// last update the book applied (`applied`); counters count every update offered.
/// A book fetched over REST while its stream was not live (docs/rest.md, emergency refresh):
/// fresh levels with their own `u`, kept beside the stream's book and never applied to it.
struct rest_snapshot {
    std::vector<model::level> bids; ///< best first
    std::vector<model::level> asks;
    std::uint64_t update_id = 0; ///< the REST answer's `u` (not the stream's sequence)
    unix_nanos ts_exchange;
    unix_nanos ts_recv;
};

struct book_entry {
    explicit book_entry(std::size_t depth) : book(depth) {}

    mdg::book::order_book book;
    unix_nanos ts_exchange;      ///< venue message time (`ts`)
    unix_nanos ts_engine;        ///< matching-engine time (`cts`), 0 when the venue omits it
    unix_nanos ts_recv;          ///< local receive time
    std::uint64_t snapshots = 0; ///< updates treated as snapshots (kind snapshot, or u == 1)
    std::uint64_t deltas = 0;    ///< all other updates
    std::uint64_t gaps = 0;
    std::uint64_t crossed = 0;
    std::uint64_t invalid = 0;
    std::uint64_t ignored = 0;           ///< deltas refused as awaiting_snapshot
    std::uint64_t unusable = 0;          ///< messages that could not be decoded and made it resync
    std::uint64_t resyncs_completed = 0; ///< snapshots that brought a resyncing book to live
    std::uint64_t stale_marks = 0;       ///< times a live book was marked stale
    /// Continuity was lost (its connection dropped): deltas are refused as awaiting_snapshot,
    /// whatever their `u`, until the next snapshot. Silence alone never sets it.
    bool needs_snapshot = false;
    /// The latest REST book while the stream's book is not live; dropped as soon as the
    /// stream's book is live again.
    std::optional<rest_snapshot> rest;
    std::uint64_t rest_books = 0; ///< REST books kept
};

/// Result of market_state::on_klines: how many candles took each kline_status.
struct kline_counts {
    std::size_t updated = 0;
    std::size_t appended = 0;
    std::size_t ignored_older = 0;
    friend bool operator==(const kline_counts&, const kline_counts&) = default;
};

/// All market state of one dispatch shard: order books per (instrument, depth), and per
/// instrument the ticker, candles per interval, recent trades and liquidations. Containers are
/// created, preallocated to `market_limits`, the first time an instrument (or topic) appears;
/// after that, applying an event is a hash lookup plus the container's own O(1)/O(log n) work,
/// with no allocation.
///
/// Every state object carries the venue time, the engine time where the venue sends one
/// (books), and the local receive time of the last update it applied.
///
/// Owned by one dispatch shard, the single writer; not thread-safe: call every member,
/// including the const readers, only from that shard. Other threads read published snapshots.
class market_state {
  public:
    /// Preconditions: every count in `limits` is positive; bucket width and max age are not
    /// negative (the containers MDG_CHECK them).
    explicit market_state(market_limits limits = {});

    /// Applies a book snapshot or delta to the book of (u.instrument, u.depth), creating the
    /// book on first sight. An update with depth 0 cannot name a book: it returns `invalid`
    /// and only bumps zero_depth_count().
    mdg::book::apply_status on_book(const model::book_update& u);
    ticker_status on_ticker(const model::ticker_update& u);
    /// A book fetched over REST for an expected book whose stream is not live (the emergency
    /// refresh): kept as the entry's `rest` snapshot (its levels cut to the book's depth),
    /// never applied to the stream's book, which keeps its state. Returns false, keeping
    /// nothing, when the book is live (the stream came back meanwhile) or was never seen.
    bool on_rest_book(const model::book_update& u);
    /// A ticker fetched over REST (ticker_state::apply_rest).
    ticker_status on_rest_ticker(const model::ticker_update& u);
    /// Returns the number of trades accepted (not duplicates).
    std::size_t on_trades(std::span<const model::trade> trades);
    kline_counts on_klines(std::span<const model::kline> klines);
    /// Candles of one (instrument, interval) from the REST history, oldest first with strictly
    /// increasing starts (kline_series::merge), the series created on first sight. Returns the
    /// candles added or replaced. Precondition: one instrument and one interval.
    std::size_t merge_klines(std::span<const model::kline> history);
    /// Recent trades of one instrument from the REST history, oldest first (trade_ring::merge),
    /// the ring created on first sight. Returns the trades added. Precondition: one instrument.
    std::size_t merge_trades(std::span<const model::trade> history);
    /// Open interest of `instrument` from the REST history, oldest first
    /// (ticker_state::merge_open_interest), its ticker state created on first sight (without a
    /// snapshot until the stream sends one). Returns the buckets filled.
    std::size_t merge_open_interest(model::instrument_id instrument,
                                    std::span<const model::open_interest_point> points);
    /// Returns the number of liquidations stored (not duplicates, not already expired).
    std::size_t on_liquidations(std::span<const model::liquidation> liquidations);

    /// The feed carrying these topics was lost: every book loses continuity (as
    /// mark_book_stale(.., true)), and tickers and trade rings are flagged stale until their
    /// next update.
    void mark_all_stale() noexcept;
    /// The book's channel is silent beyond its freshness threshold (`continuity_lost` false),
    /// or its connection dropped (true). A live book becomes stale, contents kept. After
    /// silence alone the next delta that continues `u` (previous + 1) makes it live again, and
    /// one that does not is a gap; after a lost connection only a snapshot does (deltas are
    /// refused as awaiting_snapshot). Returns true when the book's state changed; false also
    /// when there is no such book.
    bool mark_book_stale(model::instrument_id instrument, std::uint16_t depth,
                         bool continuity_lost) noexcept;
    /// The ticker is flagged stale until its next applied update. Returns true when it was not
    /// stale before; false also when there is no such ticker.
    bool mark_ticker_stale(model::instrument_id instrument) noexcept;
    /// The trade ring is flagged stale until its next accepted trade. Returns true when it was
    /// not stale before; false also when there is no such ring.
    bool mark_trades_stale(model::instrument_id instrument) noexcept;
    /// A message for this book could not be decoded (docs/feed.md): as
    /// order_book::mark_unusable, creating the book on first sight (a first snapshot may be
    /// the one that failed); a delta is also ignored while continuity is lost. `invalid`: the
    /// book is now resyncing and must be resubscribed; `awaiting_snapshot`: it waits anyway.
    mdg::book::apply_status on_unusable_book(model::instrument_id instrument, std::uint16_t depth,
                                             model::update_kind kind);
    /// A fresh subscription for this book is on its way: wait for its snapshot. Returns false
    /// when there is no such book.
    bool mark_syncing(model::instrument_id instrument, std::uint16_t depth) noexcept;

    /// Read accessors; nullptr when the instrument (or topic) has not been seen.
    [[nodiscard]] const book_entry* book(model::instrument_id instrument,
                                         std::uint16_t depth) const noexcept;
    [[nodiscard]] const ticker_state* ticker(model::instrument_id instrument) const noexcept;
    [[nodiscard]] const kline_series* klines(model::instrument_id instrument,
                                             model::kline_interval interval) const noexcept;
    [[nodiscard]] const trade_ring* trades(model::instrument_id instrument) const noexcept;
    [[nodiscard]] const liquidation_store*
    liquidations(model::instrument_id instrument) const noexcept;

    /// Calls f(model::instrument_id, std::uint16_t depth, const book_entry&) for every book,
    /// ordered by instrument id, then depth. Does not allocate.
    template <class F> void for_each_book(F&& f) const {
        for (const std::uint64_t key : book_keys_) {
            // Every key names a book (books are never removed); the check only keeps the
            // compiler from assuming a null node.
            const auto it = books_.find(key);
            if (it != books_.end()) {
                f(model::instrument_id{static_cast<std::uint32_t>(key >> 16)},
                  static_cast<std::uint16_t>(key & 0xffffU), it->second);
            }
        }
    }

    [[nodiscard]] const market_limits& limits() const noexcept { return limits_; }
    [[nodiscard]] std::size_t book_count() const noexcept { return books_.size(); }
    [[nodiscard]] std::size_t ticker_count() const noexcept { return tickers_.size(); }
    [[nodiscard]] std::size_t kline_series_count() const noexcept { return klines_.size(); }
    [[nodiscard]] std::size_t trade_ring_count() const noexcept { return trades_.size(); }
    [[nodiscard]] std::size_t liquidation_store_count() const noexcept {
        return liquidations_.size();
    }
    /// Book updates refused because their depth was 0.
    [[nodiscard]] std::uint64_t zero_depth_count() const noexcept { return zero_depth_; }

  private:
    [[nodiscard]] static std::uint64_t book_key(model::instrument_id instrument,
                                                std::uint16_t depth) noexcept {
        return (std::uint64_t{instrument.value} << 16) | depth;
    }
    [[nodiscard]] static std::uint64_t kline_key(model::instrument_id instrument,
                                                 model::kline_interval interval) noexcept {
        return (std::uint64_t{instrument.value} << 8) | static_cast<std::uint8_t>(interval);
    }

    book_entry& book_for(model::instrument_id instrument, std::uint16_t depth);
    ticker_state& ticker_for(model::instrument_id instrument);
    trade_ring& trades_for(model::instrument_id instrument);
    liquidation_store& liquidations_for(model::instrument_id instrument);

    market_limits limits_;
    std::unordered_map<std::uint64_t, book_entry> books_;
    std::vector<std::uint64_t> book_keys_; // sorted; grows only when a book is created
    std::unordered_map<model::instrument_id, ticker_state> tickers_;
    std::unordered_map<std::uint64_t, kline_series> klines_;
    std::unordered_map<model::instrument_id, trade_ring> trades_;
    std::unordered_map<model::instrument_id, liquidation_store> liquidations_;
    std::uint64_t zero_depth_ = 0;
};

} // namespace mdg::market
