// The whole gateway (connections, shards, consumer pool, HTTP endpoints) against the
// simulator on loopback: the fault catalogue, a slow consumer, readiness, a mass drop.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "gateway/gateway.hpp"
#include "model/fixed_point.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"
#include "sim/server.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using steady = std::chrono::steady_clock;

// A liveness guard for waits, never a measured threshold.
constexpr auto patience = 30s;

class GatewayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        (void)spdlog::default_logger_raw(); // see FeedTest: spdlog's lazy registry vs TSan
        sim::server_options opts;
        opts.port = 0;
        opts.rate = 400;
        opts.symbols = {
            {"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}, {"SOLUSDT", 14'210, 2, 1}};
        start_sim(std::move(opts));
    }
    void start_sim(sim::server_options opts) {
        server_ = std::make_unique<sim::server>(sim_ioc_, std::move(opts));
        server_->start();
        port_ = server_->port();
        thread_ = std::thread([this] { sim_ioc_.run(); });
    }
    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
        asio::post(sim_ioc_, [this] { server_->stop(); });
        auto guard = std::make_shared<asio::steady_timer>(sim_ioc_, 300ms);
        guard->async_wait([this, guard](auto) { sim_ioc_.stop(); });
        thread_.join();
    }

    // The simulator's accepted-connection count, read on its own thread (its stats are plain
    // counters owned by that thread).
    std::uint64_t accepted() {
        std::promise<std::uint64_t> p;
        auto f = p.get_future();
        asio::post(sim_ioc_, [&] { p.set_value(server_->stats().connections_accepted); });
        return f.get();
    }
    unsigned control(const std::string& json) {
        return test::http_request(port_, http::verb::post, "/sim/control", json).first;
    }
    std::pair<unsigned, std::string> get(const std::string& target) {
        return test::http_request(gw_->http_port(), http::verb::get, target);
    }

    gateway_options options(std::vector<std::string> topics) {
        gateway_options o;
        o.cat = model::category::linear;
        o.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", port_);
        o.topics = std::move(topics);
        o.plan.symbol_aligned = true;
        o.plan.max_topics_per_connection = 5;
        o.connection.receive_timeout = 1500ms;
        o.connection.ping_interval = 300ms;
        o.connection.pong_timeout = 1500ms;
        o.connection.backoff = {100ms, 1000ms, 30'000ms};
        o.probe.url = fmt::format("http://127.0.0.1:{}", port_);
        o.probe.retry_waits = {50ms, 100ms, 200ms};
        o.probe.breaker.cooldown = 500ms;
        o.http.address = "127.0.0.1";
        o.http.port = 0;
        o.summary_interval = 1s;
        o.drain_timeout = 1s;
        o.version = "test";
        return o;
    }
    static std::vector<std::string> all_topics() {
        std::vector<std::string> t;
        for (const char* s : {"BTCUSDT", "ETHUSDT", "SOLUSDT"}) {
            for (const char* ch :
                 {"tickers.", "kline.1.", "orderbook.50.", "publicTrade.", "allLiquidation."}) {
                t.push_back(std::string(ch) + s);
            }
        }
        return t;
    }

    void start(gateway_options o) {
        gw_ = std::make_unique<gateway>(std::move(o));
        for (auto& [c, co] : consumers_) {
            gw_->add_consumer(c, co);
        }
        std::string error;
        ASSERT_TRUE(gw_->start(error)) << error;
    }

    template <class Pred>
    static bool eventually(Pred p, std::chrono::milliseconds limit = patience) {
        const auto until = steady::now() + limit;
        while (!p()) {
            if (steady::now() > until) {
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
        return true;
    }

    // The number in a JSON status field (first occurrence).
    static double status_number(const std::string& json, std::string_view key) {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        if (p.parse(json).get(doc) != simdjson::SUCCESS) {
            return -1;
        }
        double v = -1;
        std::uint64_t u = 0;
        if (doc["totals"][key].get(u) == simdjson::SUCCESS) {
            return static_cast<double>(u);
        }
        if (doc["totals"][key].get(v) != simdjson::SUCCESS) {
            return -1;
        }
        return v;
    }

    void expect_equals_truth(std::string_view symbol, std::uint16_t depth) {
        auto b = gw_->book(symbol, depth);
        ASSERT_TRUE(b.has_value()) << symbol;
        auto [status, body] = test::http_request(
            port_, http::verb::get,
            fmt::format("/sim/truth/book?category=linear&topic=orderbook.{}.{}", depth, symbol));
        ASSERT_EQ(status, 200U);
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS);
        std::uint64_t u = 0;
        ASSERT_EQ(doc["u"].get(u), simdjson::SUCCESS);
        EXPECT_EQ(b->update_id, u) << symbol;
        EXPECT_EQ(b->state, book::book_state::live) << symbol;
        for (const char* side : {"bids", "asks"}) {
            simdjson::dom::array levels;
            ASSERT_EQ(doc[side].get(levels), simdjson::SUCCESS);
            const auto& mine = std::string_view(side) == "bids" ? b->bids : b->asks;
            ASSERT_EQ(levels.size(), mine.size()) << symbol << " " << side;
            std::size_t i = 0;
            for (auto l : levels) {
                std::string_view px;
                std::string_view sz;
                ASSERT_EQ(l.at(0).get(px), simdjson::SUCCESS);
                ASSERT_EQ(l.at(1).get(sz), simdjson::SUCCESS);
                EXPECT_EQ(mine[i].px.raw, *model::parse_fixed(px, 8, false)) << symbol << i;
                EXPECT_EQ(mine[i].sz.raw, *model::parse_fixed(sz, 8, false)) << symbol << i;
                ++i;
            }
        }
    }

    bool ready() { return get("/readyz").first == 200; }

    // The book is live at the update id of the simulator's truth (0 when unreadable).
    bool at_truth(std::string_view symbol, std::uint16_t depth) {
        const auto b = gw_->book(symbol, depth);
        auto [status, body] = test::http_request(
            port_, http::verb::get,
            fmt::format("/sim/truth/book?category=linear&topic=orderbook.{}.{}", depth, symbol));
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        std::uint64_t u = 0;
        return b && b->state == book::book_state::live && status == 200 &&
               p.parse(body).get(doc) == simdjson::SUCCESS &&
               doc["u"].get(u) == simdjson::SUCCESS && b->update_id == u;
    }
    // The value of one sample of the gateway's /metrics (0 when absent).
    std::uint64_t metric(std::string_view series) {
        const auto text = gw_->metrics_text();
        const auto at = text.find(fmt::format("\n{} ", series));
        return at == std::string::npos
                   ? 0
                   : std::strtoull(text.c_str() + at + series.size() + 2, nullptr, 10);
    }

    asio::io_context sim_ioc_;
    std::unique_ptr<sim::server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    std::vector<std::pair<std::shared_ptr<dispatch::consumer>, dispatch::consumer_options>>
        consumers_;
    std::unique_ptr<gateway> gw_;
};

// Counts what it gets; remembers the last book update id per depth-50 book.
class counting_consumer : public dispatch::consumer {
  public:
    void on_book(const dispatch::book_view& b, std::stop_token) override {
        books.fetch_add(1);
        last_u.store(b.update_id);
    }
    void on_trade(const model::trade&, std::stop_token) override { trades.fetch_add(1); }
    std::atomic<std::uint64_t> books{0};
    std::atomic<std::uint64_t> trades{0};
    std::atomic<std::uint64_t> last_u{0};
};

TEST_F(GatewayTest, KeepsEveryBookEqualToTheTruthThroughTheFaultCatalogue) {
    auto counter = std::make_shared<counting_consumer>();
    consumers_.emplace_back(counter, dispatch::consumer_options{.name = "counter"});
    start(options(all_topics()));
    ASSERT_EQ(gw_->connection_count(), 3U); // symbol-aligned, 5 topics each
    ASSERT_TRUE(eventually([&] { return ready(); }));

    auto totals = [&](std::string_view key) {
        return status_number(gw_->status_json(), key);
    };
    auto recover = [&] {
        return eventually([&] { return ready(); });
    };

    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("reconnects") >= 3; }));
    ASSERT_TRUE(recover());

    ASSERT_EQ(control(R"({"action":"drop","mode":"close"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("reconnects") >= 6; }));
    ASSERT_TRUE(recover());

    ASSERT_EQ(control(R"({"action":"skip_update","topic":"orderbook.50.BTCUSDT"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("book_gaps") >= 1; }));
    ASSERT_TRUE(recover());
    EXPECT_EQ(totals("reconnects"), 6); // surgical: no connection was replaced

    ASSERT_EQ(control(R"({"action":"crossed","topic":"orderbook.50.ETHUSDT"})"), 200U);
    ASSERT_TRUE(eventually([&] {
        return gw_->metrics_text().find("mdgate_book_crossed_total 1") != std::string::npos;
    }));
    ASSERT_TRUE(recover());

    ASSERT_EQ(control(R"({"action":"stall","seconds":2.5})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("handler_timeouts") >= 3; }));
    ASSERT_TRUE(recover());

    ASSERT_EQ(control(R"({"action":"restart"})"), 200U);
    ASSERT_EQ(control(R"({"action":"malformed"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("decode_errors") >= 3; }));
    ASSERT_TRUE(recover());

    // REST down and connections refused: the shared probe fails (ERROR once per run), the
    // connections back off and come back when the server does.
    ASSERT_EQ(control(R"({"action":"rest_time","mode":"error","seconds":3})"), 200U);
    ASSERT_EQ(control(R"({"action":"refuse_ws","seconds":2})"), 200U);
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("network_validation_failures") >= 1; }));
    ASSERT_TRUE(recover());

    // Quiesce and compare every book with the simulator's truth.
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    std::this_thread::sleep_for(300ms);
    for (const char* s : {"BTCUSDT", "ETHUSDT", "SOLUSDT"}) {
        expect_equals_truth(s, 50);
    }
    EXPECT_GT(counter->books.load(), 0U);
    EXPECT_GT(counter->trades.load(), 0U);

    // Metrics are valid text with the series the report relies on.
    const auto m = gw_->metrics_text();
    for (const char* series :
         {"mdgate_ws_messages_total{", "mdgate_handler_timeouts_total ", "mdgate_books{",
          "mdgate_network_errors_total{kind=\"probe\"}", "mdgate_reconnects_total{",
          "process_resident_memory_bytes ", "mdgate_callback_duration_seconds_bucket{"}) {
        EXPECT_NE(m.find(series), std::string::npos) << series;
    }

    // Clean stop: nothing reconnects afterwards.
    EXPECT_TRUE(gw_->stop());
    const auto accepted_at_stop = accepted();
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(accepted(), accepted_at_stop);
}

// `--record` (issue #14 item 8): a recording made through faults (reconnects, a gap, a crossed
// book, a malformed frame) and rotated over several files replays to exactly the books the
// gateway held: every level, every update id, and the state the gateway left them in.
TEST_F(GatewayTest, ARecordingReplaysToExactlyTheBooksTheGatewayHeld) {
    const auto dir = std::filesystem::path(::testing::TempDir()) / "mdg_gateway_recording";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto o = options(all_topics());
    o.record.emplace();
    o.record->writer.dir = dir;
    // Several files (a zstd file grows at each flush): replay crosses rotations.
    o.record->writer.max_file_bytes = 16 << 10;
    o.record->writer.flush_interval = 100ms;
    o.record->writer.max_total_bytes = 0;
    o.freshness.orderbook = 0ms; // the pause below must not flag books stale by silence
    start(std::move(o));
    ASSERT_TRUE(eventually([&] { return ready(); }));
    const auto totals = [&](std::string_view key) {
        return status_number(gw_->status_json(), key);
    };
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("reconnects") >= 3; }));
    ASSERT_TRUE(eventually([&] { return ready(); }));
    ASSERT_EQ(control(R"({"action":"skip_update","topic":"orderbook.50.BTCUSDT"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("book_gaps") >= 1; }));
    ASSERT_EQ(control(R"({"action":"crossed","topic":"orderbook.50.ETHUSDT"})"), 200U);
    ASSERT_EQ(control(R"({"action":"malformed"})"), 200U);
    ASSERT_TRUE(eventually([&] { return totals("decode_errors") >= 1; }));
    ASSERT_TRUE(eventually([&] { return ready(); }));

    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    const std::array<const char*, 3> symbols{"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    ASSERT_TRUE(eventually([&] {
        return std::all_of(symbols.begin(), symbols.end(),
                           [&](const char* s) { return at_truth(s, 50); });
    }));
    std::vector<book_copy> held;
    for (const char* s : symbols) {
        held.push_back(*gw_->book(s, 50));
    }
    EXPECT_EQ(metric(R"(mdgate_record_dropped_total{reason="queue_full"})"), 0U);
    ASSERT_TRUE(gw_->stop()); // the recorder writes out everything and closes its file
    const auto frames = gw_->totals().frames; // after the stop: pongs arrive until then

    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 2U);
    replay::replayer r;
    std::size_t subscribes = 0;
    for (const auto& f : files) {
        r.begin_file();
        std::string message;
        replay::capture_read_info info;
        ASSERT_FALSE(replay::for_each_frame_in_file(
            f,
            [&](std::string_view line) {
                subscribes += line.find(R"(\"op\":\"subscribe\")") != std::string_view::npos &&
                              line.find(R"("d":"out")") != std::string_view::npos;
                r.on_line(line);
            },
            message, &info))
            << message;
        EXPECT_TRUE(info.compressed);
        EXPECT_FALSE(info.truncated) << f;
    }
    const auto& st = r.stats();
    EXPECT_EQ(st.headers, files.size());
    EXPECT_EQ(st.bad_records, 0U);
    EXPECT_EQ(st.frames, frames) << "every frame the gateway read is in the recording";
    EXPECT_GE(subscribes, 6U) << "the subscriptions, first and after the reconnects";
    EXPECT_GE(st.records[static_cast<std::size_t>(record::record_kind::down)], 6U);
    EXPECT_GE(st.decode_error_total(), 1U);
    const auto replayed = replay::sum_books(r.state());
    EXPECT_GE(replayed.gaps + replayed.crossed, 2U) << "the faults are in the recording";
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        SCOPED_TRACE(symbols[i]);
        const auto id =
            r.instruments().find(model::venue::bybit, model::category::linear, symbols[i]);
        ASSERT_TRUE(id);
        const auto* e = r.state().book(*id, 50);
        ASSERT_NE(e, nullptr);
        const auto& b = e->book;
        // The gateway's connections closed at stop, as recorded: its books went stale then.
        EXPECT_EQ(b.state(), book::book_state::stale);
        EXPECT_EQ(b.update_id(), held[i].update_id);
        ASSERT_EQ(b.bid_count(), held[i].bids.size());
        ASSERT_EQ(b.ask_count(), held[i].asks.size());
        for (std::size_t k = 0; k < b.bid_count(); ++k) {
            EXPECT_EQ(b.bid(k).px.raw, held[i].bids[k].px.raw) << k;
            EXPECT_EQ(b.bid(k).sz.raw, held[i].bids[k].sz.raw) << k;
        }
        for (std::size_t k = 0; k < b.ask_count(); ++k) {
            EXPECT_EQ(b.ask(k).px.raw, held[i].asks[k].px.raw) << k;
            EXPECT_EQ(b.ask(k).sz.raw, held[i].asks[k].sz.raw) << k;
        }
    }
    std::filesystem::remove_all(dir);
}

