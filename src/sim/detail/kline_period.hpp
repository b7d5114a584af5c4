#pragma once

#include <chrono>
#include <cstdint>

#include "model/events.hpp"

namespace mdg::sim::detail {

/// The candle that contains a time: [start, end] in Unix milliseconds, end = next start - 1,
/// as Bybit's kline `start`/`end`.
struct kline_period {
    std::int64_t start = 0;
    std::int64_t end = 0;
};

/// Length of a minute-based interval in minutes; 0 for D, W and M.
[[nodiscard]] constexpr std::int64_t interval_minutes(model::kline_interval iv) noexcept {
    using model::kline_interval;
    switch (iv) {
    case kline_interval::m1:
        return 1;
    case kline_interval::m3:
        return 3;
    case kline_interval::m5:
        return 5;
    case kline_interval::m15:
        return 15;
    case kline_interval::m30:
        return 30;
    case kline_interval::h1:
        return 60;
    case kline_interval::h2:
        return 120;
    case kline_interval::h4:
        return 240;
    case kline_interval::h6:
        return 360;
    case kline_interval::h12:
        return 720;
    case kline_interval::d1:
    case kline_interval::w1:
    case kline_interval::mn1:
        return 0;
    }
    return 0;
}

[[nodiscard]] constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// The candle of interval `iv` that contains `ms`. Candles are aligned in UTC: minute
/// intervals to multiples of their length since the epoch, D to midnight, W to Monday
/// midnight, M to the first day of the calendar month.
[[nodiscard]] inline kline_period period_of(model::kline_interval iv, std::int64_t ms) noexcept {
    using namespace std::chrono;
    constexpr std::int64_t ms_per_minute = 60'000;
    constexpr std::int64_t ms_per_day = 86'400'000;
    const auto to_ms = [](sys_days d) {
        return static_cast<std::int64_t>(d.time_since_epoch().count()) * ms_per_day;
    };
    if (const std::int64_t minutes = interval_minutes(iv); minutes > 0) {
        const std::int64_t len = minutes * ms_per_minute;
        const std::int64_t start = floor_div(ms, len) * len;
        return {start, start + len - 1};
    }
    const sys_days day{days{floor_div(ms, ms_per_day)}};
    switch (iv) {
    case model::kline_interval::w1: {
        const sys_days monday = day - (weekday{day} - Monday);
        return {to_ms(monday), to_ms(monday + weeks{1}) - 1};
    }
    case model::kline_interval::mn1: {
        const year_month_day ymd{day};
        const year_month_day first = ymd.year() / ymd.month() / 1;
        const year_month_day next = first + months{1};
        return {to_ms(sys_days{first}), to_ms(sys_days{next}) - 1};
    }
    default:
        return {to_ms(day), to_ms(day + days{1}) - 1};
    }
}

} // namespace mdg::sim::detail
