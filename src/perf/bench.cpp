#include "perf/bench.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "exchange/bybit/parse.hpp"
#include "exchange/bybit/subscribe.hpp"
#include "exchange/bybit/topic.hpp"
#include "gateway/gateway.hpp"
#include "net/ws_session.hpp"
#include "perf/stream_subscribers.hpp"

namespace mdg::perf {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

[[nodiscard]] double secs(steady::duration d) {
    return std::chrono::duration<double>(d).count();
}

[[nodiscard]] double us(std::chrono::nanoseconds d) {
    return static_cast<double>(d.count()) / 1000.0;
}

// The sum of the samples of `name` (with any labels matching `labels_part`) in Prometheus
// text.
[[nodiscard]] double metric_sum(std::string_view text, std::string_view name,
                                std::string_view labels_part = {}) {
    double total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const auto line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.starts_with('#') || !line.starts_with(name)) {
            continue;
        }
        const auto rest = line.substr(name.size());
        if (!rest.starts_with(' ') && !rest.starts_with('{')) {
            continue;
        }
        if (!labels_part.empty() && rest.find(labels_part) == std::string_view::npos) {
            continue;
        }
        const auto sp = line.rfind(' ');
        try {
            total += std::stod(std::string(line.substr(sp + 1)));
        } catch (const std::exception&) {
        }
    }
    return total;
}

// What every scenario measures around its window.
struct window {
    double cpu0 = 0;
    std::optional<double> source0;
    steady::time_point t0;
    std::uint64_t n0 = 0;

    void begin(const scenario_options& o, std::uint64_t messages) {
        t0 = steady::now();
        cpu0 = process_cpu_seconds();
        source0 = o.source_pid ? other_process_cpu_seconds(*o.source_pid) : std::nullopt;
        n0 = messages;
    }
    void end(const scenario_options& o, std::uint64_t messages, scenario_result& r) const {
        r.seconds = secs(steady::now() - t0);
        r.cpu_seconds = process_cpu_seconds() - cpu0;
        if (o.source_pid && source0) {
            if (auto s1 = other_process_cpu_seconds(*o.source_pid)) {
                r.source_cpu_percent = (*s1 - *source0) / r.seconds * 100.0;
            }
        }
        r.messages = messages - n0;
        r.messages_per_s = r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0;
        r.cpu_percent = r.seconds > 0 ? r.cpu_seconds / r.seconds * 100.0 : 0;
        r.cpu_per_million =
            r.messages > 0 ? r.cpu_seconds / static_cast<double>(r.messages) * 1e6 : 0;
        r.peak_rss = peak_rss_bytes();
        r.rss_end = rss_bytes();
    }
};

// Sleeps until `until`, sampling RSS every `every` (if non-zero) into `out`.
void wait_sampling(steady::time_point start, steady::time_point until,
                   std::chrono::milliseconds every, std::vector<rss_sample>& out) {
    if (every.count() <= 0) {
        std::this_thread::sleep_until(until);
        return;
    }
    auto next = steady::now();
    while (next < until) {
        std::this_thread::sleep_until(next);
        out.push_back({secs(steady::now() - start), static_cast<double>(rss_bytes())});
        next += every;
    }
    std::this_thread::sleep_until(until);
}

