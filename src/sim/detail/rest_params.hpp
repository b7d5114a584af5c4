#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/instrument.hpp"

namespace mdg::sim::detail {

/// Latest time a REST query may name (ms, year 2286): anything later is a typo or an attack.
inline constexpr std::int64_t max_query_ms = 9'999'999'999'999;

/// A whole decimal number within [lo, hi], nothing else ("12", not "+12", "1e3", "12x", " 12");
/// nullopt otherwise (empty, garbage, out of range, overflow).
[[nodiscard]] inline std::optional<std::int64_t>
parse_int_param(std::string_view s, std::int64_t lo, std::int64_t hi) noexcept {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi) {
        return std::nullopt;
    }
    return v;
}

/// The `limit` of GET /v5/market/orderbook in a category, as Bybit documents it: levels per side
/// from 1 to `max`, `fallback` when the request names none (spot 1-200, default 1; linear and
/// inverse 1-500, default 25; option 1-25, default 1).
struct limit_range {
    std::int64_t max = 0;
    std::int64_t fallback = 0;
};

[[nodiscard]] constexpr limit_range orderbook_limit(model::category c) noexcept {
    switch (c) {
    case model::category::spot:
        return {200, 1};
    case model::category::option:
        return {25, 1};
    case model::category::linear:
    case model::category::inverse:
        break;
    }
    return {500, 25};
}

/// Bucket length of an open-interest `intervalTime` or account-ratio `period`
/// (5min, 15min, 30min, 1h, 4h, 1d); nullopt for anything else.
[[nodiscard]] inline std::optional<std::int64_t> bucket_ms(std::string_view name) noexcept {
    constexpr std::int64_t minute = 60'000;
    constexpr std::array<std::pair<std::string_view, std::int64_t>, 6> table{{
        {"5min", 5 * minute},
        {"15min", 15 * minute},
        {"30min", 30 * minute},
        {"1h", 60 * minute},
        {"4h", 240 * minute},
        {"1d", 1440 * minute},
    }};
    for (const auto& [n, ms] : table) {
        if (n == name) {
            return ms;
        }
    }
    return std::nullopt;
}

// Cursors are opaque to clients: the next bucket's time, scrambled so nobody parses it.
inline constexpr std::uint64_t cursor_mask = 0x5a17'c0de'f00dULL;

/// The nextPageCursor that continues a page at bucket `before_ms` (older buckets next).
[[nodiscard]] inline std::string encode_cursor(std::int64_t before_ms) {
    return fmt::format("{:x}", static_cast<std::uint64_t>(before_ms) ^ cursor_mask);
}

/// The bucket a cursor continues at; nullopt unless it is one encode_cursor made for a bucket
/// of `step_ms` (aligned, within [0, max_query_ms]).
[[nodiscard]] inline std::optional<std::int64_t> decode_cursor(std::string_view c,
                                                               std::int64_t step_ms) noexcept {
    if (c.empty() || c.size() > 16 || step_ms <= 0) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(c.data(), c.data() + c.size(), v, 16);
    if (ec != std::errc{} || p != c.data() + c.size()) {
        return std::nullopt;
    }
    const std::uint64_t ms = v ^ cursor_mask;
    if (ms > static_cast<std::uint64_t>(max_query_ms) ||
        static_cast<std::int64_t>(ms) % step_ms != 0) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(ms);
}

/// IP rate limit of the market REST paths: at most `limit` requests in any `window`
/// (Bybit: 600 per 5 s per IP, then HTTP 403). Times are whatever the caller counts in.
/// Keeps one time per admitted request, so at most `limit` of them.
template <class TimePoint, class Duration> class window_limiter {
  public:
    window_limiter(std::size_t limit, Duration window) : limit_(limit), window_(window) {}

    /// Admits a request at `now` (true) or refuses it (false; refused ones are not counted).
    bool admit(TimePoint now) {
        while (count_ > 0 && now - times_[first_] >= window_) {
            first_ = (first_ + 1) % times_.size();
            --count_;
        }
        if (count_ >= limit_) {
            return false;
        }
        if (times_.size() < limit_) {
            times_.resize(limit_);
        }
        times_[(first_ + count_) % limit_] = now;
        ++count_;
        return true;
    }
    /// True when no admitted request is still inside the window (the entry can go).
    [[nodiscard]] bool idle(TimePoint now) const {
        return count_ == 0 || now - times_[(first_ + count_ - 1) % times_.size()] >= window_;
    }

  private:
    std::size_t limit_;
    Duration window_;
    std::vector<TimePoint> times_;
    std::size_t first_ = 0;
    std::size_t count_ = 0;
};

} // namespace mdg::sim::detail
