#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "api/catalog.hpp"
#include "api/data_routes.hpp"
#include "api/market_cache.hpp"
#include "api/stream.hpp"
#include "dispatch/consumer.hpp"
#include "gateway/gateway_view.hpp"
#include "gateway/health.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace mdg::gateway {

/// Options of the data API and the stream (`[api]`, docs/api.md).
struct api_options {
    bool enabled = true;
    /// Levels per side the API keeps of each book (capped by the deepest subscribed book).
    std::size_t book_levels = 1000;
    std::size_t queue_capacity = 65536; ///< the API consumer's event queue in the pool
    api::stream_options stream;
};

/// The API side of the gateway: its own thread (an io_context that runs the HTTP server, the
/// data API handlers and the stream's sockets, so that no request or subscriber ever runs on
/// the thread that reads the venue), the catalog of what is subscribed, the market cache (a
/// consumer of the pool) and the stream.
///
/// Lifecycle (the gateway's controlling thread): construct, consumer() into the pool,
/// register_routes() on the server made on executor(), start(), ..., stop() before the pool
/// stops. Owned by the gateway.
class api_host {
  public:
    /// `topics` are the venue's topic strings; instruments must be in `registry` already.
    api_host(api_options opts, model::category cat, std::span<const std::string> topics,
             const model::instrument_registry& registry, metrics::registry& reg);
    ~api_host(); ///< stop()
    api_host(const api_host&) = delete;
    api_host& operator=(const api_host&) = delete;
    api_host(api_host&&) = delete;
    api_host& operator=(api_host&&) = delete;

    /// The API thread's executor (the HTTP server runs on it).
    [[nodiscard]] boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

    /// The cache as a pool consumer, and its options (register it before the pool starts).
    [[nodiscard]] std::shared_ptr<dispatch::consumer> consumer() const { return cache_; }
    [[nodiscard]] dispatch::consumer_options consumer_options() const;

    /// Adds the data routes and /v1/stream to `server` (when enabled). `channels` computes the
    /// topics' status (it may block briefly: it runs on the API thread).
    void register_routes(http::server& server, api::channel_status_fn channels);

    /// Starts the API thread.
    void start();
    /// Closes the streams (1000 "shutdown"), gives them up to `grace` to go out, and joins the
    /// thread. Run `before_join` on the API thread first (the HTTP server's stop). Idempotent.
    void stop(std::chrono::milliseconds grace, const std::function<void()>& before_join = {});

    [[nodiscard]] const api::catalog& catalog() const noexcept { return catalog_; }
    [[nodiscard]] const api::market_cache& cache() const noexcept { return *cache_; }
    [[nodiscard]] std::size_t subscribers() const noexcept;

  private:
    api_options opts_;
    metrics::registry& reg_; // outlives: the host
    api::catalog catalog_;
    std::shared_ptr<api::market_cache> cache_;
    boost::asio::io_context ioc_{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::unique_ptr<api::stream> stream_;
    std::thread thread_;
    bool stopped_ = false;
};

/// The status of every configured topic for the data API (/v1/instruments, /v1/market): its
/// subscription, its age and its state (a book's state; other channels `stale` when their
/// connection is not live or their data is older than the channel's freshness threshold).
/// Runs on the I/O thread.
[[nodiscard]] std::vector<api::channel_status> channel_statuses(const gateway_view& v,
                                                                const freshness& f);

} // namespace mdg::gateway
