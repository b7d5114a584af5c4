#include <filesystem>
#include <fstream>
#include <poll.h>
#include <set>
#include <sys/socket.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "exchange/bybit/parse.hpp"
#include "market/market_state.hpp"
#include "model/fixed_point.hpp"
#include "sim/server.hpp"
#include "support/test_data.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::sim {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::ws_test_client;
namespace http = boost::beast::http;

std::vector<symbol_config> symbols() {
    return {{"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}};
}

// Reads messages until one contains `needle`; nullopt if none within the deadline.
std::optional<std::string> read_until(ws_test_client& c, std::string_view needle,
                                      std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto m = c.read(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!m) {
            return std::nullopt;
        }
        if (m->find(needle) != std::string::npos) {
            return m;
        }
    }
    return std::nullopt;
}

// A client-side mirror: mdgate's own decoder and market state.
struct mirror {
    model::instrument_registry reg;
    exchange::bybit::decoder dec;
    market::market_state state;
    model::category cat;
    std::map<book::apply_status, int> outcomes;
    std::map<errc, int> errors;

    explicit mirror(model::category c) : cat(c) {}

    void apply(const std::string& frame) {
        auto r = dec.decode(frame, {cat, &reg, true, unix_nanos{1}});
        if (!r) {
            ++errors[static_cast<errc>(r.error().value())];
            return;
        }
        if ((*r)->type == exchange::bybit::frame_type::orderbook) {
            ++outcomes[state.on_book((*r)->book)];
        }
    }
    const market::book_entry* book(std::string_view symbol, std::uint16_t depth) {
        auto id = reg.find(model::venue::bybit, cat, symbol);
        return id ? state.book(*id, depth) : nullptr;
    }
};

// The simulator on its own thread, on an ephemeral loopback port. Tests talk to it only over
// the network (WebSocket, REST, /sim/control, /sim/status), as a user would.
class SimTest : public ::testing::Test {
  protected:
    void start(server_options opts = {}) {
        // spdlog creates its registry lazily inside the (uninstrumented) shared library: make it
        // exist before a second thread logs, or ThreadSanitizer reports that first use.
        (void)spdlog::default_logger_raw();
        opts.port = 0;
        if (opts.symbols.empty()) {
            opts.symbols = symbols();
        }
        server_ = std::make_unique<server>(ioc_, std::move(opts));
        server_->start();
        port_ = server_->port();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    void TearDown() override {
        if (!server_) {
            return;
        }
        boost::asio::post(ioc_, [this] { server_->stop(); });
        auto guard = std::make_shared<boost::asio::steady_timer>(ioc_, 300ms);
        guard->async_wait([this, guard](auto) { ioc_.stop(); });
        thread_.join();
    }

    std::pair<unsigned, std::string> control(const std::string& json) {
        return http_request(port_, http::verb::post, "/sim/control", json);
    }
    std::string get(const std::string& target) {
        auto [status, body] = http_request(port_, http::verb::get, target);
        EXPECT_EQ(status, 200U) << target << ": " << body;
        return body;
    }
    std::uint64_t stat(std::string_view name) {
        const auto body = get("/sim/status");
        simdjson::dom::parser p;
        std::uint64_t v = 0;
        EXPECT_EQ(p.parse(body)["stats"][name].get(v), simdjson::SUCCESS) << body;
        return v;
    }
    // Pauses the market, then applies what is still in flight until the feed is quiet.
    void pause_and_drain(ws_test_client& c, mirror& m) {
        ASSERT_EQ(control(R"({"action":"pause"})").first, 200U);
        while (auto f = c.read(300ms)) {
            m.apply(*f);
        }
    }
    std::unique_ptr<ws_test_client> connect(std::string_view category = "linear") {
        auto c = std::make_unique<ws_test_client>();
        EXPECT_TRUE(c->connect(port_, "/v5/public/" + std::string(category)))
            << c->error().message();
        return c;
    }

    boost::asio::io_context ioc_;
    std::unique_ptr<server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

// Compares a mirrored book with /sim/truth/book by value.
void expect_equals_truth(const market::book_entry& e, const std::string& truth_json) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(truth_json).get(doc), simdjson::SUCCESS) << truth_json;
    std::uint64_t u = 0;
    ASSERT_EQ(doc["u"].get(u), simdjson::SUCCESS);
    EXPECT_EQ(e.book.update_id(), u);
    EXPECT_EQ(e.book.state(), book::book_state::live);
    for (const char* side : {"bids", "asks"}) {
        simdjson::dom::array levels;
        ASSERT_EQ(doc[side].get(levels), simdjson::SUCCESS);
        const bool bids = side[0] == 'b';
        ASSERT_EQ(levels.size(), bids ? e.book.bid_count() : e.book.ask_count()) << side;
        std::size_t i = 0;
        for (auto l : levels) {
            std::string_view px;
            std::string_view sz;
            ASSERT_EQ(l.at(0).get(px), simdjson::SUCCESS);
            ASSERT_EQ(l.at(1).get(sz), simdjson::SUCCESS);
            const auto& mine = bids ? e.book.bid(i) : e.book.ask(i);
            EXPECT_EQ(mine.px.raw, *model::parse_fixed(px, 8, false)) << side << " " << i;
            EXPECT_EQ(mine.sz.raw, *model::parse_fixed(sz, 8, false)) << side << " " << i;
            ++i;
        }
    }
}

TEST_F(SimTest, AcksPongsAndErrorsHaveTheVenueShapes) {
    start();
    auto lin = connect("linear");
    lin->send(R"({"op":"subscribe","args":["tickers.BTCUSDT"]})");
    auto ack = read_until(*lin, R"("op":"subscribe")");
    ASSERT_TRUE(ack);
    EXPECT_NE(ack->find(R"("success":true,"ret_msg":"")"), std::string::npos) << *ack;
    EXPECT_NE(ack->find(R"("req_id":"")"), std::string::npos) << *ack;

    lin->send(R"({"req_id":"7","op":"ping"})");
    auto pong = read_until(*lin, R"("ret_msg":"pong")");
    ASSERT_TRUE(pong);
    EXPECT_NE(pong->find(R"("req_id":"7","op":"ping")"), std::string::npos) << *pong;

    lin->send(R"({"req_id":"8","op":"subscribe","args":["tickers.BTCUSDT"]})");
    auto dup = read_until(*lin, R"("req_id":"8")");
    ASSERT_TRUE(dup);
    EXPECT_NE(dup->find("error:already subscribed,topic:tickers.BTCUSDT"), std::string::npos);
    EXPECT_NE(dup->find(R"("success":false)"), std::string::npos);

    lin->send(R"({"req_id":"9","op":"subscribe","args":["orderbook.500.BTCUSDT"]})");
    auto retired = read_until(*lin, R"("req_id":"9")");
    ASSERT_TRUE(retired);
    EXPECT_NE(retired->find("error:handler not found,topic:orderbook.500.BTCUSDT"),
              std::string::npos);

    lin->send(R"({"req_id":"10","op":"dance"})");
    EXPECT_TRUE(read_until(*lin, R"("req_id":"10")"));
    lin->send("this is not json");
    EXPECT_TRUE(read_until(*lin, "request not valid JSON"));

    auto spot = connect("spot");
    spot->send(R"({"op":"subscribe","args":["tickers.BTCUSDT"]})");
    auto sack = read_until(*spot, R"("op":"subscribe")");
    ASSERT_TRUE(sack);
    EXPECT_NE(sack->find(R"("ret_msg":"subscribe")"), std::string::npos) << *sack;
    EXPECT_EQ(sack->find("req_id"), std::string::npos) << *sack; // absent when none was sent
    std::string many = R"({"req_id":"x","op":"subscribe","args":[)";
    for (int i = 0; i < 11; ++i) {
        many +=
            (i ? "," : "") + std::string(R"("kline.)") + std::to_string(i % 5 + 1) + R"(.BTCUSDT")";
    }
    spot->send(many + "]}");
    auto too_many = read_until(*spot, R"("req_id":"x")");
    ASSERT_TRUE(too_many);
    EXPECT_NE(too_many->find(R"(args size \u003e10)"), std::string::npos) << *too_many;
}

TEST_F(SimTest, BooksBuiltFromTheFeedEqualTheTruth) {
    start();
    for (const char* cat : {"linear", "spot"}) {
        auto c = connect(cat);
        mirror m{*model::parse_category(cat)};
        c->send(R"({"op":"subscribe","args":["orderbook.50.BTCUSDT","orderbook.200.ETHUSDT",)"
                R"("orderbook.1.BTCUSDT","publicTrade.BTCUSDT","tickers.ETHUSDT"]})");
        ASSERT_TRUE(read_until(*c, R"("op":"subscribe")"));
        // Let the market run for a while, applying everything.
        const auto until = std::chrono::steady_clock::now() + 1500ms;
        while (std::chrono::steady_clock::now() < until) {
            if (auto f = c->read(100ms)) {
                m.apply(*f);
            }
        }
        pause_and_drain(*c, m);
        EXPECT_GT(m.outcomes[book::apply_status::applied], 20) << cat;
        EXPECT_EQ(m.outcomes.size(), 1U) << cat << ": only applied updates";
        EXPECT_TRUE(m.errors.empty()) << cat;
        for (auto [sym, depth] : {std::pair{"BTCUSDT", 50}, {"ETHUSDT", 200}, {"BTCUSDT", 1}}) {
            const auto* e = m.book(sym, static_cast<std::uint16_t>(depth));
            ASSERT_NE(e, nullptr) << cat << " " << sym << " " << depth;
            const auto truth = get(
                fmt::format("/sim/truth/book?category={}&topic=orderbook.{}.{}", cat, depth, sym));
            expect_equals_truth(*e, truth);
        }
        ASSERT_EQ(control(R"({"action":"resume"})").first, 200U);
    }
}

// Subscribes `c` to one book topic and applies frames until its book is live.
void subscribe_book(ws_test_client& c, mirror& m, const std::string& topic) {
    c.send(R"({"op":"subscribe","args":[")" + topic + R"("]})");
    ASSERT_TRUE(read_until(c, R"("op":"subscribe")"));
    while (auto f = c.read(2s)) {
        m.apply(*f);
        if (m.outcomes[book::apply_status::applied] >= 3) {
            return;
        }
    }
    FAIL() << "no book frames on " << topic;
}

TEST_F(SimTest, SkippedUpdateIdIsAGapForTheClient) {
    start();
    auto c = connect();
    mirror m{model::category::linear};
    subscribe_book(*c, m, "orderbook.50.BTCUSDT");
    ASSERT_EQ(control(R"({"action":"skip_update","topic":"orderbook.50.BTCUSDT"})").first, 200U);
    while (m.outcomes[book::apply_status::gap] == 0) {
        auto f = c->read(3s);
        ASSERT_TRUE(f) << "no gap seen";
        m.apply(*f);
    }
    EXPECT_EQ(m.book("BTCUSDT", 50)->book.state(), book::book_state::resyncing);
    // The cure is what a gateway does: resubscribe for a fresh snapshot.
    c->send(R"({"op":"unsubscribe","args":["orderbook.50.BTCUSDT"]})");
    ASSERT_TRUE(read_until(*c, R"("op":"unsubscribe")"));
    c->send(R"({"op":"subscribe","args":["orderbook.50.BTCUSDT"]})");
    ASSERT_TRUE(read_until(*c, R"("op":"subscribe")"));
    while (m.book("BTCUSDT", 50)->book.state() != book::book_state::live) {
        auto f = c->read(3s);
        ASSERT_TRUE(f);
        m.apply(*f);
    }
    pause_and_drain(*c, m);
    expect_equals_truth(*m.book("BTCUSDT", 50),
                        get("/sim/truth/book?category=linear&topic=orderbook.50.BTCUSDT"));
}

TEST_F(SimTest, CrossedBookAndRestartAreObservable) {
    start();
    auto c = connect();
    mirror m{model::category::linear};
    subscribe_book(*c, m, "orderbook.50.ETHUSDT");
    ASSERT_EQ(control(R"({"action":"crossed","topic":"orderbook.50.ETHUSDT"})").first, 200U);
    while (m.outcomes[book::apply_status::crossed] == 0) {
        auto f = c->read(3s);
        ASSERT_TRUE(f) << "no crossed book seen";
        m.apply(*f);
    }
    // A venue restart: u=1 snapshots reset every book, no resubscription needed.
    ASSERT_EQ(control(R"({"action":"restart"})").first, 200U);
    bool restarted = false;
    while (!restarted) {
        auto f = c->read(3s);
        ASSERT_TRUE(f) << "no restart snapshot seen";
        restarted = f->find(R"("u":1,)") != std::string::npos;
        m.apply(*f);
    }
    EXPECT_EQ(m.book("ETHUSDT", 50)->book.state(), book::book_state::live);
    pause_and_drain(*c, m);
    expect_equals_truth(*m.book("ETHUSDT", 50),
                        get("/sim/truth/book?category=linear&topic=orderbook.50.ETHUSDT"));
}

TEST_F(SimTest, DropClosesWithACloseFrameOrAReset) {
    start();
    auto a = connect();
    auto b = connect();
    ASSERT_EQ(control(R"({"action":"drop","connection":"1","mode":"close"})").first, 200U);
    a->run_until([&] { return a->closed(); }, 3s);
    EXPECT_TRUE(a->closed());
    EXPECT_EQ(a->error(), boost::beast::websocket::error::closed); // a clean close frame
    ASSERT_EQ(control(R"({"action":"drop","connection":"2","mode":"reset"})").first, 200U);
    b->run_until([&] { return b->closed(); }, 3s);
    EXPECT_TRUE(b->closed());
    EXPECT_NE(b->error(), boost::beast::websocket::error::closed); // no close frame
    EXPECT_EQ(control(R"({"action":"drop","connection":"99"})").first, 400U);
}

// Found by `mdgate chaos`: a client that went away while its session had nothing to send
// (its writer waiting for a frame) left the session, and its socket, open for good.
TEST_F(SimTest, AClientThatGoesAwayLeavesNoSocketBehind) {
    start();
    const auto descriptors = [] {
        return std::distance(std::filesystem::directory_iterator{"/proc/self/fd"},
                             std::filesystem::directory_iterator{});
    };
    const auto before = descriptors();
    for (int i = 0; i < 5; ++i) {
        auto c = connect(); // subscribed to nothing: the server's writer has nothing to send
        c->pump(50ms);
    } // each client closes its socket here, without a close frame
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (descriptors() != before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(descriptors(), before);
}

// A raw TCP client of the simulator's port (no HTTP): for slowloris and idle sockets.
boost::asio::ip::tcp::socket raw_connect(boost::asio::io_context& ioc, std::uint16_t port) {
    boost::asio::ip::tcp::socket s{ioc};
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    return s;
}

// Whether the server closed `s` (end of stream or reset) within `wait`; false if it stayed open.
bool closed_by_server(boost::asio::ip::tcp::socket& s, std::chrono::milliseconds wait) {
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
        return false;
    }
    char byte = 0;
    return ::recv(s.native_handle(), &byte, 1, 0) <= 0;
}

TEST_F(SimTest, ASlowlorisAndAnIdleSocketAreClosedAtTheHeaderDeadline) {
    server_options o;
    o.header_timeout = 300ms;
    start(o);
    boost::asio::io_context client;
    auto slow = raw_connect(client, port_);
    const std::string partial = "GET /sim/status HTTP/1.1\r\nHost: sim\r\n"; // never ends
    boost::asio::write(slow, boost::asio::buffer(partial));
    auto idle = raw_connect(client, port_);
    EXPECT_TRUE(closed_by_server(slow, 5s));
    EXPECT_TRUE(closed_by_server(idle, 5s));
    EXPECT_EQ(stat("request_timeouts"), 2U);
    EXPECT_EQ(stat("connections_open"), 1U); // the status request itself
}

TEST_F(SimTest, ConnectionsFromOneAddressAreCapped) {
    server_options o;
    o.max_connections_per_address = 3;
    start(o);
    boost::asio::io_context client;
    std::vector<boost::asio::ip::tcp::socket> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(raw_connect(client, port_));
    }
    for (auto& h : held) {
        EXPECT_FALSE(closed_by_server(h, 200ms)); // within the cap: kept
    }
    auto fourth = raw_connect(client, port_); // TCP accepts it; the server closes it at once
    EXPECT_TRUE(closed_by_server(fourth, 5s));
    held.clear();
    // Once the held ones are gone, the address may connect again.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto [status, body] = http_request(port_, http::verb::get, "/sim/status");
        if (status == 200U) {
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_GE(stat("refused_connections"), 1U); // the fourth (and maybe a retry above)
}

TEST_F(SimTest, StallSendsNothingAndIgnoresPingsThenResumes) {
    start();
    auto c = connect();
    c->send(R"({"op":"subscribe","args":["orderbook.1.BTCUSDT"]})");
    ASSERT_TRUE(read_until(*c, "orderbook.1.BTCUSDT"));
    ASSERT_EQ(control(R"({"action":"stall","seconds":1})").first, 200U);
    c->pump(50ms);
    c->inbox().clear();
    c->send(R"({"req_id":"p","op":"ping"})");
    EXPECT_FALSE(c->read(700ms)) << "a stalled connection must stay silent";
    EXPECT_FALSE(c->closed()); // TCP stays open
    EXPECT_TRUE(read_until(*c, "orderbook.1.BTCUSDT", 3s)) << "data resumes after the stall";
    c->send(R"({"req_id":"q","op":"ping"})");
    EXPECT_TRUE(read_until(*c, R"("req_id":"q")"));
}

TEST_F(SimTest, MalformedAndOversizedFrames) {
    start();
    auto c = connect();
    mirror m{model::category::linear};
    ASSERT_EQ(control(R"({"action":"malformed"})").first, 200U);
    auto bad = c->read(3s);
    ASSERT_TRUE(bad);
    m.apply(*bad);
    EXPECT_EQ(m.errors[errc::truncated], 1);
    ASSERT_EQ(control(R"({"action":"oversized","bytes":1500000})").first, 200U);
    auto big = c->read(3s);
    ASSERT_TRUE(big);
    EXPECT_GE(big->size(), 1'400'000U);
    m.apply(*big);
    EXPECT_EQ(m.errors[errc::frame_too_large], 1);
}

TEST_F(SimTest, RejectedSubscriptionGetsTheVenuesErrorFrame) {
    start();
    auto c = connect();
    ASSERT_EQ(control(R"({"action":"reject_subscription","topic":"orderbook.50.BTCUSDT"})").first,
              200U);
    c->send(
        R"({"req_id":"r1","op":"subscribe","args":["orderbook.50.BTCUSDT","tickers.BTCUSDT"]})");
    auto r = read_until(*c, R"("req_id":"r1")");
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("handler not found,topic:orderbook.50.BTCUSDT"), std::string::npos) << *r;
    c->send(R"({"req_id":"r2","op":"subscribe","args":["orderbook.50.BTCUSDT"]})");
    auto ok = read_until(*c, R"("req_id":"r2")");
    ASSERT_TRUE(ok);
    EXPECT_NE(ok->find(R"("success":true)"), std::string::npos) << "only the next one is rejected";
}

TEST_F(SimTest, RestTimeFaultsAndRefusedConnections) {
    start();
    auto [s0, b0] = http_request(port_, http::verb::get, "/v5/market/time");
    EXPECT_EQ(s0, 200U);
    EXPECT_NE(b0.find(R"("retCode":0)"), std::string::npos);
    EXPECT_NE(b0.find("timeNano"), std::string::npos);
    ASSERT_EQ(control(R"({"action":"rest_time","mode":"error","seconds":30})").first, 200U);
    EXPECT_EQ(http_request(port_, http::verb::get, "/v5/market/time").first, 503U);
    ASSERT_EQ(control(R"({"action":"rest_time","mode":"refuse","seconds":30})").first, 200U);
    EXPECT_EQ(http_request(port_, http::verb::get, "/v5/market/time").first, 0U);
    ASSERT_EQ(control(R"({"action":"rest_time","mode":"slow","seconds":30,"delay":"300ms"})").first,
              200U);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(http_request(port_, http::verb::get, "/v5/market/time").first, 200U);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms); // the injected delay itself

    ASSERT_EQ(control(R"({"action":"refuse_ws","seconds":0.5})").first, 200U);
    ws_test_client refused;
    EXPECT_FALSE(refused.connect(port_, "/v5/public/linear"));
    // Once the half second is over, connections are accepted again.
    bool connected = false;
    for (int attempt = 0; attempt < 50 && !connected; ++attempt) {
        ws_test_client later;
        connected = later.connect(port_, "/v5/public/linear", 1s);
        if (!connected) {
            std::this_thread::sleep_for(100ms); // a retry interval, not a timing assertion
        }
    }
    EXPECT_TRUE(connected);
    EXPECT_EQ(control(R"({"action":"explode"})").first, 400U);
    // Absurd numbers are refused with a reason naming the field (and change nothing).
    for (const char* bad :
         {R"({"action":"pause","at":"1e300s"})", R"({"action":"stall","seconds":1e308})",
          R"({"action":"refuse_ws","seconds":"nan"})",
          R"({"action":"refuse_ws","seconds":"inf"})"}) {
        const auto [status, body] = control(bad);
        EXPECT_EQ(status, 400U) << bad;
        EXPECT_NE(body.find("bad value for '"), std::string::npos) << body;
    }
}

