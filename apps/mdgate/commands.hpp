#pragma once

#include <cstddef>
#include <string>

#include "model/instrument.hpp"

namespace mdg::app {

struct replay_args {
    std::string file;
    model::category cat = model::category::linear;
    std::string dump_books; ///< "" or "json"
};

/// `mdgate replay FILE`: drives a recorded capture through decoders, books and market state.
/// Returns the process exit code (2 when the file cannot be read).
int run_replay(const replay_args& args);

struct demo_args {
    std::size_t levels = 5;
};

/// `mdgate demo`: the embedded default job. Until the simulator exists it replays the bundled
/// real Bybit capture and prints the resulting books.
int run_demo(const demo_args& args);

} // namespace mdg::app
