#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "net/ws_frame.hpp"
#include "support/ws_frames.hpp"

namespace mdg::net::ws {
namespace {

// Server frames are written by hand (support/ws_frames.hpp), so that the reader is never
// checked against our own encoder.
using namespace test::ws_frames; // frame(), header(), close_body(), op_*

/// An event with its payload copied, so that it outlives the next call to next().
struct seen {
    event_kind kind = event_kind::need_more;
    std::size_t size = 0;
    std::string payload;
    std::uint16_t code = 0;
    bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
    return os << "{kind " << static_cast<int>(s.kind) << ", size " << s.size << ", payload '"
              << s.payload << "', code " << s.code << "}";
}

seen copy(const event& ev) {
    return {ev.kind, ev.size, std::string(ev.payload), ev.code};
}

/// Feeds `input` all at once: every event until need_more or error (included).
std::vector<seen> drain(reader& r, std::string_view input) {
    std::vector<seen> out;
    for (int guard = 0; guard < 100'000; ++guard) {
        const auto ev = r.next(input);
        if (ev.kind == event_kind::need_more) {
            return out;
        }
        out.push_back(copy(ev));
        if (ev.kind == event_kind::error) {
            return out;
        }
        if (ev.size == 0 || ev.size > input.size()) {
            ADD_FAILURE() << "event of size " << ev.size << " with " << input.size()
                          << " bytes of input";
            return out;
        }
        input.remove_prefix(ev.size);
    }
    ADD_FAILURE() << "the reader never asked for more";
    return out;
}

constexpr std::size_t one_mib = std::size_t{1} << 20U;

TEST(WsFrameReaderTest, SingleTextFrameIsAViewIntoTheInput) {
    reader r{one_mib};
    const std::string in = frame(true, op_text, R"({"a":1})");
    const auto ev = r.next(in);
    EXPECT_EQ(ev.kind, event_kind::text);
    EXPECT_EQ(ev.payload, R"({"a":1})");
    EXPECT_EQ(ev.size, in.size());
    EXPECT_EQ(ev.payload.data(), in.data() + 2) << "the payload was copied";
    EXPECT_FALSE(ev.ec);
    EXPECT_FALSE(r.in_message());
}

TEST(WsFrameReaderTest, EmptyTextFrameIsAnEmptyMessage) {
    reader r{one_mib};
    const std::string in = frame(true, op_text, "");
    const auto ev = r.next(in);
    EXPECT_EQ(ev.kind, event_kind::text);
    EXPECT_TRUE(ev.payload.empty());
    EXPECT_EQ(ev.size, 2U);
}

TEST(WsFrameReaderTest, FramesBackToBackComeOutOneByOne) {
    reader r{one_mib};
    std::string in;
    for (int i = 0; i < 10; ++i) {
        in += frame(true, op_text, "m" + std::to_string(i));
    }
    in += frame(true, op_text, "a tail"); // and half of another one
    in.resize(in.size() - 3);
    std::string_view rest = in;
    for (int i = 0; i < 10; ++i) {
        const auto ev = r.next(rest);
        ASSERT_EQ(ev.kind, event_kind::text) << i;
        EXPECT_EQ(ev.payload, "m" + std::to_string(i));
        EXPECT_EQ(ev.payload.data(), rest.data() + 2);
        rest.remove_prefix(ev.size);
    }
    const auto ev = r.next(rest);
    EXPECT_EQ(ev.kind, event_kind::need_more);
    EXPECT_EQ(ev.needed, 2U + 6U);
    EXPECT_EQ(ev.size, 0U);
}

TEST(WsFrameReaderTest, SixteenAndSixtyFourBitLengths) {
    for (const std::size_t n :
         {std::size_t{0}, std::size_t{1}, std::size_t{125}, std::size_t{126}, std::size_t{127},
          std::size_t{65535}, std::size_t{65536}, std::size_t{100'000}}) {
        SCOPED_TRACE(n);
        reader r{one_mib};
        std::string payload(n, 'x');
        for (std::size_t i = 0; i < n; ++i) {
            payload[i] = static_cast<char>('a' + i % 26);
        }
        const std::string in = frame(true, op_text, payload);
        const std::size_t head = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        ASSERT_EQ(in.size(), head + n);
        const auto ev = r.next(in);
        ASSERT_EQ(ev.kind, event_kind::text);
        EXPECT_EQ(ev.size, head + n);
        EXPECT_EQ(ev.payload.size(), n);
        EXPECT_TRUE(ev.payload == payload);
        EXPECT_EQ(ev.payload.data(), in.data() + head);

        // One byte short: the reader asks for exactly the whole frame.
        reader r2{one_mib};
        const auto short_ev = r2.next(std::string_view(in).substr(0, in.size() - 1));
        if (n > 0) {
            EXPECT_EQ(short_ev.kind, event_kind::need_more);
            EXPECT_EQ(short_ev.needed, head + n);
        }
    }
}

TEST(WsFrameReaderTest, NeedMoreBeforeTheHeaderIsComplete) {
    reader r{one_mib};
    auto ev = r.next("");
    EXPECT_EQ(ev.kind, event_kind::need_more);
    EXPECT_GT(ev.needed, 0U);
    EXPECT_EQ(ev.size, 0U);
    const std::string in = frame(true, op_text, std::string(300, 'y')); // 4-byte header
    for (std::size_t have = 1; have < 4; ++have) {
        ev = r.next(std::string_view(in).substr(0, have));
        EXPECT_EQ(ev.kind, event_kind::need_more) << have;
        EXPECT_GT(ev.needed, have);
    }
    ev = r.next(std::string_view(in).substr(0, 4));
    EXPECT_EQ(ev.kind, event_kind::need_more);
    EXPECT_EQ(ev.needed, 304U);
}

// A stream that uses most of what the reader knows: a text message, a ping, a pong, a
// fragmented message with a ping inside, 16- and 64-bit lengths, a binary message, a close.
struct stream_part {
    std::string bytes;
    std::size_t header = 0;
};

/// `from_client`: masked, as a client sends them (for a reader in role::server).
std::vector<stream_part> sample_stream(bool big, bool from_client = false) {
    std::vector<stream_part> parts;
    auto add = [&](bool fin, std::uint8_t op, std::string_view payload) {
        std::size_t head = payload.size() < 126 ? 2 : payload.size() <= 0xFFFF ? 4 : 10;
        if (from_client) {
            head += 4; // the mask key
        }
        parts.push_back({frame(fin, op, payload, 0, from_client), head});
    };
    add(true, op_text, "first");
    add(true, op_ping, "are you there");
    add(true, op_pong, "unsolicited");
    add(false, op_text, R"({"part":)");
    add(false, op_cont, "");
    add(true, op_ping, "mid");
    add(false, op_cont, std::string(200, 'q'));
    add(true, op_pong, "");
    add(true, op_cont, "}");
    add(true, op_binary, std::string("\x00\x01\x02", 3));
    if (big) {
        add(true, op_text, std::string(70'000, 'B'));
        add(false, op_binary, std::string(300, 'c'));
        add(true, op_cont, std::string(65'536, 'd'));
    }
    add(true, op_text, "");
    add(true, op_close, close_body(1000, "bye"));
    return parts;
}

/// The whole stream, as one string.
std::string joined(const std::vector<stream_part>& parts) {
    std::string all;
    for (const auto& p : parts) {
        all += p.bytes;
    }
    return all;
}

/// In role::server the stream is made of masked (client) frames.
void expect_same_events_one_byte_at_a_time(bool big, role rl = role::client) {
    const auto parts = sample_stream(big, rl == role::server);
    const std::string all = joined(parts);
    reader whole{one_mib, rl};
    const auto expected = drain(whole, all);
    ASSERT_EQ(expected.size(), parts.size());

    reader r{one_mib, rl};
    std::vector<seen> got;
    std::string buf;
    std::size_t part = 0;
    for (const char c : all) {
        buf.push_back(c);
        for (;;) {
            const auto ev = r.next(buf);
            if (ev.kind == event_kind::need_more) {
                ASSERT_GT(ev.needed, buf.size());
                if (buf.empty()) {
                    break; // between frames (after the last one, too)
                }
                ASSERT_LT(part, parts.size());
                if (buf.size() >= parts[part].header) {
                    ASSERT_EQ(ev.needed, parts[part].bytes.size())
                        << "part " << part << " with " << buf.size() << " bytes";
                }
                break;
            }
            ASSERT_NE(ev.kind, event_kind::error) << ev.ec.message() << " at part " << part;
            ASSERT_GT(ev.size, 0U);
            got.push_back(copy(ev));
            buf.erase(0, ev.size);
            ++part;
        }
    }
    EXPECT_TRUE(buf.empty());
    EXPECT_EQ(got, expected);
}

TEST(WsFrameReaderTest, EverySplitPointGivesTheSameEvents) {
    expect_same_events_one_byte_at_a_time(false);
}

TEST(WsFrameReaderTest, EverySplitPointGivesTheSameEventsWithLongFrames) {
    expect_same_events_one_byte_at_a_time(true);
}

/// What the sample stream means, read all at once.
void expect_sample_stream_means(role rl) {
    const auto parts = sample_stream(false, rl == role::server);
    const std::string all = joined(parts);
    reader r{one_mib, rl};
    const auto got = drain(r, all);
    const std::vector<seen> want{
        {event_kind::text, parts[0].bytes.size(), "first", 0},
        {event_kind::ping, parts[1].bytes.size(), "are you there", 0},
        {event_kind::consumed, parts[2].bytes.size(), "", 0},
        {event_kind::consumed, parts[3].bytes.size(), "", 0},
        {event_kind::consumed, parts[4].bytes.size(), "", 0},
        {event_kind::ping, parts[5].bytes.size(), "mid", 0},
        {event_kind::consumed, parts[6].bytes.size(), "", 0},
        {event_kind::consumed, parts[7].bytes.size(), "", 0},
        {event_kind::text, parts[8].bytes.size(), R"({"part":)" + std::string(200, 'q') + "}", 0},
        {event_kind::binary, parts[9].bytes.size(), std::string("\x00\x01\x02", 3), 0},
        {event_kind::text, parts[10].bytes.size(), "", 0},
        {event_kind::close, parts[11].bytes.size(), "bye", 1000},
    };
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        // A consumed frame's payload is not part of the contract.
        auto g = got[i];
        if (g.kind == event_kind::consumed) {
            g.payload.clear();
        }
        EXPECT_EQ(g, want[i]) << "event " << i;
    }
}

TEST(WsFrameReaderTest, EverySplitPointGivesTheSameEventsAsTheStreamMeans) {
    // What all-at-once must give in the first place (the test above only compares the two),
    // for a server's frames read by a client and for a client's masked frames read by a server.
    for (const role rl : {role::client, role::server}) {
        SCOPED_TRACE(rl == role::client ? "client" : "server");
        expect_sample_stream_means(rl);
    }
}

TEST(WsFrameReaderTest, FragmentedTextIsDeliveredWhole) {
    reader r{one_mib};
    const std::string a = frame(false, op_text, "Hel");
    const std::string b = frame(false, op_cont, "l");
    const std::string c = frame(true, op_cont, "o!");
    EXPECT_FALSE(r.in_message());
    auto ev = r.next(a + b);
    EXPECT_EQ(ev.kind, event_kind::consumed);
    EXPECT_EQ(ev.size, a.size());
    EXPECT_TRUE(r.in_message());
    ev = r.next(b);
    EXPECT_EQ(ev.kind, event_kind::consumed);
    EXPECT_EQ(ev.size, b.size());
    EXPECT_TRUE(r.in_message());
    ev = r.next(c);
    EXPECT_EQ(ev.kind, event_kind::text);
    EXPECT_EQ(ev.size, c.size());
    EXPECT_EQ(ev.payload, "Hello!");
    EXPECT_FALSE(r.in_message());

    // The reader is ready for the next message, fragmented or not.
    const std::string next_in = frame(true, op_text, "next"); // the payload points into it
    ev = r.next(next_in);
    EXPECT_EQ(ev.kind, event_kind::text);
    EXPECT_EQ(ev.payload, "next");
    EXPECT_EQ(drain(r, frame(false, op_text, "x") + frame(true, op_cont, "y")).back(),
              (seen{event_kind::text, 3, "xy", 0}));
}

/// What reading `in` frame by frame gave: each event's kind, whether a message was still open
/// after it, the last ping payload, the last text message, and the bytes left unread.
struct walked {
    std::vector<event_kind> kinds;
    std::vector<bool> inside;
    std::string ping;
    std::string text;
    std::size_t left = 0;
};

walked walk(reader& r, std::string_view in) {
    walked w;
    for (;;) {
        const auto ev = r.next(in);
        if (ev.kind == event_kind::need_more) {
            break;
        }
        if (ev.kind == event_kind::error) {
            ADD_FAILURE() << ev.ec.message();
            break;
        }
        w.kinds.push_back(ev.kind);
        w.inside.push_back(r.in_message());
        if (ev.kind == event_kind::ping) {
            w.ping = ev.payload;
        }
        if (ev.kind == event_kind::text) {
            w.text = ev.payload;
        }
        in.remove_prefix(ev.size);
    }
    w.left = in.size();
    return w;
}

TEST(WsFrameReaderTest, PingBetweenFragmentsDoesNotBreakTheMessage) {
    reader r{one_mib};
    const std::string in = frame(false, op_text, "ab") + frame(true, op_ping, "p1") +
                           frame(false, op_cont, "cd") + frame(true, op_pong, "p2") +
                           frame(true, op_cont, "ef");
    const auto w = walk(r, in);
    EXPECT_EQ(w.kinds,
              (std::vector<event_kind>{event_kind::consumed, event_kind::ping, event_kind::consumed,
                                       event_kind::consumed, event_kind::text}));
    EXPECT_EQ(w.inside, (std::vector<bool>{true, true, true, true, false}));
    EXPECT_EQ(w.ping, "p1");
    EXPECT_EQ(w.text, "abcdef");
    EXPECT_EQ(w.left, 0U);
}

TEST(WsFrameReaderTest, BinaryMessagesAreBinary) {
    reader r{one_mib};
    const std::string bytes("\x00\xff\x10", 3);
    auto got = drain(r, frame(true, op_binary, bytes));
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].kind, event_kind::binary);
    EXPECT_EQ(got[0].payload, bytes);
    got = drain(r, frame(false, op_binary, "ab") + frame(true, op_cont, "cd"));
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[1].kind, event_kind::binary);
    EXPECT_EQ(got[1].payload, "abcd");
}

TEST(WsFrameReaderTest, PingCarriesItsPayloadAndPongIsConsumed) {
    reader r{one_mib};
    const std::string ping = frame(true, op_ping, "hb-42");
    auto ev = r.next(ping);
    EXPECT_EQ(ev.kind, event_kind::ping);
    EXPECT_EQ(ev.payload, "hb-42");
    EXPECT_EQ(ev.size, ping.size());
    const std::string empty_ping = frame(true, op_ping, "");
    ev = r.next(empty_ping);
    EXPECT_EQ(ev.kind, event_kind::ping);
    EXPECT_TRUE(ev.payload.empty());
    const std::string max_ping = frame(true, op_ping, std::string(125, 'p'));
    ev = r.next(max_ping);
    EXPECT_EQ(ev.kind, event_kind::ping);
    EXPECT_EQ(ev.payload.size(), 125U);
    const std::string pong = frame(true, op_pong, "hb-42");
    ev = r.next(pong);
    EXPECT_EQ(ev.kind, event_kind::consumed);
    EXPECT_EQ(ev.size, pong.size());
}

TEST(WsFrameReaderTest, CloseCarriesCodeAndReason) {
    reader r{one_mib};
    const std::string c = frame(true, op_close, close_body(1000, "bye"));
    auto ev = r.next(c);
    EXPECT_EQ(ev.kind, event_kind::close);
    EXPECT_EQ(ev.code, 1000);
    EXPECT_EQ(ev.payload, "bye");
    EXPECT_EQ(ev.size, c.size());

    reader r2{one_mib};
    const std::string empty_close = frame(true, op_close, "");
    ev = r2.next(empty_close);
    EXPECT_EQ(ev.kind, event_kind::close);
    EXPECT_EQ(ev.code, 1005) << "no status code";
    EXPECT_TRUE(ev.payload.empty());

    reader r3{one_mib};
    const std::string code_only = frame(true, op_close, close_body(4001));
    ev = r3.next(code_only);
    EXPECT_EQ(ev.kind, event_kind::close);
    EXPECT_EQ(ev.code, 4001);
    EXPECT_TRUE(ev.payload.empty());
}

TEST(WsFrameReaderTest, ValidCloseCodesAreAccepted) {
    for (const std::uint16_t code : std::vector<std::uint16_t>{
             1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
        reader r{one_mib};
        const std::string in = frame(true, op_close, close_body(code, "r"));
        const auto ev = r.next(in);
        EXPECT_EQ(ev.kind, event_kind::close) << code << ": " << ev.ec.message();
        EXPECT_EQ(ev.code, code);
        EXPECT_EQ(ev.payload, "r");
    }
}

/// Feeds `input` and expects a protocol error with `code`, then the same error again.
void expect_error(std::string_view input, std::uint16_t code, std::size_t max = one_mib,
                  role rl = role::client) {
    reader r{max, rl};
    const auto events = drain(r, input);
    ASSERT_FALSE(events.empty()) << "no event at all";
    const auto& last = events.back();
    ASSERT_EQ(last.kind, event_kind::error) << last;
    EXPECT_EQ(last.code, code);
    EXPECT_EQ(last.size, 0U);
    // The exact error is the reader's; it must be an error and stay the same.
    const auto first = r.next(input);
    EXPECT_EQ(first.kind, event_kind::error);
    EXPECT_TRUE(first.ec);
    EXPECT_EQ(first.code, code);
    const auto again = r.next("");
    EXPECT_EQ(again.kind, event_kind::error);
    EXPECT_EQ(again.ec, first.ec);
    EXPECT_EQ(again.code, code);
    const std::string good = frame(true, op_text, "fine");
    const auto with_good_input = r.next(good);
    EXPECT_EQ(with_good_input.kind, event_kind::error);
    EXPECT_EQ(with_good_input.ec, first.ec);
    EXPECT_EQ(with_good_input.code, code);
}

TEST(WsFrameReaderTest, ReservedBitsAreAProtocolError) {
    for (const std::uint8_t rsv : {std::uint8_t{4}, std::uint8_t{2}, std::uint8_t{1}}) {
        SCOPED_TRACE(static_cast<int>(rsv));
        expect_error(frame(true, op_text, "x", rsv), 1002);
        expect_error(frame(true, op_ping, "x", rsv), 1002);
    }
}

TEST(WsFrameReaderTest, UnknownOpcodesAreAProtocolError) {
    for (const std::uint8_t op :
         std::vector<std::uint8_t>{0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        SCOPED_TRACE(static_cast<int>(op));
        expect_error(frame(true, op, "x"), 1002);
    }
}

TEST(WsFrameReaderTest, MaskedServerFrameIsAProtocolError) {
    expect_error(frame(true, op_text, "hello", 0, true), 1002);
    expect_error(frame(true, op_ping, "", 0, true), 1002);
}

TEST(WsFrameReaderTest, FragmentedControlFrameIsAProtocolError) {
    expect_error(frame(false, op_ping, "x"), 1002);
    expect_error(frame(false, op_pong, "x"), 1002);
    expect_error(frame(false, op_close, close_body(1000)), 1002);
}

TEST(WsFrameReaderTest, ControlFrameOver125BytesIsAProtocolError) {
    expect_error(frame(true, op_ping, std::string(126, 'p')), 1002);
    expect_error(frame(true, op_pong, std::string(126, 'p')), 1002);
    expect_error(frame(true, op_close, close_body(1000, std::string(124, 'r'))), 1002);
    // From the header alone.
    expect_error(header(true, op_ping, 126), 1002);
}

TEST(WsFrameReaderTest, ContinuationWithoutAMessageIsAProtocolError) {
    expect_error(frame(true, op_cont, "x"), 1002);
    expect_error(frame(false, op_cont, "x"), 1002);
    // After a message has ended, too.
    expect_error(frame(false, op_text, "a") + frame(true, op_cont, "b") + frame(true, op_cont, "c"),
                 1002);
}

TEST(WsFrameReaderTest, NewMessageInsideAFragmentedOneIsAProtocolError) {
    expect_error(frame(false, op_text, "a") + frame(true, op_text, "b"), 1002);
    expect_error(frame(false, op_text, "a") + frame(false, op_binary, "b"), 1002);
    expect_error(
        frame(false, op_binary, "a") + frame(true, op_ping, "") + frame(true, op_text, "b"), 1002);
}

TEST(WsFrameReaderTest, SixtyFourBitLengthWithTheTopBitSetIsAProtocolError) {
    std::string h = header(true, op_text, 0x1'0000'0000ULL);
    h[2] = static_cast<char>(0x80); // now 2^63 + 2^32
    expect_error(h, 1002);
    expect_error(h, 1002, std::numeric_limits<std::size_t>::max());
}

TEST(WsFrameReaderTest, OneByteClosePayloadIsAProtocolError) {
    expect_error(frame(true, op_close, "\x03"), 1002);
}

TEST(WsFrameReaderTest, InvalidCloseCodesAreAProtocolError) {
    for (const std::uint16_t code :
         std::vector<std::uint16_t>{0, 999, 1005, 1006, 1015, 5000, 65535}) {
        SCOPED_TRACE(code);
        expect_error(frame(true, op_close, close_body(code, "r")), 1002);
    }
}

TEST(WsFrameReaderTest, ReservedCloseCodesAreAProtocolError) {
    // RFC 6455 7.4.2: 1004 is reserved, 1016-2999 are for future versions of the protocol.
    for (const std::uint16_t code : std::vector<std::uint16_t>{1004, 1016, 2000, 2999}) {
        SCOPED_TRACE(code);
        expect_error(frame(true, op_close, close_body(code)), 1002);
    }
}

TEST(WsFrameReaderTest, TooBigFrameIsRefusedFromItsHeader) {
    // No payload bytes at all: the header says enough.
    expect_error(header(true, op_text, 2000), 1009, 1024);
    expect_error(header(true, op_binary, 2000), 1009, 1024);
    expect_error(header(true, op_text, 1ULL << 40U), 1009, 1024);
    expect_error(header(false, op_text, 1025), 1009, 1024);
    // And with them.
    expect_error(frame(true, op_text, std::string(1025, 'x')), 1009, 1024);
}

TEST(WsFrameReaderTest, MessageOfExactlyTheLimitIsFine) {
    reader r{1024};
    const auto got = drain(r, frame(true, op_text, std::string(1024, 'x')) +
                                  frame(false, op_text, std::string(1000, 'y')) +
                                  frame(true, op_cont, std::string(24, 'z')));
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0].kind, event_kind::text);
    EXPECT_EQ(got[0].payload.size(), 1024U);
    EXPECT_EQ(got[2].kind, event_kind::text);
    EXPECT_EQ(got[2].payload, std::string(1000, 'y') + std::string(24, 'z'));
}

TEST(WsFrameReaderTest, TooBigFragmentedMessageIsRefused) {
    expect_error(frame(false, op_text, std::string(600, 'a')) +
                     frame(true, op_cont, std::string(600, 'b')),
                 1009, 1024);
    // Detected at the header of the fragment that goes over.
    expect_error(frame(false, op_text, std::string(600, 'a')) +
                     frame(false, op_cont, std::string(400, 'b')) + header(true, op_cont, 25),
                 1009, 1024);
    expect_error(frame(false, op_binary, std::string(1000, 'a')) + header(false, op_cont, 1000),
                 1009, 1024);
}

TEST(WsFrameReaderTest, ErrorsAreFoundFromTheHeaderAlone) {
    // Two bytes are enough to know: no need to wait for a payload that may never come.
    reader r{one_mib};
    const std::string in = header(true, op_text, 50, 4);
    const auto ev = r.next(in);
    EXPECT_EQ(ev.kind, event_kind::error);
    EXPECT_EQ(ev.code, 1002);
}

// Client frames: a reader of our own encoder's output, unmasking by hand.
struct client_frame {
    std::uint8_t byte0 = 0;
    bool masked = false;
    std::size_t header = 0;
    std::uint64_t length = 0;
    std::array<std::uint8_t, 4> key{};
    std::string payload; // unmasked
};

client_frame decode_client(std::string_view in) {
    client_frame f;
    f.byte0 = static_cast<std::uint8_t>(in.at(0));
    const auto b1 = static_cast<std::uint8_t>(in.at(1));
    f.masked = (b1 & 0x80U) != 0;
    std::size_t pos = 2;
    f.length = b1 & 0x7FU;
    if (f.length == 126) {
        f.length = (std::uint64_t{static_cast<std::uint8_t>(in.at(2))} << 8U) |
                   static_cast<std::uint8_t>(in.at(3));
        pos = 4;
    } else if (f.length == 127) {
        f.length = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            f.length = (f.length << 8U) | static_cast<std::uint8_t>(in.at(2 + i));
        }
        pos = 10;
    }
    if (f.masked) {
        for (std::size_t i = 0; i < 4; ++i) {
            f.key[i] = static_cast<std::uint8_t>(in.at(pos + i));
        }
        pos += 4;
    }
    f.header = pos;
    for (std::size_t i = 0; i < f.length && pos + i < in.size(); ++i) {
        f.payload.push_back(
            static_cast<char>(static_cast<std::uint8_t>(in[pos + i]) ^ f.key[i % 4]));
    }
    return f;
}

/// Payload lengths around every length encoding: 7 bits (up to 125), 16 bits, 64 bits.
constexpr std::array<std::size_t, 7> frame_lengths{0, 1, 125, 126, 65535, 65536, 70'001};

/// `n` bytes of a repeating pattern of 251 values (so a misplaced byte shows).
std::string sample_payload(std::size_t n) {
    std::string payload(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        payload[i] = static_cast<char>(i * 7 % 251);
    }
    return payload;
}

TEST(WsFrameWriterTest, FinOpcodeAndMaskBitAreSet) {
    const std::array<std::uint8_t, 4> mask{0xA1, 0xB2, 0xC3, 0xD4};
    const std::vector<std::pair<opcode, std::uint8_t>> cases{
        {opcode::text, 0x81}, {opcode::binary, 0x82}, {opcode::close, 0x88},
        {opcode::ping, 0x89}, {opcode::pong, 0x8A},
    };
    for (const auto& [op, byte0] : cases) {
        std::string out;
        append_frame(out, op, "abc", mask);
        ASSERT_GE(out.size(), 2U);
        EXPECT_EQ(static_cast<std::uint8_t>(out[0]), byte0);
        EXPECT_EQ(static_cast<std::uint8_t>(out[1]), 0x80U | 3U);
    }
}

TEST(WsFrameWriterTest, LengthFormsMaskKeyAndMaskedPayload) {
    const std::array<std::uint8_t, 4> mask{0xA1, 0xB2, 0xC3, 0xD4};
    for (const std::size_t n : frame_lengths) {
        SCOPED_TRACE(n);
        const std::string payload = sample_payload(n);
        std::string out = "prefix"; // appends, does not replace
        append_frame(out, opcode::text, payload, mask);
        ASSERT_TRUE(out.starts_with("prefix"));
        const std::string_view f = std::string_view(out).substr(6);
        const std::size_t head = (n < 126 ? 2 : n <= 0xFFFF ? 4 : 10) + 4;
        ASSERT_EQ(f.size(), head + n);
        const auto b1 = static_cast<std::uint8_t>(f[1]);
        EXPECT_EQ(b1 & 0x80U, 0x80U) << "MASK bit";
        if (n < 126) {
            EXPECT_EQ(b1 & 0x7FU, n);
        } else if (n <= 0xFFFF) {
            EXPECT_EQ(b1 & 0x7FU, 126U);
            EXPECT_EQ(static_cast<std::uint8_t>(f[2]), (n >> 8U) & 0xFFU);
            EXPECT_EQ(static_cast<std::uint8_t>(f[3]), n & 0xFFU);
        } else {
            EXPECT_EQ(b1 & 0x7FU, 127U);
            std::uint64_t len = 0;
            for (std::size_t i = 0; i < 8; ++i) {
                len = (len << 8U) | static_cast<std::uint8_t>(f[2 + i]);
            }
            EXPECT_EQ(len, n);
        }
        for (std::size_t i = 0; i < 4; ++i) {
            EXPECT_EQ(static_cast<std::uint8_t>(f[head - 4 + i]), mask[i]) << "key byte " << i;
        }
        // Masked on the wire: byte i is payload[i] ^ mask[i % 4].
        bool all_masked = true;
        for (std::size_t i = 0; i < n; ++i) {
            const auto want =
                static_cast<std::uint8_t>(static_cast<std::uint8_t>(payload[i]) ^ mask[i % 4]);
            if (static_cast<std::uint8_t>(f[head + i]) != want) {
                all_masked = false;
                ADD_FAILURE() << "byte " << i << " is not masked right";
                break;
            }
        }
        EXPECT_TRUE(all_masked);
        const auto back = decode_client(f);
        EXPECT_EQ(back.byte0, 0x81);
        EXPECT_TRUE(back.masked);
        EXPECT_EQ(back.length, n);
        EXPECT_EQ(back.header, head);
        EXPECT_TRUE(back.payload == payload);
    }
}

TEST(WsFrameWriterTest, FramesAppendBackToBack) {
    std::string out;
    append_frame(out, opcode::text, "one", {1, 2, 3, 4});
    append_frame(out, opcode::pong, "two", {5, 6, 7, 8});
    const auto first = decode_client(out);
    EXPECT_EQ(first.payload, "one");
    const auto second = decode_client(std::string_view(out).substr(first.header + first.length));
    EXPECT_EQ(second.byte0, 0x8A);
    EXPECT_EQ(second.payload, "two");
    EXPECT_EQ(out.size(), 2 * (2 + 4 + 3U));
}

TEST(WsFrameWriterTest, CloseFrameCarriesCodeAndReason) {
    std::string out;
    append_frame(out, opcode::close, close_payload(1000, "bye"), {9, 8, 7, 6});
    const auto f = decode_client(out);
    EXPECT_EQ(f.byte0, 0x88);
    EXPECT_EQ(f.payload, std::string("\x03\xe8"
                                     "bye",
                                     5));
}

TEST(WsFrameHelpersTest, ClosePayloadIsCodeInNetworkOrderThenReason) {
    EXPECT_EQ(close_payload(1000, "bye"), std::string("\x03\xe8"
                                                      "bye",
                                                      5));
    EXPECT_EQ(close_payload(1002), std::string("\x03\xea", 2));
    EXPECT_EQ(close_payload(1009), std::string("\x03\xf1", 2));
    EXPECT_EQ(close_payload(4999, "x"), std::string("\x13\x87x", 3));
}

TEST(WsFrameHelpersTest, AcceptForMatchesTheRfcExample) {
    // RFC 6455 section 1.3.
    EXPECT_EQ(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsFrameHelpersTest, MakeKeyIsTheBase64OfTheNonce) {
    std::array<std::uint8_t, 16> nonce{};
    for (std::size_t i = 0; i < nonce.size(); ++i) {
        nonce[i] = static_cast<std::uint8_t>(i);
    }
    EXPECT_EQ(make_key(nonce), "AAECAwQFBgcICQoLDA0ODw==");
    nonce.fill(0xFF);
    EXPECT_EQ(make_key(nonce), "/////////////////////w==");
    // The RFC's sample nonce is the 16 bytes of "the sample nonce".
    const std::string_view sample = "the sample nonce";
    for (std::size_t i = 0; i < nonce.size(); ++i) {
        nonce[i] = static_cast<std::uint8_t>(sample[i]);
    }
    EXPECT_EQ(make_key(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
}

// Server role: a client's frames are masked, each with its own key (RFC 6455 5.3).

/// A client frame masked with `key`, built by hand: the header with the MASK bit, the key, then
/// byte i of the payload XORed with key[i % 4].
std::string masked(bool fin, std::uint8_t op, std::string_view payload,
                   std::array<std::uint8_t, 4> key) {
    std::string out = header(fin, op, payload.size(), 0, true);
    out.append(reinterpret_cast<const char*>(key.data()), key.size());
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]));
    }
    return out;
}

constexpr std::array<std::uint8_t, 4> key_a{0xA1, 0xB2, 0xC3, 0xD4};
constexpr std::array<std::uint8_t, 4> key_b{0x01, 0x80, 0xFF, 0x37};
constexpr std::array<std::uint8_t, 4> key_c{0x5A, 0x00, 0x00, 0x99};

TEST(WsFrameServerRoleTest, MaskedClientFramesAreUnmaskedInEveryLengthForm) {
    for (const std::size_t n : frame_lengths) {
        SCOPED_TRACE(n);
        const std::string payload = sample_payload(n);
        const std::string in = masked(true, op_binary, payload, key_a);
        const std::size_t head = (n < 126 ? 2 : n <= 0xFFFF ? 4 : 10) + 4;
        ASSERT_EQ(in.size(), head + n);
        reader r{one_mib, role::server};
        const auto ev = r.next(in);
        ASSERT_EQ(ev.kind, event_kind::binary) << ev.ec.message();
        EXPECT_EQ(ev.size, in.size());
        EXPECT_TRUE(ev.payload == payload);

        // Short by one byte, or with only the length known: the whole frame is asked for.
        reader r2{one_mib, role::server};
        const auto short_ev = r2.next(std::string_view(in).substr(0, in.size() - 1));
        EXPECT_EQ(short_ev.kind, event_kind::need_more);
        EXPECT_EQ(short_ev.needed, in.size());
        const auto header_only = r2.next(std::string_view(in).substr(0, head - 4));
        EXPECT_EQ(header_only.kind, event_kind::need_more);
        EXPECT_EQ(header_only.needed, in.size());
    }
}

TEST(WsFrameServerRoleTest, EachFrameIsUnmaskedWithItsOwnKey) {
    reader r{one_mib, role::server};
    const std::string in = masked(true, op_text, "first", key_a) +
                           masked(true, op_text, "second", key_b) +
                           frame(true, op_text, "third", 0, true); // the support file's key
    const auto got = drain(r, in);
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0], (seen{event_kind::text, 2 + 4 + 5, "first", 0}));
    EXPECT_EQ(got[1], (seen{event_kind::text, 2 + 4 + 6, "second", 0}));
    EXPECT_EQ(got[2], (seen{event_kind::text, 2 + 4 + 5, "third", 0}));
}

TEST(WsFrameServerRoleTest, EverySplitPointGivesTheSameEvents) {
    expect_same_events_one_byte_at_a_time(false, role::server);
}

TEST(WsFrameServerRoleTest, EverySplitPointGivesTheSameEventsWithLongFrames) {
    expect_same_events_one_byte_at_a_time(true, role::server);
}

TEST(WsFrameServerRoleTest, UnmaskedFrameIsAProtocolError) {
    for (const std::uint8_t op : {op_text, op_binary, op_ping, op_pong}) {
        SCOPED_TRACE(static_cast<int>(op));
        expect_error(frame(true, op, "x"), 1002, one_mib, role::server);
    }
    expect_error(frame(true, op_close, close_body(1000)), 1002, one_mib, role::server);
    // From the first two bytes, and after good frames or in the middle of a message.
    expect_error(header(true, op_text, 50), 1002, one_mib, role::server);
    expect_error(masked(true, op_text, "good", key_a) + frame(true, op_text, "bad"), 1002, one_mib,
                 role::server);
    expect_error(masked(false, op_text, "a", key_a) + frame(true, op_cont, "b"), 1002, one_mib,
                 role::server);
}

TEST(WsFrameServerRoleTest, MaskedFrameInClientRoleIsStillAProtocolError) {
    expect_error(masked(true, op_text, "hello", key_a), 1002, one_mib, role::client);
    expect_error(frame(true, op_text, "good") + masked(true, op_ping, "", key_b), 1002, one_mib,
                 role::client);
}

TEST(WsFrameServerRoleTest, FragmentedMaskedMessagesAreDeliveredWhole) {
    reader r{one_mib, role::server};
    const std::string in = masked(false, op_text, "Hel", key_a) +
                           masked(true, op_ping, "p1", key_b) + masked(false, op_cont, "l", key_c) +
                           masked(false, op_cont, "", key_a) + masked(true, op_pong, "p2", key_c) +
                           masked(true, op_cont, "o!", key_b);
    const auto w = walk(r, in);
    EXPECT_EQ(w.kinds, (std::vector<event_kind>{event_kind::consumed, event_kind::ping,
                                                event_kind::consumed, event_kind::consumed,
                                                event_kind::consumed, event_kind::text}));
    EXPECT_EQ(w.inside, (std::vector<bool>{true, true, true, true, true, false}));
    EXPECT_EQ(w.ping, "p1");
    EXPECT_EQ(w.text, "Hello!");
    EXPECT_EQ(w.left, 0U);

    // A binary one, then the reader is ready for the next message.
    const auto got = drain(r, masked(false, op_binary, std::string("\x00\xff", 2), key_c) +
                                  masked(true, op_cont, std::string("\x10", 1), key_a) +
                                  masked(true, op_text, "next", key_b));
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[1].kind, event_kind::binary);
    EXPECT_EQ(got[1].payload, std::string("\x00\xff\x10", 3));
    EXPECT_EQ(got[2].kind, event_kind::text);
    EXPECT_EQ(got[2].payload, "next");
}

