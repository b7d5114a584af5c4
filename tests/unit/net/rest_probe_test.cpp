#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "net/rest_probe.hpp"
#include "net/ws_session.hpp"
#include "support/local_server.hpp"

namespace mdg::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The example response of the Bybit docs ("Get Bybit Server Time").
constexpr std::string_view valid_body =
    R"({"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403",)"
    R"("timeNano":"1688639403423213947"},"retExtInfo":{},"time":1688639403423})";
constexpr std::int64_t valid_time_ms = 1688639403423;

// What the test server does with each request.
enum class reply {
    ok,             // 200 + valid body
    status_500,     // 500
    garbage,        // 200 + a body that is not JSON
    ret_code_error, // 200 + retCode 10006
    huge,           // 200 + a 64 KiB body
    silent,         // reads the request and never answers
    hang_up,        // reads the request and closes the connection
    fail_then_ok,   // 500 for the first `failures` requests, then ok
};

// A tiny HTTP(S) server on its own thread and an ephemeral loopback port; counts requests.
class test_server {
  public:
    explicit test_server(reply mode, std::size_t failures = 0, ssl::context* tls = nullptr)
        : mode_(mode), failures_(failures), tls_(tls) {
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~test_server() {
        ioc_.stop();
        thread_.join();
    }
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    [[nodiscard]] std::uint16_t port() const { return listener_.port(); }
    [[nodiscard]] std::string url() const { return fmt::format("http://127.0.0.1:{}", port()); }
    [[nodiscard]] std::size_t requests() const { return requests_.load(); }
    [[nodiscard]] std::string last_target() const {
        const std::lock_guard lock{mu_};
        return last_target_;
    }

  private:
    asio::awaitable<void> on_connection(tcp::socket socket) {
        if (tls_ != nullptr) {
            co_await serve_tls(std::move(socket));
        } else {
            co_await serve_plain(std::move(socket));
        }
    }

    asio::awaitable<void> serve_plain(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        co_await serve(stream);
    }

    asio::awaitable<void> serve_tls(tcp::socket socket) {
        ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (!ec) {
            co_await serve(stream);
        }
    }

    template <class Stream> asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        auto [rec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
        if (rec) {
            co_return;
        }
        const auto seen = ++requests_;
        {
            const std::lock_guard lock{mu_};
            last_target_ = std::string(req.target());
        }
        if (mode_ == reply::hang_up) {
            co_return;
        }
        if (mode_ == reply::silent) {
            co_await test::wait_forever(); // the connection stays open, never answered
            co_return;
        }
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        switch (mode_) {
        case reply::ok:
            res.body() = valid_body;
            break;
        case reply::status_500:
            res.result(http::status::internal_server_error);
            res.body() = "oops";
            break;
        case reply::garbage:
            res.body() = "<html>not json</html>";
            break;
        case reply::ret_code_error:
            res.body() = R"({"retCode":10006,"retMsg":"Too many visits!","result":{}})";
            break;
        case reply::huge:
            res.body() = std::string(64 * 1024, 'x');
            break;
        case reply::fail_then_ok:
            if (seen <= failures_) {
                res.result(http::status::internal_server_error);
            } else {
                res.body() = valid_body;
            }
            break;
        case reply::silent:
        case reply::hang_up:
            break;
        }
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, use_tuple);
    }

    reply mode_;
    std::size_t failures_;
    ssl::context* tls_; // outlives: the test
    asio::io_context ioc_;
    test::local_server listener_{ioc_.get_executor(), [this](tcp::socket s) {
                                     return on_connection(std::move(s));
                                 }};
    std::atomic<std::size_t> requests_{0};
    mutable std::mutex mu_;
    std::string last_target_;
    std::thread thread_;
};

// Captures every log line (level and text) of the default logger.
class capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    [[nodiscard]] std::size_t count(spdlog::level::level_enum level, std::string_view part = {}) {
        const std::lock_guard lock{mutex_};
        std::size_t n = 0;
        for (const auto& [l, text] : lines_) {
            if (l == level && text.find(part) != std::string::npos) {
                ++n;
            }
        }
        return n;
    }
    [[nodiscard]] std::vector<std::string> texts(spdlog::level::level_enum level) {
        const std::lock_guard lock{mutex_};
        std::vector<std::string> out;
        for (const auto& [l, text] : lines_) {
            if (l == level) {
                out.push_back(text);
            }
        }
        return out;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

  private:
    std::vector<std::pair<spdlog::level::level_enum, std::string>> lines_;
};

class ConnectivityProbeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        previous_ = spdlog::default_logger();
        sink_ = std::make_shared<capture_sink>();
        auto logger = std::make_shared<spdlog::logger>("probe-test", sink_);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(std::move(logger));
    }
    void TearDown() override { spdlog::set_default_logger(previous_); }

    // Short waits: the tests assert on counts and log lines, never on elapsed time.
    static probe_options options(std::string url) {
        probe_options o;
        o.url = std::move(url);
        o.retry_waits = {10ms, 20ms, 40ms};
        o.breaker = {1, std::chrono::hours{1}};
        return o;
    }

    std::unique_ptr<connectivity_probe> make_probe(probe_options o,
                                                   std::shared_ptr<ssl::context> tls = {}) {
        return std::make_unique<connectivity_probe>(ioc_.get_executor(), std::move(tls),
                                                    std::move(o));
    }

    // Starts `n` concurrent check() calls; their outcomes land in the returned slots.
    std::shared_ptr<std::vector<std::optional<probe_outcome>>> start_checks(connectivity_probe& p,
                                                                            std::size_t n) {
        auto out = std::make_shared<std::vector<std::optional<probe_outcome>>>(n);
        for (std::size_t i = 0; i < n; ++i) {
            asio::co_spawn(
                ioc_, [&p, out, i]() -> asio::awaitable<void> { (*out)[i] = co_await p.check(); },
                asio::detached);
        }
        return out;
    }

    // Runs the client io_context until it has no more work (the limit only guards a hang).
    void drain() {
        ioc_.restart();
        ioc_.run_for(60s);
        EXPECT_TRUE(ioc_.stopped()) << "the probe left work pending";
    }

    probe_outcome check_once(connectivity_probe& p) {
        auto out = start_checks(p, 1);
        drain();
        EXPECT_TRUE((*out)[0].has_value()) << "check() did not complete";
        return (*out)[0].value_or(probe_outcome{});
    }

    // Calls `act` once `ready` holds (polled on the client executor).
    void when(std::function<bool()> ready, std::function<void()> act) {
        asio::co_spawn(
            ioc_,
            [this, ready = std::move(ready), act = std::move(act)]() -> asio::awaitable<void> {
                asio::steady_timer t(ioc_);
                while (!ready()) {
                    t.expires_after(1ms);
                    co_await t.async_wait(use_tuple);
                }
                act();
            },
            asio::detached);
    }

    std::size_t errors() { return sink_->count(spdlog::level::err); }

    asio::io_context ioc_;
    std::shared_ptr<capture_sink> sink_;
    std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(ConnectivityProbeTest, ValidResponseIsOkWithServerTime) {
    test_server server(reply::ok);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(out.kind, probe_failure::none);
    EXPECT_EQ(out.attempts, 1U);
    EXPECT_EQ(out.server_time_ms, valid_time_ms);
    EXPECT_EQ(server.requests(), 1U);
    EXPECT_EQ(server.last_target(), "/v5/market/time");
    EXPECT_EQ(errors(), 0U);
    EXPECT_EQ(probe->stats().runs, 1U);
    EXPECT_EQ(probe->stats().attempts, 1U);
    EXPECT_EQ(probe->breaker_state(), circuit_breaker::state::closed);
}

TEST_F(ConnectivityProbeTest, PathPrefixOfTheUrlIsKept) {
    test_server server(reply::ok);
    auto probe = make_probe(options(server.url() + "/api/"));
    const auto out = check_once(*probe);
    EXPECT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(server.last_target(), "/api/v5/market/time");
}

TEST_F(ConnectivityProbeTest, RefusedPortFailsAfterThreeAttemptsWithOneError) {
    const auto port = test::refused_port();
    auto probe = make_probe(options(fmt::format("http://127.0.0.1:{}", port)));
    const auto out = check_once(*probe);
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.kind, probe_failure::connect);
    EXPECT_EQ(out.attempts, 3U);
    EXPECT_EQ(out.reason, fmt::format("connect to 127.0.0.1:{} refused (3 attempts)", port));
    ASSERT_EQ(errors(), 1U);
    EXPECT_EQ(sink_->texts(spdlog::level::err)[0],
              "Network connectivity validation failed: " + out.reason);
    EXPECT_EQ(sink_->count(spdlog::level::debug, "attempt"), 2U);
    EXPECT_EQ(probe->stats().attempts, 3U);
    EXPECT_EQ(probe->stats().attempt_failures, 3U);
    EXPECT_EQ(probe->stats().validation_failures, 1U);
    EXPECT_EQ(probe->breaker_state(), circuit_breaker::state::open);
    EXPECT_EQ(sink_->count(spdlog::level::warn, "circuit breaker open"), 1U);
}

