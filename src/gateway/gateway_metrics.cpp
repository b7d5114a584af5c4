#include "gateway/gateway_metrics.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "gateway/detail/seconds.hpp"
#include "metrics/buckets.hpp"
#include "metrics/process_collector.hpp"
#include "net/ws_session.hpp"

namespace mdg::gateway {

namespace {

using steady = std::chrono::steady_clock;
using detail::seconds;

[[nodiscard]] std::string_view item_label(dispatch::item_kind k) noexcept {
    switch (k) {
    case dispatch::item_kind::book:
        return "orderbook";
    case dispatch::item_kind::ticker:
        return "tickers";
    case dispatch::item_kind::trades:
        return "publicTrade";
    case dispatch::item_kind::klines:
        return "kline";
    case dispatch::item_kind::liquidations:
        return "allLiquidation";
    case dispatch::item_kind::stale:
    case dispatch::item_kind::unusable:
    case dispatch::item_kind::kline_history:
    case dispatch::item_kind::open_interest_history:
    case dispatch::item_kind::trade_history:
    case dispatch::item_kind::rest_book:
    case dispatch::item_kind::rest_ticker:
        break;
    }
    return "other";
}

constexpr std::array<std::string_view, 5> state_names{"connecting", "subscribing", "live",
                                                      "backing_off", "stopped"};
constexpr std::array<std::string_view, 4> connect_steps{"dns", "connect", "tls", "handshake"};

// The connections' counters and states.
void collect_connections(metrics::family_writer& w, const gateway_view& v) {
    std::uint64_t bytes = 0;
    std::uint64_t handler_timeouts = 0;
    std::array<std::uint64_t, 4> step_failures{};
    std::uint64_t pong_timeouts = 0;
    std::map<std::string, std::uint64_t> decode;
    for (const auto& c : v.connections) {
        const auto& s = c.stats;
        bytes += s.bytes;
        handler_timeouts += s.handler_timeouts;
        pong_timeouts += s.pong_timeouts;
        for (std::size_t i = 0; i < step_failures.size(); ++i) {
            step_failures[i] += s.connect_failures_by_step[i];
        }
        for (const auto& [k, n] : s.decode_error_kinds) {
            decode[k] += n;
        }
    }
    w.begin("mdgate_ws_bytes_total", "Bytes of frames received from the venue",
            metrics::metric_type::counter);
    w.sample({{"venue", "bybit"}, {"category", std::string(model::to_string(v.cat))}},
             static_cast<double>(bytes));
    w.begin("mdgate_ws_binary_frames_total",
            "Binary WebSocket messages from the venue, dropped undecoded (Bybit sends only text); "
            "counted across the process",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(net::binary_frames_dropped()));
    w.begin("mdgate_handler_timeouts_total",
            "Stalls ([HANDLER_TIMEOUT]): no frame of any kind within the first deadline to fire "
            "(receive_timeout, or pong_timeout after a ping), one per stall",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(handler_timeouts));
    w.begin("mdgate_network_errors_total",
            "Network failures: connect steps, missed pongs (data still arriving) and failed "
            "connectivity probes",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < step_failures.size(); ++i) {
        w.sample({{"kind", std::string(connect_steps[i])}}, static_cast<double>(step_failures[i]));
    }
    w.sample({{"kind", "pong_timeout"}}, static_cast<double>(pong_timeouts));
    w.sample({{"kind", "probe"}}, static_cast<double>(v.network_validation_failures));
    w.begin("mdgate_decode_errors_total", "Frames that could not be decoded, by error kind",
            metrics::metric_type::counter);
    if (decode.empty()) {
        w.sample({{"kind", "none"}}, 0);
    }
    for (const auto& [k, n] : decode) {
        w.sample({{"kind", k}}, static_cast<double>(n));
    }

    w.begin("mdgate_reconnects_total", "Reconnections per connection",
            metrics::metric_type::counter);
    for (const auto& c : v.connections) {
        w.sample({{"connection", std::string(c.id)}}, static_cast<double>(c.stats.reconnects));
    }
    w.begin("mdgate_connection_up", "1 when the connection is live", metrics::metric_type::gauge);
    for (const auto& c : v.connections) {
        w.sample({{"connection", std::string(c.id)}},
                 c.state == exchange::connection_state::live ? 1.0 : 0.0);
    }
    w.begin("mdgate_connection_state", "1 for the connection's current state",
            metrics::metric_type::gauge);
    for (const auto& c : v.connections) {
        for (std::size_t s = 0; s < state_names.size(); ++s) {
            w.sample({{"connection", std::string(c.id)}, {"state", std::string(state_names[s])}},
                     static_cast<std::size_t>(c.state) == s ? 1.0 : 0.0);
        }
    }
    w.begin("mdgate_connections_expected", "Connections planned for the configured topics",
            metrics::metric_type::gauge);
    w.sample({}, static_cast<double>(v.connections.size()));
    w.begin("mdgate_subscriptions_rejected_total", "Topics the venue refused",
            metrics::metric_type::counter);
    std::uint64_t rejected = 0;
    for (const auto& c : v.connections) {
        rejected += c.stats.topics_rejected;
    }
    w.sample({}, static_cast<double>(rejected));
    std::uint64_t timeouts = 0;
    std::uint64_t retries = 0;
    std::uint64_t budget_waits = 0;
    std::chrono::milliseconds budget_wait{0};
    for (const auto& c : v.connections) {
        timeouts += c.stats.subscribe_timeouts;
        retries += c.stats.topic_retries;
        budget_waits += c.stats.budget_waits;
        budget_wait += c.stats.budget_wait;
    }
    w.begin("mdgate_subscription_retries_total",
            "Topics asked for again on a live connection: timeout (no answer to a "
            "(re)subscription within subscribe_timeout; for a book, no snapshot), refused (the "
            "venue refused it; asked again on its backoff)",
            metrics::metric_type::counter);
    w.sample({{"reason", "timeout"}}, static_cast<double>(timeouts));
    w.sample({{"reason", "refused"}}, static_cast<double>(retries));
    w.begin("mdgate_connect_budget_waits_total",
            "Connection attempts held back by the process-wide connect budget",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(budget_waits));
    w.begin("mdgate_connect_budget_wait_seconds_total",
            "Time connection attempts waited for the connect budget",
            metrics::metric_type::counter);
    w.sample({}, seconds(budget_wait));
    w.begin("mdgate_topic_last_message_age_seconds",
            "Seconds since the topic's last data frame (-1: none yet); one series per "
            "configured topic",
            metrics::metric_type::gauge);
    for (const auto& c : v.connections) {
        for (const auto& [t, info] : c.subscriptions.topics()) {
            w.sample({{"topic", t}}, info.last_data == steady::time_point{}
                                         ? -1.0
                                         : seconds(v.now - info.last_data));
        }
    }
}

// The shards' book counters.
void collect_books(metrics::family_writer& w, const gateway_view& v) {
    std::uint64_t gaps = 0;
    std::uint64_t crossed = 0;
    std::uint64_t resyncs = 0;
    std::array<std::uint64_t, book::book_state_count> books{};
    for (const auto& s : v.shards) {
        const auto& st = s->stats();
        gaps += st.gaps.load();
        crossed += st.crossed.load() + st.invalid.load();
        resyncs += st.resyncs.load();
        for (std::size_t i = 0; i < books.size(); ++i) {
            books[i] += st.books[i].load();
        }
    }
    w.begin("mdgate_book_gaps_total", "Book updates whose u did not follow the previous one",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(gaps));
    w.begin("mdgate_book_crossed_total", "Books found crossed or invalid after an update",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(crossed));
    w.begin("mdgate_book_resyncs_total", "Surgical resubscriptions of one book topic",
            metrics::metric_type::counter);
    w.sample({}, static_cast<double>(resyncs));
    w.begin("mdgate_books", "Expected order books by state", metrics::metric_type::gauge);
    for (std::size_t i = 0; i < books.size(); ++i) {
        w.sample({{"state", std::string(book::to_string(static_cast<book::book_state>(i)))}},
                 static_cast<double>(books[i]));
    }
}

// The shard and consumer queues, and the consumers.
void collect_queues(metrics::family_writer& w, const gateway_view& v) {
    const std::size_t consumers = v.pool != nullptr ? v.pool->size() : 0;
    const auto consumer_queue = [&](std::size_t i) {
        return "consumer_" + v.pool->consumer_opts(i).name;
    };
    w.begin("mdgate_queue_depth", "Items waiting in a queue", metrics::metric_type::gauge);
    for (std::size_t i = 0; i < v.shards.size(); ++i) {
        w.sample({{"queue", fmt::format("shard_{}", i)}},
                 static_cast<double>(v.shards[i]->queue_depth()));
    }
    for (std::size_t i = 0; i < consumers; ++i) {
        w.sample({{"queue", consumer_queue(i)}},
                 static_cast<double>(v.pool->stats(i).depth.load()));
    }
    w.begin("mdgate_queue_dropped_total",
            "Items a queue dropped (full) or replaced by a newer state (conflated)",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < v.shards.size(); ++i) {
        w.sample({{"queue", fmt::format("shard_{}", i)}, {"reason", "full"}},
                 static_cast<double>(v.shards[i]->stats().dropped_full.load()));
    }
    for (std::size_t i = 0; i < consumers; ++i) {
        const auto q = consumer_queue(i);
        w.sample({{"queue", q}, {"reason", "drop_oldest"}},
                 static_cast<double>(v.pool->stats(i).dropped_oldest.load()));
        w.sample({{"queue", q}, {"reason", "conflated"}},
                 static_cast<double>(v.pool->stats(i).conflated.load()));
    }
    w.begin("mdgate_callback_timeouts_total", "Consumer callbacks that overran their time budget",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < consumers; ++i) {
        w.sample({{"consumer", v.pool->consumer_opts(i).name}},
                 static_cast<double>(v.pool->stats(i).timeouts.load()));
    }
    w.begin("mdgate_consumer_events_total", "Events delivered to each consumer",
            metrics::metric_type::counter);
    for (std::size_t i = 0; i < consumers; ++i) {
        w.sample({{"consumer", v.pool->consumer_opts(i).name}},
                 static_cast<double>(v.pool->stats(i).delivered.load()));
    }
}

} // namespace

gateway_metrics register_metrics(metrics::registry& reg, model::category cat,
                                 std::string_view version) {
    gateway_metrics m;
    const metrics::labels base{{"venue", "bybit"},
                               {"category", std::string(model::to_string(cat))}};
    for (std::size_t c = 0; c < exchange::bybit::channel_count; ++c) {
        auto l = base;
        l.emplace_back("channel", std::string(exchange::bybit::to_string(
                                      static_cast<exchange::bybit::channel>(c))));
        m.messages[c] = &reg.counter("mdgate_ws_messages_total",
                                     "Data frames received from the venue, by channel", l);
    }
    m.handle = &reg.histogram("mdgate_handle_duration_seconds",
                              "Time from reading a frame to its state being applied",
                              metrics::latency_seconds_buckets);
    for (std::size_t k = 0; k < m.latency.size(); ++k) {
        m.latency[k] = &reg.histogram(
            "mdgate_exchange_latency_seconds",
            "Local receive time minus the venue's message time, by channel",
            metrics::latency_seconds_buckets,
            {{"channel", std::string(item_label(static_cast<dispatch::item_kind>(k)))}});
    }
    reg.gauge("mdgate_build_info", "Version of the running gateway",
              {{"version", std::string(version)}})
        .set(1);
    metrics::add_process_metrics(reg);
    return m;
}

metrics::histogram& callback_histogram(metrics::registry& reg, std::string_view consumer) {
    return reg.histogram("mdgate_callback_duration_seconds", "Duration of consumer callbacks",
                         metrics::callback_duration_seconds_buckets,
                         {{"consumer", std::string(consumer)}});
}

// The market REST client: requests and outcomes per path, rate-limiter waits, connections.
void collect_rest(metrics::family_writer& w, const net::rest_client& c) {
    const auto& paths = c.stats();
    w.begin("mdgate_rest_requests_total",
            "Market REST requests by path and outcome (ok, network, timeout, http_status, "
            "rate_limited, bad_body, venue_error, circuit_open, cancelled)",
            metrics::metric_type::counter);
    for (const auto& [path, s] : paths) {
        for (std::size_t o = 0; o < net::rest_outcome_count; ++o) {
            w.sample({{"path", path},
                      {"outcome", std::string{net::to_string(static_cast<net::rest_outcome>(o))}}},
                     s.outcomes[o]);
        }
    }
    w.begin("mdgate_rest_limiter_waits_total",
            "Market REST requests that waited for the rate limiter, by path",
            metrics::metric_type::counter);
    for (const auto& [path, s] : paths) {
        w.sample({{"path", path}}, s.limiter_waits);
    }
    w.begin("mdgate_rest_limiter_wait_seconds_total",
            "Time market REST requests waited for the rate limiter, by path",
            metrics::metric_type::counter);
    for (const auto& [path, s] : paths) {
        w.sample({{"path", path}}, seconds(s.limiter_wait));
    }
    w.begin("mdgate_rest_connections", "Market REST connections open now",
            metrics::metric_type::gauge);
    w.sample({}, c.open_connections());
    w.begin("mdgate_rest_connects_total",
            "Market REST connections made (a kept-alive connection is reused, not made again)",
            metrics::metric_type::counter);
    w.sample({}, c.connects());
}

// The history fetched at start.
void collect_backfill(metrics::family_writer& w, const backfill& b) {
    const auto t = b.totals();
    w.begin("mdgate_backfill_jobs", "Histories to fetch at start, by state (done, pending)",
            metrics::metric_type::gauge);
    w.sample({{"state", "done"}}, t.done);
    w.sample({{"state", "pending"}}, t.jobs - t.done);
    constexpr std::array kinds{backfill_job::kind::klines, backfill_job::kind::open_interest,
                               backfill_job::kind::trades};
    w.begin("mdgate_backfill_fetches_total",
            "Backfill fetches by kind (klines, open_interest, trades) and outcome (ok, failed); a "
            "failed "
            "one is tried again with backoff",
            metrics::metric_type::counter);
    for (const auto k : kinds) {
        const auto i = static_cast<std::size_t>(k);
        w.sample({{"kind", std::string{to_string(k)}}, {"outcome", "ok"}}, t.fetched[i]);
        w.sample({{"kind", std::string{to_string(k)}}, {"outcome", "failed"}}, t.failed[i]);
    }
    w.begin("mdgate_backfill_rows_total",
            "Candles, open-interest buckets and trades handed to the state by the backfill, by "
            "kind",
            metrics::metric_type::counter);
    for (const auto k : kinds) {
        w.sample({{"kind", std::string{to_string(k)}}}, t.rows[static_cast<std::size_t>(k)]);
    }
}

// The polls of REST-only data: outcomes per kind, and how old each kind's oldest answer is.
void collect_polls(metrics::family_writer& w, const rest_poller& p, steady::time_point now) {
    std::array<std::uint64_t, dispatch::venue_data_kinds> ok{};
    std::array<std::uint64_t, dispatch::venue_data_kinds> failed{};
    std::array<double, dispatch::venue_data_kinds> oldest{};
    std::array<bool, dispatch::venue_data_kinds> present{};
    for (const auto& s : p.jobs()) {
        const auto k = static_cast<std::size_t>(s.job.what);
        present[k] = true;
        ok[k] += s.ok;
        failed[k] += s.failed;
        // A job never answered counts from the start: its age grows until it answers.
        const double age = s.last_ok == steady::time_point{}
                               ? std::numeric_limits<double>::infinity()
                               : seconds(now - s.last_ok);
        oldest[k] = std::max(oldest[k], age);
    }
    w.begin("mdgate_rest_polls_total",
            "Polls of REST-only data by kind (funding_history, account_ratio, risk_limits) and "
            "outcome (ok, failed)",
            metrics::metric_type::counter);
    for (std::size_t k = 0; k < dispatch::venue_data_kinds; ++k) {
        if (present[k]) {
            const std::string kind{dispatch::to_string(static_cast<dispatch::venue_data::kind>(k))};
            w.sample({{"kind", kind}, {"outcome", "ok"}}, ok[k]);
            w.sample({{"kind", kind}, {"outcome", "failed"}}, failed[k]);
        }
    }
    w.begin("mdgate_rest_poll_age_seconds",
            "Age of the oldest answer of each polled kind over its symbols (+Inf until every "
            "symbol has one)",
            metrics::metric_type::gauge);
    for (std::size_t k = 0; k < dispatch::venue_data_kinds; ++k) {
        if (present[k]) {
            w.sample({{"kind", std::string{dispatch::to_string(
                                   static_cast<dispatch::venue_data::kind>(k))}}},
                     oldest[k]);
        }
    }
}

void collect(metrics::family_writer& w, const gateway_view& v) {
    collect_connections(w, v);
    collect_books(w, v);
    collect_queues(w, v);
    if (v.rest != nullptr) {
        collect_rest(w, *v.rest);
    }
    if (v.history != nullptr) {
        collect_backfill(w, *v.history);
    }
    if (v.polls != nullptr) {
        collect_polls(w, *v.polls, v.now);
    }
    if (v.refresh != nullptr) {
        const auto& c = v.refresh->counters();
        w.begin("mdgate_rest_refreshes_total",
                "Emergency refreshes of stale channels over REST by channel (orderbook, tickers) "
                "and outcome (ok; failed: the request or the answer; dropped: a full shard queue)",
                metrics::metric_type::counter);
        for (std::size_t i = 0; i < c.size(); ++i) {
            const std::string ch = i == 0 ? "orderbook" : "tickers";
            w.sample({{"channel", ch}, {"outcome", "ok"}}, c[i].ok);
            w.sample({{"channel", ch}, {"outcome", "failed"}}, c[i].failed);
            w.sample({{"channel", ch}, {"outcome", "dropped"}}, c[i].dropped);
        }
    }
    w.begin("mdgate_log_messages_total", "Log lines written, by level",
            metrics::metric_type::counter);
    for (const auto lvl : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                           spdlog::level::warn, spdlog::level::err, spdlog::level::critical}) {
        w.sample({{"level", std::string(spdlog::level::to_string_view(lvl).data(),
                                        spdlog::level::to_string_view(lvl).size())}},
                 static_cast<double>(core::log_messages(lvl)));
    }
}

} // namespace mdg::gateway

