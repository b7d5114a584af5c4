#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::api {

/// What the gateway carries for one instrument: the channels subscribed at the venue.
struct instrument_entry {
    model::instrument_id id;
    model::venue venue = model::venue::bybit;
    model::category cat = model::category::linear;
    std::string symbol;
    model::instrument_spec spec;
    std::vector<std::uint16_t> book_depths;             ///< ascending
    std::vector<model::kline_interval> kline_intervals; ///< in subscription order
    bool tickers = false;
    bool trades = false;
    bool liquidations = false;
};

/// The instruments and channels the API can serve, fixed when the gateway starts. Built once,
/// then read-only: safe to read from any thread.
class catalog {
  public:
    /// Adds (or returns) the entry of an instrument. Before the API starts only.
    instrument_entry& add(model::instrument_id id, model::venue v, model::category c,
                          std::string_view symbol, model::instrument_spec spec);

    [[nodiscard]] const instrument_entry* find(model::category c,
                                               std::string_view symbol) const noexcept;
    [[nodiscard]] const instrument_entry* find(model::instrument_id id) const noexcept;
    [[nodiscard]] const std::vector<instrument_entry>& entries() const noexcept { return entries_; }
    /// The subscribed book that serves `depth` levels: the smallest with at least `depth`
    /// levels, else none.
    [[nodiscard]] static std::optional<std::uint16_t> source_depth(const instrument_entry& e,
                                                                   std::uint16_t depth) noexcept;
    /// The deepest subscribed book, 0 when none.
    [[nodiscard]] static std::uint16_t max_depth(const instrument_entry& e) noexcept;

  private:
    std::vector<instrument_entry> entries_;
    std::vector<std::size_t> by_id_; // entries_ index + 1 by instrument id; 0 = none
};

} // namespace mdg::api
