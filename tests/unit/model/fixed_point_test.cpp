#include <limits>

#include <gtest/gtest.h>

#include "model/fixed_point.hpp"

namespace mdg::model {
namespace {

std::int64_t parse_ok(std::string_view s, std::uint8_t d, bool neg = false) {
    auto r = parse_fixed(s, d, neg);
    EXPECT_TRUE(r) << s;
    return r ? *r : 0;
}

errc parse_err(std::string_view s, std::uint8_t d, bool neg = false) {
    auto r = parse_fixed(s, d, neg);
    EXPECT_FALSE(r) << s;
    return r ? errc::ok : static_cast<errc>(r.error().value());
}

TEST(FixedPointTest, PaddedAndTrimmedFormsDecodeToTheSameValue) {
    // Linear pads to the tick, spot trims: docs/venues/bybit.md.
    EXPECT_EQ(parse_ok("65140.00", 2), 6514000);
    EXPECT_EQ(parse_ok("65140", 2), 6514000);
    EXPECT_EQ(parse_ok("65140.4", 2), 6514040);
    EXPECT_EQ(parse_ok("65140.40", 2), 6514040);
    EXPECT_EQ(parse_ok("0.005", 8), 500000);
    EXPECT_EQ(parse_ok("77.260", 3), 77260);
    EXPECT_EQ(parse_ok("0", 8), 0);
    EXPECT_EQ(parse_ok("000123.4500000000", 2), 12345);
}

TEST(FixedPointTest, RejectsWhatIsNotAPlainDecimal) {
    EXPECT_EQ(parse_err("", 2), errc::invalid_number);
    EXPECT_EQ(parse_err(".", 2), errc::invalid_number);
    EXPECT_EQ(parse_err("-", 2, true), errc::invalid_number);
    EXPECT_EQ(parse_err("1e5", 2), errc::invalid_number);
    EXPECT_EQ(parse_err("12a", 2), errc::invalid_number);
    EXPECT_EQ(parse_err(" 1", 2), errc::invalid_number);
    EXPECT_EQ(parse_err("1.2.3", 2), errc::invalid_number);
    EXPECT_EQ(parse_err("+1", 2), errc::invalid_number);
    EXPECT_EQ(parse_err("NaN", 2), errc::invalid_number);
}

TEST(FixedPointTest, NegativeOnlyWhenAllowed) {
    EXPECT_EQ(parse_err("-0.5", 2), errc::negative_value);
    EXPECT_EQ(parse_ok("-0.5", 2, true), -50);
    EXPECT_EQ(parse_ok("-0", 2), 0); // negative zero is zero
}

TEST(FixedPointTest, PrecisionBeyondTheInstrumentIsAnError) {
    EXPECT_EQ(parse_err("1.001", 2), errc::precision_exceeded);
    EXPECT_EQ(parse_ok("1.000000", 2), 100); // zeros beyond the precision are fine
}

TEST(FixedPointTest, OverflowIsDetectedNotWrapped) {
    EXPECT_EQ(parse_ok("9223372036854775807", 0), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_err("9223372036854775808", 0), errc::number_too_long);
    EXPECT_EQ(parse_err("92233720368547758070", 0), errc::number_too_long);
    EXPECT_EQ(parse_err("100000000000", 8), errc::number_too_long); // 1e11 at 10^-8 > int64
    EXPECT_EQ(parse_err("1", 19), errc::invalid_argument);
}

TEST(FixedPointTest, FormatsPaddedOrTrimmed) {
    EXPECT_EQ(to_fixed_string(6514000, 2, false), "65140.00");
    EXPECT_EQ(to_fixed_string(6514000, 2, true), "65140");
    EXPECT_EQ(to_fixed_string(6514040, 2, true), "65140.4");
    EXPECT_EQ(to_fixed_string(5, 3, false), "0.005");
    EXPECT_EQ(to_fixed_string(0, 3, true), "0");
    EXPECT_EQ(to_fixed_string(0, 0, false), "0");
    EXPECT_EQ(to_fixed_string(-1624, 6, false), "-0.001624");
    EXPECT_EQ(to_fixed_string(std::numeric_limits<std::int64_t>::min(), 0, false),
              "-9223372036854775808");
    EXPECT_EQ(to_fixed_string(std::numeric_limits<std::int64_t>::max(), 18, false),
              "9.223372036854775807");
}

TEST(FixedPointTest, RoundTripsExactly) {
    for (std::string_view s : {"65114.20", "0.00000001", "1142118412.9021", "12.5", "7"}) {
        const auto dot = s.find('.');
        const auto d =
            static_cast<std::uint8_t>(dot == std::string_view::npos ? 0 : s.size() - dot - 1);
        EXPECT_EQ(to_fixed_string(parse_ok(s, d), d, false), s);
    }
    // Every value at 10^-8 between 0 and 2 in coarse steps round-trips through text.
    for (std::int64_t v = 0; v < 200'000'000; v += 9'999'991) {
        EXPECT_EQ(parse_ok(to_fixed_string(v, 8, true), 8), v);
        EXPECT_EQ(parse_ok(to_fixed_string(v, 8, false), 8), v);
    }
}

} // namespace
} // namespace mdg::model
