#include <fstream>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "record/record_format.hpp"
#include "record/recording_writer.hpp"
#include "record_test_support.hpp"

namespace mdg::record {
namespace {

using namespace std::chrono_literals;
using test::payloads;
using test::read_lines;
using test::temp_dir;

recording_header sample_header() {
    recording_header h;
    h.cat = model::category::linear;
    h.version = "test";
    h.connections.push_back({"conn_0",
                             "ws://127.0.0.1:1/v5/public/linear",
                             {"orderbook.50.BTCUSDT", "tickers.BTCUSDT"}});
    h.instruments.push_back({"BTCUSDT", {2, 3}});
    return h;
}

std::string frame(int i) {
    return fmt::format(R"({{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{{"u":{}}}}})", i);
}

TEST(RecordFormatTest, RecordsAndHeadersReadBackExactly) {
    std::string out;
    const std::string tricky = "{\"a\":\"x\\\"y\"}\n\t\x01 \xc3\xa9";
    const std::string invalid_utf8 = "ab\xff\xfe"
                                     "c";
    append_record_line(out, record_kind::in, 3, unix_nanos{42}, tricky);
    append_record_line(out, record_kind::out, 1, unix_nanos{43}, invalid_utf8);
    append_record_line(out, record_kind::down, 2, unix_nanos{44}, {});
    auto h = sample_header();
    h.file_seq = 7;
    h.opened = unix_nanos{99};
    append_header_line(out, h);

    std::vector<std::string> lines;
    replay::for_each_frame_in_text(out, [&](std::string_view l) { lines.emplace_back(l); });
    ASSERT_EQ(lines.size(), 4U) << "a payload's newline must be escaped";
    line_parser p;
    auto r = p.parse_record(lines[0]);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, record_kind::in);
    EXPECT_EQ(r->conn, 3U);
    EXPECT_EQ(r->t.value, 42);
    EXPECT_EQ(r->payload, tricky);
    r = p.parse_record(lines[1]);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, record_kind::out);
    EXPECT_EQ(r->payload, invalid_utf8); // base64: the exact bytes
    EXPECT_NE(lines[1].find(R"("b":)"), std::string::npos);
    r = p.parse_record(lines[2]);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, record_kind::down);
    EXPECT_EQ(r->conn, 2U);
    ASSERT_TRUE(is_header_line(lines[3]));
    const auto back = p.parse_header(lines[3]);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->file_seq, 7U);
    EXPECT_EQ(back->opened.value, 99);
    ASSERT_EQ(back->connections.size(), 1U);
    EXPECT_EQ(back->connections[0].topics, h.connections[0].topics);
    ASSERT_EQ(back->instruments.size(), 1U);
    EXPECT_EQ(back->instruments[0].symbol, "BTCUSDT");
    EXPECT_EQ(back->instruments[0].spec, (model::instrument_spec{2, 3}));
    std::string lost;
    append_lost_line(lost, unix_nanos{45}, 12);
    r = p.parse_record(lost.substr(0, lost.size() - 1));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, record_kind::lost);
    EXPECT_EQ(r->lost, 12U);
    EXPECT_FALSE(p.parse_record(R"({"t":1,"c":0,"d":"sideways"})"));
    EXPECT_FALSE(p.parse_record(R"({"t":1,"c":0,"d":"in")"));
}

class RecordingWriterTest : public ::testing::Test {
  protected:
    writer_options options(const temp_dir& dir, int level) {
        writer_options o;
        o.dir = dir.path();
        o.zstd_level = level;
        o.max_total_bytes = 0;
        return o;
    }
    recorder_stats stats_;
    core::manual_clock clock_{unix_nanos{1'765'000'000'000'000'000}};
};

TEST_F(RecordingWriterTest, RotatesBySizeAndEveryFileStartsWithTheHeader) {
    temp_dir dir("size");
    auto o = options(dir, 0); // plain: bytes reach the file as written
    o.max_file_bytes = 1000;
    recording_writer w(o, sample_header(), stats_, clock_);
    std::string error;
    ASSERT_TRUE(w.open(error)) << error;
    for (int i = 0; i < 40; ++i) {
        w.write(record_kind::in, 0, unix_nanos{i}, frame(i));
    }
    w.close();
    const auto files = dir.files();
    ASSERT_GE(files.size(), 3U);
    EXPECT_EQ(stats_.files_opened.load(), files.size());
    std::vector<std::string> all;
    for (const auto& f : files) {
        EXPECT_LE(std::filesystem::file_size(f), 1000U + 200U) << f; // at most one record over
        const auto lines = read_lines(f);
        ASSERT_FALSE(lines.empty());
        EXPECT_TRUE(is_header_line(lines[0])) << f;
        for (auto& p : payloads(lines)) {
            all.push_back(std::move(p));
        }
    }
    ASSERT_EQ(all.size(), 40U);
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(all[static_cast<std::size_t>(i)], frame(i));
    }
    EXPECT_EQ(stats_.frames_in.load(), 40U);
}

