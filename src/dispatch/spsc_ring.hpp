#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "core/assert.hpp"

namespace mdg::dispatch {

/// A bounded single-producer single-consumer ring of preallocated slots. The producer fills a
/// claimed slot in place and publishes it; the consumer reads the slot in place and releases
/// it. Slots are reused, so when T holds vectors their capacity survives: in steady state
/// nothing allocates. Never blocks: a full ring refuses the claim and the producer decides
/// (the shards count a drop and resync the topic).
///
/// Thread-safety: exactly one producer thread and one consumer thread.
template <class T> class spsc_ring {
  public:
    /// `capacity` is rounded up to a power of two (at least 2).
    explicit spsc_ring(std::size_t capacity)
        : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
          slots_(std::make_unique<T[]>(mask_ + 1)) {}

    /// Producer: the next free slot, or nullptr when the ring is full.
    [[nodiscard]] T* try_claim() noexcept {
        const auto head = head_.load(std::memory_order_relaxed);
        if (head - tail_cache_ > mask_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head - tail_cache_ > mask_) {
                return nullptr;
            }
        }
        return &slots_[head & mask_];
    }
    /// Producer: makes the claimed slot visible to the consumer.
    void publish() noexcept {
        head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    /// Consumer: the oldest published slot, or nullptr when the ring is empty.
    [[nodiscard]] T* front() noexcept {
        const auto tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_cache_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (tail == head_cache_) {
                return nullptr;
            }
        }
        return &slots_[tail & mask_];
    }
    /// Consumer: frees the slot returned by front().
    void pop() noexcept {
        tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
    /// Slots published so far / popped so far (monotonic positions; any thread).
    [[nodiscard]] std::uint64_t published() const noexcept {
        return head_.load(std::memory_order_acquire);
    }
    [[nodiscard]] std::uint64_t consumed() const noexcept {
        return tail_.load(std::memory_order_acquire);
    }
    /// Items published and not yet popped (approximate when read from a third thread).
    [[nodiscard]] std::size_t size() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_acquire) -
                                        tail_.load(std::memory_order_acquire));
    }

  private:
    static constexpr std::size_t line = 64;
    std::size_t mask_;
    std::unique_ptr<T[]> slots_;
    alignas(line) std::atomic<std::uint64_t> head_{0};
    std::uint64_t tail_cache_ = 0; // producer's copy of tail_
    alignas(line) std::atomic<std::uint64_t> tail_{0};
    std::uint64_t head_cache_ = 0; // consumer's copy of head_
};

} // namespace mdg::dispatch
