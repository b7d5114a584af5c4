// Silent and lost feeds made visible (docs/feed.md, stale state): the gateway against the
// simulator's pause, stall and drop faults. Books, tickers and trades turn stale in the shards,
// /v1/status, mdgate_books{state} and the data API, and live again on fresh data; the alert
// MdgateBooksNotLive is tested with promtool against /metrics scrapes taken during a stall.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "gateway/gateway.hpp"
#include "sim/server.hpp"
#include "support/sim_harness.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using steady = std::chrono::steady_clock;

// A liveness guard for waits, never a measured threshold.
constexpr auto patience = 30s;

template <class Pred> bool eventually(Pred p, std::chrono::milliseconds limit = patience) {
    return test::eventually(std::move(p), limit);
}

// Records, in order, the states each channel of BTCUSDT reached a consumer with.
class state_recorder : public dispatch::consumer {
  public:
    void on_book(const dispatch::book_view& b, std::stop_token) override {
        add(fmt::format("book {}", book::to_string(b.state)));
    }
    void on_ticker(const dispatch::ticker_view& t, std::stop_token) override {
        add(t.stale ? "ticker stale" : "ticker live");
    }
    void on_trade(const model::trade&, std::stop_token) override { add("trade"); }
    void on_trades_stale(model::instrument_id, std::stop_token) override { add("trades stale"); }

    // Whether `want` appears in order (not necessarily adjacent) in what was recorded.
    bool saw_in_order(const std::vector<std::string>& want) {
        std::lock_guard lk(mu_);
        std::size_t i = 0;
        for (const auto& e : events_) {
            if (i < want.size() && e == want[i]) {
                ++i;
            }
        }
        return i == want.size();
    }

  private:
    void add(std::string e) {
        std::lock_guard lk(mu_);
        if (events_.empty() || events_.back() != e) { // runs of one state are one entry
            events_.push_back(std::move(e));
        }
    }
    std::mutex mu_;
    std::vector<std::string> events_;
};

class StaleStateTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim::server_options opts;
        opts.rate = 400;
        opts.symbols = {{"BTCUSDT", 6'511'420, 2, 3}};
        sim_ = std::make_unique<test::sim_harness>(std::move(opts));
        port_ = sim_->port();
    }
    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
        sim_.reset();
    }

    unsigned control(const std::string& json) { return sim_->control(json); }
    std::pair<unsigned, std::string> get(const std::string& target) {
        return test::http_request(gw_->http_port(), http::verb::get, target);
    }

    // Short freshness thresholds (the same ones /readyz uses), and a receive timeout long
    // enough that silence never turns into a reconnect.
    gateway_options options() {
        gateway_options o;
        o.cat = model::category::linear;
        o.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", port_);
        o.topics = {"orderbook.50.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT"};
        o.connection.receive_timeout = 10s;
        o.connection.ping_interval = 300ms;
        o.connection.pong_timeout = 10s;
        o.connection.backoff = {300ms, 1000ms, 30'000ms};
        o.probe_enabled = false;
        o.freshness.orderbook = 300ms;
        o.freshness.tickers = 300ms;
        o.freshness.trades = 300ms;
        o.http.address = "127.0.0.1";
        o.http.port = 0;
        o.drain_timeout = 1s;
        o.version = "test";
        return o;
    }

    void start(gateway_options o) {
        gw_ = std::make_unique<gateway>(std::move(o));
        if (recorder_) {
            gw_->add_consumer(recorder_, {.name = "recorder"});
        }
        std::string error;
        ASSERT_TRUE(gw_->start(error)) << error;
    }

    // book_state of orderbook.50.BTCUSDT in /v1/status ("" when absent).
    std::string status_book_state() {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        if (p.parse(gw_->status_json()).get(doc) != simdjson::SUCCESS) {
            return "";
        }
        simdjson::dom::array topics;
        if (doc["topics"].get(topics) != simdjson::SUCCESS) {
            return "";
        }
        for (auto t : topics) {
            std::string_view topic;
            std::string_view state;
            if (t["topic"].get(topic) == simdjson::SUCCESS && topic == "orderbook.50.BTCUSDT" &&
                t["book_state"].get(state) == simdjson::SUCCESS) {
                return std::string(state);
            }
        }
        return "";
    }
    std::uint64_t status_total(std::string_view key) {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        std::uint64_t v = 0;
        if (p.parse(gw_->status_json()).get(doc) != simdjson::SUCCESS ||
            doc["totals"][key].get(v) != simdjson::SUCCESS) {
            return ~std::uint64_t{0};
        }
        return v;
    }
    // The "state" member of a data API answer ("" when there is none).
    std::string api_state(const std::string& target) {
        const auto [code, body] = get(target);
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        std::string_view state;
        if (code != 200 || p.parse(body).get(doc) != simdjson::SUCCESS ||
            doc["state"].get(state) != simdjson::SUCCESS) {
            return "";
        }
        return std::string(state);
    }
    // The value of the sample `line_start` (name and labels) in the gateway's /metrics text.
    static std::string sample(const std::string& text, std::string_view line_start) {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with(line_start) && line.size() > line_start.size() &&
                line[line_start.size()] == ' ') {
                return line.substr(line_start.size() + 1);
            }
        }
        return "";
    }
    bool books_in(std::string_view state, std::string_view count) {
        return sample(gw_->metrics_text(), fmt::format(R"(mdgate_books{{state="{}"}})", state)) ==
               count;
    }

    std::unique_ptr<test::sim_harness> sim_;
    std::uint16_t port_ = 0;
    std::shared_ptr<state_recorder> recorder_;
    std::unique_ptr<gateway> gw_;
};

