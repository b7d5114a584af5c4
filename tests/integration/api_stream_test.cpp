// The data API and the WebSocket stream (docs/api.md) of a whole gateway against the simulator
// on loopback: a client keeps local books from snapshots and deltas and proves them with the
// checksums and against the simulator's truth; faults, client errors, a slow consumer, limits.
#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "gateway/gateway.hpp"
#include "model/fixed_point.hpp"
#include "sim/server.hpp"
#include "support/sim_harness.hpp"
#include "support/ws_frames.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::gateway {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// A liveness guard for waits, never a measured threshold.
constexpr auto patience = 30s;

template <class Pred> bool eventually(Pred p, std::chrono::milliseconds limit = patience) {
    return test::eventually(std::move(p), limit);
}

// A stream client (Beast) that can send a bearer token, shrink its receive buffer and stop
// reading. Like test::ws_test_client, it runs its own io_context only while the test waits on
// it: a client the test does not pump reads nothing.
class stream_client {
  public:
    bool connect(std::uint16_t port, const std::string& token = {}, int receive_buffer = 0) {
        auto& sock = beast::get_lowest_layer(ws_).socket();
        sock.open(tcp::v4());
        if (receive_buffer > 0) {
            sock.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
        }
        if (!token.empty()) {
            ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& r) {
                r.set(http::field::authorization, "Bearer " + token);
            }));
        }
        bool done = false;
        beast::get_lowest_layer(ws_).expires_after(5s);
        beast::get_lowest_layer(ws_).async_connect(
            tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}, [&](beast::error_code ec) {
                if (ec) {
                    error_ = ec;
                    done = true;
                    return;
                }
                ws_.async_handshake(response_, "127.0.0.1", "/v1/stream",
                                    [&](beast::error_code hec) {
                                        error_ = hec;
                                        done = true;
                                    });
            });
        run_until([&] { return done; }, 6s);
        if (!done || error_) {
            return false;
        }
        beast::get_lowest_layer(ws_).expires_never();
        ws_.read_message_max(64U << 20);
        start_read();
        return true;
    }

    void send(const std::string& text) {
        bool done = false;
        outgoing_ = text;
        ws_.text(true);
        ws_.async_write(asio::buffer(outgoing_), [&](beast::error_code ec, std::size_t) {
            if (ec) {
                error_ = ec;
            }
            done = true;
        });
        run_until([&] { return done; }, 5s);
    }

    std::optional<std::string> read(std::chrono::milliseconds timeout = 5s) {
        run_until([&] { return !inbox_.empty() || closed_; }, timeout);
        if (inbox_.empty()) {
            return std::nullopt;
        }
        auto m = std::move(inbox_.front());
        inbox_.pop_front();
        return m;
    }

    /// Reads until the connection ends (or `timeout`); true when it did.
    bool wait_closed(std::chrono::milliseconds timeout = 10s) {
        return run_until(
            [&] {
                inbox_.clear();
                return closed_;
            },
            timeout);
    }

    template <class Pred> bool run_until(Pred pred, std::chrono::milliseconds timeout) {
        const auto deadline = steady::now() + timeout;
        while (!pred()) {
            const auto now = steady::now();
            if (now >= deadline) {
                return false;
            }
            ioc_.restart();
            ioc_.run_one_for(std::min<steady::duration>(deadline - now, 20ms));
        }
        return true;
    }

    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] beast::error_code error() const { return error_; }
    [[nodiscard]] const websocket::close_reason& reason() const { return ws_.reason(); }
    [[nodiscard]] const websocket::response_type& response() const { return response_; }

  private:
    void start_read() {
        ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
            if (ec) {
                error_ = ec;
                closed_ = true;
                return;
            }
            inbox_.push_back(beast::buffers_to_string(buffer_.data()));
            buffer_.consume(buffer_.size());
            start_read();
        });
    }

    asio::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    websocket::response_type response_;
    beast::flat_buffer buffer_;
    std::deque<std::string> inbox_;
    std::string outgoing_;
    beast::error_code error_;
    bool closed_ = false;
};

// A copy of the fields of one stream message the tests look at.
struct message {
    std::string type;
    std::string ch;
    std::uint64_t seq = 0;
    std::string code; ///< error answers
    std::int64_t id = -1;
    std::vector<std::string> channels;
    std::vector<std::string> error_codes; ///< subscribed/unsubscribed answers
};

