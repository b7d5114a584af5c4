#include <string>

#include <gtest/gtest.h>

#include "net/http_url.hpp"

namespace mdg::net {
namespace {

TEST(HttpUrlTest, ParsesHostPortAndPrefix) {
    std::string error = "stale";
    auto u = parse_http_url("http://127.0.0.1:8080", error);
    ASSERT_TRUE(u) << error;
    EXPECT_TRUE(error.empty());
    EXPECT_FALSE(u->tls);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "8080");
    EXPECT_EQ(u->base_path, "");
    u = parse_http_url("http://gw.local/mdgate/", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "gw.local");
    EXPECT_EQ(u->port, "80");
    EXPECT_EQ(u->base_path, "/mdgate");
    u = parse_http_url("http://h:1//a/b//", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->port, "1");
    EXPECT_EQ(u->base_path, "//a/b");
    u = parse_http_url("http://h:65535/", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->port, "65535");
    EXPECT_EQ(u->base_path, "");
}

TEST(HttpUrlTest, HttpsHasItsOwnDefaultPort) {
    std::string error;
    auto u = parse_http_url("https://api.bybit.com", error);
    ASSERT_TRUE(u) << error;
    EXPECT_TRUE(u->tls);
    EXPECT_EQ(u->host, "api.bybit.com");
    EXPECT_EQ(u->port, "443");
    u = parse_http_url("https://localhost:9443/v5/", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->port, "9443");
    EXPECT_EQ(u->base_path, "/v5");
}

TEST(HttpUrlTest, Ipv6LiteralsGoInBrackets) {
    std::string error;
    auto u = parse_http_url("http://[::1]:9090/p", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, "9090");
    EXPECT_EQ(u->base_path, "/p");
    EXPECT_EQ(u->url_host(), "[::1]");
    u = parse_http_url("https://[2001:db8::7]", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "2001:db8::7");
    EXPECT_EQ(u->port, "443");
    u = parse_http_url("http://[::ffff:192.0.2.1]:80", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->host, "::ffff:192.0.2.1");
    u = parse_http_url("http://example.com", error);
    ASSERT_TRUE(u) << error;
    EXPECT_EQ(u->url_host(), "example.com");
}

TEST(HttpUrlTest, HttpsWhereUnsupportedSaysSo) {
    std::string error;
    EXPECT_FALSE(parse_http_url("https://x:1", error, http_schemes::http_only));
    EXPECT_EQ(error,
              "URL 'https://x:1': https is not supported here: give a plain http:// address");
    EXPECT_FALSE(parse_http_url("ws://x", error, http_schemes::http_only));
    EXPECT_EQ(error, "URL 'ws://x': must start with http://");
    EXPECT_TRUE(parse_http_url("http://x", error, http_schemes::http_only)) << error;
}

TEST(HttpUrlTest, MissingOrWrongSchemeIsRefused) {
    std::string error;
    for (const char* bad :
         {"127.0.0.1:8080", "api.bybit.com", "ftp://x", "ws://h:1", "HTTP://x", "http:/x", ""}) {
        EXPECT_FALSE(parse_http_url(bad, error)) << bad;
        EXPECT_NE(error.find("must start with http:// or https://"), std::string::npos) << error;
    }
}

TEST(HttpUrlTest, BadPortsAreRefused) {
    std::string error;
    for (const char* bad :
         {"http://x:0", "http://x:65536", "http://x:123456", "http://x:8a", "http://x:-1",
          "http://x:+80", "http://x:", "http://[::1]:", "http://[::1]:99999", "http://x:80:81"}) {
        EXPECT_FALSE(parse_http_url(bad, error)) << bad;
        EXPECT_NE(error.find("port must be 1-65535"), std::string::npos) << bad << ": " << error;
    }
}

TEST(HttpUrlTest, OtherMalformedUrlsAreRefusedWithOneLine) {
    std::string error;
    for (const char* bad :
         {"http://", "http://:80", "http:///path", "http://u@x", "http://x/?q=1", "http://x/#f",
          "https://h/?q=1", "http://[::1", "http://[::1]x", "http://[]:80", "http://[host]:80",
          "http://a b", "http://x/\n", "http://x\x7f"}) {
        EXPECT_FALSE(parse_http_url(bad, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
        EXPECT_TRUE(error.starts_with("URL '")) << error;
    }
}

} // namespace
} // namespace mdg::net
