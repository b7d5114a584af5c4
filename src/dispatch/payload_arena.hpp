#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace mdg::dispatch {

/// A fixed ring of bytes that holds the variable-size payloads (book levels, trades, candles,
/// liquidations, tickers) of the items in one SPSC queue, allocated and freed in the queue's
/// order (docs/reliability.md, "Memory under churn"). Its size is set once, from the
/// configuration: however large the bursts a feed has sent, the queue's memory stays what it
/// was at start, and nothing on the hot path allocates.
///
/// The producer allocates the payload of the item it fills (one block per item, 16-byte
/// aligned, contiguous: a block that would cross the end starts again at the front and the
/// bytes skipped count as used) and commits the item's end position with the item; the consumer,
/// once it applied the item, releases everything up to that position.
///
/// Thread-safety: one producer thread and one consumer thread, ordered by the queue they serve
/// (the producer publishes an item after writing its payload; the consumer releases it after
/// reading).
class payload_arena {
  public:
    static constexpr std::size_t alignment = 16;

    /// `bytes` is rounded up to a multiple of 64 (at least 64). The pages are touched as the ring
    /// first goes round, then stay.
    explicit payload_arena(std::size_t bytes)
        : capacity_(bytes < 64 ? 64 : (bytes + 63) / 64 * 64),
          bytes_(static_cast<std::byte*>(::operator new[](capacity_, std::align_val_t{64}))) {}

    /// Producer: `n` bytes at a 16-byte boundary for the item being filled, after what was
    /// allocated since the last commit(); nullptr when they do not fit now (the consumer has not
    /// released enough) or ever (`n` beyond capacity()).
    [[nodiscard]] std::byte* allocate(std::size_t n) noexcept {
        const auto size = round_up(n);
        if (size > capacity_) {
            return nullptr;
        }
        auto offset = static_cast<std::size_t>(pending_ % capacity_);
        std::uint64_t skip = 0;
        if (offset + size > capacity_) {
            skip = capacity_ - offset; // contiguous: start again at the front
            offset = 0;
        }
        const auto end = pending_ + skip + size;
        if (end - released_cache_ > capacity_) {
            released_cache_ = released_.load(std::memory_order_acquire);
            if (end - released_cache_ > capacity_) {
                return nullptr;
            }
        }
        pending_ = end;
        return bytes_.get() + offset;
    }
    /// Producer: forgets what was allocated since the last commit() (the item was not queued).
    void abandon() noexcept { pending_ = committed_; }
    /// Producer: the allocations since the last commit() belong to the item about to be
    /// published; returns the position the consumer passes to release() once done with it.
    [[nodiscard]] std::uint64_t commit() noexcept {
        committed_ = pending_;
        return committed_;
    }

    /// Consumer: frees everything allocated up to `end` (an item's commit() position).
    void release(std::uint64_t end) noexcept { released_.store(end, std::memory_order_release); }

    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

    /// What a block of `n` bytes takes in the arena: `n` rounded up to the alignment.
    [[nodiscard]] static constexpr std::size_t round_up(std::size_t n) noexcept {
        return (n + alignment - 1) / alignment * alignment;
    }

  private:
    struct aligned_delete {
        void operator()(std::byte* p) const noexcept {
            ::operator delete[](p, std::align_val_t{64});
        }
    };
    std::size_t capacity_;
    std::unique_ptr<std::byte[], aligned_delete> bytes_;
    // Producer's positions (monotonic byte counts; the offset is position % capacity).
    std::uint64_t pending_ = 0;
    std::uint64_t committed_ = 0;
    std::uint64_t released_cache_ = 0;
    alignas(64) std::atomic<std::uint64_t> released_{0};
};

} // namespace mdg::dispatch
