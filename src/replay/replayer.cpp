#include "replay/replayer.hpp"

#include <algorithm>
#include <string>

#include "core/log.hpp"

namespace mdg::replay {

using exchange::bybit::decoded_frame;
using exchange::bybit::frame_type;

std::uint64_t replay_stats::decode_error_total() const noexcept {
    std::uint64_t n = 0;
    for (auto v : decode_errors) {
        n += v;
    }
    return n;
}

book_totals sum_books(const market::market_state& state) {
    book_totals t;
    state.for_each_book([&](model::instrument_id, std::uint16_t, const market::book_entry& e) {
        ++t.books;
        t.snapshots += e.snapshots;
        t.deltas += e.deltas;
        t.gaps += e.gaps;
        t.crossed += e.crossed;
        t.invalid += e.invalid;
        t.ignored += e.ignored;
        t.resyncs += e.resyncs_completed;
        ++t.by_state[static_cast<std::size_t>(e.book.state())];
    });
    return t;
}

replayer::replayer(replay_options opts, const core::clock& clock)
    : opts_(opts), clock_(clock), decoder_(opts.decoder), state_(opts.limits) {}

namespace {

// A short, printable preview of an untrusted frame for a log line.
std::string preview(std::string_view frame) {
    std::string out;
    for (char c : frame.substr(0, 100)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

} // namespace

void replayer::on_frame(std::string_view frame) {
    on_frame(frame, clock_.now());
}

void replayer::on_line(std::string_view line) {
    if (record::is_header_line(line)) {
        if (auto h = lines_.parse_header(line)) {
            recording_ = true;
            on_header(*h);
        } else {
            ++stats_.bad_records;
            core::log_limited(spdlog::level::warn, "replay.bad_header",
                              "Recording header not understood (another format version?): {}...",
                              preview(line));
        }
        return;
    }
    if (!recording_) {
        on_frame(line);
        return;
    }
    const auto r = lines_.parse_record(line);
    if (!r) {
        ++stats_.bad_records;
        core::log_limited(spdlog::level::warn, "replay.bad_record",
                          "Recording line is not a record: {}...", preview(line));
        return;
    }
    ++stats_.records[static_cast<std::size_t>(r->kind)];
    switch (r->kind) {
    case record::record_kind::in:
        on_frame(r->payload, r->t);
        break;
    case record::record_kind::down:
        on_connection_down(r->conn);
        break;
    case record::record_kind::lost:
        // The recording has a hole here (the recorder's queue was full): the books find out
        // from their next update's sequence, as a live book would.
        stats_.lost += r->lost;
        core::log_limited(spdlog::level::warn, "replay.lost",
                          "The recording lost {} records here (the recorder's queue was full)",
                          r->lost);
        break;
    case record::record_kind::out:
    case record::record_kind::up:
        break;
    }
}

void replayer::on_header(const record::recording_header& h) {
    ++stats_.headers;
    opts_.cat = h.cat;
    for (const auto& in : h.instruments) {
        const auto id = registry_.intern(model::venue::bybit, h.cat, in.symbol, in.spec);
        registry_.set_spec(id, in.spec);
    }
    conn_topics_.clear();
    for (const auto& c : h.connections) {
        conn_topics_.push_back(c.topics);
    }
}

// As the gateway's shard_router::on_connection_lost: every book of the connection loses
// continuity, its tickers and trades go stale.
void replayer::on_connection_down(std::uint32_t conn) {
    if (conn >= conn_topics_.size()) {
        return;
    }
    namespace bybit = exchange::bybit;
    for (const auto& t : conn_topics_[conn]) {
        const auto p = bybit::parse_topic(t);
        if (!p) {
            continue;
        }
        const auto id = registry_.find(model::venue::bybit, opts_.cat, p->symbol);
        if (!id) {
            continue;
        }
        switch (p->ch) {
        case bybit::channel::orderbook:
            (void)state_.mark_book_stale(*id, p->depth, true);
            break;
        case bybit::channel::tickers:
            (void)state_.mark_ticker_stale(*id);
            break;
        case bybit::channel::public_trade:
            (void)state_.mark_trades_stale(*id);
            break;
        case bybit::channel::kline:
        case bybit::channel::all_liquidation:
        case bybit::channel::liquidation:
            break;
        }
    }
}

void replayer::on_frame(std::string_view frame, unix_nanos ts_recv) {
    ++stats_.frames;
    stats_.bytes += frame.size();
    const exchange::bybit::parse_context ctx{opts_.cat, &registry_, true, ts_recv};
    auto r = decoder_.decode(frame, ctx);
    if (!r) {
        const auto kind = static_cast<errc>(r.error().value());
        ++stats_.decode_errors[static_cast<std::size_t>(kind)];
        if (kind == errc::malformed_json || kind == errc::truncated) {
            // The old service's marker, kept for existing runbooks: one line per event.
            core::log_limited(spdlog::level::err, "replay.json_error",
                              "[JSON_ERROR] Invalid JSON in WebSocket message: {}... ({})",
                              preview(frame), to_string(kind));
        } else {
            core::log_limited(spdlog::level::warn, to_string(kind), "Dropped frame ({}): {}...",
                              to_string(kind), preview(frame));
        }
        // A book message lost after its topic was read: the book must not stay live without
        // it (docs/feed.md); it waits for the recording's next snapshot.
        if (const auto& why = decoder_.last_failure();
            why.topic_known && why.topic.ch == exchange::bybit::channel::orderbook) {
            (void)state_.on_unusable_book(why.instrument, why.topic.depth, why.kind);
        }
        return;
    }
    const decoded_frame& f = **r;
    stats_.unknown_fields += f.unknown_fields;
    if (f.type != frame_type::control) {
        ++stats_.messages[static_cast<std::size_t>(f.topic.ch)];
    }
    switch (f.type) {
    case frame_type::control:
        on_control(f);
        break;
    case frame_type::orderbook:
        on_book(f);
        break;
    case frame_type::ticker: {
        const auto st = state_.on_ticker(f.ticker);
        stats_.ticker_stale += st == market::ticker_status::stale_cross_seq ? 1 : 0;
        stats_.ticker_delta_before_snapshot +=
            st == market::ticker_status::delta_before_snapshot ? 1 : 0;
        break;
    }
    case frame_type::trade: {
        const auto n = state_.on_trades(f.trades);
        stats_.trades_accepted += n;
        stats_.trades_duplicate += f.trades.size() - n;
        break;
    }
    case frame_type::kline:
        stats_.klines_ignored_older += state_.on_klines(f.klines).ignored_older;
        break;
    case frame_type::liquidation: {
        const auto n = state_.on_liquidations(f.liquidations);
        stats_.liquidations_accepted += n;
        stats_.liquidations_duplicate += f.liquidations.size() - n;
        break;
    }
    }
}

void replayer::on_book(const decoded_frame& f) {
    const auto st = state_.on_book(f.book);
    if (st == book::apply_status::applied) {
        return;
    }
    if (st == book::apply_status::awaiting_snapshot) {
        core::log_limited(spdlog::level::warn, "replay.awaiting_snapshot",
                          "Delta for {} ignored: the book has no snapshot yet (u={})", f.topic_text,
                          f.book.update_id);
        return;
    }
    const auto* entry = state_.book(f.book.instrument, f.book.depth);
    core::log_limited(spdlog::level::warn, "replay.book_integrity",
                      "Book {} failed integrity ({}) at u={} (last good u={}): resyncing until "
                      "the next snapshot",
                      f.topic_text, book::to_string(st), f.book.update_id,
                      entry != nullptr ? entry->book.update_id() : 0);
}

void replayer::on_control(const decoded_frame& f) {
    ++stats_.control_frames;
    const auto& c = f.control;
    if (c.is_pong) {
        ++stats_.pongs;
    } else if (c.success) {
        ++stats_.acks_ok;
    } else {
        ++stats_.acks_rejected;
        core::log_limited(spdlog::level::warn, "replay.rejected",
                          "Request rejected by the venue ({}): {}",
                          exchange::bybit::to_string(c.reason), c.ret_msg);
    }
}

} // namespace mdg::replay
