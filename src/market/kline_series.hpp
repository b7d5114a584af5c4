#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/clock.hpp"
#include "market/detail/ring_buffer.hpp"
#include "model/events.hpp"

namespace mdg::market {

/// Outcome of kline_series::upsert.
enum class [[nodiscard]] kline_status : std::uint8_t{
    updated,       ///< same `start` as the newest candle: overwritten in place
    appended,      ///< newer `start`: added as the newest (the oldest evicted when full)
    ignored_older, ///< older `start` than the newest candle: dropped
};

[[nodiscard]] std::string_view to_string(kline_status s) noexcept;

/// Candles of one (instrument, interval), oldest to newest, in a ring of fixed capacity
/// (default 1440: one day of 1 m candles). The open candle is updated in place until the venue
/// starts the next one, so memory stays flat however long the feed runs (the old service's grew
/// without bound). Each stored candle keeps the venue's `confirm` flag and turnover as last sent.
///
/// All memory is allocated by the constructor; upsert never allocates.
/// Owned by market_state (one shard); not thread-safe.
class kline_series {
  public:
    static constexpr std::size_t default_capacity = 1440;

    /// Precondition: capacity > 0.
    explicit kline_series(std::size_t capacity = default_capacity);

    /// Stores `k` by its `start` against the newest candle (see kline_status). Candles that
    /// arrive out of order behind the newest are dropped, never inserted in the middle.
    kline_status upsert(const model::kline& k) noexcept;

    /// Merges candles from another source (the REST history), oldest first with strictly
    /// increasing starts: each goes in by its start, in order, so history fills in before and
    /// between what the stream delivered (no duplicate, no hole the history covers). At a start
    /// the series holds already, the series' candle stays, unless it is still open and the
    /// other one is closed (the stream's last update of it was missed). When the series is
    /// full the oldest go. Returns how many candles were added or replaced. Allocates once for
    /// the merge (history arrives a few times per run, not per message).
    std::size_t merge(std::span<const model::kline> history);

    [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }
    [[nodiscard]] bool empty() const noexcept { return ring_.empty(); }
    /// The i-th candle from the oldest (0 = oldest, size() - 1 = newest). Precondition:
    /// i < size().
    [[nodiscard]] const model::kline& at(std::size_t i) const noexcept { return ring_[i]; }
    /// The most recent candle (possibly still open: check `confirm`). Precondition: !empty().
    [[nodiscard]] const model::kline& newest() const noexcept { return ring_.back(); }
    /// The oldest candle kept. Precondition: !empty().
    [[nodiscard]] const model::kline& oldest() const noexcept { return ring_.front(); }

    /// Envelope time and local receive time of the last stored (updated or appended) candle.
    [[nodiscard]] unix_nanos ts_exchange() const noexcept { return ts_exchange_; }
    [[nodiscard]] unix_nanos ts_recv() const noexcept { return ts_recv_; }

    [[nodiscard]] std::uint64_t updated_count() const noexcept { return updated_; }
    [[nodiscard]] std::uint64_t appended_count() const noexcept { return appended_; }
    [[nodiscard]] std::uint64_t ignored_count() const noexcept { return ignored_; }

  private:
    detail::ring_buffer<model::kline> ring_;
    unix_nanos ts_exchange_;
    unix_nanos ts_recv_;
    std::uint64_t updated_ = 0;
    std::uint64_t appended_ = 0;
    std::uint64_t ignored_ = 0;
    std::uint64_t merged_ = 0;

  public:
    /// Candles added or replaced by merge().
    [[nodiscard]] std::uint64_t merged_count() const noexcept { return merged_; }
};

} // namespace mdg::market
