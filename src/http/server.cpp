#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <optional>
#include <tuple>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/assert.hpp"
#include "core/log.hpp"
#include "http/detail/auth.hpp"
#include "metrics/registry.hpp"

namespace mdg::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http; // `http` is this module's namespace
using tcp = asio::ip::tcp;
using string_request = bhttp::request<bhttp::string_body>;
using string_response = bhttp::response<bhttp::string_body>;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 4096;
// Room in a connection's buffer beyond max_header_bytes, so the parser (not the buffer) is the
// one that reports an oversized header, and pipelined bytes fit behind a request.
constexpr std::size_t buffer_slack = 16U << 10;
// After answering with `Connection: close` we half-close and read what the client still sends
// for this long, so our close does not turn into a reset that could destroy the answer.
constexpr auto linger_timeout = std::chrono::seconds{1};
constexpr std::size_t linger_max_bytes = 1U << 20;
constexpr auto accept_retry_delay = std::chrono::milliseconds{100};
constexpr std::size_t min_header_bytes = 256;
constexpr std::size_t max_header_bytes_allowed = 1U << 20;
constexpr std::size_t max_body_bytes_allowed = 64U << 20;
constexpr std::string_view text_plain = "text/plain; charset=utf-8";

std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 9110 §5.6.2 token.
bool is_token(std::string_view s) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               extra.find(c) != std::string_view::npos;
    });
}

// RFC 9110 §5.5 field value: no CR, LF or NUL (the bytes that would split a header).
bool is_field_value(std::string_view s) {
    return s.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

bool is_reserved_field(std::string_view name) {
    for (std::string_view r : {"content-length", "transfer-encoding", "connection", "server",
                               "cache-control", "content-type"}) {
        if (iequals(name, r)) {
            return true;
        }
    }
    return false;
}

// Splits an origin-form ("/a?b") or absolute-form ("http://host/a?b") target into path and
// query; nullopt for anything else ("*", "a/b").
std::optional<std::pair<std::string_view, std::string_view>> split_target(std::string_view t) {
    if (const auto scheme = t.find("://");
        scheme != std::string_view::npos && scheme > 0 && t.front() != '/') {
        const auto slash = t.find('/', scheme + 3);
        t = slash == std::string_view::npos ? std::string_view{"/"} : t.substr(slash);
    }
    if (t.empty() || t.front() != '/') {
        return std::nullopt;
    }
    const auto q = t.find('?');
    if (q == std::string_view::npos) {
        return std::pair{t, std::string_view{}};
    }
    return std::pair{t.substr(0, q), t.substr(q + 1)};
}

// A response with the headers every answer carries. Keep-alive is set by the writer.
string_response make_response(unsigned status, unsigned version, std::string body,
                              std::string_view content_type = text_plain) {
    string_response res;
    res.version(version);
    res.result(status);
    res.set(bhttp::field::server, "mdgate");
    res.set(bhttp::field::cache_control, "no-store");
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.content_length(res.body().size());
    return res;
}

bool is_expected_close(const boost::system::error_code& ec) {
    return ec == asio::error::operation_aborted || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

void log_task_failure(const std::exception_ptr& e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        core::log_limited_event(spdlog::level::err, "http.task",
                                {{"event", "http_task_failed"}, {"reason", ex.what()}},
                                "http: connection task failed: {}", ex.what());
    } catch (...) {
        core::log_limited_event(spdlog::level::err, "http.task", {{"event", "http_task_failed"}},
                                "http: connection task failed: unknown exception");
    }
}

std::string endpoint_text(const asio::ip::address& a, std::uint16_t port) {
    return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port)
                     : fmt::format("{}:{}", a.to_string(), port);
}