TEST_F(SimTest, AClientThatDoesNotReadIsDisconnectedAndOthersGoOn) {
    server_options opts;
    opts.max_send_queue_bytes = 256U << 10;
    opts.rate = 0; // as fast as clients read
    start(opts);
    auto reader = connect();
    reader->send(R"({"op":"subscribe","args":["orderbook.50.ETHUSDT"]})");
    // A raw socket that subscribes and then never reads.
    boost::asio::io_context ioc;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> silent{ioc};
    silent.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    silent.handshake("127.0.0.1", "/v5/public/linear");
    silent.write(boost::asio::buffer(std::string(
        R"({"op":"subscribe","args":["orderbook.1000.BTCUSDT","orderbook.200.ETHUSDT","publicTrade.BTCUSDT"]})")));
    // Keep reading on the good client while the silent one's queue grows.
    std::size_t received = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until && stat("slow_client_disconnects") == 0) {
        for (int i = 0; i < 200 && reader->read(50ms); ++i) {
            ++received; // a bounded batch: at full rate the reader never runs dry
        }
    }
    EXPECT_EQ(stat("slow_client_disconnects"), 1U);
    EXPECT_FALSE(reader->closed());
    EXPECT_GT(received, 10U);
    EXPECT_TRUE(reader->read(2s)) << "the reading client still gets data";
}

