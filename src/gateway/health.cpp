#include "gateway/health.hpp"

#include <string_view>

#include <fmt/format.h>

#include "core/json_writer.hpp"
#include "gateway/detail/seconds.hpp"

namespace mdg::gateway {

namespace {

using steady = std::chrono::steady_clock;
using core::json_writer;
using detail::seconds;
using exchange::bybit::channel;

// The book behind an orderbook topic, or null (an unknown symbol, a book not declared).
[[nodiscard]] const dispatch::book_status* book_of(const gateway_view& v,
                                                   const exchange::bybit::topic& t) {
    auto inst = v.registry.find(model::venue::bybit, v.cat, t.symbol);
    return inst ? book_status_of(v.shards, *inst, t.depth) : nullptr;
}

} // namespace

std::chrono::milliseconds threshold(const freshness& f, channel c) noexcept {
    switch (c) {
    case channel::orderbook:
        return f.orderbook;
    case channel::tickers:
        return f.tickers;
    case channel::kline:
        return f.kline;
    case channel::public_trade:
        return f.trades;
    case channel::all_liquidation:
    case channel::liquidation:
        return f.liquidations;
    }
    return std::chrono::milliseconds{0};
}

const dispatch::book_status*
book_status_of(std::span<const std::unique_ptr<dispatch::shard>> shards, model::instrument_id id,
               std::uint16_t depth) noexcept {
    for (const auto& st : shards[id.value % shards.size()]->books()) {
        if (st->instrument == id && st->depth == depth) {
            return st.get();
        }
    }
    return nullptr;
}

bool readiness(const gateway_view& v, const freshness& f, std::string* reasons) {
    json_writer j;
    j.begin_array();
    std::size_t bad = 0;
    auto fail = [&](std::string_view topic, std::string_view conn, const std::string& text) {
        ++bad;
        if (reasons != nullptr && bad <= 100) {
            j.begin_object();
            j.field("topic", topic);
            j.field("connection", conn);
            j.field("reason", text);
            j.end_object();
        }
    };
    if (!v.running) {
        fail("", "", "the gateway is not running");
    }
    for (const auto& c : v.connections) {
        const bool live = c.state == exchange::connection_state::live;
        for (const auto& [t, info] : c.subscriptions.topics()) {
            auto parsed = exchange::bybit::parse_topic(t);
            if (!parsed) {
                continue;
            }
            if (info.state == exchange::topic_state::failed) {
                fail(t, c.id,
                     info.retry_at == steady::time_point{}
                         ? fmt::format("rejected by the venue: {}", info.reason)
                         : fmt::format("rejected by the venue: {}; asked again in {:.1f} s "
                                       "(refusal {} in a row)",
                                       info.reason, std::max(0.0, seconds(info.retry_at - v.now)),
                                       info.refusals));
                continue;
            }
            if (!live) {
                fail(t, c.id, fmt::format("connection {}", to_string(c.state)));
                continue;
            }
            if (info.state != exchange::topic_state::active) {
                fail(t, c.id, "subscription not confirmed");
                continue;
            }
            const auto limit = threshold(f, parsed->ch);
            if (limit.count() > 0) {
                if (info.last_data == steady::time_point{}) {
                    fail(t, c.id, "no data yet");
                    continue;
                }
                if (v.now - info.last_data > limit) {
                    fail(t, c.id,
                         fmt::format("stale: no data for {:.1f} s (threshold {:.1f} s)",
                                     seconds(v.now - info.last_data), seconds(limit)));
                    continue;
                }
            }
            if (parsed->ch == channel::orderbook) {
                const auto* st = book_of(v, *parsed);
                const auto bs = st != nullptr ? static_cast<book::book_state>(st->state.load())
                                              : book::book_state::syncing;
                if (bs != book::book_state::live) {
                    fail(t, c.id, fmt::format("book {}", book::to_string(bs)));
                }
            }
        }
    }
    j.end_array();
    if (reasons != nullptr) {
        *reasons = fmt::format(R"({{"ready":{},"not_ready_topics":{},"reasons":{}}})",
                               bad == 0 ? "true" : "false", bad, j.str());
    }
    return bad == 0;
}

namespace {
// "backfill": its totals, and each job not done yet with why and when it is tried again.
void write_backfill(json_writer& j, const backfill& b, const model::instrument_registry& reg,
                    steady::time_point now) {
    const auto t = b.totals();
    j.key("backfill");
    j.begin_object();
    j.field("jobs", t.jobs);
    j.field("done", t.done);
    j.field("complete", b.complete());
    j.field("candles", t.rows[0]);
    j.field("open_interest_buckets", t.rows[1]);
    j.field("trades", t.rows[2]);
    j.key("pending");
    j.begin_array();
    for (const auto& s : b.jobs()) {
        if (s.done) {
            continue;
        }
        j.begin_object();
        j.field("kind", to_string(s.job.what));
        j.field("symbol", reg.info(s.job.instrument).symbol);
        if (s.job.what == backfill_job::kind::klines) {
            j.field("interval", model::to_string(s.job.interval));
        }
        j.field("attempts", s.attempts);
        j.field("failures", s.failures);
        if (!s.last_error.empty()) {
            j.field("last_error", s.last_error);
        }
        if (s.retry_at != steady::time_point{}) {
            j.field("retry_in_seconds", std::max(0.0, seconds(s.retry_at - now)));
        }
        j.end_object();
    }
    j.end_array();
    j.end_object();
}
// "polls": per kind, the jobs, how many are failing now and the oldest answer's age; and each
// failing job with its error.
void write_polls(json_writer& j, const rest_poller& p, const model::instrument_registry& reg,
                 steady::time_point now) {
    j.key("polls");
    j.begin_object();
    for (std::size_t k = 0; k < dispatch::venue_data_kinds; ++k) {
        const auto what = static_cast<dispatch::venue_data::kind>(k);
        std::size_t jobs = 0;
        std::size_t failing = 0;
        double oldest = -1; // -1: some job has no answer yet, or no job
        bool all_answered = true;
        for (const auto& s : p.jobs()) {
            if (s.job.what != what) {
                continue;
            }
            ++jobs;
            failing += s.failing > 0 ? 1U : 0U;
            if (s.last_ok == steady::time_point{}) {
                all_answered = false;
            } else {
                oldest = std::max(oldest, seconds(now - s.last_ok));
            }
        }
        if (jobs == 0) {
            continue;
        }
        j.key(dispatch::to_string(what));
        j.begin_object();
        j.field("jobs", jobs);
        j.field("failing", failing);
        j.field("oldest_age_seconds", all_answered ? oldest : -1.0);
        j.end_object();
    }
    j.key("failing");
    j.begin_array();
    for (const auto& s : p.jobs()) {
        if (s.failing == 0) {
            continue;
        }
        j.begin_object();
        j.field("kind", dispatch::to_string(s.job.what));
        j.field("symbol", reg.info(s.job.instrument).symbol);
        j.field("failures", s.failing);
        j.field("last_error", s.last_error);
        j.end_object();
    }
    j.end_array();
    j.end_object();
}

} // namespace

std::string status_document(const gateway_view& v, const freshness& f) {
    json_writer j;
    j.begin_object();
    j.field("version", v.version);
    j.field("venue", "bybit");
    j.field("category", model::to_string(v.cat));
    j.field("started_at_unix_ms", v.started_wall.millis());
    j.field("uptime_seconds", seconds(v.now - v.started_at));
    std::size_t live = 0;
    for (const auto& c : v.connections) {
        live += c.state == exchange::connection_state::live ? 1U : 0U;
    }
    j.field("total_connections", v.connections.size()); // expected, not merely the open ones
    j.field("live_connections", live);
    j.field("ready", readiness(v, f, nullptr));
    auto age = [&](steady::time_point t) {
        return t == steady::time_point{} ? -1.0 : seconds(v.now - t);
    };
    j.key("connections");
    j.begin_array();
    std::uint64_t frames = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t decode_errors = 0;
    for (const auto& c : v.connections) {
        const auto& s = c.stats;
        frames += s.frames;
        reconnects += s.reconnects;
        timeouts += s.handler_timeouts;
        decode_errors += s.decode_errors;
        j.begin_object();
        j.field("id", c.id);
        j.field("state", to_string(c.state));
        j.field("url", c.url);
        j.field("topics", c.subscriptions.topics().size());
        j.field("last_message_age_seconds", age(c.last_rx));
        j.field("last_pong_age_seconds", age(c.last_pong));
        j.field("frames", s.frames);
        j.field("reconnects", s.reconnects);
        j.field("connect_failures", s.connect_failures);
        j.field("handler_timeouts", s.handler_timeouts);
        j.field("decode_errors", s.decode_errors);
        j.field("topics_rejected", s.topics_rejected);
        j.end_object();
    }
    j.end_array();
    j.key("topics");
    j.begin_array();
    for (const auto& c : v.connections) {
        for (const auto& [t, info] : c.subscriptions.topics()) {
            j.begin_object();
            j.field("topic", t);
            j.field("connection", c.id);
            j.field("state", exchange::to_string(info.state));
            if (!info.reason.empty()) {
                j.field("reason", info.reason);
            }
            if (info.refusals > 0) {
                j.field("refusals", info.refusals);
            }
            if (info.state == exchange::topic_state::failed &&
                info.retry_at != steady::time_point{}) {
                j.field("retry_in_seconds", std::max(0.0, seconds(info.retry_at - v.now)));
            }
            j.field("age_seconds", age(info.last_data));
            j.field("messages", info.messages);
            auto parsed = exchange::bybit::parse_topic(t);
            if (parsed && parsed->ch == channel::orderbook) {
                if (const auto* st = book_of(v, *parsed)) {
                    j.field("book_state",
                            book::to_string(static_cast<book::book_state>(st->state.load())));
                    j.field("update_id", st->update_id.load());
                }
            }
            j.end_object();
        }
    }
    j.end_array();
    std::uint64_t callback_timeouts = 0;
    std::uint64_t dropped = 0;
    for (std::size_t i = 0; v.pool != nullptr && i < v.pool->size(); ++i) {
        callback_timeouts += v.pool->stats(i).timeouts.load();
        dropped += v.pool->stats(i).dropped_oldest.load();
    }
    std::uint64_t gaps = 0;
    for (const auto& s : v.shards) {
        gaps += s->stats().gaps.load();
        dropped += s->stats().dropped_full.load();
    }
    j.key("totals");
    j.begin_object();
    j.field("frames", frames);
    j.field("data_messages", v.data_frames);
    j.field("reconnects", reconnects);
    j.field("handler_timeouts", timeouts);
    j.field("decode_errors", decode_errors);
    j.field("book_gaps", gaps);
    j.field("callback_timeouts", callback_timeouts);
    j.field("queue_drops", dropped);
    j.field("network_validation_failures", v.network_validation_failures);
    j.end_object();
    if (v.history != nullptr) {
        write_backfill(j, *v.history, v.registry, v.now);
    }
    if (v.polls != nullptr) {
        write_polls(j, *v.polls, v.registry, v.now);
    }
    if (v.refresh != nullptr) {
        // The emergency refresh's counts per channel.
        j.key("refresh");
        j.begin_object();
        const auto& c = v.refresh->counters();
        for (std::size_t i = 0; i < c.size(); ++i) {
            j.key(i == 0 ? "orderbook" : "tickers");
            j.begin_object();
            j.field("started", c[i].started);
            j.field("ok", c[i].ok);
            j.field("failed", c[i].failed);
            j.field("dropped", c[i].dropped);
            j.end_object();
        }
        j.field("in_flight", v.refresh->in_flight());
        j.end_object();
    }
    j.end_object();
    return j.str();
}

} // namespace mdg::gateway
