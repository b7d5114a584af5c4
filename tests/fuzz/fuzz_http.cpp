// Fuzz target: the HTTP request path of the gateway's server (http/server.cpp) and the data
// API's routes (api/data_routes.cpp), fed as a client would: the input is the bytes of one
// connection (any number of pipelined requests), sent over loopback to a real http::server
// with small limits (512-byte header, 256-byte body), a bearer token, plain routes, a prefix
// route, an upgrade path and every /v1 data route over a catalog of one instrument. Beast's
// parser reads the bytes; what is fuzzed is mdgate's use of it: limits, target splitting,
// authentication, routing, upgrade dispatch, query parsing and response checks.
// Invariants: the server answers only with well-formed HTTP responses, and only the /echo
// route (whose handler answers what the query asks, valid or not) may count a handler error:
// no data route may fail on any request.
//
// Single-threaded: the server and the client share one io_context, run by the fuzzer's thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/catalog.hpp"
#include "api/data_routes.hpp"
#include "api/market_cache.hpp"
#include "fuzz/fuzz_check.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace {

using namespace mdg;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// /echo?<status>&<header name>=<header value>: a handler that answers whatever it is asked,
// so the server's checks of handler answers are fuzzed too.
http::response echo(const http::request& req) {
    http::response r;
    const auto amp = req.query.find('&');
    const auto status = req.query.substr(0, amp);
    r.status = 0;
    for (const char c : status.substr(0, 4)) {
        r.status = r.status * 10 + static_cast<unsigned char>(c) % 10U;
    }
    if (amp != std::string_view::npos) {
        const auto header = req.query.substr(amp + 1);
        const auto eq = header.find('=');
        r.headers.emplace_back(header.substr(0, eq),
                               eq == std::string_view::npos ? "" : header.substr(eq + 1));
    }
    r.body = std::string{req.header("x-body")};
    return r;
}

struct fixture {
    asio::io_context ioc;
    api::catalog cat;
    metrics::registry reg;
    std::unique_ptr<api::market_cache> cache;
    std::unique_ptr<http::server> server;
    std::uint16_t port = 0;

    fixture() {
        auto& e = cat.add(model::instrument_id{0}, model::venue::bybit, model::category::linear,
                          "BTCUSDT", model::instrument_spec{2, 3});
        e.book_depths = {1, 50};
        e.kline_intervals = {model::kline_interval::m1};
        e.tickers = e.trades = e.liquidations = true;
        cache = std::make_unique<api::market_cache>(cat, api::cache_options{});

        http::server_options opts;
        opts.address = "127.0.0.1";
        opts.port = 0;
        opts.bearer_token = "fuzz-token";
        opts.public_paths = {"/healthz", "/echo", "/v1/instruments", "/v1/book/linear/BTCUSDT"};
        opts.max_header_bytes = 512;
        opts.max_body_bytes = 256;
        server = std::make_unique<http::server>(ioc.get_executor(), opts);
        server->route("/healthz", [](const http::request&) { return http::response{}; });
        server->route("/echo", echo);
        server->route_prefix("/files/", [](const http::request& req) {
            http::response r;
            r.body = std::string{req.path};
            return r;
        });
        server->upgrade("/v1/stream", [](tcp::socket s, const http::request&, std::string_view) {
            boost::system::error_code ec;
            s.close(ec);
        });
        api::register_data_routes(*server, cat, *cache,
                                  [] { return std::vector<api::channel_status>{}; }, reg, {});
        std::string error;
        const auto p = server->start(error);
        if (!p) {
            std::fprintf(stderr, "fuzz_http: %s\n", error.c_str());
            std::abort();
        }
        port = *p;
    }
};

// Checks that `answer` is a sequence of complete, well-formed HTTP responses. An answer to HEAD
// has a Content-Length but no body, and which answers are to HEAD is not known here: a response
// is read with its body, or else without, whichever leaves the next response (or nothing).
void check_responses(std::string_view answer) {
    while (!answer.empty()) {
        bool whole = false;
        for (const bool head : {false, true}) {
            bhttp::response_parser<bhttp::string_body> parser;
            parser.eager(true);
            parser.skip(head);
            boost::system::error_code ec;
            const auto n = parser.put(asio::buffer(answer.data(), answer.size()), ec);
            const auto rest = answer.substr(ec ? 0 : n);
            if (!ec && parser.is_done() && (rest.empty() || rest.starts_with("HTTP/1."))) {
                const auto status = parser.get().result_int();
                fuzz::check(status >= 200 && status <= 599, "a response status is 200-599");
                answer = rest;
                whole = true;
                break;
            }
        }
        fuzz::check(whole, "the server answers with whole HTTP responses");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    const auto handler_errors = f.server->stats().handler_errors;
    const auto input = fuzz::as_text(data, size);

    tcp::socket client{f.ioc};
    std::string answer;
    bool done = false;
    // Connect, send everything, half-close, read until the server closes: the server sees one
    // client connection, whatever its requests, ending with EOF. All asynchronous, so that
    // libFuzzer's timer signal cannot interrupt a blocking call (EINTR).
    client.async_connect(
        tcp::endpoint{asio::ip::address_v4::loopback(), f.port}, [&](boost::system::error_code ec) {
            fuzz::check(!ec, "the client connects");
            asio::async_write(client, asio::buffer(input.data(), input.size()),
                              [&](boost::system::error_code, std::size_t) {
                                  boost::system::error_code ignored;
                                  client.shutdown(tcp::socket::shutdown_send, ignored);
                              });
            asio::async_read(client, asio::dynamic_buffer(answer),
                             [&](boost::system::error_code, std::size_t) { done = true; });
        });
    while (!done) {
        f.ioc.run_one();
    }
    f.ioc.poll();

    check_responses(answer);
    if (input.find("/echo") == std::string_view::npos) {
        fuzz::check(f.server->stats().handler_errors == handler_errors,
                    "no handler but /echo fails");
    }
    return 0;
}
