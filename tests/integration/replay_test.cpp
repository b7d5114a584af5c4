#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "replay/book_dump.hpp"
#include "replay/capture_file.hpp"
#include "replay/replayer.hpp"
#include "support/test_data.hpp"

namespace mdg::replay {
namespace {

std::vector<std::string> read_lines(std::string_view name) {
    return test::read_bybit_lines(name);
}

// --- a deliberately simple, independent book ---------------------------------------------
// Text only: prices stay decimal strings, normalised by trimming zeros, ordered by comparing
// the integer part by length then digits, then the fraction. No project code is used.

std::string normalise(std::string s) {
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') {
            s.pop_back();
        }
        if (!s.empty() && s.back() == '.') {
            s.pop_back();
        }
    }
    const auto first = s.find_first_not_of('0');
    if (first == std::string::npos || s[first] == '.') {
        s = "0" + s.substr(first == std::string::npos ? s.size() : first);
    } else {
        s = s.substr(first);
    }
    return s;
}

struct decimal_less {
    bool operator()(const std::string& a, const std::string& b) const {
        const auto ai = a.substr(0, a.find('.'));
        const auto bi = b.substr(0, b.find('.'));
        if (ai.size() != bi.size()) {
            return ai.size() < bi.size();
        }
        if (ai != bi) {
            return ai < bi;
        }
        const auto af = a.size() > ai.size() ? a.substr(ai.size() + 1) : std::string{};
        const auto bf = b.size() > bi.size() ? b.substr(bi.size() + 1) : std::string{};
        return af < bf;
    }
};

struct simple_book {
    std::map<std::string, std::string, decimal_less> bids;
    std::map<std::string, std::string, decimal_less> asks;
    long long u = -1;
    bool contiguous = true;
};

// The text of the JSON array that follows `"key":` in `line` (brackets balanced).
std::string array_after(const std::string& line, const std::string& key) {
    const auto k = line.find("\"" + key + "\":[");
    if (k == std::string::npos) {
        return {};
    }
    const auto start = line.find('[', k);
    int depth = 0;
    for (auto i = start; i < line.size(); ++i) {
        depth += line[i] == '[' ? 1 : (line[i] == ']' ? -1 : 0);
        if (depth == 0) {
            return line.substr(start, i - start + 1);
        }
    }
    return {};
}

// The quoted strings of a `[["p","q"],...]` array, in pairs.
std::vector<std::pair<std::string, std::string>> pairs_of(const std::string& arr) {
    std::vector<std::string> strings;
    for (std::size_t i = arr.find('"'); i != std::string::npos; i = arr.find('"', i + 1)) {
        const auto close = arr.find('"', i + 1);
        strings.push_back(arr.substr(i + 1, close - i - 1));
        i = close;
    }
    EXPECT_EQ(strings.size() % 2, 0U) << arr.substr(0, 100);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i + 1 < strings.size(); i += 2) {
        out.emplace_back(strings[i], strings[i + 1]);
    }
    return out;
}

void apply_side(std::map<std::string, std::string, decimal_less>& side, const std::string& arr) {
    for (const auto& [p, q] : pairs_of(arr)) {
        const auto px = normalise(p);
        const auto sz = normalise(q);
        if (sz == "0") {
            side.erase(px);
        } else {
            side[px] = sz;
        }
    }
}

// The text after `"key":"` up to the next quote.
std::string string_after(const std::string& line, const std::string& key) {
    const auto k = line.find("\"" + key + "\":\"");
    if (k == std::string::npos) {
        return {};
    }
    const auto start = k + key.size() + 4;
    return line.substr(start, line.find('"', start) - start);
}

std::map<std::string, simple_book> recompute(const std::vector<std::string>& lines) {
    std::map<std::string, simple_book> books;
    for (const auto& line : lines) {
        const auto topic = string_after(line, "topic");
        if (topic.rfind("orderbook.", 0) != 0) {
            continue;
        }
        auto& b = books[topic];
        const auto u_at = line.find("\"u\":");
        EXPECT_NE(u_at, std::string::npos);
        const long long u = std::stoll(line.substr(u_at + 4));
        if (line.find("\"type\":\"snapshot\"") != std::string::npos) {
            b.bids.clear();
            b.asks.clear();
        } else if (u != b.u + 1) {
            b.contiguous = false;
        }
        b.u = u;
        apply_side(b.bids, array_after(line, "b"));
        apply_side(b.asks, array_after(line, "a"));
    }
    return books;
}

