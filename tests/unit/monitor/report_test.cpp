#include <cmath>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "monitor/report.hpp"

namespace mdg::monitor {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t t0_s = 1'761'750'000; // 2025-10-29T15:00:00Z

unix_nanos at_s(std::int64_t s) {
    return unix_nanos{(t0_s + s) * ns_per_s};
}

/// The gateway's counters at one moment, as a /metrics body renders them.
struct gw {
    double start = t0_s - 100; // process_start_time_seconds
    double handler_timeouts = 0;
    double network_errors = 0;
    double callback_timeouts = 0;
    double messages = 0;
    double messages_trades = -1; // < 0: the series does not exist (yet)
    double error_logs = 0;
    double drops_full = 0;
    double conflated = 0;
    double gaps = 0;
    double resyncs = 0;
    double rss = 100.0 * 1024 * 1024;
    bool with_callback_series = true;
};

std::vector<sample> scrape_of(const gw& g) {
    std::string t;
    t += "# TYPE mdgate_handler_timeouts_total counter\n";
    t += fmt::format("mdgate_handler_timeouts_total {}\n", g.handler_timeouts);
    t += fmt::format("mdgate_network_errors_total{{kind=\"connect\"}} {}\n", g.network_errors);
    t += "mdgate_network_errors_total{kind=\"probe\"} 0\n";
    if (g.with_callback_series) {
        t += fmt::format("mdgate_callback_timeouts_total{{consumer=\"nats\"}} {}\n",
                         g.callback_timeouts);
    }
    t += fmt::format("mdgate_ws_messages_total{{venue=\"bybit\",category=\"linear\","
                     "channel=\"orderbook\"}} {}\n",
                     g.messages);
    if (g.messages_trades >= 0) {
        t += fmt::format("mdgate_ws_messages_total{{venue=\"bybit\",category=\"linear\","
                         "channel=\"trades\"}} {}\n",
                         g.messages_trades);
    }
    t += "mdgate_reconnects_total{connection=\"conn_0\"} 0\n";
    t += fmt::format("mdgate_book_gaps_total {}\n", g.gaps);
    t += fmt::format("mdgate_book_resyncs_total {}\n", g.resyncs);
    t += fmt::format("mdgate_queue_dropped_total{{queue=\"shard_0\",reason=\"full\"}} {}\n",
                     g.drops_full);
    t += fmt::format(
        "mdgate_queue_dropped_total{{queue=\"consumer_nats\",reason=\"drop_oldest\"}} 0\n");
    t += fmt::format(
        "mdgate_queue_dropped_total{{queue=\"consumer_nats\",reason=\"conflated\"}} {}\n",
        g.conflated);
    t += "mdgate_log_messages_total{level=\"info\"} 1234\n";
    t += "mdgate_log_messages_total{level=\"warn\"} 7\n";
    t += fmt::format("mdgate_log_messages_total{{level=\"error\"}} {}\n", g.error_logs);
    t += "mdgate_log_messages_total{level=\"critical\"} 0\n";
    t += "mdgate_build_info{version=\"1.2.3\"} 1\n";
    t += fmt::format("process_resident_memory_bytes {}\n", g.rss);
    t += fmt::format("process_start_time_seconds {}\n", g.start);
    std::string error;
    auto s = parse_prometheus_text(t, error);
    EXPECT_TRUE(s) << error;
    return s ? *s : std::vector<sample>{};
}

report_options options(std::chrono::seconds duration, std::vector<std::chrono::seconds> checks) {
    report_options o;
    o.target = "http://127.0.0.1:8080";
    o.source = "test";
    o.planned_duration = duration;
    o.checks = std::move(checks);
    return o;
}

/// A quiet, healthy gateway scraped every `step` seconds for `seconds`: 45,000 messages/min.
report quiet_run(std::int64_t seconds, std::int64_t step, report_options o) {
    report_builder b(std::move(o), at_s(0));
    gw g;
    for (std::int64_t s = 0; s <= seconds; s += step) {
        g.messages = 750.0 * static_cast<double>(s);
        b.feed(at_s(s), scrape_of(g));
    }
    return b.finish(at_s(seconds), false, "the planned duration elapsed", at_s(seconds + 1));
}

const criterion& crit(const report& r, std::string_view key) {
    for (const auto& c : r.criteria) {
        if (c.key == key) {
            return c;
        }
    }
    ADD_FAILURE() << "no criterion " << key;
    static const criterion none;
    return none;
}

const trigger& trig(const report& r, std::string_view key) {
    for (const auto& g : r.triggers) {
        if (g.key == key) {
            return g;
        }
    }
    ADD_FAILURE() << "no trigger " << key;
    static const trigger none;
    return none;
}

TEST(ReportTest, FourQuietHoursMeetEveryCriterion) {
    const auto r = quiet_run(4 * 3600, 300, options(4h, {}));
    ASSERT_TRUE(r.measured);
    EXPECT_EQ(r.event(event_metric::handler_timeouts).count, 0U);
    EXPECT_DOUBLE_EQ(r.observed_hours, 4.0);
    // 0 events in 4 h: one-sided upper bound 2.996 / 4 = 0.75/h < 1/h.
    EXPECT_EQ(crit(r, "handler_timeouts_rate").outcome, verdict::met);
    EXPECT_EQ(crit(r, "network_errors_rate").outcome, verdict::met);
    EXPECT_EQ(crit(r, "throughput").outcome, verdict::met);
    EXPECT_EQ(r.throughput.per_minute.size(), 240U);
    EXPECT_DOUBLE_EQ(*r.throughput.median, 45'000.0);
    EXPECT_EQ(r.exit, report_exit::all_met);
    EXPECT_NE(r.verdict.find("PASSED"), std::string::npos);
    for (const auto& g : r.triggers) {
        EXPECT_FALSE(g.fired) << g.key;
    }
}

TEST(ReportTest, ZeroEventsInTwentyFiveMinutesAreNotYetDemonstrable) {
    // The old report's claim: "0 per hour, target < 1/hour: achieved" after 25 minutes.
    const auto r = quiet_run(25 * 60, 5, options(25min, {}));
    const auto& ht = r.event(event_metric::handler_timeouts);
    ASSERT_TRUE(ht.rate);
    EXPECT_EQ(ht.count, 0U);
    EXPECT_NEAR(ht.rate->upper, 3.689 / (25.0 / 60), 0.01); // two-sided 95 %: 8.85/h
    const auto& c = crit(r, "handler_timeouts_rate");
    EXPECT_EQ(c.outcome, verdict::not_yet_demonstrable);
    ASSERT_TRUE(c.hours_needed);
    EXPECT_NEAR(*c.hours_needed, 2.9957, 0.001); // -ln(0.05) / 1 per hour
    EXPECT_EQ(r.exit, report_exit::not_met);
    EXPECT_NE(r.verdict.find("Not yet demonstrable"), std::string::npos);
    EXPECT_NE(r.verdict.find("No rollback trigger fired"), std::string::npos);
}

TEST(ReportTest, ProvenHandlerTimeoutRateFiresTheRollbackTrigger) {
    report_builder b(options(30min, {}), at_s(0));
    gw g;
    for (std::int64_t s = 0; s <= 1800; s += 60) {
        g.handler_timeouts = static_cast<double>(s / 60); // 1 per minute: 60/h
        g.messages = 750.0 * static_cast<double>(s);
        b.feed(at_s(s), scrape_of(g));
    }
    const auto r = b.finish(at_s(1800), false, "done", at_s(1801));
    EXPECT_EQ(r.event(event_metric::handler_timeouts).count, 30U);
    EXPECT_TRUE(trig(r, "handler_timeouts_rate").fired);
    EXPECT_EQ(crit(r, "handler_timeouts_rate").outcome, verdict::not_met);
    EXPECT_EQ(r.exit, report_exit::rollback);
    EXPECT_NE(r.verdict.find("ROLL BACK"), std::string::npos);
}

TEST(ReportTest, EveryOutcomeHasItsOwnExitCode) {
    // The documented contract of `mdgate report` (docs/report.md): pipelines gate on these.
    EXPECT_EQ(static_cast<int>(report_exit::all_met), 0);
    EXPECT_EQ(static_cast<int>(report_exit::not_met), 1);
    EXPECT_EQ(static_cast<int>(report_exit::usage), 2);
    EXPECT_EQ(static_cast<int>(report_exit::not_measured), 3);
    EXPECT_EQ(static_cast<int>(report_exit::rollback), 4);
}

TEST(ReportTest, OneEarlyEventDoesNotFireTheTrigger) {
    // 1 event in 5 minutes is 12/h observed, but the lower bound (0.6/h) is not above 10/h.
    report_builder b(options(5min, {}), at_s(0));
    gw g;
    for (std::int64_t s = 0; s <= 300; s += 5) {
        g.handler_timeouts = s >= 30 ? 1 : 0;
        g.messages = 750.0 * static_cast<double>(s);
        b.feed(at_s(s), scrape_of(g));
    }
    const auto r = b.finish(at_s(300), false, "done", at_s(301));
    const auto& t = trig(r, "handler_timeouts_rate");
    EXPECT_FALSE(t.fired);
    EXPECT_NE(t.note.find("not significantly"), std::string::npos);
    EXPECT_EQ(r.exit, report_exit::not_met);
}

TEST(ReportTest, RestartIsDetectedAndCountersAreSummedAcrossIt) {
    report_builder b(options(10min, {}), at_s(0));
    gw g;
    g.handler_timeouts = 5;
    g.error_logs = 2;
    b.feed(at_s(0), scrape_of(g));
    g.handler_timeouts = 8; // +3
    g.messages = 1000;
    b.feed(at_s(60), scrape_of(g));
    // Restarted: a new start time, counters from zero and already counting.
    g.start = t0_s + 100;
    g.handler_timeouts = 2; // +2
    g.error_logs = 1;       // +1
    g.messages = 400;
    b.feed(at_s(120), scrape_of(g));
    g.handler_timeouts = 4; // +2
    g.messages = 1400;
    b.feed(at_s(180), scrape_of(g));
    const auto r = b.finish(at_s(180), false, "done", at_s(181));
    EXPECT_EQ(r.restarts, 1U);
    EXPECT_EQ(r.event(event_metric::handler_timeouts).count, 7U);
    EXPECT_EQ(r.event(event_metric::error_logs).count, 1U);
    EXPECT_DOUBLE_EQ(r.throughput.total_messages, 2400.0);
    EXPECT_TRUE(trig(r, "restart_or_crash").fired);
    EXPECT_EQ(crit(r, "restarts").outcome, verdict::not_met);
    EXPECT_EQ(r.exit, report_exit::rollback);
    ASSERT_TRUE(r.gateway_started_at);
    EXPECT_EQ(*r.gateway_started_at, at_s(100)); // the running process's start
}

TEST(ReportTest, RestartWithoutStartTimeIsSeenAsACounterDecrease) {
    report_builder b(options(10min, {}), at_s(0));
    std::string error;
    auto feed = [&](std::int64_t s, int ht) {
        auto text = scrape_of(gw{});
        for (auto& smp : text) {
            if (smp.name == "mdgate_handler_timeouts_total") {
                smp.value = ht;
            }
        }
        std::erase_if(text,
                      [](const sample& smp) { return smp.name == "process_start_time_seconds"; });
        b.feed(at_s(s), text);
    };
    feed(0, 10);
    feed(60, 12);
    feed(120, 1);
    const auto r = b.finish(at_s(120), false, "done", at_s(121));
    EXPECT_EQ(r.restarts, 1U);
    EXPECT_EQ(r.event(event_metric::handler_timeouts).count, 3U);
}

TEST(ReportTest, CutShortWindowSaysSoAndLaterChecksAreNotReached) {
    report_builder b(options(30min, {15min, 20min, 25min, 30min}), at_s(0));
    gw g;
    for (std::int64_t s = 0; s <= 1500; s += 5) {
        g.messages = 750.0 * static_cast<double>(s);
        g.handler_timeouts = s >= 1000 ? 1 : 0;
        b.feed(at_s(s), scrape_of(g));
    }
    const auto r = b.finish(at_s(1503), true, "stopped early by SIGINT (Ctrl-C)", at_s(1504));
    EXPECT_TRUE(r.cut_short);
    EXPECT_DOUBLE_EQ(r.window_seconds(), 1503.0); // never called "30 minutes"
    EXPECT_EQ(r.planned_duration, 1800s);
    ASSERT_EQ(r.checks.size(), 4U);
    EXPECT_TRUE(r.checks[0].reached);
    EXPECT_EQ(r.checks[0].at, at_s(900));
    // Figures at that moment, not at the end: the timeout came at 1000 s.
    EXPECT_EQ(r.checks[0].counts[0], 0U);
    EXPECT_EQ(r.checks[1].counts[0], 1U);
    ASSERT_TRUE(r.checks[0].last_minute_messages);
    EXPECT_DOUBLE_EQ(*r.checks[0].last_minute_messages, 45'000.0);
    EXPECT_TRUE(r.checks[2].reached);
    EXPECT_FALSE(r.checks[3].reached);
    EXPECT_NE(r.verdict.find("cut short"), std::string::npos);
    const auto md = render_markdown(r);
    EXPECT_NE(md.find("**cut short**"), std::string::npos);
    EXPECT_NE(md.find("### Check at 30 min: not reached"), std::string::npos);
    EXPECT_NE(md.find("25 min 3 s"), std::string::npos);
}

TEST(ReportTest, UnreachableGatewayCannotBeMeasured) {
    report_builder b(options(1min, {}), at_s(0));
    b.feed_failure(at_s(0), "GET http://127.0.0.1:1/metrics: connect: Connection refused");
    b.feed_failure(at_s(5), "GET http://127.0.0.1:1/metrics: connect: Connection refused");
    const auto r = b.finish(at_s(5), false, "done", at_s(6));
    EXPECT_FALSE(r.measured);
    EXPECT_EQ(r.exit, report_exit::not_measured);
    EXPECT_NE(r.verdict.find("COULD NOT MEASURE"), std::string::npos);
    EXPECT_NE(r.verdict.find("Connection refused"), std::string::npos);
    EXPECT_FALSE(trig(r, "restart_or_crash").fired); // never reached is not a crash
}

TEST(ReportTest, MissingSeriesCannotBeMeasured) {
    report_builder b(options(1min, {}), at_s(0));
    gw g;
    g.with_callback_series = false;
    b.feed(at_s(0), scrape_of(g));
    b.feed(at_s(60), scrape_of(g));
    const auto r = b.finish(at_s(60), false, "done", at_s(61));
    EXPECT_FALSE(r.measured);
    EXPECT_EQ(r.exit, report_exit::not_measured);
    ASSERT_EQ(r.measure_problems.size(), 1U);
    EXPECT_NE(r.measure_problems[0].find("mdgate_callback_timeouts_total"), std::string::npos);
}

TEST(ReportTest, GatewayGoneAtTheEndIsACrash) {
    report_builder b(options(2min, {}), at_s(0));
    gw g;
    b.feed(at_s(0), scrape_of(g));
    b.feed(at_s(60), scrape_of(g));
    b.feed_failure(at_s(90), "connect: Connection refused");
    b.feed_failure(at_s(120), "connect: Connection refused");
    const auto r = b.finish(at_s(120), false, "done", at_s(121));
    EXPECT_TRUE(r.unreachable_at_end);
    EXPECT_EQ(r.unreachable_since, at_s(90));
    EXPECT_TRUE(trig(r, "restart_or_crash").fired);
    EXPECT_EQ(r.exit, report_exit::rollback);
    EXPECT_EQ(r.scrapes_failed, 2U);
}

TEST(ReportTest, TransientScrapeFailureIsNotACrash) {
    report_builder b(options(2min, {}), at_s(0));
    gw g;
    b.feed(at_s(0), scrape_of(g));
    b.feed_failure(at_s(60), "read: timeout");
    b.feed(at_s(120), scrape_of(g));
    const auto r = b.finish(at_s(120), false, "done", at_s(121));
    EXPECT_FALSE(r.unreachable_at_end);
    EXPECT_FALSE(trig(r, "restart_or_crash").fired);
}

TEST(ReportTest, PerMinuteSeriesSumsLabelSeriesAndCountsNewOnesFromZero) {
    report_builder b(options(3min, {}), at_s(0));
    gw g;
    for (std::int64_t s = 0; s <= 180; s += 10) {
        g.messages = 10.0 * static_cast<double>(s); // 600/min
        if (s >= 70) {
            g.messages_trades = 2.0 * static_cast<double>(s - 60); // appears at 70 s with 20
        }
        b.feed(at_s(s), scrape_of(g));
    }
    const auto r = b.finish(at_s(180), false, "done", at_s(181));
    const auto& pm = r.throughput.per_minute;
    ASSERT_EQ(pm.size(), 3U);
    EXPECT_DOUBLE_EQ(pm[0].messages, 600.0);
    // Minute 2 (60-120 s): 600 + the trades series from 0 at 60 s to 120 at 120 s.
    EXPECT_DOUBLE_EQ(pm[1].messages, 720.0);
    EXPECT_DOUBLE_EQ(pm[2].messages, 720.0);
    EXPECT_DOUBLE_EQ(*r.throughput.min, 600.0);
    EXPECT_DOUBLE_EQ(*r.throughput.median, 720.0);
    EXPECT_DOUBLE_EQ(*r.throughput.max, 720.0);
    EXPECT_DOUBLE_EQ(r.throughput.total_messages, 1800.0 + 240.0);
}

TEST(ReportTest, ConflationIsNotADrop) {
    report_builder b(options(2min, {}), at_s(0));
    gw g;
    b.feed(at_s(0), scrape_of(g));
    g.conflated = 500;
    g.messages = 90000;
    b.feed(at_s(120), scrape_of(g));
    auto r = b.finish(at_s(120), false, "done", at_s(121));
    EXPECT_EQ(r.event(event_metric::queue_conflated).count, 500U);
    EXPECT_EQ(r.event(event_metric::queue_drops).count, 0U);
    EXPECT_EQ(crit(r, "queue_drops").outcome, verdict::met);

    report_builder b2(options(2min, {}), at_s(0));
    g = gw{};
    b2.feed(at_s(0), scrape_of(g));
    g.drops_full = 3;
    b2.feed(at_s(120), scrape_of(g));
    r = b2.finish(at_s(120), false, "done", at_s(121));
    EXPECT_EQ(r.event(event_metric::queue_drops).count, 3U);
    EXPECT_EQ(crit(r, "queue_drops").outcome, verdict::not_met);
}

TEST(ReportTest, RssAboveTheLimitFires) {
    auto o = options(2min, {});
    o.triggers.rss_limit_bytes = 200.0 * 1024 * 1024;
    report_builder b(o, at_s(0));
    gw g;
    b.feed(at_s(0), scrape_of(g));
    g.rss = 300.0 * 1024 * 1024;
    b.feed(at_s(60), scrape_of(g));
    g.rss = 150.0 * 1024 * 1024;
    b.feed(at_s(120), scrape_of(g));
    const auto r = b.finish(at_s(120), false, "done", at_s(121));
    EXPECT_DOUBLE_EQ(r.memory.peak_bytes, 300.0 * 1024 * 1024);
    EXPECT_DOUBLE_EQ(r.memory.now_bytes, 150.0 * 1024 * 1024);
    ASSERT_TRUE(r.memory.growth_bytes_per_hour);
    EXPECT_NEAR(*r.memory.growth_bytes_per_hour, 50.0 * 1024 * 1024 * 30, 1.0); // 50 MiB / 2 min
    EXPECT_TRUE(trig(r, "rss_limit").fired);
    EXPECT_EQ(r.exit, report_exit::rollback);
}

TEST(ReportTest, BaselineComparisonIsExact) {
    auto o = options(4h, {});
    baseline base;
    base.source = "old service";
    base.hours = 1.0;
    base.handler_timeouts = 25;
    base.throughput = {{at_s(0), 41502, 60}, {at_s(60), 40000, 60}, {at_s(120), 45000, 60}};
    o.base = base;
    // 0 events in 30 min against 25 in 1 h: p(decrease) = (1/(1 + 0.5))^25 = (2/3)^25.
    const auto r = quiet_run(1800, 60, o);
    const auto& e = r.event(event_metric::handler_timeouts);
    ASSERT_TRUE(e.vs_baseline);
    EXPECT_NEAR(e.vs_baseline->p_value_decrease, std::pow(2.0 / 3.0, 25), 1e-12);
    ASSERT_TRUE(e.baseline_rate);
    EXPECT_DOUBLE_EQ(e.baseline_rate->rate, 25.0);
    EXPECT_DOUBLE_EQ(*r.throughput.baseline_median, 41502.0);
    const auto md = render_markdown(r);
    EXPECT_NE(md.find("lower than the baseline (p < 0.0001 one-sided, significant"),
              std::string::npos);
}

TEST(ReportTest, OutOfOrderScrapesAreIgnored) {
    report_builder b(options(2min, {}), at_s(0));
    gw g;
    b.feed(at_s(0), scrape_of(g));
    g.handler_timeouts = 2;
    b.feed(at_s(60), scrape_of(g));
    g.handler_timeouts = 50;
    b.feed(at_s(30), scrape_of(g)); // earlier than the previous one
    const auto r = b.finish(at_s(60), false, "done", at_s(61));
    EXPECT_EQ(r.event(event_metric::handler_timeouts).count, 2U);
    EXPECT_EQ(r.scrapes_ok, 2U);
}

TEST(ReportTest, ParsesByteSizes) {
    EXPECT_EQ(parse_byte_size("1GiB"), 1073741824.0);
    EXPECT_EQ(parse_byte_size("512MiB"), 536870912.0);
    EXPECT_EQ(parse_byte_size("2GB"), 2e9);
    EXPECT_EQ(parse_byte_size("1024"), 1024.0);
    EXPECT_EQ(parse_byte_size("1.5KiB"), 1536.0);
    EXPECT_FALSE(parse_byte_size(""));
    EXPECT_FALSE(parse_byte_size("-1GiB"));
    EXPECT_FALSE(parse_byte_size("1 GiB"));
    EXPECT_FALSE(parse_byte_size("1gib"));
    EXPECT_FALSE(parse_byte_size("1e300"));
    EXPECT_FALSE(parse_byte_size("nanGiB"));
}

TEST(ReportTest, ParsesTimePoints) {
    const unix_nanos now = at_s(0);
    EXPECT_EQ(parse_time_point("now", now), now);
    EXPECT_EQ(parse_time_point("now-30m", now), at_s(-1800));
    EXPECT_EQ(parse_time_point("now-2h", now), at_s(-7200));
    EXPECT_EQ(parse_time_point("1761750000", now), at_s(0));
    EXPECT_EQ(parse_time_point("2025-10-29T15:00:23Z", now), unix_nanos{1'761'750'023 * ns_per_s});
    EXPECT_EQ(parse_time_point("2025-10-29T15:00:23.5Z", now),
              unix_nanos{1'761'750'023 * ns_per_s + 500'000'000});
    EXPECT_FALSE(parse_time_point("2025-02-30T00:00:00Z", now));
    EXPECT_FALSE(parse_time_point("2025-10-29T15:00:23+01:00", now));
    EXPECT_FALSE(parse_time_point("yesterday", now));
    EXPECT_FALSE(parse_time_point("now-", now));
    EXPECT_FALSE(parse_time_point("now-5y", now));
    EXPECT_FALSE(parse_time_point("", now));
    EXPECT_EQ(format_utc(at_s(0)), "2025-10-29T15:00:00Z");
}

} // namespace
} // namespace mdg::monitor
