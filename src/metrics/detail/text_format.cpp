#include "metrics/detail/text_format.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace mdg::metrics::detail {

namespace {

constexpr bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

} // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || is_digit(name.front())) {
        return false;
    }
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == ':'; });
}

bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || is_digit(name.front()) || name.starts_with("__")) {
        return false;
    }
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(s[k]);
    };
    auto cont = [&](std::size_t k) {
        return k < n && (byte(k) & 0xC0U) == 0x80U;
    };
    while (i < n) {
        const unsigned b = byte(i);
        if (b < 0x80U) {
            ++i;
        } else if (b >= 0xC2U && b <= 0xDFU) {
            if (!cont(i + 1)) {
                return false;
            }
            i += 2;
        } else if (b >= 0xE0U && b <= 0xEFU) {
            if (!cont(i + 1) || !cont(i + 2)) {
                return false;
            }
            const unsigned b1 = byte(i + 1);
            if ((b == 0xE0U && b1 < 0xA0U) || (b == 0xEDU && b1 >= 0xA0U)) {
                return false; // overlong, or a UTF-16 surrogate
            }
            i += 3;
        } else if (b >= 0xF0U && b <= 0xF4U) {
            if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) {
                return false;
            }
            const unsigned b1 = byte(i + 1);
            if ((b == 0xF0U && b1 < 0x90U) || (b == 0xF4U && b1 >= 0x90U)) {
                return false; // overlong, or above U+10FFFF
            }
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

const char* canonicalize(labels& l, bool histogram) {
    for (const auto& [name, value] : l) {
        if (!is_valid_label_name(name)) {
            return "invalid label name";
        }
        if (histogram && name == "le") {
            return "label \"le\" is reserved for histogram buckets";
        }
        if (!is_valid_utf8(value)) {
            return "label value is not valid UTF-8";
        }
    }
    std::sort(l.begin(), l.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto dup = std::adjacent_find(
        l.begin(), l.end(), [](const auto& a, const auto& b) { return a.first == b.first; });
    return dup == l.end() ? nullptr : "duplicate label name";
}

const char* normalize_bounds(std::span<const double> in, std::vector<double>& out) {
    out.assign(in.begin(), in.end());
    if (!out.empty() && out.back() == std::numeric_limits<double>::infinity()) {
        out.pop_back();
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (std::isnan(out[i]) || std::isinf(out[i])) {
            return "histogram bound is NaN or infinite";
        }
        if (i > 0 && !(out[i - 1] < out[i])) {
            return "histogram bounds are not strictly increasing";
        }
    }
    return nullptr;
}

void append_label_value(std::string& out, std::string_view v) {
    for (const char c : v) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
}

void append_help(std::string& out, std::string_view v) {
    for (const char c : v) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
}

void append_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else if (constexpr double exact = 9007199254740992.0; // 2^53
               std::trunc(v) == v && std::fabs(v) <= exact) {
        append_int(out, static_cast<std::int64_t>(v));
    } else {
        // fmt's default format for double is the shortest string that round-trips.
        fmt::format_to(std::back_inserter(out), "{}", v);
    }
}

void append_uint(std::string& out, std::uint64_t v) {
    fmt::format_to(std::back_inserter(out), "{}", v);
}

void append_int(std::string& out, std::int64_t v) {
    fmt::format_to(std::back_inserter(out), "{}", v);
}

} // namespace mdg::metrics::detail