TEST_F(ConnectivityProbeTest, ServerErrorIsHttpStatus) {
    test_server server(reply::status_500);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::http_status);
    EXPECT_NE(out.reason.find("HTTP 500"), std::string::npos) << out.reason;
    EXPECT_EQ(server.requests(), 3U);
    EXPECT_EQ(errors(), 1U);
}

TEST_F(ConnectivityProbeTest, GarbageBodyIsBadBody) {
    test_server server(reply::garbage);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::bad_body);
    EXPECT_NE(out.reason.find("not JSON"), std::string::npos) << out.reason;
}

TEST_F(ConnectivityProbeTest, NonZeroRetCodeIsBadBody) {
    test_server server(reply::ret_code_error);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::bad_body);
    EXPECT_NE(out.reason.find("retCode 10006 (retMsg 'Too many visits!')"), std::string::npos)
        << out.reason;
}

TEST_F(ConnectivityProbeTest, OversizedResponseIsBadBody) {
    test_server server(reply::huge);
    auto o = options(server.url());
    o.max_response_bytes = 4096;
    auto probe = make_probe(std::move(o));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::bad_body);
    EXPECT_NE(out.reason.find("larger than 4096 bytes"), std::string::npos) << out.reason;
}

TEST_F(ConnectivityProbeTest, SilentServerTimesOut) {
    test_server server(reply::silent);
    auto o = options(server.url());
    o.total_timeout = 50ms;
    auto probe = make_probe(std::move(o));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::timeout);
    // The first attempt uses up the run's whole total_timeout: no attempt after it.
    EXPECT_EQ(out.attempts, 1U);
    EXPECT_EQ(server.requests(), 1U);
    EXPECT_NE(out.reason.find("timed out"), std::string::npos) << out.reason;
    EXPECT_EQ(errors(), 1U);
}

// total_timeout bounds the whole run (attempts and the waits between them), not each attempt:
// with room for about two 150 ms attempts out of 6, the run ends out of time after fewer.
TEST_F(ConnectivityProbeTest, TotalTimeoutBoundsTheWholeRunNotEachAttempt) {
    test_server server(reply::hang_up); // every attempt fails at once, no deadline involved
    auto o = options(server.url());
    o.attempts = 6;
    o.retry_waits = {150ms};
    o.total_timeout = 400ms;
    auto probe = make_probe(std::move(o));
    const auto out = check_once(*probe);
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.kind, probe_failure::timeout);
    EXPECT_GE(out.attempts, 1U);
    EXPECT_LT(out.attempts, 6U) << out.reason;
    EXPECT_EQ(server.requests(), out.attempts);
    EXPECT_NE(out.reason.find("total timeout of 400 ms ran out"), std::string::npos) << out.reason;
    EXPECT_EQ(errors(), 1U);
    EXPECT_EQ(probe->stats().validation_failures, 1U);
}

TEST_F(ConnectivityProbeTest, HangUpBeforeResponseIsConnect) {
    test_server server(reply::hang_up);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::connect);
    EXPECT_NE(out.reason.find("before a full response"), std::string::npos) << out.reason;
}

TEST_F(ConnectivityProbeTest, SucceedsOnThirdAttemptWithoutError) {
    test_server server(reply::fail_then_ok, 2);
    auto probe = make_probe(options(server.url()));
    const auto out = check_once(*probe);
    EXPECT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(out.attempts, 3U);
    EXPECT_EQ(out.server_time_ms, valid_time_ms);
    EXPECT_EQ(errors(), 0U);
    EXPECT_EQ(sink_->count(spdlog::level::debug, "attempt"), 2U);
    EXPECT_EQ(probe->stats().attempt_failures, 2U);
    EXPECT_EQ(probe->stats().validation_failures, 0U);
}

