#pragma once

#include <array>
#include <string_view>

#include "exchange/bybit/topic.hpp"
#include "gateway/gateway_view.hpp"
#include "metrics/registry.hpp"
#include "model/instrument.hpp"
#include "record/recording_writer.hpp"

namespace mdg::gateway {

/// The instruments the gateway updates as data flows, registered once by
/// `register_metrics`. The pointers point into the registry (outlives: these handles); the
/// instruments themselves are thread-safe.
struct gateway_metrics {
    /// `mdgate_ws_messages_total`, indexed by exchange::bybit::channel (the shard routers).
    std::array<metrics::counter*, exchange::bybit::channel_count> messages{};
    /// `mdgate_handle_duration_seconds`: read-to-applied time of each data item (the shards).
    metrics::histogram* handle = nullptr;
    /// `mdgate_exchange_latency_seconds`, indexed by dispatch::item_kind (every kind but
    /// stale): local receive time minus the venue's message time (the shards).
    std::array<metrics::histogram*, 5> latency{};
};

/// Registers the gateway's series in `reg`: the handles above, `mdgate_build_info{version}`
/// and the process metrics. Call once, at start() (metrics::registry throws on a clash).
[[nodiscard]] gateway_metrics register_metrics(metrics::registry& reg, model::category cat,
                                               std::string_view version);

/// `mdgate_callback_duration_seconds{consumer}`: the duration of one consumer's callbacks.
[[nodiscard]] metrics::histogram& callback_histogram(metrics::registry& reg,
                                                     std::string_view consumer);

/// Writes the series computed at scrape time from the parts' own counters (connections,
/// topics, books, queues, consumers, log lines). The gateway's registry collector; runs on
/// the I/O thread, where the connections' plain counters live.
void collect(metrics::family_writer& w, const gateway_view& v);

/// Writes the recorder's `mdgate_record_*` series (docs/metrics.md). Thread-safe: the stats
/// are atomics.
void collect_record(metrics::family_writer& w, const record::recorder_stats& s);

} // namespace mdg::gateway
