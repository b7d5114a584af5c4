#include "gateway/symbol_select.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "net/rate_limiter.hpp"
#include "net/rest_client.hpp"
#include "net/ws_session.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;

std::vector<selected_symbol> choose_symbols(std::span<const exchange::bybit::rest_ticker_row> rows,
                                            const selection_options& opts) {
    std::vector<selected_symbol> candidates;
    for (const auto& r : rows) {
        if (std::find(opts.exclude.begin(), opts.exclude.end(), r.symbol) != opts.exclude.end() ||
            r.turnover_24h < opts.min_turnover || (opts.eligible && !opts.eligible(r.symbol))) {
            continue;
        }
        candidates.push_back({r.symbol, opts.by == selection_options::ranking::turnover_24h
                                            ? r.turnover_24h
                                            : r.volume_24h});
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        if (a.value != b.value) {
            return a.value > b.value;
        }
        return a.symbol < b.symbol;
    });
    // A symbol the venue listed twice counts once (its first, higher, place).
    std::vector<selected_symbol> out;
    for (auto& c : candidates) {
        if (out.size() == opts.top) {
            break;
        }
        if (std::none_of(out.begin(), out.end(),
                         [&](const auto& o) { return o.symbol == c.symbol; })) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

result<std::vector<exchange::bybit::rest_ticker_row>> fetch_tickers(const ticker_source& src,
                                                                    std::string& why) {
    std::shared_ptr<asio::ssl::context> tls;
    try {
        tls = net::make_client_tls_context(src.ca_file);
    } catch (const std::exception& e) {
        why = e.what();
        return errc::invalid_argument;
    }
    asio::io_context ioc{1};
    net::rate_limiter limiter{net::rate_limiter::options{}};
    net::rest_client_options co;
    co.url = src.rest_url;
    co.connect_timeout = src.connect_timeout;
    co.request_timeout = src.request_timeout;
    co.max_connections = 1;
    std::optional<net::rest_client> client;
    try {
        client.emplace(ioc.get_executor(), tls, limiter, std::move(co));
    } catch (const std::invalid_argument& e) {
        why = fmt::format("rest url: {}", e.what());
        return errc::invalid_argument;
    }
    net::rest_response answer;
    const auto query = fmt::format("category={}", model::to_string(src.cat));
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            answer = co_await client->get("/v5/market/tickers", query, net::rest_priority::urgent);
            client->stop(); // closes the kept connection, so that run() returns
        },
        asio::detached);
    ioc.run();
    if (!answer.ok()) {
        why = answer.reason.empty() ? std::string{net::to_string(answer.outcome)} : answer.reason;
        return errc::unavailable;
    }
    auto rows = exchange::bybit::parse_rest_tickers_list(answer.body, why);
    if (!rows) {
        why = fmt::format("/v5/market/tickers: {}", why);
    }
    return rows;
}

} // namespace mdg::gateway
