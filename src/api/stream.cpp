#include "api/stream.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "api/detail/book_diff.hpp"
#include "api/detail/channel_name.hpp"
#include "api/encode.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "net/ws_frame.hpp"

namespace mdg::api {

namespace asio = boost::asio;
namespace ws = net::ws;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using core::json_writer;
using detail::channel_kind;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto handshake_timeout = 10s;
constexpr auto watchdog_tick = 500ms;
constexpr auto close_grace = 2s; // a close frame that cannot be written in this time: hard close
constexpr std::size_t read_chunk = 4096;
constexpr std::size_t entry_overhead = 96; // the envelope added at write time, roughly
constexpr std::size_t max_json_depth = 8;

enum class entry_kind : std::uint8_t {
    frame,    ///< a complete WebSocket frame (pong, ping, close)
    text,     ///< a complete JSON message without seq (answers, errors)
    snapshot, ///< book snapshot body
    delta,    ///< book delta body
    event,    ///< trade, ticker, kline or liquidation body
};

// One queued message. The body is shared by every subscriber of the channel; the envelope
// (`{"type":..,"ch":..,"seq":N`) is added when it is written, so `seq` never has a hole.
struct entry {
    entry_kind kind = entry_kind::text;
    std::uint32_t sub = 0;
    std::string_view type; // static text
    std::shared_ptr<const std::string> body;
    bool conflated = false;
    bool close = false; ///< a close frame: the writer ends the stream after it
    [[nodiscard]] std::size_t cost() const noexcept { return body->size() + entry_overhead; }
};

std::shared_ptr<const std::string> text_body(std::string s) {
    return std::make_shared<const std::string>(std::move(s));
}

std::shared_ptr<const std::string> frame_body(ws::opcode op, std::string_view payload) {
    std::string f;
    ws::append_server_frame(f, op, payload);
    return text_body(std::move(f));
}

std::string_view event_type(channel_kind k) noexcept {
    switch (k) {
    case channel_kind::book:
        return "book";
    case channel_kind::trades:
        return "trade";
    case channel_kind::ticker:
        return "ticker";
    case channel_kind::kline:
        return "kline";
    case channel_kind::liquidations:
        return "liquidation";
    }
    return "event";
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Whether the comma-separated header value contains `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        auto part = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) {
            part.remove_prefix(1);
        }
        while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) {
            part.remove_suffix(1);
        }
        if (part.size() == token.size() &&
            std::equal(part.begin(), part.end(), token.begin(),
                       [](char a, char b) { return lower(a) == lower(b); })) {
            return true;
        }
    }
    return false;
}

// A Sec-WebSocket-Key: base64 of 16 bytes (24 characters ending in "==").
bool valid_key(std::string_view k) {
    if (k.size() != 24 || k.substr(22) != "==") {
        return false;
    }
    return std::all_of(k.begin(), k.begin() + 22, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    });
}

std::uint64_t source_key(model::instrument_id id, channel_kind k, unsigned detail) {
    return (std::uint64_t{id.value} << 24U) | (std::uint64_t{static_cast<std::uint8_t>(k)} << 16U) |
           detail;
}

} // namespace

struct session;

// One concrete channel (`book.50.linear.BTCUSDT`) and who subscribes it. Guarded by the hub's
// mutex; never removed once created (there are at most catalog x kinds x depths of them).
struct channel {
    std::string name;
    channel_kind kind = channel_kind::book;
    const instrument_entry* entry = nullptr; // outlives: the catalog
    std::uint16_t depth = 0;                 ///< book: levels served
    std::uint16_t source = 0;                ///< book: the subscribed depth it is cut from
    std::vector<std::pair<session*, std::uint32_t>> subs; // session, its subscription index
    book_ptr last;                                        ///< book: the version subscribers have
    book_ptr newest;                                      ///< book: the newest version seen
    std::shared_ptr<const std::string> snapshot;          ///< book: body of `last`, lazily
    steady::time_point published_at{};                    ///< book: when `last` was sent
    bool dirty = false;                                   ///< book: `newest` waits for the interval
};

// One subscription of a session.
struct subscription {
    std::string name;
    channel* ch = nullptr;
    bool active = false;         // the API thread only
    std::uint64_t seq = 0;       // the API thread only: last seq written
    bool needs_snapshot = false; // session mutex
    bool conflated = false;      // session mutex: that snapshot replaces dropped messages
    std::uint64_t lost = 0;      // session mutex: events dropped since the last gap message
};

struct stream_metrics {
    explicit stream_metrics(metrics::registry& r)
        : reg(r), subscribers(r.gauge("mdgate_stream_subscribers", "Open stream connections")),
          channels(r.gauge("mdgate_stream_channels", "Channel subscriptions on open streams")),
          bytes(r.counter("mdgate_stream_bytes_total", "Bytes written to stream subscribers")),
          conflated(r.counter("mdgate_stream_conflated_total",
                              "Book messages dropped for a slow subscriber and replaced by a "
                              "later snapshot")),
          dropped(r.counter("mdgate_stream_dropped_total",
                            "Event messages dropped for a slow subscriber (reported to it in a "
                            "gap message)")) {
        for (const std::string_view t :
             {"snapshot", "delta", "trade", "ticker", "kline", "liquidation", "gap", "answer"}) {
            messages.emplace(t, &r.counter("mdgate_stream_messages_total",
                                           "Messages written to stream subscribers, by type",
                                           {{"type", std::string(t)}}));
        }
    }
    void closed(std::string_view reason) {
        reg.counter("mdgate_stream_closed_total", "Stream connections closed, by reason",
                    {{"reason", std::string(reason)}})
            .inc();
    }
    void client_error(std::string_view code) {
        reg.counter("mdgate_stream_client_errors_total",
                    "Client messages or channels refused, by error code",
                    {{"code", std::string(code)}})
            .inc();
    }
    void message(std::string_view type) {
        if (auto it = messages.find(type); it != messages.end()) {
            it->second->inc();
        }
    }

    metrics::registry& reg;
    metrics::gauge& subscribers;
    metrics::gauge& channels;
    metrics::counter& bytes;
    metrics::counter& conflated;
    metrics::counter& dropped;
    std::map<std::string_view, metrics::counter*, std::less<>> messages;
};

struct stream::impl : std::enable_shared_from_this<stream::impl> {
    impl(asio::any_io_executor e, const catalog& c, const market_cache& mc, metrics::registry& r,
         stream_options o)
        : ex(std::move(e)), cat(c), cache(mc), opts(o), m(r) {}

    asio::any_io_executor ex;
    const catalog& cat;        // outlives: the stream
    const market_cache& cache; // outlives: the stream
    stream_options opts;
    stream_metrics m;

    // The hub: channels and their subscribers. Lock order: this, then a session's mutex.
    std::mutex mu;
    bool shut = false; // guarded by mu: no more offers
    std::map<std::string, std::unique_ptr<channel>, std::less<>> channels;
    std::unordered_map<std::uint64_t, std::vector<channel*>> by_source;
    std::vector<model::level> diff_bids; // the consumer thread's scratch (under mu)
    std::vector<model::level> diff_asks;
    std::vector<channel*> dirty; // book channels whose newest version waits (under mu)

    // The API thread only.
    std::set<std::shared_ptr<session>> sessions;
    bool stopped = false;
    std::atomic<std::size_t> open{0};

    channel& channel_for(const detail::channel_name& c, const instrument_entry& e,
                         const std::string& name);
    std::shared_ptr<const std::string> snapshot_body(channel& ch);
    void publish_book(channel& ch, const book_ptr& b);
    void send_book(channel& ch, steady::time_point now);
    asio::awaitable<void> flush_books();
    template <class Write>
    void publish_event(model::instrument_id id, channel_kind k, unsigned detail, Write&& write);
    void close_all();
    bool shutdown(); // stops every offer; false when it was stopped already
};

// A stream connection. Its socket and coroutines live on the API thread; the consumer thread
// only appends to its queue (under `mu`).
struct session : std::enable_shared_from_this<session> {
    session(std::shared_ptr<stream::impl> h, tcp::socket s)
        : hub(std::move(h)), sock(std::move(s)), timer(sock.get_executor()),
          watchdog(sock.get_executor()),
          reader(hub->opts.max_client_message_bytes, ws::role::server) {
        // Client messages are small and flat: a deeper document is refused, not parsed.
        if (parser.allocate(hub->opts.max_client_message_bytes, max_json_depth) !=
            simdjson::SUCCESS) {
            throw std::bad_alloc();
        }
    }

    std::shared_ptr<stream::impl> hub;
    tcp::socket sock;
    asio::steady_timer timer;    // parks the writer
    asio::steady_timer watchdog; // slow subscriber, pings, half-open
    ws::reader reader;
    simdjson::dom::parser parser;

    // Guarded by mu (shared with the consumer thread).
    std::mutex mu;
    std::deque<entry> queue;
    std::size_t queued = 0;
    std::deque<subscription> subs; // indices stay valid; slots are reused after unsubscribe
    bool wake_posted = false;
    steady::time_point behind_since{};

    // The API thread only.
    std::map<std::string, std::uint32_t, std::less<>> by_name;
    std::size_t active = 0;
    bool finished = false;
    bool closing = false;
    steady::time_point close_deadline{};
    steady::time_point last_rx{};
    steady::time_point last_ping{};
    steady::time_point rate_window{};
    std::size_t rate_count = 0;
    std::string close_reason = "client";

    asio::awaitable<void> run(std::string accept_key, std::string buffered);
    asio::awaitable<void> read_loop(std::string buffered);
    asio::awaitable<void> write_loop();
    asio::awaitable<void> watch();

    // Consumer thread (hub mutex held) and API thread.
    void push(entry e); // under mu
    void wake();        // under mu
    void offer_book(std::uint32_t idx, channel& ch, entry_kind kind,
                    const std::shared_ptr<const std::string>& body);
    void offer_event(std::uint32_t idx, std::string_view type,
                     const std::shared_ptr<const std::string>& body);
    [[nodiscard]] bool room(std::size_t cost) const noexcept {
        return queued + cost <= hub->opts.send_buffer_bytes;
    }
    void mark_behind() {
        if (behind_since == steady::time_point{}) {
            behind_since = steady::now();
        }
    }

    // API thread.
    void answer(std::string text);
    void client_error(std::optional<std::int64_t> id, std::string_view code,
                      std::string_view message);
    void begin_close(std::uint16_t code, std::string_view reason, std::string_view metric);
    void finish();
    void on_message(std::string_view text);
    void subscribe(std::optional<std::int64_t> id, simdjson::dom::array channels);
    void unsubscribe(std::optional<std::int64_t> id, simdjson::dom::array channels);
    void resnapshot();
};

// ---- the hub ---------------------------------------------------------------------------------

channel& stream::impl::channel_for(const detail::channel_name& c, const instrument_entry& e,
                                   const std::string& name) {
    if (auto it = channels.find(name); it != channels.end()) {
        return *it->second;
    }
    auto ch = std::make_unique<channel>();
    ch->name = name;
    ch->kind = c.kind;
    ch->entry = &e;
    unsigned detail = 0;
    if (c.kind == channel_kind::book) {
        ch->source = catalog::source_depth(e, c.depth).value_or(catalog::max_depth(e));
        ch->depth = c.depth;
        ch->last = cache.book(e.id, ch->source);
        ch->newest = ch->last;
        detail = ch->source;
    } else if (c.kind == channel_kind::kline) {
        detail = static_cast<unsigned>(c.interval);
    }
    auto& ref = *ch;
    by_source[source_key(e.id, c.kind, detail)].push_back(&ref);
    channels.emplace(name, std::move(ch));
    return ref;
}

std::shared_ptr<const std::string> stream::impl::snapshot_body(channel& ch) {
    if (!ch.snapshot && ch.last) {
        json_writer j;
        j.begin_object(); // only to get the members' commas right; the braces are cut off
        write_book_fields(j, *ch.last, ch.depth, ch.entry->spec);
        j.end_object();
        auto s = j.take();
        s.front() = ',';
        s.pop_back();
        ch.snapshot = text_body(std::move(s));
    }
    return ch.snapshot;
}

void stream::impl::publish_book(channel& ch, const book_ptr& b) {
    ch.newest = b;
    if (ch.subs.empty()) {
        ch.last = b; // a new subscriber starts from the newest version
        ch.snapshot.reset();
        ch.dirty = false;
        return;
    }
    const auto now = steady::now();
    if (opts.book_interval.count() > 0 && now - ch.published_at < opts.book_interval) {
        if (!ch.dirty) {
            ch.dirty = true;
            dirty.push_back(&ch); // flush_books() sends it when the interval is over
        }
        return;
    }
    send_book(ch, now);
}

// Sends `newest` to the channel's subscribers: as a delta from `last` (what they have), or a
// snapshot when there is no `last`, the venue restarted or the source changed. Under mu.
void stream::impl::send_book(channel& ch, steady::time_point now) {
    ch.dirty = false;
    ch.published_at = now;
    const auto b = ch.newest;
    auto prev = std::exchange(ch.last, b);
    ch.snapshot.reset();
    if (ch.subs.empty() || !b) {
        return;
    }
    std::shared_ptr<const std::string> body;
    entry_kind kind = entry_kind::delta;
    if (!prev || b->update_id < prev->update_id || b->source != prev->source) {
        // First version, the venue restarted (u went back), or the book switched between the
        // stream and a REST answer (docs/rest.md): their `u` are not one sequence.
        kind = entry_kind::snapshot;
        body = snapshot_body(ch);
    } else {
        const auto cut = [&](const std::vector<model::level>& v) {
            return std::span<const model::level>{v.data(),
                                                 std::min<std::size_t>(ch.depth, v.size())};
        };
        detail::diff_side(cut(prev->bids), cut(b->bids), true, diff_bids);
        detail::diff_side(cut(prev->asks), cut(b->asks), false, diff_asks);
        if (diff_bids.empty() && diff_asks.empty() && prev->state == b->state &&
            prev->update_id == b->update_id) {
            return; // the same version again
        }
        const auto bids = cut(b->bids);
        const auto asks = cut(b->asks);
        json_writer j;
        j.begin_object();
        j.field("u", b->update_id);
        j.field("state", book::to_string(b->state));
        j.field("source", dispatch::to_string(b->source));
        j.field("ts_exchange", micros(b->ts_exchange));
        j.field("ts_recv", micros(b->ts_recv));
        j.key("bids");
        write_levels(j, diff_bids, ch.entry->spec);
        j.key("asks");
        write_levels(j, diff_asks, ch.entry->spec);
        j.field("checksum", book_checksum(bids, asks, ch.entry->spec));
        j.end_object();
        auto s = j.take();
        s.front() = ',';
        s.pop_back();
        body = text_body(std::move(s));
    }
    for (auto& [s, idx] : ch.subs) {
        s->offer_book(idx, ch, kind, body);
    }
}

asio::awaitable<void> stream::impl::flush_books() {
    auto self = shared_from_this();
    asio::steady_timer timer(ex);
    for (;;) {
        timer.expires_after(opts.book_interval);
        auto [ec] = co_await timer.async_wait(use_tuple);
        std::lock_guard lk(mu);
        if (ec || shut) {
            co_return;
        }
        const auto now = steady::now();
        for (auto* ch : dirty) {
            if (ch->dirty) {
                send_book(*ch, now);
            }
        }
        dirty.clear();
    }
}

template <class Write>
void stream::impl::publish_event(model::instrument_id id, channel_kind k, unsigned detail,
                                 Write&& write) {
    std::lock_guard lk(mu);
    if (shut) {
        return;
    }
    const auto it = by_source.find(source_key(id, k, detail));
    if (it == by_source.end()) {
        return;
    }
    for (auto* ch : it->second) {
        if (ch->subs.empty()) {
            continue;
        }
        json_writer j;
        j.begin_object();
        j.key("data");
        write(j, *ch->entry);
        j.end_object();
        auto s = j.take();
        s.front() = ',';
        s.pop_back();
        const auto body = text_body(std::move(s));
        for (auto& [sess, idx] : ch->subs) {
            sess->offer_event(idx, event_type(k), body);
        }
    }
}

bool stream::impl::shutdown() {
    std::lock_guard lk(mu);
    if (shut) {
        return false;
    }
    shut = true;
    // No offer reaches a session from now on (they may be destroyed with the API thread).
    for (auto& [name, ch] : channels) {
        ch->subs.clear();
    }
    return true;
}

void stream::impl::close_all() {
    stopped = true;
    for (const auto& s : sessions) {
        s->begin_close(ws::close_code::normal, "shutdown", "shutdown");
    }
}

// ---- a session: the consumer thread's side ---------------------------------------------------

void session::wake() {
    if (!wake_posted) {
        wake_posted = true;
        asio::post(sock.get_executor(), [self = shared_from_this()] {
            {
                std::lock_guard lk(self->mu);
                self->wake_posted = false;
            }
            self->timer.cancel();
        });
    }
}

void session::push(entry e) {
    queued += e.cost();
    queue.push_back(std::move(e));
    wake();
}

void session::offer_book(std::uint32_t idx, channel& ch, entry_kind kind,
                         const std::shared_ptr<const std::string>& body) {
    std::lock_guard lk(mu);
    auto& sub = subs[idx];
    auto snapshot = [&] {
        auto snap = hub->snapshot_body(ch);
        if (snap && room(snap->size() + entry_overhead)) {
            push({entry_kind::snapshot, idx, "snapshot", std::move(snap), sub.conflated, false});
            sub.needs_snapshot = false;
            sub.conflated = false;
        }
    };
    if (sub.needs_snapshot) {
        snapshot();
        return;
    }
    if (room(body->size() + entry_overhead)) {
        push({kind, idx, kind == entry_kind::snapshot ? "snapshot" : "delta", body, false, false});
        return;
    }
    // Behind: this channel's pending book messages go; a fresh snapshot replaces them.
    std::erase_if(queue, [&](const entry& e) {
        const bool drop =
            e.sub == idx && (e.kind == entry_kind::snapshot || e.kind == entry_kind::delta);
        if (drop) {
            queued -= e.cost();
        }
        return drop;
    });
    hub->m.conflated.inc();
    mark_behind();
    sub.needs_snapshot = true;
    sub.conflated = true;
    snapshot();
}

void session::offer_event(std::uint32_t idx, std::string_view type,
                          const std::shared_ptr<const std::string>& body) {
    std::lock_guard lk(mu);
    const auto cost = body->size() + entry_overhead;
    if (!room(cost)) {
        mark_behind();
        // Drop the oldest events (of any channel) until this one fits.
        for (auto it = queue.begin(); it != queue.end() && !room(cost);) {
            if (it->kind == entry_kind::event) {
                ++subs[it->sub].lost;
                hub->m.dropped.inc();
                queued -= it->cost();
                it = queue.erase(it);
            } else {
                ++it;
            }
        }
        if (!room(cost)) {
            ++subs[idx].lost;
            hub->m.dropped.inc();
            return;
        }
    }
    push({entry_kind::event, idx, type, body, false, false});
}

// ---- a session: the API thread's side --------------------------------------------------------

void session::answer(std::string text) {
    std::lock_guard lk(mu);
    push({entry_kind::text, 0, "answer", text_body(std::move(text)), false, false});
}

void session::client_error(std::optional<std::int64_t> id, std::string_view code,
                           std::string_view message) {
    hub->m.client_error(code);
    json_writer j;
    j.begin_object();
    j.field("type", "error");
    j.field("id", id);
    j.field("code", code);
    j.field("message", message);
    j.end_object();
    answer(j.take());
}

void session::begin_close(std::uint16_t code, std::string_view reason, std::string_view metric) {
    if (closing || finished) {
        return;
    }
    closing = true;
    close_reason = metric;
    close_deadline = steady::now() + close_grace;
    std::lock_guard lk(mu);
    push({entry_kind::frame, 0, "close",
          frame_body(ws::opcode::close, ws::close_payload(code, reason)), false, true});
}

void session::finish() {
    if (finished) {
        return;
    }
    finished = true;
    {
        std::lock_guard hk(hub->mu);
        for (std::uint32_t i = 0; i < subs.size(); ++i) {
            if (subs[i].active && subs[i].ch != nullptr) {
                std::erase_if(subs[i].ch->subs, [&](const auto& p) { return p.first == this; });
            }
        }
    }
    hub->m.channels.add(-static_cast<double>(active));
    active = 0;
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    timer.cancel();
    watchdog.cancel();
    hub->m.closed(close_reason);
    hub->m.subscribers.add(-1);
    hub->open.fetch_sub(1, std::memory_order_relaxed);
    hub->sessions.erase(shared_from_this());
}

void session::on_message(std::string_view text) {
    const auto now = steady::now();
    if (now - rate_window >= 1s) {
        rate_window = now;
        rate_count = 0;
    }
    ++rate_count;
    const auto limit = hub->opts.max_client_messages_per_second;
    if (rate_count > 10 * limit) {
        hub->m.client_error("rate_limited");
        begin_close(1008, "rate limited", "rate_limited");
        return;
    }
    simdjson::padded_string padded(text);
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
        client_error(std::nullopt, "bad_request", "the message is not valid JSON (or too deep)");
        return;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
        client_error(std::nullopt, "bad_request", "the message must be a JSON object");
        return;
    }
    std::optional<std::int64_t> id;
    if (simdjson::dom::element idv; obj["id"].get(idv) == simdjson::SUCCESS) {
        std::int64_t v = 0;
        if (idv.get_int64().get(v) != simdjson::SUCCESS) {
            client_error(std::nullopt, "bad_request", "id must be an integer");
            return;
        }
        id = v;
    }
    // Over the rate: answered (with the request's id, so the client can retry it), not done.
    if (rate_count > limit) {
        client_error(id, "rate_limited", fmt::format("more than {} messages in a second", limit));
        return;
    }
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) {
        client_error(id, "bad_request", "op must be a string: subscribe, unsubscribe or ping");
        return;
    }
    if (op == "ping") {
        json_writer j;
        j.begin_object();
        j.field("type", "pong");
        j.field("id", id);
        j.field("ts", micros(core::default_clock().now()));
        j.end_object();
        answer(j.take());
        return;
    }
    if (op != "subscribe" && op != "unsubscribe") {
        client_error(id, "bad_request", "op must be subscribe, unsubscribe or ping");
        return;
    }
    simdjson::dom::array chans;
    if (obj["channels"].get_array().get(chans) != simdjson::SUCCESS) {
        client_error(id, "bad_request", "channels must be an array of channel names");
        return;
    }
    for (auto c : chans) {
        if (!c.is_string()) {
            client_error(id, "bad_request", "channels must be an array of channel names");
            return;
        }
    }
    if (op == "subscribe") {
        subscribe(id, chans);
    } else {
        unsubscribe(id, chans);
    }
}

namespace {

struct channel_error {
    std::string channel;
    std::string code;
    std::string message;
};

std::string channels_answer(std::string_view type, std::optional<std::int64_t> id,
                            const std::vector<std::string>& ok,
                            const std::vector<channel_error>& errors) {
    json_writer j;
    j.begin_object();
    j.field("type", type);
    j.field("id", id);
    j.key("channels");
    j.begin_array();
    for (const auto& c : ok) {
        j.value(c);
    }
    j.end_array();
    j.key("errors");
    j.begin_array();
    for (const auto& e : errors) {
        j.begin_object();
        j.field("channel", e.channel);
        j.field("code", e.code);
        j.field("message", e.message);
        j.end_object();
    }
    j.end_array();
    j.end_object();
    return j.take();
}

// Whether instrument `e` carries what channel `c` needs.
bool carries(const instrument_entry& e, const detail::channel_name& c) {
    switch (c.kind) {
    case channel_kind::book:
        return catalog::source_depth(e, c.depth).has_value();
    case channel_kind::trades:
        return e.trades;
    case channel_kind::ticker:
        return e.tickers;
    case channel_kind::kline:
        return std::find(e.kline_intervals.begin(), e.kline_intervals.end(), c.interval) !=
               e.kline_intervals.end();
    case channel_kind::liquidations:
        return e.liquidations;
    }
    return false;
}

} // namespace

void session::subscribe(std::optional<std::int64_t> id, simdjson::dom::array chans) {
    struct planned {
        detail::channel_name parsed;
        const instrument_entry* entry;
        std::string name;
    };
    std::vector<planned> plan;
    std::vector<std::string> ok;
    std::vector<channel_error> errors;
    auto refuse = [&](std::string_view ch, std::string_view code, std::string message) {
        hub->m.client_error(code);
        errors.push_back({std::string(ch), std::string(code), std::move(message)});
    };
    for (auto c : chans) {
        std::string_view text;
        if (c.get_string().get(text) != simdjson::SUCCESS) {
            continue; // checked by on_message: every item is a string
        }
        std::string why;
        auto parsed = detail::parse_channel(text, why);
        if (!parsed) {
            refuse(text, "bad_channel", why);
            continue;
        }
        std::vector<const instrument_entry*> targets;
        if (parsed->symbol == "*") {
            for (const auto& e : hub->cat.entries()) {
                if (e.cat == parsed->cat && carries(e, *parsed)) {
                    targets.push_back(&e);
                }
            }
            if (targets.empty()) {
                refuse(text, "not_found", "no instrument of that category carries this channel");
                continue;
            }
        } else {
            const auto* e = hub->cat.find(parsed->cat, parsed->symbol);
            if (e == nullptr) {
                refuse(text, "unknown_instrument", "this gateway does not carry that instrument");
                continue;
            }
            if (!carries(*e, *parsed)) {
                refuse(text, "not_found",
                       parsed->kind == channel_kind::book
                           ? "no subscribed book of this instrument has that many levels"
                           : "this channel of the instrument is not subscribed at the venue");
                continue;
            }
            targets.push_back(e);
        }
        for (const auto* e : targets) {
            auto name = detail::format_channel(*parsed, e->symbol);
            const bool dup = by_name.contains(name) ||
                             std::any_of(plan.begin(), plan.end(),
                                         [&](const planned& p) { return p.name == name; });
            if (dup) {
                refuse(name, "already_subscribed", "this stream already subscribes that channel");
                continue;
            }
            if (active + plan.size() >= hub->opts.max_channels_per_subscriber) {
                refuse(name, "too_many_channels",
                       fmt::format("at most {} channels per stream",
                                   hub->opts.max_channels_per_subscriber));
                continue;
            }
            ok.push_back(name);
            plan.push_back({*parsed, e, std::move(name)});
        }
    }
    // The answer goes first: no data of these channels can be queued before it.
    answer(channels_answer("subscribed", id, ok, errors));
    std::lock_guard hk(hub->mu);
    if (hub->shut) {
        return;
    }
    for (auto& p : plan) {
        auto& ch = hub->channel_for(p.parsed, *p.entry, p.name);
        std::lock_guard lk(mu);
        std::uint32_t idx = 0;
        while (idx < subs.size() && subs[idx].active) {
            ++idx;
        }
        if (idx == subs.size()) {
            subs.emplace_back();
        }
        auto& sub = subs[idx];
        sub = subscription{};
        sub.name = p.name;
        sub.ch = &ch;
        sub.active = true;
        by_name.emplace(p.name, idx);
        ++active;
        ch.subs.emplace_back(this, idx);
        if (ch.kind == channel_kind::book) {
            sub.needs_snapshot = true; // sent now if the book has a version, else with its first
            if (auto snap = hub->snapshot_body(ch)) {
                push({entry_kind::snapshot, idx, "snapshot", std::move(snap), false, false});
                sub.needs_snapshot = false;
            }
        }
    }
    hub->m.channels.add(static_cast<double>(plan.size()));
}

void session::unsubscribe(std::optional<std::int64_t> id, simdjson::dom::array chans) {
    std::vector<std::string> ok;
    std::vector<channel_error> errors;
    std::vector<std::uint32_t> gone;
    for (auto c : chans) {
        std::string_view text;
        if (c.get_string().get(text) != simdjson::SUCCESS) {
            continue; // checked by on_message: every item is a string
        }
        const auto it = by_name.find(text);
        if (it == by_name.end()) {
            hub->m.client_error("not_subscribed");
            errors.push_back({std::string(text), "not_subscribed",
                              "this stream does not subscribe that channel (name it exactly as "
                              "the subscribed answer did)"});
            continue;
        }
        if (std::find(gone.begin(), gone.end(), it->second) == gone.end()) {
            gone.push_back(it->second);
            ok.emplace_back(text);
        }
    }
    {
        std::lock_guard hk(hub->mu);
        for (const auto idx : gone) {
            std::erase_if(subs[idx].ch->subs,
                          [&](const auto& p) { return p.first == this && p.second == idx; });
        }
        std::lock_guard lk(mu);
        for (const auto idx : gone) {
            std::erase_if(queue, [&](const entry& e) {
                const bool drop =
                    e.sub == idx && (e.kind == entry_kind::snapshot ||
                                     e.kind == entry_kind::delta || e.kind == entry_kind::event);
                if (drop) {
                    queued -= e.cost();
                }
                return drop;
            });
            by_name.erase(subs[idx].name);
            subs[idx].active = false;
            subs[idx].needs_snapshot = false;
            subs[idx].lost = 0;
        }
    }
    active -= gone.size();
    hub->m.channels.add(-static_cast<double>(gone.size()));
    answer(channels_answer("unsubscribed", id, ok, errors));
}

// Queues the snapshots that subscriptions are waiting for (after a conflation), now that the
// writer has room.
void session::resnapshot() {
    std::lock_guard hk(hub->mu);
    std::lock_guard lk(mu);
    for (std::uint32_t i = 0; i < subs.size(); ++i) {
        auto& sub = subs[i];
        if (!sub.active || !sub.needs_snapshot || sub.ch == nullptr) {
            continue;
        }
        auto snap = hub->snapshot_body(*sub.ch);
        if (snap && room(snap->size() + entry_overhead)) {
            push({entry_kind::snapshot, i, "snapshot", std::move(snap), sub.conflated, false});
            sub.needs_snapshot = false;
            sub.conflated = false;
        }
    }
}

asio::awaitable<void> session::run(std::string accept_key, std::string buffered) {
    auto self = shared_from_this();
    const auto response = fmt::format("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                      "Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n"
                                      "Server: mdgate\r\n\r\n",
                                      ws::accept_for(accept_key));
    watchdog.expires_after(handshake_timeout);
    watchdog.async_wait([self](const boost::system::error_code& ec) {
        if (!ec && self->last_rx == steady::time_point{}) {
            boost::system::error_code ignored;
            self->sock.close(ignored); // the handshake answer could not be written in time
        }
    });
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(response), use_tuple);
    watchdog.cancel();
    if (ec) {
        close_reason = "error";
        finish();
        co_return;
    }
    last_rx = steady::now();
    last_ping = last_rx;
    if (hub->stopped) {
        begin_close(ws::close_code::normal, "shutdown", "shutdown");
    } else if (hub->open.load(std::memory_order_relaxed) > hub->opts.max_subscribers) {
        begin_close(1013, "too many subscribers", "too_many_subscribers");
    }
    asio::co_spawn(sock.get_executor(), write_loop(), asio::detached);
    asio::co_spawn(sock.get_executor(), watch(), asio::detached);
    co_await read_loop(std::move(buffered));
}

asio::awaitable<void> session::read_loop(std::string buf) {
    auto self = shared_from_this();
    std::array<char, read_chunk> chunk{};
    while (!finished) {
        // Every complete frame in the buffer first.
        std::size_t used = 0;
        bool stop_reading = false;
        while (!stop_reading) {
            const auto ev = reader.next(std::string_view{buf}.substr(used));
            switch (ev.kind) {
            case ws::event_kind::need_more:
                stop_reading = true;
                continue;
            case ws::event_kind::consumed:
                break;
            case ws::event_kind::text:
                if (!closing) {
                    on_message(ev.payload);
                }
                break;
            case ws::event_kind::binary:
                if (!closing) {
                    client_error(std::nullopt, "bad_request", "messages must be JSON text");
                }
                break;
            case ws::event_kind::ping: {
                std::lock_guard lk(mu);
                push({entry_kind::frame, 0, "pong", frame_body(ws::opcode::pong, ev.payload), false,
                      false});
                break;
            }
            case ws::event_kind::close:
                begin_close(ws::close_code::normal, "", "client");
                co_return; // nothing more to read; the writer sends our close and ends
            case ws::event_kind::error:
                if (ev.code == ws::close_code::too_big) {
                    hub->m.client_error("too_large");
                    begin_close(ev.code, "message too big", "too_big");
                } else {
                    hub->m.client_error("protocol_error");
                    begin_close(ev.code, "protocol error", "protocol_error");
                }
                co_return;
            }
            used += ev.size;
        }
        buf.erase(0, used);
        auto [ec, n] = co_await sock.async_read_some(asio::buffer(chunk), use_tuple);
        if (ec) {
            if (!closing) {
                close_reason = "client";
            }
            finish();
            co_return;
        }
        last_rx = steady::now();
        buf.append(chunk.data(), n);
    }
}

asio::awaitable<void> session::write_loop() {
    auto self = shared_from_this();
    std::string out;
    std::string msg;
    std::deque<entry> batch;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> gaps;
    while (!finished) {
        bool waiting_snapshots = false;
        {
            std::lock_guard lk(mu);
            batch.swap(queue);
            queued = 0;
            gaps.clear();
            for (std::uint32_t i = 0; i < subs.size(); ++i) {
                if (subs[i].lost > 0) {
                    gaps.emplace_back(i, std::exchange(subs[i].lost, 0));
                }
                waiting_snapshots = waiting_snapshots || subs[i].needs_snapshot;
            }
            if (batch.empty() && gaps.empty()) {
                behind_since = {}; // caught up
            }
        }
        if (batch.empty() && gaps.empty()) {
            if (waiting_snapshots && !closing) {
                resnapshot();
                std::lock_guard lk(mu);
                if (!queue.empty()) {
                    continue;
                }
            }
            timer.expires_at(steady::time_point::max());
            co_await timer.async_wait(use_tuple);
            continue;
        }
        out.clear();
        bool close_after = false;
        for (const auto& [idx, lost] : gaps) {
            auto& sub = subs[idx];
            if (!sub.active) {
                continue;
            }
            msg = fmt::format(R"({{"type":"gap","ch":"{}","seq":{},"lost":{}}})", sub.name,
                              ++sub.seq, lost);
            ws::append_server_frame(out, ws::opcode::text, msg);
            hub->m.message("gap");
        }
        for (const auto& e : batch) {
            if (close_after) {
                break;
            }
            switch (e.kind) {
            case entry_kind::frame:
                out += *e.body;
                close_after = e.close;
                continue;
            case entry_kind::text:
                ws::append_server_frame(out, ws::opcode::text, *e.body);
                hub->m.message("answer");
                continue;
            case entry_kind::snapshot:
            case entry_kind::delta:
            case entry_kind::event:
                break;
            }
            auto& sub = subs[e.sub];
            if (!sub.active) {
                continue;
            }
            msg.clear();
            fmt::format_to(std::back_inserter(msg), R"({{"type":"{}","ch":"{}","seq":{})", e.type,
                           sub.name, ++sub.seq);
            msg += *e.body;
            if (e.kind == entry_kind::snapshot) {
                msg += e.conflated ? R"(,"conflated":true)" : R"(,"conflated":false)";
            }
            msg += '}';
            ws::append_server_frame(out, ws::opcode::text, msg);
            hub->m.message(e.type);
        }
        batch.clear();
        auto [ec, n] = co_await asio::async_write(sock, asio::buffer(out), use_tuple);
        if (ec) {
            finish();
            co_return;
        }
        hub->m.bytes.inc(n);
        if (close_after) {
            finish();
            co_return;
        }
    }
}

asio::awaitable<void> session::watch() {
    auto self = shared_from_this();
    const auto& o = hub->opts;
    while (!finished) {
        watchdog.expires_after(watchdog_tick);
        (void)co_await watchdog.async_wait(use_tuple);
        if (finished) {
            co_return;
        }
        const auto now = steady::now();
        if (closing) {
            if (now >= close_deadline) {
                finish(); // the close frame could not be written: the peer does not read
            }
            continue;
        }
        steady::time_point behind;
        {
            std::lock_guard lk(mu);
            behind = behind_since;
        }
        if (behind != steady::time_point{} && now - behind > o.slow_close_after) {
            begin_close(1008, "too slow", "too_slow");
            continue;
        }
        if (now - last_rx > 3 * o.ping_interval) {
            close_reason = "half_open";
            finish();
            co_return;
        }
        if (now - last_ping >= o.ping_interval) {
            last_ping = now;
            std::lock_guard lk(mu);
            push({entry_kind::frame, 0, "ping", frame_body(ws::opcode::ping, {}), false, false});
        }
    }
}

// ---- the public face -------------------------------------------------------------------------

stream::stream(asio::any_io_executor ex, const catalog& cat, const market_cache& cache,
               metrics::registry& reg, stream_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), cat, cache, reg, opts)) {
    if (opts.book_interval.count() > 0) {
        asio::co_spawn(impl_->ex, impl_->flush_books(), asio::detached);
    }
}

stream::~stream() {
    // Not stop(): the API thread's io_context may be gone; sessions still on it keep the impl
    // alive and only need to stop receiving offers.
    (void)impl_->shutdown();
}

void stream::accept(tcp::socket socket, const http::request& req, std::string_view buffered) {
    auto& h = *impl_;
    auto refuse = [&](std::string_view status, std::string_view extra, std::string_view why) {
        h.m.client_error("bad_handshake");
        auto text = fmt::format("HTTP/1.1 {}\r\nServer: mdgate\r\nContent-Type: text/plain\r\n"
                                "Content-Length: {}\r\nConnection: close\r\n{}\r\n{}",
                                status, why.size(), extra, why);
        auto s = std::make_shared<tcp::socket>(std::move(socket));
        auto buf = std::make_shared<std::string>(std::move(text));
        asio::async_write(*s, asio::buffer(*buf),
                          [s, buf](const boost::system::error_code&, std::size_t) {
                              boost::system::error_code ec;
                              s->shutdown(tcp::socket::shutdown_both, ec);
                              s->close(ec);
                          });
    };
    const auto key = req.header("Sec-WebSocket-Key");
    if (req.header("Sec-WebSocket-Version") != "13") {
        refuse("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
               "this server speaks WebSocket version 13\n");
        return;
    }
    if (!valid_key(key) || !has_token(req.header("Connection"), "upgrade")) {
        refuse("400 Bad Request", "", "bad WebSocket handshake\n");
        return;
    }
    auto s = std::make_shared<session>(impl_, std::move(socket));
    h.sessions.insert(s);
    h.open.fetch_add(1, std::memory_order_relaxed);
    h.m.subscribers.add(1);
    asio::co_spawn(h.ex, s->run(std::string(key), std::string(buffered)), asio::detached);
}

void stream::stop() {
    if (impl_->shutdown()) {
        asio::post(impl_->ex, [h = impl_] { h->close_all(); });
    }
}

std::size_t stream::subscribers() const noexcept {
    return impl_->open.load(std::memory_order_relaxed);
}

void stream::on_book(const instrument_entry& e, const book_ptr& b) {
    std::lock_guard lk(impl_->mu);
    if (impl_->shut) {
        return;
    }
    const auto it = impl_->by_source.find(source_key(e.id, channel_kind::book, b->depth));
    if (it == impl_->by_source.end()) {
        return;
    }
    for (auto* ch : it->second) {
        impl_->publish_book(*ch, b);
    }
}

void stream::on_ticker(const instrument_entry& e, const dispatch::ticker_view& t) {
    impl_->publish_event(e.id, channel_kind::ticker, 0,
                         [&](json_writer& j, const instrument_entry&) {
                             j.begin_object();
                             j.field("state", t.stale ? "stale" : "live");
                             j.field("source", dispatch::to_string(t.source));
                             j.field("cross_seq", t.cross_seq);
                             j.field("ts_exchange", micros(t.ts_exchange));
                             j.field("ts_recv", micros(t.ts_recv));
                             write_ticker_fields(j, t.fields);
                             j.end_object();
                         });
}

void stream::on_trade(const instrument_entry& e, const model::trade& t) {
    impl_->publish_event(
        e.id, channel_kind::trades, 0,
        [&](json_writer& j, const instrument_entry& en) { write_trade(j, t, en.spec); });
}

void stream::on_kline(const instrument_entry& e, const model::kline& k) {
    impl_->publish_event(
        e.id, channel_kind::kline, static_cast<unsigned>(k.interval),
        [&](json_writer& j, const instrument_entry& en) { write_kline(j, k, en.spec); });
}

void stream::on_liquidation(const instrument_entry& e, const model::liquidation& l) {
    impl_->publish_event(
        e.id, channel_kind::liquidations, 0,
        [&](json_writer& j, const instrument_entry& en) { write_liquidation(j, l, en.spec); });
}

} // namespace mdg::api
