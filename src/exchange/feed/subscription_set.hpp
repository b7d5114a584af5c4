#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exchange/bybit/messages.hpp"
#include "exchange/bybit/subscribe.hpp"
#include "model/instrument.hpp"

namespace mdg::exchange {

/// Where one topic of a connection stands.
enum class topic_state : std::uint8_t {
    pending, ///< requested (or to be requested), no ack or data yet
    active,  ///< acknowledged, or data already arrived
    failed,  ///< the venue rejected it; `reason` says why
};
[[nodiscard]] std::string_view to_string(topic_state s) noexcept;

/// The topics of one connection and their states, and the matching of the venue's
/// acknowledgements to requests by req_id (unlike the old service: acks are matched, a
/// rejection is reported per topic while the rest go live, data before the ack is normal).
///
/// Owned by one connection's coroutine; not thread-safe.
class subscription_set {
  public:
    struct topic_info {
        topic_state state = topic_state::pending;
        std::string reason;      ///< the venue's text when failed
        std::string pending_req; ///< req_id of the request in flight, if any
        std::chrono::steady_clock::time_point last_data{}; ///< last data frame; epoch = never
        std::uint64_t messages = 0;                        ///< data frames received
    };

    subscription_set(model::category cat, std::vector<std::string> topics);

    /// Requests for every topic that is not active or failed (after a connect, everything):
    /// they become pending under the returned req_ids. `next_req_id` is shared per process.
    [[nodiscard]] result<std::vector<bybit::request>> subscribe_all(std::uint64_t& next_req_id,
                                                                    std::string& reason);
    /// Requests that resubscribe one topic (surgical resync): unsubscribe, then subscribe.
    [[nodiscard]] result<std::vector<bybit::request>>
    resubscribe(std::string_view topic, std::uint64_t& next_req_id, std::string& reason);

    /// Outcome of an acknowledgement.
    struct ack_result {
        bool matched = false;            ///< the req_id was ours
        std::vector<std::string> failed; ///< topics the venue refused
    };
    /// Applies a subscribe/unsubscribe acknowledgement or error frame.
    ack_result on_ack(const bybit::control_frame& c);
    /// A data frame arrived on `topic` at `now` (it may precede its ack): the topic is active.
    void on_data(std::string_view topic, std::chrono::steady_clock::time_point now = {});
    /// The connection was lost: every topic that is not failed goes back to pending.
    void on_disconnect();

    [[nodiscard]] const std::map<std::string, topic_info, std::less<>>& topics() const noexcept {
        return topics_;
    }
    [[nodiscard]] std::size_t count(topic_state s) const noexcept;
    /// Every topic acknowledged (or failed): the connection is live.
    [[nodiscard]] bool settled() const noexcept { return count(topic_state::pending) == 0; }

  private:
    model::category cat_;
    std::map<std::string, topic_info, std::less<>> topics_;
    std::vector<std::string> order_; // the configured order, for requests
    std::map<std::string, std::vector<std::string>, std::less<>> in_flight_; // req_id -> topics
};

} // namespace mdg::exchange
