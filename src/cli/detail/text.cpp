#include "cli/detail/text.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace mdg::cli::detail {

std::string quoted(std::string_view s, std::size_t max_chars) {
    std::string out = "'";
    std::size_t shown = 0;
    for (char c : s) {
        if (shown == max_chars) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\'' || c == '\\') {
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(u));
        } else {
            out += c;
        }
        ++shown;
    }
    out += '\'';
    return out;
}

std::string one_line(std::string_view s) {
    std::string out{s};
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
            c = ' ';
        }
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    const std::size_t longer = std::max(a.size(), b.size());
    const std::size_t shorter = std::min(a.size(), b.size());
    if (longer - shorter > limit) {
        return limit + 1;
    }
    // One row of the classic dynamic programme; keys are short, so this is cheap.
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        std::size_t best = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
            best = std::min(best, row[j]);
        }
        if (best > limit) {
            return limit + 1;
        }
    }
    return std::min(row[b.size()], limit + 1);
}

} // namespace mdg::cli::detail
