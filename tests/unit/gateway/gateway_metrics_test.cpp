#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/gateway_metrics.hpp"
#include "view_fixture.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
using exchange::bybit::channel;

// True when exposition `text` has the line `series value`.
bool has_line(const std::string& text, const std::string& series, std::string_view value) {
    return ("\n" + text).find("\n" + series + " " + std::string(value) + "\n") != std::string::npos;
}

TEST(GatewayMetricsTest, RegistersMessageCountersHistogramsAndBuildInfo) {
    metrics::registry reg;
    const auto m = register_metrics(reg, model::category::linear, "1.2.3");
    for (const auto* c : m.messages) {
        ASSERT_NE(c, nullptr);
    }
    ASSERT_NE(m.handle, nullptr);
    for (const auto* h : m.latency) {
        ASSERT_NE(h, nullptr);
    }
    m.messages[static_cast<std::size_t>(channel::orderbook)]->inc(3);
    m.handle->observe(0.001);
    m.latency[static_cast<std::size_t>(dispatch::item_kind::ticker)]->observe(0.002);
    callback_histogram(reg, "sink").observe(0.5);

    const std::string text = reg.render();
    EXPECT_TRUE(has_line(
        text, R"(mdgate_ws_messages_total{category="linear",channel="orderbook",venue="bybit"})",
        "3"))
        << text;
    EXPECT_TRUE(has_line(
        text, R"(mdgate_ws_messages_total{category="linear",channel="tickers",venue="bybit"})",
        "0"))
        << text;
    EXPECT_TRUE(has_line(text, "mdgate_handle_duration_seconds_count", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_exchange_latency_seconds_count{channel="tickers"})", "1"))
        << text;
    EXPECT_TRUE(
        has_line(text, R"(mdgate_exchange_latency_seconds_count{channel="allLiquidation"})", "0"))
        << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_callback_duration_seconds_count{consumer="sink"})", "1"))
        << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_build_info{version="1.2.3"})", "1")) << text;
    EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

class GatewayCollectTest : public test::view_fixture {
  protected:
    GatewayCollectTest() { pool.add(std::make_shared<dispatch::consumer>(), {.name = "sink"}); }

    // One scrape of a registry that has only the gateway's collector.
    std::string render() {
        auto v = view();
        v.network_validation_failures = 4;
        v.pool = &pool;
        metrics::registry reg;
        reg.add_collector([&v](metrics::family_writer& w) { collect(w, v); });
        auto text = reg.render();
        EXPECT_EQ(reg.rejected_samples(), 0U) << text;
        return text;
    }

    dispatch::consumer_pool pool{{}, registry};
};

TEST_F(GatewayCollectTest, WritesConnectionSeries) {
    stats.bytes = 1234;
    stats.reconnects = 2;
    stats.handler_timeouts = 5;
    stats.pong_timeouts = 1;
    stats.connect_failures_by_step = {1, 0, 2, 0};
    stats.decode_error_kinds["bad_json"] = 3;
    stats.topics_rejected = 1;
    subs.on_data(book_topic, now - 2s);

    const auto text = render();
    EXPECT_TRUE(has_line(text, R"(mdgate_ws_bytes_total{category="linear",venue="bybit"})", "1234"))
        << text;
    EXPECT_TRUE(has_line(text, "mdgate_handler_timeouts_total", "5")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_network_errors_total{kind="dns"})", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_network_errors_total{kind="connect"})", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_network_errors_total{kind="tls"})", "2")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_network_errors_total{kind="pong_timeout"})", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_network_errors_total{kind="probe"})", "4")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_decode_errors_total{kind="bad_json"})", "3")) << text;
    EXPECT_EQ(text.find(R"(mdgate_decode_errors_total{kind="none"})"), std::string::npos);
    EXPECT_TRUE(has_line(text, R"(mdgate_reconnects_total{connection="conn_0"})", "2")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_connection_up{connection="conn_0"})", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_connection_state{connection="conn_0",state="live"})", "1"))
        << text;
    EXPECT_TRUE(
        has_line(text, R"(mdgate_connection_state{connection="conn_0",state="connecting"})", "0"))
        << text;
    EXPECT_TRUE(has_line(text, "mdgate_connections_expected", "1")) << text;
    EXPECT_TRUE(has_line(text, "mdgate_subscriptions_rejected_total", "1")) << text;
    EXPECT_TRUE(has_line(
        text, R"(mdgate_topic_last_message_age_seconds{topic="orderbook.50.BTCUSDT"})", "2"))
        << text;
    EXPECT_TRUE(
        has_line(text, R"(mdgate_topic_last_message_age_seconds{topic="tickers.BTCUSDT"})", "-1"))
        << text;
}

