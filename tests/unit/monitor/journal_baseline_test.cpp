#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "monitor/journal_baseline.hpp"

namespace mdg::monitor {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

std::string journal_path(std::string_view name) {
    return std::string(MDG_TEST_DATA_DIR) + "/journal/" + std::string(name);
}

baseline scan_fixture(std::string_view name) {
    std::string error;
    auto b = scan_journal_file(journal_path(name), {"test fixture", std::nullopt}, error);
    EXPECT_TRUE(b) << error;
    return b ? *b : baseline{};
}

// Civil time read as UTC, in unix nanoseconds.
unix_nanos civil(int y, unsigned m, unsigned d, int hh, int mm, int ss, std::int64_t ns = 0) {
    const auto days =
        std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}
            .time_since_epoch()
            .count();
    return unix_nanos{(std::int64_t{days} * 86'400 + hh * 3600 + mm * 60 + ss) * ns_per_s + ns};
}

std::uint64_t total_messages(const baseline& b) {
    return std::accumulate(
        b.throughput.begin(), b.throughput.end(), std::uint64_t{0},
        [](std::uint64_t acc, const throughput_sample& s) { return acc + s.messages; });
}

TEST(JournalBaselineTest, OldServiceFixtureCountsEventsNotLines) {
    // tests/data/journal/old_service.txt: one hour of `journalctl -u virtuoso-trading` in the
    // old service's format: 23 handler timeouts, each written as the message, a
    // `[HANDLER_TIMEOUT] Full traceback:` record and 7 stack lines; 7 probe failures; 60
    // throughput lines; noise; one journalctl header and one cut-off line.
    const baseline b = scan_fixture("old_service.txt");
    EXPECT_EQ(b.source, "test fixture");
    EXPECT_EQ(b.handler_timeouts, 23U);
    EXPECT_EQ(b.handler_timeout_lines, 46U); // what `grep -c HANDLER_TIMEOUT` said
    EXPECT_EQ(b.network_validation_failures, 7U);
    EXPECT_EQ(b.callback_timeouts, 0U);
    EXPECT_EQ(b.error_lines, 59U); // 46 handler-timeout records + 7 probe + 5 reconnect + 1
    EXPECT_EQ(b.error_events, 36U);
    EXPECT_EQ(b.lines_total, 440U);
    EXPECT_EQ(b.lines_without_record, 162U); // 23 x 7 stack lines + 1 print()
    EXPECT_EQ(b.lines_meta, 1U);
    EXPECT_EQ(b.lines_unparseable, 1U);

    ASSERT_EQ(b.throughput.size(), 60U);
    EXPECT_EQ(b.throughput.front().at, civil(2025, 10, 29, 7, 0, 41));
    EXPECT_EQ(b.throughput.front().messages, 41502U);
    EXPECT_EQ(b.throughput.front().interval_seconds, 60U);
    EXPECT_EQ(b.throughput.back().messages, 40353U);
    EXPECT_EQ(total_messages(b), 2781683U);

    // The year comes from the records; the span from the journal prefixes (whole seconds).
    EXPECT_EQ(b.first_seen, civil(2025, 10, 29, 7, 0, 3));
    EXPECT_EQ(b.last_seen, civil(2025, 10, 29, 8, 0, 2));
    EXPECT_DOUBLE_EQ(b.hours, 3599.0 / 3600.0);
    EXPECT_DOUBLE_EQ(b.per_hour(b.handler_timeouts), 23.0 * 3600.0 / 3599.0);
}

TEST(JournalBaselineTest, MdgateFixtureAcrossNewYearAndARestart) {
    // tests/data/journal/mdgate.txt: mdgate's text log format on stderr, under systemd, from
    // 2026-12-31 23:30 to 2027-01-01 00:30, with a SIGKILL and a systemd restart in between.
    const baseline b = scan_fixture("mdgate.txt");
    EXPECT_EQ(b.handler_timeouts, 2U); // one line per event in mdgate
    EXPECT_EQ(b.handler_timeout_lines, 2U);
    EXPECT_EQ(b.network_validation_failures, 1U);
    EXPECT_EQ(b.callback_timeouts, 2U);
    EXPECT_EQ(b.error_lines, 4U);
    EXPECT_EQ(b.error_events, 4U);
    EXPECT_EQ(b.lines_total, 104U);
    EXPECT_EQ(b.lines_without_record, 4U); // systemd's own lines
    EXPECT_EQ(b.lines_meta, 0U);
    EXPECT_EQ(b.lines_unparseable, 0U);

    ASSERT_EQ(b.throughput.size(), 60U);
    EXPECT_EQ(total_messages(b), 2786471U);
    // mdgate reports a silent minute as 0 instead of printing nothing.
    EXPECT_EQ(std::count_if(b.throughput.begin(), b.throughput.end(),
                            [](const throughput_sample& s) { return s.messages == 0; }),
              1);
    EXPECT_EQ(b.throughput.back().at, civil(2027, 1, 1, 0, 29, 30));

    EXPECT_EQ(b.first_seen, civil(2026, 12, 31, 23, 30, 2));
    EXPECT_EQ(b.last_seen, civil(2027, 1, 1, 0, 30, 1));
    EXPECT_DOUBLE_EQ(b.hours, 3599.0 / 3600.0);
}

TEST(JournalBaselineTest, ReadsTheOtherMdgateLayoutsWithoutAJournalPrefix) {
    const baseline b =
        scan_journal("{\"ts\":\"2026-11-29T06:00:00.123Z\",\"level\":\"error\",\"msg\":\"["
                     "HANDLER_TIMEOUT] WebSocket message handler timeout for conn_1: no frame "
                     "for 20.1 s\"}\n"
                     "[2026-11-29 06:30:00.500] [mdgate] [warning] Message callback timeout for "
                     "BTCUSDT on ticker\n"
                     "2026-11-29T07:00:00.250Z critical Network connectivity validation failed: "
                     "timeout\n"
                     "2026-11-29T07:00:00+0000 info started: ok\n",
                     {});
    EXPECT_EQ(b.handler_timeouts, 1U);
    EXPECT_EQ(b.callback_timeouts, 1U);
    EXPECT_EQ(b.network_validation_failures, 1U);
    EXPECT_EQ(b.error_lines, 2U);
    EXPECT_EQ(b.lines_unparseable, 0U);
    // "...+0000 info started: ok" looks like a short-iso journal prefix ("host ident: msg"),
    // but the whole line is a record.
    EXPECT_EQ(b.lines_without_record, 0U);
    EXPECT_EQ(b.first_seen, civil(2026, 11, 29, 6, 0, 0, 123'000'000));
    EXPECT_EQ(b.last_seen, civil(2026, 11, 29, 7, 0, 0, 250'000'000));
    EXPECT_DOUBLE_EQ(b.hours, (3600.0 + 0.127) / 3600.0);
}

TEST(JournalBaselineTest, MdgateLoggingToJournaldNativelyHasBareMessages) {
    // With log target journald the journal holds only the message: markers and throughput
    // count, the level is not visible (not in error_lines).
    const baseline b = scan_journal(
        "Nov 29 06:00:00 gw1 mdgate[42]: [HANDLER_TIMEOUT] WebSocket message handler timeout "
        "for bybit-linear-0: no frame for 20.0 s\n"
        "Nov 29 06:00:30 gw1 mdgate[42]: WebSocket messages received: 48000 in the last 60 "
        "seconds\n"
        "Nov 29 06:01:30 gw1 mdgate[42]: WebSocket messages received: 0 in the last 60 seconds\n",
        {"", 2026});
    EXPECT_EQ(b.handler_timeouts, 1U);
    EXPECT_EQ(b.error_lines, 0U);
    EXPECT_EQ(b.lines_without_record, 3U);
    ASSERT_EQ(b.throughput.size(), 2U);
    EXPECT_EQ(b.throughput[1].messages, 0U);
    EXPECT_EQ(b.throughput[1].at, civil(2026, 11, 29, 6, 1, 30));
    EXPECT_DOUBLE_EQ(b.hours, 90.0 / 3600.0);
}

TEST(JournalBaselineTest, YearlessLinesUseTheAssumedYearAndRollOver) {
    // No dated record to anchor the journal's year-less prefixes: the assumed year applies,
    // and the month going back (Dec -> Jan) moves to the next year.
    const baseline b = scan_journal("Dec 31 23:59:30 host app[1]: plain output\n"
                                    "Jan  1 00:00:10 host app[1]: more output\n"
                                    "Jan 01 00:00:20.250 host app[1]: and more\n",
                                    {"", 2030});
    EXPECT_EQ(b.lines_without_record, 3U);
    EXPECT_EQ(b.first_seen, civil(2030, 12, 31, 23, 59, 30));
    EXPECT_EQ(b.last_seen, civil(2031, 1, 1, 0, 0, 20, 250'000'000));
    EXPECT_DOUBLE_EQ(b.hours, 50.25 / 3600.0);
}

TEST(JournalBaselineTest, ARecordAnchorsTheYearEvenWhenItComesLate) {
    // The first lines carry no record; the dated record after the new year fixes the base.
    const baseline b = scan_journal(
        "Dec 31 23:59:59 host virtuoso[7]: Loaded 15 symbols\n"
        "Jan 01 00:00:01 host virtuoso[7]: 2026-01-01 00:00:01,500 - x - INFO - WebSocket "
        "messages received: 45,012 in the last 60 seconds\n",
        {"", 1999});
    EXPECT_EQ(b.first_seen, civil(2025, 12, 31, 23, 59, 59));
    EXPECT_EQ(b.last_seen, civil(2026, 1, 1, 0, 0, 1));
    ASSERT_EQ(b.throughput.size(), 1U);
    EXPECT_EQ(b.throughput[0].messages, 45012U); // thousands separators are accepted
    EXPECT_EQ(b.throughput[0].at, civil(2026, 1, 1, 0, 0, 1));
}

TEST(JournalBaselineTest, UtcRecordsBehindALocalJournalPickTheNearestYear) {
    // Journal in UTC+2 already in the new year, record in UTC still in the old one.
    const baseline b = scan_journal("Jan 01 01:30:00 host mdgate[9]: 2026-12-31T23:30:00.000000Z "
                                    "info  WebSocket messages received: 5 in the last 60 "
                                    "seconds\n",
                                    {});
    EXPECT_EQ(b.first_seen, civil(2027, 1, 1, 1, 30, 0));
}

TEST(JournalBaselineTest, ShortIsoPrefixCrlfAndBrokenLines) {
    const baseline b = scan_journal(
        "2025-10-29T07:13:58+0000 vmi2345 virtuoso[812345]: 2025-10-29 07:13:58,001 - w - "
        "ERROR - [HANDLER_TIMEOUT] WebSocket message handler timeout for conn_6:\r\n"
        "2025-10-29T07:13:58+00:00 vmi2345 virtuoso[812345]: 2025-10-29 07:13:58,003 - w - "
        "ERROR - [HANDLER_TIMEOUT] Full traceback: Traceback (most recent call last):\r\n"
        "2025-10-29T07:14:58+0000 vmi2345 virtuoso[812345]: 2025-10-29 07:14:58,003 - w - "
        "ERROR -\r\n"
        "\r\n"
        "-- No entries --\r\n"
        "Oct 29 25:00:00 host app[1]: bad hour\r\n"
        "Foo 29 07:00:00 host app[1]: bad month\r\n"
        "2025-13-01 00:00:00,000 - w - ERROR - bad month\r\n"
        "2025-10-29 07:00:00,000 - w - LOUD - unknown level\r\n"
        "WebSocket messages received: 12 in the last 60 seconds\r\n"
        "\x01\x02\xff binary junk\r\n"
        "{\"ts\":\"2026-11-29T06:00:00.123Z\",\"level\":\"loud\",\"msg\":\"x\"}\r\n"
        "{\"ts\":\"2026-11-29T06:00:00.123Z\",\"level\":\"info\",\"msg\":\"cut\r\n",
        {});
    EXPECT_EQ(b.handler_timeouts, 1U);
    EXPECT_EQ(b.handler_timeout_lines, 2U);
    EXPECT_EQ(b.error_lines, 3U); // the empty-message record counts
    EXPECT_EQ(b.error_events, 2U);
    EXPECT_EQ(b.lines_total, 12U); // the blank line is not counted
    EXPECT_EQ(b.lines_meta, 1U);
    EXPECT_EQ(b.lines_unparseable, 8U);
    EXPECT_TRUE(b.throughput.empty()); // an undated line yields no sample
    EXPECT_DOUBLE_EQ(b.hours, 60.0 / 3600.0);
}

TEST(JournalBaselineTest, ThroughputLinesMustBeWellFormed) {
    const baseline b = scan_journal(
        "2025-10-29 07:00:00,000 - w - INFO - WebSocket messages received:  in the last 60 "
        "seconds\n"
        "2025-10-29 07:01:00,000 - w - INFO - WebSocket messages received: 99999999999999999999 "
        "in the last 60 seconds\n"
        "2025-10-29 07:02:00,000 - w - INFO - WebSocket messages received: 7 in the last x "
        "seconds\n"
        "2025-10-29 07:03:00,000 - w - INFO - WebSocket messages received: 7 in the last 30 "
        "seconds\n",
        {});
    ASSERT_EQ(b.throughput.size(), 1U);
    EXPECT_EQ(b.throughput[0].messages, 7U);
    EXPECT_EQ(b.throughput[0].interval_seconds, 30U);
}

TEST(JournalBaselineTest, EmptyInputAndAMissingFile) {
    const baseline empty = scan_journal("", {"nothing", std::nullopt});
    EXPECT_EQ(empty.lines_total, 0U);
    EXPECT_FALSE(empty.first_seen);
    EXPECT_EQ(empty.hours, 0.0);
    EXPECT_TRUE(std::isnan(empty.per_hour(0)));

    std::string error;
    const auto missing = scan_journal_file(journal_path("does_not_exist.txt"), {}, error);
    ASSERT_FALSE(missing);
    EXPECT_NE(error.find("cannot open"), std::string::npos);
    EXPECT_NE(error.find("does_not_exist.txt"), std::string::npos);
}

TEST(JournalBaselineTest, ScannerCanBeFedIncrementally) {
    journal_scanner s{{"incremental", std::nullopt}};
    s.feed_line("2025-10-29 07:00:00,000 - w - ERROR - [HANDLER_TIMEOUT] x");
    EXPECT_EQ(s.finish().handler_timeouts, 1U);
    s.feed_line("2025-10-29 08:00:00,000 - w - ERROR - [HANDLER_TIMEOUT] y");
    const baseline b = s.finish();
    EXPECT_EQ(b.handler_timeouts, 2U);
    EXPECT_DOUBLE_EQ(b.hours, 1.0);
    EXPECT_EQ(b.source, "incremental");
}

// ---------------------------------------------------------------------------------------------
// TOML

TEST(BaselineTomlTest, RoundTripsTheFixture) {
    const baseline b = scan_fixture("old_service.txt");
    const std::string text = write_baseline_toml(b);
    EXPECT_NE(text.find("handler_timeouts = 23"), std::string::npos) << text;
    EXPECT_NE(text.find("[rates_per_hour]"), std::string::npos);
    std::string error;
    const auto back = read_baseline_toml(text, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->source, b.source);
    EXPECT_EQ(back->first_seen, b.first_seen);
    EXPECT_EQ(back->last_seen, b.last_seen);
    EXPECT_EQ(back->hours, b.hours);
    EXPECT_EQ(back->handler_timeouts, 23U);
    EXPECT_EQ(back->handler_timeout_lines, 46U);
    EXPECT_EQ(back->network_validation_failures, 7U);
    EXPECT_EQ(back->callback_timeouts, 0U);
    EXPECT_EQ(back->error_lines, 59U);
    EXPECT_EQ(back->error_events, 36U);
    EXPECT_EQ(back->lines_total, b.lines_total);
    EXPECT_EQ(back->lines_without_record, b.lines_without_record);
    EXPECT_EQ(back->lines_meta, b.lines_meta);
    EXPECT_EQ(back->lines_unparseable, b.lines_unparseable);
    EXPECT_EQ(back->throughput, b.throughput);
}

TEST(BaselineTomlTest, SubSecondTimesAndNoRatesWithoutHours) {
    baseline b;
    b.source = "hand \"quoted\"";
    b.first_seen = civil(2026, 11, 29, 6, 0, 0, 123'456'789);
    b.handler_timeouts = 3;
    const std::string text = write_baseline_toml(b);
    EXPECT_EQ(text.find("[rates_per_hour]"), std::string::npos);
    std::string error;
    const auto back = read_baseline_toml(text, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->source, b.source);
    EXPECT_EQ(back->first_seen, b.first_seen);
    EXPECT_FALSE(back->last_seen);
    EXPECT_EQ(back->handler_timeouts, 3U);
}

constexpr std::string_view valid_counts = "[counts]\n"
                                          "handler_timeouts = 24\n"
                                          "handler_timeout_lines = 48\n"
                                          "network_validation_failures = 12\n"
                                          "callback_timeouts = 0\n"
                                          "error_lines = 60\n"
                                          "error_events = 36\n";

std::string read_error(const std::string& text) {
    std::string error;
    const auto r = read_baseline_toml(text, error);
    EXPECT_FALSE(r) << text;
    if (!r) {
        EXPECT_EQ(r.error(), make_error_code(errc::invalid_argument));
    }
    EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
    return error;
}

TEST(BaselineTomlTest, AcceptsAHandWrittenBaseline) {
    std::string error;
    const auto b = read_baseline_toml("source = \"VPS_LOG_ANALYSIS_12H, recounted\"\n"
                                      "hours = 12\n"
                                      "first_seen = 2025-10-29T02:00:00Z\n" +
                                          std::string(valid_counts) +
                                          "[rates_per_hour]\nhandler_timeouts = 2.0\n",
                                      error);
    ASSERT_TRUE(b) << error;
    EXPECT_EQ(b->hours, 12.0);
    EXPECT_EQ(b->per_hour(b->handler_timeouts), 2.0);
    EXPECT_EQ(b->first_seen, civil(2025, 10, 29, 2, 0, 0));
    EXPECT_EQ(b->lines_total, 0U);
}

TEST(BaselineTomlTest, ErrorsNameTheKey) {
    const std::string head = "source = \"s\"\nhours = 12\n";
    EXPECT_EQ(read_error("hours = 1\n" + std::string(valid_counts)), "source: missing");
    EXPECT_EQ(read_error("source = 1\nhours = 1\n" + std::string(valid_counts)),
              "source: must be a string");
    EXPECT_EQ(read_error("source = \"s\"\n" + std::string(valid_counts)), "hours: missing");
    EXPECT_EQ(read_error("source = \"s\"\nhours = \"12\"\n" + std::string(valid_counts)),
              "hours: must be a number");
    EXPECT_EQ(read_error("source = \"s\"\nhours = -1.0\n" + std::string(valid_counts)),
              "hours: must not be negative");
    EXPECT_EQ(read_error("source = \"s\"\nhours = nan\n" + std::string(valid_counts)),
              "hours: must be finite");
    EXPECT_EQ(read_error(head), "counts: missing");
    EXPECT_EQ(read_error(head + "counts = 3\n"), "counts: must be a table");
    EXPECT_EQ(read_error(head + "[counts]\nhandler_timeouts = 1\n"),
              "counts.handler_timeout_lines: missing");
    EXPECT_EQ(read_error(head + "[counts]\nhandler_timeouts = 1.5\n"),
              "counts.handler_timeouts: must be an integer");
    EXPECT_EQ(read_error(head + "[counts]\nhandler_timeouts = -1\n"),
              "counts.handler_timeouts: must not be negative");
    EXPECT_EQ(read_error(head + std::string(valid_counts) + "handler_timeuots = 3\n"),
              "counts.handler_timeuots: unknown key");
    EXPECT_EQ(read_error(head + "colour = 1\n" + std::string(valid_counts)), "colour: unknown key");
    EXPECT_EQ(read_error(head + "first_seen = \"yesterday\"\n" + std::string(valid_counts)),
              "first_seen: must be a date-time (e.g. 2025-10-29T07:00:00)");
    EXPECT_EQ(read_error(head +
                         "first_seen = 2025-10-29T08:00:00\n"
                         "last_seen = 2025-10-29T07:00:00\n" +
                         std::string(valid_counts)),
              "last_seen: is before first_seen");
    EXPECT_EQ(read_error(head + std::string(valid_counts) +
                         "[rates_per_hour]\nhandler_timeouts = 25.0\n"),
              "rates_per_hour.handler_timeouts: 25 does not match counts.handler_timeouts / "
              "hours = 2");
    EXPECT_EQ(read_error(head + std::string(valid_counts) + "[rates_per_hour]\nfoo = 1\n"),
              "rates_per_hour.foo: unknown key");
    EXPECT_EQ(read_error(head + std::string(valid_counts) + "[lines]\ntotal = \"many\"\n"),
              "lines.total: must be an integer");
    EXPECT_EQ(read_error(head + std::string(valid_counts) + "[lines]\nextra = 1\n"),
              "lines.extra: unknown key");
    EXPECT_EQ(read_error(head + "throughput = 5\n" + std::string(valid_counts)),
              "throughput: must be an array of tables");
    EXPECT_EQ(read_error(head + std::string(valid_counts) +
                         "[[throughput]]\nmessages = 5\ninterval_seconds = 60\n"),
              "throughput[0].at: missing");
    EXPECT_EQ(read_error(head + std::string(valid_counts) +
                         "[[throughput]]\nat = 2025-10-29T07:00:00\nmessages = 5\n"
                         "interval_seconds = 60\n[[throughput]]\nat = 2025-10-29T07:01:00\n"
                         "messages = -5\ninterval_seconds = 60\n"),
              "throughput[1].messages: must not be negative");
    EXPECT_EQ(read_error(head + std::string(valid_counts) +
                         "[[throughput]]\nat = 2025-10-29T07:00:00\nmessages = 5\n"
                         "interval_seconds = 99999999999\n"),
              "throughput[0].interval_seconds: too large");
}

TEST(BaselineTomlTest, SyntaxErrorsGiveLineAndColumn) {
    const std::string error = read_error("source = \"s\"\nhours = = 12\n");
    EXPECT_EQ(error.rfind("line 2, column ", 0), 0U) << error;
    EXPECT_EQ(read_error("").substr(0, 6), "source");
}

} // namespace
} // namespace mdg::monitor