TEST(WsFrameServerRoleTest, MaskedControlFrames) {
    reader r{one_mib, role::server};
    const auto got = drain(r, masked(true, op_ping, "hb-42", key_a) +
                                  masked(true, op_ping, std::string(125, 'p'), key_b) +
                                  masked(true, op_pong, "hb-42", key_c) +
                                  masked(true, op_close, close_body(1001, "going away"), key_b));
    ASSERT_EQ(got.size(), 4U);
    EXPECT_EQ(got[0], (seen{event_kind::ping, 2 + 4 + 5, "hb-42", 0}));
    EXPECT_EQ(got[1].kind, event_kind::ping);
    EXPECT_EQ(got[1].payload, std::string(125, 'p'));
    EXPECT_EQ(got[2].kind, event_kind::consumed);
    EXPECT_EQ(got[3], (seen{event_kind::close, 2 + 4 + 12, "going away", 1001}));

    reader empty_close{one_mib, role::server};
    const std::string c = masked(true, op_close, "", key_a);
    const auto ev = empty_close.next(c);
    EXPECT_EQ(ev.kind, event_kind::close);
    EXPECT_EQ(ev.code, 1005);

    // The control-frame rules hold for masked frames too.
    expect_error(masked(true, op_ping, std::string(126, 'p'), key_a), 1002, one_mib, role::server);
    expect_error(header(true, op_ping, 126, 0, true), 1002, one_mib, role::server);
    expect_error(masked(false, op_ping, "x", key_a), 1002, one_mib, role::server);
    expect_error(masked(true, op_close, "\x03", key_a), 1002, one_mib, role::server);
    expect_error(masked(true, op_close, close_body(1005), key_b), 1002, one_mib, role::server);
}

