#pragma once

#include <span>
#include <vector>

#include "model/events.hpp"

namespace mdg::api::detail {

/// The levels that turn side `from` into side `to` (both best first, strictly ordered, as a
/// book_view holds them): every price of `to` that is new or has another size, with its size,
/// and every price of `from` that is gone, with size 0. Output best first. `bids` says how the
/// side is ordered (descending prices) as opposed to asks (ascending).
void diff_side(std::span<const model::level> from, std::span<const model::level> to, bool bids,
               std::vector<model::level>& out);

} // namespace mdg::api::detail
