// Fuzz target: the WebSocket frame reader (net/ws_frame.cpp). The first byte picks the role
// (bit 0: server, which reads masked frames) and the message limit (16 bytes to 2 KiB); the
// rest is what the peer sent.
// The stream is read twice: all at once, and as a socket would deliver it (each read ends where
// the reader said it needs more, so every frame is also seen cut short). Invariants: both
// readings report the same events with the same payloads; a frame never takes more bytes than
// were given, a need_more asks for more than was given, a message fits the limit, and after an
// error the reader keeps returning it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "net/ws_frame.hpp"

namespace {

using namespace mdg;
namespace ws = net::ws;

struct seen {
    ws::event_kind kind;
    std::size_t size;
    std::string payload;
    std::uint16_t code;
};

// Reads `input`, offering `chunk(offset, needed)` bytes at a time from the current offset.
template <class Chunk>
std::vector<seen> read_all(std::string_view input, ws::role role, std::size_t max_message,
                           Chunk chunk) {
    ws::reader reader{max_message, role};
    std::vector<seen> out;
    std::size_t off = 0;
    std::size_t avail = chunk(input.size(), 0);
    while (true) {
        const auto given = input.substr(off, avail);
        const auto e = reader.next(given);
        if (e.kind == ws::event_kind::need_more) {
            fuzz::check(e.needed > given.size(), "need_more asks for more than it has");
            if (off + avail >= input.size()) {
                break;
            }
            avail = std::min(input.size() - off, chunk(input.size() - off, e.needed));
            continue;
        }
        out.push_back({e.kind, e.size, std::string{e.payload}, e.code});
        if (e.kind == ws::event_kind::error) {
            const auto again = reader.next(given);
            fuzz::check(again.kind == ws::event_kind::error && again.ec == e.ec,
                        "an error is final");
            break;
        }
        fuzz::check(e.size > 0 && e.size <= given.size(), "a frame takes what it was given");
        if (e.kind == ws::event_kind::text || e.kind == ws::event_kind::binary) {
            fuzz::check(e.payload.size() <= max_message, "a message fits the limit");
        }
        off += e.size;
        avail = std::min(input.size() - off, chunk(input.size() - off, 0));
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto role = (data[0] & 1) != 0 ? ws::role::server : ws::role::client;
    const std::size_t max_message = std::size_t{16} << ((data[0] >> 1) & 7);
    const auto input = fuzz::as_text(data + 1, size - 1);

    const auto whole =
        read_all(input, role, max_message, [](std::size_t left, std::size_t) { return left; });
    // A socket's way: first whatever the header needs (2 bytes), then exactly what was asked.
    const auto drip = read_all(input, role, max_message, [](std::size_t left, std::size_t needed) {
        return needed == 0 ? std::min<std::size_t>(left, 2) : needed;
    });
    fuzz::check(whole.size() == drip.size(), "same number of events either way");
    for (std::size_t i = 0; i < whole.size(); ++i) {
        fuzz::check(whole[i].kind == drip[i].kind && whole[i].size == drip[i].size &&
                        whole[i].payload == drip[i].payload && whole[i].code == drip[i].code,
                    "same events either way");
    }
    return 0;
}
