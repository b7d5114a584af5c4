#include "sim/server.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "core/log.hpp"
#include "exchange/bybit/topic.hpp"
#include "model/fixed_point.hpp"
#include "sim/detail/rest_params.hpp"

namespace mdg::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t low_watermark_bytes = 256U << 10; // "as fast as the client reads"
constexpr auto tick = 5ms;

// Escapes a client-supplied string for echoing inside a JSON string.
std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out += c;
            }
        }
    }
    return out;
}

// Bybit's 2026 conn_id shape ("d8bu1olkndm7crnfs1e0-j6akw"), deterministic per connection.
std::string make_conn_id(std::uint64_t seed, std::uint64_t id) {
    constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuv";
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + id * 0xBF58476D1CE4E5B9ULL + 1;
    std::string out;
    for (int i = 0; i < 26; ++i) {
        if (i == 20) {
            out += '-';
            continue;
        }
        x ^= x >> 31;
        x *= 0x94D049BB133111EBULL;
        x ^= x >> 29;
        out += alphabet[x % alphabet.size()];
    }
    return out;
}

std::chrono::milliseconds push_interval(model::category cat, const exchange::bybit::topic& t) {
    using exchange::bybit::channel;
    switch (t.ch) {
    case channel::orderbook:
        switch (t.depth) {
        case 1:
            return 10ms;
        case 50:
            return 20ms;
        case 200:
            return 100ms;
        default:
            return 200ms;
        }
    case channel::tickers:
        return cat == model::category::spot ? 50ms : 100ms;
    case channel::kline:
        return 1000ms;
    case channel::all_liquidation:
    case channel::liquidation:
        return 500ms;
    case channel::public_trade:
        return 0ms; // real time: every tick
    }
    return 100ms;
}

struct query_params {
    std::map<std::string, std::string, std::less<>> values;
    [[nodiscard]] std::string_view get(std::string_view key) const {
        auto it = values.find(key);
        return it == values.end() ? std::string_view{} : std::string_view{it->second};
    }
};

query_params parse_query(std::string_view q) {
    query_params p;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const auto part = q.substr(0, amp);
        const auto eq = part.find('=');
        std::string key{part.substr(0, eq)};
        std::string value{eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1)};
        // Minimal percent-decoding; our values are symbols, topics and numbers.
        std::string decoded;
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '%' && i + 2 < value.size()) {
                decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                decoded += value[i] == '+' ? ' ' : value[i];
            }
        }
        p.values[std::move(key)] = std::move(decoded);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    }
    return p;
}

} // namespace

// --- one WebSocket client -----------------------------------------------------------------

struct ws_session : std::enable_shared_from_this<ws_session> {
    ws_session(std::uint64_t id_, model::category cat_, std::string conn_id_, tcp::socket socket)
        : id(id_), cat(cat_), conn_id(std::move(conn_id_)), ws(std::move(socket)),
          wake(ws.get_executor()) {
        wake.expires_at(steady::time_point::max());
    }

    std::uint64_t id;
    model::category cat;
    std::string conn_id;
    websocket::stream<beast::tcp_stream> ws;
    asio::steady_timer wake; // the writer sleeps on it; enqueue() cancels it
    std::deque<std::shared_ptr<const std::string>> queue;
    std::size_t queued_bytes = 0;
    std::set<std::string, std::less<>> topics;
    steady::time_point stall_until{};
    bool closed = false;           ///< no more frames are queued or sent
    bool want_close_frame = false; ///< the writer ends the session with a close frame

    [[nodiscard]] bool stalled() const { return steady::now() < stall_until; }
};

// --- the simulator --------------------------------------------------------------------------

struct topic_state {
    std::set<std::uint64_t> subscribers;
    steady::time_point next_push{};
    std::chrono::milliseconds interval{0};
};

struct category_runtime {
    model::category cat;
    std::unique_ptr<market_model> model;
    std::map<std::string, topic_state, std::less<>> topics;
    std::set<std::string, std::less<>> reject_next;
    std::set<std::string, std::less<>> ignore_next; // subscribes read and never answered
};

// A rest (or rest_time) fault in force.
struct rest_fault {
    std::string path; // "" = every /v5/market/ path
    std::string mode;
    steady::time_point until{};
    std::chrono::milliseconds delay{0};
};

// The market REST paths the simulator serves; /sim/status counts requests per path (others
// under "other", so that hostile paths cannot grow the map).
constexpr std::array<std::string_view, 10> market_paths{
    "/v5/market/time",
    "/v5/market/orderbook",
    "/v5/market/tickers",
    "/v5/market/instruments-info",
    "/v5/market/kline",
    "/v5/market/open-interest",
    "/v5/market/recent-trade",
    "/v5/market/account-ratio",
    "/v5/market/funding/history",
    "/v5/market/risk-limit",
};

struct replay_frame {
    std::string topic;
    std::int64_t ts_ms = 0;
    std::shared_ptr<const std::string> text;
};

struct server::impl : std::enable_shared_from_this<server::impl> {
    impl(asio::io_context& ioc_, server_options opts_, const core::clock& clock_)
        : ioc(ioc_), opts(std::move(opts_)), clock(clock_), acceptor(ioc_) {}

    asio::io_context& ioc;
    server_options opts;
    const core::clock& clock; // outlives: the server
    tcp::acceptor acceptor;
    server_stats stats;
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, std::shared_ptr<ws_session>> sessions;
    std::map<asio::ip::address, std::size_t> open_per_address; // connections open per client
    std::array<std::unique_ptr<category_runtime>, 3> markets;  // spot, linear, inverse
    bool paused = false;
    bool stopped = false;
    steady::time_point refuse_ws_until{};
    std::vector<rest_fault> rest_faults; // at most one per path ("" = every market path)
    std::map<std::string, std::uint64_t, std::less<>> rest_requests_by_path;
    std::map<asio::ip::address, detail::window_limiter<steady::time_point, steady::duration>>
        rest_limiters; // per client address, while it has requests inside the window
    // Replay mode.
    std::vector<replay_frame> replay;
    std::set<std::string, std::less<>> replay_topics;
    bool replay_started = false;

    [[nodiscard]] bool replay_mode() const { return !opts.replay_file.empty(); }

