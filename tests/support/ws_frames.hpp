#pragma once

// Server-to-client WebSocket frames built by hand, byte by byte as RFC 6455 section 5.2 draws
// them. This is independent of src/net/ws_frame.cpp on purpose: the frame reader and the
// session are never checked against our own encoder.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mdg::test {

/// Inline, so that a test can take in just these names with `using namespace test::ws_frames;`.
inline namespace ws_frames {

inline constexpr std::uint8_t op_cont = 0x0;
inline constexpr std::uint8_t op_text = 0x1;
inline constexpr std::uint8_t op_binary = 0x2;
inline constexpr std::uint8_t op_close = 0x8;
inline constexpr std::uint8_t op_ping = 0x9;
inline constexpr std::uint8_t op_pong = 0xA;

/// The header of a frame: FIN, RSV (3 bits, RSV1 = 4), opcode, MASK and the 7/16/64-bit length.
inline std::string header(bool fin, std::uint8_t op, std::uint64_t length, std::uint8_t rsv = 0,
                          bool masked = false) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80U : 0U) | ((rsv & 0x7U) << 4U) | (op & 0xFU)));
    const unsigned mask_bit = masked ? 0x80U : 0U;
    if (length < 126) {
        out.push_back(static_cast<char>(mask_bit | static_cast<unsigned>(length)));
    } else if (length <= 0xFFFF) {
        out.push_back(static_cast<char>(mask_bit | 126U));
        out.push_back(static_cast<char>((length >> 8U) & 0xFFU));
        out.push_back(static_cast<char>(length & 0xFFU));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127U));
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((length >> static_cast<unsigned>(shift)) & 0xFFU));
        }
    }
    return out;
}

/// A whole server frame. `masked` (a protocol error from a server) adds a fixed mask key.
inline std::string frame(bool fin, std::uint8_t op, std::string_view payload, std::uint8_t rsv = 0,
                         bool masked = false) {
    std::string out = header(fin, op, payload.size(), rsv, masked);
    if (!masked) {
        out.append(payload);
        return out;
    }
    const std::array<std::uint8_t, 4> key{0x11, 0x22, 0x33, 0x44};
    for (auto k : key) {
        out.push_back(static_cast<char>(k));
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]));
    }
    return out;
}

/// The payload of a close frame: the status code in network order, then the reason.
inline std::string close_body(std::uint16_t code, std::string_view reason = {}) {
    std::string out;
    out.push_back(static_cast<char>(code >> 8U));
    out.push_back(static_cast<char>(code & 0xFFU));
    out.append(reason);
    return out;
}

} // namespace ws_frames
} // namespace mdg::test
