#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mdg::exchange {

/// Paces the surgical resyncs (unsubscribe + subscribe) of each topic. A resync after a calm
/// spell goes at once; one that follows the topic's previous resync within `calm` is the next
/// of a streak and waits 0.5 s, 1 s, 2 s ... up to `cap`. A topic whose every snapshot is
/// unusable (a price finer than the instrument allows, more levels than the book takes) then
/// resubscribes a few times a minute instead of at the round-trip rate, which would look like
/// abuse to the venue. Pure: the caller passes the time.
class resync_pacer {
  public:
    using clock = std::chrono::steady_clock;

    explicit resync_pacer(clock::duration calm = std::chrono::seconds{30},
                          clock::duration first_delay = std::chrono::milliseconds{500},
                          clock::duration cap = std::chrono::seconds{60}) noexcept
        : calm_(calm), first_delay_(first_delay), cap_(cap) {}

    /// A resync of `topic` is wanted at `now`: how long to wait before sending it (zero: now).
    /// The resync counts as sent at `now + delay`. A topic with a resync already waiting
    /// returns clock::duration::max(): the waiting one covers this request.
    [[nodiscard]] clock::duration on_request(std::string_view topic, clock::time_point now) {
        auto& p = topics_[std::string(topic)];
        if (p.waiting) {
            return clock::duration::max();
        }
        if (p.last == clock::time_point{} || now - p.last >= calm_) {
            p.streak = 0;
            p.last = now;
            return clock::duration::zero();
        }
        ++p.streak;
        auto delay = first_delay_;
        for (unsigned i = 1; i < p.streak && delay < cap_; ++i) {
            delay *= 2;
        }
        delay = std::min(delay, cap_);
        p.last = now + delay;
        p.waiting = true;
        return delay;
    }

    /// The delayed resync of `topic` went out (or was abandoned).
    void on_sent(std::string_view topic) {
        if (auto it = topics_.find(std::string(topic)); it != topics_.end()) {
            it->second.waiting = false;
        }
    }

    /// Resyncs of `topic` in its current streak (0: the last one went at once).
    [[nodiscard]] unsigned streak(std::string_view topic) const {
        const auto it = topics_.find(std::string(topic));
        return it == topics_.end() ? 0U : it->second.streak;
    }

  private:
    struct pace {
        clock::time_point last{}; ///< when the last resync went (or will go)
        unsigned streak = 0;
        bool waiting = false;
    };
    clock::duration calm_;
    clock::duration first_delay_;
    clock::duration cap_;
    std::unordered_map<std::string, pace> topics_;
};

} // namespace mdg::exchange
