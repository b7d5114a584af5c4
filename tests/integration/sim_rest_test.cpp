// The simulator's market REST endpoints against a real simulator on a loopback port, compared
// with what its WebSocket stream sends: klines, open interest, recent trades, the parameter
// errors, the REST faults and the IP limit; and mdgate's decoders on its answers. The simulator
// runs on a manual clock, so candles and 5-minute buckets close when the test says, not after
// minutes of waiting.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "exchange/bybit/rest_parse.hpp"
#include "sim/server.hpp"
#include "support/ws_test_client.hpp"

namespace mdg::sim {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::ws_test_client;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// 2026-08-09 21:25:00 UTC, a 5-minute boundary; the clock starts one second later.
constexpr std::int64_t t0_ms = 1'786'310'700'000;

using row =
    std::vector<std::string>; // a REST kline: start, open, high, low, close, volume, turnover

std::optional<std::string> read_until(ws_test_client& c, std::string_view needle,
                                      std::chrono::milliseconds timeout = 10s) {
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

// A kline frame's candles as REST rows, with their confirm flags.
std::vector<std::pair<row, bool>> frame_candles(const std::string& frame) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(frame).get(doc), simdjson::SUCCESS) << frame;
    std::vector<std::pair<row, bool>> out;
    simdjson::dom::array data;
    if (doc["data"].get(data) != simdjson::SUCCESS) {
        return out;
    }
    for (auto c : data) {
        const auto s = [&](const char* k) {
            return std::string(std::string_view(c[k]));
        };
        out.push_back({{std::to_string(std::int64_t(c["start"])), s("open"), s("high"), s("low"),
                        s("close"), s("volume"), s("turnover")},
                       bool(c["confirm"])});
    }
    return out;
}

using levels = std::vector<std::pair<std::string, std::string>>; // [price, size], best first

levels level_list(simdjson::dom::element side) {
    levels out;
    for (auto l : side.get_array()) {
        out.emplace_back(std::string_view(l.at(0)), std::string_view(l.at(1)));
    }
    return out;
}

// A book built from a topic's snapshot and deltas, as a client holds it.
struct stream_book {
    std::map<double, std::pair<std::string, std::string>> bids; // by price: best last
    std::map<double, std::pair<std::string, std::string>> asks; // best first
    std::uint64_t seq = 0;

    void apply(const std::string& frame) {
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(frame).get(doc), simdjson::SUCCESS) << frame;
        if (std::string_view(doc["type"]) == "snapshot") {
            bids.clear();
            asks.clear();
        }
        const auto merge = [](auto& side, simdjson::dom::element changes) {
            for (auto& [px, qty] : level_list(changes)) {
                if (qty == "0") {
                    side.erase(std::stod(px));
                } else {
                    side[std::stod(px)] = {px, qty};
                }
            }
        };
        merge(bids, doc["data"]["b"]);
        merge(asks, doc["data"]["a"]);
        seq = std::uint64_t(doc["data"]["seq"]);
    }
    [[nodiscard]] levels top_bids(std::size_t n) const {
        return top(bids.rbegin(), bids.rend(), n);
    }
    [[nodiscard]] levels top_asks(std::size_t n) const { return top(asks.begin(), asks.end(), n); }

  private:
    template <class It> static levels top(It first, It last, std::size_t n) {
        levels out;
        for (; first != last && out.size() < n; ++first) {
            out.push_back(first->second);
        }
        return out;
    }
};

struct http_answer {
    unsigned status = 0; // 0: no answer (connection closed or refused)
    std::string body;
    std::map<std::string, std::string> headers;
};

// One GET on a keep-alive connection (reconnects when the server closed it).
class http_client {
  public:
    explicit http_client(std::uint16_t port) : port_(port) {}

    http_answer get(const std::string& target) {
        if (!stream_) {
            stream_ = std::make_unique<beast::tcp_stream>(ioc_);
            beast::error_code ec;
            stream_->connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (ec) {
                stream_.reset();
                return {};
            }
        }
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(true);
        beast::error_code ec;
        http::write(*stream_, req, ec);
        http::response<http::string_body> res;
        if (!ec) {
            http::read(*stream_, buffer_, res, ec);
        }
        if (ec) {
            stream_.reset();
            buffer_.clear();
            return {};
        }
        http_answer a{res.result_int(), res.body(), {}};
        for (const auto& h : res) {
            a.headers[std::string(h.name_string())] = std::string(h.value());
        }
        if (!res.keep_alive()) {
            stream_.reset();
        }
        return a;
    }

  private:
    std::uint16_t port_;
    asio::io_context ioc_;
    std::unique_ptr<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
};

