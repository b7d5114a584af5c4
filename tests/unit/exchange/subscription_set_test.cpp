#include <gtest/gtest.h>

#include "exchange/feed/subscription_set.hpp"

namespace mdg::exchange {
namespace {

using bybit::control_frame;
using bybit::control_op;
using bybit::reject_reason;

control_frame ack(std::string_view req_id, bool success = true,
                  reject_reason reason = reject_reason::none, std::string_view topic = {},
                  std::string_view msg = {}) {
    control_frame c;
    c.op = control_op::subscribe;
    c.success = success;
    c.has_req_id = true;
    c.req_id = req_id;
    c.reason = reason;
    c.reject_topic = topic;
    c.ret_msg = msg;
    return c;
}

TEST(SubscriptionSetTest, AcksMatchedByReqIdMakeTopicsActive) {
    subscription_set s{model::category::linear,
                       {"orderbook.50.BTCUSDT", "tickers.BTCUSDT", "tickers.BTCUSDT"}};
    EXPECT_EQ(s.topics().size(), 2U); // de-duplicated
    std::uint64_t next = 10;
    std::string reason;
    auto reqs = s.subscribe_all(next, reason);
    ASSERT_TRUE(reqs) << reason;
    ASSERT_EQ(reqs->size(), 1U);
    EXPECT_EQ((*reqs)[0].req_id, "10");
    EXPECT_FALSE(s.settled());
    EXPECT_FALSE(s.on_ack(ack("999")).matched); // not ours
    auto r = s.on_ack(ack("10"));
    EXPECT_TRUE(r.matched);
    EXPECT_TRUE(s.settled());
    EXPECT_EQ(s.count(topic_state::active), 2U);
    // Nothing left to request.
    EXPECT_TRUE(s.subscribe_all(next, reason)->empty());
}

TEST(SubscriptionSetTest, DataBeforeTheAckIsNormal) {
    subscription_set s{model::category::linear, {"orderbook.50.BTCUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    (void)s.subscribe_all(next, reason);
    s.on_data("orderbook.50.BTCUSDT");
    EXPECT_EQ(s.topics().at("orderbook.50.BTCUSDT").state, topic_state::active);
    s.on_data("tickers.OTHER"); // not ours: ignored
    EXPECT_TRUE(s.on_ack(ack("1")).matched);
}

TEST(SubscriptionSetTest, ARejectedTopicFailsAndTheRestAreRequestedAgain) {
    subscription_set s{model::category::linear,
                       {"tickers.BTCUSDT", "orderbook.50.NOPEUSDT", "tickers.ETHUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    (void)s.subscribe_all(next, reason);
    auto r = s.on_ack(ack("1", false, reject_reason::handler_not_found, "orderbook.50.NOPEUSDT",
                          "error:handler not found,topic:orderbook.50.NOPEUSDT"));
    ASSERT_EQ(r.failed, (std::vector<std::string>{"orderbook.50.NOPEUSDT"}));
    const auto& failed = s.topics().at("orderbook.50.NOPEUSDT");
    EXPECT_EQ(failed.state, topic_state::failed);
    EXPECT_NE(failed.reason.find("handler not found"), std::string::npos);
    // Bybit refused the whole request; the two good topics go out again, alone.
    auto again = s.subscribe_all(next, reason);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->size(), 1U);
    EXPECT_EQ((*again)[0].args, (std::vector<std::string>{"tickers.BTCUSDT", "tickers.ETHUSDT"}));
    s.on_ack(ack((*again)[0].req_id));
    EXPECT_TRUE(s.settled());
    EXPECT_EQ(s.count(topic_state::active), 2U);
    EXPECT_EQ(s.count(topic_state::failed), 1U);

    // The refused topic is asked for again when the connection is next made (it stays failed
    // until then).
    EXPECT_TRUE(s.subscribe_all(next, reason)->empty());
    s.on_disconnect();
    EXPECT_EQ(s.count(topic_state::pending), 3U);
    EXPECT_TRUE(s.topics().at("orderbook.50.NOPEUSDT").reason.empty());
    auto after = s.subscribe_all(next, reason);
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1U);
    EXPECT_EQ((*after)[0].args.size(), 3U);
}

TEST(SubscriptionSetTest, AlreadySubscribedMeansTheStreamFlows) {
    subscription_set s{model::category::linear, {"tickers.BTCUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    (void)s.subscribe_all(next, reason);
    s.on_ack(ack("1", false, reject_reason::already_subscribed, "tickers.BTCUSDT"));
    EXPECT_EQ(s.topics().at("tickers.BTCUSDT").state, topic_state::active);
}

TEST(SubscriptionSetTest, ResubscribeOneTopicAndReconnectAll) {
    subscription_set s{model::category::linear, {"orderbook.50.BTCUSDT", "tickers.BTCUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    (void)s.subscribe_all(next, reason);
    s.on_ack(ack("1"));
    auto re = s.resubscribe("orderbook.50.BTCUSDT", next, reason);
    ASSERT_TRUE(re) << reason;
    ASSERT_EQ(re->size(), 2U);
    EXPECT_NE((*re)[0].payload.find(R"("op":"unsubscribe")"), std::string::npos);
    EXPECT_NE((*re)[1].payload.find(R"("op":"subscribe")"), std::string::npos);
    EXPECT_EQ(s.topics().at("orderbook.50.BTCUSDT").state, topic_state::pending);
    EXPECT_EQ(s.topics().at("tickers.BTCUSDT").state, topic_state::active); // untouched
    s.on_ack(ack((*re)[0].req_id));
    s.on_ack(ack((*re)[1].req_id));
    EXPECT_TRUE(s.settled());
    EXPECT_FALSE(s.resubscribe("tickers.NOPE", next, reason));

    s.on_disconnect();
    EXPECT_EQ(s.count(topic_state::pending), 2U);
    auto all = s.subscribe_all(next, reason);
    ASSERT_TRUE(all);
    EXPECT_EQ((*all)[0].args.size(), 2U);
    // A late ack of a request from before the disconnect matches nothing.
    EXPECT_FALSE(s.on_ack(ack("1")).matched);
}

} // namespace
} // namespace mdg::exchange
