#pragma once

#include <string>
#include <string_view>

#include "gateway/gateway.hpp"
#include "sim/server.hpp"

namespace mdg::app {

/// One book of the gateway compared with the simulator's truth.
struct book_check {
    bool equal = false;
    std::string detail; ///< why not (state, update ids, first differing level); empty if equal
};

/// Whether the gateway's `orderbook.50` book of `symbol` (linear) is live and equal to the
/// simulator's truth: same update id, same levels (price and size, fixed point at the
/// instrument's precision), best first. Call on the simulator's thread (sim::server::truth);
/// reading the gateway's book waits for its shard.
[[nodiscard]] book_check check_book_against_truth(gateway::gateway& gw, const sim::server& srv,
                                                  std::string_view symbol);

} // namespace mdg::app