class SimRestTest : public ::testing::Test {
  protected:
    void start(server_options opts = {}) {
        (void)spdlog::default_logger_raw(); // see sim_test.cpp
        opts.port = 0;
        opts.symbols = {{"BTCUSDT", 6'511'420, 2, 3}, {"ETHUSDT", 192'254, 2, 2}};
        opts.rate = 5000;
        server_ = std::make_unique<server>(ioc_, std::move(opts), clock_);
        server_->start();
        port_ = server_->port();
        http_ = std::make_unique<http_client>(port_);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    void TearDown() override {
        if (!server_) {
            return;
        }
        asio::post(ioc_, [this] { server_->stop(); });
        auto guard = std::make_shared<asio::steady_timer>(ioc_, 300ms);
        guard->async_wait([this, guard](auto) { ioc_.stop(); });
        thread_.join();
    }

    unsigned control(const std::string& json) {
        auto [status, body] = http_request(port_, http::verb::post, "/sim/control", json);
        EXPECT_EQ(status, 200U) << json << ": " << body;
        return status;
    }
    http_answer get(const std::string& target) { return http_->get(target); }

    // The `result` of a market REST answer that must succeed.
    simdjson::dom::element result(const std::string& target) {
        last_ = get(target);
        EXPECT_EQ(last_.status, 200U) << target << ": " << last_.body;
        simdjson::dom::element doc;
        EXPECT_EQ(parser_.parse(last_.body).get(doc), simdjson::SUCCESS) << last_.body;
        EXPECT_EQ(std::int64_t(doc["retCode"]), 0) << target << ": " << last_.body;
        return doc["result"];
    }
    std::vector<row> klines(const std::string& query) {
        std::vector<row> out;
        for (auto item : result("/v5/market/kline?category=linear&" + query)["list"].get_array()) {
            row r;
            for (auto v : item.get_array()) {
                r.emplace_back(std::string_view(v.get_string()));
            }
            out.push_back(std::move(r));
        }
        return out;
    }
    simdjson::dom::element status_doc() {
        status_body_ = get("/sim/status").body;
        return status_parser_.parse(status_body_);
    }
    std::unique_ptr<ws_test_client> subscribe(const std::string& topic) {
        auto c = std::make_unique<ws_test_client>();
        EXPECT_TRUE(c->connect(port_, "/v5/public/linear")) << c->error().message();
        c->send(R"({"op":"subscribe","args":[")" + topic + R"("]})");
        EXPECT_TRUE(read_until(*c, R"("op":"subscribe")"));
        return c;
    }
    // What /sim/truth/book serves for a book topic.
    book_truth truth_book(const std::string& category, const std::string& topic) {
        const auto a = get("/sim/truth/book?category=" + category + "&topic=" + topic);
        EXPECT_EQ(a.status, 200U) << topic << ": " << a.body;
        simdjson::dom::parser p;
        simdjson::dom::element doc;
        book_truth t;
        if (p.parse(a.body).get(doc) == simdjson::SUCCESS) {
            t.u = std::uint64_t(doc["u"]);
            t.bids = level_list(doc["bids"]);
            t.asks = level_list(doc["asks"]);
        }
        return t;
    }

    core::manual_clock clock_{unix_nanos::from_millis(t0_ms + 1000)};
    asio::io_context ioc_;
    std::unique_ptr<server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    std::unique_ptr<http_client> http_;
    http_answer last_;
    simdjson::dom::parser parser_;
    simdjson::dom::parser status_parser_;
    std::string status_body_;
};

TEST_F(SimRestTest, KlineReturnsTheCandlesTheStreamConfirmedAndItsFormingCandle) {
    start();
    auto ws = subscribe("kline.1.BTCUSDT");
    std::vector<row> confirmed;
    for (int minute = 1; minute <= 2; ++minute) {
        // Let the minute trade (a few pushes), then end it.
        for (int pushes = 0; pushes < 2;) {
            auto f = read_until(*ws, R"("topic":"kline.1.BTCUSDT")");
            ASSERT_TRUE(f);
            ++pushes;
        }
        clock_.advance(60s);
        std::optional<std::string> closing;
        while (!closing) {
            auto f = read_until(*ws, R"("topic":"kline.1.BTCUSDT")");
            ASSERT_TRUE(f);
            if (f->find(R"("confirm":true)") != std::string::npos) {
                closing = f;
            }
        }
        const auto candles = frame_candles(*closing);
        ASSERT_FALSE(candles.empty());
        ASSERT_TRUE(candles[0].second);
        EXPECT_EQ(std::stoll(candles[0].first[0]), t0_ms + (minute - 1) * 60'000);
        EXPECT_GT(std::stod(candles[0].first[5]), 0) << *closing; // it traded
        confirmed.push_back(candles[0].first);
    }
    // Every confirmed candle, identically, at its start time.
    const auto rows = klines("symbol=BTCUSDT&interval=1&limit=1000");
    ASSERT_EQ(rows.size(), 1000U);
    for (const row& c : confirmed) {
        const auto it =
            std::find_if(rows.begin(), rows.end(), [&](const row& r) { return r[0] == c[0]; });
        ASSERT_NE(it, rows.end()) << c[0];
        EXPECT_EQ(*it, c);
    }
    // Newest first, one minute apart, each opening at the previous close, well formed.
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
        EXPECT_EQ(std::stoll(rows[i][0]) - std::stoll(rows[i + 1][0]), 60'000) << i;
        EXPECT_EQ(rows[i][1], rows[i + 1][4]) << rows[i][0];
        EXPECT_GE(std::stod(rows[i][2]), std::max(std::stod(rows[i][1]), std::stod(rows[i][4])));
        EXPECT_LE(std::stod(rows[i][3]), std::min(std::stod(rows[i][1]), std::stod(rows[i][4])));
        if (i + 1 >= 3) { // before the three real minutes: made up, and traded
            EXPECT_GT(std::stod(rows[i + 1][5]), 0) << rows[i + 1][0];
        }
    }
    // The newest is the candle forming now, as the stream has it: pause, then a new subscriber
    // gets the forming candle.
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    auto fresh = subscribe("kline.1.BTCUSDT");
    auto snap = read_until(*fresh, R"("topic":"kline.1.BTCUSDT")");
    ASSERT_TRUE(snap);
    const auto now_rows = klines("symbol=BTCUSDT&interval=1&limit=1");
    ASSERT_EQ(now_rows.size(), 1U);
    EXPECT_EQ(now_rows[0], frame_candles(*snap).at(0).first);
    // start, end and limit: starts within [start, end], the newest `limit` of them.
    const std::int64_t end = std::stoll(rows[3][0]);
    const std::int64_t begin = std::stoll(rows[9][0]);
    const auto window =
        klines(fmt::format("symbol=BTCUSDT&interval=1&start={}&end={}", begin, end));
    ASSERT_EQ(window.size(), 7U);
    EXPECT_EQ(window.front(), rows[3]);
    EXPECT_EQ(window.back(), rows[9]);
    const auto limited =
        klines(fmt::format("symbol=BTCUSDT&interval=1&start={}&end={}&limit=2", begin, end));
    ASSERT_EQ(limited.size(), 2U);
    EXPECT_EQ(limited[1], rows[4]);
    // A symbol and interval nobody subscribed to has its 1000 candles too.
    EXPECT_EQ(klines("symbol=ETHUSDT&interval=W&limit=1000").size(), 1000U);
    EXPECT_EQ(klines("symbol=ETHUSDT&interval=60").size(), 200U); // the default limit
}

TEST_F(SimRestTest, OpenInterestBucketsHoldTheTickerValueAndPageWithACursor) {
    start();
    auto ws = subscribe("tickers.BTCUSDT");
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(read_until(*ws, R"("topic":"tickers.BTCUSDT")"));
    }
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    const std::string ticker_oi(std::string_view(
        result("/v5/market/tickers?category=linear&symbol=BTCUSDT")["list"].at(0)["openInterest"]));
    // The next 5-minute boundary passes with nothing traded: its bucket is the ticker's value.
    clock_.set(unix_nanos::from_millis(t0_ms + 300'000));
    auto latest =
        result("/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&limit=1");
    ASSERT_EQ(latest["list"].get_array().size(), 1U);
    EXPECT_EQ(std::string_view(latest["list"].at(0)["timestamp"]), std::to_string(t0_ms + 300'000));
    EXPECT_EQ(std::string_view(latest["list"].at(0)["openInterest"]), ticker_oi);
    EXPECT_EQ(std::string_view(latest["category"]), "linear");
    EXPECT_EQ(std::string_view(latest["symbol"]), "BTCUSDT");
    // Pages of 200 with the cursor: contiguous, newest first, no repeats.
    std::string cursor;
    std::int64_t expected_ts = t0_ms + 300'000;
    for (int page = 0; page < 3; ++page) {
        auto r = result(
            "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&limit=200" +
            (cursor.empty() ? std::string{} : "&cursor=" + cursor));
        std::size_t n = 0;
        for (auto e : r["list"].get_array()) {
            EXPECT_EQ(std::string_view(e["timestamp"]), std::to_string(expected_ts)) << page;
            EXPECT_GT(std::stod(std::string(std::string_view(e["openInterest"]))), 0);
            expected_ts -= 300'000;
            ++n;
        }
        EXPECT_EQ(n, 200U);
        cursor = std::string(std::string_view(r["nextPageCursor"]));
        ASSERT_FALSE(cursor.empty());
    }
    // With a start time the last page says so: an empty cursor.
    auto bounded = result(fmt::format(
        "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=5&"
        "startTime={}",
        t0_ms - 5 * 3'600'000)); // 17:00 to 21:00: five buckets, no more
    EXPECT_EQ(bounded["list"].get_array().size(), 5U);
    EXPECT_EQ(std::string_view(bounded["nextPageCursor"]), "");
}

TEST_F(SimRestTest, RecentTradesAreThePublicTradePushesByExecId) {
    start();
    auto ws = subscribe("publicTrade.BTCUSDT");
    std::vector<std::string> pushed; // "execId price size side time"
    simdjson::dom::parser p;
    const auto take = [&](const std::string& f) {
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(f).get(doc), simdjson::SUCCESS);
        for (auto t : doc["data"].get_array()) {
            pushed.push_back(fmt::format("{} {} {} {} {}", std::string_view(t["i"]),
                                         std::string_view(t["p"]), std::string_view(t["v"]),
                                         std::string_view(t["S"]), std::int64_t(t["T"])));
        }
    };
    while (pushed.size() < 120) {
        auto f = read_until(*ws, R"("topic":"publicTrade.BTCUSDT")");
        ASSERT_TRUE(f);
        take(*f);
    }
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    while (auto f = ws->read(300ms)) { // what was pushed before the pause
        if (f->find("publicTrade") != std::string::npos) {
            take(*f);
        }
    }
    auto r = result("/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=100");
    std::vector<std::string> rest;
    for (auto t : r["list"].get_array()) {
        rest.push_back(fmt::format("{} {} {} {} {}", std::string_view(t["execId"]),
                                   std::string_view(t["price"]), std::string_view(t["size"]),
                                   std::string_view(t["side"]), std::string_view(t["time"])));
        EXPECT_EQ(std::string_view(t["symbol"]), "BTCUSDT");
        EXPECT_FALSE(bool(t["isBlockTrade"]));
        EXPECT_FALSE(bool(t["isRPITrade"]));
    }
    const std::vector<std::string> newest(pushed.rbegin(), pushed.rbegin() + 100);
    EXPECT_EQ(rest, newest);
    // The default for linear is 500 (the log holds them all after 120 pushes? at least those).
    auto all = result("/v5/market/recent-trade?category=linear&symbol=BTCUSDT");
    EXPECT_GE(all["list"].get_array().size(), 120U);
    EXPECT_LE(all["list"].get_array().size(), 500U);
}

TEST_F(SimRestTest, BadParametersAnswerRetCode10001) {
    start();
    const std::string huge(5000, '9');
    for (const std::string& target : {
             std::string("/v5/market/kline?symbol=BTCUSDT&interval=1"),  // no category
             std::string("/v5/market/kline?category=linear&interval=1"), // no symbol
             std::string("/v5/market/kline?category=linear&symbol=NOPE&interval=1"),
             std::string("/v5/market/kline?category=futures&symbol=BTCUSDT&interval=1"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT"), // no interval
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=2"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=0"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1001"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=") +
                 huge,
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=abc"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=-5"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&end=1e12"),
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=") +
                 huge,
             std::string("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=20&"
                         "end=10"),
             std::string("/v5/market/open-interest?category=linear&symbol=BTCUSDT"),
             std::string("/v5/market/open-interest?category=linear&symbol=BTCUSDT&"
                         "intervalTime=7min"),
             std::string("/v5/market/open-interest?category=spot&symbol=BTCUSDT&"
                         "intervalTime=5min"),
             std::string("/v5/market/open-interest?category=linear&symbol=BTCUSDT&"
                         "intervalTime=5min&limit=201"),
             std::string("/v5/market/open-interest?category=linear&symbol=BTCUSDT&"
                         "intervalTime=5min&cursor=garbage"),
             std::string("/v5/market/open-interest?category=linear&symbol=BTCUSDT&"
                         "intervalTime=5min&startTime=9&endTime=8"),
             std::string("/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=61"),
             std::string("/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1001"),
             std::string("/v5/market/recent-trade?category=linear"),
             std::string("/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=2h"),
             std::string("/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=1h&"
                         "limit=501"),
             std::string("/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=201"),
             std::string("/v5/market/funding/history?category=spot&symbol=BTCUSDT"),
             std::string("/v5/market/risk-limit?category=linear&symbol=NOPE"),
             std::string("/v5/market/risk-limit"),
         }) {
        const auto a = get(target);
        ASSERT_EQ(a.status, 200U) << target;
        simdjson::dom::element doc;
        ASSERT_EQ(parser_.parse(a.body).get(doc), simdjson::SUCCESS) << a.body;
        EXPECT_EQ(std::int64_t(doc["retCode"]), 10001) << target << ": " << a.body;
        EXPECT_NE(std::string_view(doc["retMsg"]).find("params error"), std::string_view::npos)
            << a.body;
    }
    // Huge but valid ranges are bounded by the limit.
    auto big = result(fmt::format(
        "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&start=0&end={}&limit=1000",
        9'999'999'999'999LL));
    EXPECT_EQ(big["list"].get_array().size(), 1000U);
    EXPECT_EQ(get("/v5/market/nothing").status, 404U);
}

TEST_F(SimRestTest, RestFaultsOnOnePathOrEveryPath) {
    start();
    const std::string kline = "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=3";
    const std::string tickers = "/v5/market/tickers?category=linear&symbol=BTCUSDT";
    const auto fault = [&](const std::string& mode, const std::string& path) {
        return control(
            fmt::format(R"({{"action":"rest","mode":"{}","seconds":60,"path":"{}"}})", mode, path));
    };
    ASSERT_EQ(fault("error", "/v5/market/kline"), 200U);
    auto a = get(kline);
    EXPECT_EQ(a.status, 503U);
    EXPECT_NE(a.body.find("503"), std::string::npos);
    EXPECT_EQ(get(tickers).status, 200U); // another path is unaffected

    ASSERT_EQ(fault("too_frequent", "/v5/market/kline"), 200U); // replaces the first
    a = get(kline);
    EXPECT_EQ(a.status, 403U);
    EXPECT_EQ(a.body, "access too frequent");

    ASSERT_EQ(fault("http_429", "/v5/market/kline"), 200U);
    EXPECT_EQ(get(kline).status, 429U);

    ASSERT_EQ(fault("rate_limit", "/v5/market/kline"), 200U);
    a = get(kline);
    ASSERT_EQ(a.status, 200U);
    simdjson::dom::element doc;
    ASSERT_EQ(parser_.parse(a.body).get(doc), simdjson::SUCCESS) << a.body;
    EXPECT_EQ(std::int64_t(doc["retCode"]), 10006);
    EXPECT_EQ(std::string_view(doc["retMsg"]), "Too many visits!");
    EXPECT_EQ(a.headers["X-Bapi-Limit-Status"], "0");
    EXPECT_FALSE(a.headers["X-Bapi-Limit"].empty());
    EXPECT_GT(std::stoll(a.headers["X-Bapi-Limit-Reset-Timestamp"]), t0_ms);

    ASSERT_EQ(fault("bad_body", "/v5/market/kline"), 200U);
    a = get(kline);
    EXPECT_EQ(a.status, 200U);
    EXPECT_NE(parser_.parse(a.body).error(), simdjson::SUCCESS) << a.body; // not JSON

    ASSERT_EQ(fault("refuse", "/v5/market/kline"), 200U);
    EXPECT_EQ(get(kline).status, 0U); // closed without an answer

    ASSERT_EQ(control(R"({"action":"rest","mode":"slow","seconds":60,"delay":"200ms",)"
                      R"("path":"/v5/market/kline"})"),
              200U);
    EXPECT_EQ(get(kline).status, 200U); // late, but answered

    // Every market path: the time endpoint too; then rest_time still works on its own path.
    ASSERT_EQ(control(R"({"action":"rest","mode":"error","seconds":60})"), 200U);
    EXPECT_EQ(get("/v5/market/time").status, 503U);
    EXPECT_EQ(get(tickers).status, 503U);
    ASSERT_EQ(control(R"({"action":"rest","mode":"error","seconds":0.001})"), 200U);
    std::this_thread::sleep_for(10ms); // let the millisecond fault expire
    EXPECT_EQ(get(tickers).status, 200U);
    ASSERT_EQ(control(R"({"action":"rest_time","mode":"error","seconds":60})"), 200U);
    EXPECT_EQ(get("/v5/market/time").status, 503U);
    EXPECT_EQ(get(tickers).status, 200U);
    EXPECT_GE(std::uint64_t(status_doc()["stats"]["rest_faulted"]), 9U);
}

TEST_F(SimRestTest, MoreThanTheIpLimitIn5SecondsGets403AndIsCounted) {
    server_options opts;
    opts.rest_limit_per_5s = 600;
    start(std::move(opts));
    const std::string target = "/v5/market/time";
    std::size_t ok = 0;
    http_answer refused;
    for (int i = 0; i < 2000 && refused.status == 0; ++i) {
        auto a = get(i % 2 == 0 ? target : "/v5/market/tickers?category=linear");
        if (a.status == 200) {
            ++ok;
        } else {
            refused = a;
        }
    }
    // At least the limit went through (more only if the machine took over 5 s for them).
    EXPECT_GE(ok, 600U);
    ASSERT_EQ(refused.status, 403U);
    EXPECT_EQ(refused.body, "access too frequent");
    auto doc = status_doc();
    EXPECT_GE(std::uint64_t(doc["stats"]["rest_refused_by_limit"]), 1U) << status_body_;
    EXPECT_EQ(std::uint64_t(doc["rest"]["limit_per_5s"]), 600U);
    EXPECT_GE(std::uint64_t(doc["rest"]["requests"]["/v5/market/time"]), 300U) << status_body_;
    EXPECT_GE(std::uint64_t(doc["rest"]["requests"]["/v5/market/tickers"]), 300U);
    // /sim/ paths are not limited.
    EXPECT_EQ(get("/sim/status").status, 200U);
}

TEST_F(SimRestTest, OrderbookIsTheStreamBookCutToTheLimitOncePaused) {
    start();
    auto ws = subscribe("orderbook.50.BTCUSDT");
    stream_book book;
    for (int frames = 0; frames < 20; ++frames) {
        auto f = read_until(*ws, R"("topic":"orderbook.50.BTCUSDT")");
        ASSERT_TRUE(f);
        book.apply(*f);
    }
    // The market moves past the stream's last push (steps every 5 ms, a push every 20 ms); the
    // pause sends what changed since then, and nothing moves after it.
    std::this_thread::sleep_for(12ms);
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    while (auto f = ws->read(300ms)) {
        if (f->find(R"("topic":"orderbook.50.BTCUSDT")") != std::string::npos) {
            book.apply(*f);
        }
    }
    ASSERT_EQ(book.top_bids(100).size(), 50U);
    ASSERT_EQ(book.top_asks(100).size(), 50U);
    const auto truth50 = truth_book("linear", "orderbook.50.BTCUSDT");
    EXPECT_EQ(truth50.bids, book.top_bids(50));
    EXPECT_EQ(truth50.asks, book.top_asks(50));
    const auto deepest = truth_book("linear", "orderbook.1000.BTCUSDT"); // `u` is its u
    ASSERT_GE(deepest.bids.size(), 50U);
    EXPECT_EQ(levels(deepest.bids.begin(), deepest.bids.begin() + 50), book.top_bids(50));
    for (const std::size_t limit : {50U, 5U}) {
        auto r = result(
            fmt::format("/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit={}", limit));
        EXPECT_EQ(std::string_view(r["s"]), "BTCUSDT");
        EXPECT_EQ(level_list(r["b"]), book.top_bids(limit)) << limit; // every level, best first
        EXPECT_EQ(level_list(r["a"]), book.top_asks(limit)) << limit;
        EXPECT_EQ(std::int64_t(r["ts"]), t0_ms + 1000); // the simulator's clock
        EXPECT_EQ(std::uint64_t(r["u"]), deepest.u);
        EXPECT_GE(std::uint64_t(r["seq"]), book.seq);
        EXPECT_LE(std::int64_t(r["cts"]), t0_ms + 1000);
    }
    EXPECT_EQ(result("/v5/market/orderbook?category=linear&symbol=BTCUSDT")["b"].get_array().size(),
              25U); // the linear default
    // Spot writes the levels the way its stream does (trimmed), from the same truth.
    const auto spot = truth_book("spot", "orderbook.200.BTCUSDT");
    auto r = result("/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=200");
    EXPECT_EQ(level_list(r["b"]), spot.bids);
    EXPECT_EQ(level_list(r["a"]), spot.asks);
}

TEST_F(SimRestTest, OrderbookLimitsAndCategoriesAreCheckedAsOnBybit) {
    start();
    for (const std::string query : {
             "symbol=BTCUSDT",                 // no category
             "category=option&symbol=BTCUSDT", // not simulated
             "category=futures&symbol=BTCUSDT",
             "category=linear", // no symbol
             "category=linear&symbol=NOPE",
             "category=linear&symbol=BTCUSDT&limit=0",
             "category=linear&symbol=BTCUSDT&limit=501",
             "category=inverse&symbol=BTCUSDT&limit=501",
             "category=linear&symbol=BTCUSDT&limit=-1",
             "category=linear&symbol=BTCUSDT&limit=abc",
             "category=linear&symbol=BTCUSDT&limit=2.5",
             "category=spot&symbol=BTCUSDT&limit=201",
         }) {
        const auto a = get("/v5/market/orderbook?" + query);
        ASSERT_EQ(a.status, 200U) << query;
        simdjson::dom::element doc;
        ASSERT_EQ(parser_.parse(a.body).get(doc), simdjson::SUCCESS) << a.body;
        EXPECT_EQ(std::int64_t(doc["retCode"]), 10001) << query << ": " << a.body;
        EXPECT_TRUE(std::string_view(doc["retMsg"]).starts_with("params error:")) << a.body;
    }
    EXPECT_NE(get("/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=501")
                  .body.find(R"("retMsg":"params error: limit must be from 1 to 500")"),
              std::string::npos);
    // Each category's largest limit and its default.
    for (const auto& [query, depth] : std::vector<std::pair<std::string, std::size_t>>{
             {"category=linear&symbol=BTCUSDT&limit=500", 500},
             {"category=inverse&symbol=ETHUSDT&limit=500", 500},
             {"category=spot&symbol=BTCUSDT&limit=200", 200},
             {"category=linear&symbol=ETHUSDT&limit=1", 1},
             {"category=inverse&symbol=BTCUSDT", 25},
             {"category=spot&symbol=ETHUSDT", 1},
         }) {
        auto r = result("/v5/market/orderbook?" + query);
        EXPECT_EQ(r["b"].get_array().size(), depth) << query;
        EXPECT_EQ(r["a"].get_array().size(), depth) << query;
    }
}

TEST_F(SimRestTest, RestFaultsAndTheIpLimitApplyToTheOrderbook) {
    server_options opts;
    opts.rest_limit_per_5s = 4;
    start(std::move(opts));
    const std::string book = "/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50";
    ASSERT_EQ(control(R"({"action":"rest","mode":"error","seconds":60,)"
                      R"("path":"/v5/market/orderbook"})"),
              200U);
    auto a = get(book);
    EXPECT_EQ(a.status, 503U);
    EXPECT_NE(a.body.find("503"), std::string::npos);
    EXPECT_EQ(get("/v5/market/tickers?category=linear&symbol=BTCUSDT").status, 200U);
    ASSERT_EQ(control(R"({"action":"rest","mode":"error","seconds":0.001,)"
                      R"("path":"/v5/market/orderbook"})"),
              200U);
    std::this_thread::sleep_for(10ms); // let the millisecond fault expire
    EXPECT_EQ(get(book).status, 200U);
    EXPECT_EQ(get(book).status, 200U); // the 4th market request in 5 s
    a = get(book);
    EXPECT_EQ(a.status, 403U);
    EXPECT_EQ(a.body, "access too frequent");
    auto doc = status_doc();
    EXPECT_EQ(std::uint64_t(doc["rest"]["requests"]["/v5/market/orderbook"]), 4U) << status_body_;
    EXPECT_EQ(std::uint64_t(doc["stats"]["rest_faulted"]), 1U);
    EXPECT_EQ(std::uint64_t(doc["stats"]["rest_refused_by_limit"]), 1U);
}

TEST_F(SimRestTest, TickersAnswerTheStreamsLatestTickerOncePaused) {
    start();
    auto ws = subscribe("tickers.BTCUSDT");
    std::map<std::string, std::string> stream; // the snapshot with every delta merged
    simdjson::dom::parser p;
    const auto merge = [&](const std::string& f) {
        simdjson::dom::element doc;
        ASSERT_EQ(p.parse(f).get(doc), simdjson::SUCCESS) << f;
        for (auto [key, value] : doc["data"].get_object()) {
            stream[std::string(key)] = std::string(std::string_view(value));
        }
    };
    for (int frames = 0; frames < 10; ++frames) {
        auto f = read_until(*ws, R"("topic":"tickers.BTCUSDT")");
        ASSERT_TRUE(f);
        merge(*f);
    }
    std::this_thread::sleep_for(30ms); // past the last push (every 100 ms): the pause sends it
    ASSERT_EQ(control(R"({"action":"pause"})"), 200U);
    while (auto f = ws->read(300ms)) {
        if (f->find(R"("topic":"tickers.BTCUSDT")") != std::string::npos) {
            merge(*f);
        }
    }
    auto entry = result("/v5/market/tickers?category=linear&symbol=BTCUSDT")["list"].at(0);
    std::size_t shared = 0;
    for (auto [key, value] : entry.get_object()) {
        if (const auto it = stream.find(std::string(key)); it != stream.end()) {
            EXPECT_EQ(std::string_view(value), it->second) << key;
            ++shared;
        }
    }
    // What a gateway needs to refresh a ticker over REST: all carried by the stream too.
    for (const char* key :
         {"lastPrice", "bid1Price", "bid1Size", "ask1Price", "ask1Size", "markPrice", "indexPrice",
          "openInterest", "openInterestValue", "fundingRate", "nextFundingTime", "volume24h",
          "turnover24h", "price24hPcnt", "highPrice24h", "lowPrice24h", "prevPrice24h"}) {
        EXPECT_FALSE(std::string_view(entry[key]).empty()) << key;
        EXPECT_TRUE(stream.contains(key)) << key;
    }
    EXPECT_GE(shared, 18U); // those, the symbol and more
}

TEST_F(SimRestTest, SetTurnoverRotatesTheTurnoverRanking) {
    start();
    const auto turnover = [&](const char* symbol) {
        return std::stod(std::string(std::string_view(
            result(std::string("/v5/market/tickers?category=linear&symbol=") + symbol)["list"].at(
                0)["turnover24h"])));
    };
    ASSERT_EQ(control(R"({"action":"set_turnover","symbol":"BTCUSDT","value":900000000})"), 200U);
    ASSERT_EQ(control(R"({"action":"set_turnover","symbol":"ETHUSDT","value":100000000})"), 200U);
    EXPECT_GT(turnover("BTCUSDT"), turnover("ETHUSDT"));
    ASSERT_EQ(control(R"({"action":"set_turnover","symbol":"ETHUSDT","value":2000000000})"), 200U);
    EXPECT_GT(turnover("ETHUSDT"), turnover("BTCUSDT"));
    auto t = result("/v5/market/tickers?category=linear&symbol=ETHUSDT")["list"].at(0);
    for (const char* key : {"lastPrice", "price24hPcnt", "volume24h", "openInterest", "fundingRate",
                            "nextFundingTime"}) {
        EXPECT_FALSE(std::string_view(t[key]).empty()) << key;
    }
    auto [status, body] = http_request(port_, http::verb::post, "/sim/control",
                                       R"({"action":"set_turnover","symbol":"NOPE","value":1})");
    EXPECT_EQ(status, 400U) << body;
}

TEST_F(SimRestTest, AccountRatioFundingHistoryAndRiskLimitHaveTheVenueShapes) {
    start();
    auto ratio =
        result("/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=1h&limit=3");
    ASSERT_EQ(ratio["list"].get_array().size(), 3U);
    auto first = ratio["list"].at(0);
    EXPECT_EQ(std::string_view(first["symbol"]), "BTCUSDT");
    EXPECT_NEAR(std::stod(std::string(std::string_view(first["buyRatio"]))) +
                    std::stod(std::string(std::string_view(first["sellRatio"]))),
                1.0, 1e-9);
    EXPECT_EQ(std::stoll(std::string(std::string_view(first["timestamp"]))) % 3'600'000, 0);
    const std::string cursor{std::string_view(ratio["nextPageCursor"])};
    ASSERT_FALSE(cursor.empty());
    // `ratio` views the parser's document: read what is needed before the next request.
    const auto oldest = std::stoll(std::string(std::string_view(ratio["list"].at(2)["timestamp"])));
    auto next = result("/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=1h&limit=3&"
                       "cursor=" +
                       cursor);
    EXPECT_EQ(oldest - std::stoll(std::string(std::string_view(next["list"].at(0)["timestamp"]))),
              3'600'000);

    auto funding = result("/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=4");
    ASSERT_EQ(funding["list"].get_array().size(), 4U);
    const auto ts0 =
        std::stoll(std::string(std::string_view(funding["list"].at(0)["fundingRateTimestamp"])));
    EXPECT_EQ(ts0 % (8 * 3'600'000), 0);
    EXPECT_LE(ts0, t0_ms + 1000);
    EXPECT_FALSE(std::string_view(funding["list"].at(0)["fundingRate"]).empty());

    auto risk = result("/v5/market/risk-limit?category=inverse");
    EXPECT_EQ(std::string_view(risk["category"]), "inverse");
    ASSERT_GE(risk["list"].get_array().size(), 1U);
    auto tier = risk["list"].at(0);
    for (const char* key :
         {"riskLimitValue", "maintenanceMargin", "initialMargin", "maxLeverage"}) {
        EXPECT_FALSE(std::string_view(tier[key]).empty()) << key;
    }
    EXPECT_EQ(std::int64_t(tier["isLowestRisk"]), 1);
    EXPECT_EQ(std::string_view(risk["nextPageCursor"]), "");
}

TEST_F(SimRestTest, FundingAccountRatioAndRiskLimitAnswersDecode) {
    start();
    namespace bybit = exchange::bybit;
    std::string reason;
    auto a = get("/v5/market/funding/history?category=linear&symbol=BTCUSDT");
    ASSERT_EQ(a.status, 200U) << a.body;
    const auto funding = bybit::parse_rest_funding_history(a.body, "BTCUSDT", reason);
    ASSERT_TRUE(funding) << reason << ": " << a.body;
    ASSERT_EQ(funding->size(), 200U); // the default limit
    for (std::size_t i = 1; i < funding->size(); ++i) {
        EXPECT_EQ((*funding)[i].ts - (*funding)[i - 1].ts, 8h) << i; // 00:00, 08:00, 16:00
    }
    EXPECT_LE(funding->back().ts, unix_nanos::from_millis(t0_ms + 1000));

    a = get("/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=5min");
    ASSERT_EQ(a.status, 200U) << a.body;
    const auto ratio = bybit::parse_rest_account_ratio(a.body, "BTCUSDT", reason);
    ASSERT_TRUE(ratio) << reason << ": " << a.body;
    ASSERT_EQ(ratio->size(), 50U); // the default limit
    for (std::size_t i = 1; i < ratio->size(); ++i) {
        EXPECT_EQ((*ratio)[i].ts - (*ratio)[i - 1].ts, 5min) << i;
    }
    EXPECT_EQ(ratio->back().ts, unix_nanos::from_millis(t0_ms));
    EXPECT_FALSE(bybit::parse_rest_account_ratio(a.body, "ETHUSDT", reason));

    // With the symbol, and without (every symbol's tiers: the others are skipped).
    for (const std::string target : {"/v5/market/risk-limit?category=linear&symbol=BTCUSDT",
                                     "/v5/market/risk-limit?category=linear"}) {
        a = get(target);
        ASSERT_EQ(a.status, 200U) << a.body;
        const auto tiers = bybit::parse_rest_risk_limits(a.body, "BTCUSDT", reason);
        ASSERT_TRUE(tiers) << reason << ": " << a.body;
        ASSERT_EQ(tiers->size(), 10U) << target;
        EXPECT_TRUE(tiers->front().lowest);
        for (std::size_t i = 1; i < tiers->size(); ++i) {
            EXPECT_LT((*tiers)[i - 1].limit_value, (*tiers)[i].limit_value) << i;
            EXPECT_LT((*tiers)[i].max_leverage, (*tiers)[i - 1].max_leverage) << i;
            EXPECT_FALSE((*tiers)[i].lowest);
        }
    }
}

} // namespace
} // namespace mdg::sim
