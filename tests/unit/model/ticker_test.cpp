#include <gtest/gtest.h>

#include "model/ticker.hpp"

namespace mdg::model {
namespace {

decimal dec(std::string_view s) {
    return *decimal::parse(s);
}

TEST(TickerFieldsTest, MergeCopiesOnlyPresentFields) {
    ticker_fields snap;
    snap.set(ticker_field::last_price, dec("65114.30"));
    snap.set(ticker_field::bid1_price, dec("65114.20"));
    snap.set(ticker_field::funding_rate, dec("0.0001"));
    snap.set_empty(ticker_field::pre_open_price);
    snap.direction = tick_direction::zero_plus_tick;
    snap.has_direction = true;

    ticker_fields delta;
    delta.set(ticker_field::bid1_price, dec("65114.10"));
    delta.set(ticker_field::pre_open_price, dec("1"));

    snap.merge(delta);
    EXPECT_EQ(snap.get(ticker_field::last_price), dec("65114.3"));
    EXPECT_EQ(snap.get(ticker_field::bid1_price), dec("65114.1"));
    EXPECT_EQ(snap.get(ticker_field::funding_rate), dec("0.0001"));
    EXPECT_FALSE(snap.is_empty(ticker_field::pre_open_price));
    EXPECT_EQ(snap.direction, tick_direction::zero_plus_tick);
    EXPECT_EQ(snap.count(), 4);
    EXPECT_FALSE(snap.has(ticker_field::mark_price));
}

TEST(TickerFieldsTest, EmptyValuesMergeAsEmpty) {
    ticker_fields snap;
    snap.set(ticker_field::funding_rate, dec("0.0001"));
    ticker_fields delta;
    delta.set_empty(ticker_field::funding_rate);
    snap.merge(delta);
    EXPECT_TRUE(snap.has(ticker_field::funding_rate));
    EXPECT_TRUE(snap.is_empty(ticker_field::funding_rate));
}

TEST(TickerFieldsTest, EveryFieldHasAName) {
    for (std::size_t i = 0; i < ticker_field_count; ++i) {
        EXPECT_NE(to_string(static_cast<ticker_field>(i)), "unknown");
    }
}

} // namespace
} // namespace mdg::model
