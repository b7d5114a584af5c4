#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/fixed_point.hpp"

namespace mdg::sim::detail {

/// Appends a JSON integer.
template <class Int> void append_int(std::string& out, Int v) {
    std::array<char, 24> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    static_cast<void>(ec); // 24 characters hold any 64-bit integer
    out.append(buf.data(), end);
}

/// Appends a fixed-point value as JSON string text: `"65114.20"` (padded) or `"65114.2"`
/// (trimmed), the venue's two styles.
inline void append_fixed(std::string& out, std::int64_t raw, std::uint8_t decimals, bool trim) {
    std::array<char, model::fixed_text_capacity> buf{};
    const auto len = model::format_fixed(raw, decimals, trim, buf.data());
    out += '"';
    out.append(buf.data(), len);
    out += '"';
}

/// Appends a JSON string whose text needs no escaping (symbols, topics, ids, formatted
/// numbers: the simulator validates them before they get here).
inline void append_str(std::string& out, std::string_view s) {
    out += '"';
    out += s;
    out += '"';
}

/// Appends `"key":`.
inline void append_key(std::string& out, std::string_view key) {
    out += '"';
    out += key;
    out += "\":";
}

} // namespace mdg::sim::detail
