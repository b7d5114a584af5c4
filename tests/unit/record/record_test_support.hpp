#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "record/record_format.hpp"
#include "replay/capture_file.hpp"

namespace mdg::record::test {

/// A fresh, empty directory under the test temp dir, removed at destruction.
class temp_dir {
  public:
    explicit temp_dir(const std::string& name)
        : path_(std::filesystem::path(::testing::TempDir()) / ("mdg_record_" + name)) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    temp_dir(temp_dir&&) = delete;
    temp_dir& operator=(temp_dir&&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

    /// The recording files, oldest first (names sort by time).
    [[nodiscard]] std::vector<std::filesystem::path> files() const {
        std::vector<std::filesystem::path> out;
        for (const auto& e : std::filesystem::directory_iterator(path_)) {
            out.push_back(e.path());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

  private:
    std::filesystem::path path_;
};

/// The lines of one file, read as replay reads them (zstd or plain).
inline std::vector<std::string> read_lines(const std::filesystem::path& file,
                                           replay::capture_read_info* info = nullptr) {
    std::vector<std::string> lines;
    std::string message;
    const auto ec = replay::for_each_frame_in_file(
        file, [&](std::string_view l) { lines.emplace_back(l); }, message, info);
    EXPECT_FALSE(ec) << message;
    return lines;
}

/// The payloads of the "in" records of a file, in order; every line after the header must be
/// a record.
inline std::vector<std::string> payloads(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    line_parser p;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        auto r = p.parse_record(lines[i]);
        EXPECT_TRUE(r.has_value()) << lines[i];
        if (r && r->kind == record_kind::in) {
            out.emplace_back(r->payload);
        }
    }
    return out;
}

} // namespace mdg::record::test
