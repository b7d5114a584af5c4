#include <map>

#include <gtest/gtest.h>

#include "exchange/bybit/parse.hpp"
#include "market/market_state.hpp"
#include "perf/frame_set.hpp"

namespace mdg::perf {
namespace {

frame_set make(topic_mix mix, std::size_t symbols, std::size_t frames) {
    frame_set_options o;
    o.symbols = bench_symbols(symbols);
    o.mix = mix;
    o.min_frames = frames;
    std::string reason;
    auto s = make_frame_set(o, reason);
    EXPECT_TRUE(s) << reason;
    return s ? std::move(*s) : frame_set{};
}

TEST(FrameSetTest, TopicsFollowTheMix) {
    frame_set_options o;
    o.symbols = bench_symbols(2);
    EXPECT_EQ(frame_set_topics(o),
              (std::vector<std::string>{"orderbook.50.SIM0000USDT", "orderbook.50.SIM0001USDT"}));
    o.mix = topic_mix::typical;
    EXPECT_EQ(frame_set_topics(o).size(), 10U);
    EXPECT_EQ(parse_topic_mix("typical").value(), topic_mix::typical);
    EXPECT_FALSE(parse_topic_mix("all"));
}

TEST(FrameSetTest, BadOptionsAreErrorsWithReasons) {
    frame_set_options o;
    std::string reason;
    EXPECT_FALSE(make_frame_set(o, reason));
    EXPECT_EQ(reason, "no symbols");
    o.symbols = bench_symbols(1);
    o.depth = 500;
    EXPECT_FALSE(make_frame_set(o, reason));
    EXPECT_NE(reason.find("500"), std::string::npos);
    o.depth = 50;
    o.symbols[0].symbol = "bad symbol";
    EXPECT_FALSE(make_frame_set(o, reason));
}

TEST(FrameSetTest, BooksStartWithASnapshotThenContiguousDeltas) {
    const auto set = make(topic_mix::book, 3, 2000);
    ASSERT_GE(set.frames.size(), 2000U);
    std::map<std::uint32_t, std::uint64_t> last;
    for (const auto& f : set.frames) {
        ASSERT_NE(f.seq_len, 0U);
        if (!last.contains(f.topic)) {
            EXPECT_TRUE(f.snapshot);
        } else {
            EXPECT_FALSE(f.snapshot);
            EXPECT_EQ(f.seq, last[f.topic] + 1);
        }
        last[f.topic] = f.seq;
    }
    for (std::uint32_t t = 0; t < set.topics.size(); ++t) {
        EXPECT_GT(set.span[t], 1U);
    }
}

TEST(FrameSetTest, AppendTextShiftsOnlyTheSequence) {
    const auto set = make(topic_mix::book, 1, 10);
    const auto& f = set.frames[1];
    std::string out;
    append_text(out, set, f, 0);
    EXPECT_EQ(out, set.text(f));
    out.clear();
    append_text(out, set, f, 1'000'000);
    EXPECT_NE(out.find(R"("u":)" + std::to_string(f.seq + 1'000'000)), std::string::npos);
    EXPECT_EQ(out.size(), set.text(f).size() - std::to_string(f.seq).size() +
                              std::to_string(f.seq + 1'000'000).size());
}

// The property the benchmark's figures rest on: looped with shifted sequences, the stream
// keeps every book valid and live (no gap, no crossed book, no decode error), pass after pass.
TEST(FrameSetTest, LoopedPassesKeepEveryBookLive) {
    const auto set = make(topic_mix::typical, 4, 3000);
    model::instrument_registry registry;
    for (const auto& s : bench_symbols(4)) {
        (void)registry.intern(model::venue::bybit, model::category::linear, s.symbol);
    }
    exchange::bybit::decoder decoder;
    market::market_state state{market::market_limits{}};
    const exchange::bybit::parse_context ctx{model::category::linear, &registry, false, {}};
    std::string text;
    std::size_t books = 0;
    for (std::uint64_t pass = 0; pass < 3; ++pass) {
        for (const auto& f : set.frames) {
            text.clear();
            append_text(text, set, f, set.sequence_offset(f.topic, pass));
            auto d = decoder.decode(text, ctx);
            ASSERT_TRUE(d) << d.error().message() << ": " << text.substr(0, 200);
            switch ((*d)->type) {
            case exchange::bybit::frame_type::orderbook:
                ++books;
                ASSERT_EQ(state.on_book((*d)->book), book::apply_status::applied)
                    << "pass " << pass << " " << set.topics[f.topic];
                break;
            case exchange::bybit::frame_type::ticker:
                (void)state.on_ticker((*d)->ticker);
                break;
            default:
                break;
            }
        }
    }
    EXPECT_GT(books, 3 * 4U);
    std::size_t live = 0;
    state.for_each_book([&](model::instrument_id, std::uint16_t, const market::book_entry& e) {
        live += e.book.state() == book::book_state::live ? 1U : 0U;
        EXPECT_EQ(e.gaps + e.crossed + e.invalid, 0U);
        EXPECT_TRUE(e.book.check_invariants());
    });
    EXPECT_EQ(live, 4U);
}

} // namespace
} // namespace mdg::perf
