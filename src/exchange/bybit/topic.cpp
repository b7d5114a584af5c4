#include "exchange/bybit/topic.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

namespace mdg::exchange::bybit {

std::string_view to_string(channel c) noexcept {
    switch (c) {
    case channel::orderbook:
        return "orderbook";
    case channel::public_trade:
        return "publicTrade";
    case channel::tickers:
        return "tickers";
    case channel::kline:
        return "kline";
    case channel::all_liquidation:
        return "allLiquidation";
    case channel::liquidation:
        return "liquidation";
    }
    return "unknown";
}

namespace {

// Symbols are upper-case letters, digits and, for options, '-' (BTC-26DEC25-100000-C).
bool valid_symbol(std::string_view s) noexcept {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Splits "a.b" at the first dot.
std::pair<std::string_view, std::string_view> split_first(std::string_view s) noexcept {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) {
        return {s, {}};
    }
    return {s.substr(0, dot), s.substr(dot + 1)};
}

constexpr std::array<std::uint16_t, 4> futures_depths{1, 50, 200, 1000};
constexpr std::array<std::uint16_t, 2> option_depths{25, 100};

} // namespace

result<topic> parse_topic(std::string_view text) noexcept {
    auto [prefix, rest] = split_first(text);
    if (rest.empty()) {
        return errc::unknown_topic;
    }
    topic t;
    if (prefix == "orderbook" || prefix == "kline") {
        auto [param, symbol] = split_first(rest);
        if (symbol.empty() || !valid_symbol(symbol)) {
            return errc::unknown_topic;
        }
        t.symbol = symbol;
        if (prefix == "orderbook") {
            t.ch = channel::orderbook;
            unsigned depth = 0;
            const auto [ptr, ec] =
                std::from_chars(param.data(), param.data() + param.size(), depth);
            if (ec != std::errc{} || ptr != param.data() + param.size() || depth == 0 ||
                depth > max_decoded_depth) {
                return errc::unknown_topic;
            }
            t.depth = static_cast<std::uint16_t>(depth);
        } else {
            t.ch = channel::kline;
            auto interval = model::parse_kline_interval(param);
            if (!interval) {
                return errc::unknown_topic;
            }
            t.interval = *interval;
        }
        return t;
    }
    if (!valid_symbol(rest)) {
        return errc::unknown_topic;
    }
    t.symbol = rest;
    if (prefix == "publicTrade") {
        t.ch = channel::public_trade;
    } else if (prefix == "tickers") {
        t.ch = channel::tickers;
    } else if (prefix == "allLiquidation") {
        t.ch = channel::all_liquidation;
    } else if (prefix == "liquidation") {
        t.ch = channel::liquidation;
    } else {
        return errc::unknown_channel;
    }
    return t;
}

std::string format_topic(const topic& t) {
    switch (t.ch) {
    case channel::orderbook:
        return fmt::format("orderbook.{}.{}", t.depth, t.symbol);
    case channel::kline:
        return fmt::format("kline.{}.{}", model::to_string(t.interval), t.symbol);
    case channel::public_trade:
    case channel::tickers:
    case channel::all_liquidation:
    case channel::liquidation:
        return fmt::format("{}.{}", to_string(t.ch), t.symbol);
    }
    return {};
}

std::span<const std::uint16_t> subscribable_depths(model::category cat) noexcept {
    if (cat == model::category::option) {
        return option_depths;
    }
    return futures_depths;
}

boost::system::error_code validate_subscription(model::category cat, std::string_view text,
                                                std::string& reason) {
    auto t = parse_topic(text);
    if (!t) {
        reason = fmt::format("'{}' is not a Bybit v5 public topic", text);
        return t.error();
    }
    const auto cat_name = model::to_string(cat);
    switch (t->ch) {
    case channel::orderbook: {
        const auto depths = subscribable_depths(cat);
        bool ok = false;
        for (auto d : depths) {
            ok = ok || d == t->depth;
        }
        if (!ok) {
            std::string list;
            for (auto d : depths) {
                list += (list.empty() ? "" : ", ") + std::to_string(d);
            }
            const bool retired = t->depth == 500 && cat != model::category::option;
            reason = fmt::format("'{}': depth {} {} on {}; valid depths: {}", text, t->depth,
                                 retired ? "was retired by Bybit (2025-09-30)" : "is not served",
                                 cat_name, list);
            return errc::invalid_argument;
        }
        break;
    }
    case channel::all_liquidation:
        if (cat != model::category::linear && cat != model::category::inverse) {
            reason = fmt::format("'{}': allLiquidation exists only on linear and inverse", text);
            return errc::invalid_argument;
        }
        break;
    case channel::liquidation:
        reason = fmt::format("'{}': liquidation.* was removed by Bybit; use allLiquidation.{}",
                             text, t->symbol);
        return errc::invalid_argument;
    case channel::kline:
        if (cat == model::category::option) {
            reason = fmt::format("'{}': options have no kline stream", text);
            return errc::invalid_argument;
        }
        break;
    case channel::public_trade:
    case channel::tickers:
        break;
    }
    return {};
}

} // namespace mdg::exchange::bybit