TEST_F(GatewayCollectTest, BooksMadeStaleByTheirShardAreCountedAsStale) {
    owner().start();
    auto push = [&](auto fill) {
        auto* it = owner().claim(2 * dispatch::payload_size<model::level>(1));
        ASSERT_NE(it, nullptr);
        fill(*it);
        owner().commit();
        (void)owner().query([](const market::market_state&) {}); // applied
    };
    auto book = [&](model::update_kind kind, std::uint64_t u) {
        return [=, this](dispatch::shard_item& it) {
            it.kind = dispatch::item_kind::book;
            it.book = {};
            it.book.instrument = btc;
            it.book.depth = 50;
            it.book.kind = kind;
            it.book.update_id = u;
            const model::level bid{model::price{100}, model::qty{1}};
            const model::level ask{model::price{110}, model::qty{1}};
            std::size_t at = 0;
            it.book.bids = dispatch::put_payload(it, at, std::span{&bid, 1});
            it.book.asks = dispatch::put_payload(it, at, std::span{&ask, 1});
        };
    };
    push(book(model::update_kind::snapshot, 1));
    EXPECT_TRUE(has_line(render(), R"(mdgate_books{state="live"})", "1"));
    push([&](dispatch::shard_item& it) {
        it.kind = dispatch::item_kind::stale;
        it.stale = {.channel = dispatch::stale_channel::book, .instrument = btc, .depth = 50};
    });
    auto text = render();
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="stale"})", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="live"})", "0")) << text;
    push(book(model::update_kind::delta, 2)); // continues u: live again
    text = render();
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="stale"})", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="live"})", "1")) << text;
    owner().stop();
}

TEST_F(GatewayCollectTest, WritesBookQueueAndConsumerSeries) {
    for (int i = 0; i < 2; ++i) {
        ASSERT_NE(owner().claim(), nullptr);
        owner().commit();
    }
    EXPECT_EQ(owner().claim(), nullptr); // full: a drop
    const auto q = "shard_" + std::to_string(btc.value % shards.size());
    const auto other = "shard_" + std::to_string((btc.value + 1) % shards.size());

    const auto text = render();
    EXPECT_TRUE(has_line(text, "mdgate_book_gaps_total", "0")) << text;
    EXPECT_TRUE(has_line(text, "mdgate_book_crossed_total", "0")) << text;
    EXPECT_TRUE(has_line(text, "mdgate_book_resyncs_total", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="syncing"})", "1")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_books{state="live"})", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_queue_depth{queue=")" + q + R"("})", "2")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_queue_depth{queue=")" + other + R"("})", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_queue_depth{queue="consumer_sink"})", "0")) << text;
    EXPECT_TRUE(
        has_line(text, R"(mdgate_queue_dropped_total{queue=")" + q + R"(",reason="full"})", "1"))
        << text;
    EXPECT_TRUE(has_line(
        text, R"(mdgate_queue_dropped_total{queue="consumer_sink",reason="drop_oldest"})", "0"))
        << text;
    EXPECT_TRUE(has_line(
        text, R"(mdgate_queue_dropped_total{queue="consumer_sink",reason="conflated"})", "0"))
        << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_callback_timeouts_total{consumer="sink"})", "0")) << text;
    EXPECT_TRUE(has_line(text, R"(mdgate_consumer_events_total{consumer="sink"})", "0")) << text;
    EXPECT_NE(text.find(R"(mdgate_log_messages_total{level="info"})"), std::string::npos) << text;
    // No decode error yet: one explicit zero, so the series exists from the first scrape.
    EXPECT_TRUE(has_line(text, R"(mdgate_decode_errors_total{kind="none"})", "0")) << text;
}

} // namespace
} // namespace mdg::gateway
