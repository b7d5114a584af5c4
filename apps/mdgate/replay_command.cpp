#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "replay/book_dump.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"

namespace mdg::app {

namespace {

// The files to replay, in order: each file as given; a directory's captures and recordings
// (*.jsonl, *.jsonl.zst) by name, which for recordings is by time. A directory without any is
// an error (one line in `error`).
std::vector<std::filesystem::path> expand(const replay_args& args, std::string& error) {
    std::vector<std::string> given{args.file};
    given.insert(given.end(), args.more_files.begin(), args.more_files.end());
    std::vector<std::filesystem::path> out;
    for (const auto& g : given) {
        std::error_code ec;
        if (!std::filesystem::is_directory(g, ec)) {
            out.emplace_back(g);
            continue;
        }
        std::vector<std::filesystem::path> in_dir;
        for (const auto& e : std::filesystem::directory_iterator(g, ec)) {
            const auto name = e.path().filename().string();
            if (e.is_regular_file(ec) &&
                (name.ends_with(".jsonl") || name.ends_with(".jsonl.zst"))) {
                in_dir.push_back(e.path());
            }
        }
        if (in_dir.empty()) {
            error =
                fmt::format("no captures or recordings (*.jsonl, *.jsonl.zst) in directory {}", g);
            return {};
        }
        std::sort(in_dir.begin(), in_dir.end());
        out.insert(out.end(), in_dir.begin(), in_dir.end());
    }
    return out;
}

} // namespace

int run_replay(const replay_args& args) {
    replay::replay_options opts;
    opts.cat = args.cat;
    replay::replayer r{opts};
    std::string error;
    const auto files = expand(args, error);
    if (files.empty()) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        return 2;
    }
    for (const auto& file : files) {
        std::string message;
        replay::capture_read_info info;
        r.begin_file();
        const auto ec = replay::for_each_frame_in_file(
            file, [&](std::string_view line) { r.on_line(line); }, message, &info);
        if (ec) {
            std::fprintf(stderr, "mdgate: %s\n", message.c_str());
            return 2;
        }
        if (info.truncated) {
            // A recording cut short (a crash, or a file still being written): everything up
            // to its last complete record was replayed.
            std::fprintf(stderr,
                         "mdgate: warning: %s ends inside a zstd frame (cut short); replayed up "
                         "to its last complete record\n",
                         file.c_str());
        }
    }
    if (args.dump_books == "json") {
        std::fputs(replay::dump_books_json(r).c_str(), stdout);
    } else {
        std::fputs(replay::summary_text(r).c_str(), stdout);
    }
    return 0;
}

} // namespace mdg::app