TEST_F(SimTest, RestEndpointsUseBybitEnvelopes) {
    start();
    simdjson::dom::parser p;
    const auto ob = get("/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=5");
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(ob).get(doc), simdjson::SUCCESS) << ob;
    std::int64_t code = -1;
    EXPECT_EQ(doc["retCode"].get(code), simdjson::SUCCESS);
    EXPECT_EQ(code, 0);
    simdjson::dom::array bids;
    ASSERT_EQ(doc["result"]["b"].get(bids), simdjson::SUCCESS) << ob;
    EXPECT_EQ(bids.size(), 5U);
    const auto bad = get("/v5/market/orderbook?category=linear&symbol=NOPE");
    EXPECT_NE(bad.find(R"("retCode":10001)"), std::string::npos) << bad;
    const auto inst = get("/v5/market/instruments-info?category=linear&symbol=BTCUSDT");
    EXPECT_NE(inst.find("tickSize"), std::string::npos) << inst;
    const auto tick = get("/v5/market/tickers?category=linear&symbol=BTCUSDT");
    EXPECT_NE(tick.find("lastPrice"), std::string::npos) << tick;
    EXPECT_EQ(http_request(port_, http::verb::get, "/sim/truth/book?category=linear&topic=x").first,
              404U);
    EXPECT_EQ(http_request(port_, http::verb::get, "/nowhere").first, 404U);
}

