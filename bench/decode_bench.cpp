// Decoding cost per Bybit message, per channel, on real frames (tests/data/bybit).
#include <cstdlib>

#include <benchmark/benchmark.h>

#include "bench_data.hpp"
#include "exchange/bybit/parse.hpp"
#include "market/market_state.hpp"

namespace mdg::bench {
namespace {

using exchange::bybit::decoder;
using exchange::bybit::parse_context;

// Decodes the frames round-robin; reports messages/s and bytes/s.
void run_decode(benchmark::State& state, const std::vector<std::string>& frames,
                model::category cat) {
    if (frames.empty()) {
        state.SkipWithError("no frames");
        return;
    }
    model::instrument_registry reg;
    decoder dec;
    const parse_context ctx{cat, &reg, true, unix_nanos{1}};
    std::size_t i = 0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto& f = frames[i];
        auto r = dec.decode(f, ctx);
        if (!r) {
            state.SkipWithError("decode failed");
            return;
        }
        benchmark::DoNotOptimize(*r);
        bytes += f.size();
        i = i + 1 == frames.size() ? 0 : i + 1;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_DecodeOrderbookDelta200(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"orderbook.200", "\"delta\""});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeOrderbookDelta200);

void BM_DecodeOrderbookSnapshot200(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"orderbook.200", "\"snapshot\""});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeOrderbookSnapshot200);

void BM_DecodePublicTrade(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"publicTrade."});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodePublicTrade);

void BM_DecodeTickerDelta(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"tickers.", "\"delta\""});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeTickerDelta);

void BM_DecodeTickerSnapshot(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"tickers.", "\"snapshot\""});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeTickerSnapshot);

void BM_DecodeKline(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"kline."});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeKline);

void BM_DecodeControlAck(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"\"op\":\"subscribe\""});
    run_decode(state, frames, model::category::linear);
}
BENCHMARK(BM_DecodeControlAck);

// The target: decode + apply of a typical orderbook.200 delta. Real frames of one
// symbol's topic in order (snapshot, then contiguous deltas), replayed in a loop into a market
// state; the snapshot is 1 frame in ~400 and is included. Arg 0: all four symbols of the
// capture interleaved as recorded (10.1 levels per delta on average); arg 1: BTCUSDT only,
// the busiest book (17.3 levels per delta).
void BM_DecodeAndApplyDelta200(benchmark::State& state) {
    static const auto all = capture_lines(linear_capture, {"orderbook.200."});
    static const auto btc = capture_lines(linear_capture, {"orderbook.200.BTCUSDT"});
    const auto& frames = state.range(0) == 0 ? all : btc;
    model::instrument_registry reg;
    decoder dec;
    market::market_state market;
    const parse_context ctx{model::category::linear, &reg, true, unix_nanos{1}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = dec.decode(frames[i], ctx);
        if (!r || market.on_book((*r)->book) != book::apply_status::applied) {
            state.SkipWithError("decode or apply failed");
            return;
        }
        i = i + 1 == frames.size() ? 0 : i + 1;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeAndApplyDelta200)->Arg(0)->Arg(1);

} // namespace
} // namespace mdg::bench

namespace mdg::bench {
namespace {

// Apply only: the same real BTCUSDT orderbook.200 frames as above, decoded beforehand.
void BM_ApplyRealDelta200(benchmark::State& state) {
    static const auto frames = capture_lines(linear_capture, {"orderbook.200.BTCUSDT"});
    struct owned {
        std::vector<model::level> bids;
        std::vector<model::level> asks;
        model::book_update u;
    };
    model::instrument_registry reg;
    decoder dec;
    const parse_context ctx{model::category::linear, &reg, true, unix_nanos{1}};
    std::vector<owned> updates;
    for (const auto& f : frames) {
        const auto& b = (*dec.decode(f, ctx))->book;
        updates.push_back({{b.bids.begin(), b.bids.end()}, {b.asks.begin(), b.asks.end()}, b});
    }
    std::size_t levels = 0;
    for (auto& o : updates) {
        o.u.bids = o.bids;
        o.u.asks = o.asks;
        levels += o.bids.size() + o.asks.size();
    }
    state.counters["levels_per_msg"] =
        static_cast<double>(levels) / static_cast<double>(updates.size());
    market::market_state market;
    std::size_t i = 0;
    for (auto _ : state) {
        if (market.on_book(updates[i].u) != book::apply_status::applied) {
            state.SkipWithError("apply failed");
            return;
        }
        i = i + 1 == updates.size() ? 0 : i + 1;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ApplyRealDelta200);

} // namespace
} // namespace mdg::bench
