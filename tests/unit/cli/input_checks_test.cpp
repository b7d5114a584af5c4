#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cli/input_checks.hpp"

namespace mdg::cli {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(InputChecksTest, NumbersAreFiniteDecimalsWithinBounds) {
    std::string error;
    EXPECT_EQ(parse_number("--rate", "750", 0.001, 1e9, error), 750.0);
    EXPECT_EQ(parse_number("--rate", "0.5", 0, 1, error), 0.5);
    EXPECT_EQ(parse_number("--rate", "1e3", 0, 1e9, error), 1000.0);
    EXPECT_EQ(parse_number("--x", "+2", 0, 10, error), 2.0);
    EXPECT_EQ(parse_number("--x", "-2", -5, 10, error), -2.0);
    for (const char* bad : {"nan", "NaN", "inf", "-inf", "infinity", "", " 1", "1 ", "10abc",
                            "0x10", "1e", "1.2.3", "-", "+", "+-1", "e5", ".5"}) {
        error.clear();
        EXPECT_FALSE(parse_number("--rate", bad, -1e9, 1e9, error)) << bad;
        EXPECT_NE(error.find("--rate: "), std::string::npos) << error;
        EXPECT_NE(error.find("is not a number"), std::string::npos) << error;
    }
    EXPECT_FALSE(parse_number("--rate", "1e400", 0, 1e9, error)); // overflow
    EXPECT_FALSE(parse_number("--rate", "0", 0.001, 1e9, error));
    EXPECT_EQ(error, "--rate: '0' is out of range [0.001, 1e+09]");
    EXPECT_FALSE(parse_number("--rate", "2e9", 0.001, 1e9, error));
}

TEST(InputChecksTest, CountsNeverWrapAround) {
    std::string error;
    EXPECT_EQ(parse_count("--n", "0", 0, 10, error), 0U);
    EXPECT_EQ(parse_count("--n", "18446744073709551615", 0, UINT64_MAX, error), UINT64_MAX);
    EXPECT_FALSE(parse_count("--max-queue-drops", "-1", 0, UINT64_MAX, error));
    EXPECT_EQ(error, "--max-queue-drops: '-1' is not a whole number");
    for (const char* bad : {"", "+1", "1.0", "1e3", "nan", "3abc", " 3", "0x1"}) {
        EXPECT_FALSE(parse_count("--n", bad, 0, UINT64_MAX, error)) << bad;
    }
    EXPECT_FALSE(parse_count("--n", "18446744073709551616", 0, UINT64_MAX, error));
    EXPECT_NE(error.find("out of range"), std::string::npos) << error;
    EXPECT_FALSE(parse_count("--n", "11", 0, 10, error));
    EXPECT_EQ(error, "--n: '11' is out of range [0, 10]");
}

TEST(InputChecksTest, DurationsUseTheConfigurationSyntax) {
    std::string error;
    EXPECT_EQ(parse_duration_option("--duration", "60s", 1ms, 1000h, error), 60s);
    for (const char* bad : {"nan", "inf", "1.5s", "-1s", "60", "", "5 s"}) {
        EXPECT_FALSE(parse_duration_option("--duration", bad, 1ms, 1000h, error)) << bad;
        EXPECT_NE(error.find("is not a duration"), std::string::npos) << error;
    }
    EXPECT_FALSE(parse_duration_option("--duration", "1s", 5s, 1000h, error));
    EXPECT_EQ(error, "--duration: '1s' is out of range [5s, 1000h]");
    // Without an option name (a CLI11 validator adds it), no prefix.
    EXPECT_FALSE(parse_duration_option("", "0s", 1ms, 1h, error));
    EXPECT_EQ(error, "'0s' is out of range [1ms, 1h]");
}

TEST(InputChecksTest, BindableHostsAreAddressesOrLocalhost) {
    EXPECT_TRUE(is_bindable_host("127.0.0.1"));
    EXPECT_TRUE(is_bindable_host("0.0.0.0"));
    EXPECT_TRUE(is_bindable_host("::1"));
    EXPECT_TRUE(is_bindable_host("localhost"));
    EXPECT_FALSE(is_bindable_host("example.com"));
    EXPECT_FALSE(is_bindable_host("999.1.1.1"));
    EXPECT_FALSE(is_bindable_host(""));
}

class InputFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("mdg_input_checks_" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(InputFileTest, InputsAreRegularReadableFiles) {
    std::string error;
    const auto file = dir_ / "f.jsonl";
    std::ofstream(file) << "x\n";
    EXPECT_TRUE(check_input_file("--replay", file, error)) << error;
    EXPECT_FALSE(check_input_file("--replay", dir_, error));
    EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
    EXPECT_FALSE(check_input_file("--replay", dir_ / "missing", error));
    EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
    const auto fifo = dir_ / "fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_FALSE(check_input_file("--replay", fifo, error));
    EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
    EXPECT_FALSE(check_input_file("--replay", "/dev/zero", error));
    EXPECT_FALSE(check_input_file("--replay", "", error));
    EXPECT_EQ(error, "--replay: the file name is empty");
}

TEST_F(InputFileTest, OutputsNeedAWritableParentAndAreNoDirectory) {
    std::string error;
    EXPECT_TRUE(check_output_file("--out", dir_ / "report.md", error)) << error;
    EXPECT_FALSE(check_output_file("--out", dir_, error));
    EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
    EXPECT_FALSE(check_output_file("--report", "/nonexistent/x.md", error));
    EXPECT_EQ(error, "--report: '/nonexistent/x.md': directory '/nonexistent' does not exist");
    EXPECT_FALSE(check_output_file("--out", "", error));
    if (geteuid() != 0) { // root writes anywhere
        fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
        EXPECT_FALSE(check_output_file("--out", dir_ / "x.md", error));
        EXPECT_NE(error.find("not writable"), std::string::npos) << error;
        fs::permissions(dir_, fs::perms::owner_all);
    }
}

} // namespace
} // namespace mdg::cli
