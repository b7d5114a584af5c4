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

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A request with no answer at all is reported once, when its deadline passes; a new request
// arms a new deadline.
TEST(SubscriptionSetTest, AnUnansweredRequestExpiresOnceAndANewRequestArmsANewDeadline) {
    subscription_set s{model::category::linear, {"tickers.BTCUSDT", "tickers.ETHUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    const steady::time_point t0{100s};
    (void)s.subscribe_all(next, reason, t0);
    EXPECT_TRUE(s.expire(t0 + 9s, 10s).empty());
    s.on_data("tickers.ETHUSDT", t0 + 1s); // data answers a topic: not expired
    const auto lost = s.expire(t0 + 10s, 10s);
    EXPECT_EQ(lost, (std::vector<std::string>{"tickers.BTCUSDT"}));
    EXPECT_TRUE(s.expire(t0 + 11s, 10s).empty()); // once per request
    const auto t1 = t0 + 12s;
    ASSERT_TRUE(s.resubscribe("tickers.BTCUSDT", next, reason, t1));
    EXPECT_TRUE(s.expire(t1 + 9s, 10s).empty());
    EXPECT_EQ(s.expire(t1 + 10s, 10s).size(), 1U);
    // Its late answer still counts (an ack of the request in flight).
    ASSERT_TRUE(s.resubscribe("tickers.BTCUSDT", next, reason, t1 + 20s));
    s.on_ack(ack(std::to_string(next - 1)));
    EXPECT_EQ(s.topics().at("tickers.BTCUSDT").state, topic_state::active);
    EXPECT_TRUE(s.expire(t1 + 40s, 10s).empty());
}

// A book subscription is answered by its snapshot, not by its acknowledgement or deltas: a
// book the venue acknowledged but never sent a snapshot for would wait for good.
TEST(SubscriptionSetTest, ABookIsAnsweredByItsSnapshot) {
    subscription_set s{model::category::linear, {"orderbook.50.BTCUSDT", "tickers.BTCUSDT"}};
    std::uint64_t next = 1;
    std::string reason;
    const steady::time_point t0{100s};
    (void)s.subscribe_all(next, reason, t0);
    s.on_ack(ack("1"));
    s.on_data("orderbook.50.BTCUSDT", t0 + 1s, false); // a delta is no answer
    EXPECT_EQ(s.topics().at("orderbook.50.BTCUSDT").state, topic_state::active);
    EXPECT_TRUE(s.topics().at("orderbook.50.BTCUSDT").awaiting_snapshot);
    EXPECT_EQ(s.expire(t0 + 10s, 10s), (std::vector<std::string>{"orderbook.50.BTCUSDT"}));

    ASSERT_TRUE(s.resubscribe("orderbook.50.BTCUSDT", next, reason, t0 + 11s));
    s.on_data("orderbook.50.BTCUSDT", t0 + 12s, true);
    EXPECT_FALSE(s.topics().at("orderbook.50.BTCUSDT").awaiting_snapshot);
    EXPECT_TRUE(s.expire(t0 + 60s, 10s).empty());
    // The data time and count survive a resync: they describe the stream.
    EXPECT_EQ(s.topics().at("orderbook.50.BTCUSDT").messages, 2U);
}

// A refused topic is asked for again after base, then 2x, 4x ... at most cap; an acceptance
// resets the streak. Nothing failed is reported as expired.
TEST(SubscriptionSetTest, ARefusedTopicIsAskedForAgainOnItsOwnBackoff) {
    subscription_set s{model::category::linear, {"tickers.NOPEUSDT"}, {5s, 15s}};
    std::uint64_t next = 1;
    std::string reason;
    auto now = steady::time_point{100s};
    const auto refuse = [&](std::string_view req) {
        return s.on_ack(ack(req, false, reject_reason::handler_not_found, "tickers.NOPEUSDT",
                            "error:handler not found,topic:tickers.NOPEUSDT"),
                        now);
    };
    const auto& info = s.topics().at("tickers.NOPEUSDT");
    std::vector<steady::duration> waits;
    for (int i = 0; i < 4; ++i) {
        auto reqs = s.subscribe_all(next, reason, now);
        ASSERT_TRUE(reqs);
        ASSERT_EQ(reqs->size(), 1U);
        ASSERT_EQ(refuse((*reqs)[0].req_id).failed.size(), 1U);
        EXPECT_EQ(info.refusals, static_cast<std::uint32_t>(i + 1));
        waits.push_back(info.retry_at - now);
        EXPECT_TRUE(s.expire(now + 1h, 10s).empty());
        EXPECT_EQ(s.retry_refused(info.retry_at - 1ms), 0U);
        EXPECT_EQ(info.state, topic_state::failed);
        now = info.retry_at;
        EXPECT_EQ(s.retry_refused(now), 1U);
        EXPECT_EQ(info.state, topic_state::pending);
    }
    EXPECT_EQ(waits, (std::vector<steady::duration>{5s, 10s, 15s, 15s}));
    auto reqs = s.subscribe_all(next, reason, now);
    ASSERT_TRUE(reqs);
    s.on_ack(ack((*reqs)[0].req_id), now);
    EXPECT_EQ(info.state, topic_state::active);
    EXPECT_EQ(info.refusals, 0U);
}

} // namespace
} // namespace mdg::exchange
