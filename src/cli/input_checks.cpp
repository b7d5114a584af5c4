#include "cli/input_checks.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/detail/text.hpp"
#include "cli/duration.hpp"

namespace mdg::cli {

namespace {

namespace fs = std::filesystem;

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// "1e3", "-0.5", "750": a digit first (after an optional sign), then only the characters of a
// decimal number. from_chars alone would read "nan", "inf" and "infinity".
bool decimal_syntax(std::string_view s) noexcept {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        s.remove_prefix(1);
    }
    if (s.empty() || !is_digit(s.front())) {
        return false;
    }
    for (const char c : s) {
        if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
            return false;
        }
    }
    return true;
}

// "--rate: " before a message, or nothing when the caller (a CLI11 validator) adds the name.
std::string prefix(std::string_view option) {
    return option.empty() ? std::string{} : fmt::format("{}: ", option);
}

std::string what_path(std::string_view option, const fs::path& path) {
    return prefix(option) + detail::quoted(path.string(), 200);
}

} // namespace

std::optional<double> parse_number(std::string_view option, std::string_view text, double min,
                                   double max, std::string& error) {
    double value = 0;
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') {
        digits.remove_prefix(1); // from_chars takes '-' but not '+'
    }
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!decimal_syntax(text) || ec != std::errc{} || ptr != digits.data() + digits.size() ||
        !std::isfinite(value)) {
        error = prefix(option) + detail::quoted(text) + " is not a number";
        return std::nullopt;
    }
    if (value < min || value > max) {
        error = fmt::format("{}{} is out of range [{:g}, {:g}]", prefix(option),
                            detail::quoted(text), min, max);
        return std::nullopt;
    }
    return value;
}

std::optional<std::uint64_t> parse_count(std::string_view option, std::string_view text,
                                         std::uint64_t min, std::uint64_t max, std::string& error) {
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || !is_digit(text.front()) || ptr != text.data() + text.size() ||
        (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
        error = prefix(option) + detail::quoted(text) + " is not a whole number";
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || value < min || value > max) {
        error = fmt::format("{}{} is out of range [{}, {}]", prefix(option), detail::quoted(text),
                            min, max);
        return std::nullopt;
    }
    return value;
}

std::optional<std::chrono::milliseconds>
parse_duration_option(std::string_view option, std::string_view text, std::chrono::milliseconds min,
                      std::chrono::milliseconds max, std::string& error) {
    const auto d = parse_duration(text);
    if (!d) {
        error = prefix(option) + detail::quoted(text) +
                " is not a duration (a whole number and ms, s, m or h, e.g. 60s)";
        return std::nullopt;
    }
    if (*d < min || *d > max) {
        error = fmt::format("{}{} is out of range [{}, {}]", prefix(option), detail::quoted(text),
                            format_duration(min), format_duration(max));
        return std::nullopt;
    }
    return d;
}

bool is_bindable_host(std::string_view host) {
    if (host == "localhost") {
        return true;
    }
    const std::string h{host};
    in6_addr buf{};
    return inet_pton(AF_INET, h.c_str(), &buf) == 1 || inet_pton(AF_INET6, h.c_str(), &buf) == 1;
}

bool check_input_file(std::string_view option, const fs::path& path, std::string& error) {
    if (path.empty()) {
        error = prefix(option) + "the file name is empty";
        return false;
    }
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        error = fmt::format("{}: cannot open: {}", what_path(option, path),
                            ec ? ec.message() : std::string{"no such file"});
        return false;
    }
    if (fs::is_directory(st)) {
        error = fmt::format("{}: is a directory, not a file", what_path(option, path));
        return false;
    }
    if (!fs::is_regular_file(st)) {
        error = fmt::format("{}: not a regular file (a FIFO, socket or device is refused)",
                            what_path(option, path));
        return false;
    }
    if (access(path.c_str(), R_OK) != 0) {
        error = fmt::format("{}: not readable", what_path(option, path));
        return false;
    }
    return true;
}

bool check_output_file(std::string_view option, const fs::path& path, std::string& error) {
    if (path.empty()) {
        error = prefix(option) + "the file name is empty";
        return false;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        error = fmt::format("{}: is a directory; give a file name", what_path(option, path));
        return false;
    }
    const auto dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (!fs::is_directory(dir, ec)) {
        error = fmt::format("{}: directory {} does not exist", what_path(option, path),
                            detail::quoted(dir.string(), 200));
        return false;
    }
    if (access(dir.c_str(), W_OK) != 0) {
        error = fmt::format("{}: directory {} is not writable", what_path(option, path),
                            detail::quoted(dir.string(), 200));
        return false;
    }
    return true;
}

} // namespace mdg::cli
