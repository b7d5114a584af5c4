#include "perf/readers.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "exchange/bybit/topic.hpp"
#include "perf/bench.hpp"

namespace mdg::perf {

using steady = std::chrono::steady_clock;

std::optional<std::string_view> check_book(const dispatch::book_view& b) noexcept {
    const auto sized = [](const model::level& l) {
        return l.sz.raw > 0;
    };
    if (!std::all_of(b.bids.begin(), b.bids.end(), sized) ||
        !std::all_of(b.asks.begin(), b.asks.end(), sized)) {
        return "a size <= 0";
    }
    // adjacent_find finds the first pair that breaks strict order.
    if (std::adjacent_find(b.bids.begin(), b.bids.end(), [](const auto& a, const auto& c) {
            return a.px <= c.px;
        }) != b.bids.end()) {
        return "bids not strictly descending";
    }
    if (std::adjacent_find(b.asks.begin(), b.asks.end(), [](const auto& a, const auto& c) {
            return a.px >= c.px;
        }) != b.asks.end()) {
        return "asks not strictly ascending";
    }
    if (!b.bids.empty() && !b.asks.empty() && b.bids.front().px >= b.asks.front().px) {
        return "crossed";
    }
    return std::nullopt;
}

book_readers::book_readers(const api::market_cache& cache,
                           const model::instrument_registry& registry, model::category cat,
                           std::span<const std::string> topics, const reader_options& opts)
    : cache_(cache), opts_(opts) {
    for (const auto& t : topics) {
        auto p = exchange::bybit::parse_topic(t);
        if (!p || p->ch != exchange::bybit::channel::orderbook) {
            continue;
        }
        if (auto id = registry.find(model::venue::bybit, cat, p->symbol)) {
            books_.push_back({*id, p->depth});
        }
    }
    if (books_.empty()) {
        opts_.threads = 0;
    }
    counts_.resize(opts_.threads);
    started_ = steady::now();
    threads_.reserve(opts_.threads);
    for (std::size_t i = 0; i < opts_.threads; ++i) {
        threads_.emplace_back([this, i](const std::stop_token& stop) { run(stop, i); });
    }
}

book_readers::~book_readers() {
    (void)stop();
}

reader_figures book_readers::stop() {
    if (result_) {
        return *result_;
    }
    for (auto& t : threads_) {
        t.request_stop();
    }
    threads_.clear(); // joins
    reader_figures f;
    f.threads = opts_.threads;
    f.target_per_s = opts_.rate;
    f.seconds = std::chrono::duration<double>(steady::now() - started_).count();
    for (const auto& c : counts_) {
        f.reads += c.reads;
        f.empty += c.empty;
        f.inconsistent += c.inconsistent;
    }
    f.reads_per_s = f.seconds > 0 ? static_cast<double>(f.reads) / f.seconds : 0;
    result_ = f;
    return f;
}

void book_readers::run(const std::stop_token& stop, std::size_t index) {
    counts c;
    std::size_t next = index % books_.size();
    const auto read_one = [&] {
        const auto& b = books_[next];
        next = next + 1 == books_.size() ? 0 : next + 1;
        const auto v = cache_.book(b.id, b.depth);
        if (!v) {
            ++c.empty;
        } else {
            ++c.reads;
            if (check_book(*v)) {
                ++c.inconsistent;
            }
        }
    };
    if (opts_.rate <= 0) {
        while (!stop.stop_requested()) {
            read_one();
        }
    } else {
        // Each thread keeps to its share of the rate: it reads what it owes by now, then
        // sleeps a tick (a burst per tick, not a sleep per read: fewer wake-ups).
        const double per_s = opts_.rate / static_cast<double>(opts_.threads);
        const auto start = steady::now();
        std::uint64_t done = 0;
        while (!stop.stop_requested()) {
            const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
            const auto owed = static_cast<std::uint64_t>(elapsed * per_s);
            for (; done < owed && !stop.stop_requested(); ++done) {
                read_one();
            }
            std::this_thread::sleep_for(reader_tick);
        }
    }
    counts_[index] = c; // read by stop() after the join
}

namespace {

template <class F> summary over(std::span<const scenario_result> rs, F f) {
    std::vector<double> v;
    v.reserve(rs.size());
    for (const auto& r : rs) {
        v.push_back(f(r));
    }
    return summarize(v);
}

// The (c) runs without readers, made in the same invocation.
[[nodiscard]] std::span<const scenario_result> baseline(const bench_report& r) {
    for (const auto& [s, rs] : r.runs) {
        if (s == scenario::pipeline) {
            return rs;
        }
    }
    return {};
}

[[nodiscard]] std::string pace(const reader_figures& f) {
    return f.target_per_s > 0 ? fmt::format("paced at {:.0f} reads/s in all", f.target_per_s)
                              : std::string("flat out (spinning)");
}

} // namespace

std::string render_readers_table(const bench_report& r) {
    const auto base = baseline(r);
    if (r.with_readers.empty() || base.empty()) {
        return {};
    }
    const auto& first = r.with_readers.front().readers;
    const auto without = over(base, [](const auto& x) { return x.messages_per_s; });
    const auto with = over(r.with_readers, [](const auto& x) { return x.messages_per_s; });
    const auto reads = over(r.with_readers, [](const auto& x) { return x.readers.reads_per_s; });
    std::uint64_t bad = 0;
    std::uint64_t empty = 0;
    for (const auto& x : r.with_readers) {
        bad += x.readers.inconsistent;
        empty += x.readers.empty;
    }
    const double ratio = without.median > 0 ? with.median / without.median : 0;
    return fmt::format(
        "readers of the API cache during (c), {} threads {}:\n"
        "  (c) without readers {:>11.0f} msgs/s (spread {:.0f}%)\n"
        "  (c) with readers    {:>11.0f} msgs/s (spread {:.0f}%), ratio {:.3f} ({:+.1f}%)\n"
        "  reads {:.0f}/s (median), {} inconsistent, {} empty\n",
        first.threads, pace(first), without.median, without.spread() * 100, with.median,
        with.spread() * 100, ratio, (ratio - 1) * 100, reads.median, bad, empty);
}

std::string render_readers_json(const bench_report& r) {
    const auto base = baseline(r);
    if (r.with_readers.empty() || base.empty()) {
        return {};
    }
    const auto& first = r.with_readers.front().readers;
    const auto without = over(base, [](const auto& x) { return x.messages_per_s; });
    const auto with = over(r.with_readers, [](const auto& x) { return x.messages_per_s; });
    const auto reads = over(r.with_readers, [](const auto& x) { return x.readers.reads_per_s; });
    const auto stat = [](const summary& s) {
        return fmt::format(R"({{"median":{:.1f},"min":{:.1f},"max":{:.1f}}})", s.median, s.min,
                           s.max);
    };
    std::string out = fmt::format(
        R"(,"readers":{{"threads":{},"target_reads_per_s":{:.1f},"without_messages_per_s":{},)"
        R"("with_messages_per_s":{},"ratio":{:.4f},"reads_per_s":{},"repetitions":[)",
        first.threads, first.target_per_s, stat(without), stat(with),
        without.median > 0 ? with.median / without.median : 0.0, stat(reads));
    for (std::size_t i = 0; i < r.with_readers.size(); ++i) {
        const auto& x = r.with_readers[i];
        out += fmt::format(
            R"({}{{"messages_per_s":{:.1f},"without_messages_per_s":{:.1f},"cpu_percent":{:.2f},)"
            R"("seconds":{:.3f},"reads":{},"reads_per_s":{:.1f},"empty":{},"inconsistent":{},)"
            R"("queue_drops":{},"gaps":{}}})",
            i == 0 ? "" : ",", x.messages_per_s, i < base.size() ? base[i].messages_per_s : 0.0,
            x.cpu_percent, x.readers.seconds, x.readers.reads, x.readers.reads_per_s,
            x.readers.empty, x.readers.inconsistent, x.queue_drops, x.gaps);
    }
    out += "]}";
    return out;
}

} // namespace mdg::perf
