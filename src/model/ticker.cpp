#include "model/ticker.hpp"

#include <array>

namespace mdg::model {

namespace {
constexpr std::array<std::string_view, ticker_field_count> field_names{
    "last_price",
    "prev_price_24h",
    "price_24h_pcnt",
    "high_price_24h",
    "low_price_24h",
    "prev_price_1h",
    "mark_price",
    "index_price",
    "open_interest",
    "open_interest_value",
    "single_open_interest",
    "single_open_interest_value",
    "turnover_24h",
    "volume_24h",
    "next_funding_time",
    "funding_rate",
    "funding_interval_hour",
    "funding_cap",
    "bid1_price",
    "bid1_size",
    "ask1_price",
    "ask1_size",
    "pre_open_price",
    "pre_qty",
    "basis",
    "basis_rate",
    "basis_rate_year",
    "delivery_fee_rate",
    "predicted_delivery_price",
    "usd_index_price",
    "bid1_iv",
    "ask1_iv",
    "mark_price_iv",
    "underlying_price",
    "total_volume",
    "total_turnover",
    "delta",
    "gamma",
    "vega",
    "theta",
    "change_24h",
};
} // namespace

std::string_view to_string(ticker_field f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i < field_names.size() ? field_names[i] : std::string_view{"unknown"};
}

void ticker_fields::merge(const ticker_fields& delta) noexcept {
    for (std::uint64_t m = delta.present; m != 0; m &= m - 1) {
        const auto i = static_cast<std::size_t>(std::countr_zero(m));
        values[i] = delta.values[i];
    }
    present |= delta.present;
    empty = (empty & ~delta.present) | delta.empty;
    if (delta.has_direction) {
        direction = delta.direction;
        has_direction = true;
    }
}

} // namespace mdg::model
