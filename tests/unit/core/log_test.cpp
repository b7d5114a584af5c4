#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/log.hpp"

namespace mdg::core {
namespace {

using namespace std::chrono_literals;
using std::chrono::November;
using std::chrono::sys_days;

TEST(LogLimiterTest, OneLinePerKeyPerIntervalWithSuppressedCount) {
    log_limiter limiter{60s};
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    std::uint64_t suppressed = 99;
    EXPECT_TRUE(limiter.allow("json", t0, suppressed));
    EXPECT_EQ(suppressed, 0U);
    EXPECT_FALSE(limiter.allow("json", t0 + 1s, suppressed));
    EXPECT_FALSE(limiter.allow("json", t0 + 59s, suppressed));
    // Another key is independent.
    EXPECT_TRUE(limiter.allow("gap", t0 + 2s, suppressed));
    EXPECT_TRUE(limiter.allow("json", t0 + 60s, suppressed));
    EXPECT_EQ(suppressed, 2U);
    EXPECT_FALSE(limiter.allow("json", t0 + 61s, suppressed));
}

// 2026-11-29 06:00:00.123 UTC.
const auto example_time = std::chrono::system_clock::time_point{
    sys_days{std::chrono::year{2026} / November / 29} + 6h + 123ms};

TEST(LogFormatTest, TextLineHasUtcMillisecondsLevelAndExactMessage) {
    EXPECT_EQ(format_text({example_time, spdlog::level::warn, "msg"}),
              "2026-11-29 06:00:00.123 [warning] msg");
    // The old markers survive byte for byte, emoji included, so the runbook greps still match.
    const std::string marker = "[HANDLER_TIMEOUT] WebSocket message handler timeout for conn_3: "
                               "no frame for 300s \xE2\x9C\x85 50%";
    EXPECT_EQ(format_text({example_time, spdlog::level::err, marker}),
              "2026-11-29 06:00:00.123 [error] " + marker);
    // Sub-millisecond parts are truncated, never rounded into the next second.
    EXPECT_EQ(format_text({example_time + 876us, spdlog::level::info, "x"}),
              "2026-11-29 06:00:00.123 [info] x");
}

TEST(LogFormatTest, TextLineNeverSpansTwoLines) {
    // Network text with a line break must not forge a second marker line for `grep -c`.
    EXPECT_EQ(
        format_text({example_time, spdlog::level::err, "[JSON_ERROR] bad\n[HANDLER_TIMEOUT] x"}),
        "2026-11-29 06:00:00.123 [error] [JSON_ERROR] bad\\n[HANDLER_TIMEOUT] x");
    EXPECT_EQ(printable_line("a\r\nb\tc\x1b[31m\x7f"), "a\\r\\nb\tc\\x1b[31m\\x7f");
    EXPECT_EQ(printable_line(std::string_view{"nul\0end", 7}), "nul\\x00end");
    // Invalid UTF-8 becomes U+FFFD so journalctl shows the line instead of "[blob data]".
    EXPECT_EQ(printable_line("bad \xC3 end"), "bad \xEF\xBF\xBD end");
    EXPECT_EQ(printable_line("back\\slash \"q\""), "back\\slash \"q\"");
}

TEST(LogFormatTest, JsonLineHasIsoTimestampLevelAndMessage) {
    EXPECT_EQ(format_json({example_time, spdlog::level::warn, "msg"}),
              R"({"ts":"2026-11-29T06:00:00.123Z","level":"warning","msg":"msg"})");
    EXPECT_EQ(format_json({example_time, spdlog::level::critical, "say \"hi\"\n"}),
              R"({"ts":"2026-11-29T06:00:00.123Z","level":"critical","msg":"say \"hi\"\n"})");
}

TEST(LogFormatTest, JsonEscapesQuotesBackslashAndControlCharacters) {
    EXPECT_EQ(json_escape(R"(a "quoted" word)"), R"(a \"quoted\" word)");
    EXPECT_EQ(json_escape(R"(C:\path\n)"), R"(C:\\path\\n)");
    EXPECT_EQ(json_escape("line1\nline2\r\tend"), R"(line1\nline2\r\tend)");
    EXPECT_EQ(json_escape("\x01\x1f\x1b"), R"(\u0001\u001f\u001b)");
    EXPECT_EQ(json_escape(std::string_view{"a\0b", 3}), R"(a\u0000b)");
    EXPECT_EQ(json_escape("\x7f/"), "\x7f/"); // DEL and '/' need no escape in JSON
}

TEST(LogFormatTest, JsonPassesValidUtf8AndReplacesInvalidBytes) {
    const std::string valid = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
    EXPECT_EQ(json_escape(valid), valid);
    EXPECT_EQ(json_escape("\xFF"), R"(\ufffd)");
    EXPECT_EQ(json_escape("cut \xE2\x82"), R"(cut \ufffd\ufffd)");             // truncated sequence
    EXPECT_EQ(json_escape("\xC0\x80"), R"(\ufffd\ufffd)");                     // overlong NUL
    EXPECT_EQ(json_escape("\xED\xA0\x80"), R"(\ufffd\ufffd\ufffd)");           // UTF-16 surrogate
    EXPECT_EQ(json_escape("\xF4\x90\x80\x80"), R"(\ufffd\ufffd\ufffd\ufffd)"); // > U+10FFFF
    EXPECT_EQ(json_escape("\x80x"), R"(\ufffdx)"); // stray continuation byte
}

TEST(LogJournaldTest, FieldsCarryMessagePriorityIdentifierAndLevel) {
    const auto fields = journald_fields({example_time, spdlog::level::warn, "hello"}, "mdgate-a");
    EXPECT_EQ(fields,
              (std::vector<std::string>{"MESSAGE=hello", "PRIORITY=4", "SYSLOG_IDENTIFIER=mdgate-a",
                                        "MDGATE_LEVEL=warning"}));
    const auto multi = journald_fields({example_time, spdlog::level::err, "a\nb"}, "mdgate");
    EXPECT_EQ(multi.front(), "MESSAGE=a\\nb");
}

TEST(LogJournaldTest, PriorityFollowsSyslogLevels) {
    const std::array<std::pair<spdlog::level::level_enum, int>, 6> expected{{
        {spdlog::level::critical, 2},
        {spdlog::level::err, 3},
        {spdlog::level::warn, 4},
        {spdlog::level::info, 6},
        {spdlog::level::debug, 7},
        {spdlog::level::trace, 7},
    }};
    for (const auto& [level, priority] : expected) {
        EXPECT_EQ(syslog_priority(level), priority) << level_name(level);
        const auto fields = journald_fields({example_time, level, "m"}, "mdgate");
        EXPECT_EQ(fields.at(1), "PRIORITY=" + std::to_string(priority));
        EXPECT_EQ(fields.at(3), "MDGATE_LEVEL=" + std::string(level_name(level)));
    }
}

TEST(LogOptionsTest, ParsesFormatAndTargetAndRejectsUnknownStrings) {
    EXPECT_EQ(parse_log_format("text").value(), log_format::text);
    EXPECT_EQ(parse_log_format("json").value(), log_format::json);
    EXPECT_EQ(parse_log_target("stderr").value(), log_target::standard_error);
    EXPECT_EQ(parse_log_target("journald").value(), log_target::journald);
    for (const std::string_view bad : {"", "xml", "JSON", "text ", "syslog"}) {
        const auto f = parse_log_format(bad);
        ASSERT_TRUE(f.has_error()) << bad;
        EXPECT_EQ(f.error(), errc::invalid_argument);
    }
    for (const std::string_view bad : {"", "stdout", "Journald", "file"}) {
        const auto t = parse_log_target(bad);
        ASSERT_TRUE(t.has_error()) << bad;
        EXPECT_EQ(t.error(), errc::invalid_argument);
    }
    EXPECT_EQ(to_string(log_format::json), "json");
    EXPECT_EQ(to_string(log_target::standard_error), "stderr");
    EXPECT_EQ(to_string(log_target::journald), "journald");
    // Existing callers build the options from the level alone.
    const log_options opts{spdlog::level::debug};
    EXPECT_EQ(opts.format, log_format::text);
    EXPECT_EQ(opts.target, log_target::standard_error);
    EXPECT_EQ(opts.ident, "mdgate");
}

/// A logger over `make_log_sink` writing to a temporary file the test reads back.
class LogSinkTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_NE(file_.get(), nullptr); }

    std::shared_ptr<spdlog::logger> make_logger(const log_options& opts,
                                                journal_send_fn send = nullptr) {
        auto logger =
            std::make_shared<spdlog::logger>("test", make_log_sink(opts, file_.get(), send));
        logger->set_level(opts.level);
        return logger;
    }

    std::vector<std::string> lines() {
        std::fflush(file_.get());
        std::rewind(file_.get());
        std::vector<std::string> out;
        std::string line;
        for (int c = std::fgetc(file_.get()); c != EOF; c = std::fgetc(file_.get())) {
            if (c == '\n') {
                out.push_back(line);
                line.clear();
            } else {
                line += static_cast<char>(c);
            }
        }
        EXPECT_TRUE(line.empty()) << "last line has no newline: " << line;
        return out;
    }

  private:
    struct file_closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, file_closer> file_{std::tmpfile()};
};