// A consumer that sleeps 10 s in every callback and ignores its stop token.
class sleeping_consumer : public dispatch::consumer {
  public:
    void on_book(const dispatch::book_view&, std::stop_token) override {
        calls.fetch_add(1);
        std::this_thread::sleep_for(10s);
    }
    std::atomic<int> calls{0};
};

// A book message that cannot be applied (issue #14): a bad number in a delta, or a snapshot
// of more levels than any depth, never leaves its book live without it or syncing for good.
// The book goes resyncing at once (not on the next delta's gap: no gap is counted), that one
// topic is resubscribed, and the book comes back live equal to the simulator's truth.
class UnusableBookTest : public GatewayTest {
  protected:
    void SetUp() override {
        GatewayTest::SetUp();
        auto o = options({"orderbook.50.BTCUSDT", "tickers.BTCUSDT", "orderbook.50.ETHUSDT"});
        o.freshness.orderbook = 0ms; // pauses below: silence must not flag the books stale
        start(std::move(o));
        ASSERT_TRUE(eventually([&] { return live("BTCUSDT") && live("ETHUSDT"); }));
        gaps_ = gw_->totals().book_gaps;
        resyncs_ = metric("mdgate_book_resyncs_total");
    }
    bool live(std::string_view symbol) {
        const auto b = gw_->book(symbol, 50);
        return b && b->state == book::book_state::live;
    }
    // Pauses the market and compares both books with the truth.
    void expect_both_at_truth() {
        ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
        ASSERT_TRUE(eventually([&] { return at_truth("BTCUSDT", 50) && at_truth("ETHUSDT", 50); }));
        expect_equals_truth("BTCUSDT", 50);
        expect_equals_truth("ETHUSDT", 50);
    }
    std::uint64_t gaps_ = 0;
    std::uint64_t resyncs_ = 0;
};

