#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "book/detail/level_array.hpp"
#include "model/events.hpp"

namespace mdg::book {

/// Whether a book can be trusted. Carried on every book read so that a consumer never mistakes
/// a broken book for a good one.
enum class book_state : std::uint8_t {
    syncing,   ///< no snapshot yet (first subscribe, or after a reconnect)
    live,      ///< snapshot plus contiguous deltas, never crossed
    stale,     ///< was live, but its feed is silent or down: contents may be old
    resyncing, ///< an integrity rule failed (gap, crossed, invalid or unusable message); waiting
               ///< for a fresh snapshot
};
inline constexpr std::size_t book_state_count = 4;

/// Outcome of applying one update. Outcomes, not errors: the caller counts them and decides
/// (a gap or crossed book means: resubscribe this one topic).
enum class [[nodiscard]] apply_status : std::uint8_t{
    applied,           ///< the book changed (or a snapshot reset it) and is live
    awaiting_snapshot, ///< a delta while syncing/resyncing: ignored until the next snapshot
    gap,               ///< `u` was not previous+1: book -> resyncing
    crossed,           ///< best bid >= best ask after applying: book -> resyncing
    /// A level with a price <= 0 or a size < 0, a snapshot with the same price twice on one
    /// side, or a message that could not be decoded (mark_unusable): book -> resyncing
    invalid,
};

[[nodiscard]] std::string_view to_string(book_state s) noexcept;
[[nodiscard]] std::string_view to_string(apply_status s) noexcept;

/// Level-2 book of one topic (instrument + depth), rebuilt from venue snapshots and deltas.
///
/// Each side is a sorted flat array (best level at the back) with free room at both ends, so a
/// delta costs a binary search per level plus a memmove of at most half the side, and changes
/// near the top of the book or at its far end move almost nothing; never a sort. Rules (Bybit v5,
/// docs/venues/bybit.md): a snapshot, or any message with `u == 1`, replaces the book; in a
/// delta size 0 deletes a level, a new price inserts, a known price overwrites; `u` must be
/// previous+1; the book is trimmed to its depth. Every level needs a price above 0 and a size
/// of at least 0 (a snapshot's size-0 levels are dropped); a message that breaks that is
/// `invalid` and applies nothing.
///
/// Owned by one state shard; not thread-safe: call only from that shard.
class order_book {
  public:
    /// `depth` is the subscribed number of levels per side (1..1000 for Bybit).
    explicit order_book(std::size_t depth);

    /// Applies a snapshot or delta. Never leaves a crossed or unsorted book in `live`.
    apply_status apply(const model::book_update& u);

    /// The feed is silent or lost: `live` becomes `stale` (contents kept, flagged).
    void mark_stale() noexcept;
    /// A fresh subscription is on its way (reconnect or resubscribe): wait for its snapshot.
    void mark_syncing() noexcept;
    /// A message for this book could not be decoded (docs/feed.md): the book must not stay
    /// live without it. A snapshot, or a delta the book would have applied (live or stale),
    /// makes it `resyncing` and returns `invalid` (resubscribe it); a delta while it waits for a
    /// snapshot anyway changes nothing and returns `awaiting_snapshot`.
    apply_status mark_unusable(model::update_kind kind) noexcept;

    [[nodiscard]] book_state state() const noexcept { return state_; }
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
    [[nodiscard]] std::uint64_t update_id() const noexcept { return update_id_; }
    [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }

    [[nodiscard]] std::size_t bid_count() const noexcept { return bids_.size(); }
    [[nodiscard]] std::size_t ask_count() const noexcept { return asks_.size(); }
    /// The i-th bid from the best (i = 0 is the best bid). Precondition: i < bid_count().
    [[nodiscard]] const model::level& bid(std::size_t i) const noexcept {
        return bids_[bids_.size() - 1 - i];
    }
    /// The i-th ask from the best (i = 0 is the best ask). Precondition: i < ask_count().
    [[nodiscard]] const model::level& ask(std::size_t i) const noexcept {
        return asks_[asks_.size() - 1 - i];
    }
    [[nodiscard]] std::optional<model::level> best_bid() const noexcept;
    [[nodiscard]] std::optional<model::level> best_ask() const noexcept;

    /// Checks the structural invariants (strictly sorted sides, no zero sizes, within depth,
    /// not crossed when live). For tests and debug assertions; O(n).
    [[nodiscard]] bool check_invariants() const noexcept;

  private:
    apply_status apply_snapshot(const model::book_update& u);
    apply_status apply_delta(const model::book_update& u);
    [[nodiscard]] bool crossed() const noexcept;
    void trim() noexcept;

    std::size_t depth_;
    detail::level_array bids_; // ascending price: best bid at back
    detail::level_array asks_; // descending price: best ask at back
    std::uint64_t update_id_ = 0;
    std::uint64_t seq_ = 0;
    book_state state_ = book_state::syncing;
};

} // namespace mdg::book