    category_runtime* market(model::category c) {
        const auto i = static_cast<std::size_t>(c);
        return i < markets.size() ? markets[i].get() : nullptr;
    }

    // ---- lifecycle
    void start();
    void stop();
    void load_replay();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> run_market(category_runtime& m);
    // Pushes what changed since its last push on every subscribed topic of `m` that is due
    // (every subscribed topic when `all`).
    void push_topics(category_runtime& m, unix_nanos now, steady::time_point now_steady, bool all);
    asio::awaitable<void> run_replay();
    asio::awaitable<void> run_script();

    // ---- connections
    asio::awaitable<void> handle_connection(tcp::socket socket);
    asio::awaitable<void> run_ws(std::shared_ptr<ws_session> s,
                                 http::request<http::string_body> req);
    asio::awaitable<void> ws_writer(std::shared_ptr<ws_session> s);
    void on_ws_text(ws_session& s, std::string_view text);
    void enqueue(ws_session& s, std::shared_ptr<const std::string> frame);
    void close_session(ws_session& s, bool reset);
    void forget_session(ws_session& s);
    void publish(category_runtime* m, const std::string& topic,
                 const std::shared_ptr<const std::string>& frame);

    // ---- protocol
    void reply(ws_session& s, std::string_view op, bool success, std::string_view ret_msg,
               const std::optional<std::string>& req_id);
    void subscribe(ws_session& s, const std::vector<std::string>& args,
                   const std::optional<std::string>& req_id);
    void unsubscribe(ws_session& s, const std::vector<std::string>& args,
                     const std::optional<std::string>& req_id);

    // ---- HTTP
    asio::awaitable<bool> handle_http(beast::tcp_stream& stream,
                                      http::request<http::string_body>& req);
    std::string rest_envelope(std::string_view result) const;
    std::string bybit_error(std::string_view msg) const;
    // The body of a market REST answer (a Bybit envelope; errors are retCode 10001).
    std::string market_rest(std::string_view path, const query_params& query, bool& known);
    [[nodiscard]] const rest_fault* rest_fault_for(std::string_view path) const;
    bool admit_rest(const asio::ip::address& peer);
    std::string status_json() const;

    boost::system::error_code apply(const action& a, std::string& reason);
    template <class F> bool for_targets(const action& a, F&& f, std::string& reason);
};

void server::impl::load_replay() {
    std::ifstream in(opts.replay_file, std::ios::binary);
    if (!in) {
        throw std::runtime_error(fmt::format("cannot open replay file {}", opts.replay_file));
    }
    simdjson::ondemand::parser parser;
    std::size_t skipped = 0;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            continue;
        }
        simdjson::padded_string padded(line);
        simdjson::ondemand::document doc;
        std::string_view topic;
        std::int64_t ts = 0;
        if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
            doc["topic"].get_string().get(topic) != simdjson::SUCCESS) {
            ++skipped; // control frames (acks) and unreadable lines: the simulator makes its own
            continue;
        }
        std::string topic_copy{topic};
        doc.rewind();
        if (doc["ts"].get_int64().get(ts) != simdjson::SUCCESS) {
            ts = replay.empty() ? 0 : replay.back().ts_ms;
        }
        replay_topics.insert(topic_copy);
        replay.push_back({std::move(topic_copy), ts, std::make_shared<const std::string>(line)});
    }
    spdlog::info("sim: replay of {}: {} frames on {} topics ({} lines without a topic skipped)",
                 opts.replay_file, replay.size(), replay_topics.size(), skipped);
}

void server::impl::start() {
    if (replay_mode()) {
        load_replay();
    } else {
        for (auto c : {model::category::spot, model::category::linear, model::category::inverse}) {
            auto m = std::make_unique<category_runtime>();
            m->cat = c;
            model_config cfg;
            cfg.cat = c;
            cfg.symbols = opts.symbols;
            cfg.seed = opts.seed + static_cast<std::uint64_t>(c);
            m->model = std::make_unique<market_model>(std::move(cfg));
            markets[static_cast<std::size_t>(c)] = std::move(m);
        }
    }
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(opts.address, ec);
    if (ec) {
        throw std::runtime_error(fmt::format("bad listen address '{}'", opts.address));
    }
    const tcp::endpoint ep{addr, opts.port};
    acceptor.open(ep.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        acceptor.bind(ep, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("cannot listen on {}:{}: {}", opts.address, opts.port, ec.message()));
    }
    auto self = shared_from_this();
    auto on_done = [](const std::exception_ptr& e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("sim: task failed: {}", ex.what());
            }
        }
    };
    asio::co_spawn(
        ioc, [self]() { return self->accept_loop(); }, on_done);
    if (replay_mode()) {
        asio::co_spawn(
            ioc, [self]() { return self->run_replay(); }, on_done);
    } else {
        for (auto& m : markets) {
            auto* mp = m.get();
            asio::co_spawn(
                ioc, [self, mp]() { return self->run_market(*mp); }, on_done);
        }
    }
    if (!opts.script.empty()) {
        asio::co_spawn(
            ioc, [self]() { return self->run_script(); }, on_done);
    }
}

void server::impl::stop() {
    if (stopped) {
        return;
    }
    stopped = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    auto copy = sessions;
    for (auto& [id, s] : copy) {
        close_session(*s, false);
    }
}

asio::awaitable<void> server::impl::accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (stopped || ec == asio::error::operation_aborted) {
                co_return;
            }
            spdlog::warn("sim: accept failed: {}", ec.message());
            continue;
        }
        ++stats.connections_accepted;
        const auto peer = socket.remote_endpoint(ec).address();
        const auto held = open_per_address.find(peer); // no entry for a refused address
        const std::size_t from_peer = held == open_per_address.end() ? 0 : held->second;
        if (ec || stats.connections_open >= opts.max_connections ||
            from_peer >= opts.max_connections_per_address) {
            ++stats.refused_connections;
            core::log_limited(spdlog::level::warn, "sim.refused",
                              "sim: connection from {} refused: {} open from it, {} in all",
                              ec ? std::string{"?"} : peer.to_string(), from_peer,
                              stats.connections_open);
            socket.close(ec);
            continue;
        }
        asio::co_spawn(
            ioc,
            [self, s = std::move(socket)]() mutable {
                return self->handle_connection(std::move(s));
            },
            asio::detached);
    }
}

