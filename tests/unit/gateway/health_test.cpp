#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "gateway/health.hpp"
#include "view_fixture.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
using book::book_state;
using exchange::connection_state;
using exchange::bybit::channel;

// One reason of a /readyz document.
struct reason {
    std::string topic;
    std::string connection;
    std::string text;
};

class HealthTest : public test::view_fixture {
  protected:
    // Every topic has just had data and the book is live.
    void all_fresh() {
        subs.on_data(book_topic, now - 100ms);
        subs.on_data(ticker_topic, now - 100ms);
        subs.on_data(trade_topic, now - 1h); // trades have no threshold: never stale
        set_book(book_state::live);
    }

    void set_book(book_state s) { book().state.store(static_cast<std::uint8_t>(s)); }

    // readiness() with its reasons parsed.
    std::vector<reason> not_ready(const gateway_view& v) {
        std::string json;
        EXPECT_FALSE(readiness(v, fresh, &json));
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        EXPECT_EQ(p.parse(json).get(doc), simdjson::SUCCESS) << json;
        std::vector<reason> out;
        simdjson::dom::array reasons;
        EXPECT_EQ(doc["reasons"].get(reasons), simdjson::SUCCESS) << json;
        for (auto r : reasons) {
            std::string_view topic;
            std::string_view conn;
            std::string_view text;
            EXPECT_EQ(r["topic"].get(topic), simdjson::SUCCESS);
            EXPECT_EQ(r["connection"].get(conn), simdjson::SUCCESS);
            EXPECT_EQ(r["reason"].get(text), simdjson::SUCCESS);
            out.push_back({std::string(topic), std::string(conn), std::string(text)});
        }
        std::uint64_t count = 0;
        EXPECT_EQ(doc["not_ready_topics"].get(count), simdjson::SUCCESS);
        EXPECT_EQ(count, out.size()) << json;
        return out;
    }

    freshness fresh; // orderbook 5 s, tickers 10 s, trades never stale
};

TEST(FreshnessTest, ThresholdIsTheChannelsLimit) {
    const freshness f{
        .orderbook = 1s, .tickers = 2s, .kline = 3s, .trades = 4s, .liquidations = 5s};
    EXPECT_EQ(threshold(f, channel::orderbook), 1s);
    EXPECT_EQ(threshold(f, channel::tickers), 2s);
    EXPECT_EQ(threshold(f, channel::kline), 3s);
    EXPECT_EQ(threshold(f, channel::public_trade), 4s);
    EXPECT_EQ(threshold(f, channel::all_liquidation), 5s);
    EXPECT_EQ(threshold(f, channel::liquidation), 5s);
}

TEST_F(HealthTest, BookStatusOfFindsOnlyDeclaredBooks) {
    EXPECT_EQ(book_status_of(shards, btc, 50), &book());
    EXPECT_EQ(book_status_of(shards, btc, 200), nullptr);
}

TEST_F(HealthTest, ReadyWhenEveryTopicIsFreshAndItsBookLive) {
    all_fresh();
    std::string json;
    EXPECT_TRUE(readiness(view(), fresh, &json));
    EXPECT_EQ(json, R"({"ready":true,"not_ready_topics":0,"reasons":[]})");
    EXPECT_TRUE(readiness(view(), fresh, nullptr));
}

TEST_F(HealthTest, NotRunningIsNotReadyWithTheReason) {
    all_fresh();
    auto v = view();
    v.running = false;
    const auto reasons = not_ready(v);
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].topic, "");
    EXPECT_EQ(reasons[0].connection, "");
    EXPECT_EQ(reasons[0].text, "the gateway is not running");
}

TEST_F(HealthTest, ConnectionNotLiveFailsEachOfItsTopics) {
    all_fresh();
    const auto reasons = not_ready(view(connection_state::backing_off));
    ASSERT_EQ(reasons.size(), 3U);
    for (const auto& r : reasons) {
        EXPECT_EQ(r.connection, "conn_0");
        EXPECT_EQ(r.text, "connection backing_off");
    }
}

TEST_F(HealthTest, TopicStaleBeyondItsThresholdIsNotReady) {
    all_fresh();
    subs.on_data(book_topic, now - 6s);   // threshold 5 s
    subs.on_data(ticker_topic, now - 9s); // threshold 10 s: still fresh
    const auto reasons = not_ready(view());
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].topic, book_topic);
    EXPECT_EQ(reasons[0].text, "stale: no data for 6.0 s (threshold 5.0 s)");
}

TEST_F(HealthTest, TopicWithoutDataOrConfirmationIsNotReady) {
    subs.on_data(book_topic); // active, but no data time: as if only acknowledged
    set_book(book_state::live);
    const auto reasons = not_ready(view());
    ASSERT_EQ(reasons.size(), 3U);
    EXPECT_EQ(reasons[0].topic, book_topic);
    EXPECT_EQ(reasons[0].text, "no data yet");
    for (std::size_t i = 1; i < reasons.size(); ++i) {
        EXPECT_EQ(reasons[i].text, "subscription not confirmed") << reasons[i].topic;
    }
}

TEST_F(HealthTest, BookNotLiveIsNotReady) {
    all_fresh();
    set_book(book_state::resyncing);
    const auto reasons = not_ready(view());
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].topic, book_topic);
    EXPECT_EQ(reasons[0].text, "book resyncing");
}

