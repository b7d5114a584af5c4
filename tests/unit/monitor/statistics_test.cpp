#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "monitor/statistics.hpp"

namespace mdg::monitor {
namespace {

// Reference values: mpmath at 40 digits, bisecting the regularized incomplete gamma function
// (Garwood: lower = P^-1(k, α/2), upper = P^-1(k + 1, 1 - α/2), per unit of exposure).
constexpr double rel = 1e-9; // the accuracy the statistics promise

void expect_rel(double actual, double expected, double tolerance = rel) {
    EXPECT_NEAR(actual, expected, tolerance * std::fabs(expected)) << "expected " << expected;
}

TEST(PoissonIntervalTest, GarwoodTwoSidedMatchesKnownValues) {
    struct row {
        std::uint64_t k;
        double lower, upper;
    };
    const row rows[] = {
        {0, 0.0, 3.6888794541139354}, // -ln(0.025)
        {1, 0.025317807984289898, 5.5716433909388975},
        {2, 0.24220927854396502, 7.2246876677239596},
        {10, 4.7953886961324344, 18.390356042017777},
        {23, 14.580027037044682, 34.511292894833036},
        {100, 81.363991250923144, 121.62679379242639},
        {1000, 938.97301840769523, 1063.952136016302},
    };
    for (const row& r : rows) {
        const auto ci = poisson_interval(r.k, 1.0);
        ASSERT_TRUE(ci) << r.k;
        EXPECT_EQ(ci->rate, static_cast<double>(r.k));
        EXPECT_EQ(ci->confidence, 0.95);
        if (r.k == 0) {
            EXPECT_EQ(ci->lower, 0.0);
        } else {
            expect_rel(ci->lower, r.lower);
        }
        expect_rel(ci->upper, r.upper);
    }
    // The textbook rounding: k = 1 -> (0.0253, 5.572), k = 10 -> (4.795, 18.39).
    EXPECT_NEAR(poisson_interval(1, 1.0)->lower, 0.0253, 5e-5);
    EXPECT_NEAR(poisson_interval(1, 1.0)->upper, 5.572, 5e-4);
    EXPECT_NEAR(poisson_interval(10, 1.0)->lower, 4.795, 5e-4);
    EXPECT_NEAR(poisson_interval(10, 1.0)->upper, 18.39, 5e-3);
}

TEST(PoissonIntervalTest, ScalesWithExposure) {
    // 10 events in 2 h: the count interval divided by 2 h.
    const auto ci = poisson_interval(10, 2.0);
    ASSERT_TRUE(ci);
    EXPECT_EQ(ci->rate, 5.0);
    expect_rel(ci->lower, 4.7953886961324344 / 2.0);
    expect_rel(ci->upper, 18.390356042017777 / 2.0);
}

TEST(PoissonIntervalTest, OneSidedBounds) {
    // k = 0: -ln(0.05) = 2.9957 per unit of exposure ("3.0 / T").
    expect_rel(*poisson_upper_one_sided(0, 1.0), 2.9957322735539901);
    expect_rel(*poisson_upper_one_sided(1, 1.0), 4.7438645183905773);
    expect_rel(*poisson_upper_one_sided(10, 1.0), 16.9622192357219);
    EXPECT_EQ(*poisson_lower_one_sided(0, 1.0), 0.0);
    expect_rel(*poisson_lower_one_sided(1, 1.0), 0.05129329438755058); // -ln(0.95)
    expect_rel(*poisson_lower_one_sided(10, 1.0), 5.4254056970912935);
    // At 99 %, k = 0: -ln(0.01).
    expect_rel(*poisson_upper_one_sided(0, 1.0, 0.99), -std::log(0.01));
}

TEST(PoissonIntervalTest, TheOldReportsZeroInTwentyFiveMinutes) {
    // "0 errors in 25 minutes = 0/hour" was the old report's claim. The honest statement:
    // the rate is below 2.9957 / (25/60 h) = 7.19 per hour at 95 %, "about 7 per hour".
    const auto upper = poisson_upper_one_sided(0, 25.0 / 60.0);
    ASSERT_TRUE(upper);
    expect_rel(*upper, 7.1897574565295763);
}

TEST(PoissonIntervalTest, RejectsInvalidArguments) {
    const auto is_invalid = [](const auto& r) {
        return !r && r.error() == make_error_code(errc::invalid_argument);
    };
    EXPECT_TRUE(is_invalid(poisson_interval(1, 0.0)));
    EXPECT_TRUE(is_invalid(poisson_interval(1, -1.0)));
    EXPECT_TRUE(is_invalid(poisson_interval(1, std::numeric_limits<double>::infinity())));
    EXPECT_TRUE(is_invalid(poisson_interval(1, std::nan(""))));
    EXPECT_TRUE(is_invalid(poisson_interval(1, 1.0, 1.0)));
    EXPECT_TRUE(is_invalid(poisson_interval(1, 1.0, 0.0)));
    EXPECT_TRUE(is_invalid(poisson_upper_one_sided(1, 1.0, std::nan(""))));
    EXPECT_TRUE(is_invalid(poisson_lower_one_sided(std::uint64_t{1} << 60U, 1.0)));
}

TEST(RateComparisonTest, TwentyFiveBeforeAndNoneAfter) {
    // Baseline 25 events in 1 h, now 0 events in 0.5 h. Given n = 25 events in all, under
    // equal rates each falls in the current window with p = 0.5 / (0.5 + 1) = 1/3, so
    //   P(K_now <= 0) = (1 - 1/3)^25 = (1 / (1 + 0.5))^25 = (2/3)^25 = 3.9602e-5.
    // Two-sided (R's binom.test): outcomes no more likely than 0 are 0 and 19..25:
    //   (2/3)^25 + P(K >= 19) = 5.5248e-5 (mpmath).
    // Ratio bound: π_U solves (1 - π)^25 = 0.05, π_U = 1 - 0.05^(1/25); ratio_upper =
    //   π_U / (1 - π_U) * (1 h / 0.5 h) = 2 (0.05^(-1/25) - 1) = 0.2546: the rate fell by at
    //   least 74.5 % at 95 %.
    const auto c = rate_comparison(25, 1.0, 0, 0.5);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->rate_base, 25.0);
    EXPECT_EQ(c->rate_now, 0.0);
    ASSERT_TRUE(c->rate_ratio);
    EXPECT_EQ(*c->rate_ratio, 0.0);
    expect_rel(c->p_value_decrease, std::pow(2.0 / 3.0, 25));
    expect_rel(c->p_value_decrease, 0.000039602128042366089779);
    EXPECT_EQ(c->p_value_increase, 1.0);
    expect_rel(c->p_value_two_sided, 0.000055248049458345915388);
    expect_rel(c->ratio_upper, 2.0 * (std::pow(0.05, -1.0 / 25.0) - 1.0));
    expect_rel(c->ratio_upper, 0.25460878816342194071);
    EXPECT_EQ(c->ratio_lower, 0.0);
}

TEST(RateComparisonTest, ASmallDropIsNotSignificant) {
    // 30 in 12 h (2.5/h) against 2 in 2 h (1/h): n = 32, p = 2/14.
    // P(K <= 2) = 0.14492, P(K >= 2) = 0.95436, two-sided 0.30800 (mpmath sums).
    const auto c = rate_comparison(30, 12.0, 2, 2.0);
    ASSERT_TRUE(c);
    expect_rel(*c->rate_ratio, 0.4);
    expect_rel(c->p_value_decrease, 0.14492349441296335961);
    expect_rel(c->p_value_increase, 0.95436110949426015747);
    expect_rel(c->p_value_two_sided, 0.30799550378553238444);
    EXPECT_GT(c->ratio_upper, 1.0); // a 60 % drop in the point estimate, but not shown
    EXPECT_GT(c->ratio_lower, 0.0);
    EXPECT_LT(c->ratio_lower, 0.4);
}

TEST(RateComparisonTest, AnIncreaseOnTheOtherBranchOfTheTwoSidedTest) {
    // 10 in 1 h against 20 in 1 h: n = 30, p = 1/2, k_now above the mean (mpmath sums).
    const auto c = rate_comparison(10, 1.0, 20, 1.0);
    ASSERT_TRUE(c);
    expect_rel(c->p_value_decrease, 0.97861302737146615982);
    expect_rel(c->p_value_increase, 0.049368573352694511414);
    expect_rel(c->p_value_two_sided, 0.098737146705389022827); // symmetric: 2 * one tail
    EXPECT_GT(c->ratio_lower, 1.0 - 1e-12 - 1.0);              // positive
    EXPECT_LT(c->ratio_lower, 2.0);
    EXPECT_GT(c->ratio_upper, 2.0);
}

TEST(RateComparisonTest, DegenerateCounts) {
    const auto none = rate_comparison(0, 1.0, 0, 1.0);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->rate_ratio);
    EXPECT_EQ(none->p_value_decrease, 1.0);
    EXPECT_EQ(none->p_value_two_sided, 1.0);
    EXPECT_TRUE(std::isinf(none->ratio_upper));

