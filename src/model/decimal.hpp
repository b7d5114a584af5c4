#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mdg::model {

/// An exact decimal number: `mantissa * 10^-scale`. Used for values whose range is not tied to
/// one instrument's precision (24 h turnover, open interest value, funding rate, percentages).
/// Parsed straight from the venue's text; no double. Equality and ordering compare values, so
/// "65140" == "65140.00".
struct decimal {
    std::int64_t mantissa = 0;
    std::uint8_t scale = 0;

    /// Parses "123", "-0.001624", "1142118412.9021". Errors as for parse_fixed; up to 18
    /// fractional digits, and the whole mantissa must fit in int64.
    [[nodiscard]] static result<decimal> parse(std::string_view text) noexcept;

    /// The value at `decimals` digits, if it is exactly representable in int64.
    [[nodiscard]] result<std::int64_t> to_fixed(std::uint8_t decimals) const noexcept;

    /// Text with exactly `scale` fractional digits, as the venue wrote it.
    [[nodiscard]] std::string to_string() const;
    /// Writes the text into `out` (at least fixed_text_capacity bytes); returns the length.
    std::size_t format(char* out) const noexcept;

    friend bool operator==(const decimal& a, const decimal& b) noexcept;
    friend std::strong_ordering operator<=>(const decimal& a, const decimal& b) noexcept;
};

} // namespace mdg::model
