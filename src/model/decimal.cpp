#include "model/decimal.hpp"

#include <array>

#include "model/fixed_point.hpp"

namespace mdg::model {

result<decimal> decimal::parse(std::string_view text) noexcept {
    const auto dot = text.find('.');
    std::size_t frac = dot == std::string_view::npos ? 0 : text.size() - dot - 1;
    if (frac > max_decimals) {
        return errc::number_too_long;
    }
    auto r = parse_fixed(text, static_cast<std::uint8_t>(frac), true);
    if (!r) {
        return r.error();
    }
    return decimal{*r, static_cast<std::uint8_t>(frac)};
}

result<std::int64_t> decimal::to_fixed(std::uint8_t decimals) const noexcept {
    if (decimals > max_decimals) {
        return errc::invalid_argument;
    }
    if (decimals >= scale) {
        const std::int64_t f = pow10(static_cast<std::uint8_t>(decimals - scale));
        std::int64_t out = 0;
        if (__builtin_mul_overflow(mantissa, f, &out)) {
            return errc::number_too_long;
        }
        return out;
    }
    const std::int64_t f = pow10(static_cast<std::uint8_t>(scale - decimals));
    if (mantissa % f != 0) {
        return errc::precision_exceeded;
    }
    return mantissa / f;
}

std::size_t decimal::format(char* out) const noexcept {
    return format_fixed(mantissa, scale, false, out);
}

std::string decimal::to_string() const {
    std::array<char, fixed_text_capacity> buf{};
    return {buf.data(), format(buf.data())};
}

namespace {

__extension__ using int128 = __int128; // GCC/Clang extension; exact and fast

// Compares a*10^-sa with b*10^-sb exactly, widening to 128 bits so no scaling overflows.
std::strong_ordering compare(const decimal& a, const decimal& b) noexcept {
    int128 x = a.mantissa;
    int128 y = b.mantissa;
    for (auto s = a.scale; s < b.scale; ++s) {
        x *= 10;
    }
    for (auto s = b.scale; s < a.scale; ++s) {
        y *= 10;
    }
    return x <=> y;
}

} // namespace

bool operator==(const decimal& a, const decimal& b) noexcept {
    return compare(a, b) == 0;
}

std::strong_ordering operator<=>(const decimal& a, const decimal& b) noexcept {
    return compare(a, b);
}

} // namespace mdg::model
