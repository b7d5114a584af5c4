#include <chrono>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "exchange/bybit/parse.hpp"
#include "net/ws_session.hpp"
#include "perf/bench.hpp"
#include "perf/flood_server.hpp"

namespace mdg::perf {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class FloodServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        opts_.symbols = bench_symbols(2);
        opts_.min_frames = 500;
        std::string reason;
        auto set = make_frame_set(opts_, reason);
        ASSERT_TRUE(set) << reason;
        set_ = std::make_shared<const frame_set>(std::move(*set));
        server_ = std::make_unique<flood_server>(set_);
        auto port = server_->start(reason);
        ASSERT_TRUE(port) << reason;
        url_ = fmt::format("ws://127.0.0.1:{}/v5/public/linear", *port);
    }

    // Connects, sends `requests`, reads `count` frames (or until 5 s pass).
    std::vector<std::string> exchange(const std::vector<std::string>& requests, std::size_t count,
                                      const std::string& url) {
        std::vector<std::string> got;
        asio::io_context ioc{1};
        net::ws_session s{ioc.get_executor(), nullptr, {}};
        asio::steady_timer deadline{ioc, 5s};
        deadline.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                s.close(false);
            }
        });
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                std::string reason;
                auto u = net::parse_ws_url(url, reason);
                net::connect_step step{};
                if (co_await s.connect(*u, step)) {
                    co_return;
                }
                for (const auto& r : requests) {
                    s.send(r);
                }
                while (got.size() < count) {
                    std::string_view text;
                    if (co_await s.read(text)) {
                        break;
                    }
                    got.emplace_back(text);
                }
                deadline.cancel();
                s.close(false);
            },
            asio::detached);
        ioc.run();
        return got;
    }

    frame_set_options opts_;
    std::shared_ptr<const frame_set> set_;
    std::unique_ptr<flood_server> server_;
    std::string url_;
};

TEST_F(FloodServerTest, AcksThenSendsEachTopicFromItsSnapshot) {
    // At a fixed rate every write is a few frames and completes at once; in a flood the client
    // closing mid-batch fails the write in flight, whose frames are then (rightly) not counted.
    const auto got =
        exchange({R"({"req_id":"7","op":"subscribe","args":["orderbook.50.SIM0001USDT"]})"}, 50,
                 url_ + "?rate=2000");
    ASSERT_EQ(got.size(), 50U);
    EXPECT_NE(got[0].find(R"("req_id":"7","op":"subscribe")"), std::string::npos) << got[0];
    EXPECT_NE(got[0].find(R"("success":true)"), std::string::npos);
    EXPECT_NE(got[1].find(R"("type":"snapshot")"), std::string::npos);
    for (std::size_t i = 1; i < got.size(); ++i) {
        EXPECT_NE(got[i].find("orderbook.50.SIM0001USDT"), std::string::npos) << i;
    }
    // The server counts a write once it completes, which its thread may see after the client
    // has read the frames: wait for the count rather than race it.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server_->stats().frames_sent.load() < 49U &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_GE(server_->stats().frames_sent.load(), 49U);
}

TEST_F(FloodServerTest, AnswersPingsAndCountsWhatItDoesNotUnderstand) {
    const auto got =
        exchange({"not json", R"({"op":"dance"})", R"({"req_id":"p1","op":"ping"})"}, 1, url_);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_NE(got[0].find(R"("ret_msg":"pong")"), std::string::npos) << got[0];
    EXPECT_EQ(server_->stats().bad_requests.load(), 2U);
}

TEST_F(FloodServerTest, UnknownTopicIsRefused) {
    const auto got =
        exchange({R"({"req_id":"1","op":"subscribe","args":["orderbook.50.NOPE"]})"}, 1, url_);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_NE(got[0].find(R"("success":false)"), std::string::npos) << got[0];
}

TEST_F(FloodServerTest, PassesContinueTheSequence) {
    // One topic, more frames than a pass: the second pass's snapshot carries u = last + 1.
    const auto per_topic = set_->frames.size() / 2 + 10;
    const auto got =
        exchange({R"({"req_id":"1","op":"subscribe","args":["orderbook.50.SIM0000USDT"]})"},
                 per_topic * 2, url_);
    model::instrument_registry registry;
    (void)registry.intern(model::venue::bybit, model::category::linear, "SIM0000USDT");
    exchange::bybit::decoder decoder;
    const exchange::bybit::parse_context ctx{model::category::linear, &registry, false, {}};
    std::uint64_t last = 0;
    std::size_t snapshots = 0;
    for (const auto& text : got) {
        auto d = decoder.decode(text, ctx);
        ASSERT_TRUE(d);
        if ((*d)->type != exchange::bybit::frame_type::orderbook) {
            continue;
        }
        const auto& b = (*d)->book;
        if (last != 0) {
            EXPECT_EQ(b.update_id, last + 1);
        }
        snapshots += b.kind == model::update_kind::snapshot ? 1U : 0U;
        last = b.update_id;
    }
    EXPECT_GE(snapshots, 2U);
}

TEST_F(FloodServerTest, FixedRateIsPaced) {
    // 200 frames/s for at most 5 s: reading 20 frames takes about 0.1 s, not a flood; we only
    // check that paced frames arrive at all.
    const auto got =
        exchange({R"({"req_id":"1","op":"subscribe","args":["orderbook.50.SIM0000USDT"]})"}, 20,
                 url_ + "?rate=200");
    EXPECT_EQ(got.size(), 20U);
}

TEST_F(FloodServerTest, EveryScenarioRunsAndReportsFigures) {
    scenario_options o;
    o.url = url_;
    o.topics = frame_set_topics(opts_);
    o.warmup = 200ms;
    o.duration = 300ms;
    o.slow_sleep = 100us;
    for (const auto s :
         {scenario::floor, scenario::decode, scenario::pipeline, scenario::slow_consumer}) {
        std::string reason;
        auto r = run_scenario(s, o, reason);
        ASSERT_TRUE(r) << to_string(s) << ": " << reason;
        EXPECT_GT(r->messages, 0U) << to_string(s);
        EXPECT_GT(r->messages_per_s, 0) << to_string(s);
        EXPECT_GT(r->cpu_seconds, 0) << to_string(s);
        EXPECT_GT(r->peak_rss, 0U);
        EXPECT_EQ(r->decode_errors, 0U);
        if (s == scenario::pipeline || s == scenario::slow_consumer) {
            EXPECT_GT(r->read_to_applied.count, 0U);
            EXPECT_GT(r->applied_to_callback.count, 0U);
            EXPECT_GT(r->callbacks_per_s, 0);
            EXPECT_EQ(r->books_total, 2U);
        }
        if (s == scenario::slow_consumer) {
            EXPECT_GT(r->slow_callbacks_per_s, 0);
        }
    }
}

TEST_F(FloodServerTest, ScenarioAgainstNothingIsAnError) {
    scenario_options o;
    o.url = "ws://127.0.0.1:1/v5/public/linear";
    o.topics = {"orderbook.50.SIM0000USDT"};
    o.warmup = 10ms;
    o.duration = 100ms;
    std::string reason;
    EXPECT_FALSE(run_scenario(scenario::floor, o, reason));
    EXPECT_FALSE(reason.empty());
}

} // namespace
} // namespace mdg::perf
