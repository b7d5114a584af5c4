#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "exchange/bybit/rest_parse.hpp"
#include "model/decimal.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// How to choose the symbols at start (`[select]`, `mdgate run --top N --by FIELD`).
struct selection_options {
    std::size_t top = 0;
    enum class ranking : std::uint8_t { turnover_24h, volume_24h };
    ranking by = ranking::turnover_24h;
    std::vector<std::string> exclude;
    model::decimal min_turnover; ///< a symbol with less 24 h turnover is not selected
    /// Which symbols may be chosen at all (null: any), e.g. perpetuals only.
    std::function<bool(std::string_view)> eligible;
};

/// One chosen symbol and the figure it was ranked by (for the log line).
struct selected_symbol {
    std::string symbol;
    model::decimal value;
};

/// The `top` symbols of `rows` by the ranking figure, descending (ties by symbol name), after
/// dropping the excluded ones and those below `min_turnover`. Fewer when fewer qualify. Pure.
[[nodiscard]] std::vector<selected_symbol>
choose_symbols(std::span<const exchange::bybit::rest_ticker_row> rows,
               const selection_options& opts);

/// Where and how to ask for the tickers.
struct ticker_source {
    std::string rest_url; ///< "https://api.bybit.com" or a simulator's "http://127.0.0.1:9000"
    std::string ca_file;  ///< an extra trusted CA (PEM), "" = the system's
    model::category cat = model::category::linear;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{10'000};
};

/// GET /v5/market/tickers?category=<cat> once, on a private I/O context, through a REST client
/// (TLS verified, deadlines, the answer classified and decoded as untrusted). The rows, or an
/// error with one line in `why`. Blocks the calling thread (start-up only).
[[nodiscard]] result<std::vector<exchange::bybit::rest_ticker_row>>
fetch_tickers(const ticker_source& src, std::string& why);

} // namespace mdg::gateway
