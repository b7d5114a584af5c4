#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

#include "core/result.hpp"
#include "perf/frame_set.hpp"

namespace mdg::perf {

struct flood_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;                    ///< 0 = any free port (see port())
    std::size_t batch_bytes = 64U << 10U;      ///< frames written per socket write (at most)
    std::size_t max_request_bytes = 64U << 10; ///< larger client frames end the session
    std::size_t max_sessions = 64;             ///< more concurrent clients are refused
};

/// Counters of a flood server (relaxed atomics: written by its thread, read by anyone).
struct flood_stats {
    std::atomic<std::uint64_t> sessions{0};
    std::atomic<std::uint64_t> frames_sent{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> requests{0};     ///< client frames answered (subscribe, ping)
    std::atomic<std::uint64_t> bad_requests{0}; ///< client frames that were not understood
};

/// A loopback Bybit-like WebSocket server that sends a pre-generated frame set in a loop, as
/// fast as the client reads (or at a fixed rate: `?rate=N` frames per second in the URL's
/// query). It is the benchmark's source and must never be its bottleneck: frames are copied
/// into large batches with their WebSocket headers (server frames are unmasked) and written
/// with one socket write per batch, with the topic's sequence shifted per pass
/// (frame_set::sequence_offset) so the stream stays valid.
///
/// Protocol: subscribe and unsubscribe requests get Bybit's linear acknowledgement, `ping` gets
/// a pong. A subscribed topic starts at its next snapshot (a resubscribe waits for one too), so
/// a client always sees snapshot, then contiguous deltas. Anything else gets no answer and is
/// counted; an over-long request ends the session.
///
/// Owns one thread (its io_context). start() and stop() from one controlling thread; stats()
/// from any thread.
class flood_server {
  public:
    flood_server(std::shared_ptr<const frame_set> frames, flood_options opts = {});
    ~flood_server(); ///< stop()
    flood_server(const flood_server&) = delete;
    flood_server& operator=(const flood_server&) = delete;
    flood_server(flood_server&&) = delete;
    flood_server& operator=(flood_server&&) = delete;

    /// Binds and starts the thread; returns the bound port. Errors: the bind's error code,
    /// with `reason` naming the address.
    [[nodiscard]] result<std::uint16_t> start(std::string& reason);
    /// Closes every session and joins the thread. Idempotent.
    void stop();

    [[nodiscard]] const flood_stats& stats() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

/// A flood server in a child process, so that the benchmarked process's CPU time and memory
/// are its own. The child is forked before the caller starts any thread (call spawn() first
/// in main), generates the frame set itself, listens, reports its port through a pipe and
/// serves until it is stopped or its parent dies (PR_SET_PDEATHSIG).
///
/// Owned by the controlling thread; move-only. The destructor stops the child.
class flood_process {
  public:
    /// Forks and waits (up to `timeout`) for the child to listen. Errors: invalid_argument
    /// (bad options, `reason` from make_frame_set), io_error (fork, pipe, bind; `reason`).
    [[nodiscard]] static result<flood_process> spawn(const frame_set_options& frames,
                                                     const flood_options& opts,
                                                     std::chrono::milliseconds timeout,
                                                     std::string& reason);
    flood_process(flood_process&& o) noexcept;
    flood_process& operator=(flood_process&& o) noexcept;
    flood_process(const flood_process&) = delete;
    flood_process& operator=(const flood_process&) = delete;
    ~flood_process();

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// Data frames and text bytes in one pass of the child's frame set.
    [[nodiscard]] std::size_t frames() const noexcept { return frames_; }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    /// Sends SIGTERM and reaps the child. Idempotent.
    void stop() noexcept;

  private:
    flood_process() = default;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::size_t frames_ = 0;
    std::size_t bytes_ = 0;
};

} // namespace mdg::perf
