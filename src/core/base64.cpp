#include "core/base64.hpp"

namespace mdg::core {

namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string base64_encode(std::string_view s) {
    std::string out;
    out.reserve(4 * ((s.size() + 2) / 3));
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(s[k]);
    };
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        const unsigned v = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
        for (unsigned shift : {18U, 12U, 6U, 0U}) {
            out += alphabet[(v >> shift) & 63U];
        }
    }
    if (const auto left = s.size() - i; left > 0) {
        const unsigned v = (byte(i) << 16U) | (left == 2 ? byte(i + 1) << 8U : 0U);
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += left == 2 ? alphabet[(v >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

bool base64_decode(std::string_view text, std::string& out) {
    out.clear();
    unsigned acc = 0;
    int bits = 0;
    for (char ch : text) {
        if (ch == '=') {
            break;
        }
        const auto pos = alphabet.find(ch);
        if (pos == std::string_view::npos) {
            return false;
        }
        acc = (acc << 6U) | static_cast<unsigned>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return true;
}

} // namespace mdg::core
