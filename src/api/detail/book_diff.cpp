#include "api/detail/book_diff.hpp"

namespace mdg::api::detail {

void diff_side(std::span<const model::level> from, std::span<const model::level> to, bool bids,
               std::vector<model::level>& out) {
    out.clear();
    // "a comes before b" in the side's best-first order.
    auto before = [bids](const model::price a, const model::price b) {
        return bids ? a > b : a < b;
    };
    std::size_t i = 0;
    std::size_t k = 0;
    while (i < from.size() || k < to.size()) {
        if (k == to.size() || (i < from.size() && before(from[i].px, to[k].px))) {
            out.push_back({from[i].px, model::qty{0}}); // gone
            ++i;
        } else if (i == from.size() || before(to[k].px, from[i].px)) {
            out.push_back(to[k]); // new
            ++k;
        } else {
            if (from[i].sz != to[k].sz) {
                out.push_back(to[k]); // same price, other size
            }
            ++i;
            ++k;
        }
    }
}

} // namespace mdg::api::detail