TEST_F(RecordingWriterTest, RotatesByAgeOnTheInjectedClock) {
    temp_dir dir("age");
    auto o = options(dir, 3);
    o.max_file_age = 10min;
    recording_writer w(o, sample_header(), stats_, clock_);
    std::string error;
    ASSERT_TRUE(w.open(error)) << error;
    w.write(record_kind::in, 0, unix_nanos{1}, frame(1));
    clock_.advance(9min);
    w.tick();
    EXPECT_EQ(dir.files().size(), 1U);
    w.write(record_kind::in, 0, unix_nanos{2}, frame(2));
    clock_.advance(1min);
    w.tick(); // 10 minutes: a new file, even with nothing to write
    EXPECT_EQ(dir.files().size(), 2U);
    w.write(record_kind::in, 0, unix_nanos{3}, frame(3));
    w.close();
    const auto files = dir.files();
    ASSERT_EQ(files.size(), 2U);
    EXPECT_EQ(payloads(read_lines(files[0])), (std::vector<std::string>{frame(1), frame(2)}));
    replay::capture_read_info info;
    EXPECT_EQ(payloads(read_lines(files[1], &info)), (std::vector<std::string>{frame(3)}));
    EXPECT_TRUE(info.compressed);
    EXPECT_FALSE(info.truncated) << "a file closed cleanly is complete";
    // Names carry the UTC open time, so they sort by time.
    EXPECT_NE(files[0].filename().string().find("20251206T"), std::string::npos) << files[0];
    EXPECT_TRUE(files[1].filename().string().ends_with(".jsonl.zst"));
}

TEST_F(RecordingWriterTest, RetentionDeletesTheOldestRecordingsOnly) {
    temp_dir dir("retention");
    {
        std::ofstream other(dir.path() / "notes.txt");
        other << "not a recording\n";
    }
    auto o = options(dir, 1);
    o.keep_files = 2;
    o.max_file_age = 1s;
    recording_writer w(o, sample_header(), stats_, clock_);
    std::string error;
    ASSERT_TRUE(w.open(error)) << error;
    for (int i = 0; i < 5; ++i) {
        w.write(record_kind::in, 0, unix_nanos{i}, frame(i));
        clock_.advance(1s);
        w.tick();
    }
    w.close();
    const auto files = dir.files();
    ASSERT_EQ(files.size(), 3U); // two recordings and the unrelated file
    EXPECT_EQ(files[2].filename(), "notes.txt");
    EXPECT_EQ(stats_.files_deleted.load(), 4U); // 6 opened, the newest 2 kept
    EXPECT_EQ(payloads(read_lines(files[0])), (std::vector<std::string>{frame(4)}));
    EXPECT_EQ(payloads(read_lines(files[1])), (std::vector<std::string>{}));
}

TEST_F(RecordingWriterTest, AFileCutShortReplaysUpToItsLastCompleteRecord) {
    temp_dir dir("truncated");
    auto o = options(dir, 3);
    recording_writer w(o, sample_header(), stats_, clock_);
    std::string error;
    ASSERT_TRUE(w.open(error)) << error;
    for (int i = 0; i < 5; ++i) {
        w.write(record_kind::in, 0, unix_nanos{i}, frame(i));
    }
    w.flush(); // a flush point: everything before it survives a crash
    const auto flushed = std::filesystem::file_size(w.current_file());
    for (int i = 5; i < 10; ++i) {
        w.write(record_kind::in, 0, unix_nanos{i}, frame(i));
    }
    w.close();
    const auto file = dir.files().at(0);
    const auto full = std::filesystem::file_size(file);
    ASSERT_GT(full, flushed);
    // Cut inside the second frame, as a crash mid-write would.
    std::filesystem::resize_file(file, flushed + (full - flushed) / 2);
    replay::capture_read_info info;
    const auto lines = read_lines(file, &info);
    EXPECT_TRUE(info.compressed);
    EXPECT_TRUE(info.truncated);
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(is_header_line(lines[0]));
    const auto got = payloads(lines);
    ASSERT_EQ(got.size(), 5U);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(got[static_cast<std::size_t>(i)], frame(i));
    }
}

TEST(RecordDirectoryTest, RefusesAMissingOrNonWritableDirectory) {
    temp_dir dir("refuse");
    std::string error;
    EXPECT_TRUE(check_directory(dir.path(), error)) << error;
    EXPECT_FALSE(check_directory(dir.path() / "missing", error));
    EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
    { std::ofstream f(dir.path() / "file"); }
    EXPECT_FALSE(check_directory(dir.path() / "file", error));
    EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
    if (::geteuid() != 0) { // root writes anywhere
        const auto ro = dir.path() / "ro";
        std::filesystem::create_directory(ro);
        std::filesystem::permissions(ro, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_exec);
        EXPECT_FALSE(check_directory(ro, error));
        EXPECT_NE(error.find("not writable"), std::string::npos) << error;
        std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
    }
    recorder_stats stats;
    writer_options o;
    o.dir = dir.path() / "missing";
    recording_writer w(o, recording_header{}, stats);
    EXPECT_FALSE(w.open(error));
}

} // namespace
} // namespace mdg::record