// A topic the venue refused names the venue's reason and when it is asked for again, in
// /readyz and in /v1/status.
TEST_F(HealthTest, ARefusedTopicSaysWhyAndWhenItIsAskedAgain) {
    all_fresh();
    std::uint64_t next = 1;
    std::string why;
    ASSERT_TRUE(subs.resubscribe(ticker_topic, next, why, now - 1s));
    exchange::bybit::control_frame c;
    c.op = exchange::bybit::control_op::subscribe;
    c.has_req_id = true;
    const auto req = std::to_string(next - 1);
    c.req_id = req;
    c.reason = exchange::bybit::reject_reason::handler_not_found;
    c.reject_topic = ticker_topic;
    c.ret_msg = "error:handler not found,topic:tickers.BTCUSDT";
    ASSERT_EQ(subs.on_ack(c, now - 1s).failed.size(), 1U);
    const auto reasons = not_ready(view());
    ASSERT_EQ(reasons.size(), 1U);
    EXPECT_EQ(reasons[0].topic, ticker_topic);
    EXPECT_EQ(reasons[0].text, "rejected by the venue: error:handler not found,topic:"
                               "tickers.BTCUSDT; asked again in 4.0 s (refusal 1 in a row)");
    const auto json = status_document(view(), fresh);
    EXPECT_NE(json.find(R"("refusals":1,"retry_in_seconds":4)"), std::string::npos) << json;
}

TEST_F(HealthTest, StatusDocumentHasTheExpectedFields) {
    all_fresh();
    stats.frames = 11;
    stats.reconnects = 1;
    book().update_id.store(42);
    const std::string json = status_document(view(), fresh);

    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(json).get(doc), simdjson::SUCCESS) << json;
    auto str = [](simdjson::dom::element e, std::string_view key) {
        std::string_view s;
        EXPECT_EQ(e[key].get(s), simdjson::SUCCESS) << key;
        return std::string(s);
    };
    auto num = [](simdjson::dom::element e, std::string_view key) {
        double d = -2;
        EXPECT_EQ(e[key].get(d), simdjson::SUCCESS) << key;
        return d;
    };
    EXPECT_EQ(str(doc, "version"), "1.2.3");
    EXPECT_EQ(str(doc, "venue"), "bybit");
    EXPECT_EQ(str(doc, "category"), "linear");
    EXPECT_EQ(num(doc, "started_at_unix_ms"), 1'700'000'000'000.0);
    EXPECT_EQ(num(doc, "uptime_seconds"), 90.0);
    EXPECT_EQ(num(doc, "total_connections"), 1.0);
    EXPECT_EQ(num(doc, "live_connections"), 1.0);
    bool ready = false;
    EXPECT_EQ(doc["ready"].get(ready), simdjson::SUCCESS);
    EXPECT_TRUE(ready);

    simdjson::dom::array conns;
    ASSERT_EQ(doc["connections"].get(conns), simdjson::SUCCESS);
    ASSERT_EQ(conns.size(), 1U);
    simdjson::dom::element c;
    ASSERT_EQ(conns.at(0).get(c), simdjson::SUCCESS);
    EXPECT_EQ(str(c, "id"), "conn_0");
    EXPECT_EQ(str(c, "state"), "live");
    EXPECT_EQ(str(c, "url"), "wss://stream.example/v5/public/linear");
    EXPECT_EQ(num(c, "topics"), 3.0);
    EXPECT_EQ(num(c, "last_message_age_seconds"), 1.0);
    EXPECT_EQ(num(c, "last_pong_age_seconds"), -1.0); // never
    EXPECT_EQ(num(c, "frames"), 11.0);
    EXPECT_EQ(num(c, "reconnects"), 1.0);

    simdjson::dom::array topics;
    ASSERT_EQ(doc["topics"].get(topics), simdjson::SUCCESS);
    ASSERT_EQ(topics.size(), 3U);
    bool saw_book = false;
    for (auto t : topics) {
        EXPECT_EQ(str(t, "connection"), "conn_0");
        EXPECT_EQ(str(t, "state"), "active");
        if (str(t, "topic") == book_topic) {
            saw_book = true;
            EXPECT_EQ(num(t, "age_seconds"), 0.1);
            EXPECT_EQ(num(t, "messages"), 1.0);
            EXPECT_EQ(str(t, "book_state"), "live");
            EXPECT_EQ(num(t, "update_id"), 42.0);
        } else {
            EXPECT_TRUE(t["book_state"].error() == simdjson::NO_SUCH_FIELD);
        }
    }
    EXPECT_TRUE(saw_book);

    simdjson::dom::element totals;
    ASSERT_EQ(doc["totals"].get(totals), simdjson::SUCCESS);
    EXPECT_EQ(num(totals, "frames"), 11.0);
    EXPECT_EQ(num(totals, "data_messages"), 7.0);
    EXPECT_EQ(num(totals, "reconnects"), 1.0);
    EXPECT_EQ(num(totals, "book_gaps"), 0.0);
    EXPECT_EQ(num(totals, "queue_drops"), 0.0);
    EXPECT_EQ(num(totals, "network_validation_failures"), 2.0);
}

TEST_F(HealthTest, StatusDocumentSaysNotReady) {
    const std::string json = status_document(view(connection_state::connecting), fresh);
    EXPECT_NE(json.find(R"("ready":false)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("live_connections":0)"), std::string::npos) << json;
}

} // namespace
} // namespace mdg::gateway
