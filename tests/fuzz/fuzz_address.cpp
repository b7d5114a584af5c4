// Fuzz target: the URL and address parsers and the command-line value rules, all on the same
// text: net::parse_http_url and parse_url_authority (net/http_url.cpp), cli::parse_listen
// (cli/listen.cpp), parse_number, parse_count, parse_duration_option and is_bindable_host
// (cli/input_checks.cpp) and parse_duration (cli/duration.cpp).
// Invariants: what parses prints back to a text that parses to the same value; refusals say
// why in one line; numbers are finite and within their bounds.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/duration.hpp"
#include "cli/input_checks.hpp"
#include "cli/listen.hpp"
#include "fuzz/fuzz_check.hpp"
#include "net/http_url.hpp"

namespace {

using namespace mdg;
using std::chrono::milliseconds;

// A refusal's reason: set, and one line.
void check_reason(const std::string& error) {
    fuzz::check(!error.empty(), "a refusal says why");
    fuzz::check(error.find_first_of("\r\n") == std::string::npos, "a reason is one line");
}

void fuzz_http_url(std::string_view text) {
    for (const auto schemes : {net::http_schemes::http_only, net::http_schemes::http_and_https}) {
        std::string error = "stale";
        const auto url = net::parse_http_url(text, error, schemes);
        if (!url) {
            check_reason(error);
            continue;
        }
        fuzz::check(error.empty(), "success clears the error");
        fuzz::check(!url->host.empty() && !url->port.empty(), "a URL has a host and a port");
        fuzz::check(!url->base_path.ends_with('/'), "the prefix never ends in '/'");
        const auto again_text = std::string{url->tls ? "https://" : "http://"} + url->url_host() +
                                ":" + url->port + url->base_path;
        const auto again = net::parse_http_url(again_text, error, schemes);
        fuzz::check(again && again->tls == url->tls && again->host == url->host &&
                        again->port == url->port && again->base_path == url->base_path,
                    "a parsed URL prints back to itself");
        (void)net::host_header(url->host, url->port, url->tls);
    }
    std::string why;
    if (const auto a = net::parse_url_authority(text, "80", why)) {
        fuzz::check(!a->host.empty(), "an authority has a host");
    } else {
        check_reason(why);
    }
}

void fuzz_listen(std::string_view text) {
    std::string error;
    const auto hp = cli::parse_listen(text, error);
    if (!hp) {
        check_reason(error);
        return;
    }
    const bool v6 = hp->host.find(':') != std::string::npos;
    const auto again_text = (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(hp->port);
    const auto again = cli::parse_listen(again_text, error);
    fuzz::check(again && *again == *hp, "a listen address prints back to itself");
    (void)cli::is_bindable_host(hp->host);
}

void fuzz_values(std::string_view text) {
    std::string error;
    if (const auto n = cli::parse_number("--n", text, -1e9, 1e9, error)) {
        fuzz::check(std::isfinite(*n) && *n >= -1e9 && *n <= 1e9, "a number within bounds");
    } else {
        check_reason(error);
    }
    error.clear();
    if (const auto c = cli::parse_count("--c", text, 1, 1000000, error)) {
        fuzz::check(*c >= 1 && *c <= 1000000, "a count within bounds");
    } else {
        check_reason(error);
    }
    error.clear();
    const milliseconds lo{1};
    const milliseconds hi = std::chrono::hours{24};
    if (const auto d = cli::parse_duration_option("--d", text, lo, hi, error)) {
        fuzz::check(*d >= lo && *d <= hi, "a duration within bounds");
    } else {
        check_reason(error);
    }
    if (const auto d = cli::parse_duration(text)) {
        fuzz::check(d->count() >= 0, "a duration is not negative");
        fuzz::check(cli::parse_duration(cli::format_duration(*d)) == *d,
                    "a duration prints back to itself");
    }
    (void)cli::is_bindable_host(text);
    (void)net::has_space_or_control(text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    fuzz_http_url(text);
    fuzz_listen(text);
    fuzz_values(text);
    return 0;
}