// Reads HTTP requests on one connection; upgrades to WebSocket on /v5/public/{category}.
asio::awaitable<void> server::impl::handle_connection(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec).address();
    ++stats.connections_open;
    ++open_per_address[peer];
    struct open_guard {
        impl& owner;
        asio::ip::address peer;
        ~open_guard() {
            --owner.stats.connections_open;
            if (auto it = owner.open_per_address.find(peer);
                it != owner.open_per_address.end() && --it->second == 0) {
                owner.open_per_address.erase(it);
            }
        }
    } guard{*this, peer};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16U << 10);
        parser.body_limit(opts.max_request_bytes);
        // Line and headers within header_timeout (also the idle limit between requests),
        // then the body within body_timeout.
        stream.expires_after(opts.header_timeout);
        auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
        if (!ec && !parser.is_done()) {
            stream.expires_after(opts.body_timeout);
            std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
        }
        if (ec == beast::error::timeout) {
            ++stats.request_timeouts;
        }
        if (ec) {
            if (ec == http::error::body_limit || ec == http::error::header_limit) {
                http::response<http::string_body> res{http::status::payload_too_large, 11};
                res.set(http::field::content_type, "application/json");
                res.body() = R"({"error":"request too large"})";
                res.prepare_payload();
                co_await http::async_write(stream, res, use_tuple);
            }
            co_return;
        }
        auto req = parser.release();
        if (websocket::is_upgrade(req)) {
            const std::string target{req.target()};
            std::optional<model::category> cat;
            for (auto c :
                 {model::category::spot, model::category::linear, model::category::inverse}) {
                if (target == fmt::format("/v5/public/{}", model::to_string(c))) {
                    cat = c;
                }
            }
            if (!cat || steady::now() < refuse_ws_until || stopped) {
                ++stats.refused_connections;
                if (cat) {
                    // Refused: close the TCP connection without answering the handshake.
                    stream.socket().close();
                } else {
                    http::response<http::string_body> res{http::status::not_found, req.version()};
                    res.body() = "no such stream";
                    res.prepare_payload();
                    co_await http::async_write(stream, res, use_tuple);
                }
                co_return;
            }
            stream.expires_never();
            const auto id = next_id++;
            auto s = std::make_shared<ws_session>(id, *cat, make_conn_id(opts.seed, id),
                                                  stream.release_socket());
            co_await run_ws(std::move(s), std::move(req));
            co_return;
        }
        ++stats.http_requests;
        const bool keep = co_await handle_http(stream, req);
        if (!keep) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

asio::awaitable<void> server::impl::run_ws(std::shared_ptr<ws_session> s,
                                           http::request<http::string_body> req) {
    auto self = shared_from_this();
    s->ws.read_message_max(opts.max_request_bytes);
    // Handshake deadline; no idle timeout and no protocol pings of our own (Bybit documents
    // neither). A client that stops reading is caught by max_send_queue_bytes instead.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = 30s;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    s->ws.set_option(timeouts);
    s->ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "mdgate-sim"); }));
    auto [ec] = co_await s->ws.async_accept(req, use_tuple);
    if (ec) {
        co_return;
    }
    ++stats.ws_sessions;
    sessions[s->id] = s;
    spdlog::debug("sim: connection {} opened on {}", s->id, model::to_string(s->cat));
    asio::co_spawn(ioc, ws_writer(s), asio::detached);
    beast::flat_buffer buffer;
    while (!s->closed) {
        auto [rec, n] = co_await s->ws.async_read(buffer, use_tuple);
        if (rec) {
            break;
        }
        if (s->stalled()) {
            // A stalled server reads nothing it answers: wait out the stall, drop the request.
            buffer.consume(buffer.size());
            continue;
        }
        if (s->ws.got_text()) {
            const auto data = buffer.data();
            on_ws_text(*s, std::string_view{static_cast<const char*>(data.data()), data.size()});
        }
        buffer.consume(buffer.size());
    }
    forget_session(*s);
}

asio::awaitable<void> server::impl::ws_writer(std::shared_ptr<ws_session> s) {
    auto self = shared_from_this();
    for (;;) {
        if (s->want_close_frame) {
            // Done here, by the one writer, so a close never overlaps a write in flight.
            s->want_close_frame = false;
            co_await s->ws.async_close(websocket::close_code::going_away, use_tuple);
            boost::system::error_code ignored;
            beast::get_lowest_layer(s->ws).socket().close(ignored);
            break;
        }
        if (s->closed) {
            // Closed by the reader (the client went away) or by a fault: the socket goes with
            // the writer, the last owner of the session besides a suspended read.
            boost::system::error_code ignored;
            beast::get_lowest_layer(s->ws).socket().close(ignored);
            break;
        }
        if (s->queue.empty() || s->stalled()) {
            s->wake.expires_at(s->stalled() ? s->stall_until : steady::time_point::max());
            co_await s->wake.async_wait(use_tuple);
            continue;
        }
        // Taken off the queue before the write: a drop or a stall may clear the queue while
        // the write is in flight.
        auto frame = std::move(s->queue.front());
        s->queue.pop_front();
        s->queued_bytes -= frame->size();
        s->ws.text(true);
        auto [ec, n] = co_await s->ws.async_write(asio::buffer(*frame), use_tuple);
        if (ec) {
            close_session(*s, true);
            break;
        }
        ++stats.frames_sent;
        stats.bytes_sent += n;
    }
}

void server::impl::enqueue(ws_session& s, std::shared_ptr<const std::string> frame) {
    if (s.closed || s.stalled()) {
        return; // a stalled connection sends nothing: what it would have sent is lost
    }
    s.queued_bytes += frame->size();
    s.queue.push_back(std::move(frame));
    if (s.queued_bytes > opts.max_send_queue_bytes) {
        ++stats.slow_client_disconnects;
        core::log_limited(spdlog::level::warn, "sim.slow_client",
                          "sim: connection {} does not read ({} bytes queued): disconnected", s.id,
                          s.queued_bytes);
        close_session(s, true);
        return;
    }
    s.wake.cancel();
}