// Empty when the options are usable, else why not.
std::string check_options(const server_options& o) {
    if (o.max_connections == 0 || o.max_connections_per_address == 0) {
        return "http: max_connections and max_connections_per_address must be at least 1";
    }
    if (o.max_header_bytes < min_header_bytes || o.max_header_bytes > max_header_bytes_allowed) {
        return fmt::format("http: max_header_bytes must be within {}..{}", min_header_bytes,
                           max_header_bytes_allowed);
    }
    if (o.max_body_bytes > max_body_bytes_allowed) {
        return fmt::format("http: max_body_bytes must be at most {}", max_body_bytes_allowed);
    }
    if (o.header_timeout.count() <= 0 || o.body_timeout.count() <= 0 ||
        o.write_timeout.count() <= 0 || o.idle_timeout.count() <= 0) {
        return "http: header_timeout, body_timeout, write_timeout and idle_timeout must be "
               "positive";
    }
    if (!std::all_of(o.bearer_token.begin(), o.bearer_token.end(),
                     [](char c) { return c > ' ' && c < 0x7f; })) {
        return "http: bearer_token must be visible ASCII without spaces";
    }
    for (const auto& p : o.public_paths) {
        if (p.empty() || p.front() != '/') {
            return fmt::format("http: public path '{}' must start with '/'", p);
        }
    }
    return {};
}

// Runs `f` when the scope ends (also when a coroutine frame is destroyed unfinished).
template <class F> class scope_exit {
  public:
    explicit scope_exit(F f) : f_(std::move(f)) {}
    ~scope_exit() { f_(); }
    scope_exit(const scope_exit&) = delete;
    scope_exit& operator=(const scope_exit&) = delete;
    scope_exit(scope_exit&&) = delete;
    scope_exit& operator=(scope_exit&&) = delete;

  private:
    F f_;
};

// One served connection: owned by its coroutine and, while it counts against the limits, by
// server::impl::live.
struct connection {
    connection(tcp::socket s, asio::ip::address a) : stream(std::move(s)), address(a) {}
    beast::tcp_stream stream;
    asio::ip::address address;
    std::uint64_t waiting_since = 0; ///< progress sequence number: the lowest is evicted first
    bool busy = false;               ///< a request is being read or answered: stop() lets it finish
    bool writing = false;            ///< a response is being written: evicted last
    bool counted = true;             ///< in `live` and the per-address count
};

} // namespace

std::string_view request::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) {
            return v;
        }
    }
    return {};
}

using counter_field = std::uint64_t server_stats::*;

// Why the server closes a connection: the stats field and the metric's reason label.
constexpr std::array<std::pair<counter_field, std::string_view>, 6> close_reasons{{
    {&server_stats::header_timeouts, "header_timeout"},
    {&server_stats::body_timeouts, "body_timeout"},
    {&server_stats::write_timeouts, "write_timeout"},
    {&server_stats::idle_closes, "idle_timeout"},
    {&server_stats::evicted_max_connections, "evicted_max_connections"},
    {&server_stats::evicted_per_address, "evicted_per_address"},
}};

struct server::impl : std::enable_shared_from_this<server::impl> {
    impl(asio::any_io_executor ex_, server_options opts_)
        : ex(std::move(ex_)), opts(std::move(opts_)), acceptor(ex) {}

    asio::any_io_executor ex;
    server_options opts;
    std::map<std::string, handler, std::less<>> routes;
    std::vector<std::pair<std::string, handler>> prefix_routes; // longest prefix first
    std::map<std::string, upgrade_handler, std::less<>> upgrades;
    tcp::acceptor acceptor;
    server_stats stats;
    /// Connections counted against the limits, by id (accept order).
    std::map<std::uint64_t, std::shared_ptr<connection>> live;
    std::map<asio::ip::address, std::size_t> per_address;
    std::uint64_t next_id = 0;
    std::uint64_t progress = 0; ///< source of connection::waiting_since
    /// mdgate_http_connections_closed_total{reason}, by close_reasons index (with a registry).
    std::array<metrics::counter*, close_reasons.size()> closed_metric{};
    metrics::gauge* open_metric = nullptr;
    bool started = false;
    bool stopped = false;

