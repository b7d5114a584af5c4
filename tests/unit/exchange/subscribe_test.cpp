#include <gtest/gtest.h>

#include "exchange/bybit/subscribe.hpp"
#include "exchange/bybit/venue.hpp"

namespace mdg::exchange::bybit {
namespace {

using model::category;

std::vector<std::string> topics(std::size_t n, std::string_view prefix = "publicTrade.S") {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(std::string(prefix) + std::to_string(i) + "USDT");
    }
    return out;
}

TEST(BybitSubscribeTest, BuildsTheDocumentedPayload) {
    std::uint64_t next = 100;
    std::string reason;
    const std::vector<std::string> t{"orderbook.50.BTCUSDT", "publicTrade.BTCUSDT"};
    auto r = build_requests(request_op::subscribe, category::linear, t, next, reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->size(), 1U);
    EXPECT_EQ(
        (*r)[0].payload,
        R"({"req_id":"100","op":"subscribe","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]})");
    EXPECT_EQ((*r)[0].req_id, "100");
    EXPECT_EQ(next, 101U);

    auto u = build_requests(request_op::unsubscribe, category::linear, t, next, reason);
    ASSERT_TRUE(u);
    EXPECT_EQ(
        (*u)[0].payload,
        R"({"req_id":"101","op":"unsubscribe","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]})");
}

TEST(BybitSubscribeTest, SpotRequestsCarryAtMostTenArgs) {
    std::uint64_t next = 1;
    std::string reason;
    auto r = build_requests(request_op::subscribe, category::spot, topics(23), next, reason);
    ASSERT_TRUE(r) << reason;
    ASSERT_EQ(r->size(), 3U);
    EXPECT_EQ((*r)[0].args.size(), 10U);
    EXPECT_EQ((*r)[1].args.size(), 10U);
    EXPECT_EQ((*r)[2].args.size(), 3U);
    EXPECT_EQ((*r)[2].req_id, "3");
    EXPECT_EQ((*r)[2].args.back(), "publicTrade.S22USDT");
}

TEST(BybitSubscribeTest, LinearHasNoPerRequestLimitButCanBeCapped) {
    std::uint64_t next = 1;
    std::string reason;
    auto r = build_requests(request_op::subscribe, category::linear, topics(75), next, reason);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 1U);
    auto capped =
        build_requests(request_op::subscribe, category::linear, topics(75), next, reason, 8);
    ASSERT_TRUE(capped);
    EXPECT_EQ(capped->size(), 10U); // the old service's 8-topic chunks
}

TEST(BybitSubscribeTest, EnforcesTheArgsBudgetPerConnection) {
    std::uint64_t next = 1;
    std::string reason;
    // Each topic is ~20 characters + 3: 1000 of them exceed 21,000.
    auto r = build_requests(request_op::subscribe, category::linear, topics(1000), next, reason);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::limit_exceeded));
    EXPECT_NE(reason.find("21000"), std::string::npos) << reason;
    EXPECT_EQ(next, 1U); // nothing consumed
    EXPECT_LE(args_chars(topics(800)), 21'000U);
    EXPECT_EQ(args_chars(std::vector<std::string>{"ab", "c"}), 8U); // "ab","c"
}

TEST(BybitSubscribeTest, RejectsRetiredDepthWithAClearReason) {
    std::uint64_t next = 1;
    std::string reason;
    const std::vector<std::string> t{"tickers.BTCUSDT", "orderbook.500.BTCUSDT"};
    auto r = build_requests(request_op::subscribe, category::linear, t, next, reason);
    ASSERT_FALSE(r);
    EXPECT_NE(reason.find("orderbook.500.BTCUSDT"), std::string::npos) << reason;
    EXPECT_NE(reason.find("retired"), std::string::npos) << reason;
    // Unsubscribing is not validated: a client may drop whatever it holds.
    EXPECT_TRUE(build_requests(request_op::unsubscribe, category::linear, t, next, reason));
}

TEST(BybitSubscribeTest, PingPayload) {
    EXPECT_EQ(build_ping("42"), R"({"req_id":"42","op":"ping"})");
}

TEST(BybitVenueTest, PublicUrlsPerCategory) {
    EXPECT_EQ(venue::public_ws_url(category::linear, false),
              "wss://stream.bybit.com/v5/public/linear");
    EXPECT_EQ(venue::public_ws_url(category::spot, true),
              "wss://stream-testnet.bybit.com/v5/public/spot");
    EXPECT_EQ(venue::rest_url(true), "https://api-testnet.bybit.com");
}

} // namespace
} // namespace mdg::exchange::bybit
