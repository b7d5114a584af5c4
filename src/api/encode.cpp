#include "api/encode.hpp"

#include <algorithm>
#include <array>
#include <zlib.h>

#include "model/fixed_point.hpp"

namespace mdg::api {

namespace {

constexpr std::size_t checksum_levels = 25;

void write_decimal(core::json_writer& j, std::int64_t raw, std::uint8_t decimals) {
    std::array<char, model::fixed_text_capacity> buf{};
    j.plain_string(decimal_text(raw, decimals, buf.data()));
}

// Canonical form too (the venue's "65140.00" is "65140"): one spelling per value.
void write_exact(core::json_writer& j, const model::decimal& d) {
    write_decimal(j, d.mantissa, d.scale);
}

// Appends "px:sz" (with a ':' before it unless it is the first piece) to the checksum text.
void append_level(std::string& s, const model::level& l, const model::instrument_spec& spec) {
    std::array<char, model::fixed_text_capacity> buf{};
    if (!s.empty()) {
        s += ':';
    }
    s += decimal_text(l.px.raw, spec.price_decimals, buf.data());
    s += ':';
    s += decimal_text(l.sz.raw, spec.qty_decimals, buf.data());
}

} // namespace

std::string_view decimal_text(std::int64_t raw, std::uint8_t decimals, char* out) noexcept {
    return {out, model::format_fixed(raw, decimals, true, out)};
}

std::string canonical(const model::decimal& d) {
    std::array<char, model::fixed_text_capacity> buf{};
    return std::string(decimal_text(d.mantissa, d.scale, buf.data()));
}

void write_book_fields(core::json_writer& j, const dispatch::book_view& b, std::size_t depth,
                       const model::instrument_spec& spec) {
    const std::span<const model::level> bids{b.bids.data(), std::min(depth, b.bids.size())};
    const std::span<const model::level> asks{b.asks.data(), std::min(depth, b.asks.size())};
    j.field("u", b.update_id);
    j.field("cross_seq", b.seq); // "seq" is the stream's own numbering
    j.field("state", book::to_string(b.state));
    j.field("source", dispatch::to_string(b.source));
    j.field("ts_exchange", micros(b.ts_exchange));
    j.field("ts_recv", micros(b.ts_recv));
    j.key("bids");
    write_levels(j, bids, spec);
    j.key("asks");
    write_levels(j, asks, spec);
    j.field("checksum", book_checksum(bids, asks, spec));
}

void write_empty_book_fields(core::json_writer& j) {
    j.field("u", 0);
    j.field("cross_seq", 0);
    j.field("state", book::to_string(book::book_state::syncing));
    j.field("source", dispatch::to_string(dispatch::data_source::stream));
    j.field("ts_exchange", 0);
    j.field("ts_recv", 0);
    j.key("bids");
    j.begin_array();
    j.end_array();
    j.key("asks");
    j.begin_array();
    j.end_array();
    j.field("checksum", 0);
}

std::string_view side_name(model::side s) noexcept {
    return s == model::side::buy ? "buy" : "sell";
}

void write_levels(core::json_writer& j, std::span<const model::level> levels,
                  const model::instrument_spec& spec) {
    j.begin_array();
    for (const auto& l : levels) {
        j.begin_array();
        write_decimal(j, l.px.raw, spec.price_decimals);
        write_decimal(j, l.sz.raw, spec.qty_decimals);
        j.end_array();
    }
    j.end_array();
}

std::uint32_t book_checksum(std::span<const model::level> bids, std::span<const model::level> asks,
                            const model::instrument_spec& spec) {
    thread_local std::string text;
    text.clear();
    for (std::size_t i = 0; i < checksum_levels; ++i) {
        if (i < bids.size()) {
            append_level(text, bids[i], spec);
        }
        if (i < asks.size()) {
            append_level(text, asks[i], spec);
        }
    }
    return static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
}

void write_trade(core::json_writer& j, const model::trade& t, const model::instrument_spec& spec) {
    j.begin_object();
    j.field("id", t.id.view());
    j.field("ts_exchange", micros(t.ts_exchange));
    j.field("ts_recv", micros(t.ts_recv));
    j.key("price");
    write_decimal(j, t.px.raw, spec.price_decimals);
    j.key("size");
    write_decimal(j, t.sz.raw, spec.qty_decimals);
    j.field("side", side_name(t.taker_side));
    j.field("block_trade", t.block_trade);
    j.end_object();
}

void write_kline(core::json_writer& j, const model::kline& k, const model::instrument_spec& spec) {
    j.begin_object();
    j.field("start", micros(k.start));
    j.field("end", micros(k.end));
    j.key("open");
    write_decimal(j, k.open.raw, spec.price_decimals);
    j.key("high");
    write_decimal(j, k.high.raw, spec.price_decimals);
    j.key("low");
    write_decimal(j, k.low.raw, spec.price_decimals);
    j.key("close");
    write_decimal(j, k.close.raw, spec.price_decimals);
    j.key("volume");
    write_exact(j, k.volume);
    j.key("turnover");
    write_exact(j, k.turnover);
    j.field("confirm", k.confirm);
    j.end_object();
}

void write_liquidation(core::json_writer& j, const model::liquidation& l,
                       const model::instrument_spec& spec) {
    j.begin_object();
    j.field("ts_exchange", micros(l.ts_exchange));
    j.field("ts_recv", micros(l.ts_recv));
    j.key("price");
    write_decimal(j, l.px.raw, spec.price_decimals);
    j.key("size");
    write_decimal(j, l.sz.raw, spec.qty_decimals);
    j.field("side", side_name(l.position_side));
    j.end_object();
}

void write_ticker_fields(core::json_writer& j, const model::ticker_fields& f) {
    j.key("fields");
    j.begin_object();
    for (std::size_t i = 0; i < model::ticker_field_count; ++i) {
        const auto field = static_cast<model::ticker_field>(i);
        if (!f.has(field)) {
            continue;
        }
        j.key(model::to_string(field));
        if (f.is_empty(field)) {
            j.null();
        } else {
            write_exact(j, f.get(field));
        }
    }
    j.end_object();
}

} // namespace mdg::api
