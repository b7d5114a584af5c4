#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace mdg::replay {

/// Calls `on_frame` for every non-empty line of a capture file (one raw frame per line, as in
/// the frames.jsonl recordings), in order. Trailing '\r' is removed. Reads line by line into
/// one reused buffer. On failure returns the error and a one-line `message` naming the file.
[[nodiscard]] boost::system::error_code
for_each_frame_in_file(const std::filesystem::path& path,
                       const std::function<void(std::string_view)>& on_frame, std::string& message);

/// The same over a capture held in memory.
void for_each_frame_in_text(std::string_view text,
                            const std::function<void(std::string_view)>& on_frame);

} // namespace mdg::replay
