#include "monitor/detail/special_functions.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <numbers>

namespace mdg::monitor::detail {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr double tiny = std::numeric_limits<double>::min() / eps; // Lentz's "never divide by 0"
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
// Both the series and the continued fractions need about sqrt(a) terms; this bounds the work
// for absurd inputs (counts near 2^53) without affecting any count a report can meet.
constexpr int max_iterations = 20'000'000;

// ln(x^a e^-x / Γ(a)): the common factor of P and Q.
double gamma_log_prefactor(double a, double x) noexcept {
    return a * std::log(x) - x - log_gamma(a);
}

// Σ x^n / (a (a+1) ... (a+n)), so that P(a, x) = prefactor * series. Converges for all x, fast
// for x < a + 1.
double gamma_series(double a, double x) noexcept {
    double ap = a;
    double term = 1.0 / a;
    double sum = term;
    for (int n = 0; n < max_iterations; ++n) {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if (std::fabs(term) < std::fabs(sum) * eps) {
            break;
        }
    }
    return sum;
}

// Continued fraction for Q(a, x) / prefactor (modified Lentz), fast for x >= a + 1.
double gamma_continued_fraction(double a, double x) noexcept {
    double b = x + 1.0 - a;
    double c = 1.0 / tiny;
    double d = 1.0 / b;
    double h = d;
    for (int i = 1; i < max_iterations; ++i) {
        const double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (std::fabs(d) < tiny) {
            d = tiny;
        }
        c = b + an / c;
        if (std::fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1.0) < eps) {
            break;
        }
    }
    return h;
}

// Continued fraction for I_x(a, b) * a / prefactor (modified Lentz), fast for
// x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) noexcept {
    const double qab = a + b;
    const double qap = a + 1.0;
    const double qam = a - 1.0;
    double c = 1.0;
    double d = 1.0 - qab * x / qap;
    if (std::fabs(d) < tiny) {
        d = tiny;
    }
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < max_iterations; ++m) {
        const double md = m;
        const double m2 = 2.0 * md;
        double aa = md * (b - md) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (std::fabs(d) < tiny) {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if (std::fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (std::fabs(d) < tiny) {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if (std::fabs(c) < tiny) {
            c = tiny;
        }
        d = 1.0 / d;
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1.0) < eps) {
            break;
        }
    }
    return h;
}

} // namespace

