#pragma once

#include <cstddef>
#include <vector>

namespace mdg::dispatch {

/// How many elements each vector of a shard queue slot (shard_item) may keep between uses.
/// A slot reuses its vectors, so the steady state allocates nothing; but a vector never gives
/// back what a burst made it grow to, and a ring of `queue_capacity` slots passes every slot
/// through every burst sooner or later (a snapshot after each reconnect, a trade burst): memory
/// then grows with the feed's history. The shard trims each slot to these bounds after it
/// applied the slot's item and before it releases the slot, so between uses a slot holds at
/// most `keep * sizeof(element)` per vector, and a shard's queue at most `queue_capacity` times
/// the sum of those beside the items waiting in it; an item larger than its bound (a deeper
/// snapshot, a bigger burst) allocates for itself and gives the storage back once applied.
/// Within the bounds, allocation-free: orderbook.50
/// snapshots (50 levels a side), all but 3 of the 1,900 book deltas of the real captures in
/// tests/data/bybit (the largest: 149 levels), 94 % of their trade messages (8 trades or
/// fewer), one candle per kline message.
struct slot_keep {
    static constexpr std::size_t levels = 64; ///< per side
    static constexpr std::size_t trades = 8;
    static constexpr std::size_t klines = 2;
    static constexpr std::size_t liquidations = 8;
    static constexpr std::size_t stale_marks = 4;
};

/// Gives back the storage of `v` when it holds more than `keep` elements' worth.
template <class T> void trim_slot_vector(std::vector<T>& v, std::size_t keep) noexcept {
    if (v.capacity() > keep) {
        std::vector<T>{}.swap(v);
    }
}

} // namespace mdg::dispatch
