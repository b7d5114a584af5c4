#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "monitor/detail/special_functions.hpp"

namespace mdg::monitor::detail {
namespace {

// Reference values from mpmath at 40 digits (gammainc / betainc, regularized).
constexpr double rel = 1e-12;

void expect_rel(double actual, double expected, double tolerance = rel) {
    EXPECT_NEAR(actual, expected, tolerance * std::fabs(expected)) << "expected " << expected;
}

TEST(SpecialFunctionsTest, LogGammaMatchesFactorialsAndHalfIntegers) {
    expect_rel(log_gamma(1.0) + 1.0, 1.0); // ln Γ(1) = 0
    expect_rel(log_gamma(5.0), std::log(24.0));
    expect_rel(log_gamma(0.5), 0.5 * std::log(3.14159265358979323846));
    expect_rel(log_gamma(171.0), 706.5730622457873); // ln 170!
    EXPECT_TRUE(std::isnan(log_gamma(0.0)));
    EXPECT_TRUE(std::isnan(log_gamma(-1.0)));
}

TEST(SpecialFunctionsTest, IncompleteGammaMatchesReferenceOnBothSides) {
    struct row {
        double a, x, p, q;
    };
    const row rows[] = {
        {0.5, 0.1, 0.34527915398142297956, 0.65472084601857702044},
        {1, 1, 0.6321205588285576784, 0.3678794411714423216},
        {3, 2.5, 0.456186884116670482, 0.543813115883329518},
        {10, 15, 0.93014633930059023231, 0.069853660699409767692},
        {100, 90, 0.1582209891864301681, 0.8417790108135698319},
        {0.1, 5, 0.99985606103415326601, 0.00014393896584673399492},
        {50, 50, 0.51880831547204328189, 0.48119168452795671811},
    };
    for (const row& r : rows) {
        const tail_pair t = gamma_pq(r.a, r.x);
        expect_rel(t.lower, r.p);
        expect_rel(t.upper, r.q);
    }
    // Large shape: the prefactor's cancellation costs a few digits, still far below 1e-9.
    const tail_pair big = gamma_pq(1e4, 1e4 + 50);
    expect_rel(big.lower, 0.69234244070256555786, 1e-10);
    expect_rel(big.upper, 0.30765755929743444214, 1e-10);
}

TEST(SpecialFunctionsTest, IncompleteGammaEdgesAndDomain) {
    EXPECT_EQ(gamma_pq(2.0, 0.0).lower, 0.0);
    EXPECT_EQ(gamma_pq(2.0, 0.0).upper, 1.0);
    EXPECT_EQ(gamma_pq(2.0, std::numeric_limits<double>::infinity()).lower, 1.0);
    EXPECT_TRUE(std::isnan(gamma_pq(0.0, 1.0).lower));
    EXPECT_TRUE(std::isnan(gamma_pq(1.0, -1.0).lower));
    EXPECT_TRUE(std::isnan(gamma_pq(std::nan(""), 1.0).lower));
}

TEST(SpecialFunctionsTest, InverseGammaRoundTrips) {
    for (double a : {0.3, 1.0, 2.0, 11.0, 24.0, 101.0, 1001.0}) {
        for (double p : {1e-12, 0.025, 0.05, 0.5, 0.95, 0.975}) {
            const double x = gamma_p_inverse(a, p, 1.0 - p);
            const tail_pair t = gamma_pq(a, x);
            // Check on the smaller tail, where the inverse is solved.
            if (p <= 0.5) {
                expect_rel(t.lower, p, 1e-11);
            } else {
                expect_rel(t.upper, 1.0 - p, 1e-11);
            }
        }
    }
    // P(1, x) = 1 - e^-x, so the inverse is -ln(q).
    expect_rel(gamma_p_inverse(1.0, 0.95, 0.05), -std::log(0.05));
    EXPECT_EQ(gamma_p_inverse(3.0, 0.0, 1.0), 0.0);
    EXPECT_TRUE(std::isinf(gamma_p_inverse(3.0, 1.0, 0.0)));
    EXPECT_TRUE(std::isnan(gamma_p_inverse(-1.0, 0.5, 0.5)));
    EXPECT_TRUE(std::isnan(gamma_p_inverse(1.0, 1.5, -0.5)));
}

TEST(SpecialFunctionsTest, IncompleteBetaMatchesReference) {
    struct row {
        double a, b, x, lower, upper;
    };
    const row rows[] = {
        {2, 3, 0.4, 0.52480000000000003837, 0.47519999999999996163},
        {0.5, 0.5, 0.3, 0.36901011956554537504, 0.63098988043445462496},
        {10, 20, 0.2, 0.049263517304212517028, 0.95073648269578748297},
        {100, 50, 0.7, 0.80544816622775348609, 0.19455183377224651391},
        {26, 1, 0.5, 1.490116119384765625e-8, 0.99999998509883880615}, // = 2^-26
    };
    for (const row& r : rows) {
        const tail_pair t = beta_i(r.a, r.b, r.x);
        expect_rel(t.lower, r.lower);
        expect_rel(t.upper, r.upper);
    }
    EXPECT_TRUE(std::isnan(beta_i(0.0, 1.0, 0.5).lower));
    EXPECT_TRUE(std::isnan(beta_i(1.0, 1.0, 1.5).lower));
}

TEST(SpecialFunctionsTest, BinomialCdfEqualsTheSumOfTheMassFunction) {
    // Direct summation with exact binomial coefficients for small n, on both branches
    // (p <= 0.5 and p > 0.5).
    for (double p : {0.1, 1.0 / 3.0, 0.5, 0.8}) {
        const std::uint64_t n = 30;
        double coeff = 1.0; // C(n, k), exact in double for n = 30
        double sum = 0.0;
        for (std::uint64_t k = 0; k <= n; ++k) {
            const double pmf = coeff * std::pow(p, static_cast<double>(k)) *
                               std::pow(1.0 - p, static_cast<double>(n - k));
            expect_rel(binomial_pmf(k, n, p), pmf, 1e-12);
            sum += pmf;
            const tail_pair t = binomial_cdf(k, n, p);
            expect_rel(t.lower, sum, 1e-11);
            EXPECT_NEAR(t.lower + t.upper, 1.0, 1e-15);
            coeff = coeff * static_cast<double>(n - k) / static_cast<double>(k + 1);
        }
    }
    // A tail far below double's epsilon survives (P(X > 0) for p = 1e-20: n p).
    expect_rel(binomial_cdf(0, 10, 1e-20).upper, 1e-19, 1e-9);
    EXPECT_EQ(binomial_cdf(10, 10, 0.3).lower, 1.0);
    EXPECT_EQ(binomial_pmf(11, 10, 0.3), 0.0);
}

} // namespace
} // namespace mdg::monitor::detail
