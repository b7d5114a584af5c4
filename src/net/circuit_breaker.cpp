#include "net/circuit_breaker.hpp"

namespace mdg::net {

bool circuit_breaker::allow(clock::time_point now) {
    switch (state_) {
    case state::closed:
        return true;
    case state::open:
        if (now >= open_until_) {
            state_ = state::half_open; // one trial
            return true;
        }
        return false;
    case state::half_open:
        return false; // the trial is in flight
    }
    return false;
}

bool circuit_breaker::on_success() {
    failures_ = 0;
    const bool changed = state_ != state::closed;
    state_ = state::closed;
    return changed;
}

bool circuit_breaker::on_failure(clock::time_point now) {
    ++failures_;
    if (state_ == state::half_open || failures_ >= opts_.failures_to_open) {
        const bool changed = state_ != state::open;
        state_ = state::open;
        open_until_ = now + opts_.cooldown;
        return changed;
    }
    return false;
}

std::string_view to_string(circuit_breaker::state s) noexcept {
    switch (s) {
    case circuit_breaker::state::closed:
        return "closed";
    case circuit_breaker::state::open:
        return "open";
    case circuit_breaker::state::half_open:
        return "half_open";
    }
    return "unknown";
}

} // namespace mdg::net