TEST_F(LogSinkTest, TextSinkWritesOneLinePerEvent) {
    auto logger = make_logger({spdlog::level::info, log_format::text});
    logger->info("WebSocket messages received: {} in the last 60 seconds", 45000);
    logger->warn("two\nlines");
    logger->debug("below the level");
    const auto got = lines();
    ASSERT_EQ(got.size(), 2U);
    const std::regex shape{R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[info\] )"
                           R"(WebSocket messages received: 45000 in the last 60 seconds)"};
    EXPECT_TRUE(std::regex_match(got[0], shape)) << got[0];
    EXPECT_NE(got[1].find("[warning] two\\nlines"), std::string::npos) << got[1];
}

TEST_F(LogSinkTest, JsonSinkWritesOneObjectPerLine) {
    auto logger = make_logger({spdlog::level::info, log_format::json});
    logger->error("[JSON_ERROR] Invalid JSON in WebSocket message: {}...", R"({"topic":)");
    const auto got = lines();
    ASSERT_EQ(got.size(), 1U);
    const std::regex shape{
        R"(\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"error",)"
        R"("msg":"\[JSON_ERROR\] Invalid JSON in WebSocket message: \{\\"topic\\":\.\.\."\})"};
    EXPECT_TRUE(std::regex_match(got[0], shape)) << got[0];
}

TEST_F(LogSinkTest, EveryWrittenLineCountsPerLevel) {
    const auto warn0 = log_messages(spdlog::level::warn);
    const auto err0 = log_messages(spdlog::level::err);
    const auto debug0 = log_messages(spdlog::level::debug);
    auto text = make_logger({spdlog::level::info, log_format::text});
    auto json = make_logger({spdlog::level::info, log_format::json});
    text->warn("a");
    json->warn("b");
    text->error("c");
    text->debug("filtered out by the level: not written, not counted");
    EXPECT_EQ(log_messages(spdlog::level::warn) - warn0, 2U);
    EXPECT_EQ(log_messages(spdlog::level::err) - err0, 1U);
    EXPECT_EQ(log_messages(spdlog::level::debug) - debug0, 0U);
    EXPECT_EQ(log_messages(spdlog::level::off), 0U);
    EXPECT_EQ(lines().size(), 3U);
}

// Capture for the fake sd_journal_sendv (a plain function pointer cannot capture).
std::vector<std::vector<std::string>> sent_to_journal;

int fake_journal_ok(const struct iovec* iov, int n) {
    std::vector<std::string> fields;
    for (int i = 0; i < n; ++i) {
        const auto& v = iov[i]; // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        fields.emplace_back(static_cast<const char*>(v.iov_base), v.iov_len);
    }
    sent_to_journal.push_back(std::move(fields));
    return 0;
}

int fake_journal_missing(const struct iovec* /*iov*/, int /*n*/) {
    return -ENOENT;
}

TEST_F(LogSinkTest, JournaldTargetSendsStructuredFields) {
    sent_to_journal.clear();
    const auto info0 = log_messages(spdlog::level::info);
    auto logger = make_logger({spdlog::level::info, log_format::text, log_target::journald, "mdg1"},
                              &fake_journal_ok);
    logger->info("Subscription confirmed for conn_0");
    ASSERT_EQ(sent_to_journal.size(), 1U);
    EXPECT_EQ(sent_to_journal[0],
              (std::vector<std::string>{"MESSAGE=Subscription confirmed for conn_0", "PRIORITY=6",
                                        "SYSLOG_IDENTIFIER=mdg1", "MDGATE_LEVEL=info"}));
    EXPECT_EQ(log_messages(spdlog::level::info) - info0, 1U);
    EXPECT_TRUE(lines().empty());
}

TEST_F(LogSinkTest, JournaldFailureFallsBackToStreamOnceWithOneWarning) {
    const auto warn0 = log_messages(spdlog::level::warn);
    auto logger = make_logger({spdlog::level::info, log_format::text, log_target::journald},
                              &fake_journal_missing);
    logger->info("first");
    logger->info("second");
    const auto got = lines();
    ASSERT_EQ(got.size(), 3U);
    EXPECT_NE(got[0].find("[warning] journald unavailable (sending to /run/systemd/journal/socket: "
                          "No such file or directory); logging to stderr instead"),
              std::string::npos)
        << got[0];
    EXPECT_NE(got[1].find("[info] first"), std::string::npos) << got[1];
    EXPECT_NE(got[2].find("[info] second"), std::string::npos) << got[2];
    EXPECT_EQ(log_messages(spdlog::level::warn) - warn0, 1U);
}

TEST_F(LogSinkTest, RealJournaldSendFallsBackWhenThereIsNoJournal) {
    struct stat st {};
    if (::stat("/run/systemd/journal/socket", &st) == 0) {
        GTEST_SKIP() << "a journal socket exists here; the fallback cannot be observed";
    }
    // sd_journal_sendv alone would return 0 and drop the line; the sink must notice.
    auto logger = make_logger({spdlog::level::info, log_format::json, log_target::journald});
    logger->info("kept");
    log_event(*logger, spdlog::level::err, {{"event", "reconnect_failed"}, {"conn", "conn_4"}},
              "Failed to reconnect {}", "conn_4");
    const auto got = lines();
    ASSERT_EQ(got.size(), 3U);
    EXPECT_NE(got[0].find(R"("level":"warning","msg":"journald unavailable)"), std::string::npos)
        << got[0];
    EXPECT_NE(got[1].find(R"("level":"info","msg":"kept")"), std::string::npos) << got[1];
    // The fields survive the fallback: the JSON line carries them.
    EXPECT_NE(got[2].find(R"("msg":"Failed to reconnect conn_4","event":"reconnect_failed",)"
                          R"("conn":"conn_4"})"),
              std::string::npos)
        << got[2];
}

// Fields as a typical connection event carries them.
const std::array<log_field, 5> conn_fields{{
    {"event", "reconnect_failed"},
    {"conn", "conn_1"},
    {"attempts", 17},
    {"down_ms", std::int64_t{192'000}},
    {"reason", "tcp connect failed: Connection refused"},
}};

TEST(LogFieldsTest, JsonPutsFieldsAsTopLevelKeysAfterTsLevelMsgWithIntegersAsNumbers) {
    const log_record r{example_time, spdlog::level::err, "Failed to reconnect conn_1", conn_fields};
    EXPECT_EQ(format_json(r),
              R"({"ts":"2026-11-29T06:00:00.123Z","level":"error","msg":"Failed to reconnect )"
              R"(conn_1","event":"reconnect_failed","conn":"conn_1","attempts":17,)"
              R"("down_ms":192000,"reason":"tcp connect failed: Connection refused"})");
}

TEST(LogFieldsTest, JsonWithHostileFieldValuesStillParsesToTheSameValues) {
    const std::string hostile = "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xFF";
    const std::array<log_field, 7> fields{{
        {"topic", hostile},
        {"negative", -42},
        {"big", std::uint64_t{9'000'000'000}},
        {"ts", "reserved: dropped"},
        {"msg", "reserved: dropped"},
        {"topic", "repeated: dropped"},
        {"we\"ird", "key escaped"},
    }};
    const auto line = format_json({example_time, spdlog::level::warn, "m", fields});
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    EXPECT_EQ(std::string_view(doc["msg"]), "m");
    EXPECT_EQ(std::string_view(doc["ts"]), "2026-11-29T06:00:00.123Z");
    EXPECT_EQ(std::string_view(doc["topic"]), "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xEF\xBF\xBD");
    EXPECT_EQ(int64_t(doc["negative"]), -42);
    EXPECT_EQ(int64_t(doc["big"]), 9'000'000'000);
    EXPECT_TRUE(doc["big"].is_int64());
    EXPECT_EQ(std::string_view(doc["we\"ird"]), "key escaped");
    simdjson::dom::object obj;
    ASSERT_EQ(doc.get(obj), simdjson::SUCCESS);
    EXPECT_EQ(obj.size(), 7U) << line; // ts level msg topic negative big we"ird: no duplicates
}

TEST(LogFieldsTest, TextLineIsTheMessageAloneSoMarkersStayExact) {
    const log_record r{example_time, spdlog::level::err, "[HANDLER_TIMEOUT] for conn_1",
                       conn_fields};
    EXPECT_EQ(format_text(r), "2026-11-29 06:00:00.123 [error] [HANDLER_TIMEOUT] for conn_1");
}

TEST(LogFieldsTest, JournaldNamesAreUppercaseWithOnlyLettersDigitsAndUnderscore) {
    EXPECT_EQ(journald_field_name("conn"), "MDGATE_CONN");
    EXPECT_EQ(journald_field_name("down_ms"), "MDGATE_DOWN_MS");
    EXPECT_EQ(journald_field_name("a-b.c"), "MDGATE_A_B_C");
    EXPECT_EQ(journald_field_name("Venue2"), "MDGATE_VENUE2");
}

TEST(LogFieldsTest, JournaldSendsEachFieldAsItsOwnJournalField) {
    const std::array<log_field, 5> fields{{
        {"event", "topic_rejected"},
        {"topic", "orderbook.50.X\nY"},
        {"count", 3},
        {"level", "reserved: dropped"},
        {"event", "repeated: dropped"},
    }};
    const auto got = journald_fields({example_time, spdlog::level::err, "rejected", fields}, "m");
    EXPECT_EQ(got,
              (std::vector<std::string>{"MESSAGE=rejected", "PRIORITY=3", "SYSLOG_IDENTIFIER=m",
                                        "MDGATE_LEVEL=error", "MDGATE_EVENT=topic_rejected",
                                        "MDGATE_TOPIC=orderbook.50.X\\nY", "MDGATE_COUNT=3"}));
    // A field named "level" would clash with MDGATE_LEVEL: the reserved name is dropped, and
    // two keys that map to one journal name keep the first.
    const std::array<log_field, 2> clash{{{"a-b", "first"}, {"a_b", "second"}}};
    const auto two = journald_fields({example_time, spdlog::level::info, "x", clash}, "m");
    EXPECT_EQ(two.back(), "MDGATE_A_B=first");
    EXPECT_EQ(two.size(), 5U);
}

TEST_F(LogSinkTest, JournaldTargetSendsLogEventFieldsThroughTheSink) {
    sent_to_journal.clear();
    auto logger = make_logger({spdlog::level::info, log_format::text, log_target::journald, "mdg1"},
                              &fake_journal_ok);
    log_event(*logger, spdlog::level::warn, {{"event", "disconnected"}, {"conn", "conn_3"}},
              "WebSocket connection closed: {} ({})", "conn_3", "eof");
    logger->info("plain");
    ASSERT_EQ(sent_to_journal.size(), 2U);
    EXPECT_EQ(
        sent_to_journal[0],
        (std::vector<std::string>{"MESSAGE=WebSocket connection closed: conn_3 (eof)", "PRIORITY=4",
                                  "SYSLOG_IDENTIFIER=mdg1", "MDGATE_LEVEL=warning",
                                  "MDGATE_EVENT=disconnected", "MDGATE_CONN=conn_3"}));
    EXPECT_EQ(sent_to_journal[1].size(), 4U); // fields do not leak into the next event
}

TEST_F(LogSinkTest, LogEventWritesFieldsInJsonAndNothingWhenTheLevelIsOff) {
    auto logger = make_logger({spdlog::level::info, log_format::json});
    log_event(*logger, spdlog::level::info, {{"event", "connected"}, {"conn", "conn_0"}},
              "Successfully reconnected {}", "conn_0");
    log_event(*logger, spdlog::level::debug, {{"event", "hidden"}}, "below the level {}", 1);
    logger->info("after");
    const auto got = lines();
    ASSERT_EQ(got.size(), 2U);
    EXPECT_NE(got[0].find(R"("msg":"Successfully reconnected conn_0","event":"connected",)"
                          R"("conn":"conn_0"})"),
              std::string::npos)
        << got[0];
    EXPECT_NE(got[1].find(R"("msg":"after"})"), std::string::npos) << got[1];
}

TEST_F(LogSinkTest, LogLimitedEventAddsTheSuppressedCountAsAField) {
    auto logger = make_logger({spdlog::level::info, log_format::json});
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    const std::string key = "test.limited_event";
    for (int i = 0; i < 3; ++i) {
        log_limited_event(spdlog::level::warn, key, {{"event", "decode_error"}, {"n", i}},
                          "bad frame {}", i);
    }
    // The line written after a minute of holding back (the limiter is tested on its own).
    detail::log_limited_line(spdlog::level::warn, {{"event", "decode_error"}}, "bad frame 9", 2);
    spdlog::set_default_logger(previous);
    const auto got = lines();
    ASSERT_EQ(got.size(), 2U); // frames 1 and 2 are held back for a minute
    EXPECT_NE(got[0].find(R"("msg":"bad frame 0","event":"decode_error","n":0})"),
              std::string::npos)
        << got[0];
    EXPECT_NE(got[1].find(R"x("msg":"bad frame 9 (2 similar suppressed)","event":"decode_error",)x"
                          R"x("suppressed":2})x"),
              std::string::npos)
        << got[1];
}

TEST(LogInitTest, DefaultLoggerWritesTextToStderr) {
    init_logging({spdlog::level::info});
    ::testing::internal::CaptureStderr();
    spdlog::info("Successfully reconnected conn_2");
    spdlog::debug("hidden");
    const std::string out = ::testing::internal::GetCapturedStderr();
    const std::regex shape{
        R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[info\] Successfully reconnected conn_2\n)"};
    EXPECT_TRUE(std::regex_match(out, shape)) << out;
}

} // namespace
} // namespace mdg::core