message parse_message(const std::string& text) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    message m;
    if (p.parse(text).get(doc) != simdjson::SUCCESS) {
        ADD_FAILURE() << "not JSON: " << text;
        return m;
    }
    std::string_view sv;
    if (doc["type"].get(sv) == simdjson::SUCCESS) {
        m.type = sv;
    }
    if (doc["ch"].get(sv) == simdjson::SUCCESS) {
        m.ch = sv;
    }
    if (doc["code"].get(sv) == simdjson::SUCCESS) {
        m.code = sv;
    }
    if (doc["seq"].get(m.seq) != simdjson::SUCCESS) {
        m.seq = 0; // answers have none
    }
    if (doc["id"].get(m.id) != simdjson::SUCCESS) {
        m.id = -1; // absent or null
    }
    if (simdjson::dom::array a; doc["channels"].get(a) == simdjson::SUCCESS) {
        for (auto c : a) {
            if (c.get(sv) == simdjson::SUCCESS) {
                m.channels.emplace_back(sv);
            }
        }
    }
    if (simdjson::dom::array a; doc["errors"].get(a) == simdjson::SUCCESS) {
        for (auto e : a) {
            if (e["code"].get(sv) == simdjson::SUCCESS) {
                m.error_codes.emplace_back(sv);
            }
        }
    }
    return m;
}

std::int64_t fixed(std::string_view s) {
    auto v = model::parse_fixed(s, 8, false);
    EXPECT_TRUE(v.has_value()) << s;
    return v.has_value() ? *v : -1;
}

// A client's copy of one book channel, kept by the rules of docs/api.md.
struct local_book {
    using level = std::pair<std::string, std::string>; // price, size as sent
    std::map<std::int64_t, level, std::greater<>> bids;
    std::map<std::int64_t, level> asks;
    std::size_t depth = 0;
    std::uint64_t u = 0;
    std::string state;

    template <class Side> static void apply(Side& side, simdjson::dom::array levels) {
        for (auto l : levels) {
            std::string_view px;
            std::string_view sz;
            if (l.at(0).get(px) != simdjson::SUCCESS || l.at(1).get(sz) != simdjson::SUCCESS) {
                ADD_FAILURE() << "bad level";
                continue;
            }
            if (sz == "0") {
                side.erase(fixed(px));
            } else {
                side[fixed(px)] = {std::string(px), std::string(sz)};
            }
        }
    }
    template <class Side> void cut(Side& side) const {
        while (side.size() > depth) {
            side.erase(std::prev(side.end()));
        }
    }
    [[nodiscard]] std::uint32_t checksum() const {
        std::string s;
        auto b = bids.begin();
        auto a = asks.begin();
        auto piece = [&](const level& l) {
            if (!s.empty()) {
                s += ':';
            }
            s += l.first;
            s += ':';
            s += l.second;
        };
        for (int i = 0; i < 25; ++i) {
            if (b != bids.end()) {
                piece((b++)->second);
            }
            if (a != asks.end()) {
                piece((a++)->second);
            }
        }
        return static_cast<std::uint32_t>(
            crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
    }
};

// Checks every message of one stream: contiguous seq per channel, books by the checksum.
struct stream_checker {
    std::map<std::string, std::uint64_t> seq;
    std::map<std::string, local_book> books;
    std::map<std::string, std::vector<std::string>> states; ///< each book's state changes
    std::vector<message> answers;                           ///< messages without a channel
    std::size_t snapshots = 0;
    std::size_t conflated = 0;
    std::size_t deltas = 0;
    std::size_t events = 0;
    std::size_t gaps = 0;
    std::size_t failures = 0;

    template <class... Args> void fail(fmt::format_string<Args...> f, Args&&... args) {
        if (failures++ < 5) {
            ADD_FAILURE() << fmt::format(f, std::forward<Args>(args)...);
        }
    }

