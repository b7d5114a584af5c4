#include <gtest/gtest.h>

#include "cli/listen.hpp"

namespace mdg::cli {
namespace {

host_port ok(std::string_view text) {
    std::string error;
    auto hp = parse_listen(text, error);
    EXPECT_TRUE(hp) << text << ": " << error;
    return hp ? *hp : host_port{};
}

std::string bad(std::string_view text) {
    std::string error;
    EXPECT_FALSE(parse_listen(text, error)) << text;
    return error;
}

TEST(ListenTest, ParsesHostsAndPorts) {
    EXPECT_EQ(ok("127.0.0.1:8080"), (host_port{"127.0.0.1", 8080}));
    EXPECT_EQ(ok("[::1]:8080"), (host_port{"::1", 8080}));
    EXPECT_EQ(ok("localhost:0"), (host_port{"localhost", 0}));
    EXPECT_EQ(ok("0.0.0.0:65535"), (host_port{"0.0.0.0", 65535}));
    EXPECT_EQ(ok("[::]:9100"), (host_port{"::", 9100}));
}

TEST(ListenTest, RejectsMalformedAddressesWithAReason) {
    EXPECT_EQ(bad("127.0.0.1"),
              "'127.0.0.1' is not a listen address: expected host:port, e.g. 127.0.0.1:8080");
    EXPECT_EQ(bad("::1:8080"),
              "'::1:8080' is not a listen address: an IPv6 address needs brackets, e.g. "
              "[::1]:8080");
    EXPECT_EQ(bad(":8080"), "':8080' is not a listen address: missing host (use "
                            "0.0.0.0:<port> to listen on every interface)");
    EXPECT_EQ(bad("host:65536"),
              "'host:65536' is not a listen address: the port must be a number from 0 to 65535");
    for (const char* text : {"host:", "host:-1", "host:80x", "host:+80", "[::1]", "[::1:80",
                             "[zz]:80", "ho st:80", "-host:80", ""}) {
        EXPECT_FALSE(bad(text).empty()) << text;
    }
}

} // namespace
} // namespace mdg::cli