TEST_F(ConnectivityProbeTest, ConcurrentChecksShareOneRun) {
    test_server server(reply::ok);
    auto probe = make_probe(options(server.url()));
    auto outs = start_checks(*probe, 5);
    drain();
    EXPECT_EQ(server.requests(), 1U);
    EXPECT_EQ(probe->stats().runs, 1U);
    EXPECT_EQ(probe->stats().shared_waits, 4U);
    for (const auto& o : *outs) {
        ASSERT_TRUE(o.has_value());
        EXPECT_TRUE(o->ok);
        EXPECT_EQ(o->attempts, 1U);
        EXPECT_EQ(o->server_time_ms, valid_time_ms);
    }
}

TEST_F(ConnectivityProbeTest, ConcurrentFailingChecksLogOneError) {
    const auto port = test::refused_port();
    auto probe = make_probe(options(fmt::format("http://127.0.0.1:{}", port)));
    auto outs = start_checks(*probe, 5);
    drain();
    EXPECT_EQ(probe->stats().runs, 1U);
    EXPECT_EQ(probe->stats().attempts, 3U);
    EXPECT_EQ(errors(), 1U);
    for (const auto& o : *outs) {
        ASSERT_TRUE(o.has_value());
        EXPECT_EQ(o->kind, probe_failure::connect);
        EXPECT_EQ(o->reason, (*outs)[0]->reason);
    }
}

TEST_F(ConnectivityProbeTest, OpenBreakerRefusesWithoutNetwork) {
    test_server server(reply::status_500);
    auto probe = make_probe(options(server.url()));
    EXPECT_EQ(check_once(*probe).kind, probe_failure::http_status);
    EXPECT_EQ(server.requests(), 3U);
    for (int i = 0; i < 3; ++i) {
        const auto out = check_once(*probe);
        EXPECT_EQ(out.kind, probe_failure::circuit_open);
        EXPECT_EQ(out.attempts, 0U);
    }
    EXPECT_EQ(server.requests(), 3U);
    EXPECT_EQ(probe->stats().breaker_refusals, 3U);
    EXPECT_EQ(probe->stats().runs, 1U);
    EXPECT_EQ(errors(), 1U);
    EXPECT_EQ(sink_->count(spdlog::level::warn, "circuit breaker open"), 1U);
}

TEST_F(ConnectivityProbeTest, BreakerLetsTrialThroughAfterCooldownAndCloses) {
    test_server server(reply::fail_then_ok, 3);
    auto o = options(server.url());
    o.breaker.cooldown = 0ms; // the cooldown is over at once: the next check is the trial
    auto probe = make_probe(std::move(o));
    EXPECT_EQ(check_once(*probe).kind, probe_failure::http_status);
    EXPECT_EQ(probe->breaker_state(), circuit_breaker::state::open);
    const auto out = check_once(*probe);
    EXPECT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(probe->breaker_state(), circuit_breaker::state::closed);
    EXPECT_EQ(sink_->count(spdlog::level::info, "circuit breaker closed"), 1U);
}

TEST_F(ConnectivityProbeTest, UnresolvableHostIsDns) {
    auto probe = make_probe(options("http://nonexistent.invalid"));
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::dns);
    EXPECT_NE(out.reason.find("resolve nonexistent.invalid"), std::string::npos) << out.reason;
    EXPECT_EQ(errors(), 1U);
}

TEST_F(ConnectivityProbeTest, StopDuringRunCancelsEveryCaller) {
    test_server server(reply::silent);
    auto o = options(server.url());
    o.total_timeout = 1h; // only stop() ends this run
    auto probe = make_probe(std::move(o));
    auto outs = start_checks(*probe, 3);
    when([&] { return server.requests() == 1; }, [&] { probe->stop(); });
    drain();
    for (const auto& out : *outs) {
        ASSERT_TRUE(out.has_value());
        EXPECT_EQ(out->kind, probe_failure::cancelled);
    }
    EXPECT_EQ(errors(), 0U);
    EXPECT_EQ(probe->stats().validation_failures, 0U);
    // Later checks are refused at once.
    EXPECT_EQ(check_once(*probe).kind, probe_failure::cancelled);
    EXPECT_EQ(server.requests(), 1U);
}

