#include "replay/capture_file.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>
#include <zstd.h>

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
                       const std::function<void(std::string_view)>& on_frame, std::string& message,
                       capture_read_info* info) {
    std::error_code fs_ec;
    const auto st = std::filesystem::status(path, fs_ec);
    if (std::filesystem::is_directory(st)) {
        message = fmt::format("cannot read capture {}: is a directory", path.string());
        return {EISDIR, boost::system::generic_category()};
    }
    // A FIFO blocks, /dev/zero never ends: only regular files are captures.
    if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
        message = fmt::format("cannot read capture {}: not a regular file (a FIFO, socket or "
                              "device is refused)",
                              path.string());
        return {EINVAL, boost::system::generic_category()};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno != 0 ? errno : ENOENT;
        message = fmt::format("cannot open capture {}: {}", path.string(), std::strerror(err));
        return {err, boost::system::generic_category()};
    }
    // Chunks into one reused buffer; a line is never held beyond max_capture_line_bytes.
    std::string line;
    line.reserve(1 << 16);
    std::array<char, 1 << 16> chunk{};
    std::uint64_t line_no = 1;
    const auto take = [&](std::string_view piece) {
        if (line.size() + piece.size() > max_capture_line_bytes) {
            return false;
        }
        line.append(piece);
        return true;
    };
    const auto too_long = [&] {
        message = fmt::format("capture {}: line {} is longer than {} bytes (the largest frame "
                              "mdgate accepts); not a capture",
                              path.string(), line_no, max_capture_line_bytes);
        return boost::system::error_code{EFBIG, boost::system::generic_category()};
    };
    // Splits decompressed (or plain) bytes into lines.
    const auto feed = [&](std::string_view rest) {
        for (auto nl = rest.find('\n'); nl != std::string_view::npos; nl = rest.find('\n')) {
            if (!take(rest.substr(0, nl))) {
                return false;
            }
            if (const auto frame = trim_line(line); !frame.empty()) {
                on_frame(frame);
            }
            line.clear();
            ++line_no;
            rest.remove_prefix(nl + 1);
        }
        return take(rest);
    };
    // zstd is recognised by its magic number (RFC 8878), whatever the file is called.
    constexpr std::array<unsigned char, 4> zstd_magic{0x28, 0xB5, 0x2F, 0xFD};
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{nullptr, &ZSTD_freeDCtx};
    std::vector<char> plain;
    std::size_t zstd_left = 0; // > 0: inside a frame
    bool first = true;
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const std::string_view got{chunk.data(), static_cast<std::size_t>(in.gcount())};
        if (first && !got.empty()) {
            first = false;
            if (got.size() >= 4 && std::memcmp(got.data(), zstd_magic.data(), 4) == 0) {
                dctx.reset(ZSTD_createDCtx());
                plain.resize(ZSTD_DStreamOutSize());
                if (info != nullptr) {
                    info->compressed = true;
                }
            }
        }
        if (!dctx) {
            if (!feed(got)) {
                return too_long();
            }
            continue;
        }
        ZSTD_inBuffer zin{got.data(), got.size(), 0};
        // Until the input is used up and the decoder holds no more output (a full output
        // buffer may leave some behind).
        for (bool full = true; zin.pos < zin.size || full;) {
            ZSTD_outBuffer zout{plain.data(), plain.size(), 0};
            const auto before = zin.pos;
            const auto left = ZSTD_decompressStream(dctx.get(), &zout, &zin);
            if (ZSTD_isError(left) != 0U) {
                message = fmt::format("capture {}: corrupt zstd data after line {}: {}",
                                      path.string(), line_no - 1, ZSTD_getErrorName(left));
                return {EILSEQ, boost::system::generic_category()};
            }
            // A call that moved nothing says nothing about the frame (after a frame's end it
            // already waits for the next one).
            if (zin.pos != before || zout.pos != 0) {
                zstd_left = left;
            }
            if (!feed({plain.data(), zout.pos})) {
                return too_long();
            }
            full = zout.pos == zout.size;
        }
    }
    if (dctx && zstd_left != 0) {
        // Cut inside a frame: the partial last line is not a record.
        if (info != nullptr) {
            info->truncated = true;
        }
        line.clear();
    }
    if (in.bad()) {
        message = fmt::format("error reading capture {}", path.string());
        return {EIO, boost::system::generic_category()};
    }
    if (const auto frame = trim_line(line); !frame.empty()) {
        on_frame(frame);
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