double log_gamma(double x) noexcept {
    if (!(x > 0.0)) {
        return nan;
    }
    if (std::isinf(x)) {
        return inf;
    }
    if (x < 0.5) {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return std::log(std::numbers::pi / std::sin(std::numbers::pi * x)) - log_gamma(1.0 - x);
    }
    static constexpr double g = 7.0;
    static constexpr std::array<double, 9> coef{
        0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
        771.32342877765313,   -176.61502916214059,   12.507343278686905,
        -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    const double z = x - 1.0;
    double sum = coef[0];
    for (std::size_t i = 1; i < coef.size(); ++i) {
        sum += coef[i] / (z + static_cast<double>(i));
    }
    const double t = z + g + 0.5;
    return 0.5 * std::log(2.0 * std::numbers::pi) + (z + 0.5) * std::log(t) - t + std::log(sum);
}

tail_pair gamma_pq(double a, double x) noexcept {
    if (!(a > 0.0) || !(x >= 0.0) || std::isinf(a)) {
        return {nan, nan};
    }
    if (x == 0.0) {
        return {0.0, 1.0};
    }
    if (std::isinf(x)) {
        return {1.0, 0.0};
    }
    const double prefactor = std::exp(gamma_log_prefactor(a, x));
    if (x < a + 1.0) {
        const double p = prefactor * gamma_series(a, x);
        return {p, 1.0 - p};
    }
    const double q = prefactor * gamma_continued_fraction(a, x);
    return {1.0 - q, q};
}

double gamma_p_inverse(double a, double p, double q) noexcept {
    if (!(a > 0.0) || std::isinf(a) || !(p >= 0.0 && p <= 1.0) || !(q >= 0.0 && q <= 1.0)) {
        return nan;
    }
    if (p == 0.0) {
        return 0.0;
    }
    if (q == 0.0) {
        return inf;
    }
    // Solve on the smaller tail: f(x) = P(a, x) - p = q - Q(a, x), increasing in x.
    const bool on_q = q < p;
    const auto f = [&](double x) {
        const tail_pair t = gamma_pq(a, x);
        return on_q ? q - t.upper : t.lower - p;
    };
    double lo = 0.0;
    double hi = a > 1.0 ? a : 1.0;
    while (f(hi) < 0.0) {
        lo = hi;
        hi *= 2.0;
        if (std::isinf(hi)) {
            return inf;
        }
    }
    double x = 0.5 * (lo + hi);
    for (int i = 0; i < 400; ++i) {
        const double fx = f(x);
        if (fx == 0.0) {
            return x;
        }
        if (fx < 0.0) {
            lo = x;
        } else {
            hi = x;
        }
        // dP/dx = x^(a-1) e^-x / Γ(a).
        const double slope = std::exp((a - 1.0) * std::log(x) - x - log_gamma(a));
        double next = slope > 0.0 ? x - fx / slope : lo - 1.0;
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        if (std::fabs(next - x) <= 1e-15 * next || hi - lo <= 1e-15 * hi) {
            return next;
        }
        x = next;
    }
    return x;
}

tail_pair beta_i(double a, double b, double x) noexcept {
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || std::isinf(a) || std::isinf(b)) {
        return {nan, nan};
    }
    if (x == 0.0) {
        return {0.0, 1.0};
    }
    if (x == 1.0) {
        return {1.0, 0.0};
    }
    const double log_prefactor =
        log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * std::log(x) + b * std::log1p(-x);
    const double prefactor = std::exp(log_prefactor);
    if (x < (a + 1.0) / (a + b + 2.0)) {
        const double v = prefactor * beta_continued_fraction(a, b, x) / a;
        return {v, 1.0 - v};
    }
    // I_x(a, b) = 1 - I_{1-x}(b, a).
    const double v = prefactor * beta_continued_fraction(b, a, 1.0 - x) / b;
    return {1.0 - v, v};
}

double binomial_pmf(std::uint64_t k, std::uint64_t n, double p) noexcept {
    if (k > n || !(p >= 0.0 && p <= 1.0)) {
        return k > n ? 0.0 : nan;
    }
    if (p == 0.0) {
        return k == 0 ? 1.0 : 0.0;
    }
    if (p == 1.0) {
        return k == n ? 1.0 : 0.0;
    }
    const auto kd = static_cast<double>(k);
    const auto nd = static_cast<double>(n);
    const double log_choose = log_gamma(nd + 1.0) - log_gamma(kd + 1.0) - log_gamma(nd - kd + 1.0);
    return std::exp(log_choose + kd * std::log(p) + (nd - kd) * std::log1p(-p));
}

tail_pair binomial_cdf(std::uint64_t k, std::uint64_t n, double p) noexcept {
    if (!(p >= 0.0 && p <= 1.0)) {
        return {nan, nan};
    }
    if (k >= n || p == 0.0) {
        return {1.0, 0.0};
    }
    if (p == 1.0) {
        return {0.0, 1.0};
    }
    const auto kd = static_cast<double>(k);
    const auto nd = static_cast<double>(n);
    if (p <= 0.5) {
        // P(X > k) = I_p(k + 1, n - k).
        const tail_pair t = beta_i(kd + 1.0, nd - kd, p);
        return {t.upper, t.lower};
    }
    // P(X <= k) = I_{1-p}(n - k, k + 1); 1 - p is exact for p >= 0.5.
    return beta_i(nd - kd, kd + 1.0, 1.0 - p);
}

} // namespace mdg::monitor::detail
