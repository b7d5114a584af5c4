#include "exchange/feed/subscription_set.hpp"

#include <algorithm>

namespace mdg::exchange {

std::string_view to_string(topic_state s) noexcept {
    switch (s) {
    case topic_state::pending:
        return "pending";
    case topic_state::active:
        return "active";
    case topic_state::failed:
        return "failed";
    }
    return "unknown";
}

subscription_set::subscription_set(model::category cat, std::vector<std::string> topics,
                                   retry_options retry)
    : cat_(cat), retry_(retry) {
    for (auto& t : topics) {
        if (topics_.emplace(t, topic_info{}).second) {
            order_.push_back(std::move(t));
        }
    }
}

void subscription_set::arm(topic_info& info, std::string_view topic,
                           std::chrono::steady_clock::time_point now) {
    info.requested_at = now;
    info.awaiting_snapshot = topic.starts_with("orderbook.");
}

result<std::vector<bybit::request>>
subscription_set::subscribe_all(std::uint64_t& next_req_id, std::string& reason,
                                std::chrono::steady_clock::time_point now) {
    std::vector<std::string> wanted;
    for (const auto& t : order_) {
        const auto& info = topics_.at(t);
        if (info.state == topic_state::pending && info.pending_req.empty()) {
            wanted.push_back(t);
        }
    }
    if (wanted.empty()) {
        return std::vector<bybit::request>{};
    }
    auto reqs =
        bybit::build_requests(bybit::request_op::subscribe, cat_, wanted, next_req_id, reason);
    if (!reqs) {
        return reqs;
    }
    for (const auto& r : *reqs) {
        in_flight_[r.req_id] = r.args;
        for (const auto& a : r.args) {
            auto& info = topics_.at(a);
            info.pending_req = r.req_id;
            arm(info, a, now);
        }
    }
    return reqs;
}

result<std::vector<bybit::request>>
subscription_set::resubscribe(std::string_view topic, std::uint64_t& next_req_id,
                              std::string& reason, std::chrono::steady_clock::time_point now) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
        reason = "not a topic of this connection";
        return errc::invalid_argument;
    }
    const std::vector<std::string> one{std::string(topic)};
    auto unsub =
        bybit::build_requests(bybit::request_op::unsubscribe, cat_, one, next_req_id, reason);
    if (!unsub) {
        return unsub;
    }
    auto sub = bybit::build_requests(bybit::request_op::subscribe, cat_, one, next_req_id, reason);
    if (!sub) {
        return sub;
    }
    // Its data time and count stay: they describe the stream, which a resync continues.
    auto& info = it->second;
    info.state = topic_state::pending;
    info.reason.clear();
    info.pending_req = sub->front().req_id;
    info.retry_at = {};
    arm(info, topic, now);
    in_flight_[unsub->front().req_id] = {}; // matched, nothing to change
    in_flight_[sub->front().req_id] = one;
    std::vector<bybit::request> out = std::move(*unsub);
    out.push_back(std::move(sub->front()));
    return out;
}

subscription_set::ack_result subscription_set::on_ack(const bybit::control_frame& c,
                                                      std::chrono::steady_clock::time_point now) {
    ack_result r;
    auto it = in_flight_.find(c.req_id);
    if (!c.has_req_id || it == in_flight_.end()) {
        return r; // not ours (or an ack shape without req_id): counted by the caller
    }
    r.matched = true;
    const auto topics = std::move(it->second);
    in_flight_.erase(it);
    for (const auto& t : topics) {
        auto& info = topics_.at(t);
        if (info.pending_req != c.req_id) {
            continue; // superseded by a later request
        }
        info.pending_req.clear();
        const bool refused_here =
            !c.success && (c.reason != bybit::reject_reason::already_subscribed &&
                           (c.reject_topic.empty() || c.reject_topic == t ||
                            c.reason == bybit::reject_reason::args_size));
        if (c.success || c.reason == bybit::reject_reason::already_subscribed) {
            // Already subscribed means the stream is flowing for this connection.
            info.state = topic_state::active;
            info.refusals = 0;
            if (!info.awaiting_snapshot) {
                info.requested_at = {}; // answered (a book waits on for its snapshot)
            }
        } else if (refused_here) {
            info.state = topic_state::failed;
            info.reason = std::string(c.ret_msg);
            info.requested_at = {};
            info.awaiting_snapshot = false;
            ++info.refusals;
            auto wait = retry_.base;
            for (std::uint32_t i = 1; i < info.refusals && wait < retry_.cap; ++i) {
                wait *= 2;
            }
            info.retry_at = now + std::min(wait, retry_.cap);
            r.failed.push_back(t);
        } else {
            // Bybit rejects a whole request when one topic is bad: the others are innocent
            // and are requested again (pending, no request in flight).
            info.state = topic_state::pending;
        }
    }
    return r;
}

void subscription_set::on_data(std::string_view topic, std::chrono::steady_clock::time_point now,
                               bool snapshot) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
        return;
    }
    auto& info = it->second;
    if (info.state == topic_state::pending) {
        info.state = topic_state::active; // data before the ack: applied, not dropped
    }
    if (snapshot) {
        info.awaiting_snapshot = false;
    }
    if (!info.awaiting_snapshot) {
        info.requested_at = {}; // answered
    }
    info.refusals = 0;
    info.last_data = now;
    ++info.messages;
}

void subscription_set::on_disconnect() {
    in_flight_.clear();
    // Every topic is asked for again on the next connection, a refused one too: a venue that
    // refused a topic in a restart or before a listing may accept it now (the rejection was
    // logged and counted; it is logged again if the venue refuses again).
    for (auto& [t, info] : topics_) {
        info.pending_req.clear();
        if (info.state == topic_state::failed) {
            info.reason.clear();
        }
        info.state = topic_state::pending;
        info.requested_at = {};
        info.awaiting_snapshot = false;
        info.retry_at = {};
    }
}

std::vector<std::string> subscription_set::expire(std::chrono::steady_clock::time_point now,
                                                  std::chrono::milliseconds timeout) {
    std::vector<std::string> out;
    for (auto& [t, info] : topics_) {
        if (info.state == topic_state::failed ||
            info.requested_at == std::chrono::steady_clock::time_point{} ||
            now - info.requested_at < timeout) {
            continue;
        }
        const bool unanswered = info.state == topic_state::pending && !info.pending_req.empty();
        if (unanswered || info.awaiting_snapshot) {
            info.requested_at = {};
            out.push_back(t);
        }
    }
    return out;
}

std::size_t subscription_set::retry_refused(std::chrono::steady_clock::time_point now) {
    std::size_t n = 0;
    for (auto& [t, info] : topics_) {
        if (info.state == topic_state::failed &&
            info.retry_at != std::chrono::steady_clock::time_point{} && info.retry_at <= now) {
            info.state = topic_state::pending;
            info.pending_req.clear();
            info.reason.clear();
            info.retry_at = {};
            ++n;
        }
    }
    return n;
}

std::size_t subscription_set::count(topic_state s) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        topics_.begin(), topics_.end(), [&](const auto& kv) { return kv.second.state == s; }));
}

} // namespace mdg::exchange
