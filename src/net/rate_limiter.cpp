#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace mdg::net {

std::string_view to_string(rest_priority p) noexcept {
    return p == rest_priority::urgent ? "urgent" : "bulk";
}

std::string_view to_string(rate_limiter::reason r) noexcept {
    switch (r) {
    case rate_limiter::reason::none:
        return "none";
    case rate_limiter::reason::ip:
        return "ip";
    case rate_limiter::reason::endpoint:
        return "endpoint";
    case rate_limiter::reason::ip_banned:
        return "ip_banned";
    case rate_limiter::reason::endpoint_banned:
        return "endpoint_banned";
    }
    return "unknown";
}

rate_limiter::rate_limiter(options opts) : opts_(std::move(opts)) {
    opts_.bulk_share = std::clamp(opts_.bulk_share, 0.1, 1.0);
}

rate_limiter::clock::time_point rate_limiter::room_at(log& l, const window_limit& w,
                                                      std::uint32_t cap, clock::time_point now) {
    // A grant at g counts in every window (t - window, t] that holds it: until t = g + window.
    while (!l.grants.empty() && l.grants.front() + w.window <= now) {
        l.grants.pop_front();
    }
    if (l.grants.size() < cap) {
        return now;
    }
    // The grants that must leave the window first: all but the newest cap - 1.
    return l.grants[l.grants.size() - cap] + w.window;
}

rate_limiter::verdict rate_limiter::try_acquire(std::string_view endpoint, rest_priority p,
                                                clock::time_point now) {
    const std::lock_guard lock{mu_};
    if (now < ip_.banned_until) {
        return {false, ip_.banned_until, reason::ip_banned};
    }
    const auto cap = [&](const window_limit& w) {
        if (p == rest_priority::urgent) {
            return w.max;
        }
        return std::max<std::uint32_t>(
            1, static_cast<std::uint32_t>(std::floor(w.max * opts_.bulk_share)));
    };
    log* ep = nullptr;
    const window_limit* ep_limit = nullptr;
    if (auto it = opts_.endpoints.find(endpoint); it != opts_.endpoints.end() && it->second.max) {
        ep_limit = &it->second;
    }
    if (auto it = endpoints_.find(endpoint); it != endpoints_.end()) {
        ep = &it->second;
    } else if (ep_limit != nullptr) {
        ep = &endpoints_[std::string(endpoint)];
    }
    if (ep != nullptr && now < ep->banned_until) {
        return {false, ep->banned_until, reason::endpoint_banned};
    }
    if (opts_.ip.max != 0) {
        if (const auto at = room_at(ip_, opts_.ip, cap(opts_.ip), now); at > now) {
            return {false, at, reason::ip};
        }
    }
    if (ep_limit != nullptr) {
        if (const auto at = room_at(*ep, *ep_limit, cap(*ep_limit), now); at > now) {
            return {false, at, reason::endpoint};
        }
    }
    // Grants stay in order even when callers' clocks were read a little apart.
    if (opts_.ip.max != 0) {
        ip_.grants.push_back(ip_.grants.empty() ? now : std::max(now, ip_.grants.back()));
    }
    if (ep_limit != nullptr) {
        ep->grants.push_back(ep->grants.empty() ? now : std::max(now, ep->grants.back()));
    }
    return {true, now, reason::none};
}

void rate_limiter::ban_ip(clock::time_point until) {
    const std::lock_guard lock{mu_};
    ip_.banned_until = std::max(ip_.banned_until, until);
}

void rate_limiter::ban_endpoint(std::string_view endpoint, clock::time_point until) {
    const std::lock_guard lock{mu_};
    auto it = endpoints_.find(endpoint);
    if (it == endpoints_.end()) {
        it = endpoints_.emplace(std::string(endpoint), log{}).first;
    }
    it->second.banned_until = std::max(it->second.banned_until, until);
}

std::size_t rate_limiter::in_window(clock::time_point now) {
    const std::lock_guard lock{mu_};
    while (!ip_.grants.empty() && ip_.grants.front() + opts_.ip.window <= now) {
        ip_.grants.pop_front();
    }
    return ip_.grants.size();
}

} // namespace mdg::net
