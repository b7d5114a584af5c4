#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/result.hpp"

namespace mdg::model {

/// Largest number of decimals a fixed-point value may carry (10^18 still fits in int64).
inline constexpr std::uint8_t max_decimals = 18;

/// Room for any formatted int64 fixed-point value: sign, 19 digits, point, leading "0.".
inline constexpr std::size_t fixed_text_capacity = 24;

/// Parses a plain decimal string ("65114.20", "0", "-0.001624") straight into an integer count
/// of 10^-decimals units. No exponent, no spaces, no double anywhere.
/// Errors: invalid_number (empty or bad character), number_too_long (does not fit in int64),
/// precision_exceeded (a non-zero digit beyond `decimals`), negative_value (a '-' when
/// `allow_negative` is false). Trailing zeros beyond `decimals` are accepted, so the padded
/// linear form ("65140.00") and the trimmed spot form ("65140") decode to the same value.
[[nodiscard]] result<std::int64_t> parse_fixed(std::string_view text, std::uint8_t decimals,
                                               bool allow_negative) noexcept;

/// The same, for a number at the start of [p, end) that stops at the first character that
/// cannot continue it (for instance the closing quote of a JSON string): parses, advances `p`
/// to that character and leaves judging it to the caller. Lets a scanner read a number in the
/// same pass that finds its end.
[[nodiscard]] result<std::int64_t> parse_fixed_prefix(const char*& p, const char* end,
                                                      std::uint8_t decimals,
                                                      bool allow_negative) noexcept;

/// Writes `raw` (in 10^-decimals units) as decimal text into `out` (at least
/// fixed_text_capacity bytes) and returns the length. With `trim`, trailing fractional zeros
/// and a bare point are removed ("65140.00" -> "65140"); otherwise exactly `decimals` digits
/// follow the point.
std::size_t format_fixed(std::int64_t raw, std::uint8_t decimals, bool trim, char* out) noexcept;

/// Convenience wrapper returning a std::string (allocates: not for the hot path).
[[nodiscard]] std::string to_fixed_string(std::int64_t raw, std::uint8_t decimals, bool trim);

/// 10^n for n in [0, 18].
[[nodiscard]] constexpr std::int64_t pow10(std::uint8_t n) noexcept {
    std::int64_t v = 1;
    for (std::uint8_t i = 0; i < n; ++i) {
        v *= 10;
    }
    return v;
}

/// A strongly typed fixed-point integer. The scale (number of decimals) is a property of the
/// instrument (`instrument_spec`), not of the value, so values of one instrument compare and
/// add as plain integers.
template <class Tag> struct fixed {
    std::int64_t raw = 0;

    friend constexpr auto operator<=>(fixed, fixed) = default;
    [[nodiscard]] constexpr bool is_zero() const noexcept { return raw == 0; }
};

struct price_tag {};
struct qty_tag {};

/// A price at the instrument's price precision.
using price = fixed<price_tag>;
/// A quantity (size, volume of one level or trade) at the instrument's quantity precision.
using qty = fixed<qty_tag>;

} // namespace mdg::model