void server::impl::close_session(ws_session& s, bool reset) {
    if (s.closed) {
        return;
    }
    s.closed = true;
    s.queue.clear();
    s.queued_bytes = 0;
    s.wake.cancel();
    auto& sock = beast::get_lowest_layer(s.ws).socket();
    boost::system::error_code ec;
    if (reset) {
        // An abrupt reset: RST instead of FIN, no close frame.
        sock.set_option(asio::socket_base::linger(true, 0), ec);
        sock.close(ec);
    } else {
        s.want_close_frame = true;
    }
    forget_session(s);
}

void server::impl::forget_session(ws_session& s) {
    s.closed = true;
    s.wake.cancel(); // the writer may wait for a frame that never comes: it ends now
    for (const auto& t : s.topics) {
        if (auto* m = market(s.cat)) {
            if (auto it = m->topics.find(t); it != m->topics.end()) {
                it->second.subscribers.erase(s.id);
            }
        }
    }
    s.topics.clear();
    sessions.erase(s.id);
}

void server::impl::publish(category_runtime* m, const std::string& topic,
                           const std::shared_ptr<const std::string>& frame) {
    auto& subs = m->topics[topic].subscribers;
    for (auto it = subs.begin(); it != subs.end();) {
        const auto sit = sessions.find(*it);
        ++it; // enqueue may close and unsubscribe this session
        if (sit != sessions.end()) {
            enqueue(*sit->second, frame);
        }
    }
}

// ---- protocol --------------------------------------------------------------------------------

// Ack, pong and error frames, in the shape of the session's category (protocol notes §3):
// spot omits req_id when none was sent, linear/inverse always carry it ("" when none).
void server::impl::reply(ws_session& s, std::string_view op, bool success, std::string_view ret_msg,
                         const std::optional<std::string>& req_id) {
    std::string text = fmt::format(R"({{"success":{},"ret_msg":"{}","conn_id":"{}")",
                                   success ? "true" : "false", ret_msg, s.conn_id);
    if (req_id || s.cat != model::category::spot) {
        text += fmt::format(R"(,"req_id":"{}")", json_escape(req_id.value_or("")));
    }
    text += fmt::format(R"(,"op":"{}"}})", json_escape(op));
    if (!success) {
        ++stats.requests_rejected;
    }
    enqueue(s, std::make_shared<const std::string>(std::move(text)));
}

void server::impl::on_ws_text(ws_session& s, std::string_view text) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object obj;
    if (parser.parse(text.data(), text.size(), true).get(doc) != simdjson::SUCCESS ||
        doc.get(obj) != simdjson::SUCCESS) {
        reply(s, "", false, "error:request not valid JSON", std::nullopt);
        return;
    }
    std::string_view op;
    std::optional<std::string> req_id;
    std::vector<std::string> args;
    bool bad_args = false;
    for (auto [key, value] : obj) {
        if (key == "op") {
            if (value.get(op) != simdjson::SUCCESS) {
                op = "";
            }
        } else if (key == "req_id") {
            std::string_view r;
            if (value.get(r) == simdjson::SUCCESS) {
                req_id = std::string(r);
            } else {
                req_id = simdjson::to_string(value);
            }
        } else if (key == "args") {
            simdjson::dom::array arr;
            if (value.get(arr) != simdjson::SUCCESS) {
                bad_args = true;
                continue;
            }
            for (auto item : arr) {
                std::string_view t;
                if (item.get(t) != simdjson::SUCCESS) {
                    bad_args = true;
                    break;
                }
                args.emplace_back(t);
            }
        }
    }
    if (op == "ping") {
        reply(s, "ping", true, "pong", req_id);
        return;
    }
    if (op != "subscribe" && op != "unsubscribe") {
        reply(s, op, false, fmt::format("error:unknown op {}", json_escape(op)), req_id);
        return;
    }
    if (bad_args || args.empty()) {
        reply(s, op, false, "error:args must be a non-empty array of topic strings", req_id);
        return;
    }
    if (op == "subscribe") {
        subscribe(s, args, req_id);
    } else {
        unsubscribe(s, args, req_id);
    }
}

void server::impl::subscribe(ws_session& s, const std::vector<std::string>& args,
                             const std::optional<std::string>& req_id) {
    if (s.cat == model::category::spot && args.size() > 10) {
        reply(s, "subscribe", false, "args size \\u003e10", req_id);
        return;
    }
    // The per-connection args budget first: a huge request is refused before any lookup.
    std::size_t chars = 0;
    for (const auto& t : s.topics) {
        chars += t.size() + 3;
    }
    for (const auto& t : args) {
        chars += t.size() + 3;
    }
    if (chars > 21'000) {
        reply(s, "subscribe", false, "error:args length exceeds 21000 per connection", req_id);
        return;
    }
    auto* m = market(s.cat);
    // A request lost on its way (ignore_subscription): no ack, nothing subscribed, nothing sent.
    if (m != nullptr && std::ranges::any_of(args, [&](const std::string& t) {
            return m->ignore_next.erase(t) > 0;
        })) {
        ++stats.requests_ignored;
        return;
    }
    // Bybit rejects the whole request when one topic is refused (protocol notes §3.4).
    for (const auto& t : args) {
        const bool served = replay_mode()
                                ? (s.cat == opts.replay_category && replay_topics.contains(t))
                                : (m != nullptr && m->model->serves(t));
        const bool rejected = m != nullptr && m->reject_next.erase(t) > 0;
        if (!served || rejected) {
            reply(s, "subscribe", false,
                  fmt::format("error:handler not found,topic:{}", json_escape(t)), req_id);
            return;
        }
        if (s.topics.contains(t)) {
            reply(s, "subscribe", false,
                  fmt::format("error:already subscribed,topic:{}", json_escape(t)), req_id);
            return;
        }
    }
    reply(s, "subscribe", true, s.cat == model::category::spot ? "subscribe" : "", req_id);
    const auto now = clock.now();
    for (const auto& t : args) {
        s.topics.insert(t);
        if (replay_mode()) {
            replay_started = true;
            continue;
        }
        auto& ts = m->topics[t];
        if (ts.subscribers.empty()) {
            auto parsed = exchange::bybit::parse_topic(t);
            ts.interval = parsed ? push_interval(s.cat, *parsed) : 100ms;
            ts.next_push = steady::now() + ts.interval;
        }
        ts.subscribers.insert(s.id);
        if (auto snap = m->model->subscribe_frame(t, now)) {
            enqueue(s, std::make_shared<const std::string>(std::move(*snap)));
        }
    }
}

