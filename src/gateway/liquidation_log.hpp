#pragma once

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "dispatch/consumer.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// A built-in consumer that keeps the old service's liquidation log (docs/migration.md): one INFO
/// line per liquidation, `Liquidation detected for <S>: <side> <qty> @ <price>`, and a WARNING
/// alert when price x size reaches `alert_notional` (USD for USDT contracts), at most once per
/// symbol per `cooldown`.
///
/// Runs on a consumer-pool thread; reads the registry, which is frozen once the gateway runs.
class liquidation_log final : public dispatch::consumer {
  public:
    struct options {
        double alert_notional = 500'000;
        std::chrono::seconds cooldown{300};
    };
    liquidation_log(const model::instrument_registry& registry, options opts)
        : registry_(registry), opts_(opts) {}

    void on_liquidation(const model::liquidation& l, std::stop_token stop) override;

    /// Alerts raised so far (tests).
    [[nodiscard]] std::uint64_t alerts() const noexcept { return alerts_; }

  private:
    const model::instrument_registry& registry_; // outlives: the gateway that owns this
    options opts_;
    std::unordered_map<model::instrument_id, std::chrono::steady_clock::time_point> last_alert_;
    std::uint64_t alerts_ = 0;
};

} // namespace mdg::gateway