    result<std::uint16_t> start(std::string& error);
    void stop();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(std::uint64_t id, std::shared_ptr<connection> c);
    void make_room(const asio::ip::address& address);
    void evict(std::optional<std::uint64_t> id, counter_field reason);
    void count_close(counter_field reason);
    void uncount(std::uint64_t id, connection& c);
    asio::awaitable<void> answer_read_error(connection& c, const boost::system::error_code& ec,
                                            counter_field reason);
    string_response answer(const string_request& req);
    [[nodiscard]] bool authorized(const string_request& req, std::string_view path) const;
    [[nodiscard]] const handler* find_route(std::string_view path) const;
    [[nodiscard]] const upgrade_handler* find_upgrade(const string_request& req) const;
    string_response call_handler(const handler& h, const string_request& req, std::string_view path,
                                 std::string_view query);
    asio::awaitable<bool> write(connection& c, string_response& res, bool head);
    static asio::awaitable<void> close_gracefully(beast::tcp_stream& stream);
};

result<std::uint16_t> server::impl::start(std::string& error) {
    if (started || stopped) {
        error = "http: the server was already started";
        return errc::invalid_argument;
    }
    if (auto why = check_options(opts); !why.empty()) {
        error = std::move(why);
        return errc::invalid_argument;
    }
    std::string_view host = opts.address;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    if (ec) {
        error =
            fmt::format("http: bad listen address '{}' (an IP address is required)", opts.address);
        return errc::invalid_argument;
    }
    const tcp::endpoint ep{addr, opts.port};
    acceptor.open(ep.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(ep, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    tcp::endpoint bound;
    if (!ec) {
        bound = acceptor.local_endpoint(ec);
    }
    if (ec) {
        error = fmt::format("{}: {}", endpoint_text(addr, opts.port), ec.message());
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return ec;
    }
    started = true;
    if (opts.metrics != nullptr) {
        for (std::size_t i = 0; i < close_reasons.size(); ++i) {
            closed_metric[i] = &opts.metrics->counter(
                "mdgate_http_connections_closed_total",
                "HTTP connections the server closed, by reason (deadline or connection limit)",
                {{"reason", std::string(close_reasons[i].second)}});
        }
        open_metric = &opts.metrics->gauge("mdgate_http_connections_open",
                                           "HTTP connections open (upgraded streams excluded)");
    }
    core::log_event(spdlog::level::info, {{"event", "http_listening"}, {"port", bound.port()}},
                    "http: listening on {}", endpoint_text(addr, bound.port()));
    asio::co_spawn(
        ex, [self = shared_from_this()] { return self->accept_loop(); }, log_task_failure);
    return bound.port();
}

void server::impl::stop() {
    if (stopped) {
        return;
    }
    stopped = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    // Closing completes the pending read with operation_aborted; the connection's coroutine
    // then ends and removes itself from `live` (later, not during this loop).
    for (auto& [id, c] : live) {
        if (!c->busy) {
            c->stream.close();
        }
    }
}

asio::awaitable<void> server::impl::accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (stopped || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            // Out of descriptors and the like: count, say so once a minute, and retry after a
            // pause instead of spinning on an error that repeats at once.
            ++stats.accept_errors;
            core::log_limited_event(spdlog::level::warn, "http.accept",
                                    {{"event", "http_accept_failed"}, {"reason", ec.message()}},
                                    "http: accept failed: {}", ec.message());
            asio::steady_timer pause(ex);
            pause.expires_after(accept_retry_delay);
            co_await pause.async_wait(use_tuple);
            continue;
        }
        ++stats.connections_accepted;
        const auto peer = socket.remote_endpoint(ec);
        if (ec) {
            continue; // gone before we looked: the socket closes here
        }
        make_room(peer.address());
        const auto id = next_id++;
        auto c = std::make_shared<connection>(std::move(socket), peer.address());
        c->waiting_since = progress++;
        // Counted here, not when serve() starts running, so that a burst of accepts cannot
        // overshoot the limits and every counted connection can be evicted.
        live.emplace(id, c);
        ++per_address[c->address];
        ++stats.connections_open;
        if (open_metric != nullptr) {
            open_metric->add();
        }
        asio::co_spawn(
            ex, [self, id, c = std::move(c)]() mutable { return self->serve(id, std::move(c)); },
            log_task_failure);
    }
}

