#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dispatch/shard.hpp"
#include "exchange/feed/connection.hpp"
#include "exchange/feed/subscription_set.hpp"
#include "gateway/health.hpp"
#include "metrics/counter.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// The payload a decoded data frame needs in a shard queue slot (0 for a control frame).
[[nodiscard]] std::size_t payload_bytes(const exchange::bybit::decoded_frame& f) noexcept;

/// Copies a decoded data frame into a shard queue slot claimed with payload_bytes(f) (kind and
/// payload). False for a control frame (nothing copied).
bool copy_frame(const exchange::bybit::decoded_frame& f, dispatch::shard_item& it);

/// Hands one connection's decoded frames to the state shards: an owned copy of each data
/// frame into the queue of the shard that owns its instrument (`instrument % shards`). Never
/// blocks: a full queue drops the frame (the shard counts it), and a dropped book update asks
/// the connection to resubscribe that book. Stale marks (docs/feed.md, stale state): a lost
/// connection flags each of its books, tickers and trades stale with continuity lost, and
/// check_silence() flags a channel whose data stopped while its connection is live. A book
/// message that could not be decoded becomes an unusable mark (the shard resyncs the book).
/// Marks a full queue refused go with the next frame.
///
/// One per connection, owned by the gateway. Called only on the connection's executor (the
/// I/O thread), which is the single producer of every shard queue; not thread-safe.
class shard_router final : public exchange::frame_handler {
  public:
    /// Data frames received, indexed by exchange::bybit::channel; none may be null.
    using channel_counters = std::array<metrics::counter*, exchange::bybit::channel_count>;

    /// `source` is the connection's index (the shards send resync requests back to it).
    /// `shards` must not be empty.
    shard_router(std::uint32_t source, model::category cat,
                 const model::instrument_registry& registry,
                 std::span<const std::unique_ptr<dispatch::shard>> shards,
                 channel_counters messages);

    bool on_data(const exchange::bybit::decoded_frame& f) override;
    /// Queues an unusable mark for the book (docs/feed.md): its shard makes it `resyncing` and
    /// asks for the resync, in order with the book's other updates. Returns false.
    bool on_unusable(const exchange::bybit::decode_failure& f) override;
    void on_connection_lost(std::span<const std::string> topics) override;

    /// Flags stale every book, ticker and trades topic of `subs` (this router's connection)
    /// that is active, has had data, and has been silent for longer than its channel's
    /// threshold in `f` (as of `now`); once per silence (a topic is flagged again only after
    /// new data). Call only while the connection is live.
    void check_silence(const exchange::subscription_set& subs, const freshness& f,
                       std::chrono::steady_clock::time_point now);

    /// Queues the stale and unusable marks a full shard refused earlier, as far as there is
    /// room.
    void flush_lost();

    /// Data frames seen (queued or dropped).
    [[nodiscard]] std::uint64_t data_frames() const noexcept { return data_frames_; }

  private:
    std::uint32_t source_;
    model::category cat_;
    const model::instrument_registry& registry_;               // outlives: the router
    std::span<const std::unique_ptr<dispatch::shard>> shards_; // outlives: the router
    channel_counters messages_;                                // outlive: the router
    /// The mark for `topic` (book, ticker or trades); nullopt for other channels and unknown
    /// symbols.
    [[nodiscard]] std::optional<dispatch::stale_mark> mark_of(std::string_view topic,
                                                              bool continuity_lost) const;

    /// Queues each mark on its instrument's shard, as far as there is room; keeps the rest.
    template <class Mark, class Fill> void queue_marks(std::vector<Mark>& marks, Fill fill);

    std::vector<dispatch::stale_mark> lost_;
    std::vector<dispatch::unusable_mark> unusable_; // refused by a full queue, in order
    /// Per topic, the last_data of the silence already flagged.
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> flagged_;
    std::uint64_t data_frames_ = 0;
};

} // namespace mdg::gateway
