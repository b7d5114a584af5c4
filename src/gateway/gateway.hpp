#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "book/order_book.hpp"
#include "core/result.hpp"
#include "dispatch/consumer.hpp"
#include "exchange/bybit/plan.hpp"
#include "exchange/feed/connection.hpp"
#include "gateway/api_host.hpp"
#include "gateway/backfill.hpp"
#include "gateway/emergency_refresh.hpp"
#include "gateway/health.hpp"
#include "gateway/rest_poller.hpp"
#include "http/server.hpp"
#include "market/market_state.hpp"
#include "metrics/registry.hpp"
#include "net/connect_budget.hpp"
#include "net/rate_limiter.hpp"
#include "net/rest_client.hpp"
#include "net/rest_probe.hpp"
#include "record/recorder.hpp"

namespace mdg::gateway {

/// Everything the running gateway needs (the app builds it from the TOML config and the
/// command line).
struct gateway_options {
    model::category cat = model::category::linear;
    std::string ws_url;
    std::string ca_file;             ///< extra trusted certificate (tests, private venues)
    std::vector<std::string> topics; ///< Bybit topic strings, in subscription order
    exchange::bybit::plan_options plan;
    exchange::connection_options connection; ///< template: id, url, topics are filled per plan
    net::connect_budget::options budget;
    bool probe_enabled = true;
    net::probe_options probe; ///< `url` is the REST base URL
    /// The market-data REST client (`[rest]`, docs/rest.md): every market REST request goes
    /// through it and its one rate limiter. On when `enabled`, something needs it (the
    /// backfill, the polls, the refresh) and there is a REST URL (`client.url`, else `probe.url`).
    struct rest_settings {
        bool enabled = false;
        net::rest_client_options client; ///< `url` empty: probe.url
        net::rate_limiter::options limits;
    } rest;
    /// Polling of REST-only data (`[poll]`, docs/rest.md): off while every interval is 0;
    /// needs the REST client.
    poll_settings poll;
    /// The emergency refresh of stale books and tickers over REST (`[refresh]`, docs/rest.md):
    /// off while both thresholds are 0; needs the REST client.
    refresh_settings refresh;
    /// History at start (`[backfill]`, docs/rest.md); needs the REST client.
    struct history_settings {
        bool enabled = false;
        std::map<model::kline_interval, std::size_t> klines; ///< candles per interval
        std::size_t kline_default = 200;                     ///< intervals not in `klines`
        std::size_t open_interest = 288;                     ///< 5-minute buckets
        std::size_t trades = 1000;                           ///< recent trades
        std::chrono::milliseconds retry_base{2000};
        std::chrono::milliseconds retry_cap{300'000};
    } history;
    std::size_t shards = 2;
    std::size_t shard_queue = 8192;
    std::size_t shard_queue_bytes = std::size_t{2} << 20; ///< each shard's payload arena
    std::size_t consumer_threads = 4;
    /// Shard threads and one idle consumer-pool worker busy-wait this long for more work
    /// before they sleep (`[dispatch] spin_us`).
    std::chrono::nanoseconds spin = std::chrono::microseconds{50};
    std::chrono::milliseconds drain_timeout{5000};
    gateway::freshness freshness;
    bool http_enabled = true;
    http::server_options http;
    /// The data API and the stream on the HTTP listener (docs/api.md); needs http_enabled.
    api_options api;
    std::chrono::milliseconds summary_interval{60'000};
    /// The frame recorder (`[record]`, docs/recording.md); none when empty. start() fails
    /// (start_failure::config) when its directory cannot take a file.
    std::optional<record::recorder_options> record;
    std::string version;
    /// Extra observer of each data item's read-to-applied time, called on the shard threads
    /// after the metrics histogram (so: thread-safe, quick, never blocking). Optional; the
    /// benchmark (`mdgate bench`) records its percentiles with it.
    std::function<void(std::chrono::nanoseconds)> on_handled{};
};

/// A book as read from its shard (tests, the demo's truth comparison).
struct book_copy {
    book::book_state state = book::book_state::syncing;
    std::uint64_t update_id = 0;
    std::vector<model::level> bids; ///< best first
    std::vector<model::level> asks;
};

/// Headline figures (the demo's progress line, tests).
struct gateway_totals {
    std::size_t connections = 0;
    std::size_t connections_live = 0;
    std::array<std::size_t, book::book_state_count> books{}; ///< expected books by state
    std::uint64_t frames = 0;
    std::uint64_t data_messages = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t handler_timeouts = 0;
    std::uint64_t decode_errors = 0;
    std::uint64_t book_gaps = 0;    ///< gaps, crossed and invalid books
    std::uint64_t resubscribes = 0; ///< surgical resyncs sent
    std::uint64_t callback_timeouts = 0;
    std::uint64_t queue_drops = 0; ///< items lost: shard queue full, consumer drop_oldest
    std::uint64_t network_validation_failures = 0;
};

/// The running gateway: connections (net + exchange feed) on one I/O thread, state shards,
/// the consumer pool, metrics, the HTTP endpoints (/metrics, /healthz, /readyz, /v1/status),
/// the throughput summary line and the systemd notifications (docs/architecture.md).
///
/// Lifecycle: construct, add_consumer(), start(), ... , stop(). start() and stop() are called
/// from one controlling thread (main); the accessors marked thread-safe may be called from any
/// thread while it runs.
class gateway {
  public:
    explicit gateway(gateway_options opts);
    ~gateway(); ///< stop()
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;
    gateway(gateway&&) = delete;
    gateway& operator=(gateway&&) = delete;

