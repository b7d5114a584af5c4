#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>

#include <gtest/gtest.h>

#include "metrics/detail/proc_parse.hpp"
#include "metrics/process_collector.hpp"

namespace mdg::metrics {
namespace {

// The value of the unlabelled series `name` in exposition `text`, if present.
std::optional<double> value_of(const std::string& text, std::string_view name) {
    const std::string key = "\n" + std::string{name} + " ";
    const auto at = ("\n" + text).find(key);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    return std::stod(text.substr(at + key.size() - 1));
}

bool has_type_line(const std::string& text, std::string_view name, std::string_view type) {
    return text.find("# TYPE " + std::string{name} + " " + std::string{type} + "\n") !=
           std::string::npos;
}

TEST(MetricsProcessTest, ReportsThisProcessSanely) {
    registry r;
    add_process_metrics(r);
    const std::string text = r.render();

    EXPECT_TRUE(has_type_line(text, "process_cpu_seconds_total", "counter")) << text;
    for (const auto* gauge_name :
         {"process_resident_memory_bytes", "process_virtual_memory_bytes",
          "process_start_time_seconds", "process_open_fds", "process_max_fds"}) {
        EXPECT_TRUE(has_type_line(text, gauge_name, "gauge")) << gauge_name << "\n" << text;
    }
    const auto rss = value_of(text, "process_resident_memory_bytes");
    const auto vsize = value_of(text, "process_virtual_memory_bytes");
    const auto cpu = value_of(text, "process_cpu_seconds_total");
    const auto start = value_of(text, "process_start_time_seconds");
    const auto open_fds = value_of(text, "process_open_fds");
    const auto max_fds = value_of(text, "process_max_fds");
    ASSERT_TRUE(rss && vsize && cpu && start && open_fds && max_fds) << text;
    EXPECT_GT(*rss, 0.0);
    EXPECT_GE(*vsize, *rss);
    EXPECT_GE(*cpu, 0.0);
    const auto now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    EXPECT_LE(*start, now + 1.0);
    EXPECT_GT(*start, now - 86400.0);
    EXPECT_GT(*open_fds, 0.0);
    EXPECT_GE(*max_fds, *open_fds);
    EXPECT_EQ(r.rejected_samples(), 0U);
}

TEST(MetricsProcessTest, MissingProcLeavesTheSeriesOut) {
    registry r;
    add_process_metrics(r, "/nonexistent/proc");
    EXPECT_EQ(r.render(), "");
    EXPECT_EQ(r.rejected_samples(), 0U);
}

// A scratch /proc look-alike, removed at the end of the test.
class MetricsFakeProcTest : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() /
                ("mdg_metrics_proc_" + std::to_string(::getpid()));
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_ / "self" / "fd");
    }
    void TearDown() override { std::filesystem::remove_all(root_); }

    void write(const std::filesystem::path& rel, std::string_view text) const {
        std::ofstream{root_ / rel} << text;
    }

    std::filesystem::path root_;
};

TEST_F(MetricsFakeProcTest, ReadsEachFileIntoItsSeries) {
    // comm with spaces and parentheses; utime 300, stime 100, starttime 500, vsize 8192, rss 3.
    write("self/stat", "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 300 100 0 0 20 0 1 0 500 "
                       "8192 3 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    write("stat", "cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n");
    write("self/limits",
          "Limit                     Soft Limit           Hard Limit           Units\n"
          "Max open files            unlimited            unlimited            files\n");
    write("self/fd/0", "");
    write("self/fd/1", "");
    registry r;
    add_process_metrics(r, root_);
    const std::string text = r.render();
    const auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    EXPECT_EQ(value_of(text, "process_cpu_seconds_total"), 400.0 / hz);
    EXPECT_EQ(value_of(text, "process_start_time_seconds"), 1700000000.0 + 500.0 / hz);
    EXPECT_EQ(value_of(text, "process_virtual_memory_bytes"), 8192.0);
    EXPECT_EQ(value_of(text, "process_resident_memory_bytes"), 3.0 * page);
    EXPECT_EQ(value_of(text, "process_open_fds"), 2.0);
    EXPECT_NE(text.find("\nprocess_max_fds 18446744073709551615\n"), std::string::npos) << text;
}

TEST_F(MetricsFakeProcTest, MalformedFilesLeaveTheirSeriesOut) {
    write("self/stat", "42 (truncated) S 1 2 3");
    write("stat", "btime soon\n");
    write("self/limits", "Max open files            lots\n");
    registry r;
    add_process_metrics(r, root_);
    const std::string text = r.render();
    EXPECT_EQ(text, "# HELP process_open_fds Number of open file descriptors.\n"
                    "# TYPE process_open_fds gauge\n"
                    "process_open_fds 0\n");
}

TEST(MetricsProcParseTest, RejectsMalformedStatLines) {
    using detail::parse_proc_pid_stat;
    EXPECT_FALSE(parse_proc_pid_stat(""));
    EXPECT_FALSE(parse_proc_pid_stat("no parenthesis at all 1 2 3"));
    EXPECT_FALSE(parse_proc_pid_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 -5 1 0 0 20 0 1 0 5 6 7"));
    EXPECT_FALSE(parse_proc_pid_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 6 -7"));
    EXPECT_FALSE(parse_proc_pid_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 6\n7"));
    EXPECT_FALSE(parse_proc_pid_stat(
        "1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 99999999999999999999 7"));
    const auto ok = parse_proc_pid_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 11 12 0 0 20 0 1 0 5 6 7");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->utime_ticks, 11U);
    EXPECT_EQ(ok->stime_ticks, 12U);
    EXPECT_EQ(ok->starttime_ticks, 5U);
    EXPECT_EQ(ok->vsize_bytes, 6U);
    EXPECT_EQ(ok->rss_pages, 7U);
}

TEST(MetricsProcParseTest, BootTimeAndMaxOpenFiles) {
    EXPECT_EQ(detail::parse_boot_time("cpu 1\nbtime 123\n"), 123U);
    EXPECT_FALSE(detail::parse_boot_time("cpu 1\n"));
    EXPECT_FALSE(detail::parse_boot_time("btime\n"));
    EXPECT_FALSE(detail::parse_boot_time("btime 12 34\n"));
    EXPECT_EQ(detail::parse_max_open_files("Max open files 1024 4096 files\n"), 1024U);
    EXPECT_FALSE(detail::parse_max_open_files("Max processes 1024 4096 processes\n"));
    EXPECT_FALSE(detail::parse_max_open_files("Max open files\n"));
}

} // namespace
} // namespace mdg::metrics