TEST(WsFrameServerRoleTest, TooBigIsDetectedFromTheHeader) {
    // The header alone, without the mask key or any payload.
    expect_error(header(true, op_text, 2000, 0, true), 1009, 1024, role::server);
    expect_error(header(true, op_binary, 1ULL << 40U, 0, true), 1009, 1024, role::server);
    expect_error(header(false, op_text, 1025, 0, true), 1009, 1024, role::server);
    // The fragment that goes over, from its header.
    expect_error(masked(false, op_text, std::string(600, 'a'), key_a) +
                     header(true, op_cont, 600, 0, true),
                 1009, 1024, role::server);
    // Exactly the limit is fine.
    reader r{1024, role::server};
    const auto got = drain(r, masked(false, op_text, std::string(1000, 'y'), key_b) +
                                  masked(true, op_cont, std::string(24, 'z'), key_c));
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[1].kind, event_kind::text);
    EXPECT_EQ(got[1].payload, std::string(1000, 'y') + std::string(24, 'z'));
}

TEST(WsFrameServerWriterTest, ServerFramesAreUnmaskedInEveryLengthForm) {
    for (const std::size_t n : frame_lengths) {
        SCOPED_TRACE(n);
        const std::string payload = sample_payload(n);
        std::string out = "prefix"; // appends, does not replace
        append_server_frame(out, opcode::text, payload);
        ASSERT_TRUE(out.starts_with("prefix"));
        const std::string_view f = std::string_view(out).substr(6);
        const std::size_t head = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        ASSERT_EQ(f.size(), head + n);
        EXPECT_EQ(static_cast<std::uint8_t>(f[0]), 0x81U) << "FIN and text";
        EXPECT_EQ(static_cast<std::uint8_t>(f[1]) & 0x80U, 0U) << "no MASK bit";
        const auto back = decode_client(f); // reads an unmasked frame as it is
        EXPECT_FALSE(back.masked);
        EXPECT_EQ(back.length, n);
        EXPECT_EQ(back.header, head);
        EXPECT_TRUE(f.substr(head) == payload) << "the payload is sent as it is";

        // What a client reads of it.
        reader r{one_mib, role::client};
        const auto ev = r.next(f);
        ASSERT_EQ(ev.kind, event_kind::text) << ev.ec.message();
        EXPECT_EQ(ev.size, f.size());
        EXPECT_TRUE(ev.payload == payload);
    }
}

TEST(WsFrameServerWriterTest, EveryOpcodeDecodesWithAClientReader) {
    std::string out;
    append_server_frame(out, opcode::text, R"({"type":"pong"})");
    append_server_frame(out, opcode::binary, std::string("\x00\x01", 2));
    append_server_frame(out, opcode::ping, "p");
    append_server_frame(out, opcode::pong, "q");
    append_server_frame(out, opcode::close, close_payload(1008, "too slow"));
    reader r{one_mib, role::client};
    const auto got = drain(r, out);
    ASSERT_EQ(got.size(), 5U);
    EXPECT_EQ(got[0], (seen{event_kind::text, 2 + 15, R"({"type":"pong"})", 0}));
    EXPECT_EQ(got[1], (seen{event_kind::binary, 2 + 2, std::string("\x00\x01", 2), 0}));
    EXPECT_EQ(got[2], (seen{event_kind::ping, 2 + 1, "p", 0}));
    EXPECT_EQ(got[3].kind, event_kind::consumed);
    EXPECT_EQ(got[4], (seen{event_kind::close, 2 + 10, "too slow", 1008}));
}

} // namespace
} // namespace mdg::net::ws
