#pragma once

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace mdg::bench {

/// Lines of a capture in tests/data/bybit whose text contains every needle.
inline std::vector<std::string> capture_lines(std::string_view file,
                                              std::initializer_list<std::string_view> needles) {
    std::ifstream in(std::string(MDG_TEST_DATA_DIR) + "/bybit/" + std::string(file));
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        bool all = !line.empty();
        for (auto n : needles) {
            all = all && line.find(n) != std::string::npos;
        }
        if (all) {
            out.push_back(line);
        }
    }
    return out;
}

inline constexpr std::string_view linear_capture = "cryptofeed_linear_2026-08-09.frames.jsonl";

} // namespace mdg::bench
