#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "exchange/bybit/topic.hpp"
#include "exchange/feed/connection.hpp"
#include "gateway/market_sink.hpp"
#include "market/market_state.hpp"
#include "model/fixed_point.hpp"
#include "sim/server.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::exchange {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;

class FeedTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // spdlog creates its registry lazily inside the (uninstrumented) shared library: make it
        // exist before a second thread logs, or ThreadSanitizer reports that first use.
        (void)spdlog::default_logger_raw();
        sim::server_options opts;
        opts.port = 0;
        opts.symbols = {{"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}};
        server_ = std::make_unique<sim::server>(sim_ioc_, opts);
        server_->start();
        port_ = server_->port();
        thread_ = std::thread([this] { sim_ioc_.run(); });
    }
    void TearDown() override {
        asio::post(sim_ioc_, [this] { server_->stop(); });
        auto guard = std::make_shared<asio::steady_timer>(sim_ioc_, 300ms);
        guard->async_wait([this, guard](auto) { sim_ioc_.stop(); });
        thread_.join();
    }
    unsigned control(const std::string& json) {
        return test::http_request(port_, http::verb::post, "/sim/control", json).first;
    }
    template <class Pred> bool run_until(Pred pred, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            ioc_.run_one_for(20ms);
        }
        return true;
    }
    connection_options options(std::vector<std::string> topics) {
        connection_options o;
        o.url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", port_);
        o.topics = std::move(topics);
        o.receive_timeout = 1000ms;
        o.ping_interval = 200ms;
        o.pong_timeout = 1000ms;
        o.backoff = {100ms, 1000ms, 30'000ms};
        o.seed = 7;
        return o;
    }
    static bool books_live(const gateway::market_sink& h) { return h.all_books_live(); }
    void expect_equals_truth(const gateway::market_sink& h, std::string_view symbol,
                             std::uint16_t depth) {
        const auto* e = h.book(symbol, depth);
        ASSERT_NE(e, nullptr);
        auto [status, body] = test::http_request(
            port_, http::verb::get,
            fmt::format("/sim/truth/book?category=linear&topic=orderbook.{}.{}", depth, symbol));
        ASSERT_EQ(status, 200U);
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS);
        std::uint64_t u = 0;
        ASSERT_EQ(doc["u"].get(u), simdjson::SUCCESS);
        EXPECT_EQ(e->book.update_id(), u) << symbol;
        EXPECT_EQ(e->book.state(), book::book_state::live);
        simdjson::dom::array bids;
        ASSERT_EQ(doc["bids"].get(bids), simdjson::SUCCESS);
        ASSERT_EQ(bids.size(), e->book.bid_count());
        std::size_t i = 0;
        for (auto l : bids) {
            std::string_view px;
            ASSERT_EQ(l.at(0).get(px), simdjson::SUCCESS);
            EXPECT_EQ(e->book.bid(i).px.raw, *model::parse_fixed(px, 8, false)) << i;
            ++i;
        }
    }

    asio::io_context sim_ioc_;
    std::unique_ptr<sim::server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    asio::io_context ioc_; // the gateway side, driven by the test thread
};