// (a) and (b): one WebSocket client on this thread.
result<scenario_result> run_client(scenario s, const scenario_options& o, std::string& reason) {
    auto url = net::parse_ws_url(o.url, reason);
    if (!url) {
        return url.error();
    }
    model::instrument_registry registry;
    for (const auto& t : o.topics) {
        if (auto p = exchange::bybit::parse_topic(t)) {
            (void)registry.intern(model::venue::bybit, model::category::linear, p->symbol);
        }
    }
    asio::io_context ioc{1};
    net::ws_session session{ioc.get_executor(), nullptr, {}};
    exchange::bybit::decoder decoder;
    std::uint64_t frames = 0;
    std::uint64_t errors = 0;
    bool connected = false;
    scenario_result r;
    r.kind = s;
    window w;
    (void)reset_peak_rss();
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            net::connect_step step{};
            if (auto ec = co_await session.connect(*url, step); ec) {
                reason = fmt::format("connect to {} failed at {}: {}", o.url, net::to_string(step),
                                     ec.message());
                co_return;
            }
            connected = true;
            std::uint64_t next_id = 1;
            std::string why;
            auto reqs =
                exchange::bybit::build_requests(exchange::bybit::request_op::subscribe,
                                                model::category::linear, o.topics, next_id, why);
            if (!reqs) {
                reason = why;
                session.close(false);
                co_return;
            }
            for (auto& q : *reqs) {
                session.send(std::move(q.payload));
            }
            const exchange::bybit::parse_context base{
                model::category::linear, &registry, false, {}};
            for (;;) {
                std::string_view text;
                if (auto ec = co_await session.read(text); ec) {
                    co_return;
                }
                if (s == scenario::floor) {
                    ++frames;
                    continue;
                }
                auto ctx = base;
                ctx.ts_recv = core::default_clock().now();
                auto d = decoder.decode(text, ctx);
                if (!d) {
                    ++errors;
                } else if ((*d)->type != exchange::bybit::frame_type::control) {
                    ++frames;
                }
            }
        },
        asio::detached);
    asio::steady_timer timer{ioc};
    timer.expires_after(o.warmup);
    timer.async_wait([&](boost::system::error_code) {
        w.begin(o, frames);
        timer.expires_after(o.duration);
        timer.async_wait([&](boost::system::error_code) {
            w.end(o, frames, r);
            session.close(false);
        });
    });
    ioc.run();
    if (!connected) {
        return boost::system::errc::make_error_code(boost::system::errc::connection_refused);
    }
    r.decode_errors = errors;
    if (r.messages == 0) {
        reason = "no data frame arrived in the measured window";
        return boost::system::errc::make_error_code(boost::system::errc::timed_out);
    }
    return r;
}

