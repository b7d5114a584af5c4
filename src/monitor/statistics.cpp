#include "monitor/statistics.hpp"

#include <cmath>
#include <limits>

#include "monitor/detail/special_functions.hpp"

namespace mdg::monitor {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t max_exact_count = std::uint64_t{1} << 53U;
// hours_needed searches at most this many events beyond the observed ones.
constexpr double max_future_events = 1e7;

bool valid_exposure(double hours) noexcept {
    return std::isfinite(hours) && hours > 0.0;
}
bool valid_confidence(double c) noexcept {
    return c > 0.0 && c < 1.0;
}

result<void> check(std::uint64_t k, double hours, double confidence) {
    if (k > max_exact_count || !valid_exposure(hours) || !valid_confidence(confidence)) {
        return make_error_code(errc::invalid_argument);
    }
    return {};
}

// Upper one-sided bound on the expected count (not the rate): P(k + 1, x) = confidence.
double upper_count(double k, double confidence) noexcept {
    return detail::gamma_p_inverse(k + 1.0, confidence, 1.0 - confidence);
}

// Lower one-sided bound on the expected count: P(k, x) = 1 - confidence; 0 for k = 0.
double lower_count(double k, double confidence) noexcept {
    if (k == 0.0) {
        return 0.0;
    }
    return detail::gamma_p_inverse(k, 1.0 - confidence, confidence);
}

// The smallest binomial proportion π with P(X <= k; n, π) <= alpha, i.e. the Clopper-Pearson
// one-sided upper bound (k < n). The CDF falls as π grows, so bisect on π.
double binomial_upper_bound(std::uint64_t k, std::uint64_t n, double alpha) noexcept {
    double lo = 0.0;
    double hi = 1.0;
    for (int i = 0; i < 2000; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) {
            break;
        }
        if (detail::binomial_cdf(k, n, mid).lower > alpha) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

// The largest π with P(X >= k; n, π) <= alpha (k > 0): the one-sided lower bound.
double binomial_lower_bound(std::uint64_t k, std::uint64_t n, double alpha) noexcept {
    double lo = 0.0;
    double hi = 1.0;
    for (int i = 0; i < 2000; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) {
            break;
        }
        if (detail::binomial_cdf(k - 1, n, mid).upper < alpha) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

// Two-sided p-value of R's binom.test: the probability of every outcome whose probability is
// at most that of the observed one (with R's 1 + 1e-7 tolerance for ties).
double binomial_two_sided(std::uint64_t k, std::uint64_t n, double p) noexcept {
    constexpr double rel_err = 1.0 + 1e-7;
    const double d = detail::binomial_pmf(k, n, p);
    const double m = static_cast<double>(n) * p;
    const auto kd = static_cast<double>(k);
    if (kd == m) {
        return 1.0;
    }
    double total = 0;
    if (kd < m) {
        // The pmf falls on [ceil(m), n]: find the first i there with pmf(i) <= d.
        auto lo = static_cast<std::uint64_t>(std::ceil(m));
        std::uint64_t hi = n + 1; // pmf(n + 1) = 0 <= d
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (detail::binomial_pmf(mid, n, p) <= d * rel_err) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        total = detail::binomial_cdf(k, n, p).lower;
        if (lo <= n) {
            total += lo == 0 ? 1.0 : detail::binomial_cdf(lo - 1, n, p).upper;
        }
    } else {
        // The pmf rises on [0, floor(m)]: find the last i there with pmf(i) <= d.
        const auto top = static_cast<std::uint64_t>(std::floor(m));
        std::uint64_t lo = 0;
        std::uint64_t hi = top + 1; // count of i in [0, top] with pmf(i) <= d
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            if (detail::binomial_pmf(mid, n, p) <= d * rel_err) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        // i in [0, lo) qualify.
        total = (lo == 0 ? 0.0 : detail::binomial_cdf(lo - 1, n, p).lower) +
                (k == 0 ? 1.0 : detail::binomial_cdf(k - 1, n, p).upper);
    }
    return total < 1.0 ? total : 1.0;
}

} // namespace

result<rate_interval> poisson_interval(std::uint64_t k, double exposure_hours, double confidence) {
    if (auto r = check(k, exposure_hours, confidence); !r) {
        return r.error();
    }
    const auto kd = static_cast<double>(k);
    const double alpha = 1.0 - confidence;
    rate_interval out;
    out.rate = kd / exposure_hours;
    out.confidence = confidence;
    out.lower =
        k == 0 ? 0.0 : detail::gamma_p_inverse(kd, alpha / 2.0, 1.0 - alpha / 2.0) / exposure_hours;
    out.upper = detail::gamma_p_inverse(kd + 1.0, 1.0 - alpha / 2.0, alpha / 2.0) / exposure_hours;
    return out;
}

result<double> poisson_upper_one_sided(std::uint64_t k, double exposure_hours, double confidence) {
    if (auto r = check(k, exposure_hours, confidence); !r) {
        return r.error();
    }
    return upper_count(static_cast<double>(k), confidence) / exposure_hours;
}

result<double> poisson_lower_one_sided(std::uint64_t k, double exposure_hours, double confidence) {
    if (auto r = check(k, exposure_hours, confidence); !r) {
        return r.error();
    }
    return lower_count(static_cast<double>(k), confidence) / exposure_hours;
}

result<rate_change> rate_comparison(std::uint64_t k_base, double hours_base, std::uint64_t k_now,
                                    double hours_now, double confidence) {
    if (auto r = check(k_base, hours_base, confidence); !r) {
        return r.error();
    }
    if (auto r = check(k_now, hours_now, confidence); !r) {
        return r.error();
    }
    if (k_base + k_now > max_exact_count) {
        return make_error_code(errc::invalid_argument);
    }
    rate_change out;
    out.confidence = confidence;
    out.rate_base = static_cast<double>(k_base) / hours_base;
    out.rate_now = static_cast<double>(k_now) / hours_now;
    if (k_base > 0) {
        out.rate_ratio = out.rate_now / out.rate_base;
    }
    const std::uint64_t n = k_base + k_now;
    const double alpha = 1.0 - confidence;
    if (n == 0) {
        out.ratio_upper = inf;
        out.ratio_lower = 0.0;
        return out; // no events: every p-value is 1
    }
    // Under equal rates, each of the n events falls in the current window with probability p.
    const double p = hours_now / (hours_now + hours_base);
    const detail::tail_pair at_k = detail::binomial_cdf(k_now, n, p);
    out.p_value_decrease = at_k.lower;
    out.p_value_increase = k_now == 0 ? 1.0 : detail::binomial_cdf(k_now - 1, n, p).upper;
    out.p_value_two_sided = binomial_two_sided(k_now, n, p);

    // π = share of the events in the current window; ratio = π / (1 - π) * T_base / T_now.
    const double exposure_ratio = hours_base / hours_now;
    const auto to_ratio = [&](double pi) {
        return pi / (1.0 - pi) * exposure_ratio;
    };
    out.ratio_upper = k_now == n ? inf : to_ratio(binomial_upper_bound(k_now, n, alpha));
    out.ratio_lower = k_now == 0 ? 0.0 : to_ratio(binomial_lower_bound(k_now, n, alpha));
    return out;
}

std::string_view to_string(verdict v) noexcept {
    switch (v) {
    case verdict::met:
        return "met";
    case verdict::not_met:
        return "not_met";
    case verdict::not_yet_demonstrable:
        return "not_yet_demonstrable";
    }
    return "unknown";
}

result<target_assessment> target_verdict(std::uint64_t k, double exposure_hours,
                                         double target_rate_per_hour, double confidence) {
    if (auto r = check(k, exposure_hours, confidence); !r) {
        return r.error();
    }
    if (!std::isfinite(target_rate_per_hour) || target_rate_per_hour < 0.0) {
        return make_error_code(errc::invalid_argument);
    }
    const auto kd = static_cast<double>(k);
    const double target = target_rate_per_hour;
    target_assessment out;
    out.observed_rate = kd / exposure_hours;
    out.upper = upper_count(kd, confidence) / exposure_hours;
    out.lower = lower_count(kd, confidence) / exposure_hours;
    out.target = target;
    out.confidence = confidence;
    out.demonstrable = out.observed_rate < target;
    if (out.upper < target) {
        out.outcome = verdict::met;
        return out;
    }
    if (out.lower > target) {
        out.outcome = verdict::not_met;
        return out;
    }
    out.outcome = verdict::not_yet_demonstrable;
    if (!out.demonstrable) {
        return out;
    }
    if (k == 0) {
        out.hours_needed = upper_count(0.0, confidence) / target;
        return out;
    }
    // Events at the observed rate r: the count is j on [j / r, (j + 1) / r). Within that
    // segment the bound upper_count(j) / t falls below the target once t > upper_count(j) /
    // target, so segment j can settle it iff upper_count(j) < target * (j + 1) / r. The slack
    // target * (j + 1) / r - upper_count(j) is convex in j (upper_count, about j + z sqrt(j),
    // is concave) and tends to +inf (r < target), so the j where it fails form one interval:
    // from k, find the first feasible j by doubling, then bisection.
    const double rate = out.observed_rate;
    const auto feasible = [&](double j) {
        return upper_count(j, confidence) < target * (j + 1.0) / rate;
    };
    double step = 1.0;
    double bad = kd;
    double good = kd;
    while (!feasible(good)) {
        bad = good;
        step *= 2.0;
        good = kd + step;
        if (step > max_future_events) {
            return out; // beyond the horizon: hours_needed stays empty
        }
    }
    while (good - bad > 1.0) {
        const double mid = std::floor((good + bad) / 2.0);
        if (feasible(mid)) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    const double segment_start = good / rate;
    const double settle = upper_count(good, confidence) / target;
    out.hours_needed = settle > segment_start ? settle : segment_start;
    return out;
}

} // namespace mdg::monitor
