#include "model/events.hpp"

#include <array>
#include <chrono>

namespace mdg::model {

std::string_view to_string(side s) noexcept {
    return s == side::buy ? "buy" : "sell";
}

std::string_view to_string(update_kind k) noexcept {
    return k == update_kind::snapshot ? "snapshot" : "delta";
}

std::string_view to_string(tick_direction d) noexcept {
    switch (d) {
    case tick_direction::none:
        return "";
    case tick_direction::plus_tick:
        return "PlusTick";
    case tick_direction::zero_plus_tick:
        return "ZeroPlusTick";
    case tick_direction::minus_tick:
        return "MinusTick";
    case tick_direction::zero_minus_tick:
        return "ZeroMinusTick";
    }
    return "";
}

namespace {
constexpr std::array<std::string_view, kline_interval_count> interval_names{
    "1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"};
} // namespace

std::string_view to_string(kline_interval i) noexcept {
    return interval_names[static_cast<std::size_t>(i)];
}

std::optional<kline_interval> parse_kline_interval(std::string_view s) noexcept {
    for (std::size_t i = 0; i < interval_names.size(); ++i) {
        if (interval_names[i] == s) {
            return static_cast<kline_interval>(i);
        }
    }
    return std::nullopt;
}

namespace {
constexpr std::array<std::int64_t, kline_interval_count - 1> lengths_min{
    1, 3, 5, 15, 30, 60, 120, 240, 360, 720, 1440, 10'080};
constexpr std::int64_t minute_ns = 60'000'000'000;
} // namespace

bool kline_start_valid(kline_interval interval, unix_nanos start) noexcept {
    const auto i = static_cast<std::size_t>(interval);
    const auto length =
        std::min<std::int64_t>(i < lengths_min.size() ? lengths_min[i] : lengths_min.back(), 1440);
    if (start.value < 0 || start.value % (length * minute_ns) != 0) {
        return false;
    }
    if (interval != kline_interval::mn1) {
        return true;
    }
    const std::chrono::sys_days day{std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::nanoseconds>{std::chrono::nanoseconds{start.value}})};
    return std::chrono::year_month_day{day}.day() == std::chrono::day{1};
}

unix_nanos kline_next_start(kline_interval interval, unix_nanos start) noexcept {
    using std::chrono::minutes;
    const auto i = static_cast<std::size_t>(interval);
    if (i < lengths_min.size()) {
        return unix_nanos{start.value + minutes{lengths_min[i]} / std::chrono::nanoseconds{1}};
    }
    // A calendar month: from the start's day to the first of the next month.
    const std::chrono::sys_days day{std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::nanoseconds>{std::chrono::nanoseconds{start.value}})};
    const std::chrono::year_month_day ymd{day};
    const auto next =
        std::chrono::sys_days{(ymd.year() / ymd.month() / 1) + std::chrono::months{1}};
    return unix_nanos{
        std::chrono::duration_cast<std::chrono::nanoseconds>(next.time_since_epoch()).count()};
}

} // namespace mdg::model