// Before counting a connection from `address`: closes the longest-waiting connection of that
// address while it has max_connections_per_address, then the longest-waiting of all while
// max_connections are open.
void server::impl::make_room(const asio::ip::address& address) {
    auto oldest = [this](auto&& eligible) {
        std::optional<std::uint64_t> found;
        const connection* best = nullptr;
        for (const auto& [id, c] : live) {
            if (eligible(*c) &&
                (best == nullptr || std::tie(c->writing, c->waiting_since) <
                                        std::tie(best->writing, best->waiting_since))) {
                best = c.get();
                found = id;
            }
        }
        return found;
    };
    if (const auto it = per_address.find(address);
        it != per_address.end() && it->second >= opts.max_connections_per_address) {
        evict(oldest([&](const connection& c) { return c.address == address; }),
              &server_stats::evicted_per_address);
    }
    if (live.size() >= opts.max_connections) {
        evict(oldest([](const connection&) { return true; }),
              &server_stats::evicted_max_connections);
    }
}

void server::impl::evict(std::optional<std::uint64_t> id, counter_field reason) {
    if (!id) {
        return;
    }
    const auto it = live.find(*id);
    if (it == live.end()) {
        return;
    }
    const auto c = it->second;
    count_close(reason);
    core::log_limited_event(spdlog::level::warn, "http.evict",
                            {{"event", "http_connection_evicted"},
                             {"open", live.size()},
                             {"address", c->address.to_string()}},
                            "http: connection limit reached ({} open): closing the connection "
                            "from {} that waited longest",
                            live.size(), c->address.to_string());
    uncount(*id, *c);
    // Completes its pending operation with operation_aborted; its coroutine then ends.
    c->stream.close();
}

void server::impl::count_close(counter_field reason) {
    ++(stats.*reason);
    if (reason != &server_stats::idle_closes && reason != &server_stats::evicted_max_connections &&
        reason != &server_stats::evicted_per_address) {
        ++stats.timeouts;
    }
    for (std::size_t i = 0; i < close_reasons.size(); ++i) {
        if (close_reasons[i].first == reason && closed_metric[i] != nullptr) {
            closed_metric[i]->inc();
        }
    }
}

void server::impl::uncount(std::uint64_t id, connection& c) {
    if (!c.counted) {
        return;
    }
    c.counted = false;
    live.erase(id);
    if (const auto it = per_address.find(c.address); it != per_address.end() && --it->second == 0) {
        per_address.erase(it);
    }
    --stats.connections_open;
    if (open_metric != nullptr) {
        open_metric->sub();
    }
}