void server::impl::unsubscribe(ws_session& s, const std::vector<std::string>& args,
                               const std::optional<std::string>& req_id) {
    for (const auto& t : args) {
        if (s.topics.erase(t) > 0) {
            if (auto* m = market(s.cat)) {
                if (auto it = m->topics.find(t); it != m->topics.end()) {
                    it->second.subscribers.erase(s.id);
                }
            }
        }
    }
    reply(s, "unsubscribe", true, s.cat == model::category::spot ? "unsubscribe" : "", req_id);
}

// ---- market and replay -----------------------------------------------------------------------

asio::awaitable<void> server::impl::run_market(category_runtime& m) {
    auto self = shared_from_this();
    asio::steady_timer timer(ioc);
    auto last = steady::now();
    double carry = 0;
    const bool max_rate = opts.rate <= 0;
    while (!stopped) {
        if (max_rate) {
            // As fast as the clients read: wait while anyone still has a backlog.
            bool backlog = false;
            for (const auto& [name, ts] : m.topics) {
                for (auto id : ts.subscribers) {
                    auto it = sessions.find(id);
                    backlog = backlog || (it != sessions.end() &&
                                          it->second->queued_bytes > low_watermark_bytes);
                }
            }
            if (backlog || paused || m.topics.empty()) {
                timer.expires_after(1ms);
                co_await timer.async_wait(use_tuple);
                continue;
            }
            co_await asio::post(ioc, asio::use_awaitable); // let I/O run between steps
        } else {
            timer.expires_after(tick);
            co_await timer.async_wait(use_tuple);
        }
        const auto now_steady = steady::now();
        const std::chrono::duration<double> dt = now_steady - last;
        last = now_steady;
        if (paused) {
            continue;
        }
        bool any_subscriber = false;
        for (const auto& [name, ts] : m.topics) {
            any_subscriber = any_subscriber || !ts.subscribers.empty();
        }
        if (!any_subscriber) {
            continue; // nobody watches this category: keep it still
        }
        const auto now = clock.now();
        std::size_t steps = 1;
        if (!max_rate) {
            carry += opts.rate * std::min(dt.count(), 1.0);
            steps = static_cast<std::size_t>(carry);
            carry -= static_cast<double>(steps);
        }
        for (std::size_t i = 0; i < steps; ++i) {
            m.model->step(now);
        }
        stats.market_steps += steps;
        push_topics(m, now, now_steady, max_rate);
    }
}

void server::impl::push_topics(category_runtime& m, unix_nanos now, steady::time_point now_steady,
                               bool all) {
    for (auto& [name, ts] : m.topics) {
        if (ts.subscribers.empty() || (!all && now_steady < ts.next_push)) {
            continue;
        }
        ts.next_push = now_steady + ts.interval;
        if (auto frame = m.model->push_frame(name, now)) {
            publish(&m, name, std::make_shared<const std::string>(std::move(*frame)));
        }
    }
}

asio::awaitable<void> server::impl::run_replay() {
    auto self = shared_from_this();
    asio::steady_timer timer(ioc);
    while (!replay_started && !stopped) {
        timer.expires_after(5ms);
        co_await timer.async_wait(use_tuple);
    }
    std::int64_t prev_ts = replay.empty() ? 0 : replay.front().ts_ms;
    for (const auto& f : replay) {
        if (stopped) {
            co_return;
        }
        if (opts.replay_speed > 0) {
            const auto gap = std::max<std::int64_t>(0, f.ts_ms - prev_ts);
            if (gap > 0) {
                timer.expires_after(std::chrono::microseconds{static_cast<std::int64_t>(
                    static_cast<double>(gap) * 1000 / opts.replay_speed)});
                co_await timer.async_wait(use_tuple);
            }
        }
        prev_ts = std::max(prev_ts, f.ts_ms);
        // Flow control: never let a reader fall further behind than the low watermark.
        for (;;) {
            bool backlog = false;
            for (auto& [id, s] : sessions) {
                backlog = backlog ||
                          (s->topics.contains(f.topic) && s->queued_bytes > low_watermark_bytes);
            }
            if (!backlog || stopped) {
                break;
            }
            timer.expires_after(1ms);
            co_await timer.async_wait(use_tuple);
        }
        while (paused && !stopped) {
            timer.expires_after(5ms);
            co_await timer.async_wait(use_tuple);
        }
        for (auto it = sessions.begin(); it != sessions.end();) {
            auto s = it->second;
            ++it;
            if (s->topics.contains(f.topic)) {
                enqueue(*s, f.text);
            }
        }
    }
    spdlog::info("sim: replay finished ({} frames)", replay.size());
}

asio::awaitable<void> server::impl::run_script() {
    auto self = shared_from_this();
    asio::steady_timer timer(ioc);
    const auto start = steady::now();
    for (const auto& a : opts.script) {
        timer.expires_at(start + a.at);
        co_await timer.async_wait(use_tuple);
        if (stopped) {
            co_return;
        }
        std::string reason;
        if (auto ec = apply(a, reason)) {
            spdlog::warn("sim: scripted {} at {} ms failed: {}", to_string(a.kind), a.at.count(),
                         reason);
        }
    }
}

// ---- faults and control ----------------------------------------------------------------------

template <class F> bool server::impl::for_targets(const action& a, F&& f, std::string& reason) {
    if (a.connection) {
        auto it = sessions.find(*a.connection);
        if (it == sessions.end()) {
            reason = fmt::format("no connection {}", *a.connection);
            return false;
        }
        f(*it->second);
        return true;
    }
    auto copy = sessions;
    for (auto& [id, s] : copy) {
        f(*s);
    }
    return true;
}

namespace {

// A fault of one book topic; false when the market does not serve that book.
bool apply_book_fault(market_model& model, const action& a) {
    switch (a.kind) {
    case action_kind::skip_update:
        return model.skip_update(a.topic);
    case action_kind::crossed:
        return model.send_crossed(a.topic);
    case action_kind::bad_number:
        return model.send_bad_number(a.topic, a.mode == "malformed" ? bad_number_kind::malformed
                                              : a.mode == "zero"    ? bad_number_kind::zero
                                                                    : bad_number_kind::precision);
    case action_kind::oversized_snapshot:
        return model.send_oversized_snapshot(a.topic, a.levels);
    default:
        return false;
    }
}

} // namespace

