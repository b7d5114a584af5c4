// Book apply cost per delta at depths 50, 200 and 1000, on synthetic deltas shaped like the
// real feed: a few levels per message, mostly near the top of the book, a third of them
// deletions (each followed by a refill at the far end, as Bybit keeps exactly N levels).
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "book/order_book.hpp"

namespace mdg::bench {
namespace {

using model::level;

struct delta_msg {
    std::vector<level> bids;
    std::vector<level> asks;
};

struct workload {
    std::vector<level> snap_bids;
    std::vector<level> snap_asks;
    std::vector<delta_msg> deltas;
};

// Simulates a book of `depth` levels per side around a fixed mid and records the deltas that
// reproduce its changes, so applying them in order keeps the book exactly `depth` deep.
workload make_workload(std::size_t depth, std::size_t count) {
    std::mt19937_64 rng{depth};
    workload w;
    const std::int64_t mid = 6'500'000;
    std::vector<std::int64_t> bid_px;
    std::vector<std::int64_t> ask_px;
    for (std::size_t i = 0; i < depth; ++i) {
        bid_px.push_back(mid - 1 - static_cast<std::int64_t>(i));
        ask_px.push_back(mid + 1 + static_cast<std::int64_t>(i));
        w.snap_bids.push_back({{bid_px.back()}, {1000}});
        w.snap_asks.push_back({{ask_px.back()}, {1000}});
    }
    std::geometric_distribution<std::size_t> near_top{0.15};
    for (std::size_t n = 0; n < count; ++n) {
        delta_msg d;
        const std::size_t changes = 1 + rng() % 4;
        for (std::size_t c = 0; c < changes; ++c) {
            const bool bid = (rng() & 1U) != 0;
            auto& px = bid ? bid_px : ask_px;
            auto& out = bid ? d.bids : d.asks;
            const std::size_t idx = std::min(near_top(rng), depth - 1);
            if (rng() % 3 == 0) {
                // Delete a level and refill the far end.
                out.push_back({{px[idx]}, {0}});
                px.erase(px.begin() + static_cast<std::ptrdiff_t>(idx));
                const std::int64_t far = bid ? px.back() - 1 : px.back() + 1;
                px.push_back(far);
                out.push_back({{far}, {static_cast<std::int64_t>(rng() % 5000 + 1)}});
            } else {
                out.push_back({{px[idx]}, {static_cast<std::int64_t>(rng() % 5000 + 1)}});
            }
        }
        w.deltas.push_back(std::move(d));
    }
    return w;
}

void BM_BookApplyDelta(benchmark::State& state) {
    const auto depth = static_cast<std::size_t>(state.range(0));
    const auto w = make_workload(depth, 4096);
    book::order_book b{depth};
    model::book_update snap;
    snap.kind = model::update_kind::snapshot;
    snap.update_id = 1000;
    snap.bids = w.snap_bids;
    snap.asks = w.snap_asks;
    if (b.apply(snap) != book::apply_status::applied) {
        state.SkipWithError("snapshot failed");
        return;
    }
    std::uint64_t u = 1000;
    std::size_t i = 0;
    model::book_update d;
    d.kind = model::update_kind::delta;
    for (auto _ : state) {
        if (i == w.deltas.size()) {
            // Start the recorded sequence again from its snapshot (1 in 4096 iterations).
            i = 0;
            snap.update_id = ++u;
            benchmark::DoNotOptimize(b.apply(snap));
        }
        d.update_id = ++u;
        d.bids = w.deltas[i].bids;
        d.asks = w.deltas[i].asks;
        if (b.apply(d) != book::apply_status::applied) {
            state.SkipWithError("delta failed");
            return;
        }
        ++i;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_BookApplyDelta)->Arg(50)->Arg(200)->Arg(1000);

} // namespace
} // namespace mdg::bench
