#include <chrono>
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "replay/book_dump.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"

namespace mdg::app {

extern const std::string_view demo_capture; // generated from the bundled capture

int run_replay(const replay_args& args) {
    replay::replay_options opts;
    opts.cat = args.cat;
    replay::replayer r{opts};
    std::string message;
    const auto ec = replay::for_each_frame_in_file(
        args.file, [&](std::string_view frame) { r.on_frame(frame); }, message);
    if (ec) {
        std::fprintf(stderr, "mdgate: %s\n", message.c_str());
        return 2;
    }
    if (args.dump_books == "json") {
        std::fputs(replay::dump_books_json(r).c_str(), stdout);
    } else {
        std::fputs(replay::summary_text(r).c_str(), stdout);
    }
    return 0;
}

int run_demo(const demo_args& args) {
    fmt::print("mdgate demo: replaying the bundled capture of Bybit's linear feed\n"
               "(2026-08-09, about 44 s of orderbook.200, tickers, trades and klines for 4 "
               "symbols)\n\n");
    replay::replayer r{replay::replay_options{}};
    const auto start = std::chrono::steady_clock::now();
    replay::for_each_frame_in_text(demo_capture,
                                   [&](std::string_view frame) { r.on_frame(frame); });
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    fmt::print("{}", replay::summary_text(r));
    fmt::print("{}", replay::ladders_text(r, args.levels));
    fmt::print("\n{} frames in {:.1f} ms ({:.0f} frames/s, debug builds are slower)\n",
               r.stats().frames, took.count() * 1e3,
               static_cast<double>(r.stats().frames) / took.count());
    return 0;
}

} // namespace mdg::app
