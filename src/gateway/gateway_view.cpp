#include "gateway/gateway_view.hpp"

namespace mdg::gateway {

connection_view view_of(const exchange::connection& c) noexcept {
    return {.id = c.options().id,
            .url = c.options().url,
            .state = c.state(),
            .subscriptions = c.subscriptions(),
            .stats = c.stats(),
            .last_rx = c.last_rx(),
            .last_pong = c.last_pong()};
}

} // namespace mdg::gateway
