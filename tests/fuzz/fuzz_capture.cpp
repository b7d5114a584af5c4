// Fuzz target: the capture reader (replay/capture_file.cpp): the input is a whole capture file,
// read from disk by for_each_frame_in_file (chunked reads into one reused buffer; zstd files,
// recognised by their magic number, decompressed on the fly) and from memory by
// for_each_frame_in_text. Invariants: every frame is a non-empty line; a plain-text capture
// gives, both ways, exactly its non-empty lines without their '\n' and one trailing '\r', in
// order.

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

// The frames of a plain-text capture, by the rule of capture_file.hpp: every non-empty line,
// without its '\n' and one trailing '\r'.
std::vector<std::string> expected_frames(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            out.emplace_back(line);
        }
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return out;
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
            fuzz::check(!f.empty() && f.find('\n') == std::string_view::npos,
                        "a frame is a non-empty line");
            from_file.emplace_back(f);
        },
        message);
    fuzz::check(!ec || (!message.empty() && message.find('\n') == std::string::npos),
                "a failure is one line");

    std::vector<std::string> from_text;
    replay::for_each_frame_in_text(text, [&](std::string_view f) { from_text.emplace_back(f); });
    const auto expected = expected_frames(text);
    fuzz::check(from_text == expected, "the in-memory reader splits lines by the rule");
    // A capture without zstd's magic number is plain text: the file reader splits it the same.
    if (!ec && !text.starts_with(std::string_view{"\x28\xb5\x2f\xfd", 4})) {
        fuzz::check(from_file == expected, "the file reader splits plain text by the rule");
    }
    return 0;
}
