#include "exchange/bybit/venue.hpp"

namespace mdg::exchange::bybit {

std::string_view venue::public_ws_url(model::category cat, bool testnet) noexcept {
    switch (cat) {
    case model::category::spot:
        return testnet ? "wss://stream-testnet.bybit.com/v5/public/spot"
                       : "wss://stream.bybit.com/v5/public/spot";
    case model::category::linear:
        return testnet ? "wss://stream-testnet.bybit.com/v5/public/linear"
                       : "wss://stream.bybit.com/v5/public/linear";
    case model::category::inverse:
        return testnet ? "wss://stream-testnet.bybit.com/v5/public/inverse"
                       : "wss://stream.bybit.com/v5/public/inverse";
    case model::category::option:
        return testnet ? "wss://stream-testnet.bybit.com/v5/public/option"
                       : "wss://stream.bybit.com/v5/public/option";
    }
    return {};
}

std::string_view venue::rest_url(bool testnet) noexcept {
    return testnet ? "https://api-testnet.bybit.com" : "https://api.bybit.com";
}

} // namespace mdg::exchange::bybit
