// Choosing the symbols at start by 24 h activity: ranking, ties, exclusions, the minimum
// turnover, fewer candidates than asked for, a symbol listed twice.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/symbol_select.hpp"

namespace mdg::gateway {
namespace {

using exchange::bybit::rest_ticker_row;

model::decimal dec(std::string_view s) {
    return model::decimal::parse(s).value();
}

rest_ticker_row row(std::string symbol, std::string_view turnover, std::string_view volume) {
    return {std::move(symbol), dec(turnover), dec(volume)};
}

std::vector<std::string> names(const std::vector<selected_symbol>& s) {
    std::vector<std::string> out;
    for (const auto& x : s) {
        out.push_back(x.symbol);
    }
    return out;
}

const std::vector<rest_ticker_row> rows{
    row("ETHUSDT", "900000000.5", "300000"),   row("BTCUSDT", "2000000000", "30000"),
    row("SOLUSDT", "150000000", "1000000"),    row("USDCUSDT", "5000000000", "5000000000"),
    row("DOGEUSDT", "150000000", "900000000"), row("TINYUSDT", "999", "1")};

TEST(SymbolSelectTest, TheTopByTurnoverDescendingWithTiesByName) {
    selection_options o;
    o.top = 4;
    const auto s = choose_symbols(rows, o);
    EXPECT_EQ(names(s), (std::vector<std::string>{"USDCUSDT", "BTCUSDT", "ETHUSDT", "DOGEUSDT"}));
    EXPECT_EQ(s[2].value, dec("900000000.5"));
}

TEST(SymbolSelectTest, ExclusionsAndTheMinimumTurnoverFilterFirst) {
    selection_options o;
    o.top = 10;
    o.exclude = {"USDCUSDT"};
    o.min_turnover = dec("1000");
    EXPECT_EQ(names(choose_symbols(rows, o)),
              (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "DOGEUSDT", "SOLUSDT"}));
}

TEST(SymbolSelectTest, ByVolumeAndAListedTwiceSymbolCountsOnce) {
    auto twice = rows;
    twice.push_back(row("BTCUSDT", "1", "1"));
    selection_options o;
    o.top = 3;
    o.by = selection_options::ranking::volume_24h;
    EXPECT_EQ(names(choose_symbols(twice, o)),
              (std::vector<std::string>{"USDCUSDT", "DOGEUSDT", "SOLUSDT"}));
    o.top = 100;
    const auto all = choose_symbols(twice, o);
    EXPECT_EQ(all.size(), rows.size()); // BTCUSDT once
    o.top = 0;
    EXPECT_TRUE(choose_symbols(twice, o).empty());
}

} // namespace
} // namespace mdg::gateway
