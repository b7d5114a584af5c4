#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "exchange/bybit/parse.hpp"
#include "exchange/bybit/topic.hpp"
#include "market/market_state.hpp"
#include "model/instrument.hpp"
#include "record/record_format.hpp"

namespace mdg::replay {

struct replay_options {
    model::category cat = model::category::linear;
    exchange::bybit::decoder_options decoder;
    market::market_limits limits;
};

/// Counts of everything a replay saw, by kind. Every dropped frame is in `decode_errors`.
struct replay_stats {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(errc::count_)> decode_errors{};
    std::array<std::uint64_t, exchange::bybit::channel_count> messages{}; ///< data frames
    std::uint64_t control_frames = 0;
    std::uint64_t acks_ok = 0;
    std::uint64_t acks_rejected = 0;
    std::uint64_t pongs = 0;
    std::uint64_t unknown_fields = 0;

    std::uint64_t ticker_stale = 0; ///< older cross sequence, ignored
    std::uint64_t ticker_delta_before_snapshot = 0;
    std::uint64_t trades_accepted = 0;
    std::uint64_t trades_duplicate = 0;
    std::uint64_t klines_ignored_older = 0;
    std::uint64_t liquidations_accepted = 0;
    std::uint64_t liquidations_duplicate = 0;

    // Recordings (`mdgate run --record`; zero for a plain capture).
    std::uint64_t headers = 0; ///< recording files (header lines) read
    std::array<std::uint64_t, record::record_kind_count> records{}; ///< by record_kind
    std::uint64_t bad_records = 0; ///< lines of a recording that are not records
    std::uint64_t lost = 0;        ///< records the recorder dropped (sum of `lost` records)

    [[nodiscard]] std::uint64_t decode_error_total() const noexcept;
};

/// Book outcomes summed over every book of a market state (from each book_entry's counters).
struct book_totals {
    std::uint64_t books = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t deltas = 0;
    std::uint64_t gaps = 0;
    std::uint64_t crossed = 0;
    std::uint64_t invalid = 0;
    std::uint64_t ignored = 0; ///< deltas dropped while a book had no snapshot
    std::uint64_t resyncs = 0; ///< snapshots that restored a resyncing book
    std::array<std::uint64_t, book::book_state_count> by_state{};
};
[[nodiscard]] book_totals sum_books(const market::market_state& state);

/// Drives recorded frames through the same decoder and market state a live feed uses, one
/// frame at a time, and counts the outcomes. Bad frames are counted by kind and logged at most
/// once a minute per kind; nothing stops the replay.
///
/// Owns its decoder, instrument registry and market state. Not thread-safe: one thread.
class replayer {
  public:
    explicit replayer(replay_options opts = {}, const core::clock& clock = core::default_clock());

    /// Processes one raw text frame, received at `ts_recv` (default: the clock's now).
    void on_frame(std::string_view frame);
    void on_frame(std::string_view frame, unix_nanos ts_recv);

    /// Processes one line of a capture file: a raw frame (a plain capture) or, once a
    /// recording header was seen in this file, a recording line (docs/recording.md): the
    /// header's precision and category apply, frames received replay in order, requests are
    /// counted, and a connection going down marks its books stale as the gateway did.
    void on_line(std::string_view line);
    /// A new file starts: plain until its first line says it is a recording.
    void begin_file() noexcept { recording_ = false; }

    [[nodiscard]] const replay_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] const market::market_state& state() const noexcept { return state_; }
    [[nodiscard]] const model::instrument_registry& instruments() const noexcept {
        return registry_;
    }
    [[nodiscard]] model::category category() const noexcept { return opts_.cat; }

  private:
    void on_book(const exchange::bybit::decoded_frame& f);
    void on_control(const exchange::bybit::decoded_frame& f);
    void on_header(const record::recording_header& h);
    void on_connection_down(std::uint32_t conn);

    replay_options opts_;
    const core::clock& clock_; // outlives: the replayer (a process-wide or test clock)
    model::instrument_registry registry_;
    exchange::bybit::decoder decoder_;
    market::market_state state_;
    replay_stats stats_;
    record::line_parser lines_;
    bool recording_ = false;
    std::vector<std::vector<std::string>> conn_topics_; // by connection, from the header
};

} // namespace mdg::replay
