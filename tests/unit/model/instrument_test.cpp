#include <gtest/gtest.h>

#include "model/instrument.hpp"

namespace mdg::model {
namespace {

TEST(InstrumentRegistryTest, InternsOncePerVenueCategoryAndSymbol) {
    instrument_registry reg;
    const auto a = reg.intern(venue::bybit, category::linear, "BTCUSDT", {2, 3});
    const auto b = reg.intern(venue::bybit, category::spot, "BTCUSDT");
    EXPECT_NE(a, b);
    EXPECT_EQ(reg.intern(venue::bybit, category::linear, "BTCUSDT"), a);
    EXPECT_EQ(reg.info(a).spec, (instrument_spec{2, 3})); // the first spec stays
    EXPECT_EQ(reg.info(b).spec, default_spec);
    EXPECT_EQ(reg.info(a).symbol, "BTCUSDT");
    EXPECT_EQ(reg.size(), 2U);
}

TEST(InstrumentRegistryTest, FindDoesNotAdd) {
    instrument_registry reg;
    EXPECT_FALSE(reg.find(venue::bybit, category::linear, "ETHUSDT"));
    const auto id = reg.intern(venue::bybit, category::linear, "ETHUSDT");
    EXPECT_EQ(reg.find(venue::bybit, category::linear, "ETHUSDT"), id);
    EXPECT_FALSE(reg.find(venue::bybit, category::inverse, "ETHUSDT"));
    EXPECT_EQ(reg.size(), 1U);
}

TEST(CategoryTest, ParsesItsNames) {
    EXPECT_EQ(parse_category("spot"), category::spot);
    EXPECT_EQ(parse_category("inverse"), category::inverse);
    EXPECT_FALSE(parse_category("Linear"));
    EXPECT_EQ(to_string(category::option), "option");
}

} // namespace
} // namespace mdg::model
