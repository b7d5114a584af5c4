#include <gtest/gtest.h>

#include "model/decimal.hpp"

namespace mdg::model {
namespace {

decimal dec(std::string_view s) {
    auto r = decimal::parse(s);
    EXPECT_TRUE(r) << s;
    return r ? *r : decimal{};
}

TEST(DecimalTest, KeepsTheVenuesTextExactly) {
    EXPECT_EQ(dec("1142118412.9021").to_string(), "1142118412.9021");
    EXPECT_EQ(dec("-0.001624").to_string(), "-0.001624");
    EXPECT_EQ(dec("65114.20").to_string(), "65114.20");
    EXPECT_EQ(dec("8").to_string(), "8");
}

TEST(DecimalTest, ComparesByValue) {
    EXPECT_EQ(dec("65140"), dec("65140.00"));
    EXPECT_LT(dec("0.0001"), dec("0.001"));
    EXPECT_GT(dec("-0.5"), dec("-0.51"));
    EXPECT_NE(dec("1.01"), dec("1.1"));
}

TEST(DecimalTest, ConvertsToFixedWhenExact) {
    EXPECT_EQ(*dec("65114.2").to_fixed(2), 6511420);
    EXPECT_EQ(*dec("65114.20").to_fixed(1), 651142);
    EXPECT_FALSE(dec("65114.25").to_fixed(1));
}

TEST(DecimalTest, RejectsBadText) {
    EXPECT_FALSE(decimal::parse(""));
    EXPECT_FALSE(decimal::parse("abc"));
    EXPECT_FALSE(decimal::parse("1.0000000000000000000")); // 19 fractional digits
    EXPECT_FALSE(decimal::parse("99999999999999999999"));
}

} // namespace
} // namespace mdg::model
