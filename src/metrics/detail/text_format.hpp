#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/labels.hpp"

namespace mdg::metrics::detail {

/// True if `name` matches the Prometheus metric name grammar `[a-zA-Z_:][a-zA-Z0-9_:]*`.
[[nodiscard]] bool is_valid_metric_name(std::string_view name) noexcept;
/// True if `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with the reserved `__`.
[[nodiscard]] bool is_valid_label_name(std::string_view name) noexcept;
/// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

/// Sorts `l` by label name and checks it: valid names, unique names, UTF-8 values, and no `le`
/// label when `histogram`. Returns nullptr when valid, else a static description of the fault.
[[nodiscard]] const char* canonicalize(labels& l, bool histogram);

/// Checks histogram bounds (strictly increasing, no NaN) and drops a trailing `+Inf`.
/// Returns nullptr when valid, else a static description of the fault.
[[nodiscard]] const char* normalize_bounds(std::span<const double> in, std::vector<double>& out);

/// Appends a label value escaped for the text format: `\` `"` and newline become `\\` `\"` `\n`.
void append_label_value(std::string& out, std::string_view v);
/// Appends HELP text escaped for the text format: `\` and newline become `\\` and `\n`.
void append_help(std::string& out, std::string_view v);
/// Appends a sample value: integral values up to 2^53 without exponent or fraction, other
/// finite values in shortest round-trip form, and `+Inf`, `-Inf`, `NaN`.
void append_double(std::string& out, double v);
/// Appends an unsigned integer in decimal.
void append_uint(std::string& out, std::uint64_t v);
/// Appends a signed integer in decimal.
void append_int(std::string& out, std::int64_t v);

} // namespace mdg::metrics::detail
