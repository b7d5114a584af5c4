#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string_view>

#include "core/clock.hpp"
#include "model/decimal.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::model {

/// Numeric ticker fields, venue-neutral. Each is an exact decimal.
enum class ticker_field : std::uint8_t {
    last_price,
    prev_price_24h,
    price_24h_pcnt,
    high_price_24h,
    low_price_24h,
    prev_price_1h,
    mark_price,
    index_price,
    open_interest,
    open_interest_value,
    single_open_interest,
    single_open_interest_value,
    turnover_24h,
    volume_24h,
    next_funding_time,
    funding_rate,
    funding_interval_hour,
    funding_cap,
    bid1_price,
    bid1_size,
    ask1_price,
    ask1_size,
    pre_open_price,
    pre_qty,
    basis,
    basis_rate,
    basis_rate_year,
    delivery_fee_rate,
    predicted_delivery_price,
    usd_index_price,
    bid1_iv,
    ask1_iv,
    mark_price_iv,
    underlying_price,
    total_volume,
    total_turnover,
    delta,
    gamma,
    vega,
    theta,
    change_24h,
    count_,
};
inline constexpr std::size_t ticker_field_count = static_cast<std::size_t>(ticker_field::count_);
static_assert(ticker_field_count <= 64, "present/null masks are 64-bit");

/// snake_case name of a field, used in JSON output.
[[nodiscard]] std::string_view to_string(ticker_field f) noexcept;

/// A set of ticker fields: a snapshot (all fields the venue sends) or a delta (only the
/// changed ones). A field can be present with an empty value (the venue sent ""), which a
/// merge copies as "empty". Fixed size, no allocation.
struct ticker_fields {
    std::array<decimal, ticker_field_count> values{};
    std::uint64_t present = 0; ///< bit i: field i was sent
    std::uint64_t empty = 0;   ///< bit i: field i was sent as ""
    tick_direction direction = tick_direction::none;
    bool has_direction = false;

    [[nodiscard]] static constexpr std::uint64_t bit(ticker_field f) noexcept {
        return std::uint64_t{1} << static_cast<unsigned>(f);
    }
    [[nodiscard]] bool has(ticker_field f) const noexcept { return (present & bit(f)) != 0; }
    [[nodiscard]] bool is_empty(ticker_field f) const noexcept { return (empty & bit(f)) != 0; }
    [[nodiscard]] const decimal& get(ticker_field f) const noexcept {
        return values[static_cast<std::size_t>(f)];
    }
    void set(ticker_field f, decimal v) noexcept {
        values[static_cast<std::size_t>(f)] = v;
        present |= bit(f);
        empty &= ~bit(f);
    }
    void set_empty(ticker_field f) noexcept {
        values[static_cast<std::size_t>(f)] = decimal{};
        present |= bit(f);
        empty |= bit(f);
    }
    [[nodiscard]] int count() const noexcept { return std::popcount(present); }

    /// Copies every field present in `delta` over this set (a delta merge).
    void merge(const ticker_fields& delta) noexcept;
};

/// A decoded ticker message.
struct ticker_update {
    instrument_id instrument;
    update_kind kind = update_kind::snapshot;
    std::uint64_t cross_seq = 0; ///< Bybit `cs`; 0 when absent
    unix_nanos ts_exchange;
    unix_nanos ts_recv;
    ticker_fields fields;
};

} // namespace mdg::model
