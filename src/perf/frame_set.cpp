#include "perf/frame_set.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "exchange/bybit/topic.hpp"

namespace mdg::perf {

namespace {

// Where a frame's shifted sequence number sits: books carry `u`, tickers `cs` (the simulator
// writes them after the levels / fields, so the last occurrence is the one in `data` or the
// envelope).
struct seq_field {
    std::size_t pos = 0;
    std::size_t len = 0;
    std::uint64_t value = 0;
};

[[nodiscard]] seq_field find_seq(std::string_view text, std::string_view key) noexcept {
    const auto k = text.rfind(key);
    if (k == std::string_view::npos) {
        return {};
    }
    seq_field f;
    f.pos = k + key.size();
    const auto* first = text.data() + f.pos;
    const auto* last = text.data() + text.size();
    const auto [p, ec] = std::from_chars(first, last, f.value);
    if (ec != std::errc{}) {
        return {};
    }
    f.len = static_cast<std::size_t>(p - first);
    return f;
}

[[nodiscard]] bool is_snapshot(std::string_view text) noexcept {
    return text.find(R"("type":"snapshot")") != std::string_view::npos;
}

} // namespace

std::string_view to_string(topic_mix m) noexcept {
    switch (m) {
    case topic_mix::book:
        return "book";
    case topic_mix::typical:
        return "typical";
    }
    return "unknown";
}

result<topic_mix> parse_topic_mix(std::string_view text) noexcept {
    if (text == "book") {
        return topic_mix::book;
    }
    if (text == "typical") {
        return topic_mix::typical;
    }
    return errc::invalid_argument;
}

std::vector<std::string> frame_set_topics(const frame_set_options& opts) {
    std::vector<std::string> out;
    for (const auto& s : opts.symbols) {
        out.push_back(fmt::format("orderbook.{}.{}", opts.depth, s.symbol));
        if (opts.mix == topic_mix::typical) {
            out.push_back("publicTrade." + s.symbol);
            out.push_back("tickers." + s.symbol);
            out.push_back("kline.1." + s.symbol);
            out.push_back("allLiquidation." + s.symbol);
        }
    }
    return out;
}

std::vector<sim::symbol_config> bench_symbols(std::size_t count) {
    std::vector<sim::symbol_config> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        sim::symbol_config c;
        c.symbol = fmt::format("SIM{:04}USDT", i);
        c.price_decimals = 2;
        c.qty_decimals = 3;
        out.push_back(std::move(c));
    }
    return out;
}

result<frame_set> make_frame_set(const frame_set_options& opts, std::string& reason) {
    if (opts.symbols.empty()) {
        reason = "no symbols";
        return errc::invalid_argument;
    }
    const auto depths = exchange::bybit::subscribable_depths(model::category::linear);
    if (std::find(depths.begin(), depths.end(), opts.depth) == depths.end()) {
        reason = fmt::format("depth {} is not served (1, 50, 200 or 1000)", opts.depth);
        return errc::invalid_argument;
    }
    sim::model_config cfg;
    cfg.cat = model::category::linear;
    cfg.symbols = opts.symbols;
    cfg.seed = opts.seed;
    cfg.book_levels = std::max<std::size_t>(opts.depth, 200);
    std::optional<sim::market_model> model;
    try {
        model.emplace(cfg);
    } catch (const std::invalid_argument& e) {
        reason = e.what();
        return errc::invalid_argument;
    }

    frame_set set;
    set.topics = frame_set_topics(opts);
    for (const auto& t : set.topics) {
        if (!model->serves(t)) {
            reason = fmt::format("the market model does not serve {}", t);
            return errc::invalid_argument;
        }
    }
    set.span.assign(set.topics.size(), 0);
    std::vector<std::uint64_t> first(set.topics.size(), 0);
    std::vector<std::uint64_t> last(set.topics.size(), 0);

    const auto add = [&](std::uint32_t topic, const std::string& text) {
        frame_ref f;
        f.topic = topic;
        f.offset = static_cast<std::uint32_t>(set.arena.size());
        f.length = static_cast<std::uint32_t>(text.size());
        f.snapshot = is_snapshot(text);
        const std::string_view name = set.topics[topic];
        const auto key = name.starts_with("orderbook.") ? std::string_view{R"(,"u":)"}
                         : name.starts_with("tickers.") ? std::string_view{R"(,"cs":)"}
                                                        : std::string_view{};
        if (!key.empty()) {
            const auto s = find_seq(text, key);
            if (s.len != 0) {
                f.seq_pos = static_cast<std::uint32_t>(s.pos);
                f.seq_len = static_cast<std::uint32_t>(s.len);
                f.seq = s.value;
                if (first[topic] == 0) {
                    first[topic] = s.value;
                }
                last[topic] = std::max(last[topic], s.value);
            }
        }
        set.arena += text;
        set.frames.push_back(f);
    };

    // Simulated time: one market event per symbol per 20 ms round (Bybit pushes linear
    // orderbook.50 every 20 ms), so each push carries the changes of about one event.
    std::int64_t now_ns = 1'760'000'000'000'000'000;
    constexpr std::int64_t round_ns = 20'000'000;
    for (std::uint32_t t = 0; t < set.topics.size(); ++t) {
        if (auto s = model->subscribe_frame(set.topics[t], unix_nanos{now_ns})) {
            add(t, *s);
        }
    }
    const auto snapshots = set.frames.size();
    constexpr std::size_t max_arena = std::numeric_limits<std::uint32_t>::max() / 2;
    while (set.frames.size() - snapshots < opts.min_frames && set.arena.size() < max_arena) {
        for (std::size_t i = 0; i < opts.symbols.size(); ++i) {
            now_ns += round_ns / static_cast<std::int64_t>(opts.symbols.size());
            model->step(unix_nanos{now_ns});
        }
        for (std::uint32_t t = 0; t < set.topics.size(); ++t) {
            if (auto s = model->push_frame(set.topics[t], unix_nanos{now_ns})) {
                add(t, *s);
            }
        }
    }
    for (std::size_t t = 0; t < set.topics.size(); ++t) {
        set.span[t] = first[t] == 0 ? 0 : last[t] - first[t] + 1;
    }
    set.data_bytes = set.arena.size();
    return set;
}

void append_text(std::string& out, const frame_set& set, const frame_ref& f, std::uint64_t shift) {
    const auto text = set.text(f);
    if (f.seq_len == 0 || shift == 0) {
        out += text;
        return;
    }
    out += text.substr(0, f.seq_pos);
    std::array<char, 24> digits{};
    const auto [p, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), f.seq + shift);
    (void)ec; // 24 digits always fit a uint64
    out.append(digits.data(), p);
    out += text.substr(f.seq_pos + f.seq_len);
}

} // namespace mdg::perf
