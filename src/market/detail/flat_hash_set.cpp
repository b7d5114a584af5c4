#include "market/detail/flat_hash_set.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

#include "core/assert.hpp"

namespace mdg::market::detail {

namespace {

std::uint64_t* zeroed_slots(std::size_t n) {
    // calloc, not a value-initialised vector: a large zeroed block comes straight from the
    // kernel and its pages stay untouched (not resident) until a key lands on them.
    auto* p = static_cast<std::uint64_t*>(std::calloc(n, sizeof(std::uint64_t)));
    if (p == nullptr) {
        throw std::bad_alloc{};
    }
    return p;
}

} // namespace

flat_hash_set::flat_hash_set(std::size_t min_capacity)
    : capacity_(std::bit_ceil(std::max<std::size_t>(min_capacity, 2))),
      slots_(zeroed_slots(capacity_)), mask_(capacity_ - 1),
      shift_(64U - static_cast<unsigned>(std::countr_zero(capacity_))) {
    static_assert(empty_slot == 0, "zeroed memory must read as empty slots");
}

std::size_t flat_hash_set::home(std::uint64_t key) const noexcept {
    // Fibonacci hashing: the multiply spreads any key pattern over the high bits, which index
    // the table. Keys are usually hashes already; this keeps raw integers (tests, ids) safe too.
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_) & mask_;
}

std::size_t flat_hash_set::find_slot(std::uint64_t key) const noexcept {
    std::size_t i = home(key);
    while (slots_[i] != empty_slot && slots_[i] != key) {
        i = next(i);
    }
    return i;
}

bool flat_hash_set::insert(std::uint64_t key) noexcept {
    if (key == empty_slot) {
        if (has_zero_) {
            return false;
        }
        has_zero_ = true;
        ++size_;
        return true;
    }
    const std::size_t in_table = size_ - (has_zero_ ? 1U : 0U);
    MDG_CHECK(in_table + 1 < capacity_, "flat_hash_set is full: the owner sized it too small");
    const std::size_t i = find_slot(key);
    if (slots_[i] == key) {
        return false;
    }
    slots_[i] = key;
    ++size_;
    return true;
}

bool flat_hash_set::erase(std::uint64_t key) noexcept {
    if (key == empty_slot) {
        if (!has_zero_) {
            return false;
        }
        has_zero_ = false;
        --size_;
        return true;
    }
    std::size_t hole = find_slot(key);
    if (slots_[hole] != key) {
        return false;
    }
    // Backward shift: walk the cluster after the hole and move back every key whose probe
    // sequence passes through the hole, i.e. whose home is not in the cyclic range (hole, j].
    for (std::size_t j = next(hole); slots_[j] != empty_slot; j = next(j)) {
        const std::size_t from_home = (j - home(slots_[j])) & mask_;
        const std::size_t from_hole = (j - hole) & mask_;
        if (from_home >= from_hole) {
            slots_[hole] = slots_[j];
            hole = j;
        }
    }
    slots_[hole] = empty_slot;
    --size_;
    return true;
}

bool flat_hash_set::contains(std::uint64_t key) const noexcept {
    if (key == empty_slot) {
        return has_zero_;
    }
    return slots_[find_slot(key)] == key;
}

void flat_hash_set::clear() noexcept {
    std::fill_n(slots_.get(), capacity_, empty_slot);
    size_ = 0;
    has_zero_ = false;
}

} // namespace mdg::market::detail
