// A recording's header and records drive the replay as the gateway was driven: the
// instruments' precision, the category, a lost connection's books going stale.
#include <gtest/gtest.h>

#include "record/record_format.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"

namespace mdg::record {
namespace {

constexpr std::string_view snapshot =
    R"({"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["65114.2","1.5"]],"a":[["65114.3","2"]],"u":1,"seq":1},"cts":1})";
constexpr std::string_view finer_delta =
    R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["65114.15","1"]],"a":[],"u":2,"seq":2},"cts":2})";

std::string recording(std::initializer_list<std::pair<record_kind, std::string_view>> records) {
    recording_header h;
    h.cat = model::category::inverse;
    h.connections.push_back({"conn_0", "ws://x", {"orderbook.50.BTCUSDT"}});
    h.instruments.push_back({"BTCUSDT", {1, 3}}); // what the gateway learnt from the venue
    std::string out;
    append_header_line(out, h);
    std::int64_t t = 0;
    for (const auto& [k, payload] : records) {
        append_record_line(out, k, 0, unix_nanos{++t}, payload);
    }
    return out;
}

void replay_text(replay::replayer& r, std::string_view text) {
    r.begin_file();
    replay::for_each_frame_in_text(text, [&](std::string_view l) { r.on_line(l); });
}

TEST(RecordingReplayTest, TheHeadersPrecisionAndCategoryAreTheGatewaysOwn) {
    replay::replayer r; // --category linear, 8 decimals by default
    replay_text(r, recording({{record_kind::in, snapshot}, {record_kind::in, finer_delta}}));
    EXPECT_EQ(r.category(), model::category::inverse);
    const auto id = r.instruments().find(model::venue::bybit, model::category::inverse, "BTCUSDT");
    ASSERT_TRUE(id);
    const auto* e = r.state().book(*id, 50);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->book.bid_count(), 1U);
    EXPECT_EQ(e->book.bid(0).px.raw, 651142); // one decimal, as live
    EXPECT_EQ(e->book.bid(0).sz.raw, 1500);
    // Two decimals are more than the instrument has: refused, as the gateway refused it.
    EXPECT_EQ(r.stats().decode_errors[static_cast<std::size_t>(errc::precision_exceeded)], 1U);
    EXPECT_EQ(r.stats().headers, 1U);
    EXPECT_EQ(r.stats().records[static_cast<std::size_t>(record_kind::in)], 2U);

    // The same frames as a plain capture: the default precision takes the finer price.
    replay::replayer plain;
    plain.on_line(snapshot);
    plain.on_line(finer_delta);
    EXPECT_EQ(plain.stats().decode_error_total(), 0U);
}

TEST(RecordingReplayTest, ALostConnectionMakesItsBooksWaitForASnapshot) {
    replay::replayer r;
    constexpr std::string_view next_delta =
        R"({"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["65114.1","1"]],"a":[],"u":2,"seq":2},"cts":2})";
    replay_text(r, recording({{record_kind::up, {}},
                              {record_kind::out, R"({"op":"subscribe"})"},
                              {record_kind::in, snapshot},
                              {record_kind::down, {}},
                              {record_kind::in, next_delta}}));
    const auto id = r.instruments().find(model::venue::bybit, model::category::inverse, "BTCUSDT");
    ASSERT_TRUE(id);
    const auto* e = r.state().book(*id, 50);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->book.state(), book::book_state::stale);
    EXPECT_EQ(e->book.update_id(), 1U) << "a delta after the loss waits for a snapshot";
    EXPECT_EQ(r.stats().records[static_cast<std::size_t>(record_kind::down)], 1U);
    EXPECT_EQ(r.stats().records[static_cast<std::size_t>(record_kind::out)], 1U);
    EXPECT_EQ(r.stats().bad_records, 0U);
}

} // namespace
} // namespace mdg::record
