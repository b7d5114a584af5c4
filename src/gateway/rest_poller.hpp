#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "dispatch/consumer.hpp"
#include "model/instrument.hpp"
#include "net/rest_client.hpp"

namespace mdg::gateway {

/// One REST-only answer to poll for one instrument.
struct poll_job {
    dispatch::venue_data::kind what = dispatch::venue_data::kind::funding_history;
    model::instrument_id instrument;
    std::chrono::milliseconds every{0}; ///< between successful polls
    std::size_t rows = 0;               ///< `limit` (funding, ratios); risk limits: unused
};

/// How often to poll each kind (0: never) and how many rows to ask for.
struct poll_settings {
    std::chrono::milliseconds funding_history{0};
    std::size_t funding_rows = 100;
    std::chrono::milliseconds account_ratio{0};
    std::size_t account_ratio_rows = 288;
    std::chrono::milliseconds risk_limits{0};
};

/// The jobs for `instruments` of category `cat`: one per kind that is on. Bybit serves these
/// three endpoints for linear and inverse contracts only: none for spot and options.
[[nodiscard]] std::vector<poll_job> plan_polls(model::category cat,
                                               std::span<const model::instrument_id> instruments,
                                               const poll_settings& s);

/// One job as /v1/status and the scrape show it.
struct poll_job_status {
    poll_job job;
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    std::uint32_t failing = 0; ///< failures in a row now (0: the last poll succeeded)
    std::string last_error;    ///< of the current failing streak
    std::chrono::steady_clock::time_point last_ok{}; ///< epoch: never
};

/// Polls the data only the venue's REST API has (docs/rest.md, polling): funding history,
/// the long/short account ratio and risk limits, each on its interval, through the market REST
/// client (bulk priority: it never takes an urgent request's room). Every answer is decoded,
/// then handed whole to `publish` (the consumer pool's venue_data channel) with the time it
/// arrived, so that readers can tell its age.
///
/// A failed poll is logged once per failing streak (WARN; at most one such line a minute over
/// all polls) and tried again sooner: after 5 s, doubling up to the job's interval; the first
/// success after failures is logged (INFO, limited the same way).
///
/// Not thread-safe: everything runs on the client's executor (the gateway's I/O thread), the
/// accessors too.
class rest_poller {
  public:
    using publish_fn = std::function<void(std::shared_ptr<const dispatch::venue_data>)>;

    /// `client` and `registry` must outlive the poller.
    rest_poller(boost::asio::any_io_executor ex, net::rest_client& client,
                const model::instrument_registry& registry, model::category cat,
                std::vector<poll_job> jobs, publish_fn publish);
    ~rest_poller();
    rest_poller(const rest_poller&) = delete;
    rest_poller& operator=(const rest_poller&) = delete;
    rest_poller(rest_poller&&) = delete;
    rest_poller& operator=(rest_poller&&) = delete;

    /// Starts every job (the first poll at once). Once.
    void start();
    /// Ends the waits; polls in flight end when the client is stopped. Idempotent.
    void stop();

    [[nodiscard]] std::span<const poll_job_status> jobs() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

} // namespace mdg::gateway
