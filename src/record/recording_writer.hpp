#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "record/record_format.hpp"

namespace mdg::record {

/// How recordings are written, rotated and kept (`[record]`, docs/recording.md).
struct writer_options {
    std::filesystem::path dir;
    std::string prefix = "mdgate"; ///< file names: <prefix>-<UTC time>-<seq>.jsonl[.zst]
    std::uint64_t max_file_bytes = std::uint64_t{256} << 20; ///< on disk, compressed
    std::chrono::milliseconds max_file_age{std::chrono::hours{1}};
    /// Oldest recordings (this prefix only) are deleted while the directory's recordings
    /// exceed either bound; 0 = no bound.
    std::uint64_t max_total_bytes = std::uint64_t{20} << 30;
    std::size_t keep_files = 0;
    int zstd_level = 3; ///< 0: plain JSON lines, no compression
    /// Each interval the current zstd frame is ended and written out: a killed process leaves
    /// a file readable up to the last such point.
    std::chrono::milliseconds flush_interval{std::chrono::seconds{1}};
};

/// Counters of a recording, updated by the writer (and the recorder's producer for drops);
/// read by the metrics collector from any thread.
struct recorder_stats {
    std::atomic<std::uint64_t> records{0};       ///< records written (all kinds)
    std::atomic<std::uint64_t> frames_in{0};     ///< received frames written
    std::atomic<std::uint64_t> frames_out{0};    ///< requests written
    std::atomic<std::uint64_t> input_bytes{0};   ///< JSON line bytes before compression
    std::atomic<std::uint64_t> bytes_written{0}; ///< bytes written to files
    std::atomic<std::uint64_t> dropped_queue_full{0};
    std::atomic<std::uint64_t> dropped_no_file{0}; ///< records lost because no file was open
    std::atomic<std::uint64_t> files_opened{0};
    std::atomic<std::uint64_t> files_deleted{0};
    std::atomic<std::uint64_t> errors{0};      ///< open, write, close or delete failures
    std::atomic<std::uint64_t> queue_bytes{0}; ///< bytes waiting in the queue (gauge)
};

/// Checks that `dir` is an existing, writable directory. On failure `error` is one line
/// naming the directory and the reason.
[[nodiscard]] bool check_directory(const std::filesystem::path& dir, std::string& error);

/// Writes records into a rotating set of files in one directory: each file starts with the
/// header, is zstd-compressed (a sequence of frames, one per flush) or plain, and is closed
/// when it reaches max_file_bytes or max_file_age; old files go when the directory's
/// recordings exceed the retention bounds. Errors are counted and logged (rate-limited),
/// never thrown; after a failed write the file is abandoned and a new one opened at the
/// next tick.
///
/// Owned by the recorder's writer thread (or a test); not thread-safe. `stats` may be read
/// from any thread.
class recording_writer {
  public:
    recording_writer(writer_options opts, recording_header header, recorder_stats& stats,
                     const core::clock& clock = core::default_clock());
    ~recording_writer(); ///< close()
    recording_writer(const recording_writer&) = delete;
    recording_writer& operator=(const recording_writer&) = delete;
    recording_writer(recording_writer&&) = delete;
    recording_writer& operator=(recording_writer&&) = delete;

    /// Opens the first file. False with one line in `error` when it cannot be created.
    [[nodiscard]] bool open(std::string& error);
    /// Writes one record (rotating first when the file is too old or too large).
    void write(record_kind k, std::uint32_t conn, unix_nanos t, std::string_view payload);
    /// Writes a `lost` record: `n` records were dropped before the next one.
    void write_lost(unix_nanos t, std::uint64_t n);
    /// Periodic work: ends the zstd frame when flush_interval has passed, rotates by age, and
    /// reopens after an error.
    void tick();
    /// Ends the current frame and writes everything out.
    void flush();
    /// Flushes and closes the current file (idempotent).
    void close();

    /// The file being written ("" when none).
    [[nodiscard]] const std::filesystem::path& current_file() const noexcept { return path_; }

  private:
    bool open_next(std::string& error);
    void rotate();
    void enforce_retention();
    bool put(std::string_view bytes, bool end_frame);
    bool put_line(); // line_, rotating first when due

    void fail(std::string_view what, int err);

    struct zstd_state;
    writer_options opts_;
    recording_header header_;
    recorder_stats& stats_;    // outlives: the writer (owned by the recorder or the test)
    const core::clock& clock_; // outlives: the writer
    std::unique_ptr<zstd_state> z_;
    std::FILE* file_ = nullptr;
    std::filesystem::path path_;
    std::uint64_t file_bytes_ = 0;
    unix_nanos opened_{};
    unix_nanos flushed_{};
    std::uint64_t seq_ = 0;
    bool dirty_ = false;  // written since the last flush
    bool broken_ = false; // the last file failed: reopen at the next tick
    std::string line_;
    std::string out_;
};

} // namespace mdg::record
