#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mdg::cli::detail {

/// `s` in single quotes, safe to echo from untrusted input: control and non-ASCII bytes become
/// `\xNN`, and text beyond `max_chars` is cut and marked with "...".
[[nodiscard]] std::string quoted(std::string_view s, std::size_t max_chars = 80);

/// Replaces line breaks and other control characters by spaces, so an error stays one line.
[[nodiscard]] std::string one_line(std::string_view s);

/// Levenshtein distance between `a` and `b`, giving up (returning `limit + 1`) once it must
/// exceed `limit`.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

} // namespace mdg::cli::detail
