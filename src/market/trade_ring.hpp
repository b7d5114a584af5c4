#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/clock.hpp"
#include "market/detail/flat_hash_set.hpp"
#include "market/detail/ring_buffer.hpp"
#include "model/events.hpp"

namespace mdg::market {

/// The most recent public trades of one instrument, in arrival order, in a ring of fixed
/// capacity (default 1000), de-duplicated by trade id.
///
/// De-duplication covers the trades still in the ring: a fixed-capacity hash set holds a 64-bit
/// hash of each stored trade's id text and loses it when the ring evicts that trade, so an id
/// older than the window is accepted again. Two different ids with the same 64-bit hash would
/// wrongly count as a duplicate; with 1000 ids that chance is about 3e-14. Trades with an empty
/// id cannot be de-duplicated and are always accepted.
///
/// Freshness comes from the newest trade (the old service read the oldest one).
///
/// All memory is allocated by the constructor; push never allocates.
/// Owned by market_state (one shard); not thread-safe.
class trade_ring {
  public:
    static constexpr std::size_t default_capacity = 1000;

    /// Precondition: capacity > 0. The id set gets bit_ceil(2 * capacity) slots.
    explicit trade_ring(std::size_t capacity = default_capacity);

    /// Stores `t` as the newest trade, evicting the oldest when full. Returns false, and
    /// changes nothing, when a trade with the same id is already in the ring.
    bool push(const model::trade& t) noexcept;

    /// Merges trades from another source (the REST history), oldest first: those whose id is
    /// not in the ring (and not empty) go in by their fill time, before or between the stream's
    /// trades (the sort is stable: at equal times the ring's order stays and history goes
    /// first); when more than capacity() remain, the oldest go. Freshness (last_ts_recv) and the
    /// stale flag are the stream's alone. Returns how many history trades were kept (counted
    /// as accepted; the ones already known count as duplicates). Allocates (history arrives
    /// once per run, not per message).
    std::size_t merge(std::span<const model::trade> history);

    /// The feed was lost (reconnect): flag the contents as possibly old until the next
    /// accepted trade.
    void mark_stale() noexcept { stale_ = true; }
    [[nodiscard]] bool stale() const noexcept { return stale_; }

    [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }
    [[nodiscard]] bool empty() const noexcept { return ring_.empty(); }
    /// The i-th trade from the oldest (0 = oldest). Precondition: i < size().
    [[nodiscard]] const model::trade& at(std::size_t i) const noexcept { return ring_[i]; }
    /// The most recently pushed trade. Precondition: !empty().
    [[nodiscard]] const model::trade& newest() const noexcept { return ring_.back(); }
    /// The oldest trade kept. Precondition: !empty().
    [[nodiscard]] const model::trade& oldest() const noexcept { return ring_.front(); }
    /// Whether a trade with this id is in the ring.
    [[nodiscard]] bool contains(const model::trade_id& id) const noexcept;

    /// Latest fill time (`T`) of any accepted trade; batches need not be sorted, so this is a
    /// max, not the newest trade's time. 0 before the first trade.
    [[nodiscard]] unix_nanos last_ts_exchange() const noexcept { return last_ts_exchange_; }
    /// Local receive time of the last accepted trade.
    [[nodiscard]] unix_nanos last_ts_recv() const noexcept { return last_ts_recv_; }

    [[nodiscard]] std::uint64_t accepted_count() const noexcept { return accepted_; }
    [[nodiscard]] std::uint64_t duplicate_count() const noexcept { return duplicates_; }

  private:
    detail::ring_buffer<model::trade> ring_;
    detail::flat_hash_set ids_;
    unix_nanos last_ts_exchange_;
    unix_nanos last_ts_recv_;
    std::uint64_t accepted_ = 0;
    std::uint64_t duplicates_ = 0;
    bool stale_ = false;
};

} // namespace mdg::market