TEST_F(StaleStateTest, SilenceMakesEveryChannelStaleAndContinuousDataMakesItLiveAgain) {
    start(options());
    ASSERT_TRUE(eventually([&] { return gw_->ready(); }));
    ASSERT_TRUE(eventually([&] { return api_state("/v1/trades/linear/BTCUSDT") == "live"; }));
    const auto gaps = status_total("book_gaps");

    // A market pause: the socket stays up and answers pings, nothing is pushed.
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    ASSERT_TRUE(eventually([&] { return status_book_state() == "stale"; }));
    EXPECT_TRUE(books_in("stale", "1")) << gw_->metrics_text();
    EXPECT_TRUE(books_in("live", "0"));
    EXPECT_FALSE(gw_->ready());
    ASSERT_TRUE(eventually([&] { return api_state("/v1/ticker/linear/BTCUSDT") == "stale"; }));
    ASSERT_TRUE(eventually([&] { return api_state("/v1/trades/linear/BTCUSDT") == "stale"; }));
    ASSERT_TRUE(eventually([&] { return get("/v1/book/linear/BTCUSDT").first == 503; }));
    const auto [code, body] = get("/v1/book/linear/BTCUSDT");
    EXPECT_NE(body.find("book_not_live"), std::string::npos) << body;
    EXPECT_NE(body.find("stale"), std::string::npos) << body;
    EXPECT_EQ(api_state("/v1/book/linear/BTCUSDT?allow_stale=1"), "stale");

    // Resumed: the next delta continues the sequence, so the book is live again without a
    // gap, a resync or a reconnect.
    ASSERT_EQ(control(R"({"action":"resume"})"), 200U);
    ASSERT_TRUE(eventually([&] { return status_book_state() == "live"; }));
    EXPECT_TRUE(eventually([&] { return books_in("live", "1") && books_in("stale", "0"); }));
    EXPECT_TRUE(eventually([&] { return api_state("/v1/ticker/linear/BTCUSDT") == "live"; }));
    EXPECT_TRUE(eventually([&] { return api_state("/v1/trades/linear/BTCUSDT") == "live"; }));
    EXPECT_TRUE(eventually([&] { return api_state("/v1/book/linear/BTCUSDT") == "live"; }));
    EXPECT_EQ(status_total("book_gaps"), gaps);
    EXPECT_EQ(status_total("reconnects"), 0U);
}

TEST_F(StaleStateTest, ADroppedConnectionMakesBookTickerAndTradesStaleUntilFreshData) {
    recorder_ = std::make_shared<state_recorder>();
    auto o = options();
    o.freshness = {}; // the default thresholds: the drop, not silence, makes them stale
    start(std::move(o));
    ASSERT_TRUE(eventually([&] { return gw_->ready(); }));
    ASSERT_TRUE(eventually([&] { return recorder_->saw_in_order({"book live", "trade"}); }));

    ASSERT_EQ(control(R"({"action":"drop"})"), 200U);
    // Each channel went stale, and came back with its reconnect: the book on its snapshot,
    // the ticker on its next update, the trades on the next trade.
    EXPECT_TRUE(eventually([&] { return recorder_->saw_in_order({"book stale", "book live"}); }));
    EXPECT_TRUE(eventually([&] {
        return recorder_->saw_in_order({"ticker stale", "ticker live"});
    }));
    EXPECT_TRUE(eventually([&] { return recorder_->saw_in_order({"trades stale", "trade"}); }));
    ASSERT_TRUE(eventually([&] { return gw_->ready(); }));
    EXPECT_EQ(status_book_state(), "live");
    EXPECT_TRUE(books_in("stale", "0"));
    EXPECT_EQ(status_total("reconnects"), 1U);
}

// Prometheus text samples, one map per scrape: series (name{labels}) -> value.
using scrape = std::map<std::string, std::string>;

scrape parse_scrape(const std::string& text, std::initializer_list<std::string_view> families) {
    scrape s;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto space = line.rfind(' ');
        const auto name = line.substr(0, line.find_first_of("{ "));
        for (const auto f : families) {
            if (name == f) {
                s[line.substr(0, space)] = line.substr(space + 1);
            }
        }
    }
    return s;
}