boost::system::error_code server::impl::apply(const action& a, std::string& reason) {
    const auto now_steady = steady::now();
    auto* m = market(a.cat);
    const bool market_action =
        a.kind == action_kind::skip_update || a.kind == action_kind::crossed ||
        a.kind == action_kind::bad_number || a.kind == action_kind::oversized_snapshot ||
        a.kind == action_kind::restart || a.kind == action_kind::set_turnover;
    if (market_action && replay_mode()) {
        reason = fmt::format("{} is not available in replay mode", to_string(a.kind));
        return errc::invalid_argument;
    }
    bool ok = true;
    switch (a.kind) {
    case action_kind::drop:
        ok = for_targets(
            a, [&](ws_session& s) { close_session(s, a.mode == "reset"); }, reason);
        break;
    case action_kind::stall:
        ok = for_targets(
            a,
            [&](ws_session& s) {
                s.stall_until = now_steady + a.duration;
                s.queue.clear();
                s.queued_bytes = 0;
                s.wake.cancel();
            },
            reason);
        break;
    case action_kind::malformed: {
        auto frame = std::make_shared<const std::string>(
            R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1)");
        ok = for_targets(
            a, [&](ws_session& s) { enqueue(s, frame); }, reason);
        break;
    }
    case action_kind::oversized: {
        std::string text = R"({"topic":"sim.padding","data":")";
        text.append(a.bytes > text.size() + 3 ? a.bytes - text.size() - 3 : 1, 'x');
        text += "\"}";
        auto frame = std::make_shared<const std::string>(std::move(text));
        ok = for_targets(
            a, [&](ws_session& s) { enqueue(s, frame); }, reason);
        break;
    }
    case action_kind::skip_update:
    case action_kind::crossed:
    case action_kind::bad_number:
    case action_kind::oversized_snapshot:
        ok = m != nullptr && apply_book_fault(*m->model, a);
        if (!ok) {
            reason = fmt::format("unknown topic {} on {}", a.topic, model::to_string(a.cat));
        }
        break;
    case action_kind::restart:
        for (auto& mk : markets) {
            if (mk) {
                mk->model->restart();
            }
        }
        break;
    case action_kind::reject_subscription:
    case action_kind::ignore_subscription:
        if (m == nullptr) {
            reason = "unknown category";
            ok = false;
        } else {
            (a.kind == action_kind::reject_subscription ? m->reject_next : m->ignore_next)
                .insert(a.topic);
        }
        break;
    case action_kind::rest_time:
    case action_kind::rest: {
        std::erase_if(rest_faults, [&](const rest_fault& f) {
            return f.path == a.path || f.until <= now_steady;
        });
        if (rest_faults.size() >= 64) {
            rest_faults.erase(rest_faults.begin()); // a bounded list, oldest out
        }
        rest_faults.push_back({a.path, a.mode, now_steady + a.duration, a.delay});
        break;
    }
    case action_kind::set_turnover:
        ok = m != nullptr && m->model->set_turnover(a.symbol, a.value);
        if (!ok) {
            reason = fmt::format("unknown symbol {} on {}", a.symbol, model::to_string(a.cat));
        }
        break;
    case action_kind::refuse_ws:
        refuse_ws_until = now_steady + a.duration;
        break;
    case action_kind::pause:
        if (!paused) {
            // Every stream sends what changed since its last push: once paused, the streams,
            // /sim/truth/book and the REST answers all show the same market.
            for (auto& mk : markets) {
                if (mk) {
                    push_topics(*mk, clock.now(), now_steady, true);
                }
            }
        }
        paused = true;
        break;
    case action_kind::resume:
        paused = false;
        break;
    }
    if (!ok) {
        return errc::invalid_argument;
    }
    // pause and resume are commands, not faults: a demo that pauses the market to compare
    // books must not report one fault more than it injected.
    if (a.kind != action_kind::pause && a.kind != action_kind::resume) {
        ++stats.faults_applied;
    }
    core::log_event(spdlog::level::info,
                    {{"event", "sim_fault"}, {"action", to_string(a.kind)}, {"topic", a.topic}},
                    "sim: applied {}{}{}", to_string(a.kind), a.topic.empty() ? "" : " ", a.topic);
    return {};
}

// ---- HTTP -----------------------------------------------------------------------------------

std::string server::impl::rest_envelope(std::string_view result) const {
    return fmt::format(R"({{"retCode":0,"retMsg":"OK","result":{},"retExtInfo":{{}},"time":{}}})",
                       result, clock.now().millis());
}

std::string server::impl::bybit_error(std::string_view msg) const {
    return fmt::format(
        R"({{"retCode":10001,"retMsg":"{}","result":{{}},"retExtInfo":{{}},"time":{}}})",
        json_escape(msg), clock.now().millis());
}

std::string server::impl::status_json() const {
    std::string out = fmt::format(R"({{"mode":"{}","paused":{},"connections":[)",
                                  replay_mode() ? "replay" : "market", paused ? "true" : "false");
    bool first = true;
    for (const auto& [id, s] : sessions) {
        out += fmt::format(
            R"({}{{"id":{},"category":"{}","conn_id":"{}","topics":{},"queued_bytes":{},"stalled":{}}})",
            first ? "" : ",", id, model::to_string(s->cat), s->conn_id, s->topics.size(),
            s->queued_bytes, s->stalled() ? "true" : "false");
        first = false;
    }
    out += fmt::format(
        R"(],"stats":{{"connections_accepted":{},"connections_open":{},"ws_sessions":{},"http_requests":{},"frames_sent":{},"bytes_sent":{},"requests_rejected":{},"requests_ignored":{},"slow_client_disconnects":{},"refused_connections":{},"request_timeouts":{},"faults_applied":{},"market_steps":{},"rest_requests":{},"rest_refused_by_limit":{},"rest_faulted":{}}},"rest":{{"limit_per_5s":{},"requests":{{)",
        stats.connections_accepted, stats.connections_open, stats.ws_sessions, stats.http_requests,
        stats.frames_sent, stats.bytes_sent, stats.requests_rejected, stats.requests_ignored,
        stats.slow_client_disconnects, stats.refused_connections, stats.request_timeouts,
        stats.faults_applied, stats.market_steps, stats.rest_requests, stats.rest_refused_by_limit,
        stats.rest_faulted, opts.rest_limit_per_5s);
    first = true;
    for (const auto& [path, n] : rest_requests_by_path) {
        out += fmt::format(R"({}"{}":{})", first ? "" : ",", path, n);
        first = false;
    }
    out += "}}}";
    return out;
}