TEST_F(ConnectivityProbeTest, StopDuringRetryWaitCancels) {
    const auto port = test::refused_port();
    auto o = options(fmt::format("http://127.0.0.1:{}", port));
    o.retry_waits = {1h}; // only stop() ends the wait
    o.total_timeout = 2h; // which must fit in the run's total timeout
    auto probe = make_probe(std::move(o));
    auto outs = start_checks(*probe, 1);
    when([&] { return probe->stats().attempt_failures == 1; }, [&] { probe->stop(); });
    drain();
    ASSERT_TRUE((*outs)[0].has_value());
    EXPECT_EQ((*outs)[0]->kind, probe_failure::cancelled);
    EXPECT_EQ((*outs)[0]->attempts, 1U);
    EXPECT_EQ(errors(), 0U);
}

TEST_F(ConnectivityProbeTest, DestroyingTheProbeWhileCallersWaitIsSafe) {
    test_server server(reply::silent);
    auto o = options(server.url());
    o.total_timeout = 1h;
    auto probe = make_probe(std::move(o));
    auto outs = start_checks(*probe, 2);
    when([&] { return server.requests() == 1; }, [&] { probe.reset(); });
    drain();
    for (const auto& out : *outs) {
        ASSERT_TRUE(out.has_value());
        EXPECT_EQ(out->kind, probe_failure::cancelled);
    }
    EXPECT_EQ(errors(), 0U);
}

TEST_F(ConnectivityProbeTest, CancelledCallerStopsWaitingAloneWhileTheRunGoesOn) {
    test_server server(reply::ok);
    auto probe = make_probe(options(server.url()));
    auto others = start_checks(*probe, 1);
    asio::cancellation_signal signal;
    std::optional<probe_outcome> cancelled;
    asio::co_spawn(
        ioc_, [&]() -> asio::awaitable<void> { cancelled = co_await probe->check(); },
        asio::bind_cancellation_slot(signal.slot(), asio::detached));
    asio::post(ioc_, [&] { signal.emit(asio::cancellation_type::terminal); });
    drain();
    ASSERT_TRUE(cancelled.has_value());
    EXPECT_EQ(cancelled->kind, probe_failure::cancelled);
    ASSERT_TRUE((*others)[0].has_value());
    EXPECT_TRUE((*others)[0]->ok);
}

TEST(ConnectivityProbeOptionsTest, RejectsBadUrls) {
    asio::io_context ioc;
    for (const char* bad : {"ftp://x", "api.bybit.com", "http://", "http://h:123456",
                            "https://h/?q=1", "ws://h:1", "http://u@h:1"}) {
        probe_options o;
        o.url = bad;
        EXPECT_THROW(connectivity_probe(ioc.get_executor(), nullptr, o), std::invalid_argument)
            << bad;
    }
}

TEST(ConnectivityProbeOptionsTest, FailureKindsHaveNames) {
    EXPECT_EQ(to_string(probe_failure::circuit_open), "circuit_open");
    EXPECT_EQ(to_string(probe_failure::bad_body), "bad_body");
    EXPECT_EQ(to_string(probe_failure::cancelled), "cancelled");
}

class ConnectivityProbeTlsTest : public ConnectivityProbeTest {
  protected:
    void SetUp() override {
        ConnectivityProbeTest::SetUp();
        cert_.use_in(server_ctx_);
    }
    test::self_signed_cert cert_{"probe-tls"};
    ssl::context server_ctx_{ssl::context::tls_server};
};

TEST_F(ConnectivityProbeTlsTest, VerifiedHttpsIsOk) {
    test_server server(reply::ok, 0, &server_ctx_);
    auto probe = make_probe(options(fmt::format("https://localhost:{}", server.port())),
                            make_client_tls_context(cert_.cert_file()));
    const auto out = check_once(*probe);
    EXPECT_TRUE(out.ok) << out.reason;
    EXPECT_EQ(out.server_time_ms, valid_time_ms);
}

TEST_F(ConnectivityProbeTlsTest, UntrustedCertificateIsTls) {
    test_server server(reply::ok, 0, &server_ctx_);
    auto probe = make_probe(options(fmt::format("https://localhost:{}", server.port())),
                            make_client_tls_context());
    const auto out = check_once(*probe);
    EXPECT_EQ(out.kind, probe_failure::tls);
    EXPECT_NE(out.reason.find("TLS handshake"), std::string::npos) << out.reason;
    EXPECT_EQ(server.requests(), 0U);
}

} // namespace
} // namespace mdg::net
