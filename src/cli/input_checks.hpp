#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mdg::cli {

// The one set of rules for values from the command line (every subcommand) and for the files
// it names: docs/configuration.md "Command-line values". Every function is pure apart from the
// file checks' stat/access calls; a refusal sets `error` to one line that starts with
// "<option>: " (nothing when `option` is empty: CLI11 validators add the name themselves).

/// A decimal number in [min, max]: digits with an optional sign, fraction and exponent
/// ("750", "0.5", "1e3"). Refuses an empty text, spaces, trailing characters ("10abc"), "nan",
/// "inf", hexadecimal and anything outside the bounds.
[[nodiscard]] std::optional<double> parse_number(std::string_view option, std::string_view text,
                                                 double min, double max, std::string& error);

/// A whole number in [min, max]: digits only ("0", "42"). Refuses a sign ("-1" never wraps
/// around to 2^64-1), fractions, exponents and trailing characters.
[[nodiscard]] std::optional<std::uint64_t> parse_count(std::string_view option,
                                                       std::string_view text, std::uint64_t min,
                                                       std::uint64_t max, std::string& error);

/// A duration as in the configuration file (duration.hpp: "250ms", "60s", "5m", "1h") in
/// [min, max]. No fractions, signs, "nan" or "inf".
[[nodiscard]] std::optional<std::chrono::milliseconds>
parse_duration_option(std::string_view option, std::string_view text, std::chrono::milliseconds min,
                      std::chrono::milliseconds max, std::string& error);

/// True when `host` is an IPv4 or IPv6 literal (no brackets) or "localhost": what a listening
/// socket binds to (the gateway and the simulator resolve no names).
[[nodiscard]] bool is_bindable_host(std::string_view host);

/// A file the program reads: it exists, is a regular file (not a directory, FIFO or device:
/// those hang or never end) and is readable.
[[nodiscard]] bool check_input_file(std::string_view option, const std::filesystem::path& path,
                                    std::string& error);

/// A file the program writes, checked before any work: the path is not empty and not a
/// directory, and its parent directory exists and is writable.
[[nodiscard]] bool check_output_file(std::string_view option, const std::filesystem::path& path,
                                     std::string& error);

} // namespace mdg::cli