TEST_F(UnusableBookTest, BadNumbersInADeltaResyncThatBookAtOnce) {
    // A digit beyond 8 decimals, a letter, a price of 0 (the book's invalid: counted with gaps).
    for (const char* mode : {"precision", "malformed", "zero"}) {
        SCOPED_TRACE(mode);
        ASSERT_EQ(
            control(fmt::format(
                R"({{"action":"bad_number","topic":"orderbook.50.BTCUSDT","mode":"{}"}})", mode)),
            200U);
        ASSERT_TRUE(eventually([&] { return metric("mdgate_book_resyncs_total") > resyncs_; }));
        resyncs_ = metric("mdgate_book_resyncs_total");
        expect_both_at_truth();
        // Not the next delta's gap: the book never stayed live past the bad one.
        EXPECT_EQ(gw_->totals().book_gaps, gaps_ + (std::string_view(mode) == "zero" ? 1 : 0));
        ASSERT_EQ(control(R"({"action":"resume"})"), 200U);
    }
    EXPECT_EQ(metric(R"(mdgate_decode_errors_total{kind="precision_exceeded"})"), 1U);
    EXPECT_EQ(metric(R"(mdgate_decode_errors_total{kind="invalid_number"})"), 1U);
    EXPECT_EQ(gw_->totals().reconnects, 0U); // surgical
}

