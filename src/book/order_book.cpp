#include "book/order_book.hpp"

#include <algorithm>
#include <functional>

#include "core/assert.hpp"

namespace mdg::book {

using model::level;

std::string_view to_string(book_state s) noexcept {
    switch (s) {
    case book_state::syncing:
        return "syncing";
    case book_state::live:
        return "live";
    case book_state::stale:
        return "stale";
    case book_state::resyncing:
        return "resyncing";
    }
    return "unknown";
}

std::string_view to_string(apply_status s) noexcept {
    switch (s) {
    case apply_status::applied:
        return "applied";
    case apply_status::awaiting_snapshot:
        return "awaiting_snapshot";
    case apply_status::gap:
        return "gap";
    case apply_status::crossed:
        return "crossed";
    case apply_status::invalid:
        return "invalid";
    }
    return "unknown";
}

namespace {

// Room above the depth so that a delta inserting before deleting never reallocates.
constexpr std::size_t slack_levels = 64;

using detail::level_array;

// Sets `sz` at `px` on one side, kept sorted by `better_last` order (the comparator puts the
// best price at the back). Size 0 erases; erasing a price that is not there changes nothing.
// First level whose price is not worse than `px` (std::lower_bound), without branches in the
// loop: the comparison feeds a conditional move, so an unpredictable search path costs no
// mispredictions. This is where most of a delta's time went.
template <class Compare>
level* search(level* first, std::size_t len, model::price px, Compare worse) noexcept {
    if (len == 0) {
        return first;
    }
    while (len > 1) {
        const std::size_t half = len / 2;
        first = worse(first[half - 1].px, px) ? first + half : first;
        len -= half;
    }
    return first + (worse(first->px, px) ? 1 : 0);
}

template <class Compare> void upsert(level_array& side, const level& l, Compare worse) {
    level* it = search(side.begin(), side.size(), l.px, worse);
    const bool found = it != side.end() && it->px == l.px;
    const auto pos = static_cast<std::size_t>(it - side.begin());
    if (l.sz.is_zero()) {
        if (found) {
            side.erase(pos);
        }
    } else if (found) {
        it->sz = l.sz;
    } else {
        side.insert(pos, l);
    }
}

// Copies snapshot levels (sent best first) into a side stored best-last, dropping size 0.
// Returns false when a price repeats.
template <class Compare>
bool load_side(level_array& side, std::span<const level> levels, Compare worse) {
    side.clear();
    for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
        if (!it->sz.is_zero()) {
            side.push_back(*it);
        }
    }
    auto by_price = [&](const level& a, const level& b) {
        return worse(a.px, b.px);
    };
    if (!std::is_sorted(side.begin(), side.end(), by_price)) {
        // Venues send snapshots sorted; sorting here is the rare repair path, not per delta.
        std::sort(side.begin(), side.end(), by_price);
    }
    return std::adjacent_find(side.begin(), side.end(), [](const level& a, const level& b) {
               return a.px == b.px;
           }) == side.end();
}

// A price above 0 and a size of at least 0 on every level: "0", "-0" or a negative price, or a
// negative size, can only come from a broken message.
bool valid_levels(std::span<const level> levels) noexcept {
    return std::all_of(levels.begin(), levels.end(),
                       [](const level& l) { return l.px.raw > 0 && l.sz.raw >= 0; });
}

} // namespace

order_book::order_book(std::size_t depth)
    : depth_(depth), bids_(depth + slack_levels), asks_(depth + slack_levels) {
    MDG_CHECK(depth > 0, "book depth must be positive");
}

apply_status order_book::apply(const model::book_update& u) {
    if (u.kind == model::update_kind::snapshot || u.update_id == 1) {
        return apply_snapshot(u);
    }
    return apply_delta(u);
}

apply_status order_book::apply_snapshot(const model::book_update& u) {
    const bool ok = valid_levels(u.bids) && valid_levels(u.asks) &&
                    load_side(bids_, u.bids, std::less<>{}) &&
                    load_side(asks_, u.asks, std::greater<>{});
    trim();
    update_id_ = u.update_id;
    seq_ = u.seq;
    if (!ok) {
        state_ = book_state::resyncing;
        return apply_status::invalid;
    }
    if (crossed()) {
        state_ = book_state::resyncing;
        return apply_status::crossed;
    }
    state_ = book_state::live;
    return apply_status::applied;
}

apply_status order_book::apply_delta(const model::book_update& u) {
    if (state_ == book_state::syncing || state_ == book_state::resyncing) {
        return apply_status::awaiting_snapshot;
    }
    if (u.update_id != update_id_ + 1) {
        state_ = book_state::resyncing;
        return apply_status::gap;
    }
    if (!valid_levels(u.bids) || !valid_levels(u.asks)) {
        state_ = book_state::resyncing; // nothing applied: the book waits for a snapshot
        return apply_status::invalid;
    }
    for (const level& l : u.bids) {
        upsert(bids_, l, std::less<>{});
    }
    for (const level& l : u.asks) {
        upsert(asks_, l, std::greater<>{});
    }
    trim();
    update_id_ = u.update_id;
    seq_ = u.seq;
    if (crossed()) {
        state_ = book_state::resyncing;
        return apply_status::crossed;
    }
    state_ = book_state::live;
    MDG_ASSERT(check_invariants(), "live book must be sorted and uncrossed");
    return apply_status::applied;
}

void order_book::mark_stale() noexcept {
    if (state_ == book_state::live) {
        state_ = book_state::stale;
    }
}

void order_book::mark_syncing() noexcept {
    state_ = book_state::syncing;
}

apply_status order_book::mark_unusable(model::update_kind kind) noexcept {
    const bool waiting = state_ == book_state::syncing || state_ == book_state::resyncing;
    if (kind == model::update_kind::delta && waiting) {
        return apply_status::awaiting_snapshot;
    }
    state_ = book_state::resyncing;
    return apply_status::invalid;
}

std::optional<level> order_book::best_bid() const noexcept {
    if (bids_.empty()) {
        return std::nullopt;
    }
    return bids_.back();
}

std::optional<level> order_book::best_ask() const noexcept {
    if (asks_.empty()) {
        return std::nullopt;
    }
    return asks_.back();
}

bool order_book::crossed() const noexcept {
    return !bids_.empty() && !asks_.empty() && bids_.back().px >= asks_.back().px;
}

void order_book::trim() noexcept {
    // The worst levels sit at the front of each side.
    if (bids_.size() > depth_) {
        bids_.erase_front(bids_.size() - depth_);
    }
    if (asks_.size() > depth_) {
        asks_.erase_front(asks_.size() - depth_);
    }
}

bool order_book::check_invariants() const noexcept {
    auto strictly = [](const level_array& side, auto worse) {
        for (std::size_t i = 0; i < side.size(); ++i) {
            if (side[i].sz.raw <= 0) {
                return false;
            }
            if (i > 0 && !worse(side[i - 1].px, side[i].px)) {
                return false;
            }
        }
        return true;
    };
    if (!strictly(bids_, std::less<>{}) || !strictly(asks_, std::greater<>{})) {
        return false;
    }
    if (bids_.size() > depth_ || asks_.size() > depth_) {
        return false;
    }
    return state_ != book_state::live || !crossed();
}

} // namespace mdg::book