asio::awaitable<void> server::impl::serve(std::uint64_t id, std::shared_ptr<connection> cp) {
    auto self = shared_from_this();
    auto& c = *cp;
    const scope_exit unregister{[this, id, &c] {
        uncount(id, c);
    }};
    // A new connection's first request line and header are due header_timeout after accept.
    auto header_deadline = std::chrono::steady_clock::now() + opts.header_timeout;
    bool first = true;

    beast::flat_buffer buffer{opts.max_header_bytes + buffer_slack};
    while (!stopped && c.stream.socket().is_open()) {
        if (buffer.size() == 0) {
            // Waiting for a request: the first under header_timeout, later ones under
            // idle_timeout.
            c.busy = false;
            c.writing = false;
            if (first) {
                c.stream.expires_at(header_deadline);
            } else {
                c.waiting_since = progress++;
                c.stream.expires_after(opts.idle_timeout);
            }
            auto [ec, n] = co_await c.stream.async_read_some(buffer.prepare(read_chunk), use_tuple);
            if (ec) {
                if (ec == beast::error::timeout) {
                    count_close(first ? &server_stats::header_timeouts
                                      : &server_stats::idle_closes);
                }
                co_return;
            }
            buffer.commit(n);
            if (!first) {
                header_deadline = std::chrono::steady_clock::now() + opts.header_timeout;
            }
        } else if (!first) {
            // A pipelined request already (partly) in the buffer: its header is due
            // header_timeout from now, not from the previous request's start.
            header_deadline = std::chrono::steady_clock::now() + opts.header_timeout;
        }
        first = false;
        c.busy = true;
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
        parser.body_limit(opts.max_body_bytes);
        c.stream.expires_at(header_deadline);
        if (auto [ec, n] = co_await bhttp::async_read_header(c.stream, buffer, parser, use_tuple);
            ec) {
            co_await answer_read_error(c, ec, &server_stats::header_timeouts);
            co_return;
        }
        if (!parser.is_done()) {
            c.stream.expires_after(opts.body_timeout);
            if (auto [ec, n] = co_await bhttp::async_read(c.stream, buffer, parser, use_tuple);
                ec) {
                co_await answer_read_error(c, ec, &server_stats::body_timeouts);
                co_return;
            }
        }
        ++stats.requests;
        const auto& req = parser.get();
        if (const auto* up = find_upgrade(req)) {
            ++stats.upgrades;
            request view;
            view.method = sv(req.method_string());
            if (auto target = split_target(sv(req.target()))) {
                std::tie(view.path, view.query) = *target;
            }
            for (const auto& f : req) {
                view.headers.emplace_back(sv(f.name_string()), sv(f.value()));
            }
            const auto* data = static_cast<const char*>(buffer.data().data());
            const std::string_view buffered{data, buffer.size()};
            c.stream.expires_never();
            uncount(id, c); // the stream has its own limits ([api] max_subscribers)
            try {
                (*up)(c.stream.release_socket(), view, buffered);
            } catch (const std::exception& e) {
                ++stats.handler_errors;
                core::log_limited_event(
                    spdlog::level::err, "http.upgrade",
                    {{"event", "http_handler_failed"}, {"path", view.path}, {"reason", e.what()}},
                    "http: upgrade handler for {} failed: {}", view.path, e.what());
            }
            co_return;
        }
        auto res = answer(req);
        const bool head = req.method() == bhttp::verb::head;
        const bool keep = req.keep_alive() && !stopped;
        res.keep_alive(keep);
        if (!co_await write(c, res, head)) {
            co_return;
        }
        if (!keep || stopped) {
            c.busy = false;
            co_await close_gracefully(c.stream);
            co_return;
        }
    }
}

asio::awaitable<void> server::impl::answer_read_error(connection& c,
                                                      const boost::system::error_code& ec,
                                                      counter_field reason) {
    if (ec == beast::error::timeout) {
        count_close(reason); // slowloris: no answer, the stream is already closed
        co_return;
    }
    if (is_expected_close(ec) ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
        co_return; // the peer went away (or a socket error): nobody to answer
    }
    unsigned status = 400;
    std::string body = "bad request\n";
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        status = 431;
        body = "request header too large\n";
        ++stats.rejected_limits;
    } else if (ec == bhttp::error::body_limit) {
        status = 413;
        body = "request body too large\n";
        ++stats.rejected_limits;
    } else {
        ++stats.bad_requests;
    }
    auto res = make_response(status, 11, std::move(body));
    res.keep_alive(false);
    if (co_await write(c, res, false)) {
        c.busy = false;
        co_await close_gracefully(c.stream);
    }
}