TEST_F(UnusableBookTest, AnOversizedSnapshotResyncsThatBookInsteadOfSyncingForGood) {
    // On the subscription after a reconnect, with the market paused: nothing else would ever
    // bring the book a snapshot.
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    ASSERT_EQ(control(R"({"action":"oversized_snapshot","topic":"orderbook.50.BTCUSDT"})"), 200U);
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually(
        [&] { return metric(R"(mdgate_decode_errors_total{kind="too_many_levels"})") == 1; }));
    expect_both_at_truth();
    EXPECT_EQ(metric("mdgate_book_resyncs_total"), resyncs_ + 1);
    EXPECT_EQ(gw_->totals().book_gaps, gaps_);
    // The drop only: the resync is surgical.
    EXPECT_EQ(gw_->totals().reconnects, gw_->connection_count());
}

TEST_F(GatewayTest, ASlowConsumerNeverStallsTheFeedOrTheOtherConsumers) {
    auto slow = std::make_shared<sleeping_consumer>();
    auto fast = std::make_shared<counting_consumer>();
    consumers_.emplace_back(slow, dispatch::consumer_options{.name = "slow"});
    consumers_.emplace_back(fast, dispatch::consumer_options{.name = "fast"});
    auto o = options({"orderbook.50.BTCUSDT", "publicTrade.BTCUSDT", "tickers.BTCUSDT"});
    o.consumer_threads = 1; // the slow consumer takes it; the pool must replace it
    start(std::move(o));
    ASSERT_TRUE(eventually([&] { return ready(); }));
    ASSERT_TRUE(eventually([&] { return slow->calls.load() >= 1; }));
    const auto fast_before = fast->books.load();
    // Well past the 3 s budget and the 1.5 s receive timeout.
    std::this_thread::sleep_for(5s);
    const auto status = gw_->status_json();
    EXPECT_EQ(status_number(status, "handler_timeouts"), 0) << status;
    EXPECT_EQ(status_number(status, "reconnects"), 0) << status;
    EXPECT_GE(status_number(status, "callback_timeouts"), 1) << status;
    EXPECT_TRUE(ready());
    EXPECT_GT(fast->books.load(), fast_before + 10);
    // The fast consumer is current: its last book is the gateway's book (feed paused).
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    std::this_thread::sleep_for(300ms);
    const auto book = gw_->book("BTCUSDT", 50);
    ASSERT_TRUE(book.has_value());
    EXPECT_TRUE(eventually([&] { return fast->last_u.load() == book->update_id; }, 5s));
    const auto m = gw_->metrics_text();
    EXPECT_NE(m.find("mdgate_callback_timeouts_total{consumer=\"slow\"} 1"), std::string::npos)
        << m;
    EXPECT_NE(m.find("mdgate_callback_timeouts_total{consumer=\"fast\"} 0"), std::string::npos);
    EXPECT_EQ(m.find("mdgate_queue_dropped_total{queue=\"consumer_slow\",reason=\"conflated\"} 0"),
              std::string::npos)
        << "the slow consumer's books were conflated";
    // Pongs kept coming while the consumer slept.
    EXPECT_NE(status.find("\"last_pong_age_seconds\":"), std::string::npos);
    // Shutdown does not wait 10 s for the sleeper beyond its drain deadline.
    EXPECT_FALSE(gw_->stop());
}

