#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/instrument.hpp"

namespace mdg::exchange::bybit {

struct plan_options {
    /// At most this many topics per connection; 0 = only the venue's args budget limits it.
    std::size_t max_topics_per_connection = 0;
    /// Keep all topics of one symbol on one connection, so that losing a connection never
    /// leaves a symbol half-served, as the old layout did. Off = consecutive chunks, as the
    /// old service did.
    bool symbol_aligned = true;
};

/// The topics one connection carries, and its name in logs and metrics ("conn_0", ...).
struct connection_plan {
    std::string id;
    std::vector<std::string> topics;
};

/// Splits `topics` (in the order given) over connections within the venue's limits: the
/// per-connection args budget (21,000 characters) and `max_topics_per_connection`. With
/// `symbol_aligned`, a symbol's topics are never split; a symbol whose topics alone exceed a
/// connection's limit is an error. Topics are validated for subscription (current depths,
/// channel available in the category) and de-duplicated. On error `reason` is one line.
[[nodiscard]] result<std::vector<connection_plan>>
plan_connections(model::category cat, const std::vector<std::string>& topics,
                 const plan_options& opts, std::string& reason);

} // namespace mdg::exchange::bybit
