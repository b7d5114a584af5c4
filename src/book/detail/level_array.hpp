#pragma once

#include <cstddef>
#include <cstring>
#include <vector>

#include "core/assert.hpp"
#include "model/events.hpp"

namespace mdg::book::detail {

/// One side of a book: a sorted, contiguous array of levels with free room at *both* ends.
/// An insert or erase in the middle moves whichever part is shorter (as std::deque would, but
/// contiguous), so a change costs at most half the side, and changes near either end (the best
/// prices, or the far end the venue refills as levels leave the top N) move almost nothing.
///
/// Capacity is fixed at construction (3x the expected size); the array re-centres itself when
/// one end runs out of room, and grows only if the side outgrows it. Owned by its order_book;
/// not thread-safe.
class level_array {
  public:
    explicit level_array(std::size_t expected_size)
        : buf_(3 * expected_size + 8), begin_(buf_.size() / 3), end_(begin_) {}

    [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
    [[nodiscard]] bool empty() const noexcept { return end_ == begin_; }
    [[nodiscard]] model::level* begin() noexcept { return buf_.data() + begin_; }
    [[nodiscard]] model::level* end() noexcept { return buf_.data() + end_; }
    [[nodiscard]] const model::level* begin() const noexcept { return buf_.data() + begin_; }
    [[nodiscard]] const model::level* end() const noexcept { return buf_.data() + end_; }
    [[nodiscard]] const model::level& operator[](std::size_t i) const noexcept {
        return buf_[begin_ + i];
    }
    [[nodiscard]] const model::level& back() const noexcept { return buf_[end_ - 1]; }

    void clear() noexcept { begin_ = end_ = buf_.size() / 3; }

    void push_back(const model::level& l) {
        if (end_ == buf_.size()) {
            recentre(1);
        }
        buf_[end_++] = l;
    }

    /// Inserts `l` before position `pos` (an index in [0, size()]).
    void insert(std::size_t pos, const model::level& l) {
        const std::size_t n = size();
        MDG_ASSERT(pos <= n, "insert position out of range");
        const bool move_front = pos < n - pos;
        if (move_front ? begin_ == 0 : end_ == buf_.size()) {
            recentre(1);
        }
        if (move_front && begin_ > 0) {
            model::level* first = buf_.data() + begin_;
            std::memmove(first - 1, first, pos * sizeof(model::level));
            --begin_;
        } else {
            model::level* at = buf_.data() + begin_ + pos;
            std::memmove(at + 1, at, (n - pos) * sizeof(model::level));
            ++end_;
        }
        buf_[begin_ + pos] = l;
    }

    /// Removes the level at position `pos` (an index in [0, size())).
    void erase(std::size_t pos) noexcept {
        const std::size_t n = size();
        MDG_ASSERT(pos < n, "erase position out of range");
        model::level* first = buf_.data() + begin_;
        if (pos < n - 1 - pos) {
            std::memmove(first + 1, first, pos * sizeof(model::level));
            ++begin_;
        } else {
            std::memmove(first + pos, first + pos + 1, (n - 1 - pos) * sizeof(model::level));
            --end_;
        }
    }

    /// Removes the first `count` levels (the worst prices).
    void erase_front(std::size_t count) noexcept {
        MDG_ASSERT(count <= size(), "erase_front beyond size");
        begin_ += count;
    }

  private:
    // Moves the contents to the middle third, growing the buffer if they fill more than a third
    // of it. Rare: only when one end has run out of room.
    void recentre(std::size_t extra) {
        const std::size_t n = size();
        if (3 * (n + extra) > buf_.size()) {
            std::vector<model::level> bigger(3 * (n + extra) + 8);
            const std::size_t nb = bigger.size() / 3;
            std::memcpy(bigger.data() + nb, buf_.data() + begin_, n * sizeof(model::level));
            buf_.swap(bigger);
            begin_ = nb;
        } else {
            const std::size_t nb = (buf_.size() - n) / 2;
            std::memmove(buf_.data() + nb, buf_.data() + begin_, n * sizeof(model::level));
            begin_ = nb;
        }
        end_ = begin_ + n;
    }

    std::vector<model::level> buf_;
    std::size_t begin_;
    std::size_t end_;
};

} // namespace mdg::book::detail
