#pragma once

// The increase of one counter series over a monitoring window, from successive scrapes, counted
// correctly across process restarts.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.hpp"

namespace mdg::monitor {

/// Accumulates the increase of one counter series (one name + label set) from scrapes fed in
/// time order. A restart is detected when `process_start_time_seconds` changes or the value
/// goes down; the value after a restart counts from 0, so the increase keeps everything the
/// new process counted. Like Prometheus's increase(), it cannot see events counted by the old
/// process after its last scrape, so across a restart the increase is a lower bound, and two
/// restarts between the same two scrapes count as one.
///
/// Owned by the report loop that scrapes; not thread-safe.
class counter_track {
  public:
    /// What `feed` did with an observation.
    enum class feed_status : std::uint8_t {
        accepted,     ///< counted (or taken as the starting point)
        restarted,    ///< counted, and a restart was detected before it
        out_of_order, ///< ignored: not later than the previous observation
        invalid,      ///< ignored: the value is negative, NaN or infinite
    };

    /// Feeds one scrape of the series at `at`. `process_start` is the scraped
    /// `process_start_time_seconds` (empty when the target does not export it: then only a
    /// decreasing value reveals a restart).
    [[nodiscard]] feed_status feed(unix_nanos at, std::optional<double> process_start,
                                   double value) noexcept;

    /// The increase over the window, from the first accepted observation to the last.
    [[nodiscard]] double increase() const noexcept { return increase_; }
    /// Restarts detected in the window.
    [[nodiscard]] std::uint32_t restarts() const noexcept { return restarts_; }
    /// Observations accepted (including the first one).
    [[nodiscard]] std::uint64_t observations() const noexcept { return observations_; }
    /// Observations ignored (out of order or invalid).
    [[nodiscard]] std::uint64_t ignored() const noexcept { return ignored_; }
    /// Time of the first accepted observation; empty before any.
    [[nodiscard]] std::optional<unix_nanos> first_time() const noexcept { return first_time_; }
    /// Time of the last accepted observation; empty before any.
    [[nodiscard]] std::optional<unix_nanos> last_time() const noexcept { return last_time_; }
    /// last_time - first_time in hours (0 before two observations): the exposure of increase().
    [[nodiscard]] double hours() const noexcept;

  private:
    double increase_ = 0;
    double last_value_ = 0;
    std::optional<double> last_start_;
    std::optional<unix_nanos> first_time_;
    std::optional<unix_nanos> last_time_;
    std::uint64_t observations_ = 0;
    std::uint64_t ignored_ = 0;
    std::uint32_t restarts_ = 0;
};

/// Stable snake_case name of a feed status.
[[nodiscard]] std::string_view to_string(counter_track::feed_status s) noexcept;

} // namespace mdg::monitor
