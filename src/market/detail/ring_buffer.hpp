#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include "core/assert.hpp"

namespace mdg::market::detail {

/// Fixed-capacity FIFO ring. The constructor allocates every slot's storage and nothing
/// allocates afterwards; a slot is constructed the first time it is written and reused from
/// then on, so memory pages are touched only as the ring fills (a ring sized for a day of
/// data costs resident memory for what it holds, not for its capacity). `T` must be
/// copy-constructible and copy-assignable. Index 0 is the oldest element, size() - 1 the
/// newest.
///
/// Eviction is explicit (pop_front before push_back when full) so that the owner can first
/// drop the evicted element from its indexes.
///
/// Owned by the per-instrument container that uses it; not thread-safe.
template <class T> class ring_buffer {
  public:
    explicit ring_buffer(std::size_t capacity)
        : slots_(static_cast<T*>(
              ::operator new (checked(capacity) * sizeof(T), std::align_val_t{alignof(T)}))),
          capacity_(capacity) {}
    ~ring_buffer() {
        std::destroy_n(slots_, constructed_);
        ::operator delete (slots_, std::align_val_t{alignof(T)});
    }
    ring_buffer(const ring_buffer&) = delete;
    ring_buffer& operator=(const ring_buffer&) = delete;
    ring_buffer(ring_buffer&& o) noexcept
        : slots_(std::exchange(o.slots_, nullptr)), capacity_(std::exchange(o.capacity_, 0)),
          constructed_(std::exchange(o.constructed_, 0)), head_(std::exchange(o.head_, 0)),
          size_(std::exchange(o.size_, 0)) {}
    ring_buffer& operator=(ring_buffer&&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }

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
    void push_back(const T& v) noexcept(noexcept(std::declval<T&>() = v) && noexcept(T(v))) {
        MDG_CHECK(!full(), "ring_buffer push_back while full: pop_front first");
        const std::size_t s = slot(size_);
        if (s < constructed_) {
            slots_[s] = v;
        } else {
            // Slots are first written in index order (the head only moves over written ones).
            MDG_ASSERT(s == constructed_, "ring_buffer writes its slots in order");
            std::construct_at(slots_ + s, v);
            ++constructed_;
        }
        ++size_;
    }
    /// Drops the oldest element (its slot is overwritten by a later push). Precondition: !empty().
    void pop_front() noexcept {
        MDG_ASSERT(size_ > 0, "ring_buffer pop_front while empty");
        head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
        --size_;
    }
    void clear() noexcept {
        head_ = 0;
        size_ = 0;
    }

  private:
    static std::size_t checked(std::size_t capacity) {
        MDG_CHECK(capacity > 0, "ring_buffer capacity must be positive");
        return capacity;
    }
    [[nodiscard]] std::size_t slot(std::size_t i) const noexcept {
        const std::size_t s = head_ + i;
        return s >= capacity_ ? s - capacity_ : s;
    }

    T* slots_; // capacity_ slots of storage; [0, constructed_) are objects
    std::size_t capacity_;
    std::size_t constructed_ = 0;
    std::size_t head_ = 0; // slot of the oldest element
    std::size_t size_ = 0;
};

} // namespace mdg::market::detail
