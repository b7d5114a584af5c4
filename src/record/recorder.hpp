#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.hpp"
#include "record/record_format.hpp"
#include "record/recording_writer.hpp"

namespace mdg::record {

struct recorder_options {
    writer_options writer;
    /// Bytes of records waiting for the writer; a record that does not fit is dropped and
    /// counted (the I/O thread never waits).
    std::size_t queue_bytes = std::size_t{16} << 20;
};

/// The frame recorder (`mdgate run --record DIR`, docs/recording.md): the I/O thread copies
/// each frame received, each request sent and each connection up/down into a bounded byte
/// ring (never waiting: a record that does not fit is dropped and counted), and a writer
/// thread formats, compresses and writes them through a recording_writer.
///
/// Owned by the gateway. record() is called from ONE thread at a time (the I/O thread: the
/// ring has a single producer); stats() from any thread; the rest from the controlling thread.
class recorder {
  public:
    recorder(recorder_options opts, recording_header header,
             const core::clock& clock = core::default_clock());
    ~recorder(); ///< stop()
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;
    recorder(recorder&&) = delete;
    recorder& operator=(recorder&&) = delete;

    /// Opens the first file (before start()). False with one line in `error`.
    [[nodiscard]] bool open(std::string& error);
    /// Starts the writer thread.
    void start();
    /// Writes out everything queued so far, closes the file and joins the writer. Call after
    /// the producer has stopped. Idempotent.
    void stop();

    /// Queues one record; false (and a counted drop) when the queue has no room. Never blocks,
    /// never allocates. Single producer. The next record queued carries the number dropped
    /// before it, and the writer writes a `lost` record there.
    bool record(record_kind k, std::uint32_t conn, unix_nanos t,
                std::string_view payload = {}) noexcept;

    [[nodiscard]] const recorder_stats& stats() const noexcept { return stats_; }
    /// The file being written (for logs and tests); only while the writer is stopped.
    [[nodiscard]] const recording_writer& writer() const noexcept { return writer_; }

  private:
    void run(const std::stop_token& st);
    std::size_t drain();

    recorder_stats stats_;
    recording_writer writer_;
    const core::clock& writer_clock_; // outlives: the recorder
    std::uint64_t lost_ = 0;          // producer only: drops not yet told to the writer
    std::size_t capacity_;
    std::unique_ptr<std::byte[]> ring_; // NOLINT(*-avoid-c-arrays): a raw byte buffer
    // Byte positions, ever increasing; head_ written by the producer, tail_ by the writer.
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
    std::mutex wake_mutex_; // the writer's sleep only; the producer never takes it
    std::condition_variable_any wake_;
    std::jthread thread_;
    bool stopped_ = false;
};

} // namespace mdg::record