    void on(const std::string& text) {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        if (p.parse(text).get(doc) != simdjson::SUCCESS) {
            fail("not JSON: {}", text);
            return;
        }
        std::string_view type;
        std::string_view ch;
        std::uint64_t s = 0;
        if (doc["type"].get(type) != simdjson::SUCCESS) {
            fail("no type: {}", text);
            return;
        }
        if (doc["ch"].get(ch) != simdjson::SUCCESS) {
            answers.push_back(parse_message(text));
            return;
        }
        if (doc["seq"].get(s) != simdjson::SUCCESS) {
            fail("no seq: {}", text);
        }
        auto& last = seq[std::string(ch)];
        if (s != last + 1) {
            fail("{}: seq {} after {}", ch, s, last);
        }
        last = s;
        if (type == "gap") {
            ++gaps;
            return;
        }
        if (type != "snapshot" && type != "delta") {
            ++events;
            return;
        }
        const bool known = books.contains(std::string(ch));
        auto& b = books[std::string(ch)];
        if (!known) {
            b.depth = std::stoul(std::string(ch.substr(5, ch.find('.', 5) - 5)));
            if (type != "snapshot") {
                fail("{}: the first book message is a {}", ch, type);
            }
        }
        bool conf = false;
        if (type == "snapshot") {
            ++snapshots;
            if (doc["conflated"].get(conf) != simdjson::SUCCESS) {
                fail("{}: snapshot without conflated", ch);
            }
            if (!known && conf) {
                fail("{}: the first snapshot is conflated", ch);
            }
            conflated += conf ? 1 : 0;
            b.bids.clear();
            b.asks.clear();
        } else {
            ++deltas;
        }
        simdjson::dom::array bids;
        simdjson::dom::array asks;
        std::string_view state;
        std::uint64_t u = 0;
        std::uint64_t sum = 0;
        if (doc["bids"].get(bids) != simdjson::SUCCESS ||
            doc["asks"].get(asks) != simdjson::SUCCESS ||
            doc["state"].get(state) != simdjson::SUCCESS || doc["u"].get(u) != simdjson::SUCCESS ||
            doc["checksum"].get(sum) != simdjson::SUCCESS) {
            fail("{}: incomplete book message {}", ch, text);
            return;
        }
        if (type == "delta" && u < b.u) {
            fail("{}: u went back from {} to {} in a delta", ch, b.u, u);
        }
        local_book::apply(b.bids, bids);
        local_book::apply(b.asks, asks);
        b.cut(b.bids);
        b.cut(b.asks);
        b.u = u;
        if (state != b.state) {
            states[std::string(ch)].emplace_back(state);
            b.state = state;
        }
        if (b.checksum() != sum) {
            fail("{} seq {}: local checksum {} but the message says {}", ch, s, b.checksum(), sum);
        }
    }
};

class ApiStreamTest : public ::testing::Test {
  protected:
    void SetUp() override {
        (void)spdlog::default_logger_raw(); // see FeedTest: spdlog's lazy registry vs TSan
        start_sim(400);
    }
    void start_sim(double rate) {
        sim::server_options opts;
        opts.port = 0;
        opts.rate = rate;
        opts.symbols = {{"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}};
        server_ = std::make_unique<sim::server>(sim_ioc_, std::move(opts));
        server_->start();
        port_ = server_->port();
        thread_ = std::thread([this] { sim_ioc_.run(); });
    }
    void stop_sim() {
        asio::post(sim_ioc_, [this] { server_->stop(); });
        auto guard = std::make_shared<asio::steady_timer>(sim_ioc_, 300ms);
        guard->async_wait([this, guard](auto) { sim_ioc_.stop(); });
        thread_.join();
    }
    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
        stop_sim();
    }

    unsigned control(const std::string& json) {
        return test::http_request(port_, http::verb::post, "/sim/control", json).first;
    }
    std::pair<unsigned, std::string> get(const std::string& target) {
        return test::http_request(gw_->http_port(), http::verb::get, target);
    }

    gateway_options options() {
        gateway_options o;
        o.cat = model::category::linear;
        o.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", port_);
        for (const char* s : {"BTCUSDT", "ETHUSDT"}) {
            for (const char* ch :
                 {"tickers.", "kline.1.", "orderbook.50.", "publicTrade.", "allLiquidation."}) {
                o.topics.push_back(std::string(ch) + s);
            }
        }
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
        o.api.enabled = true;
        return o;
    }
    void start(gateway_options o) {
        gw_ = std::make_unique<gateway>(std::move(o));
        std::string error;
        ASSERT_TRUE(gw_->start(error)) << error;
        ASSERT_TRUE(eventually([&] { return gw_->ready(); }));
    }

    std::uint16_t http_port() const { return gw_->http_port(); }

    // Subscribes and returns the answer (the first message after the request).
    static message subscribe(stream_client& c, const std::vector<std::string>& channels, int id = 1,
                             stream_checker* checker = nullptr) {
        return ask(c,
                   fmt::format(R"({{"op":"subscribe","id":{},"channels":["{}"]}})", id,
                               fmt::join(channels, R"(",")")),
                   checker);
    }
    // Sends `text` and returns the next message without a channel (the answer); data messages
    // before it go to `checker`.
    static message ask(stream_client& c, const std::string& text,
                       stream_checker* checker = nullptr) {
        c.send(text);
        while (auto m = c.read()) {
            auto msg = parse_message(*m);
            if (msg.ch.empty()) {
                return msg;
            }
            if (checker != nullptr) {
                checker->on(*m);
            }
        }
        ADD_FAILURE() << "no answer to " << text;
        return {};
    }

    // Reads (and checks) messages until `pred()` holds; false after the liveness guard.
    static bool read_until(stream_client& c, stream_checker& k, const std::function<bool()>& pred,
                           std::chrono::milliseconds limit = patience) {
        const auto until = steady::now() + limit;
        while (!pred()) {
            if (steady::now() > until || c.closed()) {
                return false;
            }
            if (auto m = c.read(100ms)) {
                k.on(*m);
            }
        }
        return true;
    }

    struct book_json {
        std::uint64_t u = 0;
        std::string state;
        std::vector<std::pair<std::string, std::string>> bids;
        std::vector<std::pair<std::string, std::string>> asks;
    };
    static std::optional<book_json> parse_book(const std::string& body) {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        if (p.parse(body).get(doc) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        book_json b;
        if (doc["u"].get(b.u) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        std::string_view sv;
        if (doc["state"].get(sv) == simdjson::SUCCESS) {
            b.state = sv;
        }
        for (auto [key, out] : {std::pair{"bids", &b.bids}, std::pair{"asks", &b.asks}}) {
            simdjson::dom::array levels;
            if (doc[key].get(levels) != simdjson::SUCCESS) {
                return std::nullopt;
            }
            for (auto l : levels) {
                std::string_view px;
                std::string_view sz;
                if (l.at(0).get(px) != simdjson::SUCCESS || l.at(1).get(sz) != simdjson::SUCCESS) {
                    return std::nullopt;
                }
                out->emplace_back(px, sz);
            }
        }
        return b;
    }
    std::optional<book_json> truth(const std::string& symbol) {
        auto [status, body] = test::http_request(
            port_, http::verb::get,
            fmt::format("/sim/truth/book?category=linear&topic=orderbook.50.{}", symbol));
        EXPECT_EQ(status, 200U) << body;
        return parse_book(body);
    }
    std::optional<book_json> api_book(const std::string& symbol) {
        auto [status, body] = get(fmt::format("/v1/book/linear/{}?depth=50", symbol));
        if (status != 200) {
            return std::nullopt;
        }
        return parse_book(body);
    }

    // Pauses the market, waits until the gateway's API book has the truth's version and the
    // client's copy has it too, then compares all three.
    void expect_quiet_books_equal(stream_client& c, stream_checker& k,
                                  const std::vector<std::string>& symbols) {
        ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
        for (const auto& s : symbols) {
            const auto ch = "book.50.linear." + s;
            std::optional<book_json> t;
            std::optional<book_json> a;
            ASSERT_TRUE(eventually([&] {
                t = truth(s);
                a = api_book(s);
                return t && a && a->u == t->u && a->state == "live";
            })) << s
                << ": the API book never reached the truth's version";
            ASSERT_TRUE(read_until(
                c, k, [&] { return k.books[ch].u == t->u && k.books[ch].state == "live"; }))
                << s << ": the stream never brought the local book to u=" << t->u;
            const auto& mine = k.books[ch];
            auto side_equal = [&](const auto& local, const auto& api, const auto& tr,
                                  const char* name) {
                ASSERT_EQ(local.size(), api.size()) << s << " " << name;
                ASSERT_EQ(local.size(), tr.size()) << s << " " << name;
                std::size_t i = 0;
                for (const auto& [px, l] : local) {
                    EXPECT_EQ(l.first, api[i].first) << s << " " << name << i;
                    EXPECT_EQ(l.second, api[i].second) << s << " " << name << i;
                    EXPECT_EQ(px, fixed(tr[i].first)) << s << " " << name << i;
                    EXPECT_EQ(fixed(l.second), fixed(tr[i].second)) << s << " " << name << i;
                    ++i;
                }
            };
            side_equal(mine.bids, a->bids, t->bids, "bids");
            side_equal(mine.asks, a->asks, t->asks, "asks");
        }
    }

    // The value of one series in /metrics (0 when it is not there yet).
    std::uint64_t metric(const std::string& series) {
        const auto m = gw_->metrics_text();
        const auto at = m.find("\n" + series + " ");
        if (at == std::string::npos) {
            return 0;
        }
        return static_cast<std::uint64_t>(std::stod(m.substr(at + series.size() + 2)));
    }

    asio::io_context sim_ioc_;
    std::unique_ptr<sim::server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    std::unique_ptr<gateway> gw_;
};

TEST_F(ApiStreamTest, BooksFromSnapshotAndDeltasMatchTheChecksumsTheApiAndTheTruth) {
    start(options());
    stream_client c;
    ASSERT_TRUE(c.connect(http_port())) << c.error().message();
    stream_checker k;
    c.send(
        R"({"op":"subscribe","id":7,"channels":["book.50.linear.BTCUSDT","trades.linear.BTCUSDT"]})");
    auto first = c.read();
    ASSERT_TRUE(first.has_value());
    const auto ans = parse_message(*first);
    EXPECT_EQ(ans.type, "subscribed") << *first;
    EXPECT_EQ(ans.id, 7);
    EXPECT_EQ(ans.channels,
              (std::vector<std::string>{"book.50.linear.BTCUSDT", "trades.linear.BTCUSDT"}));
    EXPECT_TRUE(ans.error_codes.empty()) << *first;
    ASSERT_TRUE(read_until(c, k, [&] { return k.deltas >= 200 && k.events >= 20; }))
        << k.deltas << " deltas, " << k.events << " trades";
    EXPECT_EQ(k.snapshots, 1U);
    EXPECT_EQ(k.conflated, 0U);
    EXPECT_EQ(k.gaps, 0U);
    expect_quiet_books_equal(c, k, {"BTCUSDT"});
    EXPECT_EQ(k.failures, 0U);
}

TEST_F(ApiStreamTest, ABookGoesThroughANonLiveStateAndComesBackEqualToTheTruth) {
    start(options());
    stream_client c;
    ASSERT_TRUE(c.connect(http_port())) << c.error().message();
    stream_checker k;
    const auto ans = subscribe(c, {"book.50.linear.BTCUSDT", "book.50.linear.ETHUSDT"}, 1, &k);
    ASSERT_EQ(ans.channels.size(), 2U);
    ASSERT_TRUE(read_until(c, k, [&] { return k.deltas >= 50; }));

    auto went_down_and_up = [&](const std::string& ch, std::size_t from) {
        const auto& s = k.states[ch];
        bool down = false;
        for (std::size_t i = from; i < s.size(); ++i) {
            down = down || s[i] != "live";
            if (down && s[i] == "live") {
                return true;
            }
        }
        return false;
    };
    // A gap on one book: resync, the stream's book goes resyncing, then live again.
    const auto btc = std::string("book.50.linear.BTCUSDT");
    auto from = k.states[btc].size();
    ASSERT_EQ(control(R"({"action":"skip_update","topic":"orderbook.50.BTCUSDT"})"), 200U);
    EXPECT_TRUE(read_until(c, k, [&] { return went_down_and_up(btc, from); }))
        << "states seen: " << fmt::format("{}", fmt::join(k.states[btc], ","));
    // A connection reset: both books go stale or syncing, then live again.
    const auto eth = std::string("book.50.linear.ETHUSDT");
    from = k.states[btc].size();
    const auto from_eth = k.states[eth].size();
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    EXPECT_TRUE(read_until(
        c, k, [&] { return went_down_and_up(btc, from) && went_down_and_up(eth, from_eth); }))
        << "BTC states: " << fmt::format("{}", fmt::join(k.states[btc], ","))
        << "; ETH states: " << fmt::format("{}", fmt::join(k.states[eth], ","));
    EXPECT_FALSE(c.closed());
    expect_quiet_books_equal(c, k, {"BTCUSDT", "ETHUSDT"});
    EXPECT_EQ(k.failures, 0U);
}

TEST_F(ApiStreamTest, BadClientMessagesAreAnsweredAndTheConnectionStaysOpen) {
    auto o = options();
    o.api.stream.max_client_message_bytes = 1024;
    start(std::move(o));
    stream_client c;
    ASSERT_TRUE(c.connect(http_port())) << c.error().message();
    for (const char* bad :
         {R"({"op":"subscribe",)", R"([1,2,3])", R"("ping")", R"({"op":"dance","id":3})",
          R"({"op":"subscribe","id":4,"channels":"book.50.linear.BTCUSDT"})",
          R"({"op":"subscribe","id":5,"channels":[1]})", R"({"op":"ping","id":"x"})"}) {
        const auto m = ask(c, bad);
        EXPECT_EQ(m.type, "error") << bad;
        EXPECT_EQ(m.code, "bad_request") << bad;
    }
    auto one = [&](const std::string& op, const std::string& ch, const std::string& code) {
        const auto m = ask(c, fmt::format(R"({{"op":"{}","id":9,"channels":["{}"]}})", op, ch));
        EXPECT_EQ(m.type, op + "d") << ch;
        EXPECT_EQ(m.id, 9);
        EXPECT_TRUE(m.channels.empty()) << ch;
        EXPECT_EQ(m.error_codes, std::vector<std::string>{code}) << ch;
    };
    one("subscribe", "book.50.linear", "bad_channel");
    one("subscribe", "candles.linear.BTCUSDT", "bad_channel");
    one("subscribe", "trades.linear.NOPEUSDT", "unknown_instrument");
    one("subscribe", "kline.5.linear.BTCUSDT", "not_found");
    one("unsubscribe", "trades.linear.BTCUSDT", "not_subscribed");
    // A duplicate, in the same request and in a later one.
    auto m = ask(
        c,
        R"({"op":"subscribe","id":10,"channels":["ticker.linear.BTCUSDT","ticker.linear.BTCUSDT"]})");
    EXPECT_EQ(m.channels, std::vector<std::string>{"ticker.linear.BTCUSDT"});
    EXPECT_EQ(m.error_codes, std::vector<std::string>{"already_subscribed"});
    m = ask(c, R"({"op":"subscribe","id":11,"channels":["ticker.linear.BTCUSDT"]})");
    EXPECT_EQ(m.type, "subscribed");
    EXPECT_EQ(m.error_codes, std::vector<std::string>{"already_subscribed"});
    // Still open: a ping gets a pong (data messages of the ticker may come first).
    m = ask(c, R"({"op":"ping","id":12})");
    EXPECT_EQ(m.type, "pong");
    EXPECT_EQ(m.id, 12);
    EXPECT_FALSE(c.closed());
    EXPECT_GE(metric(R"(mdgate_stream_client_errors_total{code="bad_request"})"), 7U);

    // Too big: closed with 1009.
    c.send(fmt::format(R"({{"op":"ping","id":1,"pad":"{}"}})", std::string(2000, 'x')));
    ASSERT_TRUE(c.wait_closed());
    EXPECT_EQ(c.reason().code, 1009) << c.reason().reason;
}

// The upgrade request of /v1/stream written by hand, and then the bytes of `frame`.
// Returns what the server sent after its 101 answer until it closed (or 10 s passed).
std::string raw_stream(std::uint16_t port, const std::string& frame) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string req = "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::string in;
    boost::system::error_code ec;
    asio::read_until(s, asio::dynamic_buffer(in), "\r\n\r\n", ec);
    if (ec || in.find(" 101 ") == std::string::npos) {
        ADD_FAILURE() << "no 101: " << in;
        return {};
    }
    in.erase(0, in.find("\r\n\r\n") + 4);
    asio::write(s, asio::buffer(frame));
    // Read until the server closes, bounded by the liveness guard.
    std::array<char, 4096> chunk{};
    std::function<void()> next = [&] {
        s.async_read_some(asio::buffer(chunk), [&](boost::system::error_code rec, std::size_t n) {
            in.append(chunk.data(), n);
            if (!rec) {
                next();
            }
        });
    };
    next();
    ioc.run_for(10s);
    return in;
}

TEST_F(ApiStreamTest, AnUnmaskedClientFrameIsAProtocolError) {
    start(options());
    using namespace test::ws_frames;
    const auto out = raw_stream(http_port(), frame(true, op_text, R"({"op":"ping","id":1})"));
    // The server's answer: a close frame with 1002.
    ASSERT_GE(out.size(), 4U);
    EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x88U);
    const auto code = static_cast<unsigned>((static_cast<std::uint8_t>(out[2]) << 8U) |
                                            static_cast<std::uint8_t>(out[3]));
    EXPECT_EQ(code, 1002U);
    EXPECT_EQ(out.find("pong"), std::string::npos) << "the unmasked ping was answered";
}

TEST_F(ApiStreamTest, ASlowSubscriberIsClosedAndTheOthersAndIngestAreUnaffected) {
    stop_sim();
    sim_ioc_.restart();
    start_sim(3000);
    auto o = options();
    o.api.stream.send_buffer_bytes = 64U << 10;
    o.api.stream.slow_close_after = 1s;
    start(std::move(o));
    const std::vector<std::string> all = {"book.50.linear.BTCUSDT", "book.50.linear.ETHUSDT",
                                          "trades.linear.*",        "ticker.linear.*",
                                          "kline.1.linear.*",       "liquidations.linear.*"};
    stream_client slow;
    ASSERT_TRUE(slow.connect(http_port(), {}, 4096)) << slow.error().message();
    slow.send(
        fmt::format(R"({{"op":"subscribe","id":1,"channels":["{}"]}})", fmt::join(all, R"(",")")));
    stream_client fast;
    ASSERT_TRUE(fast.connect(http_port())) << fast.error().message();
    stream_checker k;
    EXPECT_EQ(subscribe(fast, all, 1, &k).type, "subscribed");
    // The slow one never reads: it is closed as too slow while the fast one reads on.
    const std::string too_slow = R"(mdgate_stream_closed_total{reason="too_slow"})";
    ASSERT_TRUE(read_until(
        fast, k, [&] { return metric(too_slow) >= 1; }, 60s))
        << gw_->metrics_text();
    EXPECT_EQ(metric(too_slow), 1U);
    EXPECT_TRUE(slow.wait_closed()) << "the slow subscriber's socket is still open";
    ASSERT_TRUE(read_until(fast, k, [&] { return k.deltas >= 100; }));
    EXPECT_FALSE(fast.closed());
    EXPECT_EQ(k.failures, 0U);
    // Conflated snapshots only if the fast reader itself fell behind.
    if (k.conflated > 0) {
        EXPECT_GE(metric("mdgate_stream_conflated_total"), k.conflated);
    }
    EXPECT_TRUE(gw_->ready());
    const auto t = gw_->totals();
    EXPECT_EQ(t.books[static_cast<std::size_t>(book::book_state::live)], 2U);
    EXPECT_EQ(t.reconnects, 0U);
    expect_quiet_books_equal(fast, k, {"BTCUSDT", "ETHUSDT"});
}

TEST_F(ApiStreamTest, SubscriberAndChannelLimits) {
    auto o = options();
    o.api.stream.max_subscribers = 2;
    o.api.stream.max_channels_per_subscriber = 3;
    start(std::move(o));
    stream_client a;
    auto b = std::make_unique<stream_client>();
    stream_client c;
    ASSERT_TRUE(a.connect(http_port()));
    ASSERT_TRUE(b->connect(http_port()));
    ASSERT_TRUE(c.connect(http_port())) << "the third stream gets the handshake";
    ASSERT_TRUE(c.wait_closed());
    EXPECT_EQ(c.reason().code, 1013) << c.reason().reason;
    EXPECT_EQ(c.reason().reason, "too many subscribers");
    const auto m = subscribe(a, {"trades.linear.BTCUSDT", "trades.linear.ETHUSDT",
                                 "ticker.linear.BTCUSDT", "ticker.linear.ETHUSDT"});
    EXPECT_EQ(m.channels.size(), 3U);
    EXPECT_EQ(m.error_codes, std::vector<std::string>{"too_many_channels"});
    // A freed slot takes a new stream.
    b.reset();
    ASSERT_TRUE(eventually([&] {
        return metric(R"(mdgate_stream_closed_total{reason="too_many_subscribers"})") == 1 &&
               metric("mdgate_stream_subscribers") == 1;
    }));
    stream_client d;
    ASSERT_TRUE(d.connect(http_port()));
    d.send(R"({"op":"ping","id":1})");
    const auto pong = d.read();
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(parse_message(*pong).type, "pong");
}

TEST_F(ApiStreamTest, TheStreamNeedsTheBearerToken) {
    auto o = options();
    o.http.bearer_token = "s3cret";
    start(std::move(o));
    stream_client without;
    EXPECT_FALSE(without.connect(http_port()));
    EXPECT_EQ(without.response().result_int(), 401U);
    stream_client wrong;
    EXPECT_FALSE(wrong.connect(http_port(), "nope"));
    EXPECT_EQ(wrong.response().result_int(), 401U);
    stream_client with;
    ASSERT_TRUE(with.connect(http_port(), "s3cret")) << with.error().message();
    with.send(R"({"op":"ping","id":1})");
    const auto pong = with.read();
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(parse_message(*pong).type, "pong");
}

TEST_F(ApiStreamTest, TheDataApiAnswersAndRefuses) {
    start(options());
    auto [status, body] = get("/v1/instruments");
    ASSERT_EQ(status, 200U) << body;
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS);
    simdjson::dom::array instruments;
    ASSERT_EQ(doc["instruments"].get(instruments), simdjson::SUCCESS);
    std::map<std::string, std::vector<std::string>> channels;
    for (auto i : instruments) {
        std::string_view sym;
        ASSERT_EQ(i["symbol"].get(sym), simdjson::SUCCESS);
        simdjson::dom::array chs;
        ASSERT_EQ(i["channels"].get(chs), simdjson::SUCCESS);
        for (auto c : chs) {
            std::string_view topic;
            ASSERT_EQ(c["topic"].get(topic), simdjson::SUCCESS);
            channels[std::string(sym)].emplace_back(topic);
        }
    }
    ASSERT_EQ(channels.size(), 2U) << body;
    for (const char* s : {"BTCUSDT", "ETHUSDT"}) {
        auto& got = channels[s];
        std::sort(got.begin(), got.end());
        std::vector<std::string> want;
        for (const char* ch :
             {"allLiquidation.", "kline.1.", "orderbook.50.", "publicTrade.", "tickers."}) {
            want.push_back(std::string(ch) + s);
        }
        EXPECT_EQ(got, want) << body;
    }