    const auto from_zero = rate_comparison(0, 1.0, 3, 1.0);
    ASSERT_TRUE(from_zero);
    EXPECT_FALSE(from_zero->rate_ratio);
    EXPECT_TRUE(std::isinf(from_zero->ratio_upper));
    EXPECT_GT(from_zero->ratio_lower, 0.0);
    expect_rel(from_zero->p_value_increase, 0.125); // (1/2)^3
    EXPECT_EQ(from_zero->p_value_decrease, 1.0);

    EXPECT_FALSE(rate_comparison(1, 0.0, 1, 1.0));
    EXPECT_FALSE(rate_comparison(1, 1.0, 1, -1.0));
    EXPECT_FALSE(rate_comparison(1, 1.0, 1, 1.0, 2.0));
}

TEST(TargetVerdictTest, ZeroInTwentyFiveMinutesIsNotYetDemonstrable) {
    // Target < 1 handler timeout per hour; 0 seen in 25 minutes. Upper bound 7.19/h > 1/h:
    // not yet demonstrable, and at 0 events it takes 2.9957 / 1 = 3.0 h in total.
    const auto v = target_verdict(0, 25.0 / 60.0, 1.0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->outcome, verdict::not_yet_demonstrable);
    EXPECT_EQ(to_string(v->outcome), "not_yet_demonstrable");
    EXPECT_TRUE(v->demonstrable);
    expect_rel(v->upper, 7.1897574565295763);
    ASSERT_TRUE(v->hours_needed);
    expect_rel(*v->hours_needed, 2.9957322735539901);
}

