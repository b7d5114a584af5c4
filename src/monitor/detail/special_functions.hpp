#pragma once

// Special functions behind the exact Poisson and binomial statistics in statistics.hpp.
// Written here rather than taken from a math library so the report has no numeric dependency;
// accurate to about 1e-12 relative for the arguments a report meets (counts below ~10^4), and
// to better than 1e-9 up to counts of ~10^6. All functions are pure and thread-safe.

#include <cstdint>

namespace mdg::monitor::detail {

/// A probability and its complement, each computed directly (not as 1 - the other), so that a
/// tail of 1e-300 is not lost to rounding.
struct tail_pair {
    double lower = 0; ///< P(X <= x) or I_x(a, b), depending on the function
    double upper = 0; ///< 1 - lower
};

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 1e-15 relative to Γ). Thread-safe, unlike
/// std::lgamma, which writes the global `signgam`. NaN for x <= 0.
[[nodiscard]] double log_gamma(double x) noexcept;

/// Regularized incomplete gamma functions P(a, x) (lower) and Q(a, x) = 1 - P(a, x), for a > 0
/// and x >= 0: a series for x < a + 1, a continued fraction (modified Lentz) otherwise.
/// Returns NaN for arguments outside the domain.
[[nodiscard]] tail_pair gamma_pq(double a, double x) noexcept;

/// The x >= 0 with P(a, x) = p, where the caller passes both p and q = 1 - p (as exactly as it
/// knows them: the smaller one is the one solved for). Newton steps inside a bisection bracket,
/// to 1e-15 relative. p = 0 gives 0, q = 0 gives +inf; NaN for a <= 0 or p, q outside [0, 1].
[[nodiscard]] double gamma_p_inverse(double a, double p, double q) noexcept;

/// Regularized incomplete beta function I_x(a, b) and its complement, for a, b > 0 and
/// 0 <= x <= 1 (continued fraction, evaluated on the side where it converges fast).
/// Returns NaN outside the domain.
[[nodiscard]] tail_pair beta_i(double a, double b, double x) noexcept;

/// Binomial(n, p) probability mass at k (0 for k > n), computed in log space.
[[nodiscard]] double binomial_pmf(std::uint64_t k, std::uint64_t n, double p) noexcept;

/// P(X <= k) and P(X > k) for X ~ Binomial(n, p), exact via the incomplete beta function.
[[nodiscard]] tail_pair binomial_cdf(std::uint64_t k, std::uint64_t n, double p) noexcept;

} // namespace mdg::monitor::detail