    // Wait for a trade and a candle so that the market answer has them all.
    ASSERT_TRUE(eventually([&] {
        auto [st, b] = get("/v1/market/linear/BTCUSDT");
        return st == 200 && b.find(R"("trades":[{)") != std::string::npos &&
               b.find(R"("candles":[{)") != std::string::npos &&
               b.find(R"("ticker":{)") != std::string::npos;
    }));
    std::tie(status, body) = get("/v1/market/linear/BTCUSDT");
    ASSERT_EQ(status, 200U);
    ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS);
    std::string_view sv;
    EXPECT_EQ(doc["symbol"].get(sv), simdjson::SUCCESS);
    EXPECT_EQ(sv, "BTCUSDT");
    EXPECT_EQ(doc["book"]["state"].get(sv), simdjson::SUCCESS);
    EXPECT_EQ(sv, "live");
    simdjson::dom::array a;
    EXPECT_EQ(doc["book"]["bids"].get(a), simdjson::SUCCESS);
    EXPECT_GT(a.size(), 0U);
    EXPECT_EQ(doc["trades"].get(a), simdjson::SUCCESS);
    EXPECT_GT(a.size(), 0U);
    EXPECT_EQ(doc["klines"]["candles"].get(a), simdjson::SUCCESS);
    EXPECT_GT(a.size(), 0U);
    simdjson::dom::object fields;
    EXPECT_EQ(doc["ticker"]["fields"].get(fields), simdjson::SUCCESS);

