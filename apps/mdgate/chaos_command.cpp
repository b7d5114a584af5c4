// `mdgate chaos`: the gateway and the simulator in one process under a random schedule of every
// fault of the simulator's catalogue, with a slow consumer beside a reference one. At each quiet
// point (the market paused) it checks that every book equals the simulator's truth, that
// nothing a consumer missed went uncounted, and that descriptors and allocator bytes stay flat.
// Prints one table row per quiet point; exits 1 on any violation (docs/reliability.md).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <malloc.h>
#include <map>
#include <random>
#include <ranges>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "apps/mdgate/commands.hpp"
#include "apps/mdgate/signals.hpp"
#include "apps/mdgate/truth_check.hpp"
#include "cli/input_checks.hpp"
#include "monitor/prom_text.hpp"
#include "sim/server.hpp"

// The sanitizers' allocators keep their own count; glibc's mallinfo2 does not see them.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace mdg::app {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

/// Bytes the allocator has handed out and not taken back (all threads).
std::size_t heap_bytes() {
    if (&__sanitizer_get_current_allocated_bytes != nullptr) {
        return __sanitizer_get_current_allocated_bytes();
    }
    const auto mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

std::size_t open_descriptors() {
    std::error_code ec;
    std::size_t n = 0;
    for (std::filesystem::directory_iterator it{"/proc/self/fd", ec}, end; !ec && it != end;
         it.increment(ec)) {
        ++n;
    }
    return n;
}

/// Runs `f` on the simulator's thread (its state is not locked) and returns its result.
template <class F> auto on_sim(asio::io_context& ioc, F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task{std::move(f)};
    auto done = task.get_future();
    asio::post(ioc, [&task] { task(); });
    return done.get();
}

/// Counts what it receives. The slow one sleeps on every FIFO event (trades, candles,
/// liquidations), now and then for a second, and rarely past its callback budget (it then
/// stops when the pool asks it to), so that its queue overflows and the pool's timeout path
/// runs; the reference one only counts.
class counting_consumer final : public dispatch::consumer {
  public:
    counting_consumer(bool slow, std::uint64_t seed) : slow_{slow}, rng_{seed} {}

    void on_book(const dispatch::book_view& /*b*/, std::stop_token /*s*/) override {
        conflating.fetch_add(1, std::memory_order_relaxed);
    }
    void on_ticker(const dispatch::ticker_view& /*t*/, std::stop_token /*s*/) override {
        conflating.fetch_add(1, std::memory_order_relaxed);
    }
    void on_trade(const model::trade& /*t*/, std::stop_token s) override { fifo_event(s); }
    void on_kline(const model::kline& /*k*/, std::stop_token s) override { fifo_event(s); }
    void on_liquidation(const model::liquidation& /*l*/, std::stop_token s) override {
        fifo_event(s);
    }
    void on_trades_stale(model::instrument_id /*i*/, std::stop_token s) override { fifo_event(s); }
    // The backfill's history batches and the polled REST answers are FIFO events too.
    void on_kline_history(std::span<const model::kline> /*h*/, std::stop_token s) override {
        fifo_event(s);
    }
    void on_trade_history(std::span<const model::trade> /*h*/, std::stop_token s) override {
        fifo_event(s);
    }
    void on_open_interest_history(model::instrument_id /*i*/,
                                  std::span<const model::open_interest_point> /*h*/,
                                  std::stop_token s) override {
        fifo_event(s);
    }
    void on_venue_data(const dispatch::venue_data& /*d*/, std::stop_token s) override {
        fifo_event(s);
    }

    std::atomic<std::uint64_t> fifo{0}; ///< trades, candles, liquidations, stale marks, history
    std::atomic<std::uint64_t> conflating{0}; ///< book and ticker states

  private:
    // Counted when the callback ends, as the pool counts it delivered.
    void fifo_event(const std::stop_token& s) {
        if (!slow_) {
            fifo.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const auto dice = rng_() % 50'000;
        const auto pause = dice == 0 ? 4s : dice < 10 ? ms{1000} : ms{0};
        const auto until = steady::now() + (pause == ms{0} ? std::chrono::microseconds{100}
                                                           : std::chrono::microseconds{pause});
        while (!s.stop_requested() && steady::now() < until) {
            std::this_thread::sleep_for(std::min<steady::duration>(10ms, until - steady::now()));
        }
        fifo.fetch_add(1, std::memory_order_relaxed);
    }

    bool slow_;
    std::mt19937_64 rng_; // only the consumer's own (serial) calls use it
};

/// One scripted fault of a round.
struct planned_fault {
    ms at{0};
    sim::action action;
    std::string words;
};

/// The fault kinds the schedule draws from: the whole catalogue of the simulator but pause and
/// resume (which the quiet points use).
constexpr std::array fault_kinds{
    sim::action_kind::drop,
    sim::action_kind::stall,
    sim::action_kind::skip_update,
    sim::action_kind::crossed,
    sim::action_kind::bad_number,
    sim::action_kind::oversized_snapshot,
    sim::action_kind::restart,
    sim::action_kind::malformed,
    sim::action_kind::oversized,
    sim::action_kind::reject_subscription,
    sim::action_kind::rest_time,
    sim::action_kind::refuse_ws,
    sim::action_kind::ignore_subscription,
};

std::string seconds_text(ms d) {
    return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

/// The kinds named in `list` ("all" or comma-separated names of fault_kinds), or empty with
/// `reason` set.
std::vector<sim::action_kind> parse_fault_kinds(std::string_view list, std::string& reason) {
    if (list == "all") {
        return {fault_kinds.begin(), fault_kinds.end()};
    }
    std::vector<sim::action_kind> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto name = list.substr(0, comma);
        const auto it = std::ranges::find(fault_kinds, name, sim::to_string);
        if (it == fault_kinds.end()) {
            reason =
                fmt::format("--faults: unknown fault '{}' (known: {})", name,
                            fmt::join(fault_kinds | std::views::transform(sim::to_string), ","));
            return {};
        }
        out.push_back(*it);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    if (out.empty()) {
        reason = "--faults: no fault named";
    }
    return out;
}

/// The faults of one round of `length`: 1 to 3, each at a random time in its first 60 %.
std::vector<planned_fault> plan_round(std::mt19937_64& rng, ms length,
                                      const std::vector<sim::action_kind>& kinds,
                                      const std::vector<sim::symbol_config>& symbols) {
    const auto pick = [&](std::uint64_t n) {
        return rng() % n;
    };
    const auto between = [&](ms lo, ms hi) {
        return lo +
               ms{static_cast<ms::rep>(pick(static_cast<std::uint64_t>((hi - lo).count()) + 1))};
    };
    std::vector<planned_fault> out;
    const auto n = 1 + pick(3);
    const auto window = length * 6 / 10;
    for (std::uint64_t i = 0; i < n; ++i) {
        planned_fault f;
        f.at = between(0ms, window);
        auto& a = f.action;
        a.kind = kinds[pick(kinds.size())];
        const auto topic = "orderbook.50." + symbols[pick(symbols.size())].symbol;
        switch (a.kind) {
        case sim::action_kind::drop:
            a.mode = pick(2) == 0 ? "close" : "reset";
            f.words = fmt::format("drop ({})", a.mode);
            break;
        case sim::action_kind::stall:
            a.duration = between(1s, std::clamp<ms>(length / 2, 1s, 10s));
            f.words = fmt::format("stall {}", seconds_text(a.duration));
            break;
        case sim::action_kind::bad_number: {
            constexpr std::array modes{"precision", "malformed", "zero"};
            a.mode = modes[pick(modes.size())];
            a.topic = topic;
            f.words = fmt::format("bad number ({}) on {}", a.mode, topic);
            break;
        }
        case sim::action_kind::rest_time: {
            constexpr std::array modes{"slow", "error", "refuse"};
            a.mode = modes[pick(modes.size())];
            a.duration = between(1s, 5s);
            a.delay = between(100ms, 3s);
            f.words = fmt::format("REST time {} for {}", a.mode, seconds_text(a.duration));
            break;
        }
        case sim::action_kind::refuse_ws:
            a.duration = between(1s, 5s);
            f.words = fmt::format("refuse WebSocket connections {}", seconds_text(a.duration));
            break;
        case sim::action_kind::oversized:
            a.bytes = 2U << 20;
            f.words = "oversized frame (2 MiB)";
            break;
        case sim::action_kind::oversized_snapshot:
            a.levels = 6000;
            a.topic = topic;
            f.words = fmt::format("oversized snapshot on {}", topic);
            break;
        case sim::action_kind::skip_update:
        case sim::action_kind::crossed:
        case sim::action_kind::reject_subscription:
        case sim::action_kind::ignore_subscription:
            a.topic = topic;
            f.words = fmt::format("{} on {}", sim::to_string(a.kind), topic);
            break;
        default:
            f.words = std::string{sim::to_string(a.kind)};
            break;
        }
        if (a.kind == sim::action_kind::reject_subscription ||
            a.kind == sim::action_kind::ignore_subscription) {
            // Both act only on the topic's next subscribe: a crossed book right after makes
            // the gateway resubscribe, so that it happens within the round.
            out.push_back(f);
            f.at += 500ms;
            f.action.kind = sim::action_kind::crossed;
            f.words = fmt::format("crossed on {} (to resubscribe it)", topic);
        }
        out.push_back(std::move(f));
    }
    std::ranges::sort(out, {}, &planned_fault::at);
    return out;
}

/// The gateway's counters a quiet point reads, from its own /metrics text.
struct consumer_figures {
    double delivered = 0;
    double dropped_oldest = 0;
    double conflated = 0;
    double depth = 0;
};

struct scrape {
    std::vector<monitor::sample> samples;

    [[nodiscard]] double sum(std::string_view name, monitor::label_filter f = {}) const {
        return monitor::sum_samples(samples, name, f).value_or(0);
    }
    [[nodiscard]] consumer_figures consumer(const std::string& name) const {
        const auto queue = "consumer_" + name;
        return {sum("mdgate_consumer_events_total", {{"consumer", name}}),
                sum("mdgate_queue_dropped_total", {{"queue", queue}, {"reason", "drop_oldest"}}),
                sum("mdgate_queue_dropped_total", {{"queue", queue}, {"reason", "conflated"}}),
                sum("mdgate_queue_depth", {{"queue", queue}})};
    }
};

/// Whether the gateway's readiness reasons (JSON) say the venue refused `topic`.
bool refused_by_venue(std::string_view reasons, const std::string& topic) {
    const auto at = reasons.find(fmt::format(R"("topic":"{}")", topic));
    if (at == std::string_view::npos) {
        return false;
    }
    const auto entry = reasons.substr(at, reasons.find('}', at) - at);
    return entry.find("rejected by the venue") != std::string_view::npos;
}

scrape scrape_of(gateway::gateway& gw) {
    std::string error;
    auto s = monitor::parse_prometheus_text(gw.metrics_text(), error);
    return {s ? std::move(*s) : std::vector<monitor::sample>{}};
}

/// One row of the table.
struct quiet_row {
    std::size_t index = 0;
    double at_s = 0;
    std::size_t faults = 0;
    double settle_s = 0;
    std::size_t equal = 0;
    std::size_t books = 0;
    std::size_t rejected = 0;
    std::uint64_t fifo_offered = 0;
    std::uint64_t slow_dropped = 0;
    std::uint64_t conflated = 0;
    std::size_t fds = 0;
    double heap_mib = 0;
    std::vector<std::string> violations;
};

} // namespace

int run_chaos(const chaos_args& args) {
    std::string reason;
    auto symbols = parse_symbols(args.symbols, reason);
    const auto rate =
        symbols ? cli::parse_number("--rate", args.rate, 1, 1e6, reason) : std::nullopt;
    const auto duration =
        rate ? cli::parse_duration_option("--duration", args.duration, 10s, 1000h, reason)
             : std::nullopt;
    const auto round =
        duration ? cli::parse_duration_option("--round", args.round, 4s, 1h, reason) : std::nullopt;
    const auto settle_timeout =
        round ? cli::parse_duration_option("--settle-timeout", args.settle_timeout, 1s, 1h, reason)
              : std::nullopt;
    const auto kinds =
        settle_timeout ? parse_fault_kinds(args.faults, reason) : std::vector<sim::action_kind>{};
    if (kinds.empty()) {
        std::fprintf(stderr, "mdgate: %s\n", reason.c_str());
        return 2;
    }
    asio::io_context ioc{1};
    const sighup_ignorer hangup{ioc};
    std::atomic<bool> interrupted{false};
    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int) { interrupted = !ec; });
    sim::server_options sopts;
    sopts.symbols = *symbols;
    sopts.rate = *rate;
    sopts.seed = args.seed;
    sim::server srv{ioc, sopts};
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 2;
    }
    auto work = asio::make_work_guard(ioc);
    std::jthread sim_thread{[&] {
        ioc.run();
    }};
    const auto stop_sim = [&] {
        on_sim(ioc, [&] {
            srv.stop();
            return 0;
        });
        work.reset();
        ioc.stop();
    };
    const auto apply = [&](const sim::action& a) {
        return on_sim(ioc, [&] {
            std::string why;
            return srv.apply(a, why) ? why : std::string{};
        });
    };

    // The gateway as `mdgate run` builds it from the default configuration, pointed at the
    // simulator, with a stall detected within seconds and no staleness from silence (the quiet
    // points pause the market; what they check is equality, not freshness).
    cli::gateway_config cfg = cli::default_config();
    cfg.symbols.clear();
    for (const auto& s : sopts.symbols) {
        cfg.symbols.push_back(s.symbol);
    }
    cfg.venue.ws_url = fmt::format("ws://127.0.0.1:{}/v5/public/linear", srv.port());
    cfg.venue.rest_url = fmt::format("http://127.0.0.1:{}", srv.port());
    cfg.connections.receive_timeout = 5s;
    cfg.connections.ping_interval = 2s;
    cfg.connections.pong_timeout = 3s;
    cfg.connections.backoff_base = 200ms;
    cfg.connections.backoff_cap = 2s;
    cfg.connections.subscribe_timeout = 2s;
    cfg.connections.refused_retry_base = 1s;
    cfg.connections.refused_retry_cap = 4s;
    cfg.freshness = {0ms, 0ms, 0ms, 0ms, 0ms};
    cfg.http.listen = "127.0.0.1:0";
    cfg.log.summary_interval = 60s;
    gateway::gateway gw{make_gateway_options(cfg)};
    auto slow = std::make_shared<counting_consumer>(true, args.seed);
    auto reference = std::make_shared<counting_consumer>(false, args.seed);
    dispatch::consumer_options slow_opts;
    slow_opts.name = "slow";
    slow_opts.queue_capacity = 512;
    dispatch::consumer_options ref_opts;
    ref_opts.name = "reference";
    ref_opts.queue_capacity = std::size_t{1} << 16;
    gw.add_consumer(slow, slow_opts);
    gw.add_consumer(reference, ref_opts);
    std::string error;
    if (!gw.start(error)) {
        std::fprintf(stderr, "mdgate: %s\n", error.c_str());
        stop_sim();
        return 2;
    }

    fmt::print("mdgate chaos: seed {}, {} symbols x 5 topics on {} connections, {:g} market "
               "events/s, rounds of {}, for {}; a slow consumer (queue 512) beside a "
               "reference one\n",
               args.seed, sopts.symbols.size(), gw.connection_count(), *rate, seconds_text(*round),
               seconds_text(std::chrono::duration_cast<ms>(*duration)));
    std::fflush(stdout);

    std::mt19937_64 rng{args.seed};
    const auto start = steady::now();
    const auto elapsed_s = [&] {
        return std::chrono::duration<double>(steady::now() - start).count();
    };
    const auto wait_for = [&](steady::duration d) {
        const auto until = steady::now() + d;
        while (!interrupted && steady::now() < until) {
            std::this_thread::sleep_for(std::min<steady::duration>(50ms, until - steady::now()));
        }
    };
    std::map<std::string, std::size_t> applied;
    std::vector<quiet_row> rows;
    std::size_t baseline_fds = 0;
    std::size_t baseline_heap = 0;
    std::size_t heap_baseline_row = 0; // the quiet point whose heap is the baseline
    const auto max_growth = static_cast<std::size_t>(args.max_heap_growth_mib) << 20U;

    // Pause the market, wait until every book equals the truth (or was refused by the venue on
    // purpose), then check the consumers' accounting, descriptors and heap.
    const auto quiet_point = [&](std::size_t faults) {
        quiet_row row;
        row.index = rows.size() + 1;
        row.faults = faults;
        sim::action pause;
        pause.kind = sim::action_kind::pause;
        (void)apply(pause);
        const auto t0 = steady::now();
        std::vector<std::string> differing;
        for (;;) {
            const auto checks = on_sim(ioc, [&] {
                std::vector<std::pair<std::string, book_check>> out;
                for (const auto& s : sopts.symbols) {
                    out.emplace_back(s.symbol, check_book_against_truth(gw, srv, s.symbol));
                }
                return out;
            });
            std::string reasons;
            (void)gw.ready(&reasons);
            differing.clear();
            row.equal = 0;
            row.books = checks.size();
            std::size_t refused = 0;
            for (const auto& [symbol, c] : checks) {
                const bool rejected = refused_by_venue(reasons, "orderbook.50." + symbol);
                row.equal += c.equal ? 1U : 0U;
                refused += !c.equal && rejected ? 1U : 0U;
                if (!c.equal && !rejected) {
                    differing.push_back(fmt::format("{}: {}", symbol, c.detail));
                }
            }
            const auto s = scrape_of(gw);
            const bool drained =
                s.consumer("slow").depth == 0 && s.consumer("reference").depth == 0;
            // A topic the venue refused is asked for again on its own backoff, on the same
            // connection (refused_retry_base): the quiet point waits for it to heal.
            row.rejected = std::max(row.rejected, refused);
            if ((differing.empty() && refused == 0 && drained) ||
                steady::now() - t0 > *settle_timeout || interrupted) {
                if (refused > 0) {
                    differing.push_back(
                        fmt::format("{} books still refused by the venue", refused));
                }
                if (!drained) {
                    differing.push_back("consumer queues not drained");
                }
                break;
            }
            wait_for(100ms);
        }
        row.settle_s = std::chrono::duration<double>(steady::now() - t0).count();
        row.at_s = elapsed_s();
        if (!differing.empty()) {
            row.violations.push_back(fmt::format("not settled after {:.1f} s: {}", row.settle_s,
                                                 fmt::join(differing, "; ")));
        }
        // Nothing lost that is not counted: both consumers were offered the same events; what
        // the slow one did not get, its queue counted as dropped (FIFO) or conflated (states).
        // A callback may still be running (the slow one sleeps up to 4 s): the consumer counts
        // an event when its callback ends and the pool right after, so the figures are read
        // again until they agree, for at most 6 s; only a lasting difference is a violation.
        std::vector<std::string> accounting;
        const auto accounting_until = steady::now() + 6s;
        do {
            accounting.clear();
            const auto s = scrape_of(gw);
            const auto sf = s.consumer("slow");
            const auto rf = s.consumer("reference");
            const auto slow_fifo = static_cast<double>(slow->fifo.load());
            const auto ref_fifo = static_cast<double>(reference->fifo.load());
            const auto slow_states = static_cast<double>(slow->conflating.load());
            const auto ref_states = static_cast<double>(reference->conflating.load());
            row.fifo_offered = static_cast<std::uint64_t>(ref_fifo + rf.dropped_oldest);
            row.slow_dropped = static_cast<std::uint64_t>(sf.dropped_oldest);
            row.conflated = static_cast<std::uint64_t>(sf.conflated);
            if (slow_fifo + sf.dropped_oldest != ref_fifo + rf.dropped_oldest) {
                accounting.push_back(fmt::format(
                    "FIFO events: slow got {} + dropped {}, reference got {} + dropped {}",
                    slow_fifo, sf.dropped_oldest, ref_fifo, rf.dropped_oldest));
            }
            if (slow_states + sf.conflated != ref_states + rf.conflated) {
                accounting.push_back(fmt::format(
                    "book/ticker states: slow got {} + conflated {}, reference got {} + "
                    "conflated {}",
                    slow_states, sf.conflated, ref_states, rf.conflated));
            }
            for (const auto& [name, got, fig] : {std::tuple{"slow", slow_fifo + slow_states, sf},
                                                 {"reference", ref_fifo + ref_states, rf}}) {
                if (got != fig.delivered) {
                    accounting.push_back(fmt::format(
                        "consumer {}: received {} events, the gateway counts {} delivered", name,
                        got, fig.delivered));
                }
            }
            if (!accounting.empty()) {
                wait_for(100ms);
            }
        } while (!accounting.empty() && steady::now() < accounting_until && !interrupted);
        row.violations.insert(row.violations.end(), accounting.begin(), accounting.end());
        row.fds = open_descriptors();
        const auto heap = heap_bytes();
        row.heap_mib = static_cast<double>(heap) / (1U << 20U);
        // Descriptors from the first quiet point on. Allocator bytes from the first quiet point
        // past a quarter of the run (not the first): each instrument's bounded stores are made
        // when its first event of their kind arrives, which for liquidations can take minutes.
        if (rows.empty()) {
            baseline_fds = row.fds;
        } else if (row.fds > baseline_fds + 4) {
            row.violations.push_back(
                fmt::format("descriptors {} (first quiet point: {})", row.fds, baseline_fds));
        }
        if (heap_baseline_row == 0 && !rows.empty() && steady::now() - start >= *duration / 4) {
            heap_baseline_row = row.index;
            baseline_heap = heap;
        } else if (heap_baseline_row != 0 && heap > baseline_heap + max_growth) {
            row.violations.push_back(fmt::format(
                "allocator bytes {:.1f} MiB, {:.1f} MiB above quiet point {} (allowed: {} MiB)",
                row.heap_mib, static_cast<double>(heap - baseline_heap) / (1U << 20U),
                heap_baseline_row, args.max_heap_growth_mib));
        }
        for (const auto& v : row.violations) {
            fmt::print("  VIOLATION at quiet point {}: {}\n", row.index, v);
        }
        fmt::print("  quiet point {} at {:.0f} s: settled in {:.1f} s, books equal {}/{}, "
                   "fds {}, heap {:.1f} MiB{}\n",
                   row.index, row.at_s, row.settle_s, row.equal, row.books, row.fds, row.heap_mib,
                   row.violations.empty() ? "" : " (violations)");
        std::fflush(stdout);
        rows.push_back(std::move(row));
        sim::action resume;
        resume.kind = sim::action_kind::resume;
        (void)apply(resume);
    };

    std::uint64_t messages_before = gw.totals().data_messages;
    double busy_s = 0;
    while (!interrupted && steady::now() - start < *duration) {
        const auto remaining = std::chrono::duration_cast<ms>(*duration - (steady::now() - start));
        std::uniform_int_distribution<ms::rep> spread{round->count() / 2, round->count() * 3 / 2};
        const auto length = std::max<ms>(std::min(ms{spread(rng)}, remaining), 2s);
        const auto faults = plan_round(rng, length, kinds, sopts.symbols);
        const auto round_start = steady::now();
        for (const auto& f : faults) {
            wait_for(round_start + f.at - steady::now());
            if (interrupted) {
                break;
            }
            const auto why = apply(f.action);
            ++applied[std::string{sim::to_string(f.action.kind)}];
            fmt::print("{:>7.1f} s  {}{}\n", elapsed_s(), f.words,
                       why.empty() ? "" : fmt::format(" (refused: {})", why));
        }
        wait_for(round_start + length - steady::now());
        busy_s += std::chrono::duration<double>(steady::now() - round_start).count();
        quiet_point(faults.size());
    }
    const auto totals = gw.totals();
    const auto final_scrape = scrape_of(gw);
    (void)gw.stop();
    stop_sim();

    std::size_t violations = 0;
    fmt::print("\n| # | at (s) | faults | settle (s) | books equal | refused, healed | FIFO "
               "offered | slow dropped | slow conflated | fds | heap (MiB) | violations |\n"
               "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (const auto& r : rows) {
        violations += r.violations.size();
        fmt::print("| {} | {:.0f} | {} | {:.1f} | {}/{} | {} | {} | {} | {} | {} | {:.1f} | {} |\n",
                   r.index, r.at_s, r.faults, r.settle_s, r.equal, r.books, r.rejected,
                   r.fifo_offered, r.slow_dropped, r.conflated, r.fds, r.heap_mib,
                   r.violations.empty() ? std::string{"none"}
                                        : fmt::format("{}", fmt::join(r.violations, "; ")));
    }
    std::vector<std::string> applied_words;
    for (const auto& [k, n] : applied) {
        applied_words.push_back(fmt::format("{} {}", k, n));
    }
    fmt::print("\nfaults applied: {}\n", fmt::join(applied_words, ", "));
    fmt::print(
        "gateway: {:.0f} data msgs/s while the market moved, {} reconnects, {} handler "
        "timeouts, {} book integrity failures, {} resyncs, {} decode errors, {} shard "
        "queue drops, {} callback timeouts\n",
        busy_s > 0 ? static_cast<double>(totals.data_messages - messages_before) / busy_s : 0.0,
        totals.reconnects, totals.handler_timeouts, totals.book_gaps, totals.resubscribes,
        totals.decode_errors, final_scrape.sum("mdgate_queue_dropped_total", {{"reason", "full"}}),
        totals.callback_timeouts);
    const bool ok = violations == 0 && !rows.empty() && !interrupted;
    fmt::print("chaos: {} quiet points, {} violations{}: {}\n", rows.size(), violations,
               interrupted ? " (interrupted)" : "", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

} // namespace mdg::app
