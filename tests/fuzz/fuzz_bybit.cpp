// Fuzz target: the Bybit v5 decoder (exchange/bybit/parse.cpp) on one text frame. The frame is
// decoded as every category, replay-style (unknown symbols registered), and once more as a live
// linear feed with small limits (unknown symbols refused, 4 levels and items at most), so the
// limit paths are reached with short inputs.
// Invariants: a success respects the decoder's limits; a failure has a reason.

#include <array>
#include <cstddef>
#include <cstdint>

#include "exchange/bybit/parse.hpp"
#include "fuzz/fuzz_check.hpp"
#include "model/instrument.hpp"

namespace {

using namespace mdg;
namespace bybit = exchange::bybit;

void decode_one(bybit::decoder& dec, std::string_view frame, model::category cat,
                bool register_unknown, const bybit::decoder_options& limits) {
    model::instrument_registry registry;
    registry.intern(model::venue::bybit, cat, "BTCUSDT", model::instrument_spec{2, 3});
    const bybit::parse_context ctx{.cat = cat,
                                   .registry = &registry,
                                   .register_unknown = register_unknown,
                                   .ts_recv = unix_nanos{1}};
    const auto r = dec.decode(frame, ctx);
    if (!r) {
        fuzz::check(dec.last_failure().reason != errc::ok, "a failed decode has a reason");
        return;
    }
    const bybit::decoded_frame& f = **r;
    fuzz::check(frame.size() <= limits.max_frame_bytes, "frame within max_frame_bytes");
    fuzz::check(f.book.bids.size() <= limits.max_levels_per_side &&
                    f.book.asks.size() <= limits.max_levels_per_side,
                "levels within max_levels_per_side");
    fuzz::check(f.trades.size() <= limits.max_items && f.klines.size() <= limits.max_items &&
                    f.liquidations.size() <= limits.max_items,
                "items within max_items");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bybit::decoder_options wide{};
    static const bybit::decoder_options small{
        .max_frame_bytes = 4096, .max_levels_per_side = 4, .max_items = 4};
    static bybit::decoder dec{wide};
    static bybit::decoder dec_small{small};
    const auto frame = fuzz::as_text(data, size);
    for (const auto cat : {model::category::spot, model::category::linear, model::category::inverse,
                           model::category::option}) {
        decode_one(dec, frame, cat, true, wide);
    }
    decode_one(dec_small, frame, model::category::linear, false, small);
    return 0;
}
