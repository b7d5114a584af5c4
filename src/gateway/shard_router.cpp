#include "gateway/shard_router.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "exchange/bybit/topic.hpp"

namespace mdg::gateway {

namespace {

using steady = std::chrono::steady_clock;
using exchange::bybit::frame_type;

[[nodiscard]] std::int64_t steady_ns(steady::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

shard_router::shard_router(std::uint32_t source, model::category cat,
                           const model::instrument_registry& registry,
                           std::span<const std::unique_ptr<dispatch::shard>> shards,
                           channel_counters messages)
    : source_(source), cat_(cat), registry_(registry), shards_(shards), messages_(messages) {}

bool shard_router::on_data(const exchange::bybit::decoded_frame& f) {
    flush_lost();
    messages_[static_cast<std::size_t>(f.topic.ch)]->inc();
    ++data_frames_;
    auto& sh = *shards_[f.instrument.value % shards_.size()];
    auto* it = sh.claim();
    if (it == nullptr) {
        core::log_limited(spdlog::level::warn, "gateway.shard_full",
                          "Shard queue full: dropped a {} frame (the shard is behind)",
                          exchange::bybit::to_string(f.topic.ch));
        // A dropped book update is a gap: resubscribe that book now.
        return f.type == frame_type::orderbook;
    }
    it->source = source_;
    it->read_ns = steady_ns(steady::now());
    switch (f.type) {
    case frame_type::orderbook:
        it->kind = dispatch::item_kind::book;
        it->book = f.book;
        it->bids.assign(f.book.bids.begin(), f.book.bids.end());
        it->asks.assign(f.book.asks.begin(), f.book.asks.end());
        break;
    case frame_type::ticker:
        it->kind = dispatch::item_kind::ticker;
        it->ticker = f.ticker;
        break;
    case frame_type::trade:
        it->kind = dispatch::item_kind::trades;
        it->trades.assign(f.trades.begin(), f.trades.end());
        break;
    case frame_type::kline:
        it->kind = dispatch::item_kind::klines;
        it->klines.assign(f.klines.begin(), f.klines.end());
        break;
    case frame_type::liquidation:
        it->kind = dispatch::item_kind::liquidations;
        it->liquidations.assign(f.liquidations.begin(), f.liquidations.end());
        break;
    case frame_type::control:
        return false; // not routed here
    }
    sh.commit();
    return false;
}

void shard_router::on_connection_lost(std::span<const std::string> topics) {
    for (const auto& t : topics) {
        auto parsed = exchange::bybit::parse_topic(t);
        if (!parsed || parsed->ch != exchange::bybit::channel::orderbook) {
            continue;
        }
        if (auto id = registry_.find(model::venue::bybit, cat_, parsed->symbol)) {
            lost_.emplace_back(*id, parsed->depth);
        }
    }
    flush_lost();
}

void shard_router::flush_lost() {
    if (lost_.empty()) {
        return;
    }
    std::erase_if(lost_, [&](const std::pair<model::instrument_id, std::uint16_t>& b) {
        auto& sh = *shards_[b.first.value % shards_.size()];
        auto* it = sh.claim();
        if (it == nullptr) {
            return false;
        }
        it->kind = dispatch::item_kind::books_lost;
        it->source = source_;
        it->read_ns = 0;
        it->lost.assign(1, b);
        sh.commit();
        return true;
    });
}

} // namespace mdg::gateway
