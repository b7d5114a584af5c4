#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace mdg::replay {

/// The longest line a capture may hold: the largest frame the gateway can be configured to
/// accept (`connections.max_frame_bytes` at most 64 MiB).
inline constexpr std::size_t max_capture_line_bytes = std::size_t{64} << 20;

/// What for_each_frame_in_file found besides the lines.
struct capture_read_info {
    bool compressed = false; ///< the file was zstd (detected by its magic bytes, not its name)
    /// A zstd file ended inside a frame (a recording cut short by a crash or a copy still
    /// being written): every complete line before the cut was delivered, the partial one not.
    bool truncated = false;
};

/// Calls `on_frame` for every non-empty line of a capture file (one raw frame per line, as in
/// the frames.jsonl recordings, or the lines of an mdgate recording), in order. A zstd file
/// (one or more frames, as `mdgate run --record` writes) is decompressed on the fly. Trailing
/// '\r' is removed. Reads in chunks into one reused buffer. Refuses (before calling `on_frame` for
/// it) a line longer than max_capture_line_bytes, and a path that is not a regular file (a
/// directory, FIFO or device would block or never end). On failure returns the error and a one-line
/// `message` naming the file.
[[nodiscard]] boost::system::error_code
for_each_frame_in_file(const std::filesystem::path& path,
                       const std::function<void(std::string_view)>& on_frame, std::string& message,
                       capture_read_info* info = nullptr);

/// The same over a capture held in memory.
void for_each_frame_in_text(std::string_view text,
                            const std::function<void(std::string_view)>& on_frame);

} // namespace mdg::replay
