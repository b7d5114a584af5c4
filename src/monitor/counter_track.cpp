#include "monitor/counter_track.hpp"

#include <chrono>
#include <cmath>

namespace mdg::monitor {

counter_track::feed_status counter_track::feed(unix_nanos at, std::optional<double> process_start,
                                               double value) noexcept {
    if (!std::isfinite(value) || value < 0.0 || (process_start && !std::isfinite(*process_start))) {
        ++ignored_;
        return feed_status::invalid;
    }
    if (last_time_ && at <= *last_time_) {
        ++ignored_;
        return feed_status::out_of_order;
    }
    feed_status status = feed_status::accepted;
    if (!last_time_) {
        first_time_ = at; // the starting point: nothing counted yet
    } else {
        // A changed start time is a different process; so is a counter that went down (the
        // only sign when the start time is not exported). Either way the new value counts
        // from 0.
        const bool new_process =
            process_start.has_value() && last_start_.has_value() && *process_start != *last_start_;
        if (new_process || value < last_value_) {
            ++restarts_;
            increase_ += value;
            status = feed_status::restarted;
        } else {
            increase_ += value - last_value_;
        }
    }
    last_time_ = at;
    last_value_ = value;
    if (process_start) {
        last_start_ = process_start;
    }
    ++observations_;
    return status;
}

double counter_track::hours() const noexcept {
    if (!first_time_ || !last_time_) {
        return 0.0;
    }
    return std::chrono::duration<double, std::ratio<3600>>(*last_time_ - *first_time_).count();
}

std::string_view to_string(counter_track::feed_status s) noexcept {
    switch (s) {
    case counter_track::feed_status::accepted:
        return "accepted";
    case counter_track::feed_status::restarted:
        return "restarted";
    case counter_track::feed_status::out_of_order:
        return "out_of_order";
    case counter_track::feed_status::invalid:
        return "invalid";
    }
    return "unknown";
}

} // namespace mdg::monitor