    /// Registers a consumer (before start()).
    void add_consumer(std::shared_ptr<dispatch::consumer> c, dispatch::consumer_options opts);

    /// Why start() failed, for the exit code: a setting that can never work (bad topic, bad
    /// URL, unusable CA file: exit 2, systemd does not restart) or the machine as it is now
    /// (the HTTP port in use, its address not up yet: exit 1, systemd restarts).
    enum class start_failure : std::uint8_t { config, environment };

    /// Plans the connections, starts shards, consumers, the I/O thread and the HTTP server.
    /// An error (bad topic, bad URL, port in use) is one line in `error`, its kind in `kind`.
    [[nodiscard]] bool start(std::string& error, start_failure* kind = nullptr);
    /// Clean shutdown: stop the HTTP server and the connections (close frames), drain the
    /// shards, drain the consumers within drain_timeout, join. Nothing reconnects after.
    /// Returns false when a consumer had to be abandoned. Idempotent.
    bool stop();

    /// The HTTP port actually bound (0 when HTTP is off). Thread-safe after start().
    [[nodiscard]] std::uint16_t http_port() const noexcept;
    /// Connections planned (the expected count). Thread-safe after start().
    [[nodiscard]] std::size_t connection_count() const noexcept;

    /// Thread-safe (they run on the I/O thread and wait): the Prometheus text, the status
    /// JSON, and readiness with its reasons as JSON.
    [[nodiscard]] std::string metrics_text();
    [[nodiscard]] std::string status_json();
    [[nodiscard]] bool ready(std::string* reasons_json = nullptr);
    [[nodiscard]] gateway_totals totals();
    /// A copy of one book, read on its shard after everything queued so far. Thread-safe.
    [[nodiscard]] std::optional<book_copy> book(std::string_view symbol, std::uint16_t depth);

    [[nodiscard]] metrics::registry& metrics() noexcept;
    /// The data API's cache (readers: any thread, never blocking a shard); null when the API
    /// is off. Valid after start() until the gateway is destroyed.
    [[nodiscard]] const api::market_cache* market_cache() const noexcept;
    /// The instruments, read-only once start() has returned (consumers may keep a pointer).
    [[nodiscard]] const model::instrument_registry& instruments() const noexcept;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

} // namespace mdg::gateway
