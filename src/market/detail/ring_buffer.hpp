#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "core/assert.hpp"

namespace mdg::market::detail {

/// Fixed-capacity FIFO ring. Every slot is default-constructed by the constructor and reused
/// afterwards, so push and pop never allocate; `T` must be default-constructible and
/// copy-assignable. Index 0 is the oldest element, size() - 1 the newest.
///
/// Eviction is explicit (pop_front before push_back when full) so that the owner can first
/// drop the evicted element from its indexes.
///
/// Owned by the per-instrument container that uses it; not thread-safe.
template <class T> class ring_buffer {
  public:
    explicit ring_buffer(std::size_t capacity) : slots_(capacity) {
        MDG_CHECK(capacity > 0, "ring_buffer capacity must be positive");
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return size_ == slots_.size(); }

    /// The i-th element from the oldest. Precondition: i < size().
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
        MDG_ASSERT(i < size_, "ring_buffer index out of range");
        return slots_[slot(i)];
    }
    [[nodiscard]] T& operator[](std::size_t i) noexcept {
        MDG_ASSERT(i < size_, "ring_buffer index out of range");
        return slots_[slot(i)];
    }
    /// Oldest element. Precondition: !empty().
    [[nodiscard]] const T& front() const noexcept { return (*this)[0]; }
    /// Newest element. Precondition: !empty().
    [[nodiscard]] const T& back() const noexcept { return (*this)[size_ - 1]; }
    [[nodiscard]] T& back() noexcept { return (*this)[size_ - 1]; }

    /// Appends `v` as the newest element. Precondition: !full().
    void push_back(const T& v) noexcept(noexcept(std::declval<T&>() = v)) {
        MDG_CHECK(!full(), "ring_buffer push_back while full: pop_front first");
        slots_[slot(size_)] = v;
        ++size_;
    }
    /// Drops the oldest element (its slot is overwritten by a later push). Precondition: !empty().
    void pop_front() noexcept {
        MDG_ASSERT(size_ > 0, "ring_buffer pop_front while empty");
        head_ = head_ + 1 == slots_.size() ? 0 : head_ + 1;
        --size_;
    }
    void clear() noexcept {
        head_ = 0;
        size_ = 0;
    }

  private:
    [[nodiscard]] std::size_t slot(std::size_t i) const noexcept {
        const std::size_t s = head_ + i;
        return s >= slots_.size() ? s - slots_.size() : s;
    }

    std::vector<T> slots_;
    std::size_t head_ = 0; // slot of the oldest element
    std::size_t size_ = 0;
};

} // namespace mdg::market::detail
