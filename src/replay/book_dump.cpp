#include "replay/book_dump.hpp"

#include <iterator>

#include <fmt/format.h>

#include "exchange/bybit/topic.hpp"
#include "model/fixed_point.hpp"

namespace mdg::replay {

namespace {

std::string topic_of(const replayer& r, model::instrument_id id, std::uint16_t depth) {
    return exchange::bybit::format_topic(
        {exchange::bybit::channel::orderbook, depth, {}, r.instruments().info(id).symbol});
}

std::string fmt_px(const model::instrument_spec& spec, model::price p) {
    return model::to_fixed_string(p.raw, spec.price_decimals, true);
}

std::string fmt_qty(const model::instrument_spec& spec, model::qty q) {
    return model::to_fixed_string(q.raw, spec.qty_decimals, true);
}

// Appends ["p","q"],... for one side, best first.
template <class LevelAt>
void append_side(std::string& out, const model::instrument_spec& spec, std::size_t count,
                 LevelAt level_at) {
    out += '[';
    std::array<char, model::fixed_text_capacity> px{};
    std::array<char, model::fixed_text_capacity> sz{};
    for (std::size_t i = 0; i < count; ++i) {
        const model::level& l = level_at(i);
        const auto pn = model::format_fixed(l.px.raw, spec.price_decimals, true, px.data());
        const auto sn = model::format_fixed(l.sz.raw, spec.qty_decimals, true, sz.data());
        if (i > 0) {
            out += ',';
        }
        out += "[\"";
        out.append(px.data(), pn);
        out += "\",\"";
        out.append(sz.data(), sn);
        out += "\"]";
    }
    out += ']';
}

std::string side_text(const model::instrument_spec& spec, const std::optional<model::level>& l) {
    if (!l) {
        return "-";
    }
    return fmt::format("{} x {}", fmt_px(spec, l->px), fmt_qty(spec, l->sz));
}

} // namespace

std::string dump_books_json(const replayer& r) {
    std::string out = "{";
    bool first = true;
    r.state().for_each_book(
        [&](model::instrument_id id, std::uint16_t depth, const market::book_entry& e) {
            const auto& spec = r.instruments().info(id).spec;
            const auto& b = e.book;
            out += first ? "\n" : ",\n";
            first = false;
            fmt::format_to(std::back_inserter(out), R"("{}":{{"state":"{}","u":{},"bids":)",
                           topic_of(r, id, depth), book::to_string(b.state()), b.update_id());
            append_side(out, spec, b.bid_count(),
                        [&](std::size_t i) -> const model::level& { return b.bid(i); });
            out += R"(,"asks":)";
            append_side(out, spec, b.ask_count(),
                        [&](std::size_t i) -> const model::level& { return b.ask(i); });
            out += '}';
        });
    out += first ? "}\n" : "\n}\n";
    return out;
}

std::string summary_text(const replayer& r) {
    const auto& s = r.stats();
    std::string out;
    auto it = std::back_inserter(out);
    fmt::format_to(it, "replay: {} frames, {} bytes, category {}\n", s.frames, s.bytes,
                   model::to_string(r.category()));
    out += "messages:";
    for (std::size_t c = 0; c < s.messages.size(); ++c) {
        fmt::format_to(it, " {} {}",
                       exchange::bybit::to_string(static_cast<exchange::bybit::channel>(c)),
                       s.messages[c]);
    }
    fmt::format_to(it, "\ncontrol frames: {} (acks ok {}, rejected {}, pongs {})\n",
                   s.control_frames, s.acks_ok, s.acks_rejected, s.pongs);
    if (s.headers > 0) {
        using record::record_kind;
        const auto n = [&](record_kind k) {
            return s.records[static_cast<std::size_t>(k)];
        };
        fmt::format_to(it,
                       "recording: {} file headers; records in {}, out {}, up {}, down {}; "
                       "lost {}; bad lines {}\n",
                       s.headers, n(record_kind::in), n(record_kind::out), n(record_kind::up),
                       n(record_kind::down), s.lost, s.bad_records);
    }
    fmt::format_to(it, "decode errors: {}", s.decode_error_total());
    for (std::size_t k = 0; k < s.decode_errors.size(); ++k) {
        if (s.decode_errors[k] != 0) {
            fmt::format_to(it, " {}={}", to_string(static_cast<errc>(k)), s.decode_errors[k]);
        }
    }
    fmt::format_to(it, "; unknown fields: {}\n", s.unknown_fields);
    const auto t = sum_books(r.state());
    fmt::format_to(it,
                   "books: {} (live {}, syncing {}, stale {}, resyncing {}); snapshots {}, "
                   "deltas {}, gaps {}, crossed {}, invalid {}, ignored {}, resyncs {}\n",
                   t.books, t.by_state[static_cast<std::size_t>(book::book_state::live)],
                   t.by_state[static_cast<std::size_t>(book::book_state::syncing)],
                   t.by_state[static_cast<std::size_t>(book::book_state::stale)],
                   t.by_state[static_cast<std::size_t>(book::book_state::resyncing)], t.snapshots,
                   t.deltas, t.gaps, t.crossed, t.invalid, t.ignored, t.resyncs);
    fmt::format_to(it,
                   "tickers: {} (stale cs {}, delta before snapshot {}); trades: {} accepted, {} "
                   "duplicate; klines: {} series ({} older ignored); liquidations: {} accepted, "
                   "{} duplicate\n",
                   r.state().ticker_count(), s.ticker_stale, s.ticker_delta_before_snapshot,
                   s.trades_accepted, s.trades_duplicate, r.state().kline_series_count(),
                   s.klines_ignored_older, s.liquidations_accepted, s.liquidations_duplicate);
    if (t.books > 0) {
        fmt::format_to(it, "{:<28} {:<10} {:>14}  {:<28} {:<28}\n", "book", "state", "u",
                       "best bid", "best ask");
    }
    r.state().for_each_book(
        [&](model::instrument_id id, std::uint16_t depth, const market::book_entry& e) {
            const auto& spec = r.instruments().info(id).spec;
            fmt::format_to(it, "{:<28} {:<10} {:>14}  {:<28} {:<28}\n", topic_of(r, id, depth),
                           book::to_string(e.book.state()), e.book.update_id(),
                           side_text(spec, e.book.best_bid()), side_text(spec, e.book.best_ask()));
        });
    return out;
}

std::string ladders_text(const replayer& r, std::size_t levels) {
    std::string out;
    auto it = std::back_inserter(out);
    r.state().for_each_book([&](model::instrument_id id, std::uint16_t depth,
                                const market::book_entry& e) {
        const auto& spec = r.instruments().info(id).spec;
        const auto& b = e.book;
        fmt::format_to(it, "\n{} [{}] u={}\n", topic_of(r, id, depth), book::to_string(b.state()),
                       b.update_id());
        fmt::format_to(it, "  {:>14} {:>14} | {:<14} {:<14}\n", "bid size", "bid", "ask",
                       "ask size");
        for (std::size_t i = 0; i < levels; ++i) {
            std::string bid_sz;
            std::string bid_px;
            std::string ask_px;
            std::string ask_sz;
            if (i < b.bid_count()) {
                bid_sz = fmt_qty(spec, b.bid(i).sz);
                bid_px = fmt_px(spec, b.bid(i).px);
            }
            if (i < b.ask_count()) {
                ask_px = fmt_px(spec, b.ask(i).px);
                ask_sz = fmt_qty(spec, b.ask(i).sz);
            }
            if (bid_px.empty() && ask_px.empty()) {
                break;
            }
            fmt::format_to(it, "  {:>14} {:>14} | {:<14} {:<14}\n", bid_sz, bid_px, ask_px, ask_sz);
        }
    });
    return out;
}

} // namespace mdg::replay