TEST_F(SimTest, ReplayServesEveryFrameOfTheCaptureInOrder) {
    const std::string capture = test::bybit_data_path("cryptofeed_linear_2026-08-09.frames.jsonl");
    server_options opts;
    opts.replay_file = capture;
    opts.replay_speed = 0; // as fast as the client reads
    start(opts);
    // Expected: every frame with a topic, in file order (the simulator makes its own acks).
    std::vector<std::string> expected;
    std::set<std::string> topics;
    std::ifstream in(capture);
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(R"("topic":")");
        if (at == std::string::npos) {
            continue;
        }
        const auto start_at = at + 9;
        topics.insert(line.substr(start_at, line.find('"', start_at) - start_at));
        expected.push_back(line);
    }
    ASSERT_EQ(expected.size(), 2546U - 17U);
    auto c = connect();
    std::string req = R"({"op":"subscribe","args":[)";
    bool first = true;
    for (const auto& t : topics) {
        req += (first ? "\"" : ",\"") + t + "\"";
        first = false;
    }
    c->send(req + "]}");
    ASSERT_TRUE(read_until(*c, R"("op":"subscribe")"));
    std::size_t i = 0;
    while (i < expected.size()) {
        auto f = c->read(5s);
        ASSERT_TRUE(f) << "stopped after " << i << " frames";
        ASSERT_EQ(*f, expected[i]) << "frame " << i;
        ++i;
    }
    EXPECT_FALSE(c->read(300ms)) << "nothing beyond the capture";
    auto [status, body] = control(R"({"action":"restart"})");
    EXPECT_EQ(status, 400U) << body; // market faults need a market
}

TEST_F(SimTest, HugeRequestsAndEndlessSubscriptionsAreRefused) {
    start();
    auto other = connect();
    // Far more topics than the 21,000-character args budget of one connection.
    std::string req = R"({"req_id":"many","op":"subscribe","args":[)";
    for (int i = 0; i < 2000; ++i) {
        req += fmt::format(R"({}"orderbook.50.BTCUSDT{}")", i ? "," : "", i);
    }
    auto c = connect();
    c->send(req + "]}");
    auto r = read_until(*c, R"("req_id":"many")");
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("args length exceeds 21000"), std::string::npos) << r->substr(0, 200);
    // A request frame above the limit closes that connection (1009), and only that one.
    c->send(std::string(200'000, ' '));
    c->run_until([&] { return c->closed(); }, 3s);
    EXPECT_TRUE(c->closed());
    other->send(R"({"req_id":"alive","op":"ping"})");
    EXPECT_TRUE(read_until(*other, R"("req_id":"alive")"));
}

} // namespace
} // namespace mdg::sim
