#pragma once

// The simulator for integration tests: a sim::server on a loopback port, run on its own thread
// until the harness is destroyed; and `eventually`, the polling wait those tests use.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "sim/server.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::test {

/// Polls `p` every 20 ms until it holds (true) or `limit` has passed (false). A liveness guard
/// for waits, never a measured threshold.
template <class Pred> bool eventually(Pred p, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!p()) {
        if (std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return true;
}

/// A simulator on 127.0.0.1 and an ephemeral port (`opts.port` is ignored), its io_context
/// run on its own thread. Destruction stops the server, lets its closes go out (300 ms), then
/// joins the thread. Declare it before anything that talks to it (a gateway), so that it is
/// destroyed after.
class sim_harness {
  public:
    explicit sim_harness(sim::server_options opts,
                         const core::clock& clock = core::default_clock()) {
        (void)spdlog::default_logger_raw(); // spdlog's lazy registry vs TSan (see FeedTest)
        opts.port = 0;
        server_ = std::make_unique<sim::server>(ioc_, std::move(opts), clock);
        server_->start();
        port_ = server_->port();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~sim_harness() {
        boost::asio::post(ioc_, [this] { server_->stop(); });
        auto guard =
            std::make_shared<boost::asio::steady_timer>(ioc_, std::chrono::milliseconds{300});
        guard->async_wait([this, guard](auto) { ioc_.stop(); });
        thread_.join();
    }
    sim_harness(const sim_harness&) = delete;
    sim_harness& operator=(const sim_harness&) = delete;
    sim_harness(sim_harness&&) = delete;
    sim_harness& operator=(sim_harness&&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// POST /sim/control; the HTTP status.
    unsigned control(const std::string& json) const {
        return http_request(port_, boost::beast::http::verb::post, "/sim/control", json).first;
    }

  private:
    boost::asio::io_context ioc_;
    std::unique_ptr<sim::server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

} // namespace mdg::test
