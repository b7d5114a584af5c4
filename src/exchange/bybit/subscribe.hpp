#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/instrument.hpp"

namespace mdg::exchange::bybit {

enum class request_op : std::uint8_t { subscribe, unsubscribe };

/// One request frame ready to send, with the req_id its acknowledgement will echo.
struct request {
    std::string req_id;
    std::string payload;           ///< {"req_id":"...","op":"subscribe","args":[...]}
    std::vector<std::string> args; ///< the topics it carries
};

/// Venue limits on subscriptions (docs/venues/bybit.md, "Limits").
struct subscription_limits {
    std::size_t max_args_per_request = 0; ///< 0 = no limit (linear/inverse)
    std::size_t max_args_chars_per_connection = 21'000;
};
[[nodiscard]] subscription_limits limits_for(model::category cat) noexcept;

/// Characters the topics count against the per-connection `args` budget: each topic with its
/// quotes and separating comma, i.e. the length of the JSON array's contents (conservative).
[[nodiscard]] std::size_t args_chars(std::span<const std::string> topics) noexcept;

/// Builds the requests that subscribe (or unsubscribe) `topics` on one connection of `cat`:
/// every topic is validated for subscription (current depths only, channel available in the
/// category), requests are split to respect the per-request limit (spot: 10 args), and the
/// whole set must fit in the per-connection args budget. `max_args_per_request` can lower the
/// venue's limit (0 = the venue's). req_ids are consecutive numbers from `next_req_id`.
/// On error `reason` holds a one-line explanation naming the topic or limit.
[[nodiscard]] result<std::vector<request>> build_requests(request_op op, model::category cat,
                                                          std::span<const std::string> topics,
                                                          std::uint64_t& next_req_id,
                                                          std::string& reason,
                                                          std::size_t max_args_per_request = 0);

/// The application heartbeat: {"req_id":"<id>","op":"ping"}.
[[nodiscard]] std::string build_ping(std::string_view req_id);

} // namespace mdg::exchange::bybit
