#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "record/recorder.hpp"
#include "record_test_support.hpp"

namespace mdg::record {
namespace {

using test::payloads;
using test::read_lines;
using test::temp_dir;

std::string frame(int i) {
    return fmt::format(R"({{"topic":"publicTrade.BTCUSDT","seq":{},"pad":"{}"}})", i,
                       std::string(static_cast<std::size_t>(i % 97), 'x'));
}

recorder_options options(const temp_dir& dir, std::size_t queue_bytes) {
    recorder_options o;
    o.writer.dir = dir.path();
    o.writer.max_total_bytes = 0;
    o.queue_bytes = queue_bytes;
    return o;
}

TEST(RecorderTest, AFullQueueDropsAndCountsInsteadOfWaiting) {
    temp_dir dir("drops");
    recorder rec(options(dir, 4096), recording_header{});
    std::string error;
    ASSERT_TRUE(rec.open(error)) << error;
    // The writer is not started: nothing leaves the queue.
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 200; ++i) {
        if (rec.record(record_kind::in, 0, unix_nanos{i}, frame(1))) {
            ++accepted;
            EXPECT_EQ(refused, 0) << "a record was accepted after one was refused";
        } else {
            ++refused;
        }
    }
    EXPECT_GT(accepted, 10);
    EXPECT_GT(refused, 0);
    EXPECT_EQ(rec.stats().dropped_queue_full.load(), static_cast<std::uint64_t>(refused));
    // A record larger than the whole queue never fits.
    EXPECT_FALSE(rec.record(record_kind::in, 0, unix_nanos{0}, std::string(8192, 'y')));
    rec.stop(); // writes what was queued
    const auto files = dir.files();
    ASSERT_EQ(files.size(), 1U);
    const auto lines = read_lines(files[0]);
    EXPECT_EQ(payloads(lines).size(), static_cast<std::size_t>(accepted));
    // The hole is in the recording: a `lost` record with every drop after the last record.
    line_parser p;
    const auto last = p.parse_record(lines.back());
    ASSERT_TRUE(last);
    EXPECT_EQ(last->kind, record_kind::lost);
    EXPECT_EQ(last->lost, static_cast<std::uint64_t>(refused + 1));
    EXPECT_EQ(rec.stats().frames_in.load(), static_cast<std::uint64_t>(accepted));
}

// The producer (this thread) and the writer thread through a small ring that wraps many
// times: every record arrives once, whole and in order (a refused record is offered again).
TEST(RecorderTest, TheWriterThreadGetsEveryRecordInOrderThroughAWrappingQueue) {
    temp_dir dir("wrap");
    recorder rec(options(dir, 4096), recording_header{});
    std::string error;
    ASSERT_TRUE(rec.open(error)) << error;
    rec.start();
    constexpr int n = 3000;
    for (int i = 0; i < n; ++i) {
        const auto f = frame(i);
        while (!rec.record(record_kind::in, 0, unix_nanos{i}, f)) {
            std::this_thread::yield();
        }
    }
    rec.stop();
    const auto files = dir.files();
    ASSERT_EQ(files.size(), 1U);
    const auto got = payloads(read_lines(files[0]));
    ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(got[static_cast<std::size_t>(i)], frame(i)) << i;
    }
    EXPECT_EQ(rec.stats().queue_bytes.load(), 0U);
    EXPECT_GT(rec.stats().bytes_written.load(), 0U);
}

} // namespace
} // namespace mdg::record
