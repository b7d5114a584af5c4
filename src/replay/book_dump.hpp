#pragma once

#include <cstddef>
#include <string>

#include "replay/replayer.hpp"

namespace mdg::replay {

/// The books of a replay as one JSON object (the `--dump-books json` format, documented in
/// docs/replay.md): keys are the orderbook topics, values
/// `{"state": "...", "u": <int>, "bids": [["price","size"], ...], "asks": [...]}` with bids
/// descending and asks ascending, prices and sizes as decimal strings (trailing zeros
/// trimmed). Topics are sorted.
[[nodiscard]] std::string dump_books_json(const replayer& r);

/// A human-readable summary: messages per channel, control frames, decode errors by kind,
/// book outcomes and the final best bid/ask per book.
[[nodiscard]] std::string summary_text(const replayer& r);

/// The top `levels` of every book, side by side, for terminal display.
[[nodiscard]] std::string ladders_text(const replayer& r, std::size_t levels);

} // namespace mdg::replay
