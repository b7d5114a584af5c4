#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace mdg::market::detail {

/// Fixed-capacity open-addressing set of 64-bit keys (normally hashes, see hash.hpp), used to
/// de-duplicate the recent contents of a bounded ring. Linear probing; erase uses backward-shift
/// deletion, so there are no tombstones and probe lengths do not degrade under churn.
///
/// All memory is allocated by the constructor (zeroed pages that become resident only as keys
/// land on them); insert, erase and lookup never allocate. The
/// table never grows: the owner sizes it (typically at least twice the number of keys it will
/// ever hold) and inserting into a table with no free slot left is a bug (MDG_CHECK).
///
/// Owned by the container it de-duplicates; not thread-safe.
class flat_hash_set {
  public:
    /// Allocates max(2, bit_ceil(min_capacity)) slots.
    explicit flat_hash_set(std::size_t min_capacity);

    /// Adds `key`; returns false (and changes nothing) when it is already present.
    /// Precondition: size() < capacity() - 1 (one slot must stay free to end probes).
    bool insert(std::uint64_t key) noexcept;
    /// Removes `key`; returns false when it was not present.
    bool erase(std::uint64_t key) noexcept;
    [[nodiscard]] bool contains(std::uint64_t key) const noexcept;
    void clear() noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// Number of slots (a power of two).
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  private:
    // Slot value 0 marks an empty slot, so the key 0 is kept out of the table in a flag.
    static constexpr std::uint64_t empty_slot = 0;

    [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept;
    [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & mask_; }
    // Slot holding `key`, or the empty slot where the probe for it ends.
    [[nodiscard]] std::size_t find_slot(std::uint64_t key) const noexcept;

    struct free_deleter {
        void operator()(std::uint64_t* p) const noexcept { std::free(p); }
    };

    std::size_t capacity_;
    std::unique_ptr<std::uint64_t[], free_deleter> slots_;
    std::size_t mask_;
    unsigned shift_;
    std::size_t size_ = 0;
    bool has_zero_ = false;
};

} // namespace mdg::market::detail
