#include "cli/listen.hpp"

#include <charconv>

#include <fmt/format.h>

#include "cli/detail/text.hpp"

namespace mdg::cli {

namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_name_char(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_';
}

// An IPv6 literal as written inside brackets: hex groups, colons, an optional embedded IPv4.
bool valid_ipv6(std::string_view s) noexcept {
    if (s.size() < 2 || s.size() > 45 || s.find(':') == std::string_view::npos) {
        return false;
    }
    for (char c : s) {
        if (!is_hex(c) && c != ':' && c != '.') {
            return false;
        }
    }
    return true;
}

// A host name or IPv4 literal (RFC 1123 characters; '_' tolerated as resolvers do).
bool valid_name(std::string_view s) noexcept {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-') {
        return false;
    }
    for (char c : s) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

} // namespace

result<host_port> parse_listen(std::string_view text, std::string& error) {
    const auto bad = [&](std::string_view why) -> result<host_port> {
        error = fmt::format("{} is not a listen address: {}", detail::quoted(text), why);
        return errc::invalid_argument;
    };
    host_port out;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return bad("missing ']' after the IPv6 address");
        }
        const auto host = text.substr(1, close - 1);
        if (!valid_ipv6(host)) {
            return bad("not an IPv6 address inside the brackets");
        }
        if (close + 1 >= text.size() || text[close + 1] != ':') {
            return bad("expected ':<port>' after ']'");
        }
        out.host = std::string{host};
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return bad("expected host:port, e.g. 127.0.0.1:8080");
        }
        const auto host = text.substr(0, colon);
        if (host.find(':') != std::string_view::npos) {
            return bad("an IPv6 address needs brackets, e.g. [::1]:8080");
        }
        if (host.empty()) {
            return bad("missing host (use 0.0.0.0:<port> to listen on every interface)");
        }
        if (!valid_name(host)) {
            return bad("the host is neither an IP address nor a host name");
        }
        out.host = std::string{host};
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || !is_digit(port_text.front()) || ec != std::errc{} ||
        ptr != port_text.data() + port_text.size() || port > 65535) {
        return bad("the port must be a number from 0 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
    return out;
}

} // namespace mdg::cli
