#pragma once

// Honest rate statistics for the deploy-validation report: exact Poisson intervals (Garwood),
// the exact conditional test of two Poisson rates, and a verdict against a target rate that
// says "not yet demonstrable" instead of turning 0 events in 25 minutes into "0 per hour".
//
// Every function here is pure and thread-safe. Counts are events, exposures are hours of
// observation, rates are events per hour. Invalid arguments (exposure <= 0 or not finite,
// confidence outside (0, 1), counts above 2^53, a negative or non-finite target) give
// `errc::invalid_argument`; nothing here throws.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.hpp"

namespace mdg::monitor {

/// An observed rate with a confidence interval, all in events per hour.
struct rate_interval {
    double rate = 0;       ///< k / T, the point estimate
    double lower = 0;      ///< lower confidence bound (0 when k = 0)
    double upper = 0;      ///< upper confidence bound
    double confidence = 0; ///< the level the bounds were computed at, e.g. 0.95
};

/// The exact two-sided (Garwood) interval for a Poisson rate from k events in
/// `exposure_hours`: lower = chi2(α/2; 2k) / 2T, upper = chi2(1 - α/2; 2k + 2) / 2T, with
/// α = 1 - confidence and lower = 0 for k = 0. For k = 0 at 95 % the upper bound is 3.689 / T.
/// Use this to show a rate with its uncertainty; use the one-sided bounds for claims against a
/// target.
[[nodiscard]] result<rate_interval> poisson_interval(std::uint64_t k, double exposure_hours,
                                                     double confidence = 0.95);

/// The exact one-sided upper confidence bound of a Poisson rate: chi2(confidence; 2k + 2) / 2T
/// events per hour. For k = 0 it is -ln(1 - confidence) / T, 2.9957 / T at 95 % (the "rule of
/// three"): 0 events in 25 minutes bound the rate only below 7.19 per hour.
/// The report uses this one-sided bound (not the two-sided upper) for every "rate < target"
/// claim, as `target_verdict` does.
[[nodiscard]] result<double> poisson_upper_one_sided(std::uint64_t k, double exposure_hours,
                                                     double confidence = 0.95);

/// The exact one-sided lower confidence bound: chi2(1 - confidence; 2k) / 2T per hour, 0 for
/// k = 0. The report uses it for "rate > threshold" claims (a rollback trigger is crossed).
[[nodiscard]] result<double> poisson_lower_one_sided(std::uint64_t k, double exposure_hours,
                                                     double confidence = 0.95);

/// Comparison of a current rate with a baseline rate (see `rate_comparison`).
struct rate_change {
    double rate_base = 0; ///< k_base / T_base, per hour
    double rate_now = 0;  ///< k_now / T_now, per hour
    /// rate_now / rate_base; empty when the baseline saw no events (the ratio is undefined).
    std::optional<double> rate_ratio;
    /// One-sided p-value for "the rate went down": P(K_now <= k_now) under equal rates.
    /// Small values (< 1 - confidence) mean the decrease is real.
    double p_value_decrease = 1;
    /// One-sided p-value for "the rate went up": P(K_now >= k_now) under equal rates.
    double p_value_increase = 1;
    /// Two-sided p-value, the sum of the probabilities of all outcomes no more likely than the
    /// observed one (the convention of R's binom.test / poisson.test).
    double p_value_two_sided = 1;
    /// Exact (Clopper-Pearson, conditional) one-sided upper bound of rate_now / rate_base:
    /// "the rate fell by at least 1 - ratio_upper" holds at `confidence`. +inf when there is
    /// no information (no events at all, or k_base = 0).
    double ratio_upper = 0;
    /// One-sided lower bound of rate_now / rate_base (0 when k_now = 0).
    double ratio_lower = 0;
    double confidence = 0;
};

/// The exact conditional test of two Poisson rates: given n = k_base + k_now events in total,
/// under equal rates k_now ~ Binomial(n, T_now / (T_now + T_base)). The binomial tails are
/// computed exactly through the regularized incomplete beta function. Both exposures must be
/// > 0. Example: 25 events in 1 h before, 0 in 0.5 h after: p_value_decrease = (2/3)^25.
[[nodiscard]] result<rate_change> rate_comparison(std::uint64_t k_base, double hours_base,
                                                  std::uint64_t k_now, double hours_now,
                                                  double confidence = 0.95);

/// Outcome of comparing an observed rate with a target ("handler timeouts < 1/h").
enum class verdict : std::uint8_t {
    met,                 ///< the one-sided upper bound is below the target
    not_met,             ///< the one-sided lower bound is above the target
    not_yet_demonstrable ///< neither: the window is too short to tell
};

/// Stable snake_case name of a verdict.
[[nodiscard]] std::string_view to_string(verdict v) noexcept;

/// A verdict with the numbers behind it (see `target_verdict`).
struct target_assessment {
    verdict outcome = verdict::not_yet_demonstrable;
    double observed_rate = 0; ///< k / T per hour
    double upper = 0;         ///< one-sided upper bound per hour
    double lower = 0;         ///< one-sided lower bound per hour
    double target = 0;        ///< the target, per hour
    double confidence = 0;
    /// False when the observed rate is at or above the target: with events arriving at that
    /// rate, no amount of observation will ever show "< target".
    bool demonstrable = false;
    /// For `not_yet_demonstrable` and demonstrable: the total observation time, in hours and
    /// counted from the start of the window (including the T already observed), after which the
    /// one-sided upper bound would drop below the target if events keep arriving at the observed
    /// rate k / T (for k = 0: no further events, giving -ln(1 - confidence) / target, "3.0 /
    /// target" at 95 %). Precisely: events are assumed at times j * T / k, so the count at time
    /// t is floor(k t / T), and this is the infimum of the t with upper(count(t), t) < target.
    /// Empty when met, not met, not demonstrable, or more than 10^7 further events away.
    std::optional<double> hours_needed;
};

/// Judges k events in `exposure_hours` against `target_rate_per_hour` (>= 0) at `confidence`
/// (one-sided both ways): met when the upper bound < target, not met when the lower bound >
/// target, otherwise not yet demonstrable, with the observation time that would settle it.
/// A target of 0 can never be met (no finite window proves a rate of exactly 0).
[[nodiscard]] result<target_assessment> target_verdict(std::uint64_t k, double exposure_hours,
                                                       double target_rate_per_hour,
                                                       double confidence = 0.95);

} // namespace mdg::monitor
