#include <chrono>
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "replay/book_dump.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"

namespace mdg::app {

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

} // namespace mdg::app
