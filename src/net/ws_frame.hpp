#pragma once

// RFC 6455 framing without I/O: the reader turns the bytes a peer sent into messages and control
// frames, the writers encode frames (masked for a client, unmasked for a server), and the
// handshake helpers make a Sec-WebSocket-Key and the Sec-WebSocket-Accept a server must answer
// with. The gateway is a client of the venues (ws_session) and a server of its own stream
// (api::stream); both use this file.
//
// Why our own and not Boost.Beast's: Beast reads through a fixed 1,536-byte buffer and completes
// every message through a posted handler, so a flood costs one epoll_wait per frame. This reader
// works on whatever the caller read (64 kB at a time) and hands out every complete frame in it
// as a view, without copying and without a trip through the scheduler. ws_session owns the
// socket and the buffer; this file only decides what the bytes mean.
//
// What it accepts: no extensions (so RSV bits must be 0), unmasked frames from a server
// (role::client) or masked frames from a client (role::server), text and binary messages
// (fragmented or not, control frames allowed in between), ping, pong and close. Everything else is
// a protocol error with the close code the RFC asks for. Text is not checked for UTF-8 here: the
// JSON parser checks it, and counts a bad message as malformed instead of dropping the connection.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace mdg::net::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Close codes (RFC 6455 7.4.1) this side sends.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

/// What reader::next() found at the front of the bytes it was given.
enum class event_kind : std::uint8_t {
    need_more, ///< no complete frame yet: read more (at least `needed` bytes in all)
    consumed,  ///< a frame that needs nothing from the caller (a fragment, a pong): drop `size`
    text,      ///< a complete text message in `payload`
    binary,    ///< a complete binary message in `payload`
    ping,      ///< answer with a pong carrying `payload`
    close,     ///< the server closes: `code` (1005 when it sent none) and `payload` (reason)
    error,     ///< a protocol violation: `ec` says which, `code` is the close code to send
};

struct event {
    event_kind kind = event_kind::need_more;
    /// Bytes of the input this frame took; drop them from the front once `payload` is no
    /// longer needed. 0 for need_more and error.
    std::size_t size = 0;
    /// need_more: bytes of input needed before the next frame can complete (header + payload).
    std::size_t needed = 0;
    /// The message or control payload. Points into the input (a single frame) or into the
    /// reader (a message that came in fragments); valid until the next call to next().
    std::string_view payload;
    std::uint16_t code = 0;
    boost::system::error_code ec;
};

/// Which end of the connection the reader is on.
enum class role : std::uint8_t {
    client, ///< reads a server's frames: they must not be masked
    server, ///< reads a client's frames: they must be masked (RFC 6455 5.1)
};

/// Decodes the frames a peer sent. One per connection; not thread-safe.
class reader {
  public:
    /// `max_message_bytes`: a message (all its fragments) larger than this is an error
    /// (message_too_big, close code 1009), detected from the header before its payload arrives.
    /// In role::server, payloads are unmasked into the reader (a copy: a client's messages are
    /// small and rare); in role::client they are handed out where they lie.
    explicit reader(std::size_t max_message_bytes, role r = role::client)
        : max_message_(max_message_bytes), role_(r) {}

    /// Looks at the front of `input` (bytes read from the server and not dropped yet) and
    /// reports the next event. Never reads past one frame. After `error` the connection is
    /// unusable; further calls return the same error.
    [[nodiscard]] event next(std::string_view input);

    /// True while a fragmented message is being assembled.
    [[nodiscard]] bool in_message() const noexcept { return in_message_; }

  private:
    std::size_t max_message_;
    role role_;
    bool in_message_ = false; ///< a first fragment came, its final one has not
    opcode message_op_{};     ///< text or binary, of the message being assembled
    std::string fragments_;   ///< payload so far of the message being assembled
    std::string unmasked_;    ///< role::server: the current frame's payload, unmasked
    boost::system::error_code failed_;
    std::uint16_t failed_code_ = 0;

    event fail(boost::system::error_code ec, std::uint16_t code);
};

/// Appends one client frame (FIN set, masked with `mask`) carrying `payload` to `out`.
void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::array<std::uint8_t, 4> mask);

/// Appends one server frame (FIN set, not masked) carrying `payload` to `out`.
void append_server_frame(std::string& out, opcode op, std::string_view payload);

/// The payload of a close frame: the code in network order, then the reason.
[[nodiscard]] std::string close_payload(std::uint16_t code, std::string_view reason = {});

/// Sec-WebSocket-Key: 16 bytes, base64.
[[nodiscard]] std::string make_key(const std::array<std::uint8_t, 16>& nonce);
/// The Sec-WebSocket-Accept a server must answer `key` with: base64(SHA-1(key + GUID)).
[[nodiscard]] std::string accept_for(std::string_view key);

} // namespace mdg::net::ws
