// Fuzz target: the capture reader (replay/capture_file.cpp): the input is a whole capture file,
// read from disk by for_each_frame_in_file (chunked reads into one reused buffer; zstd files,
// recognised by their magic number, decompressed on the fly) and from memory by
// for_each_frame_in_text. Invariants: every frame is a non-empty line without '\n' or a trailing
// '\r'; a plain text file gives the same frames both ways, in the same order.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "replay/capture_file.hpp"

namespace {

void check_frame(std::string_view f) {
    mdg::fuzz::check(!f.empty() && f.find('\n') == std::string_view::npos && !f.ends_with('\r'),
                     "a frame is a non-empty line without its end");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mdg;
    namespace fs = std::filesystem;
    static const fs::path file =
        fs::temp_directory_path() / ("mdg_fuzz_capture_" + std::to_string(::getpid()) + ".jsonl");
    const auto text = fuzz::as_text(data, size);
    {
        std::ofstream out{file, std::ios::binary | std::ios::trunc};
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    std::vector<std::string> from_file;
    std::string message;
    const auto ec = replay::for_each_frame_in_file(
        file,
        [&](std::string_view f) {
            check_frame(f);
            from_file.emplace_back(f);
        },
        message);
    fuzz::check(!ec || (!message.empty() && message.find('\n') == std::string::npos),
                "a failure is one line");

    std::vector<std::string> from_text;
    replay::for_each_frame_in_text(text, [&](std::string_view f) {
        check_frame(f);
        from_text.emplace_back(f);
    });
    // A capture without zstd's magic number is plain text: the file reader must agree with the
    // in-memory one.
    if (!ec && !text.starts_with(std::string_view{"\x28\xb5\x2f\xfd", 4})) {
        fuzz::check(from_file == from_text, "file and memory readers agree on text");
    }
    return 0;
}