const rest_fault* server::impl::rest_fault_for(std::string_view path) const {
    const auto now = steady::now();
    for (auto it = rest_faults.rbegin(); it != rest_faults.rend(); ++it) {
        if (now < it->until && (it->path.empty() || it->path == path)) {
            return &*it;
        }
    }
    return nullptr;
}

bool server::impl::admit_rest(const asio::ip::address& peer) {
    if (opts.rest_limit_per_5s == 0) {
        return true;
    }
    const auto now = steady::now();
    if (rest_limiters.size() > 1024) {
        // Addresses whose requests all left the window keep nothing.
        std::erase_if(rest_limiters, [&](const auto& e) { return e.second.idle(now); });
    }
    auto it = rest_limiters.find(peer);
    if (it == rest_limiters.end()) {
        it = rest_limiters
                 .emplace(peer,
                          detail::window_limiter<steady::time_point, steady::duration>{
                              opts.rest_limit_per_5s, 5s})
                 .first;
    }
    return it->second.admit(now);
}

std::string server::impl::market_rest(std::string_view path, const query_params& query,
                                      bool& known) {
    known = true;
    const auto now = clock.now();
    const std::int64_t now_ms = now.millis();
    if (path == "/v5/market/time") {
        return rest_envelope(fmt::format(R"({{"timeSecond":"{}","timeNano":"{}"}})",
                                         now.value / 1'000'000'000, now.value));
    }
    const auto cat = model::parse_category(query.get("category"));
    category_runtime* m = cat ? market(*cat) : nullptr;
    if (path == "/v5/market/tickers" || path == "/v5/market/instruments-info") {
        if (m == nullptr) {
            return bybit_error("params error: category invalid");
        }
        return rest_envelope(path == "/v5/market/tickers"
                                 ? m->model->rest_tickers(query.get("symbol"))
                                 : m->model->rest_instruments(query.get("symbol")));
    }
    const bool book = path == "/v5/market/orderbook";
    const bool kline = path == "/v5/market/kline";
    const bool open_interest = path == "/v5/market/open-interest";
    const bool recent = path == "/v5/market/recent-trade";
    const bool ratio = path == "/v5/market/account-ratio";
    const bool funding = path == "/v5/market/funding/history";
    const bool risk = path == "/v5/market/risk-limit";
    if (!book && !kline && !open_interest && !recent && !ratio && !funding && !risk) {
        known = false;
        return R"({"error":"not found"})";
    }
    // Every parameter is checked before anything is computed: a bad one is retCode 10001.
    if (replay_mode()) {
        return bybit_error("params error: no market in replay mode");
    }
    if (query.get("category").empty()) {
        return bybit_error("params error: category is required");
    }
    if (m == nullptr) {
        return bybit_error("params error: category invalid");
    }
    if (!book && !kline && !recent && m->cat == model::category::spot) {
        return bybit_error("params error: category only supports linear and inverse");
    }
    const std::string_view symbol = query.get("symbol");
    if (symbol.empty() && !risk) {
        return bybit_error("params error: symbol is required");
    }
    if (!symbol.empty() && !m->model->has_symbol(symbol)) {
        return bybit_error("params error: symbol invalid");
    }
    std::string why;
    const auto number = [&](std::string_view key, std::int64_t lo, std::int64_t hi,
                            std::int64_t fallback) -> std::optional<std::int64_t> {
        const auto text = query.get(key);
        if (text.empty()) {
            return fallback;
        }
        auto v = detail::parse_int_param(text, lo, hi);
        if (!v && why.empty()) { // the first bad parameter is the one named
            why = lo == 0 ? fmt::format("params error: {} must be a time in ms", key)
                          : fmt::format("params error: {} must be from {} to {}", key, lo, hi);
        }
        return v;
    };
    const bool spot = m->cat == model::category::spot;
    const auto book_limit = detail::orderbook_limit(m->cat);
    const std::int64_t max_limit = book     ? book_limit.max
                                   : recent ? (spot ? 60 : 1000)
                                   : kline  ? 1000
                                   : ratio  ? 500
                                            : 200;
    const std::int64_t default_limit = book      ? book_limit.fallback
                                       : recent  ? (spot ? 60 : 500)
                                       : kline   ? 200
                                       : funding ? 200
                                                 : 50;
    const auto limit = number("limit", 1, max_limit, default_limit);
    const bool ranged = kline || open_interest || ratio || funding;
    const std::string_view start_key = kline ? "start" : "startTime";
    const std::string_view end_key = kline ? "end" : "endTime";
    const auto start = number(start_key, 0, detail::max_query_ms, 0);
    const auto end = number(end_key, 0, detail::max_query_ms, detail::max_query_ms);
    if (!limit || (ranged && (!start || !end))) {
        return bybit_error(why);
    }
    if (ranged && *start > *end) {
        return bybit_error(
            fmt::format("params error: {} must not be after {}", start_key, end_key));
    }
    const auto count = static_cast<std::size_t>(*limit);
    if (book) {
        return rest_envelope(*m->model->rest_orderbook(symbol, count, now));
    }
    if (kline) {
        const auto iv = model::parse_kline_interval(query.get("interval"));
        if (!iv) {
            return bybit_error("params error: interval invalid (1,3,5,15,30,60,120,240,360,720,"
                               "D,W,M)");
        }
        return rest_envelope(*m->model->rest_kline(symbol, *iv, *start, *end, count, now));
    }
    if (recent) {
        return rest_envelope(*m->model->rest_recent_trades(symbol, count));
    }
    if (funding) {
        return rest_envelope(*m->model->rest_funding_history(symbol, *start, *end, count, now));
    }
    if (risk) {
        return rest_envelope(*m->model->rest_risk_limit(symbol));
    }
    // open-interest and account-ratio: buckets with a cursor.
    const std::string_view bucket_key = open_interest ? "intervalTime" : "period";
    const auto step = detail::bucket_ms(query.get(bucket_key));
    if (!step) {
        return bybit_error(
            fmt::format("params error: {} invalid (5min,15min,30min,1h,4h,1d)", bucket_key));
    }
    std::int64_t before = std::min(*end, now_ms);
    if (const auto c = query.get("cursor"); !c.empty()) {
        const auto at = detail::decode_cursor(c, *step);
        if (!at) {
            return bybit_error("params error: cursor invalid");
        }
        before = std::min(before, *at);
    }
    std::int64_t next = 0;
    std::string result =
        open_interest
            ? *m->model->rest_open_interest(symbol, *step, *start, before, count, now, next)
            : *m->model->rest_account_ratio(symbol, *step, *start, before, count, now, next);
    result += R"(,"nextPageCursor":)";
    result += next > 0 ? fmt::format(R"("{}")", detail::encode_cursor(next)) : R"("")";
    result += '}';
    return rest_envelope(result);
}

asio::awaitable<bool> server::impl::handle_http(beast::tcp_stream& stream,
                                                http::request<http::string_body>& req) {
    auto self = shared_from_this();
    const std::string_view target{req.target().data(), req.target().size()};
    const auto qpos = target.find('?');
    const auto path = target.substr(0, qpos);
    const auto query =
        parse_query(qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1));
    http::status status = http::status::ok;
    std::string body;
    std::string_view content_type = "application/json";
    std::vector<std::pair<std::string_view, std::string>> headers;
    auto category_of = [&]() -> category_runtime* {
        auto c = model::parse_category(query.get("category"));
        return c ? market(*c) : nullptr;
    };
    const bool get = req.method() == http::verb::get;
    if (get && path.starts_with("/v5/market/")) {
        ++stats.rest_requests;
        const auto* known_path = std::find(market_paths.begin(), market_paths.end(), path);
        ++rest_requests_by_path[std::string(known_path != market_paths.end() ? path : "other")];
        boost::system::error_code peer_ec;
        const auto peer = stream.socket().remote_endpoint(peer_ec).address();
        const rest_fault* fault = rest_fault_for(path);
        std::string mode = fault != nullptr ? fault->mode : std::string{};
        if (!admit_rest(peer)) {
            ++stats.rest_refused_by_limit;
            mode = "too_frequent"; // Bybit's answer to an IP over its limit
        } else if (fault != nullptr) {
            ++stats.rest_faulted;
        }
        if (mode == "refuse") {
            stream.socket().close();
            co_return false;
        }
        if (mode == "slow") {
            asio::steady_timer t(ioc);
            t.expires_after(fault->delay);
            co_await t.async_wait(use_tuple);
        }
        if (mode == "error") {
            status = http::status::service_unavailable;
            content_type = "text/html";
            body = "<html><body>503 Service Temporarily Unavailable</body></html>";
        } else if (mode == "too_frequent") {
            status = http::status::forbidden;
            content_type = "text/plain";
            body = "access too frequent";
        } else if (mode == "http_429") {
            status = http::status::too_many_requests;
            content_type = "text/html";
            body = "<html><body>429 Too Many Requests</body></html>";
        } else if (mode == "rate_limit") {
            const auto reset = clock.now().millis() +
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::max(fault->until - steady::now(), steady::duration{}))
                                   .count();
            headers.emplace_back("X-Bapi-Limit", "600");
            headers.emplace_back("X-Bapi-Limit-Status", "0");
            headers.emplace_back("X-Bapi-Limit-Reset-Timestamp", std::to_string(reset));
            body = fmt::format(
                R"({{"retCode":10006,"retMsg":"Too many visits!","result":{{}},"retExtInfo":{{}},"time":{}}})",
                clock.now().millis());
        } else {
            bool known = true;
            body = market_rest(path, query, known);
            if (!known) {
                status = http::status::not_found;
            } else if (mode == "bad_body") {
                body.resize(body.size() / 2); // cut short: not JSON
            }
        }
    } else if (get && path == "/sim/truth/book") {
        auto* m = category_of();
        auto truth = m != nullptr ? m->model->truth(query.get("topic")) : std::nullopt;
        if (!truth) {
            status = http::status::not_found;
            body = R"j({"error":"unknown book topic (give category and topic)"})j";
        } else {
            auto side = [](const auto& levels) {
                std::string s = "[";
                for (std::size_t i = 0; i < levels.size(); ++i) {
                    s += fmt::format(R"({}["{}","{}"])", i ? "," : "", levels[i].first,
                                     levels[i].second);
                }
                return s + "]";
            };
            body = fmt::format(R"({{"u":{},"bids":{},"asks":{}}})", truth->u, side(truth->bids),
                               side(truth->asks));
        }
    } else if (path == "/sim/control" && req.method() == http::verb::post) {
        std::string reason;
        auto a = parse_action(req.body(), reason);
        boost::system::error_code ec = a ? apply(*a, reason) : a.error();
        if (ec) {
            status = http::status::bad_request;
            body = fmt::format(R"({{"ok":false,"error":"{}"}})", json_escape(reason));
        } else {
            body = R"({"ok":true})";
        }
    } else if (get && path == "/sim/status") {
        body = status_json();
    } else {
        status = http::status::not_found;
        body = R"({"error":"not found"})";
    }
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, "mdgate-sim");
    res.set(http::field::content_type, content_type);
    for (const auto& [name, value] : headers) {
        res.set(name, value);
    }
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return !ec && req.keep_alive();
}

// ---- public wrapper --------------------------------------------------------------------------

server::server(asio::io_context& ioc, server_options opts, const core::clock& clock)
    : impl_(std::make_shared<impl>(ioc, std::move(opts), clock)) {}

server::~server() = default;

void server::start() {
    impl_->start();
}
void server::stop() {
    impl_->stop();
}
std::uint16_t server::port() const noexcept {
    boost::system::error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}
boost::system::error_code server::apply(const action& a, std::string& reason) {
    return impl_->apply(a, reason);
}
const server_stats& server::stats() const noexcept {
    return impl_->stats;
}
std::optional<book_truth> server::truth(model::category cat, std::string_view topic) const {
    auto* m = impl_->market(cat);
    return m != nullptr ? m->model->truth(topic) : std::nullopt;
}

} // namespace mdg::sim