// The same books as mdgate printed them, read back from the --dump-books json text (one topic
// per line, as documented). Plain string search: std::regex recurses per character and
// overflows the stack on 200-level lines.
std::map<std::string, simple_book> read_dump(const std::string& json) {
    std::map<std::string, simple_book> out;
    std::size_t pos = 0;
    while ((pos = json.find("\n\"orderbook.", pos)) != std::string::npos) {
        const auto line_end = json.find('\n', pos + 1);
        const std::string line = json.substr(pos + 1, line_end - pos - 1);
        pos = line_end;
        const std::string topic = line.substr(1, line.find('"', 1) - 1);
        auto& b = out[topic];
        EXPECT_NE(line.find(R"("state":"live")"), std::string::npos) << topic;
        const auto u_at = line.find(R"("u":)");
        EXPECT_NE(u_at, std::string::npos) << topic;
        b.u = std::stoll(line.substr(u_at + 4));
        for (const char* side : {"bids", "asks"}) {
            const std::string arr = array_after(line, side);
            EXPECT_FALSE(arr.empty()) << topic << " " << side;
            std::vector<std::string> prices;
            for (const auto& [px, sz] : pairs_of(arr)) {
                (side[0] == 'b' ? b.bids : b.asks)[px] = sz;
                prices.push_back(px);
            }
            // Bids descending, asks ascending, as the format promises.
            for (std::size_t k = 1; k < prices.size(); ++k) {
                if (side[0] == 'b') {
                    EXPECT_TRUE(decimal_less{}(prices[k], prices[k - 1])) << prices[k];
                } else {
                    EXPECT_TRUE(decimal_less{}(prices[k - 1], prices[k])) << prices[k];
                }
            }
        }
    }
    return out;
}

void expect_books_equal(const std::map<std::string, simple_book>& got,
                        const std::map<std::string, simple_book>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [topic, w] : want) {
        const auto it = got.find(topic);
        ASSERT_NE(it, got.end()) << topic;
        EXPECT_EQ(it->second.u, w.u) << topic;
        EXPECT_EQ(it->second.bids, w.bids) << topic;
        EXPECT_EQ(it->second.asks, w.asks) << topic;
    }
}

// Replays `lines`, checking after every frame that every book is live, sorted and uncrossed.
void replay_checked(replayer& r, const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        r.on_frame(line);
        r.state().for_each_book(
            [&](model::instrument_id, std::uint16_t, const market::book_entry& e) {
                ASSERT_EQ(e.book.state(), book::book_state::live) << line.substr(0, 80);
                ASSERT_TRUE(e.book.check_invariants());
                const auto bb = e.book.best_bid();
                const auto ba = e.book.best_ask();
                if (bb && ba) {
                    ASSERT_LT(bb->px, ba->px);
                }
            });
    }
}

TEST(ReplayTest, RealLinearCaptureKeepsEveryBookLiveAndEqualToASimpleRecomputation) {
    const auto lines = read_lines("cryptofeed_linear_2026-08-09.frames.jsonl");
    replayer r;
    replay_checked(r, lines);

    const auto want = recompute(lines);
    ASSERT_EQ(want.size(), 4U);
    for (const auto& [topic, b] : want) {
        EXPECT_TRUE(b.contiguous) << topic; // the capture's u is contiguous
        EXPECT_EQ(b.bids.size(), 200U) << topic;
    }
    expect_books_equal(read_dump(dump_books_json(r)), want);

    const auto& s = r.stats();
    EXPECT_EQ(s.frames, lines.size());
    EXPECT_EQ(s.decode_error_total(), 0U);
    EXPECT_EQ(s.control_frames, 17U);
    EXPECT_EQ(s.acks_ok, 17U);
    const auto t = sum_books(r.state());
    EXPECT_EQ(t.books, 4U);
    EXPECT_EQ(t.snapshots, 4U);
    EXPECT_EQ(t.deltas, 413U + 420U + 382U + 379U);
    EXPECT_EQ(t.gaps + t.crossed + t.invalid + t.ignored, 0U);
    EXPECT_EQ(r.state().ticker_count(), 4U);
    EXPECT_EQ(r.state().kline_series_count(), 4U);
}

TEST(ReplayTest, SpotCaptureWithTrimmedNumbers) {
    const auto lines = read_lines("spot_capture_sample.frames.jsonl");
    replay_options opts;
    opts.cat = model::category::spot;
    replayer r{opts};
    replay_checked(r, lines);
    const auto want = recompute(lines);
    ASSERT_EQ(want.size(), 1U);
    expect_books_equal(read_dump(dump_books_json(r)), want);
    EXPECT_EQ(r.stats().decode_error_total(), 0U);
}

