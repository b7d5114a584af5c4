#include "model/instrument.hpp"

namespace mdg::model {

std::string_view to_string(venue v) noexcept {
    switch (v) {
    case venue::bybit:
        return "bybit";
    case venue::binance:
        return "binance";
    case venue::okx:
        return "okx";
    }
    return "unknown";
}

std::string_view to_string(category c) noexcept {
    switch (c) {
    case category::spot:
        return "spot";
    case category::linear:
        return "linear";
    case category::inverse:
        return "inverse";
    case category::option:
        return "option";
    }
    return "unknown";
}

std::optional<category> parse_category(std::string_view s) noexcept {
    for (auto c : {category::spot, category::linear, category::inverse, category::option}) {
        if (to_string(c) == s) {
            return c;
        }
    }
    return std::nullopt;
}

instrument_id instrument_registry::intern(venue v, category c, std::string_view symbol,
                                          instrument_spec spec) {
    auto& map = maps_[slot(v, c)];
    if (auto it = map.find(symbol); it != map.end()) {
        return it->second;
    }
    const instrument_id id{static_cast<std::uint32_t>(instruments_.size())};
    instruments_.push_back(instrument_info{v, c, std::string(symbol), spec});
    map.emplace(std::string(symbol), id);
    return id;
}

std::optional<instrument_id> instrument_registry::find(venue v, category c,
                                                       std::string_view symbol) const noexcept {
    const auto& map = maps_[slot(v, c)];
    if (auto it = map.find(symbol); it != map.end()) {
        return it->second;
    }
    return std::nullopt;
}

} // namespace mdg::model
