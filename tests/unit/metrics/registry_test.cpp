#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/buckets.hpp"
#include "metrics/registry.hpp"

namespace mdg::metrics {
namespace {

// A small registry with one family of each type, in the order a reviewer can read.
TEST(MetricsRegistryTest, RendersTheExactExpositionText) {
    registry r;
    r.counter("mdgate_frames_total", "Frames received.", {{"venue", "bybit"}, {"conn", "conn_0"}})
        .inc(3);
    r.counter("mdgate_frames_total", "Frames received.", {{"conn", "conn_1"}, {"venue", "bybit"}})
        .inc();
    r.gauge("mdgate_books_live", "Books being maintained.").set(2.5);
    auto& h = r.histogram("mdgate_apply_seconds", "Time to apply one delta.",
                          std::array{0.25, 0.5, 1.0}, {{"venue", "bybit"}});
    for (const double v : {0.125, 0.375, 0.375, 2.0}) {
        h.observe(v);
    }
    EXPECT_EQ(r.render(), "# HELP mdgate_apply_seconds Time to apply one delta.\n"
                          "# TYPE mdgate_apply_seconds histogram\n"
                          "mdgate_apply_seconds_bucket{venue=\"bybit\",le=\"0.25\"} 1\n"
                          "mdgate_apply_seconds_bucket{venue=\"bybit\",le=\"0.5\"} 3\n"
                          "mdgate_apply_seconds_bucket{venue=\"bybit\",le=\"1\"} 3\n"
                          "mdgate_apply_seconds_bucket{venue=\"bybit\",le=\"+Inf\"} 4\n"
                          "mdgate_apply_seconds_sum{venue=\"bybit\"} 2.875\n"
                          "mdgate_apply_seconds_count{venue=\"bybit\"} 4\n"
                          "# HELP mdgate_books_live Books being maintained.\n"
                          "# TYPE mdgate_books_live gauge\n"
                          "mdgate_books_live 2.5\n"
                          "# HELP mdgate_frames_total Frames received.\n"
                          "# TYPE mdgate_frames_total counter\n"
                          "mdgate_frames_total{conn=\"conn_0\",venue=\"bybit\"} 3\n"
                          "mdgate_frames_total{conn=\"conn_1\",venue=\"bybit\"} 1\n");
}

TEST(MetricsRegistryTest, EmptyRegistryRendersNothing) {
    const registry r;
    EXPECT_EQ(r.render(), "");
    EXPECT_EQ(content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
    registry r;
    r.counter("odd_total", "Back\\slash, \"quotes\"\nand a newline.",
              {{"path", "C:\\dir\\\"x\"\nnext"}})
        .inc();
    EXPECT_EQ(r.render(), "# HELP odd_total Back\\\\slash, \"quotes\"\\nand a newline.\n"
                          "# TYPE odd_total counter\n"
                          "odd_total{path=\"C:\\\\dir\\\\\\\"x\\\"\\nnext\"} 1\n");
}

TEST(MetricsRegistryTest, SameNameAndLabelsReturnTheSameInstrument) {
    registry r;
    auto& a = r.counter("x_total", "X.", {{"a", "1"}, {"b", "2"}});
    auto& b = r.counter("x_total", "X.", {{"b", "2"}, {"a", "1"}});
    auto& c = r.counter("x_total", "X.", {{"a", "1"}, {"b", "3"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
    auto& g = r.gauge("g", "G.");
    EXPECT_EQ(&g, &r.gauge("g", "G."));
    auto& h = r.histogram("h_seconds", "H.", latency_seconds_buckets);
    EXPECT_EQ(&h, &r.histogram("h_seconds", "H.", latency_seconds_buckets));
    // Many more series do not move the ones handed out.
    for (int i = 0; i < 1000; ++i) {
        r.counter("x_total", "X.", {{"a", std::to_string(i)}});
    }
    a.inc();
    EXPECT_EQ(b.value(), 1U);
}

TEST(MetricsRegistryTest, ConflictingRegistrationsAreLogicErrors) {
    registry r;
    (void)r.counter("x_total", "X.");
    (void)r.histogram("h_seconds", "H.", std::array{1.0, 2.0});
    EXPECT_THROW((void)r.gauge("x_total", "X."), std::logic_error);
    EXPECT_THROW((void)r.counter("x_total", "Other help."), std::logic_error);
    EXPECT_THROW((void)r.histogram("h_seconds", "H.", std::array{1.0, 3.0}), std::logic_error);
    // A trailing +Inf is the same bounds.
    EXPECT_NO_THROW((void)r.histogram("h_seconds", "H.",
                                      std::array{1.0, 2.0, std::numeric_limits<double>::infinity()},
                                      {{"k", "v"}}));
}

TEST(MetricsRegistryTest, InvalidNamesLabelsAndBoundsAreRejected) {
    registry r;
    EXPECT_THROW((void)r.counter("bad-name_total", "X."), std::invalid_argument);
    EXPECT_THROW((void)r.counter("", "X."), std::invalid_argument);
    EXPECT_THROW((void)r.counter("x_total", "X.", {{"__reserved", "v"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("x_total", "X.", {{"a-b", "v"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("x_total", "X.", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("x_total", "X.", {{"a", "\xff"}}), std::invalid_argument);
    EXPECT_THROW((void)r.gauge("g", "\xc3"), std::invalid_argument);
    EXPECT_THROW((void)r.histogram("h", "H.", std::array{1.0}, {{"le", "1"}}),
                 std::invalid_argument);
    EXPECT_THROW((void)r.histogram("h", "H.", std::array{2.0, 1.0}), std::invalid_argument);
    EXPECT_THROW(r.add_collector({}), std::invalid_argument);
    EXPECT_EQ(r.render(), ""); // nothing half-registered
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeAndInfEqualsCount) {
    registry r;
    auto& h = r.histogram("lat_seconds", "L.", std::array{1.0, 2.0, 3.0});
    for (const double v : {3.0, 3.0, 3.0, 0.5, 9.0, 2.0}) {
        h.observe(v);
    }
    EXPECT_EQ(r.render(), "# HELP lat_seconds L.\n"
                          "# TYPE lat_seconds histogram\n"
                          "lat_seconds_bucket{le=\"1\"} 1\n"
                          "lat_seconds_bucket{le=\"2\"} 2\n"
                          "lat_seconds_bucket{le=\"3\"} 5\n"
                          "lat_seconds_bucket{le=\"+Inf\"} 6\n"
                          "lat_seconds_sum 20.5\n"
                          "lat_seconds_count 6\n");
}

TEST(MetricsRegistryTest, CountersStayMonotonicAcrossRenders) {
    registry r;
    auto& c = r.counter("n_total", "N.");
    c.inc(5);
    EXPECT_EQ(r.render(), "# HELP n_total N.\n# TYPE n_total counter\nn_total 5\n");
    c.inc(2);
    EXPECT_EQ(r.render(), "# HELP n_total N.\n# TYPE n_total counter\nn_total 7\n");
}

TEST(MetricsRegistryTest, ConcurrentIncrementsThroughTheRegistrySumExactly) {
    registry r;
    constexpr int per_thread = 50'000;
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < 4; ++t) {
            pool.emplace_back([&r] {
                auto& c = r.counter("hits_total", "Hits.", {{"k", "v"}});
                for (int i = 0; i < per_thread; ++i) {
                    c.inc();
                }
            });
        }
        // Renders race with the increments: they must not disturb them.
        for (int i = 0; i < 10; ++i) {
            (void)r.render();
        }
    }
    EXPECT_EQ(r.render(), "# HELP hits_total Hits.\n# TYPE hits_total counter\n"
                          "hits_total{k=\"v\"} 200000\n");
}

TEST(MetricsRegistryTest, FamiliesAreSortedAndEmittedOnceEvenWithCollectors) {
    registry r;
    r.gauge("b_gauge_value", "B.", {{"x", "2"}}).set(2);
    r.add_collector([](family_writer& w) {
        EXPECT_TRUE(w.begin("b_gauge_value", "B from a collector.", metric_type::gauge));
        EXPECT_TRUE(w.sample({{"x", "1"}}, 1));
        EXPECT_TRUE(w.begin("a_items", "A.", metric_type::gauge));
        EXPECT_TRUE(w.sample({}, -4));
        EXPECT_TRUE(w.begin("c_seen_total", "C.", metric_type::counter));
        EXPECT_TRUE(w.sample({{"v", "2"}}, std::uint64_t{18446744073709551615ULL}));
    });
    r.add_collector([](family_writer& w) {
        EXPECT_TRUE(w.begin("c_seen_total", "C.", metric_type::counter));
        EXPECT_TRUE(w.sample({{"v", "1"}}, 0.5));
        EXPECT_TRUE(w.begin("d_calls_seconds", "D.", metric_type::histogram));
        EXPECT_TRUE(w.histogram_sample({{"cb", "x"}}, std::array{0.1, 1.0},
                                       std::array<std::uint64_t, 3>{1, 0, 2}, 3.5));
        EXPECT_TRUE(w.begin("e_state", "E.", metric_type::untyped));
        EXPECT_TRUE(w.sample({}, std::numeric_limits<double>::infinity()));
    });
    EXPECT_EQ(r.render(), "# HELP a_items A.\n"
                          "# TYPE a_items gauge\n"
                          "a_items -4\n"
                          "# HELP b_gauge_value B.\n"
                          "# TYPE b_gauge_value gauge\n"
                          "b_gauge_value{x=\"1\"} 1\n"
                          "b_gauge_value{x=\"2\"} 2\n"
                          "# HELP c_seen_total C.\n"
                          "# TYPE c_seen_total counter\n"
                          "c_seen_total{v=\"1\"} 0.5\n"
                          "c_seen_total{v=\"2\"} 18446744073709551615\n"
                          "# HELP d_calls_seconds D.\n"
                          "# TYPE d_calls_seconds histogram\n"
                          "d_calls_seconds_bucket{cb=\"x\",le=\"0.1\"} 1\n"
                          "d_calls_seconds_bucket{cb=\"x\",le=\"1\"} 1\n"
                          "d_calls_seconds_bucket{cb=\"x\",le=\"+Inf\"} 3\n"
                          "d_calls_seconds_sum{cb=\"x\"} 3.5\n"
                          "d_calls_seconds_count{cb=\"x\"} 3\n"
                          "# HELP e_state E.\n"
                          "# TYPE e_state untyped\n"
                          "e_state +Inf\n");
    EXPECT_EQ(r.rejected_samples(), 0U);
}

TEST(MetricsRegistryTest, BadCollectorOutputIsDroppedAndCounted) {
    registry r;
    r.counter("x_total", "X.", {{"k", "a"}}).inc();
    r.add_collector([](family_writer& w) {
        EXPECT_FALSE(w.sample({}, 1.0));                             // before begin
        EXPECT_FALSE(w.begin("x_total", "X.", metric_type::gauge));  // type clash
        EXPECT_FALSE(w.sample({}, 1.0));                             // ...so dropped
        EXPECT_FALSE(w.begin("bad name", "X.", metric_type::gauge)); // grammar
        EXPECT_FALSE(w.begin("y", "\xff", metric_type::gauge));      // HELP not UTF-8
        EXPECT_TRUE(w.begin("x_total", "X.", metric_type::counter));
        EXPECT_TRUE(w.sample({{"k", "a"}}, 9));   // duplicate series: first value wins
        EXPECT_FALSE(w.sample({}, -1));           // negative counter
        EXPECT_FALSE(w.sample({}, std::nan(""))); // NaN counter
        EXPECT_FALSE(w.sample({{"__k", "v"}}, 1));
        EXPECT_FALSE(w.sample({{"k", "\xff"}}, 1));
        EXPECT_FALSE(w.histogram_sample({}, std::array{1.0}, std::array<std::uint64_t, 2>{1, 1},
                                        2.0)); // not a histogram family
        EXPECT_TRUE(w.begin("h_seconds", "H.", metric_type::histogram));
        EXPECT_FALSE(w.sample({}, 1.0)); // scalar in a histogram family
        EXPECT_FALSE(w.histogram_sample({}, std::array{1.0}, std::array<std::uint64_t, 1>{1},
                                        2.0)); // counts do not match bounds
        EXPECT_FALSE(w.histogram_sample({}, std::array{2.0, 1.0},
                                        std::array<std::uint64_t, 3>{1, 1, 1}, 2.0));
        EXPECT_FALSE(w.histogram_sample({{"le", "1"}}, std::array{1.0},
                                        std::array<std::uint64_t, 2>{1, 1}, 2.0));
    });
    r.add_collector([](family_writer& w) {
        w.begin("z_items", "Z.", metric_type::gauge);
        w.sample({}, 1);
        throw std::runtime_error("collector failed");
    });
    EXPECT_EQ(r.render(), "# HELP mdgate_metrics_rejected_samples_total Samples written by metrics "
                          "collectors that were malformed or duplicated and left out.\n"
                          "# TYPE mdgate_metrics_rejected_samples_total counter\n"
                          "mdgate_metrics_rejected_samples_total 16\n"
                          "# HELP x_total X.\n"
                          "# TYPE x_total counter\n"
                          "x_total{k=\"a\"} 1\n"
                          "# HELP z_items Z.\n"
                          "# TYPE z_items gauge\n"
                          "z_items 1\n");
    EXPECT_EQ(r.rejected_samples(), 16U);
    (void)r.render();
    EXPECT_EQ(r.rejected_samples(), 32U); // a counter: it keeps growing
}

TEST(MetricsRegistryTest, ACollectorMayCreateInstruments) {
    registry r;
    r.add_collector([&r](family_writer&) { r.gauge("made_late", "Made by a collector.").set(1); });
    (void)r.render();
    EXPECT_EQ(r.render(), "# HELP made_late Made by a collector.\n"
                          "# TYPE made_late gauge\n"
                          "made_late 1\n");
}

} // namespace
} // namespace mdg::metrics
