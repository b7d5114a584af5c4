#include "replay/capture_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace mdg::replay {

namespace {

std::string_view trim_line(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    return line;
}

} // namespace

boost::system::error_code
for_each_frame_in_file(const std::filesystem::path& path,
                       const std::function<void(std::string_view)>& on_frame,
                       std::string& message) {
    std::error_code fs_ec;
    if (std::filesystem::is_directory(path, fs_ec)) {
        message = fmt::format("cannot read capture {}: is a directory", path.string());
        return {EISDIR, boost::system::generic_category()};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno != 0 ? errno : ENOENT;
        message = fmt::format("cannot open capture {}: {}", path.string(), std::strerror(err));
        return {err, boost::system::generic_category()};
    }
    std::string line;
    line.reserve(1 << 16);
    while (std::getline(in, line)) {
        const auto frame = trim_line(line);
        if (!frame.empty()) {
            on_frame(frame);
        }
    }
    if (in.bad()) {
        message = fmt::format("error reading capture {}", path.string());
        return {EIO, boost::system::generic_category()};
    }
    return {};
}

void for_each_frame_in_text(std::string_view text,
                            const std::function<void(std::string_view)>& on_frame) {
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const auto line = trim_line(text.substr(0, nl));
        if (!line.empty()) {
            on_frame(line);
        }
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
}

} // namespace mdg::replay