TEST(TargetVerdictTest, MetAndNotMet) {
    // 0 in 4 h: upper 0.749/h < 1/h.
    const auto met = target_verdict(0, 4.0, 1.0);
    ASSERT_TRUE(met);
    EXPECT_EQ(met->outcome, verdict::met);
    EXPECT_FALSE(met->hours_needed);
    // 23 in 1 h against < 10/h: lower one-sided bound 15.72/h > 10.
    const auto bad = target_verdict(23, 1.0, 10.0);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->outcome, verdict::not_met);
    expect_rel(bad->lower, 15.719497633348526);
    EXPECT_FALSE(bad->demonstrable);
    EXPECT_FALSE(bad->hours_needed);
}

TEST(TargetVerdictTest, AnObservedRateAtTheTargetCanNeverBeShownBelowIt) {
    // 2 in 1 h against < 2/h: neither bound settles it, and more time at 2/h never will.
    const auto v = target_verdict(2, 1.0, 2.0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->outcome, verdict::not_yet_demonstrable);
    EXPECT_FALSE(v->demonstrable);
    EXPECT_FALSE(v->hours_needed);
    // A zero target is never met: no finite window shows a rate of exactly 0.
    const auto zero = target_verdict(0, 100.0, 0.0);
    ASSERT_TRUE(zero);
    EXPECT_EQ(zero->outcome, verdict::not_yet_demonstrable);
    EXPECT_FALSE(zero->demonstrable);
    EXPECT_EQ(target_verdict(1, 100.0, 0.0)->outcome, verdict::not_met);
}

TEST(TargetVerdictTest, HoursNeededWhenEventsKeepArriving) {
    // 10 in 1 h against < 16/h: upper 16.96/h. Still 10 events (the 11th is due at 1.1 h),
    // the bound drops below 16 at 16.962 / 16 = 1.0601 h.
    const auto soon = target_verdict(10, 1.0, 16.0);
    ASSERT_TRUE(soon);
    EXPECT_EQ(soon->outcome, verdict::not_yet_demonstrable);
    ASSERT_TRUE(soon->hours_needed);
    expect_rel(*soon->hours_needed, 16.9622192357219 / 16.0);

    // 2 in 1 h against < 3/h: events at 2/h. Brute force in mpmath over j = 2, 3, ...: the
    // first segment [j/2, (j+1)/2) containing upper(j) / 3 is j = 12, at 6.4809 h.
    const auto later = target_verdict(2, 1.0, 3.0);
    ASSERT_TRUE(later);
    ASSERT_TRUE(later->hours_needed);
    expect_rel(*later->hours_needed, 6.4808564433050061);
    // Whatever the time, the bound there is just below the target and the count is floor(2t).
    const double t = *later->hours_needed * (1 + 1e-12);
    const auto count = static_cast<std::uint64_t>(std::floor(2.0 * t));
    EXPECT_LT(*poisson_upper_one_sided(count, t), 3.0);
    const double before = *later->hours_needed * (1 - 1e-9);
    const auto count_before = static_cast<std::uint64_t>(std::floor(2.0 * before));
    EXPECT_GE(*poisson_upper_one_sided(count_before, before), 3.0);
}

TEST(TargetVerdictTest, RejectsInvalidTargets) {
    EXPECT_FALSE(target_verdict(0, 1.0, -1.0));
    EXPECT_FALSE(target_verdict(0, 1.0, std::nan("")));
    EXPECT_FALSE(target_verdict(0, 1.0, std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(target_verdict(0, 0.0, 1.0));
}

} // namespace
} // namespace mdg::monitor
