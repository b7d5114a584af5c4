#include "net/outage_log.hpp"

#include <fmt/format.h>

namespace mdg::net {

void outage_log::on_down(clock::time_point now) {
    if (!since_) {
        since_ = now;
    }
}

outage_log::verdict outage_log::on_failure(clock::time_point now, bool capped,
                                           std::string_view error) {
    on_down(now);
    ++attempts_;
    last_error_.assign(error);
    if (!capped) {
        // The backoff still grows: one line per step.
        last_summary_.reset();
        return verdict::line;
    }
    if (!last_summary_) {
        // The first wait at the cap: one line, then summaries.
        last_summary_ = now;
        return verdict::line;
    }
    if (now - *last_summary_ >= summary_every_) {
        last_summary_ = now;
        return verdict::summary;
    }
    return verdict::quiet;
}

void outage_log::on_up() {
    since_.reset();
    last_summary_.reset();
    attempts_ = 0;
    last_error_.clear();
}

outage_log::clock::duration outage_log::down_for(clock::time_point now) const noexcept {
    return since_ && now > *since_ ? now - *since_ : clock::duration::zero();
}

std::string format_down_time(std::chrono::steady_clock::duration d) {
    const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    const auto h = total / 3600;
    const auto m = total / 60 % 60;
    const auto s = total % 60;
    if (h > 0) {
        return fmt::format("{}h{:02}m{:02}s", h, m, s);
    }
    if (m > 0) {
        return fmt::format("{}m{:02}s", m, s);
    }
    return fmt::format("{}s", s);
}

} // namespace mdg::net
