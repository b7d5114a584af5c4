#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/market_cache.hpp"
#include "dispatch/consumer.hpp"
#include "model/instrument.hpp"

namespace mdg::perf {

struct bench_report;

/// The readers of `mdgate bench --readers N`: what an HTTP API does to the market cache.
struct reader_options {
    std::size_t threads = 0; ///< zero: no readers
    /// Reads per second of all threads together, spread evenly; zero: each thread reads as
    /// fast as it can (spins). Paced threads read their quota, then sleep for reader_tick.
    double rate = 0;
};

/// How long a paced reader sleeps between its bursts of reads.
inline constexpr std::chrono::milliseconds reader_tick{1};

/// What the readers did, from start to stop.
struct reader_figures {
    std::size_t threads = 0;
    double target_per_s = 0;        ///< reader_options::rate (0: flat out)
    double seconds = 0;             ///< from the readers' start to their stop
    std::uint64_t reads = 0;        ///< versions taken and checked
    std::uint64_t empty = 0;        ///< book() gave null (no update yet)
    std::uint64_t inconsistent = 0; ///< versions that failed check_book (must stay 0)
    double reads_per_s = 0;
};

/// Why `b` is not one consistent book: bids not strictly descending, asks not strictly
/// ascending, crossed (best bid >= best ask), or a size <= 0. Empty when it is consistent.
[[nodiscard]] std::optional<std::string_view> check_book(const dispatch::book_view& b) noexcept;

/// N threads that loop over the books of `topics` (the orderbook ones, round robin, each
/// thread starting at a different book), take each one's current version from the cache and
/// check it. They never touch a shard.
///
/// Owns its threads (std::jthread); construct and stop() from one controlling thread. The
/// cache and registry must outlive it.
class book_readers {
  public:
    /// Starts the threads. `topics` are Bybit topic strings of category `cat`; those that are
    /// not orderbook topics, or not in `registry`, are skipped (with no book left, no thread
    /// starts).
    book_readers(const api::market_cache& cache, const model::instrument_registry& registry,
                 model::category cat, std::span<const std::string> topics,
                 const reader_options& opts);
    ~book_readers(); ///< stop()
    book_readers(const book_readers&) = delete;
    book_readers& operator=(const book_readers&) = delete;
    book_readers(book_readers&&) = delete;
    book_readers& operator=(book_readers&&) = delete;

    /// Stops and joins the threads and returns their figures. Idempotent.
    reader_figures stop();

  private:
    struct book_ref {
        model::instrument_id id;
        std::uint16_t depth = 0;
    };
    struct counts {
        std::uint64_t reads = 0;
        std::uint64_t empty = 0;
        std::uint64_t inconsistent = 0;
    };

    void run(const std::stop_token& stop, std::size_t index);

    const api::market_cache& cache_; // outlives: the readers
    reader_options opts_;
    std::vector<book_ref> books_;
    std::vector<counts> counts_; // one per thread, written by it, read after join
    std::chrono::steady_clock::time_point started_;
    std::vector<std::jthread> threads_;
    std::optional<reader_figures> result_;
};

/// The readers' comparison in `r` (runs of (c) and with_readers), as table lines and as a
/// `"readers":{...}` JSON member with a leading comma; both empty when there was none.
[[nodiscard]] std::string render_readers_table(const bench_report& r);
[[nodiscard]] std::string render_readers_json(const bench_report& r);

} // namespace mdg::perf
