#include "perf/flood_server.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <simdjson.h>

namespace mdg::perf {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Topic states within one session.
enum class topic_state : std::uint8_t { off, waiting_snapshot, on };

// Appends an unmasked server text frame header for `len` payload bytes (RFC 6455 §5.2).
void append_header(std::string& out, std::size_t len) {
    out += static_cast<char>(0x81); // FIN, text
    if (len < 126) {
        out += static_cast<char>(len);
    } else if (len < 65536) {
        out += static_cast<char>(126);
        out += static_cast<char>((len >> 8U) & 0xffU);
        out += static_cast<char>(len & 0xffU);
    } else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>((static_cast<std::uint64_t>(len) >> shift) & 0xffU);
        }
    }
}

// Appends one data frame of the set, its sequence shifted by `shift`, with its header.
void append_frame(std::string& out, const frame_set& set, const frame_ref& f, std::uint64_t shift) {
    if (f.seq_len == 0 || shift == 0) {
        append_header(out, f.length);
        out += set.text(f);
        return;
    }
    std::array<char, 24> digits{};
    const auto [p, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), f.seq + shift);
    (void)ec; // 24 characters hold any uint64
    const auto n = static_cast<std::size_t>(p - digits.data());
    append_header(out, f.length - f.seq_len + n);
    const auto text = set.text(f);
    out += text.substr(0, f.seq_pos);
    out.append(digits.data(), n);
    out += text.substr(f.seq_pos + f.seq_len);
}

// The frames-per-second rate asked for in the target's query ("?rate=7500"); 0 = flood.
[[nodiscard]] double rate_of(std::string_view target) {
    const auto q = target.find("rate=");
    if (q == std::string_view::npos) {
        return 0;
    }
    const auto v = target.substr(q + 5);
    double r = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), r);
    (void)p;
    return ec == std::errc{} && r > 0 && r < 1e9 ? r : 0;
}

} // namespace

struct flood_server::impl : std::enable_shared_from_this<flood_server::impl> {
    impl(std::shared_ptr<const frame_set> set, flood_options o)
        : frames(std::move(set)), opts(std::move(o)), acceptor(ioc) {
        for (std::uint32_t i = 0; i < frames->topics.size(); ++i) {
            topic_index.emplace(frames->topics[i], i);
        }
        has_snapshot.assign(frames->topics.size(), false);
        for (const auto& f : frames->frames) {
            has_snapshot[f.topic] = has_snapshot[f.topic] || f.snapshot;
        }
    }

    struct session {
        explicit session(tcp::socket s, asio::any_io_executor ex)
            : ws(std::move(s)), wake(std::move(ex)) {}
        websocket::stream<tcp::socket> ws;
        asio::steady_timer wake;
        std::vector<topic_state> topics;
        std::string replies; // encoded frames waiting for the writer
        bool subscribed = false;
        bool closed = false;
        double rate = 0;
    };

