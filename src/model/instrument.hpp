#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace mdg::model {

enum class venue : std::uint8_t { bybit, binance, okx };
enum class category : std::uint8_t { spot, linear, inverse, option };
inline constexpr std::size_t category_count = 4;

[[nodiscard]] std::string_view to_string(venue v) noexcept;
[[nodiscard]] std::string_view to_string(category c) noexcept;
/// Parses "spot", "linear", "inverse", "option".
[[nodiscard]] std::optional<category> parse_category(std::string_view s) noexcept;

/// Dense id of an instrument (venue + category + symbol), assigned by `instrument_registry`.
/// Cheap to copy and hash; events carry this instead of the symbol text.
struct instrument_id {
    std::uint32_t value = 0;
    friend constexpr auto operator<=>(instrument_id, instrument_id) = default;
};

/// Precision of an instrument's prices and quantities, in decimal digits after the point.
/// Venues publish it (Bybit: instruments-info `priceScale`, `qtyStep`/`basePrecision`).
/// Unknown instruments get `default_spec`, wide enough for every Bybit market: 10^-8 steps
/// and magnitudes up to 9.2e10.
struct instrument_spec {
    std::uint8_t price_decimals = 8;
    std::uint8_t qty_decimals = 8;
    friend constexpr bool operator==(instrument_spec, instrument_spec) = default;
};
inline constexpr instrument_spec default_spec{};

struct instrument_info {
    venue v = venue::bybit;
    model::category cat = model::category::linear;
    std::string symbol;
    instrument_spec spec;
};

/// Interns (venue, category, symbol) into dense ids and keeps each instrument's precision.
/// Owned by the component that sets up feeds. Not thread-safe: register every instrument
/// before other threads read, or use it from one thread only (the replay does).
class instrument_registry {
  public:
    /// Returns the id of the instrument, adding it with `spec` if it is new. An existing
    /// instrument keeps its spec.
    instrument_id intern(venue v, category c, std::string_view symbol,
                         instrument_spec spec = default_spec);
    /// Looks an instrument up without adding it; never allocates.
    [[nodiscard]] std::optional<instrument_id> find(venue v, category c,
                                                    std::string_view symbol) const noexcept;
    /// Information about an id returned by this registry (precondition: valid id).
    [[nodiscard]] const instrument_info& info(instrument_id id) const noexcept {
        return instruments_[id.value];
    }
    void set_spec(instrument_id id, instrument_spec spec) noexcept {
        instruments_[id.value].spec = spec;
    }
    [[nodiscard]] std::size_t size() const noexcept { return instruments_.size(); }

  private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    using symbol_map = std::unordered_map<std::string, instrument_id, string_hash, std::equal_to<>>;
    [[nodiscard]] static std::size_t slot(venue v, category c) noexcept {
        return static_cast<std::size_t>(v) * category_count + static_cast<std::size_t>(c);
    }
    std::array<symbol_map, 3 * category_count> maps_;
    std::vector<instrument_info> instruments_;
};

} // namespace mdg::model

template <> struct std::hash<mdg::model::instrument_id> {
    std::size_t operator()(mdg::model::instrument_id id) const noexcept { return id.value; }
};