TEST(ReplayTest, BadFramesAreCountedByKindAndTheReplayGoesOn) {
    auto lines = read_lines("spot_capture_sample.frames.jsonl");
    replay_options opts;
    opts.cat = model::category::spot;
    replayer r{opts};
    // Before any snapshot: a delta (ignored), and garbage of several kinds.
    r.on_frame(
        R"({"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1","1"]],"a":[],"u":999}})");
    r.on_frame("\x01\x02garbage");
    r.on_frame(lines[1].substr(0, lines[1].size() / 2)); // a snapshot cut in half
    r.on_frame(R"({"topic":"candles.BTCUSDT","ts":1,"type":"snapshot","data":[]})");
    r.on_frame(
        R"({"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1","-1"]],"a":[],"u":1}})");
    r.on_frame(
        R"({"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1","x"]],"a":[],"u":1}})");
    r.on_frame(
        R"({"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["123456789012345678901","1"]],"a":[],"u":1}})");
    // Then the good capture, with more garbage half-way through.
    for (std::size_t i = 0; i < lines.size(); ++i) {
        r.on_frame(lines[i]);
        if (i == lines.size() / 2) {
            r.on_frame("{\"topic\":");
            r.on_frame(
                R"({"topic":"tickers.BTCUSDT","ts":1,"type":"snapshot","unknownKey":1,"cs":1,"data":{"symbol":"BTCUSDT","newField":"1"}})");
        }
    }
    const auto& s = r.stats();
    auto kind = [&](errc e) {
        return s.decode_errors[static_cast<std::size_t>(e)];
    };
    EXPECT_EQ(kind(errc::malformed_json), 1U);
    EXPECT_EQ(kind(errc::truncated), 2U);
    EXPECT_EQ(kind(errc::unknown_channel), 1U);
    EXPECT_EQ(kind(errc::negative_value), 1U);
    EXPECT_EQ(kind(errc::invalid_number), 1U);
    EXPECT_EQ(kind(errc::number_too_long), 1U);
    EXPECT_EQ(s.decode_error_total(), 7U);
    EXPECT_EQ(s.unknown_fields, 2U);
    // The good delta and the three undecodable ones all came before the first snapshot.
    EXPECT_EQ(sum_books(r.state()).ignored, 4U);
    // The good frames still built the right book.
    expect_books_equal(read_dump(dump_books_json(r)), recompute(lines));
}

TEST(ReplayTest, GapMarksTheBookResyncingUntilTheNextSnapshot) {
    auto lines = read_lines("spot_capture_sample.frames.jsonl");
    replay_options opts;
    opts.cat = model::category::spot;
    replayer r{opts};
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        // Lose one delta in the middle.
        if (dropped == 0 && i > 100 && lines[i].find("\"delta\"") != std::string::npos) {
            dropped = i;
            continue;
        }
        r.on_frame(lines[i]);
    }
    auto t = sum_books(r.state());
    EXPECT_EQ(t.gaps, 1U);
    EXPECT_EQ(t.by_state[static_cast<std::size_t>(book::book_state::resyncing)], 1U);
    EXPECT_GT(t.ignored, 0U); // deltas after the gap are not applied
    // A fresh snapshot (the venue's answer to a resubscribe) brings it back.
    r.on_frame(lines[1]);
    t = sum_books(r.state());
    EXPECT_EQ(t.resyncs, 1U);
    EXPECT_EQ(t.by_state[static_cast<std::size_t>(book::book_state::live)], 1U);
}

// A book delta that cannot be decoded once the book is live is a lost update, like a gap: the
// book is resyncing until the recording's next snapshot, never live without it.
TEST(ReplayTest, AnUndecodableDeltaMarksTheBookResyncingUntilTheNextSnapshot) {
    auto lines = read_lines("spot_capture_sample.frames.jsonl");
    replay_options opts;
    opts.cat = model::category::spot;
    replayer r{opts};
    // The capture up to a delta in the middle, whose first bid size is not a number.
    std::size_t i = 0;
    for (; i < lines.size(); ++i) {
        auto frame = lines[i];
        const auto at = frame.find("\"b\":[[\"");
        if (i > 100 && frame.find("\"delta\"") != std::string::npos && at != std::string::npos) {
            frame.insert(frame.find("\",\"", at) + 3, "x");
            r.on_frame(frame);
            break;
        }
        r.on_frame(frame);
    }
    ASSERT_LT(i, lines.size());
    EXPECT_EQ(r.stats().decode_error_total(), 1U);
    // At once, not only when the next delta shows a gap.
    auto t = sum_books(r.state());
    EXPECT_EQ(t.gaps, 0U);
    EXPECT_EQ(t.by_state[static_cast<std::size_t>(book::book_state::resyncing)], 1U);
    EXPECT_EQ(t.by_state[static_cast<std::size_t>(book::book_state::live)], 0U);
    r.on_frame(lines[1]); // a snapshot
    t = sum_books(r.state());
    EXPECT_EQ(t.by_state[static_cast<std::size_t>(book::book_state::live)], 1U);
}

TEST(ReplayTest, CaptureFileErrorsNameTheFile) {
    std::string message;
    const auto ec = for_each_frame_in_file(
        "/nonexistent/capture.jsonl", [](std::string_view) {}, message);
    EXPECT_TRUE(ec);
    EXPECT_NE(message.find("/nonexistent/capture.jsonl"), std::string::npos) << message;
}

TEST(ReplayTest, InMemoryTextSplitsLinesLikeTheFileReader) {
    std::vector<std::string> seen;
    for_each_frame_in_text("a\r\n\nb\nc", [&](std::string_view f) { seen.emplace_back(f); });
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
}

} // namespace
} // namespace mdg::replay
