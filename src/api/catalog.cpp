#include "api/catalog.hpp"

#include <algorithm>

namespace mdg::api {

instrument_entry& catalog::add(model::instrument_id id, model::venue v, model::category c,
                               std::string_view symbol, model::instrument_spec spec) {
    if (id.value < by_id_.size() && by_id_[id.value] != 0) {
        return entries_[by_id_[id.value] - 1];
    }
    if (by_id_.size() <= id.value) {
        by_id_.resize(id.value + 1, 0);
    }
    by_id_[id.value] = entries_.size() + 1;
    auto& e = entries_.emplace_back();
    e.id = id;
    e.venue = v;
    e.cat = c;
    e.symbol = symbol;
    e.spec = spec;
    return e;
}

const instrument_entry* catalog::find(model::category c, std::string_view symbol) const noexcept {
    for (const auto& e : entries_) {
        if (e.cat == c && e.symbol == symbol) {
            return &e;
        }
    }
    return nullptr;
}

const instrument_entry* catalog::find(model::instrument_id id) const noexcept {
    if (id.value >= by_id_.size() || by_id_[id.value] == 0) {
        return nullptr;
    }
    return &entries_[by_id_[id.value] - 1];
}

std::optional<std::uint16_t> catalog::source_depth(const instrument_entry& e,
                                                   std::uint16_t depth) noexcept {
    for (const auto d : e.book_depths) {
        if (d >= depth) {
            return d;
        }
    }
    return std::nullopt;
}

std::uint16_t catalog::max_depth(const instrument_entry& e) noexcept {
    return e.book_depths.empty() ? std::uint16_t{0} : e.book_depths.back();
}

} // namespace mdg::api
