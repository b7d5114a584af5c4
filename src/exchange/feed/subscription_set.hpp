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

/// The wait before a refused topic is asked for again: `base` after the first refusal,
/// doubling with each refusal in a row, at most `cap`.
struct refusal_backoff {
    std::chrono::milliseconds base{5000};
    std::chrono::milliseconds cap{300'000};
};

/// The topics of one connection and their states, and the matching of the venue's
/// acknowledgements to requests by req_id (unlike the old service: acks are matched, a
/// rejection is reported per topic while the rest go live, data before the ack is normal).
///
/// Nothing waits for an answer for good: a request that gets none (no ack, no data; for a
/// book, no snapshot) within a deadline is reported by expire() for the connection to ask
/// again, and a refused topic is asked for again on its own backoff (retry_refused()), on the
/// same connection, until the venue takes it.
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
        /// When its last (re)subscription went out; epoch = no answer awaited (answered,
        /// expired, or never requested with a time).
        std::chrono::steady_clock::time_point requested_at{};
        bool awaiting_snapshot = false; ///< a book topic requested, its snapshot not yet come
        std::uint32_t refusals = 0;     ///< refusals in a row; an acceptance or data resets it
        /// Failed: when it is asked for again (retry_refused); epoch = not scheduled.
        std::chrono::steady_clock::time_point retry_at{};
    };

    using retry_options = refusal_backoff;

    subscription_set(model::category cat, std::vector<std::string> topics,
                     retry_options retry = {});

    /// Requests for every topic that is pending with no request in flight (after a connect,
    /// everything but nothing failed): they become pending under the returned req_ids, their
    /// answer awaited from `now`. `next_req_id` is shared per process.
    [[nodiscard]] result<std::vector<bybit::request>>
    subscribe_all(std::uint64_t& next_req_id, std::string& reason,
                  std::chrono::steady_clock::time_point now = {});
    /// Requests that resubscribe one topic (surgical resync): unsubscribe, then subscribe;
    /// its answer (for a book: a snapshot) awaited from `now`.
    [[nodiscard]] result<std::vector<bybit::request>>
    resubscribe(std::string_view topic, std::uint64_t& next_req_id, std::string& reason,
                std::chrono::steady_clock::time_point now = {});

    /// Outcome of an acknowledgement.
    struct ack_result {
        bool matched = false;            ///< the req_id was ours
        std::vector<std::string> failed; ///< topics the venue refused
    };
    /// Applies a subscribe/unsubscribe acknowledgement or error frame received at `now`. A
    /// refused topic fails and is scheduled to be asked for again (retry_options).
    ack_result on_ack(const bybit::control_frame& c,
                      std::chrono::steady_clock::time_point now = {});
    /// A data frame arrived on `topic` at `now` (it may precede its ack): the topic is active.
    /// `snapshot`: a book snapshot, the answer a book subscription waits for.
    void on_data(std::string_view topic, std::chrono::steady_clock::time_point now = {},
                 bool snapshot = false);
    /// The connection was lost: every topic, a failed one too, goes back to pending (the
    /// next connection asks for everything).
    void on_disconnect();

    /// The topics whose request got no answer by `now`, `timeout` after it went out: pending
    /// with a request in flight (no ack, no data), or a book still without its snapshot. Each
    /// is returned once per request (its deadline is then cleared): the caller resubscribes.
    [[nodiscard]] std::vector<std::string> expire(std::chrono::steady_clock::time_point now,
                                                  std::chrono::milliseconds timeout);
    /// Refused topics whose retry time has come by `now` go back to pending (subscribe_all
    /// then asks for them). Returns how many.
    std::size_t retry_refused(std::chrono::steady_clock::time_point now);

    [[nodiscard]] const std::map<std::string, topic_info, std::less<>>& topics() const noexcept {
        return topics_;
    }
    [[nodiscard]] std::size_t count(topic_state s) const noexcept;
    /// Every topic acknowledged (or failed): the connection is live.
    [[nodiscard]] bool settled() const noexcept { return count(topic_state::pending) == 0; }

  private:
    void arm(topic_info& info, std::string_view topic, std::chrono::steady_clock::time_point now);

    model::category cat_;
    retry_options retry_;
    std::map<std::string, topic_info, std::less<>> topics_;
    std::vector<std::string> order_; // the configured order, for requests
    std::map<std::string, std::vector<std::string>, std::less<>> in_flight_; // req_id -> topics
};

} // namespace mdg::exchange
