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

template <class Mark, class Fill>
void shard_router::queue_marks(std::vector<Mark>& marks, Fill fill) {
    std::erase_if(marks, [&](const Mark& m) {
        auto& sh = *shards_[m.instrument.value % shards_.size()];
        auto* it = sh.claim();
        if (it == nullptr) {
            return false; // kept for the next try
        }
        it->source = source_;
        it->read_ns = 0;
        fill(*it, m);
        sh.commit();
        return true;
    });
}

std::size_t payload_bytes(const exchange::bybit::decoded_frame& f) noexcept {
    using dispatch::payload_size;
    switch (f.type) {
    case frame_type::orderbook:
        return payload_size<model::level>(f.book.bids.size()) +
               payload_size<model::level>(f.book.asks.size());
    case frame_type::ticker:
        return payload_size<model::ticker_update>(1);
    case frame_type::trade:
        return payload_size<model::trade>(f.trades.size());
    case frame_type::kline:
        return payload_size<model::kline>(f.klines.size());
    case frame_type::liquidation:
        return payload_size<model::liquidation>(f.liquidations.size());
    case frame_type::control:
        return 0;
    }
    return 0;
}

bool copy_frame(const exchange::bybit::decoded_frame& f, dispatch::shard_item& it) {
    std::size_t at = 0;
    switch (f.type) {
    case frame_type::orderbook:
        it.kind = dispatch::item_kind::book;
        it.book = f.book;
        it.book.bids = dispatch::put_payload(it, at, f.book.bids);
        it.book.asks = dispatch::put_payload(it, at, f.book.asks);
        return true;
    case frame_type::ticker:
        it.kind = dispatch::item_kind::ticker;
        it.ticker = dispatch::put_payload(it, at, std::span{&f.ticker, 1}).data();
        return true;
    case frame_type::trade:
        it.kind = dispatch::item_kind::trades;
        it.trades = dispatch::put_payload(it, at, f.trades);
        return true;
    case frame_type::kline:
        it.kind = dispatch::item_kind::klines;
        it.klines = dispatch::put_payload(it, at, f.klines);
        return true;
    case frame_type::liquidation:
        it.kind = dispatch::item_kind::liquidations;
        it.liquidations = dispatch::put_payload(it, at, f.liquidations);
        return true;
    case frame_type::control:
        return false;
    }
    return false;
}

shard_router::shard_router(std::uint32_t source, model::category cat,
                           const model::instrument_registry& registry,
                           std::span<const std::unique_ptr<dispatch::shard>> shards,
                           channel_counters messages)
    : source_(source), cat_(cat), registry_(registry), shards_(shards), messages_(messages) {}

bool shard_router::on_data(const exchange::bybit::decoded_frame& f) {
    flush_lost();
    messages_[static_cast<std::size_t>(f.topic.ch)]->inc();
    ++data_frames_;
    if (f.type == frame_type::control) {
        return false; // control frames are not routed here
    }
    auto& sh = *shards_[f.instrument.value % shards_.size()];
    auto* it = sh.claim(payload_bytes(f));
    if (it == nullptr) {
        core::log_limited(spdlog::level::warn, "gateway.shard_full",
                          "Shard queue full: dropped a {} frame (the shard is behind)",
                          exchange::bybit::to_string(f.topic.ch));
        // A dropped book update is a gap: resubscribe that book now.
        return f.type == frame_type::orderbook;
    }
    it->source = source_;
    it->read_ns = steady_ns(steady::now());
    (void)copy_frame(f, *it);
    sh.commit();
    return false;
}

bool shard_router::on_unusable(const exchange::bybit::decode_failure& f) {
    unusable_.push_back(dispatch::unusable_mark{
        .instrument = f.instrument, .depth = f.topic.depth, .kind = f.kind, .reason = f.reason});
    flush_lost();
    return false; // the shard asks for the resync once the book is marked
}

std::optional<dispatch::stale_mark> shard_router::mark_of(std::string_view topic,
                                                          bool continuity_lost) const {
    auto parsed = exchange::bybit::parse_topic(topic);
    if (!parsed) {
        return std::nullopt;
    }
    dispatch::stale_mark m;
    m.continuity_lost = continuity_lost;
    switch (parsed->ch) {
    case exchange::bybit::channel::orderbook:
        m.channel = dispatch::stale_channel::book;
        m.depth = parsed->depth;
        break;
    case exchange::bybit::channel::tickers:
        m.channel = dispatch::stale_channel::ticker;
        break;
    case exchange::bybit::channel::public_trade:
        m.channel = dispatch::stale_channel::trades;
        break;
    case exchange::bybit::channel::kline:
    case exchange::bybit::channel::all_liquidation:
    case exchange::bybit::channel::liquidation:
        return std::nullopt; // candles and liquidations carry no state flag
    }
    auto id = registry_.find(model::venue::bybit, cat_, parsed->symbol);
    if (!id) {
        return std::nullopt;
    }
    m.instrument = *id;
    return m;
}

void shard_router::on_connection_lost(std::span<const std::string> topics) {
    for (const auto& t : topics) {
        if (auto m = mark_of(t, true)) {
            lost_.push_back(*m);
        }
    }
    flush_lost();
}

void shard_router::check_silence(const exchange::subscription_set& subs, const freshness& f,
                                 steady::time_point now) {
    for (const auto& [t, info] : subs.topics()) {
        if (info.state != exchange::topic_state::active || info.last_data == steady::time_point{}) {
            continue;
        }
        auto parsed = exchange::bybit::parse_topic(t);
        if (!parsed) {
            continue;
        }
        const auto limit = threshold(f, parsed->ch);
        if (limit.count() <= 0 || now - info.last_data <= limit) {
            continue;
        }
        auto [it, fresh] = flagged_.try_emplace(t, info.last_data);
        if (!fresh && it->second == info.last_data) {
            continue; // this silence is flagged already
        }
        it->second = info.last_data;
        if (auto m = mark_of(t, false)) {
            lost_.push_back(*m);
        }
    }
    flush_lost();
}

void shard_router::flush_lost() {
    queue_marks(lost_, [](dispatch::shard_item& it, const dispatch::stale_mark& m) {
        it.kind = dispatch::item_kind::stale;
        it.stale = m;
    });
    queue_marks(unusable_, [](dispatch::shard_item& it, const dispatch::unusable_mark& m) {
        it.kind = dispatch::item_kind::unusable;
        it.unusable = m;
    });
}

} // namespace mdg::gateway