    auto expect_error = [&](const std::string& target, unsigned want, std::string_view code) {
        auto [st, b] = get(target);
        EXPECT_EQ(st, want) << target << ": " << b;
        simdjson::dom::element d;
        ASSERT_EQ(p.parse(b).get(d), simdjson::SUCCESS) << target << ": " << b;
        std::string_view c;
        EXPECT_EQ(d["error"]["code"].get(c), simdjson::SUCCESS) << b;
        EXPECT_EQ(c, code) << target;
    };
    expect_error("/v1/market/linear/NOPEUSDT", 404, "unknown_instrument");
    expect_error("/v1/book/linear/NOPEUSDT", 404, "unknown_instrument");
    expect_error("/v1/book/linear/BTCUSDT?depth=0", 400, "bad_parameter");
    expect_error("/v1/market/linear/BTCUSDT?depth=0", 400, "bad_parameter");

    // A book that is not live: the venue's connections are reset and refused for a while.
    ASSERT_EQ(control(R"({"action":"refuse_ws","seconds":3})"), 200U);
    ASSERT_EQ(control(R"({"action":"drop","mode":"reset"})"), 200U);
    ASSERT_TRUE(eventually([&] { return get("/v1/book/linear/BTCUSDT").first == 503; }, 10s));
    // ETHUSDT has a connection of its own, lost a moment earlier or later than BTCUSDT's:
    // wait for its book to leave `live` too, and check that answer.
    std::string eth;
    ASSERT_TRUE(eventually(
        [&] {
            auto [st, b] = get("/v1/market/linear/ETHUSDT");
            eth = b;
            return st == 503;
        },
        10s));
    simdjson::dom::element ed;
    ASSERT_EQ(p.parse(eth).get(ed), simdjson::SUCCESS) << eth;
    std::string_view ecode;
    EXPECT_EQ(ed["error"]["code"].get(ecode), simdjson::SUCCESS) << eth;
    EXPECT_EQ(ecode, "book_not_live") << eth;
    EXPECT_EQ(get("/v1/book/linear/ETHUSDT?allow_stale=1").first, 200U);
    ASSERT_TRUE(eventually([&] { return get("/v1/book/linear/BTCUSDT").first == 200; }));
}

} // namespace
} // namespace mdg::gateway