// The consumer that measures (c, d): applied -> callback latency, calls counted.
class measuring_consumer final : public dispatch::consumer {
  public:
    explicit measuring_consumer(const std::atomic<bool>& recording) : recording_(recording) {}
    void on_book(const dispatch::book_view& b, std::stop_token) override {
        if (recording_.load(std::memory_order_relaxed)) {
            latency.record(steady::now() - b.applied);
        }
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    void on_ticker(const dispatch::ticker_view& t, std::stop_token) override {
        if (recording_.load(std::memory_order_relaxed)) {
            latency.record(steady::now() - t.applied);
        }
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    void on_trade(const model::trade&, std::stop_token) override {
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    void on_kline(const model::kline&, std::stop_token) override {
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    void on_liquidation(const model::liquidation&, std::stop_token) override {
        calls.fetch_add(1, std::memory_order_relaxed);
    }

    latency_histogram latency;
    std::atomic<std::uint64_t> calls{0};

  private:
    const std::atomic<bool>& recording_; // outlives: the gateway run
};

// (d)'s slow consumer: sleeps in every callback (a blocking sink, a slow disk, a stuck user).
class sleeping_consumer final : public dispatch::consumer {
  public:
    explicit sleeping_consumer(std::chrono::microseconds d) : sleep_(d) {}
    void on_book(const dispatch::book_view&, std::stop_token) override { nap(); }
    void on_ticker(const dispatch::ticker_view&, std::stop_token) override { nap(); }
    void on_trade(const model::trade&, std::stop_token) override { nap(); }
    void on_kline(const model::kline&, std::stop_token) override { nap(); }
    void on_liquidation(const model::liquidation&, std::stop_token) override { nap(); }
    std::atomic<std::uint64_t> calls{0};

  private:
    void nap() {
        std::this_thread::sleep_for(sleep_);
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    std::chrono::microseconds sleep_;
};

// (c) and (d): the gateway.
result<scenario_result> run_gateway(scenario s, const scenario_options& o, std::string& reason) {
    std::atomic<bool> recording{false};
    std::atomic<std::uint64_t> applied{0};
    latency_histogram handled;
    gateway::gateway_options go;
    go.cat = model::category::linear;
    go.ws_url = o.url;
    go.topics = o.topics;
    go.probe_enabled = false;
    go.http_enabled = o.api;
    go.http.address = "127.0.0.1";
    go.http.port = 0;
    go.shards = o.shards;
    go.consumer_threads = o.consumer_threads;
    go.spin = o.spin;
    go.summary_interval = std::chrono::hours(24);
    go.drain_timeout = 2s;
    go.version = "bench";
    go.on_handled = [&](std::chrono::nanoseconds d) {
        applied.fetch_add(1, std::memory_order_relaxed);
        if (recording.load(std::memory_order_relaxed)) {
            handled.record(d);
        }
    };
    auto fast = std::make_shared<measuring_consumer>(recording);
    auto slow = std::make_shared<sleeping_consumer>(o.slow_sleep);
    scenario_result r;
    r.kind = s;
    std::uint64_t fast0 = 0;
    std::uint64_t slow0 = 0;
    window w;
    std::string metrics;
    {
        gateway::gateway gw{go};
        dispatch::consumer_options co;
        co.name = "measure";
        co.book_levels = o.book_levels;
        gw.add_consumer(fast, co);
        if (s == scenario::slow_consumer) {
            co.name = "slow";
            co.budget = 10s;
            gw.add_consumer(slow, co);
        }
        (void)reset_peak_rss();
        if (!gw.start(reason)) {
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        }
        std::this_thread::sleep_for(o.warmup);
        fast0 = fast->calls.load();
        slow0 = slow->calls.load();
        std::optional<book_readers> readers;
        if (o.readers.threads > 0 && gw.market_cache() != nullptr) {
            readers.emplace(*gw.market_cache(), gw.instruments(), go.cat, o.topics, o.readers);
        }
        recording.store(true);
        w.begin(o, applied.load());
        const auto start = steady::now();
        wait_sampling(start, start + o.duration, o.rss_interval, r.rss_samples);
        recording.store(false);
        w.end(o, applied.load(), r);
        if (readers) {
            r.readers = readers->stop();
        }
        r.callbacks_per_s = static_cast<double>(fast->calls.load() - fast0) / r.seconds;
        r.slow_callbacks_per_s = static_cast<double>(slow->calls.load() - slow0) / r.seconds;
        metrics = gw.metrics_text();
        (void)gw.stop();
    }
    r.read_to_applied = figures_of(handled);
    r.applied_to_callback = figures_of(fast->latency);
    r.decode_errors = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_decode_errors_total"));
    r.gaps = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_book_gaps_total"));
    r.resyncs = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_book_resyncs_total"));
    r.queue_drops = static_cast<std::uint64_t>(
        metric_sum(metrics, "mdgate_queue_dropped_total", R"(reason="full")"));
    r.conflated = static_cast<std::uint64_t>(metric_sum(
        metrics, "mdgate_queue_dropped_total", R"(queue="consumer_measure",reason="conflated")"));
    r.books_live = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_books", R"(="live")"));
    r.books_total = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_books"));
    if (r.messages == 0) {
        reason = "no frame was applied in the measured window (is the source up?)";
        return boost::system::errc::make_error_code(boost::system::errc::timed_out);
    }
    return r;
}

} // namespace

std::string_view to_string(scenario s) noexcept {
    switch (s) {
    case scenario::floor:
        return "floor";
    case scenario::decode:
        return "decode";
    case scenario::pipeline:
        return "pipeline";
    case scenario::slow_consumer:
        return "slow_consumer";
    }
    return "unknown";
}

std::string_view label(scenario s) noexcept {
    switch (s) {
    case scenario::floor:
        return "(a) read only";
    case scenario::decode:
        return "(b) read+decode";
    case scenario::pipeline:
        return "(c) pipeline";
    case scenario::slow_consumer:
        return "(d) +slow consumer";
    }
    return "unknown";
}

latency_figures figures_of(const latency_histogram& h) {
    latency_figures f;
    f.count = h.count();
    f.p50_us = us(h.percentile(0.5));
    f.p99_us = us(h.percentile(0.99));
    f.p999_us = us(h.percentile(0.999));
    f.max_us = us(h.max());
    return f;
}

result<scenario_result> run_scenario(scenario s, const scenario_options& opts,
                                     std::string& reason) {
    if (opts.topics.empty() || opts.duration.count() <= 0) {
        reason = "no topics, or a zero duration";
        return errc::invalid_argument;
    }
    switch (s) {
    case scenario::floor:
    case scenario::decode:
        return run_client(s, opts, reason);
    case scenario::pipeline:
    case scenario::slow_consumer:
        return run_gateway(s, opts, reason);
    }
    return errc::invalid_argument;
}

result<fanout_result> run_fanout(const scenario_options& o, const fanout_options& f,
                                 std::size_t subscribers, bool stalled, std::string& reason) {
    std::atomic<bool> recording{false};
    std::atomic<std::uint64_t> applied{0};
    latency_histogram handled;
    gateway::gateway_options go;
    go.cat = model::category::linear;
    go.ws_url = o.url + fmt::format("?rate={:.0f}", f.rate);
    go.topics = o.topics;
    go.probe_enabled = false;
    go.http_enabled = true;
    go.http.address = "127.0.0.1";
    go.http.port = 0;
    go.http.max_connections = std::max<std::size_t>(64, subscribers + 16);
    go.api.stream.max_subscribers = std::max<std::size_t>(256, subscribers + 2);
    go.api.stream.slow_close_after = f.slow_close_after;
    go.shards = o.shards;
    go.consumer_threads = o.consumer_threads;
    go.spin = o.spin;
    go.summary_interval = std::chrono::hours(24);
    go.drain_timeout = 2s;
    go.version = "bench";
    go.on_handled = [&](std::chrono::nanoseconds d) {
        applied.fetch_add(1, std::memory_order_relaxed);
        if (recording.load(std::memory_order_relaxed)) {
            handled.record(d);
        }
    };
    auto fast = std::make_shared<measuring_consumer>(recording);
    fanout_result fr;
    fr.subscribers = subscribers;
    fr.stalled = stalled;
    auto& r = fr.ingest;
    r.kind = scenario::pipeline;
    window w;
    std::string metrics;
    std::unique_ptr<stream_subscribers> subs;
    {
        gateway::gateway gw{go};
        dispatch::consumer_options co;
        co.name = "measure";
        co.book_levels = o.book_levels;
        gw.add_consumer(fast, co);
        (void)reset_peak_rss();
        if (!gw.start(reason)) {
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        }
        const auto too_slow = [&gw] {
            return static_cast<std::uint64_t>(
                metric_sum(gw.metrics_text(), "mdgate_stream_closed_total", R"("too_slow")"));
        };
        steady::time_point subscribed_at;
        if (subscribers > 0 || stalled) {
            subscribers_options so;
            so.port = gw.http_port();
            so.count = subscribers;
            so.stalled = stalled;
            so.channels = f.channels;
            subs = std::make_unique<stream_subscribers>(so);
            if (!subs->start(reason)) {
                return boost::system::errc::make_error_code(boost::system::errc::timed_out);
            }
            subscribed_at = steady::now();
        }
        const auto check_stalled = [&] {
            if (stalled && fr.stalled_closed_after_s < 0 && too_slow() > 0) {
                fr.stalled_closed_after_s = secs(steady::now() - subscribed_at);
            }
        };
        std::this_thread::sleep_for(o.warmup);
        const auto m0 = gw.metrics_text();
        const auto totals0 = subs ? subs->totals() : subscribers_totals{};
        const double client0 = subs ? subs->cpu_seconds() : 0;
        recording.store(true);
        if (subs) {
            subs->set_recording(true);
        }
        w.begin(o, applied.load());
        const auto start = steady::now();
        // With a stalled subscriber, look for its close four times a second (metrics_text
        // runs on the gateway's I/O thread: a small, equal cost; the others do not poll).
        for (auto t = start; t < start + o.duration;) {
            t = std::min(t + 250ms, start + o.duration);
            std::this_thread::sleep_until(t);
            check_stalled();
        }
        recording.store(false);
        if (subs) {
            subs->set_recording(false);
        }
        w.end(o, applied.load(), r);
        const double client1 = subs ? subs->cpu_seconds() : 0;
        const auto totals1 = subs ? subs->totals() : subscribers_totals{};
        metrics = gw.metrics_text();
        fr.client_cpu_percent = (client1 - client0) / r.seconds * 100.0;
        if (subscribers > 0) {
            double sum = 0;
            double lo = 0;
            double hi = 0;
            for (std::size_t i = 0; i < subscribers; ++i) {
                const auto rate =
                    static_cast<double>(totals1.messages[i] - totals0.messages[i]) / r.seconds;
                sum += rate;
                lo = i == 0 ? rate : std::min(lo, rate);
                hi = std::max(hi, rate);
            }
            fr.messages_per_subscriber_per_s = sum / static_cast<double>(subscribers);
            fr.min_per_subscriber_per_s = lo;
            fr.max_per_subscriber_per_s = hi;
            fr.conflated_snapshots = totals1.conflated_snapshots - totals0.conflated_snapshots;
            fr.reading_closed = totals1.closed;
        }
        fr.conflated =
            static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_stream_conflated_total") -
                                       metric_sum(m0, "mdgate_stream_conflated_total"));
        fr.stream_dropped =
            static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_stream_dropped_total") -
                                       metric_sum(m0, "mdgate_stream_dropped_total"));
        // Not closed yet: wait for it (unmeasured) up to slow_close_after + 10 s.
        const auto give_up = subscribed_at + f.slow_close_after + 10s;
        while (stalled && fr.stalled_closed_after_s < 0 && steady::now() < give_up) {
            std::this_thread::sleep_for(250ms);
            check_stalled();
        }
        fr.too_slow_closes = too_slow();
        if (subs) {
            subs->stop();
        }
        (void)gw.stop();
    }
    if (subs) {
        fr.read_to_subscriber = figures_of(subs->latency());
    }
    r.read_to_applied = figures_of(handled);
    r.applied_to_callback = figures_of(fast->latency);
    r.decode_errors = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_decode_errors_total"));
    r.gaps = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_book_gaps_total"));
    r.resyncs = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_book_resyncs_total"));
    r.queue_drops = static_cast<std::uint64_t>(
        metric_sum(metrics, "mdgate_queue_dropped_total", R"(reason="full")"));
    r.books_live = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_books", R"(="live")"));
    r.books_total = static_cast<std::uint64_t>(metric_sum(metrics, "mdgate_books"));
    if (r.messages == 0) {
        reason = "no frame was applied in the measured window (is the source up?)";
        return boost::system::errc::make_error_code(boost::system::errc::timed_out);
    }
    return fr;
}

std::string machine_description() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    std::string model;
    unsigned cores = 0;
    while (std::getline(in, line)) {
        if (line.starts_with("model name")) {
            ++cores;
            if (model.empty()) {
                const auto c = line.find(':');
                model = c == std::string::npos ? line : line.substr(c + 2);
            }
        }
    }
    if (model.empty()) {
        return "unknown";
    }
    return fmt::format("{} x {}", model, cores);
}

namespace {

// The medians of one figure over the repetitions of one scenario.
template <class F> summary over(const std::vector<scenario_result>& rs, F f) {
    std::vector<double> v;
    v.reserve(rs.size());
    for (const auto& r : rs) {
        v.push_back(f(r));
    }
    return summarize(v);
}

[[nodiscard]] std::string mb(double bytes) {
    return fmt::format("{:.1f}", bytes / (1024.0 * 1024.0));
}

} // namespace

namespace {

// The fan-out runs' lines of the table.
std::string fanout_table(const bench_report& r) {
    std::string out;
    const auto& f = r.fanout_opts;
    out += fmt::format("\nfan-out at {:.0f} msgs/s to stream subscribers ({} channels each), "
                       "slow_close_after {} ms:\n",
                       f.rate, f.channels.size(), f.slow_close_after.count());
    out += fmt::format("{:<18} {:>9} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>17} "
                       "{:>9} {:>8}\n",
                       "subscribers", "msgs/s", "vs 0", "cpu %", "subs %", "peak MB", "r->a p99",
                       "r->s p50", "p99", "p99.9", "msgs/s/sub (min)", "conflated", "dropped");
    double base = 0;
    for (const auto& x : r.fanout) {
        if (x.subscribers == 0 && !x.stalled) {
            base = x.ingest.messages_per_s;
        }
    }
    for (const auto& x : r.fanout) {
        const auto name = x.stalled ? fmt::format("{} + 1 stalled", x.subscribers)
                                    : fmt::format("{}", x.subscribers);
        const bool has = x.subscribers > 0;
        out += fmt::format(
            "{:<18} {:>9.0f} {:>6.3f} {:>6.0f} {:>8.0f} {:>8} {:>8.1f} {:>8} {:>8} {:>8} {:>17} "
            "{:>9} {:>8}\n",
            name, x.ingest.messages_per_s, base > 0 ? x.ingest.messages_per_s / base : 0,
            x.ingest.cpu_percent, x.client_cpu_percent, mb(static_cast<double>(x.ingest.peak_rss)),
            x.ingest.read_to_applied.p99_us,
            has ? fmt::format("{:.0f}", x.read_to_subscriber.p50_us) : "-",
            has ? fmt::format("{:.0f}", x.read_to_subscriber.p99_us) : "-",
            has ? fmt::format("{:.0f}", x.read_to_subscriber.p999_us) : "-",
            has ? fmt::format("{:.0f} ({:.0f})", x.messages_per_subscriber_per_s,
                              x.min_per_subscriber_per_s)
                : "-",
            x.conflated, x.stream_dropped);
    }
    out += "r->s = the message's ts_recv (frame read) -> the subscriber read it (wall clock, us); "
           "subs % = the subscribers' own thread, included in cpu %; conflated = "
           "mdgate_stream_conflated_total in the window.\n";
    for (const auto& x : r.fanout) {
        if (x.reading_closed > 0) {
            out += fmt::format("WARNING: {} reading subscribers were closed during the {} run\n",
                               x.reading_closed, x.subscribers);
        }
        if (x.stalled) {
            out += x.stalled_closed_after_s >= 0
                       ? fmt::format("stalled subscriber: closed `too slow` {:.1f} s after it "
                                     "subscribed (slow_close_after {} ms); too_slow closes: {}\n",
                                     x.stalled_closed_after_s, f.slow_close_after.count(),
                                     x.too_slow_closes)
                       : fmt::format("stalled subscriber: NOT closed within slow_close_after + "
                                     "10 s (too_slow closes: {})\n",
                                     x.too_slow_closes);
        }
    }
    return out;
}

} // namespace

std::string render_table(const bench_report& r) {
    std::string out;
    out += fmt::format("mdgate bench: {}\nmachine: {}\nframe set: {} frames per pass, {} MB\n\n",
                       r.parameters, r.machine, r.frames_per_pass,
                       mb(static_cast<double>(r.bytes_per_pass)));
    double floor_rate = 0;
    for (const auto& [s, rs] : r.runs) {
        if (s == scenario::floor) {
            floor_rate = over(rs, [](const auto& x) { return x.messages_per_s; }).median;
        }
    }
    out += fmt::format("{:<20} {:>11} {:>7} {:>6} {:>8} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} "
                       "{:>8} {:>9} {:>9}\n",
                       "scenario", "msgs/s", "spread", "vs (a)", "cpu s/M", "cpu %", "src %",
                       "peak MB", "r->a p50", "p99", "p99.9", "a->c p50", "p99", "cb/s");
    for (const auto& [s, rs] : r.runs) {
        const auto rate = over(rs, [](const auto& x) { return x.messages_per_s; });
        const bool has_lat = s == scenario::pipeline || s == scenario::slow_consumer;
        auto lat = [&](auto f) {
            return has_lat ? fmt::format("{:.1f}", over(rs, f).median) : std::string("-");
        };
        out += fmt::format(
            "{:<20} {:>11.0f} {:>6.0f}% {:>6.2f} {:>8.2f} {:>7.0f} {:>7.0f} {:>8} {:>8} {:>8} "
            "{:>8} {:>8} {:>9} {:>9}\n",
            label(s), rate.median, rate.spread() * 100,
            floor_rate > 0 ? rate.median / floor_rate : 0,
            over(rs, [](const auto& x) { return x.cpu_per_million; }).median,
            over(rs, [](const auto& x) { return x.cpu_percent; }).median,
            over(rs, [](const auto& x) { return x.source_cpu_percent; }).median,
            mb(over(rs, [](const auto& x) { return static_cast<double>(x.peak_rss); }).median),
            lat([](const auto& x) { return x.read_to_applied.p50_us; }),
            lat([](const auto& x) { return x.read_to_applied.p99_us; }),
            lat([](const auto& x) { return x.read_to_applied.p999_us; }),
            lat([](const auto& x) { return x.applied_to_callback.p50_us; }),
            lat([](const auto& x) { return x.applied_to_callback.p99_us; }),
            has_lat ? fmt::format("{:.0f}",
                                  over(rs, [](const auto& x) { return x.callbacks_per_s; }).median)
                    : std::string("-"));
    }
    out += "\nlatencies in microseconds: r->a = frame routed to a shard -> state applied; "
           "a->c = state applied -> consumer callback.\n";
    std::uint64_t drops = 0;
    std::uint64_t gaps = 0;
    std::uint64_t errors = 0;
    for (const auto& [s, rs] : r.runs) {
        for (const auto& x : rs) {
            drops += x.queue_drops;
            gaps += x.gaps;
            errors += x.decode_errors;
        }
        if (s == scenario::slow_consumer) {
            const auto slow = over(rs, [](const auto& x) { return x.slow_callbacks_per_s; });
            out += fmt::format("(d) slow consumer: {:.0f} callbacks/s\n", slow.median);
        }
    }
    out += fmt::format(
        "integrity: {} decode errors, {} book gaps, {} shard queue drops{}\n", errors, gaps, drops,
        drops + gaps + errors == 0 ? " (books valid throughout)" : " (figures include resyncs)");
    for (const auto& [target, x] : r.rates) {
        out +=
            fmt::format("rate {:>9.0f} msgs/s: got {:>9.0f}/s, cpu {:>5.1f}% of a core, "
                        "RSS {} MB (peak {}), r->a p50 {:.1f} p99 {:.1f} p99.9 {:.1f} us\n",
                        target, x.messages_per_s, x.cpu_percent, mb(static_cast<double>(x.rss_end)),
                        mb(static_cast<double>(x.peak_rss)), x.read_to_applied.p50_us,
                        x.read_to_applied.p99_us, x.read_to_applied.p999_us);
    }
    if (r.soak) {
        out += fmt::format(
            "soak {:.0f} s at {:.0f} msgs/s: {} RSS samples, {} -> {} MB, slope "
            "{:.0f} bytes/hour (bound {:.0f}): {}\n",
            r.soak->seconds, r.soak->messages_per_s, r.soak->rss_samples.size(),
            r.soak->rss_samples.empty() ? std::string("-") : mb(r.soak->rss_samples.front().bytes),
            mb(static_cast<double>(r.soak->rss_end)), r.soak_slope_per_hour, r.soak_bound_per_hour,
            r.soak_slope_per_hour <= r.soak_bound_per_hour ? "PASS" : "FAIL");
    }
    if (!r.fanout.empty()) {
        out += fanout_table(r);
    }
    out += render_readers_table(r);
    return out;
}

namespace {

void json_result(std::string& out, const scenario_result& x) {
    auto lat = [](const latency_figures& f) {
        return fmt::format(
            R"({{"count":{},"p50_us":{:.3f},"p99_us":{:.3f},"p999_us":{:.3f},"max_us":{:.3f}}})",
            f.count, f.p50_us, f.p99_us, f.p999_us, f.max_us);
    };
    out +=
        fmt::format(R"({{"scenario":"{}","seconds":{:.3f},"messages":{},"messages_per_s":{:.1f},)"
                    R"("cpu_seconds":{:.4f},"cpu_seconds_per_million":{:.4f},"cpu_percent":{:.2f},)"
                    R"("source_cpu_percent":{:.2f},"peak_rss_bytes":{},"rss_end_bytes":{},)"
                    R"("read_to_applied":{},"applied_to_callback":{},"callbacks_per_s":{:.1f},)"
                    R"("slow_callbacks_per_s":{:.1f},"conflated":{},"decode_errors":{},"gaps":{},)"
                    R"("resyncs":{},"queue_drops":{},"books_live":{},"books_total":{})",
                    to_string(x.kind), x.seconds, x.messages, x.messages_per_s, x.cpu_seconds,
                    x.cpu_per_million, x.cpu_percent, x.source_cpu_percent, x.peak_rss, x.rss_end,
                    lat(x.read_to_applied), lat(x.applied_to_callback), x.callbacks_per_s,
                    x.slow_callbacks_per_s, x.conflated, x.decode_errors, x.gaps, x.resyncs,
                    x.queue_drops, x.books_live, x.books_total);
    if (!x.rss_samples.empty()) {
        out += R"(,"rss_samples":[)";
        for (std::size_t i = 0; i < x.rss_samples.size(); ++i) {
            out += fmt::format("{}[{:.1f},{:.0f}]", i == 0 ? "" : ",", x.rss_samples[i].seconds,
                               x.rss_samples[i].bytes);
        }
        out += ']';
    }
    out += '}';
}

[[nodiscard]] std::string json_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::string render_json(const bench_report& r) {
    std::string out;
    out += fmt::format(
        R"({{"machine":"{}","parameters":"{}","frames_per_pass":{},"bytes_per_pass":{},)"
        R"("scenarios":[)",
        json_escape(r.machine), json_escape(r.parameters), r.frames_per_pass, r.bytes_per_pass);
    double floor_rate = 0;
    for (const auto& [s, rs] : r.runs) {
        if (s == scenario::floor) {
            floor_rate = over(rs, [](const auto& x) { return x.messages_per_s; }).median;
        }
    }
    bool first = true;
    for (const auto& [s, rs] : r.runs) {
        const auto rate = over(rs, [](const auto& x) { return x.messages_per_s; });
        const auto cpu = over(rs, [](const auto& x) { return x.cpu_per_million; });
        const auto rss = over(rs, [](const auto& x) { return static_cast<double>(x.peak_rss); });
        const auto p99 = over(rs, [](const auto& x) { return x.read_to_applied.p99_us; });
        out += fmt::format(
            R"({}{{"scenario":"{}","messages_per_s":{{"median":{:.1f},"min":{:.1f},)"
            R"("max":{:.1f}}},"ratio_to_floor":{:.4f},"cpu_seconds_per_million":{{)"
            R"("median":{:.4f},"min":{:.4f},"max":{:.4f}}},"peak_rss_bytes":{{"median":{:.0f},)"
            R"("min":{:.0f},"max":{:.0f}}},"read_to_applied_p99_us":{{"median":{:.3f},)"
            R"("min":{:.3f},"max":{:.3f}}},"repetitions":[)",
            first ? "" : ",", to_string(s), rate.median, rate.min, rate.max,
            floor_rate > 0 ? rate.median / floor_rate : 0.0, cpu.median, cpu.min, cpu.max,
            rss.median, rss.min, rss.max, p99.median, p99.min, p99.max);
        first = false;
        for (std::size_t i = 0; i < rs.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            json_result(out, rs[i]);
        }
        out += "]}";
    }
    out += R"(],"rates":[)";
    for (std::size_t i = 0; i < r.rates.size(); ++i) {
        out += fmt::format(R"({}{{"target_per_s":{:.1f},"result":)", i == 0 ? "" : ",",
                           r.rates[i].first);
        json_result(out, r.rates[i].second);
        out += '}';
    }
    out += ']';
    if (r.soak) {
        out +=
            fmt::format(R"(,"soak":{{"slope_bytes_per_hour":{:.1f},"bound_bytes_per_hour":{:.1f},)"
                        R"("pass":{},"result":)",
                        r.soak_slope_per_hour, r.soak_bound_per_hour,
                        r.soak_slope_per_hour <= r.soak_bound_per_hour ? "true" : "false");
        json_result(out, *r.soak);
        out += '}';
    }
    if (!r.fanout.empty()) {
        out += fmt::format(R"(,"fanout":{{"rate_per_s":{:.1f},"channels":{},)"
                           R"("slow_close_after_ms":{},"runs":[)",
                           r.fanout_opts.rate, r.fanout_opts.channels.size(),
                           r.fanout_opts.slow_close_after.count());
        double base = 0;
        for (const auto& x : r.fanout) {
            if (x.subscribers == 0 && !x.stalled) {
                base = x.ingest.messages_per_s;
            }
        }
        for (std::size_t i = 0; i < r.fanout.size(); ++i) {
            const auto& x = r.fanout[i];
            const auto& l = x.read_to_subscriber;
            out += fmt::format(
                R"({}{{"subscribers":{},"stalled":{},"ratio_to_no_subscribers":{:.4f},)"
                R"("read_to_subscriber":{{"count":{},"p50_us":{:.1f},"p99_us":{:.1f},)"
                R"("p999_us":{:.1f},"max_us":{:.1f}}},"messages_per_subscriber_per_s":{:.1f},)"
                R"("min_per_subscriber_per_s":{:.1f},"max_per_subscriber_per_s":{:.1f},)"
                R"("conflated":{},"conflated_snapshots":{},"stream_dropped":{},)"
                R"("reading_closed":{},"client_cpu_percent":{:.2f},"too_slow_closes":{},)"
                R"("stalled_closed_after_s":{:.2f},"result":)",
                i == 0 ? "" : ",", x.subscribers, x.stalled ? "true" : "false",
                base > 0 ? x.ingest.messages_per_s / base : 0.0, l.count, l.p50_us, l.p99_us,
                l.p999_us, l.max_us, x.messages_per_subscriber_per_s, x.min_per_subscriber_per_s,
                x.max_per_subscriber_per_s, x.conflated, x.conflated_snapshots, x.stream_dropped,
                x.reading_closed, x.client_cpu_percent, x.too_slow_closes,
                x.stalled_closed_after_s);
            json_result(out, x.ingest);
            out += '}';
        }
        out += "]}";
    }
    out += render_readers_json(r);
    out += "}\n";
    return out;
}

} // namespace mdg::perf
