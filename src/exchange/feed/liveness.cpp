#include "exchange/feed/liveness.hpp"

namespace mdg::exchange {

liveness::finding liveness::check(clock::time_point now) const noexcept {
    const auto silent = now - last_rx_;
    if (silent > receive_timeout_) {
        return {verdict::stall, detector::receive_watchdog, silent};
    }
    if (ping_sent_ && now - *ping_sent_ > pong_timeout_) {
        // Nothing at all since the ping: the connection is silent, not just deaf to pings.
        if (last_rx_ <= *ping_sent_) {
            return {verdict::stall, detector::pong_deadline, silent};
        }
        return {verdict::missed_pong, detector::pong_deadline, silent};
    }
    return {verdict::ok, detector::none, silent};
}

std::string_view to_string(liveness::detector d) noexcept {
    switch (d) {
    case liveness::detector::none:
        return "none";
    case liveness::detector::receive_watchdog:
        return "receive_timeout";
    case liveness::detector::pong_deadline:
        return "pong_timeout";
    }
    return "unknown";
}

} // namespace mdg::exchange
