#include "gateway/market_sink.hpp"

#include "exchange/bybit/topic.hpp"

namespace mdg::gateway {

using exchange::bybit::frame_type;

bool market_sink::on_data(const exchange::bybit::decoded_frame& f) {
    switch (f.type) {
    case frame_type::orderbook: {
        const auto st = state_.on_book(f.book);
        return st == book::apply_status::gap || st == book::apply_status::crossed ||
               st == book::apply_status::invalid;
    }
    case frame_type::ticker:
        (void)state_.on_ticker(f.ticker);
        return false;
    case frame_type::trade:
        (void)state_.on_trades(f.trades);
        return false;
    case frame_type::kline:
        (void)state_.on_klines(f.klines);
        return false;
    case frame_type::liquidation:
        (void)state_.on_liquidations(f.liquidations);
        return false;
    case frame_type::control:
        return false;
    }
    return false;
}

bool market_sink::on_unusable(const exchange::bybit::decode_failure& f) {
    return state_.on_unusable_book(f.instrument, f.topic.depth, f.kind) ==
           book::apply_status::invalid;
}

void market_sink::on_connection_lost(std::span<const std::string> topics) {
    for (const auto& t : topics) {
        auto parsed = exchange::bybit::parse_topic(t);
        auto id = parsed ? registry_.find(model::venue::bybit, cat_, parsed->symbol) : std::nullopt;
        if (!id) {
            continue;
        }
        switch (parsed->ch) {
        case exchange::bybit::channel::orderbook:
            (void)state_.mark_book_stale(*id, parsed->depth, true);
            break;
        case exchange::bybit::channel::tickers:
            (void)state_.mark_ticker_stale(*id);
            break;
        case exchange::bybit::channel::public_trade:
            (void)state_.mark_trades_stale(*id);
            break;
        case exchange::bybit::channel::kline:
        case exchange::bybit::channel::all_liquidation:
        case exchange::bybit::channel::liquidation:
            break;
        }
    }
}

const market::book_entry* market_sink::book(std::string_view symbol, std::uint16_t depth) const {
    auto id = registry_.find(model::venue::bybit, cat_, symbol);
    return id ? state_.book(*id, depth) : nullptr;
}

bool market_sink::all_books_live() const {
    std::size_t live = 0;
    state_.for_each_book([&](model::instrument_id, std::uint16_t, const market::book_entry& e) {
        live += e.book.state() == book::book_state::live ? 1U : 0U;
    });
    return live > 0 && live == state_.book_count();
}

} // namespace mdg::gateway
