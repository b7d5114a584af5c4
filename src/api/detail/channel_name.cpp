#include "api/detail/channel_name.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace mdg::api::detail {

namespace {

constexpr std::size_t max_symbol = 64;
constexpr std::uint16_t max_depth = 1000;

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto dot = s.find('.');
        parts.push_back(s.substr(0, dot));
        if (dot == std::string_view::npos) {
            break;
        }
        s = s.substr(dot + 1);
    }
    return parts;
}

bool valid_symbol(std::string_view s) {
    if (s.empty() || s.size() > max_symbol) {
        return false;
    }
    if (s == "*") {
        return true;
    }
    for (const char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<channel_name> parse_channel(std::string_view s, std::string& why) {
    const auto parts = split(s);
    channel_name c;
    std::size_t at = 1; // index of the category
    if (parts[0] == "book") {
        c.kind = channel_kind::book;
        if (parts.size() != 4) {
            why = "expected book.{depth}.{category}.{symbol}";
            return std::nullopt;
        }
        unsigned d = 0;
        const auto* end = parts[1].data() + parts[1].size();
        const auto [p, ec] = std::from_chars(parts[1].data(), end, d);
        if (parts[1].empty() || ec != std::errc{} || p != end || d < 1 || d > max_depth) {
            why = "book depth must be an integer within 1..1000";
            return std::nullopt;
        }
        c.depth = static_cast<std::uint16_t>(d);
        at = 2;
    } else if (parts[0] == "kline") {
        c.kind = channel_kind::kline;
        if (parts.size() != 4) {
            why = "expected kline.{interval}.{category}.{symbol}";
            return std::nullopt;
        }
        const auto iv = model::parse_kline_interval(parts[1]);
        if (!iv) {
            why = "kline interval must be one of 1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W, M";
            return std::nullopt;
        }
        c.interval = *iv;
        at = 2;
    } else if (parts[0] == "trades" || parts[0] == "ticker" || parts[0] == "liquidations") {
        c.kind = parts[0] == "trades"   ? channel_kind::trades
                 : parts[0] == "ticker" ? channel_kind::ticker
                                        : channel_kind::liquidations;
        if (parts.size() != 3) {
            why = fmt::format("expected {}.{{category}}.{{symbol}}", parts[0]);
            return std::nullopt;
        }
    } else {
        why = "the channel must start with book, trades, ticker, kline or liquidations";
        return std::nullopt;
    }
    const auto cat = model::parse_category(parts[at]);
    if (!cat) {
        why = "category must be spot, linear, inverse or option";
        return std::nullopt;
    }
    c.cat = *cat;
    if (!valid_symbol(parts[at + 1])) {
        why = "the symbol must be 1..64 letters, digits, '-' or '_', or '*'";
        return std::nullopt;
    }
    c.symbol = parts[at + 1];
    return c;
}

std::string format_channel(const channel_name& c, std::string_view symbol) {
    const auto cat = model::to_string(c.cat);
    switch (c.kind) {
    case channel_kind::book:
        return fmt::format("book.{}.{}.{}", c.depth, cat, symbol);
    case channel_kind::trades:
        return fmt::format("trades.{}.{}", cat, symbol);
    case channel_kind::ticker:
        return fmt::format("ticker.{}.{}", cat, symbol);
    case channel_kind::kline:
        return fmt::format("kline.{}.{}.{}", model::to_string(c.interval), cat, symbol);
    case channel_kind::liquidations:
        return fmt::format("liquidations.{}.{}", cat, symbol);
    }
    return {};
}

} // namespace mdg::api::detail