namespace mdg::gateway {

void collect_record(metrics::family_writer& w, const record::recorder_stats& s) {
    const auto counter = [&](std::string_view name, std::string_view help,
                             const std::atomic<std::uint64_t>& v) {
        w.begin(name, help, metrics::metric_type::counter);
        w.sample({}, v.load(std::memory_order_relaxed));
    };
    w.begin("mdgate_record_frames_total",
            "Frames written to the recording: received from the venue (in), requests sent (out)",
            metrics::metric_type::counter);
    w.sample({{"direction", "in"}}, s.frames_in.load(std::memory_order_relaxed));
    w.sample({{"direction", "out"}}, s.frames_out.load(std::memory_order_relaxed));
    counter("mdgate_record_records_total",
            "Records written to the recording (frames, requests, connection up/down)", s.records);
    counter("mdgate_record_input_bytes_total", "Bytes of recording lines before compression",
            s.input_bytes);
    counter("mdgate_record_bytes_written_total", "Bytes written to recording files",
            s.bytes_written);
    w.begin("mdgate_record_dropped_total",
            "Records lost: the recorder's queue was full (queue_full; ingest never waits) or no "
            "file was open after an I/O error (no_file)",
            metrics::metric_type::counter);
    w.sample({{"reason", "queue_full"}}, s.dropped_queue_full.load(std::memory_order_relaxed));
    w.sample({{"reason", "no_file"}}, s.dropped_no_file.load(std::memory_order_relaxed));
    counter("mdgate_record_files_total", "Recording files opened", s.files_opened);
    counter("mdgate_record_files_deleted_total",
            "Old recording files deleted by the retention bounds", s.files_deleted);
    counter("mdgate_record_errors_total", "Recording I/O failures: open, write, close, delete",
            s.errors);
    w.begin("mdgate_record_queue_bytes", "Bytes of records waiting for the recorder's writer",
            metrics::metric_type::gauge);
    w.sample({}, s.queue_bytes.load(std::memory_order_relaxed));
}

} // namespace mdg::gateway