string_response server::impl::answer(const string_request& req) {
    const auto version = req.version();
    const auto target = split_target(sv(req.target()));
    if (!target) {
        ++stats.bad_requests;
        return make_response(400, version, "bad request target\n");
    }
    const auto [path, query] = *target;
    if (!authorized(req, path)) {
        ++stats.rejected_auth;
        auto res = make_response(401, version, "unauthorized\n");
        res.set(bhttp::field::www_authenticate, "Bearer");
        return res;
    }
    if (upgrades.contains(path)) {
        // The upgrade path asked for without `Upgrade: websocket` (find_upgrade() took the
        // good ones already).
        ++stats.bad_requests;
        auto res = make_response(426, version, "this path needs a WebSocket upgrade\n");
        res.set(bhttp::field::upgrade, "websocket");
        return res;
    }
    const auto* route = find_route(path);
    if (route == nullptr) {
        ++stats.not_found;
        return make_response(404, version, "not found\n");
    }
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
        ++stats.method_not_allowed;
        auto res = make_response(405, version, "method not allowed\n");
        res.set(bhttp::field::allow, "GET, HEAD");
        return res;
    }
    return call_handler(*route, req, path, query);
}

bool server::impl::authorized(const string_request& req, std::string_view path) const {
    const bool is_public = std::find(opts.public_paths.begin(), opts.public_paths.end(), path) !=
                           opts.public_paths.end();
    if (opts.bearer_token.empty() || is_public) {
        return true;
    }
    const auto it = req.find(bhttp::field::authorization);
    const auto value = it == req.end() ? std::string_view{} : sv(it->value());
    return detail::bearer_matches(value, opts.bearer_token);
}

const handler* server::impl::find_route(std::string_view path) const {
    if (const auto it = routes.find(path); it != routes.end()) {
        return &it->second;
    }
    for (const auto& [prefix, h] : prefix_routes) {
        if (path.starts_with(prefix)) {
            return &h;
        }
    }
    return nullptr;
}

// The upgrade handler for an authorized `GET <upgrade path>` with `Upgrade: websocket`.
const upgrade_handler* server::impl::find_upgrade(const string_request& req) const {
    if (upgrades.empty() || req.method() != bhttp::verb::get) {
        return nullptr;
    }
    const auto target = split_target(sv(req.target()));
    if (!target) {
        return nullptr;
    }
    const auto it = upgrades.find(target->first);
    if (it == upgrades.end() || !authorized(req, target->first)) {
        return nullptr;
    }
    const auto up = req.find(bhttp::field::upgrade);
    if (up == req.end() || !iequals(sv(up->value()), "websocket")) {
        return nullptr;
    }
    return &it->second;
}

string_response server::impl::call_handler(const handler& h, const string_request& req,
                                           std::string_view path, std::string_view query) {
    request view;
    view.method = sv(req.method_string());
    view.path = path;
    view.query = query;
    for (const auto& f : req) {
        view.headers.emplace_back(sv(f.name_string()), sv(f.value()));
    }
    auto fail = [&](std::string_view why) {
        ++stats.handler_errors;
        core::log_limited_event(spdlog::level::err, "http.handler",
                                {{"event", "http_handler_failed"}, {"path", path}, {"reason", why}},
                                "http: handler for {} failed: {}", path, why);
        return make_response(500, req.version(), "internal server error\n");
    };
    response out;
    try {
        out = h(view);
    } catch (const std::exception& e) {
        return fail(e.what());
    } catch (...) {
        return fail("unknown exception");
    }
    if (out.status < 200 || out.status > 599 || out.status == 204 || out.status == 304) {
        return fail(fmt::format("status {} is not allowed", out.status));
    }
    if (!is_field_value(out.content_type)) {
        return fail("content type with CR, LF or NUL");
    }
    for (const auto& [name, value] : out.headers) {
        if (!is_token(name) || !is_field_value(value)) {
            return fail("invalid header name or value");
        }
    }
    auto res = make_response(out.status, req.version(), std::move(out.body), out.content_type);
    for (const auto& [name, value] : out.headers) {
        if (!is_reserved_field(name)) {
            res.insert(name, value);
        }
    }
    return res;
}