// `series` with the labels a Prometheus server adds (job, instance).
std::string with_target_labels(const std::string& series) {
    constexpr std::string_view target = R"(instance="gw:9100",job="mdgate")";
    const auto brace = series.find('{');
    if (brace == std::string::npos) {
        return fmt::format("{}{{{}}}", series, target);
    }
    return fmt::format("{}{{{},{}", series.substr(0, brace), target, series.substr(brace + 1));
}

TEST_F(StaleStateTest, BooksNotLiveFiresOnScrapesOfARealStall) {
    ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
        << "promtool is not installed (Debian package prometheus)";
    start(options());
    ASSERT_TRUE(eventually([&] { return gw_->ready(); }));
    const std::initializer_list<std::string_view> families{"mdgate_books", "mdgate_connection_up",
                                                           "mdgate_queue_dropped_total"};
    std::vector<scrape> scrapes;
    constexpr std::size_t healthy = 4;
    constexpr std::size_t stale = 6;
    for (std::size_t i = 0; i < healthy; ++i) {
        scrapes.push_back(parse_scrape(gw_->metrics_text(), families));
        std::this_thread::sleep_for(50ms);
    }
    // The socket stays open, nothing arrives and pings go unanswered (the receive timeout is
    // longer than the stall).
    ASSERT_EQ(control(R"({"action":"stall","seconds":3})"), 200U);
    ASSERT_TRUE(eventually([&] { return books_in("stale", "1"); }));
    for (std::size_t i = 0; i < stale; ++i) {
        scrapes.push_back(parse_scrape(gw_->metrics_text(), families));
        std::this_thread::sleep_for(50ms);
    }
    for (std::size_t i = 0; i < healthy; ++i) {
        ASSERT_EQ(scrapes[i].at(R"(mdgate_books{state="live"})"), "1") << i;
    }
    for (std::size_t i = healthy; i < scrapes.size(); ++i) {
        ASSERT_EQ(scrapes[i].at(R"(mdgate_books{state="stale"})"), "1") << i;
    }

    // The scrapes, one every 30 s of rule time: the stall starts at healthy * 30 s.
    std::map<std::string, std::vector<std::string>> series;
    for (std::size_t i = 0; i < scrapes.size(); ++i) {
        for (const auto& [k, v] : scrapes[i]) {
            auto& values = series[k];
            values.resize(i, "_");
            values.push_back(v);
        }
    }
    const auto dir =
        std::filesystem::temp_directory_path() /
        fmt::format("mdgate-stale-rules-{}", ::testing::UnitTest::GetInstance()->random_seed());
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(std::filesystem::path(MDG_SOURCE_DIR) / "packaging/alerts.yml",
                               dir / "alerts.yml",
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream f(dir / "stall_test.yml");
    f << "# Generated by stale_state_test from /metrics scrapes of a gateway during a stall.\n"
         "rule_files:\n  - alerts.yml\nevaluation_interval: 30s\ntests:\n"
         "  - name: a real stall\n    interval: 30s\n    input_series:\n";
    for (const auto& [k, values] : series) {
        f << "      - series: '" << with_target_labels(k) << "'\n        values: '"
          << fmt::format("{}", fmt::join(values, " ")) << "'\n";
    }
    const auto stall_at = healthy * 30;
    const std::string labels =
        R"(alertname="MdgateBooksNotLive",instance="gw:9100",severity="warning",state="stale")";
    // Not while healthy, pending for the rule's 2 minutes, firing after.
    f << "    alert_rule_test:\n"
      << fmt::format("      - eval_time: {}s\n        alertname: MdgateBooksNotLive\n"
                     "        exp_alerts: []\n",
                     stall_at - 30)
      << fmt::format("      - eval_time: {}s\n        alertname: MdgateBooksNotLive\n"
                     "        exp_alerts: []\n",
                     stall_at + 90)
      << fmt::format("      - eval_time: {}s\n        alertname: MdgateQueueDrops\n"
                     "        exp_alerts: []\n",
                     (scrapes.size() - 1) * 30)
      << "    promql_expr_test:\n"
      << fmt::format("      - expr: ALERTS{{alertname=\"MdgateBooksNotLive\"}}\n"
                     "        eval_time: {}s\n        exp_samples:\n"
                     "          - labels: 'ALERTS{{alertstate=\"pending\",{}}}'\n"
                     "            value: 1\n",
                     stall_at + 90, labels)
      << fmt::format("      - expr: ALERTS{{alertname=\"MdgateBooksNotLive\"}}\n"
                     "        eval_time: {}s\n        exp_samples:\n"
                     "          - labels: 'ALERTS{{alertstate=\"firing\",{}}}'\n"
                     "            value: 1\n",
                     stall_at + 120, labels);
    f.close();
    const auto cmd = fmt::format("cd '{}' && promtool test rules stall_test.yml", dir.string());
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "see " << (dir / "stall_test.yml").string();
}

} // namespace
} // namespace mdg::gateway
