#include "exchange/bybit/subscribe.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "exchange/bybit/topic.hpp"

namespace mdg::exchange::bybit {

subscription_limits limits_for(model::category cat) noexcept {
    subscription_limits l;
    if (cat == model::category::spot) {
        l.max_args_per_request = 10;
    }
    return l;
}

std::size_t args_chars(std::span<const std::string> topics) noexcept {
    std::size_t n = 0;
    for (const auto& t : topics) {
        n += t.size() + 2; // quotes
    }
    return topics.empty() ? 0 : n + topics.size() - 1; // commas
}

result<std::vector<request>> build_requests(request_op op, model::category cat,
                                            std::span<const std::string> topics,
                                            std::uint64_t& next_req_id, std::string& reason,
                                            std::size_t max_args_per_request) {
    const auto limits = limits_for(cat);
    if (topics.empty()) {
        reason = "no topics to send";
        return errc::invalid_argument;
    }
    if (op == request_op::subscribe) {
        for (const auto& t : topics) {
            if (auto ec = validate_subscription(cat, t, reason)) {
                return ec;
            }
        }
    }
    if (const auto chars = args_chars(topics); chars > limits.max_args_chars_per_connection) {
        reason = fmt::format("{} topics take {} characters of args, above Bybit's {} per "
                             "connection: split them over more connections",
                             topics.size(), chars, limits.max_args_chars_per_connection);
        return errc::limit_exceeded;
    }
    std::size_t per_request = topics.size();
    if (limits.max_args_per_request != 0) {
        per_request = std::min(per_request, limits.max_args_per_request);
    }
    if (max_args_per_request != 0) {
        per_request = std::min(per_request, max_args_per_request);
    }
    const std::string_view op_name = op == request_op::subscribe ? "subscribe" : "unsubscribe";
    std::vector<request> out;
    for (std::size_t i = 0; i < topics.size(); i += per_request) {
        request r;
        r.req_id = std::to_string(next_req_id++);
        const auto n = std::min(per_request, topics.size() - i);
        r.args.assign(topics.begin() + static_cast<std::ptrdiff_t>(i),
                      topics.begin() + static_cast<std::ptrdiff_t>(i + n));
        // Topics passed validation (or come from our own subscription set for unsubscribe),
        // so they hold no characters that JSON would need escaped; check anyway.
        for (const auto& a : r.args) {
            if (a.find_first_of("\"\\") != std::string::npos || a.empty()) {
                reason = fmt::format("topic '{}' cannot be sent", a);
                return errc::invalid_argument;
            }
        }
        r.payload = fmt::format(R"({{"req_id":"{}","op":"{}","args":["{}"]}})", r.req_id, op_name,
                                fmt::join(r.args, "\",\""));
        out.push_back(std::move(r));
    }
    return out;
}

std::string build_ping(std::string_view req_id) {
    return fmt::format(R"({{"req_id":"{}","op":"ping"}})", req_id);
}

} // namespace mdg::exchange::bybit
