#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/clock.hpp"
#include "market/detail/flat_hash_set.hpp"
#include "market/detail/ring_buffer.hpp"
#include "model/events.hpp"

namespace mdg::market {

/// Recent liquidations of one instrument, in arrival order, bounded both by count (default
/// 10000) and by age (default 24 h, measured back from the newest `ts_exchange` seen, not from
/// the local clock, so replays behave like live runs).
///
/// Side mapping (Bybit semantics, docs/venues/bybit.md): `position_side == model::side::buy`
/// means a LONG position was liquidated (the venue sells it off); `side::sell` means a short
/// position was liquidated. Stored as received; consumers must not flip it.
///
/// De-duplicated by (ts_exchange, position_side, px, sz) over the events still stored, with a
/// 64-bit hash of that tuple in a fixed-capacity set that loses the hash when the event is
/// evicted (W16: one stream, no double counting). Two distinct events with the same tuple count
/// as one; that is the venue's identity for a liquidation, since it sends no id.
///
/// Eviction takes the oldest side only: an event that arrives out of order stays until it
/// reaches the front. An event already older than the window when it arrives is not stored.
///
/// All memory is allocated by the constructor; push never allocates.
/// Owned by market_state (one shard); not thread-safe.
class liquidation_store {
  public:
    static constexpr std::size_t default_capacity = 10000;
    static constexpr std::chrono::nanoseconds default_max_age = std::chrono::hours{24};

    /// Preconditions: capacity > 0, max_age >= 0. The key set gets bit_ceil(2 * capacity) slots.
    explicit liquidation_store(std::size_t capacity = default_capacity,
                               std::chrono::nanoseconds max_age = default_max_age);

    /// Stores `l` as the newest event, then evicts from the oldest side while the count is over
    /// capacity or the oldest event is older than newest_ts_exchange() - max_age(). Returns
    /// false, and changes nothing, for a duplicate or for an event already outside the window.
    bool push(const model::liquidation& l) noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }
    [[nodiscard]] std::chrono::nanoseconds max_age() const noexcept { return max_age_; }
    [[nodiscard]] bool empty() const noexcept { return ring_.empty(); }
    /// The i-th stored event from the oldest (0 = oldest). Precondition: i < size().
    [[nodiscard]] const model::liquidation& at(std::size_t i) const noexcept { return ring_[i]; }
    /// The most recently stored event. Precondition: !empty().
    [[nodiscard]] const model::liquidation& newest() const noexcept { return ring_.back(); }
    /// The oldest stored event. Precondition: !empty().
    [[nodiscard]] const model::liquidation& oldest() const noexcept { return ring_.front(); }
    /// Whether an event with the same de-duplication key is stored.
    [[nodiscard]] bool contains(const model::liquidation& l) const noexcept;

    /// Latest `ts_exchange` of any stored event: the reference point of the age window.
    [[nodiscard]] unix_nanos newest_ts_exchange() const noexcept { return newest_ts_exchange_; }
    /// Local receive time of the last stored event.
    [[nodiscard]] unix_nanos last_ts_recv() const noexcept { return last_ts_recv_; }

    [[nodiscard]] std::uint64_t accepted_count() const noexcept { return accepted_; }
    [[nodiscard]] std::uint64_t duplicate_count() const noexcept { return duplicates_; }
    /// Events that arrived already older than the window.
    [[nodiscard]] std::uint64_t expired_count() const noexcept { return expired_; }
    /// Events removed because they aged out of the window (not because of the count cap).
    [[nodiscard]] std::uint64_t aged_out_count() const noexcept { return aged_out_; }

  private:
    void evict_oldest() noexcept;

    detail::ring_buffer<model::liquidation> ring_;
    detail::flat_hash_set keys_;
    std::chrono::nanoseconds max_age_;
    unix_nanos newest_ts_exchange_;
    unix_nanos last_ts_recv_;
    std::uint64_t accepted_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t expired_ = 0;
    std::uint64_t aged_out_ = 0;
};

} // namespace mdg::market
