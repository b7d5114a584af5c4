#include "model/fixed_point.hpp"

#include <array>

namespace mdg::model {

namespace {

constexpr std::array<std::int64_t, max_decimals + 1> powers = [] {
    std::array<std::int64_t, max_decimals + 1> p{};
    for (std::size_t i = 0; i < p.size(); ++i) {
        p[i] = pow10(static_cast<std::uint8_t>(i));
    }
    return p;
}();

// value = value * 10 + digit, false on int64 overflow (no division: this runs per digit).
inline bool push_digit(std::int64_t& value, unsigned digit) noexcept {
    return !__builtin_mul_overflow(value, 10, &value) &&
           !__builtin_add_overflow(value, static_cast<std::int64_t>(digit), &value);
}

} // namespace

namespace {

// The general path: overflow-checked at every digit. Used when the fast path sees more than
// 18 digits (which may or may not fit in int64).
result<std::int64_t> parse_fixed_checked(const char*& p, const char* end, std::uint8_t decimals,
                                         bool allow_negative) noexcept {
    bool negative = false;
    if (p != end && *p == '-') {
        negative = true;
        ++p;
    }
    std::int64_t value = 0;
    bool any_digit = false;
    for (; p != end; ++p) {
        const auto d = static_cast<unsigned>(*p - '0');
        if (d > 9) {
            break;
        }
        any_digit = true;
        if (!push_digit(value, d)) {
            return errc::number_too_long;
        }
    }
    std::uint8_t frac = 0;
    if (p != end && *p == '.') {
        ++p;
        for (; p != end; ++p) {
            const auto d = static_cast<unsigned>(*p - '0');
            if (d > 9) {
                break;
            }
            any_digit = true;
            if (frac < decimals) {
                if (!push_digit(value, d)) {
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
    if (__builtin_mul_overflow(value, powers[decimals - frac], &value)) {
        return errc::number_too_long;
    }
    if (negative) {
        if (!allow_negative && value != 0) {
            return errc::negative_value;
        }
        return -value;
    }
    return value;
}

} // namespace

result<std::int64_t> parse_fixed_prefix(const char*& p, const char* end, std::uint8_t decimals,
                                        bool allow_negative) noexcept {
    if (decimals > max_decimals) {
        return errc::invalid_argument;
    }
    // Fast path: up to 18 digits cannot overflow int64, so accumulate without checks and count.
    const char* const start = p;
    const char* q = p;
    const bool negative = q != end && *q == '-';
    q += negative ? 1 : 0;
    std::uint64_t v = 0;
    const char* const int_begin = q;
    while (q != end && static_cast<unsigned>(*q - '0') <= 9) {
        v = v * 10 + static_cast<unsigned>(*q - '0');
        ++q;
    }
    auto digits = static_cast<std::size_t>(q - int_begin);
    std::size_t frac = 0;
    if (q != end && *q == '.') {
        ++q;
        const char* const frac_begin = q;
        while (q != end && static_cast<unsigned>(*q - '0') <= 9 && frac < decimals) {
            v = v * 10 + static_cast<unsigned>(*q - '0');
            ++q;
            ++frac;
        }
        while (q != end && static_cast<unsigned>(*q - '0') <= 9) {
            if (*q != '0') {
                return errc::precision_exceeded;
            }
            ++q;
        }
        if (q == frac_begin && digits == 0) {
            return errc::invalid_number; // "." or "-."
        }
    }
    if (digits + frac > 18) {
        p = start;
        return parse_fixed_checked(p, end, decimals, allow_negative);
    }
    digits += frac;
    if (digits == 0 && (q == int_begin)) {
        return errc::invalid_number;
    }
    std::int64_t value = 0;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(v), powers[decimals - frac], &value)) {
        return errc::number_too_long;
    }
    p = q;
    if (negative) {
        if (!allow_negative && value != 0) {
            return errc::negative_value;
        }
        return -value;
    }
    return value;
}

result<std::int64_t> parse_fixed(std::string_view text, std::uint8_t decimals,
                                 bool allow_negative) noexcept {
    const char* p = text.data();
    const char* const end = p + text.size();
    auto r = parse_fixed_prefix(p, end, decimals, allow_negative);
    if (r && p != end) {
        return errc::invalid_number; // a character that is not part of a number
    }
    return r;
}

std::size_t format_fixed(std::int64_t raw, std::uint8_t decimals, bool trim, char* out) noexcept {
    // Digits are produced backwards into a scratch buffer, then copied in order.
    std::array<char, fixed_text_capacity> tmp{};
    std::size_t n = 0;
    const bool negative = raw < 0;
    // Work in unsigned so that INT64_MIN negates without overflow.
    std::uint64_t v =
        negative ? ~static_cast<std::uint64_t>(raw) + 1 : static_cast<std::uint64_t>(raw);
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
