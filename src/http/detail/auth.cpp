#include "http/detail/auth.hpp"

#include <cstddef>

namespace mdg::http::detail {

namespace {

constexpr bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

} // namespace

bool constant_time_equal(std::string_view secret, std::string_view candidate) noexcept {
    // Every byte of the secret is visited whatever the candidate holds; the only branch depends
    // on the candidate's length, which its sender knows anyway.
    std::size_t diff = secret.size() ^ candidate.size();
    for (std::size_t i = 0; i < secret.size(); ++i) {
        const auto c = i < candidate.size() ? static_cast<unsigned char>(candidate[i]) : 0U;
        diff |= static_cast<unsigned char>(secret[i]) ^ c;
    }
    return diff == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) noexcept {
    const auto value = trim(authorization);
    const auto space = value.find_first_of(" \t");
    if (space == std::string_view::npos || !iequals_ascii(value.substr(0, space), "bearer")) {
        return false;
    }
    return constant_time_equal(token, trim(value.substr(space)));
}

} // namespace mdg::http::detail