asio::awaitable<bool> server::impl::write(connection& c, string_response& res, bool head) {
    auto& stream = c.stream;
    c.writing = true;
    stream.expires_after(opts.write_timeout);
    bhttp::response_serializer<bhttp::string_body> sr{res};
    boost::system::error_code ec;
    if (head) {
        // HEAD: the header says how long the body would be (Content-Length), none follows.
        std::tie(ec, std::ignore) = co_await bhttp::async_write_header(stream, sr, use_tuple);
    } else {
        std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, sr, use_tuple);
    }
    c.writing = false;
    if (ec == beast::error::timeout) {
        count_close(&server_stats::write_timeouts);
    }
    co_return !ec;
}

asio::awaitable<void> server::impl::close_gracefully(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
        stream.expires_after(linger_timeout);
        std::array<char, 4096> sink{};
        std::size_t drained = 0;
        while (drained < linger_max_bytes) {
            auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
            if (rec) {
                break;
            }
            drained += n;
        }
    }
    stream.close();
}

// ---- public wrapper --------------------------------------------------------------------------

server::server(asio::any_io_executor ex, server_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {}

namespace {

// stop() for the destructor and move assignment, which must not throw: queueing the stop can
// only fail to allocate, and then the acceptor closes when the io_context is destroyed.
void stop_noexcept(server& s) noexcept {
    try {
        s.stop();
    } catch (...) {
        core::log_limited_event(spdlog::level::err, "http.stop", {{"event", "http_stop_failed"}},
                                "http: could not queue stop()");
    }
}

} // namespace

server::~server() {
    stop_noexcept(*this);
}

server::server(server&&) noexcept = default;

server& server::operator=(server&& other) noexcept {
    if (this != &other) {
        stop_noexcept(*this);
        impl_ = std::move(other.impl_);
    }
    return *this;
}

void server::route(std::string path, handler h) {
    MDG_ASSERT(impl_ && !impl_->started, "http::server::route() after start()");
    impl_->routes.insert_or_assign(std::move(path), std::move(h));
}

void server::route_prefix(std::string prefix, handler h) {
    MDG_ASSERT(impl_ && !impl_->started, "http::server::route_prefix() after start()");
    MDG_ASSERT(!prefix.empty() && prefix.back() == '/', "a route prefix ends with '/'");
    auto& v = impl_->prefix_routes;
    std::erase_if(v, [&](const auto& r) { return r.first == prefix; });
    v.emplace_back(std::move(prefix), std::move(h));
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void server::upgrade(std::string path, upgrade_handler h) {
    MDG_ASSERT(impl_ && !impl_->started, "http::server::upgrade() after start()");
    impl_->upgrades.insert_or_assign(std::move(path), std::move(h));
}

result<std::uint16_t> server::start(std::string& error) {
    if (!impl_) {
        error = "http: start() on a moved-from server";
        return errc::invalid_argument;
    }
    return impl_->start(error);
}

void server::stop() {
    if (!impl_) {
        return;
    }
    // Inline when called on the executor, else queued to it: the acceptor and the connections
    // belong to the executor's thread.
    asio::dispatch(impl_->ex, [self = impl_] { self->stop(); });
}

std::vector<std::pair<std::string_view, std::uint64_t>> closed_by_reason(const server_stats& s) {
    std::vector<std::pair<std::string_view, std::uint64_t>> out;
    for (const auto& [field, reason] : close_reasons) {
        out.emplace_back(reason, s.*field);
    }
    return out;
}

const server_stats& server::stats() const noexcept {
    MDG_ASSERT(impl_, "http::server::stats() on a moved-from server");
    return impl_->stats;
}

} // namespace mdg::http
