#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mdg::cli {

/// A listening address: a host (IPv4 literal, IPv6 literal without brackets, or a host name)
/// and a port (0 = let the system pick one). A plain value.
struct host_port {
    std::string host;
    std::uint16_t port = 0;

    friend bool operator==(const host_port&, const host_port&) = default;
};

/// Parses "127.0.0.1:8080", "[::1]:8080", "localhost:0", "0.0.0.0:9100". The port is
/// required; an IPv6 literal needs brackets. Errors (errc::invalid_argument) put a one-line
/// reason into `error`. Does no name resolution; pure and thread-safe.
[[nodiscard]] result<host_port> parse_listen(std::string_view text, std::string& error);

} // namespace mdg::cli
