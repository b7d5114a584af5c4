#pragma once

// Access to tests/data for tests (MDG_TEST_DATA_DIR is set by mdg_add_test_binary).

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace mdg::test {

inline std::string bybit_data_path(std::string_view name) {
    return std::string(MDG_TEST_DATA_DIR) + "/bybit/" + std::string(name);
}

/// The non-empty lines of tests/data/bybit/<name>.
inline std::vector<std::string> read_bybit_lines(std::string_view name) {
    std::ifstream in(bybit_data_path(name));
    EXPECT_TRUE(in) << name;
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

} // namespace mdg::test
