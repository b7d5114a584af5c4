#include "apps/mdgate/truth_check.hpp"

#include <fmt/format.h>

#include "model/fixed_point.hpp"

namespace mdg::app {

namespace {

using truth_side = std::vector<std::pair<std::string, std::string>>;

// The first level where `mine` differs from `truth` ("" when the sides are equal).
std::string side_difference(const char* name, const truth_side& truth,
                            const std::vector<model::level>& mine, model::instrument_spec spec) {
    if (truth.size() != mine.size()) {
        return fmt::format("{}: {} levels, truth {}", name, mine.size(), truth.size());
    }
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const auto px = model::parse_fixed(truth[i].first, spec.price_decimals, false);
        const auto sz = model::parse_fixed(truth[i].second, spec.qty_decimals, false);
        if (!px || !sz || *px != mine[i].px.raw || *sz != mine[i].sz.raw) {
            return fmt::format("{} level {}: {} x {}, truth {} x {}", name, i,
                               model::to_fixed_string(mine[i].px.raw, spec.price_decimals, true),
                               model::to_fixed_string(mine[i].sz.raw, spec.qty_decimals, true),
                               truth[i].first, truth[i].second);
        }
    }
    return {};
}

} // namespace

book_check check_book_against_truth(gateway::gateway& gw, const sim::server& srv,
                                    std::string_view symbol) {
    const auto b = gw.book(symbol, 50);
    const auto truth = srv.truth(model::category::linear, fmt::format("orderbook.50.{}", symbol));
    if (!b || !truth) {
        return {false, !b ? "no such book in the gateway" : "no truth in the simulator"};
    }
    if (b->state != book::book_state::live) {
        return {false, fmt::format("state {}", book::to_string(b->state))};
    }
    if (b->update_id != truth->u) {
        return {false, fmt::format("u {}, truth {}", b->update_id, truth->u)};
    }
    const auto id = gw.instruments().find(model::venue::bybit, model::category::linear, symbol);
    const auto spec = id ? gw.instruments().info(*id).spec : model::default_spec;
    auto why = side_difference("bids", truth->bids, b->bids, spec);
    if (why.empty()) {
        why = side_difference("asks", truth->asks, b->asks, spec);
    }
    return {why.empty(), why};
}

} // namespace mdg::app
