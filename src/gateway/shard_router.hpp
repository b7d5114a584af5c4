#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/shard.hpp"
#include "exchange/feed/connection.hpp"
#include "metrics/counter.hpp"
#include "model/instrument.hpp"

namespace mdg::gateway {

/// Hands one connection's decoded frames to the state shards: an owned copy of each data
/// frame into the queue of the shard that owns its instrument (`instrument % shards`). Never
/// blocks: a full queue drops the frame (the shard counts it), and a dropped book update asks
/// the connection to resubscribe that book. A lost connection queues a "books lost" notice
/// for each of its order books; notices a full queue refused go with the next frame.
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
    void on_connection_lost(std::span<const std::string> topics) override;

    /// Queues the "books lost" notices a full shard refused earlier, as far as there is room.
    void flush_lost();

    /// Data frames seen (queued or dropped).
    [[nodiscard]] std::uint64_t data_frames() const noexcept { return data_frames_; }

  private:
    std::uint32_t source_;
    model::category cat_;
    const model::instrument_registry& registry_;               // outlives: the router
    std::span<const std::unique_ptr<dispatch::shard>> shards_; // outlives: the router
    channel_counters messages_;                                // outlive: the router
    std::vector<std::pair<model::instrument_id, std::uint16_t>> lost_;
    std::uint64_t data_frames_ = 0;
};

} // namespace mdg::gateway
