#include "gateway/liquidation_log.hpp"

#include <spdlog/spdlog.h>

#include "model/fixed_point.hpp"

namespace mdg::gateway {

void liquidation_log::on_liquidation(const model::liquidation& l, std::stop_token /*stop*/) {
    const auto& info = registry_.info(l.instrument);
    const auto px = model::to_fixed_string(l.px.raw, info.spec.price_decimals, true);
    const auto sz = model::to_fixed_string(l.sz.raw, info.spec.qty_decimals, true);
    // Bybit's side of the liquidated position: Buy = a long position was liquidated.
    const auto side = l.position_side == model::side::buy ? "Buy" : "Sell";
    spdlog::info("Liquidation detected for {}: {} {} @ {}", info.symbol, side, sz, px);
    const double notional =
        static_cast<double>(l.px.raw) /
        static_cast<double>(model::pow10(info.spec.price_decimals)) *
        (static_cast<double>(l.sz.raw) / static_cast<double>(model::pow10(info.spec.qty_decimals)));
    if (notional < opts_.alert_notional) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    auto [it, fresh] = last_alert_.try_emplace(l.instrument, now);
    if (!fresh && now - it->second < opts_.cooldown) {
        return;
    }
    it->second = now;
    ++alerts_;
    spdlog::warn("Large liquidation alert for {}: {} {} @ {} (notional {:.0f})", info.symbol, side,
                 sz, px, notional);
}

} // namespace mdg::gateway
