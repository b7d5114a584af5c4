#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.hpp"
#include "market/open_interest_history.hpp"
#include "model/decimal.hpp"
#include "model/events.hpp"
#include "model/ticker.hpp"

namespace mdg::market {

/// Outcome of ticker_state::apply. Outcomes, not errors: the caller counts them.
enum class [[nodiscard]] ticker_status : std::uint8_t{
    applied,               ///< the state changed
    stale_cross_seq,       ///< `cs` lower than the last one applied: ignored
    delta_before_snapshot, ///< a delta with no snapshot to merge into: ignored
};

[[nodiscard]] std::string_view to_string(ticker_status s) noexcept;

/// Ticker of one instrument, rebuilt from the venue's snapshot and delta messages
/// (docs/venues/bybit.md, "Tickers").
///
/// Rules: a snapshot replaces every field; a delta merges only the fields it carries
/// (ticker_fields::merge) and is ignored until a first snapshot arrives. Any update with a
/// non-zero cross sequence (`cs`) lower than the last non-zero one applied is ignored; an equal
/// `cs` is applied (Bybit repeats `cs` while only mark/index prices move), and `cs == 0` means
/// "absent" and is never compared.
///
/// Open interest: when an applied update carries a non-empty, non-negative `open_interest`
/// that differs from the current value, the current value becomes the previous one and the
/// timestamp of the change is recorded. Every applied update also samples the current value
/// into a bucketed history (open_interest_history), so quiet periods without OI deltas still
/// fill their buckets.
///
/// Owned by market_state (one shard); not thread-safe. apply() never allocates.
class ticker_state {
  public:
    explicit ticker_state(
        std::size_t oi_history_depth = open_interest_history::default_depth,
        std::chrono::nanoseconds oi_bucket_width = open_interest_history::default_bucket_width);

    ticker_status apply(const model::ticker_update& u) noexcept;

    /// Open interest from the venue's REST history (the backfill), oldest first: a point at
    /// `ts` is the open interest at that instant, so it fills the bucket that ends there (the
    /// bucket a live sample of that moment would have closed), and only when that bucket is
    /// empty: a live sample always wins. Negative values are skipped. The current value and
    /// its change counters are the stream's alone. Returns the buckets filled. Never allocates.
    std::size_t merge_open_interest(std::span<const model::open_interest_point> points) noexcept;

    /// A ticker fetched over REST while the stream was stale (the emergency refresh): its
    /// fields replace the current ones (a REST answer carries them all) and its times become
    /// the ticker's, but the stale flag stays as it is: the stream has not come back. It is
    /// marked as from REST (from_rest()) until the next stream update. The `cs` floor and the
    /// open-interest tracking are the stream's alone. Always `applied`.
    ticker_status apply_rest(const model::ticker_update& u) noexcept;
    /// Whether the last applied update came from REST, not the stream.
    [[nodiscard]] bool from_rest() const noexcept { return from_rest_; }

    /// The feed was lost (reconnect): flag the contents as possibly old until the next applied
    /// update. The fields and the `cs` floor are kept.
    void mark_stale() noexcept { stale_ = true; }
    [[nodiscard]] bool stale() const noexcept { return stale_; }

    /// Whether a snapshot has been applied (before that, fields() is empty).
    [[nodiscard]] bool has_snapshot() const noexcept { return has_snapshot_; }
    [[nodiscard]] const model::ticker_fields& fields() const noexcept { return fields_; }
    /// Last non-zero `cs` applied; 0 if none.
    [[nodiscard]] std::uint64_t cross_seq() const noexcept { return cross_seq_; }
    /// Venue time and local receive time of the last applied update.
    [[nodiscard]] unix_nanos ts_exchange() const noexcept { return ts_exchange_; }
    [[nodiscard]] unix_nanos ts_recv() const noexcept { return ts_recv_; }

    [[nodiscard]] const std::optional<model::decimal>& open_interest_current() const noexcept {
        return oi_current_;
    }
    [[nodiscard]] const std::optional<model::decimal>& open_interest_previous() const noexcept {
        return oi_previous_;
    }
    /// Venue time of the update that last changed open_interest_current(); 0 if never.
    [[nodiscard]] unix_nanos open_interest_ts() const noexcept { return oi_ts_; }
    [[nodiscard]] const open_interest_history& oi_history() const noexcept { return oi_history_; }

    [[nodiscard]] std::uint64_t snapshot_count() const noexcept { return snapshots_; }
    [[nodiscard]] std::uint64_t delta_count() const noexcept { return deltas_; }
    [[nodiscard]] std::uint64_t stale_cross_seq_count() const noexcept { return stale_cs_; }
    [[nodiscard]] std::uint64_t early_delta_count() const noexcept { return early_deltas_; }
    [[nodiscard]] std::uint64_t oi_change_count() const noexcept { return oi_changes_; }
    /// Negative open-interest values seen (kept in fields(), not used as current).
    [[nodiscard]] std::uint64_t oi_rejected_count() const noexcept { return oi_rejected_; }

  private:
    void track_open_interest(const model::ticker_update& u) noexcept;

    model::ticker_fields fields_;
    std::optional<model::decimal> oi_current_;
    std::optional<model::decimal> oi_previous_;
    open_interest_history oi_history_;
    unix_nanos oi_ts_;
    unix_nanos ts_exchange_;
    unix_nanos ts_recv_;
    std::uint64_t cross_seq_ = 0;
    std::uint64_t snapshots_ = 0;
    std::uint64_t deltas_ = 0;
    std::uint64_t stale_cs_ = 0;
    std::uint64_t early_deltas_ = 0;
    std::uint64_t oi_changes_ = 0;
    std::uint64_t oi_rejected_ = 0;
    bool has_snapshot_ = false;
    bool from_rest_ = false;
    bool stale_ = false;
};

} // namespace mdg::market
