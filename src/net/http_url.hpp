#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mdg::net {

/// A parsed `http://` or `https://` base URL: where to connect, and the path prefix that
/// request targets are appended to (`base_path + "/metrics"`).
struct http_url {
    bool tls = false;      ///< https
    std::string host;      ///< a name or an address; an IPv6 literal without its brackets
    std::string port;      ///< "80" / "443" when the URL has none
    std::string base_path; ///< "" or "/prefix", never ending in '/'

    /// The host as written in a URL or a `Host` header: an IPv6 literal in brackets.
    [[nodiscard]] std::string url_host() const;
};

/// The host and port of a URL's authority, as every URL parser here reads it.
struct url_authority {
    std::string host; ///< an IPv6 literal without its brackets
    std::string port; ///< `default_port` when the authority has none
};

/// Parses `host`, `host:port`, `[v6]` or `[v6]:port`. Refused (errc::invalid_argument, the
/// reason in `why`, without the URL): an empty host, an unterminated or non-IPv6 bracket, junk
/// after `]`, a port that is not a number from 1 to 65535 (an empty one after ':' included).
/// User info, spaces and control characters are the caller's to refuse first. Pure.
[[nodiscard]] result<url_authority>
parse_url_authority(std::string_view authority, std::string_view default_port, std::string& why);

/// True when `s` holds a space, a control character or DEL: what no URL here may contain.
[[nodiscard]] bool has_space_or_control(std::string_view s) noexcept;

/// Untrusted text (a retMsg, a header value) made safe for one log line: printable ASCII only
/// (anything else becomes '?'), at most `max` characters, "..." when cut.
[[nodiscard]] std::string printable(std::string_view s, std::size_t max = 80);

/// The `Host` header for `host` and `port` (RFC 7230 5.4): an IPv6 literal in brackets, the
/// port left out when it is the scheme's default (443 with `tls`, else 80).
[[nodiscard]] std::string host_header(std::string_view host, std::string_view port, bool tls);

/// Which schemes a caller of parse_http_url can serve.
enum class http_schemes : std::uint8_t { http_only, http_and_https };

/// Parses `http://host[:port][/prefix]`, and `https://...` too unless `schemes` is
/// `http_only`. An IPv6 host goes in brackets (`http://[::1]:9090`); trailing slashes of the
/// prefix are dropped. Refused, with `errc::invalid_argument` and one printable line in
/// `error` that quotes the URL: another scheme (or none), https under `http_only`, user info,
/// a query or fragment, spaces or control characters, an empty host, a port that is not a
/// number from 1 to 65535 (an empty one after ':' included). `error` is cleared on success.
/// Pure; thread-safe.
[[nodiscard]] result<http_url> parse_http_url(std::string_view url, std::string& error,
                                              http_schemes schemes = http_schemes::http_and_https);

} // namespace mdg::net