TEST_F(FeedTest, SurvivesTheFaultCatalogueAndEndsEqualToTheTruth) {
    model::instrument_registry registry;
    gateway::market_sink handler{registry, model::category::linear};
    net::connect_budget budget{{}};
    connection conn{ioc_.get_executor(),
                    nullptr,
                    budget,
                    registry,
                    handler,
                    options({"orderbook.50.BTCUSDT", "orderbook.200.ETHUSDT", "tickers.BTCUSDT"})};
    asio::co_spawn(ioc_, conn.run(), asio::detached);
    ASSERT_TRUE(run_until(
        [&] { return conn.state() == connection_state::live && books_live(handler); }, 10s));
    EXPECT_EQ(conn.subscriptions().count(topic_state::active), 3U);

    // An abrupt reset: reconnect, resubscribe, fresh snapshots.
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(
        run_until([&] { return conn.stats().reconnects >= 1 && books_live(handler); }, 10s));

    // A skipped update id: only that topic is resubscribed, the connection stays.
    const auto reconnects = conn.stats().reconnects;
    ASSERT_EQ(control(R"({"action":"skip_update","topic":"orderbook.50.BTCUSDT"})"), 200U);
    ASSERT_TRUE(
        run_until([&] { return conn.stats().resubscribes >= 1 && books_live(handler); }, 10s));
    EXPECT_EQ(conn.stats().reconnects, reconnects);

    // A crossed book: the same surgical resync.
    ASSERT_EQ(control(R"({"action":"crossed","topic":"orderbook.200.ETHUSDT"})"), 200U);
    ASSERT_TRUE(
        run_until([&] { return conn.stats().resubscribes >= 2 && books_live(handler); }, 10s));

    // A stall: the receive watchdog fires once and the connection is replaced.
    ASSERT_EQ(control(R"({"action":"stall","seconds":3})"), 200U);
    ASSERT_TRUE(run_until([&] { return conn.stats().handler_timeouts >= 1; }, 10s));
    ASSERT_TRUE(run_until(
        [&] { return conn.state() == connection_state::live && books_live(handler); }, 10s));

    // A venue restart: u=1 snapshots reset the books, no resubscription needed.
    ASSERT_EQ(control(R"({"action":"restart"})"), 200U);
    run_until([] { return false; }, 500ms);
    EXPECT_TRUE(books_live(handler));

    // Pings were answered all along.
    EXPECT_GT(conn.stats().pongs, 0U);
    EXPECT_EQ(conn.stats().decode_errors, 0U);

    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    run_until([] { return false; }, 500ms);
    expect_equals_truth(handler, "BTCUSDT", 50);
    expect_equals_truth(handler, "ETHUSDT", 200);

    // Stop: closed with a close frame, nothing reconnects afterwards.
    conn.stop();
    ASSERT_TRUE(run_until([&] { return conn.state() == connection_state::stopped; }, 5s));
    const auto connects = conn.stats().connects;
    run_until([] { return false; }, 500ms);
    EXPECT_EQ(conn.stats().connects, connects);
}

TEST_F(FeedTest, ARejectedTopicIsReportedAndTheOthersGoLive) {
    ASSERT_EQ(control(R"({"action":"reject_subscription","topic":"orderbook.50.ETHUSDT"})"), 200U);
    model::instrument_registry registry;
    gateway::market_sink handler{registry, model::category::linear};
    net::connect_budget budget{{}};
    connection conn{ioc_.get_executor(),
                    nullptr,
                    budget,
                    registry,
                    handler,
                    options({"orderbook.50.BTCUSDT", "orderbook.50.ETHUSDT"})};
    asio::co_spawn(ioc_, conn.run(), asio::detached);
    ASSERT_TRUE(run_until([&] { return conn.state() == connection_state::live; }, 10s));
    const auto& topics = conn.subscriptions().topics();
    EXPECT_EQ(topics.at("orderbook.50.ETHUSDT").state, topic_state::failed);
    EXPECT_NE(topics.at("orderbook.50.ETHUSDT").reason.find("handler not found"),
              std::string::npos);
    EXPECT_EQ(topics.at("orderbook.50.BTCUSDT").state, topic_state::active);
    EXPECT_EQ(conn.stats().topics_rejected, 1U);
    ASSERT_TRUE(run_until([&] { return handler.book("BTCUSDT", 50) != nullptr; }, 5s));
    conn.stop();
    run_until([&] { return conn.state() == connection_state::stopped; }, 5s);
}

TEST_F(FeedTest, RefusedConnectionsAreRetriedWithBackoffUntilTheServerReturns) {
    ASSERT_EQ(control(R"({"action":"refuse_ws","seconds":1.5})"), 200U);
    model::instrument_registry registry;
    gateway::market_sink handler{registry, model::category::linear};
    net::connect_budget budget{{}};
    connection conn{
        ioc_.get_executor(), nullptr, budget, registry, handler, options({"orderbook.1.BTCUSDT"})};
    asio::co_spawn(ioc_, conn.run(), asio::detached);
    ASSERT_TRUE(run_until([&] { return conn.state() == connection_state::live; }, 15s));
    EXPECT_GE(conn.stats().connect_failures, 1U);
    EXPECT_LT(conn.stats().connect_failures, 30U); // backoff, not a tight loop
    conn.stop();
    run_until([&] { return conn.state() == connection_state::stopped; }, 5s);
}

} // namespace
} // namespace mdg::exchange