TEST_F(GatewayTest, ReadinessFollowsTheDataFreshness) {
    auto o = options({"orderbook.50.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT"});
    o.connection.receive_timeout = 10s; // a stall makes data stale, not a reconnect
    o.connection.pong_timeout = 10s;
    o.freshness.orderbook = 700ms;
    start(std::move(o));
    ASSERT_TRUE(eventually([&] { return ready(); }));
    EXPECT_EQ(get("/healthz").first, 200U);
    ASSERT_EQ(control(R"({"action":"stall","seconds":3})"), 200U);
    ASSERT_TRUE(eventually([&] { return !ready(); }, 5s));
    const auto [code, body] = get("/readyz");
    EXPECT_EQ(code, 503U);
    EXPECT_NE(body.find("orderbook.50.BTCUSDT"), std::string::npos) << body;
    EXPECT_NE(body.find("stale"), std::string::npos) << body;
    EXPECT_EQ(body.find("publicTrade.BTCUSDT"), std::string::npos)
        << "a quiet trades topic is never stale: " << body;
    EXPECT_EQ(get("/healthz").first, 200U); // alive all along
    ASSERT_TRUE(eventually([&] { return ready(); }));
    EXPECT_EQ(status_number(gw_->status_json(), "reconnects"), 0);
}

