#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "metrics/buckets.hpp"
#include "metrics/process_collector.hpp"
#include "metrics/registry.hpp"

namespace mdg::metrics {
namespace {

// A registry that uses every feature, lint-clean for promtool.
std::string render_everything() {
    registry r;
    r.counter("mdgate_frames_total", "Frames received.", {{"venue", "bybit"}, {"conn", "conn_0"}})
        .inc(12);
    r.counter("mdgate_frames_total", "Frames received.",
              {{"venue", "we\"ird\\venue\nname"}, {"conn", "conn_1"}})
        .inc();
    r.gauge("mdgate_books_live", "Books being \"maintained\",\nback\\slashed.").set(3);
    r.gauge("mdgate_spread_ratio", "A fractional gauge.", {{"symbol", "BTCUSDT"}}).set(0.125);
    r.gauge("mdgate_spread_ratio", "A fractional gauge.", {{"symbol", "ETHUSDT"}})
        .set(std::numeric_limits<double>::quiet_NaN());
    r.gauge("mdgate_spread_ratio", "A fractional gauge.", {{"symbol", "SOLUSDT"}})
        .set(-std::numeric_limits<double>::infinity());
    auto& lat = r.histogram("mdgate_apply_latency_seconds", "Delta apply latency.",
                            latency_seconds_buckets, {{"venue", "bybit"}});
    lat.observe_ns(1'500);
    lat.observe(0.3);
    lat.observe(42.0);
    (void)r.histogram("mdgate_callback_duration_seconds", "Consumer callback duration.",
                      callback_duration_seconds_buckets);
    r.add_collector([](family_writer& w) {
        w.begin("mdgate_frames_total", "Frames received.", metric_type::counter);
        w.sample({{"venue", "binance"}, {"conn", "conn_0"}}, 7);
        w.begin("mdgate_queue_depth", "Queue depth per shard.", metric_type::gauge);
        w.sample({{"shard", "0"}}, 5);
        w.sample({{"shard", "1"}}, -1.5e-7);
        w.begin("mdgate_sink_publish_seconds", "Publish time.", metric_type::histogram);
        w.histogram_sample({{"sink", "nats"}}, std::array{0.01, 0.1},
                           std::array<std::uint64_t, 3>{4, 2, 1}, 0.75);
        w.begin("mdgate_build_info", "Build information.", metric_type::gauge);
        w.sample({{"version", "0.1.0"}}, 1);
        w.begin("mdgate_frames_total", "Frames received.", metric_type::gauge); // rejected
    });
    add_process_metrics(r);
    return r.render();
}

TEST(MetricsPromtoolTest, CheckMetricsAcceptsTheRenderedText) {
    ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
        << "promtool is not installed (Debian package `prometheus`); this test needs it";
    const std::string text = render_everything();
    ASSERT_NE(text.find("mdgate_metrics_rejected_samples_total 1\n"), std::string::npos) << text;

    const auto dir = std::filesystem::temp_directory_path();
    const auto stem = "mdg_promtool_" + std::to_string(::getpid());
    const auto in = dir / (stem + ".prom");
    const auto out = dir / (stem + ".out");
    std::ofstream{in} << text;
    const std::string cmd =
        "promtool check metrics < '" + in.string() + "' > '" + out.string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::stringstream report;
    report << std::ifstream{out}.rdbuf();
    std::filesystem::remove(in);
    std::filesystem::remove(out);

    ASSERT_TRUE(WIFEXITED(status)) << "promtool did not exit normally";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "promtool says:\n"
                                      << report.str() << "\nfor the text:\n"
                                      << text;
}

} // namespace
} // namespace mdg::metrics
