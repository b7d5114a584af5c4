#include "model/fixed_point.hpp"

#include <array>
#include <limits>

namespace mdg::model {

result<std::int64_t> parse_fixed(std::string_view text, std::uint8_t decimals,
                                 bool allow_negative) noexcept {
    if (decimals > max_decimals) {
        return errc::invalid_argument;
    }
    const char* p = text.data();
    const char* const end = p + text.size();
    bool negative = false;
    if (p != end && *p == '-') {
        negative = true;
        ++p;
    }
    constexpr std::uint64_t limit = std::numeric_limits<std::int64_t>::max();
    std::uint64_t value = 0;
    bool any_digit = false;
    // Accumulates one digit with an overflow check against int64's range.
    auto push = [&](unsigned digit) noexcept {
        if (value > (limit - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
        return true;
    };
    for (; p != end && *p != '.'; ++p) {
        const auto d = static_cast<unsigned>(*p - '0');
        if (d > 9) {
            return errc::invalid_number;
        }
        any_digit = true;
        if (!push(d)) {
            return errc::number_too_long;
        }
    }
    std::uint8_t frac = 0;
    if (p != end) { // at '.'
        ++p;
        for (; p != end; ++p) {
            const auto d = static_cast<unsigned>(*p - '0');
            if (d > 9) {
                return errc::invalid_number;
            }
            any_digit = true;
            if (frac < decimals) {
                if (!push(d)) {
                    return errc::number_too_long;
                }
                ++frac;
            } else if (d != 0) {
                return errc::precision_exceeded;
            }
        }
    }
    if (!any_digit) {
        return errc::invalid_number;
    }
    for (; frac < decimals; ++frac) {
        if (!push(0)) {
            return errc::number_too_long;
        }
    }
    if (negative) {
        if (!allow_negative && value != 0) {
            return errc::negative_value;
        }
        return -static_cast<std::int64_t>(value);
    }
    return static_cast<std::int64_t>(value);
}

std::size_t format_fixed(std::int64_t raw, std::uint8_t decimals, bool trim, char* out) noexcept {
    // Digits are produced backwards into a scratch buffer, then copied in order.
    std::array<char, fixed_text_capacity> tmp{};
    std::size_t n = 0;
    const bool negative = raw < 0;
    // Work in unsigned so that INT64_MIN negates without overflow.
    std::uint64_t v = negative ? ~static_cast<std::uint64_t>(raw) + 1 : static_cast<std::uint64_t>(raw);
    std::uint8_t frac_digits = decimals;
    bool skipping_zeros = trim;
    for (std::uint8_t i = 0; i < decimals; ++i) {
        const auto digit = static_cast<char>('0' + v % 10);
        v /= 10;
        if (skipping_zeros && digit == '0') {
            --frac_digits;
            continue;
        }
        skipping_zeros = false;
        tmp[n++] = digit;
    }
    if (frac_digits > 0) {
        tmp[n++] = '.';
    }
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    std::size_t len = 0;
    if (negative) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = tmp[--n];
    }
    return len;
}

std::string to_fixed_string(std::int64_t raw, std::uint8_t decimals, bool trim) {
    std::array<char, fixed_text_capacity> buf{};
    const auto len = format_fixed(raw, decimals, trim, buf.data());
    return {buf.data(), len};
}

} // namespace mdg::model