TEST_F(GatewayTest, TenConnectionsDroppedAtOnceReconnectSpreadOut) {
    std::vector<std::string> topics;
    for (int i = 0; i < 10; ++i) {
        topics.push_back(fmt::format("orderbook.1.SYM{}USDT", i));
    }
    TearDown(); // a simulator with ten symbols
    sim::server_options opts;
    opts.port = 0;
    opts.rate = 200;
    for (int i = 0; i < 10; ++i) {
        opts.symbols.push_back({fmt::format("SYM{}USDT", i), 100'000, 2, 2});
    }
    sim_ioc_.restart();
    start_sim(std::move(opts));
    auto o = options(topics);
    o.plan.max_topics_per_connection = 1;
    start(std::move(o));
    ASSERT_EQ(gw_->connection_count(), 10U);
    ASSERT_TRUE(eventually([&] { return ready(); }));
    const auto before = accepted();
    const auto t0 = steady::now();
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually([&] { return accepted() >= before + 10; }));
    const auto spread = steady::now() - t0;
    // The connect budget (burst 4, then 4 per second) and the jittered backoff spread the
    // ten reconnects: they cannot all land in the same instant.
    EXPECT_GT(spread, 1s);
    ASSERT_TRUE(eventually([&] { return ready(); }));
}

} // namespace
} // namespace mdg::gateway