    std::shared_ptr<const frame_set> frames;
    flood_options opts;
    asio::io_context ioc{1};
    tcp::acceptor acceptor;
    std::unordered_map<std::string_view, std::uint32_t> topic_index;
    std::vector<bool> has_snapshot; // topics with state (books, tickers) start at a snapshot
    std::thread thread;
    flood_stats stats;
    std::size_t open_sessions = 0;
    std::vector<std::weak_ptr<session>> sessions;

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            if (open_sessions >= opts.max_sessions) {
                continue; // the socket closes here
            }
            asio::co_spawn(ioc, run_session(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> run_session(tcp::socket sock) {
        auto self = shared_from_this();
        ++open_sessions;
        struct leave {
            impl& m;
            ~leave() { --m.open_sessions; }
        } on_exit{*this};
        boost::system::error_code ignored;
        sock.set_option(tcp::no_delay(true), ignored);
        beast::flat_buffer buf;
        http::request_parser<http::empty_body> parser;
        parser.header_limit(8192);
        auto [rec, rn] = co_await http::async_read(sock, buf, parser, use_tuple);
        if (rec || !websocket::is_upgrade(parser.get())) {
            co_return;
        }
        auto s = std::make_shared<session>(std::move(sock), ioc.get_executor());
        s->rate = rate_of(parser.get().target());
        s->topics.assign(frames->topics.size(), topic_state::off);
        s->ws.read_message_max(opts.max_request_bytes);
        s->ws.auto_fragment(false);
        auto [aec] = co_await s->ws.async_accept(parser.get(), use_tuple);
        if (aec) {
            co_return;
        }
        stats.sessions.fetch_add(1, std::memory_order_relaxed);
        sessions.push_back(s);
        s->wake.expires_at(steady::time_point::max());
        asio::co_spawn(ioc, writer(s), asio::detached);
        beast::flat_buffer rbuf;
        simdjson::ondemand::parser json;
        while (!s->closed) {
            rbuf.consume(rbuf.size());
            auto [ec, n] = co_await s->ws.async_read(rbuf, use_tuple);
            if (ec) {
                break;
            }
            const auto data = rbuf.cdata();
            on_request(*s, json,
                       std::string_view{static_cast<const char*>(data.data()), data.size()});
        }
        s->closed = true;
        s->wake.cancel();
        s->ws.next_layer().close(ignored);
    }

    // Answers one client request (subscribe, unsubscribe, ping) in Bybit's linear shape.
    void on_request(session& s, simdjson::ondemand::parser& json, std::string_view text) {
        const simdjson::padded_string padded(text);
        simdjson::ondemand::document doc;
        std::string_view op;
        std::string_view req_id;
        if (json.iterate(padded).get(doc) != simdjson::SUCCESS ||
            doc["op"].get_string().get(op) != simdjson::SUCCESS) {
            stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        std::string id;
        if (doc["req_id"].get_string().get(req_id) == simdjson::SUCCESS) {
            id = req_id;
        }
        std::string reply;
        if (op == "ping") {
            reply =
                fmt::format(R"({{"success":true,"ret_msg":"pong","conn_id":"flood","req_id":"{}",)"
                            R"("op":"ping"}})",
                            id);
        } else if (op == "subscribe" || op == "unsubscribe") {
            const bool sub = op == "subscribe";
            simdjson::ondemand::array args;
            if (doc["args"].get_array().get(args) != simdjson::SUCCESS) {
                stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            bool ok = true;
            for (auto a : args) {
                std::string_view t;
                if (a.get_string().get(t) != simdjson::SUCCESS) {
                    ok = false;
                    break;
                }
                if (auto it = topic_index.find(t); it != topic_index.end()) {
                    const auto on =
                        has_snapshot[it->second] ? topic_state::waiting_snapshot : topic_state::on;
                    s.topics[it->second] = sub ? on : topic_state::off;
                } else {
                    ok = false;
                }
            }
            reply = fmt::format(
                R"({{"success":{},"ret_msg":"{}","conn_id":"flood","req_id":"{}","op":"{}"}})",
                ok ? "true" : "false", ok ? "" : "error:handler not found", id, op);
            s.subscribed = s.subscribed || sub;
        } else {
            stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        stats.requests.fetch_add(1, std::memory_order_relaxed);
        append_header(s.replies, reply.size());
        s.replies += reply;
        s.wake.cancel();
    }

    asio::awaitable<void> writer(std::shared_ptr<session> s) {
        auto self = shared_from_this();
        const auto& set = *frames;
        std::string out;
        out.reserve(opts.batch_bytes + (64U << 10U));
        std::size_t i = 0;
        std::uint64_t pass = 0;
        const auto start = steady::now();
        std::uint64_t sent = 0; // data frames, for the rate
        while (!s->closed) {
            out.clear();
            out += s->replies;
            s->replies.clear();
            std::uint64_t budget = ~std::uint64_t{0};
            if (s->rate > 0) {
                const auto due = static_cast<std::uint64_t>(
                    s->rate * std::chrono::duration<double>(steady::now() - start).count());
                budget = due > sent ? due - sent : 0;
            }
            std::uint64_t n = 0;
            std::size_t scanned = 0;
            while (s->subscribed && out.size() < opts.batch_bytes && n < budget &&
                   scanned < set.frames.size()) {
                const auto& f = set.frames[i];
                auto& st = s->topics[f.topic];
                if (f.snapshot && st == topic_state::waiting_snapshot) {
                    st = topic_state::on;
                }
                if (st == topic_state::on) {
                    append_frame(out, set, f, set.sequence_offset(f.topic, pass));
                    ++n;
                    scanned = 0;
                } else {
                    ++scanned; // a whole pass with nothing on: wait for a request
                }
                if (++i == set.frames.size()) {
                    i = 0;
                    ++pass;
                }
            }
            sent += n;
            if (out.empty()) {
                // Nothing to send: wait for a request, or for the next frame at the rate.
                if (s->rate > 0 && s->subscribed && scanned < set.frames.size()) {
                    s->wake.expires_after(std::chrono::microseconds(
                        std::max<std::int64_t>(200, static_cast<std::int64_t>(1e6 / s->rate))));
                } else {
                    s->wake.expires_at(steady::time_point::max());
                }
                co_await s->wake.async_wait(use_tuple);
                continue;
            }
            auto [ec, written] =
                co_await asio::async_write(s->ws.next_layer(), asio::buffer(out), use_tuple);
            if (ec) {
                s->closed = true;
                co_return;
            }
            stats.frames_sent.fetch_add(n, std::memory_order_relaxed);
            stats.bytes_sent.fetch_add(written, std::memory_order_relaxed);
        }
    }
};

flood_server::flood_server(std::shared_ptr<const frame_set> frames, flood_options opts)
    : impl_(std::make_shared<impl>(std::move(frames), std::move(opts))) {}

flood_server::~flood_server() {
    stop();
}

result<std::uint16_t> flood_server::start(std::string& reason) {
    auto& m = *impl_;
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(m.opts.address, ec);
    if (ec) {
        reason = fmt::format("bad address '{}': {}", m.opts.address, ec.message());
        return ec;
    }
    const tcp::endpoint ep{addr, m.opts.port};
    if (m.acceptor.open(ep.protocol(), ec); !ec) {
        m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (m.acceptor.bind(ep, ec); !ec) {
            m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
        }
    }
    if (ec) {
        reason =
            fmt::format("cannot listen on {}:{}: {}", m.opts.address, m.opts.port, ec.message());
        return ec;
    }
    const auto port = m.acceptor.local_endpoint().port();
    asio::co_spawn(m.ioc, m.accept_loop(), asio::detached);
    m.thread = std::thread([&m] { m.ioc.run(); });
    return port;
}

void flood_server::stop() {
    auto& m = *impl_;
    if (!m.thread.joinable()) {
        return;
    }
    asio::post(m.ioc, [&m] {
        boost::system::error_code ignored;
        m.acceptor.close(ignored);
        for (auto& w : m.sessions) {
            if (auto s = w.lock()) {
                s->closed = true;
                s->wake.cancel();
                s->ws.next_layer().close(ignored);
            }
        }
        m.sessions.clear();
    });
    // Sessions end on their own once their sockets are closed; the loop then runs dry.
    const auto deadline = steady::now() + std::chrono::seconds(2);
    while (!m.ioc.stopped() && steady::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    m.ioc.stop();
    m.thread.join();
}

const flood_stats& flood_server::stats() const noexcept {
    return impl_->stats;
}

// --- flood_process ---------------------------------------------------------------------------

namespace {

// The child: generate, listen, report "port frames bytes\n" (or "error <reason>\n") on `fd`,
// then serve until SIGTERM or the parent's death.
[[noreturn]] void child_main(int fd, const frame_set_options& fo, const flood_options& opts) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr); // the server thread inherits the mask
    std::string reason;
    std::string line;
    auto frames = make_frame_set(fo, reason);
    std::optional<flood_server> srv;
    if (frames) {
        const auto count = frames->frames.size();
        const auto bytes = frames->data_bytes;
        srv.emplace(std::make_shared<const frame_set>(std::move(*frames)), opts);
        if (auto port = srv->start(reason)) {
            line = fmt::format("{} {} {}\n", *port, count, bytes);
        }
    }
    if (line.empty()) {
        line = "error " + reason + "\n";
    }
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
    if (srv) {
        int sig = 0;
        sigwait(&set, &sig);
        srv->stop();
    }
    std::_Exit(0);
}

} // namespace

result<flood_process> flood_process::spawn(const frame_set_options& frames,
                                           const flood_options& opts,
                                           std::chrono::milliseconds timeout, std::string& reason) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        reason = "pipe failed";
        return boost::system::errc::make_error_code(boost::system::errc::io_error);
    }
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        reason = "fork failed";
        return boost::system::errc::make_error_code(boost::system::errc::io_error);
    }
    if (pid == 0) {
        ::close(fds[0]);
        child_main(fds[1], frames, opts);
    }
    ::close(fds[1]);
    flood_process p;
    p.pid_ = pid;
    std::string line;
    const auto deadline = steady::now() + timeout;
    while (line.find('\n') == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        pollfd pfd{fds[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            reason = "the flood server did not start in time";
            break;
        }
        std::array<char, 256> buf{};
        const auto n = ::read(fds[0], buf.data(), buf.size());
        if (n <= 0) {
            reason = "the flood server exited before listening";
            break;
        }
        line.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (line.starts_with("error ")) {
        reason = line.substr(6, line.size() - 7);
        return errc::invalid_argument;
    }
    unsigned port = 0;
    if (line.find('\n') == std::string::npos ||
        std::sscanf(line.c_str(), "%u %zu %zu", &port, &p.frames_, &p.bytes_) != 3 || port == 0 ||
        port > 65535) {
        if (reason.empty()) {
            reason = "the flood server sent no port";
        }
        return boost::system::errc::make_error_code(boost::system::errc::io_error);
    }
    p.port_ = static_cast<std::uint16_t>(port);
    return p;
}

flood_process::flood_process(flood_process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), port_(o.port_), frames_(o.frames_), bytes_(o.bytes_) {}

flood_process& flood_process::operator=(flood_process&& o) noexcept {
    if (this != &o) {
        stop();
        pid_ = std::exchange(o.pid_, -1);
        port_ = o.port_;
        frames_ = o.frames_;
        bytes_ = o.bytes_;
    }
    return *this;
}

flood_process::~flood_process() {
    stop();
}

void flood_process::stop() noexcept {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    // The child's stop() is bounded (2 s); after 5 s it is killed.
    for (int i = 0; i < 500; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

} // namespace mdg::perf
