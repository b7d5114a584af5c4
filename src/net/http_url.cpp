#include "net/http_url.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "core/log.hpp"

namespace mdg::net {

namespace {

bool valid_port(std::string_view s) {
    unsigned v = 0;
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, v);
    return ec == std::errc{} && p == end && v > 0 && v <= 65535;
}

std::string bracketed(std::string_view host) {
    return host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                    : std::string(host);
}

} // namespace

bool has_space_or_control(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

std::string host_header(std::string_view host, std::string_view port, bool tls) {
    auto out = bracketed(host);
    if (port != (tls ? "443" : "80")) {
        out.append(":").append(port);
    }
    return out;
}

result<url_authority> parse_url_authority(std::string_view authority, std::string_view default_port,
                                          std::string& why) {
    auto fail = [&](std::string_view w) -> result<url_authority> {
        why = w;
        return errc::invalid_argument;
    };
    std::string_view host;
    std::string_view port;
    bool has_port = false;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail("unterminated [IPv6 address]");
        }
        host = authority.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos ||
            host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return fail("not an IPv6 address inside the brackets");
        }
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail("junk after ]");
            }
            port = after.substr(1);
            has_port = true;
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (host.empty()) {
        return fail("no host");
    }
    if (has_port && !valid_port(port)) {
        return fail("port must be 1-65535");
    }
    url_authority out;
    out.host = std::string(host);
    out.port = std::string(has_port ? port : default_port);
    return out;
}

std::string http_url::url_host() const {
    return bracketed(host);
}

result<http_url> parse_http_url(std::string_view url, std::string& error, http_schemes schemes) {
    auto fail = [&](std::string_view why) -> result<http_url> {
        error = fmt::format("URL '{}': {}", core::printable_line(url), why);
        return errc::invalid_argument;
    };
    http_url out;
    std::string_view rest;
    if (url.starts_with("https://")) {
        if (schemes == http_schemes::http_only) {
            return fail("https is not supported here: give a plain http:// address");
        }
        out.tls = true;
        rest = url.substr(8);
    } else if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else {
        return fail(schemes == http_schemes::http_only ? "must start with http://"
                                                       : "must start with http:// or https://");
    }
    if (rest.find_first_of("?#@") != std::string_view::npos) {
        return fail("user info, queries and fragments are not allowed");
    }
    if (has_space_or_control(rest)) {
        return fail("spaces and control characters are not allowed");
    }
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    auto path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    std::string why;
    auto a = parse_url_authority(authority, out.tls ? "443" : "80", why);
    if (!a) {
        return fail(why);
    }
    out.host = std::move(a->host);
    out.port = std::move(a->port);
    out.base_path = std::string(path);
    error.clear();
    return out;
}

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    const auto n = std::min(s.size(), max);
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    }
    if (s.size() > n) {
        out += "...";
    }
    return out;
}

} // namespace mdg::net
