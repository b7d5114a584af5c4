#include "net/ws_frame.hpp"

#include <cstring>
#include <openssl/sha.h>

#include <boost/beast/websocket/error.hpp>

#include "core/base64.hpp"

namespace mdg::net::ws {

namespace wserr = boost::beast::websocket;

namespace {

constexpr std::size_t max_control_payload = 125;

bool is_control(std::uint8_t op) noexcept {
    return (op & 0x8U) != 0;
}

bool known_opcode(std::uint8_t op) noexcept {
    switch (static_cast<opcode>(op)) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
        return true;
    }
    return false;
}

/// Close codes a peer may send (RFC 6455 7.4.1 and 7.4.2): 1004-1006 and 1015 are reserved
/// and never on the wire; 1012-1014 are registered with IANA since.
bool valid_close_code(std::uint16_t c) noexcept {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

} // namespace

event reader::fail(boost::system::error_code ec, std::uint16_t code) {
    failed_ = ec;
    failed_code_ = code;
    event e;
    e.kind = event_kind::error;
    e.ec = ec;
    e.code = code;
    return e;
}

event reader::next(std::string_view input) {
    if (failed_) {
        return fail(failed_, failed_code_);
    }
    event e;
    if (input.size() < 2) {
        e.needed = 2;
        return e;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(input.data());
    const bool fin = (p[0] & 0x80U) != 0;
    const std::uint8_t op = p[0] & 0x0FU;
    if ((p[0] & 0x70U) != 0) {
        return fail(wserr::error::bad_reserved_bits, close_code::protocol_error);
    }
    if (!known_opcode(op)) {
        return fail(wserr::error::bad_opcode, close_code::protocol_error);
    }
    const bool masked = (p[1] & 0x80U) != 0;
    if (masked != (role_ == role::server)) {
        return fail(masked ? wserr::error::bad_masked_frame : wserr::error::bad_unmasked_frame,
                    close_code::protocol_error);
    }
    std::uint64_t len = p[1] & 0x7FU;
    std::size_t header = 2;
    if (len == 126) {
        header = 4;
        if (input.size() < header) {
            e.needed = header;
            return e;
        }
        len = (std::uint64_t{p[2]} << 8) | p[3];
    } else if (len == 127) {
        header = 10;
        if (input.size() < header) {
            e.needed = header;
            return e;
        }
        len = 0;
        for (std::size_t i = 2; i < 10; ++i) {
            len = (len << 8) | p[i];
        }
        if ((len >> 63) != 0) {
            return fail(wserr::error::bad_size, close_code::protocol_error);
        }
    }
    if (is_control(op)) {
        if (!fin) {
            return fail(wserr::error::bad_control_fragment, close_code::protocol_error);
        }
        if (len > max_control_payload) {
            return fail(wserr::error::bad_control_size, close_code::protocol_error);
        }
    } else if (op == static_cast<std::uint8_t>(opcode::continuation)) {
        if (!in_message_) {
            return fail(wserr::error::bad_continuation, close_code::protocol_error);
        }
        if (len > max_message_ - fragments_.size()) {
            return fail(wserr::error::message_too_big, close_code::too_big);
        }
    } else {
        if (in_message_) {
            return fail(wserr::error::bad_data_frame, close_code::protocol_error);
        }
        if (len > max_message_) {
            return fail(wserr::error::message_too_big, close_code::too_big);
        }
    }
    const std::size_t mask_at = header;
    if (masked) {
        header += 4;
    }
    // len <= max_message_ (a size_t) or <= 125 here, so the sum cannot overflow.
    const std::size_t total = header + static_cast<std::size_t>(len);
    if (input.size() < total) {
        e.needed = total;
        return e;
    }
    std::string_view payload = input.substr(header, static_cast<std::size_t>(len));
    if (masked) {
        unmasked_.assign(payload);
        for (std::size_t i = 0; i < unmasked_.size(); ++i) {
            unmasked_[i] =
                static_cast<char>(static_cast<std::uint8_t>(unmasked_[i]) ^ p[mask_at + (i & 3U)]);
        }
        payload = unmasked_;
    }
    e.size = total;

    switch (static_cast<opcode>(op)) {
    case opcode::ping:
        e.kind = event_kind::ping;
        e.payload = payload;
        return e;
    case opcode::pong:
        e.kind = event_kind::consumed;
        return e;
    case opcode::close:
        if (payload.size() == 1) {
            return fail(wserr::error::bad_close_size, close_code::protocol_error);
        }
        e.kind = event_kind::close;
        e.code = 1005; // "no status received"
        if (payload.size() >= 2) {
            const auto* c = reinterpret_cast<const std::uint8_t*>(payload.data());
            e.code = static_cast<std::uint16_t>((c[0] << 8) | c[1]);
            if (!valid_close_code(e.code)) {
                return fail(wserr::error::bad_close_code, close_code::protocol_error);
            }
            e.payload = payload.substr(2);
        }
        return e;
    case opcode::text:
    case opcode::binary:
        if (fin) { // the common case: a whole message, handed out where it lies
            e.kind = op == static_cast<std::uint8_t>(opcode::text) ? event_kind::text
                                                                   : event_kind::binary;
            e.payload = payload;
            return e;
        }
        in_message_ = true;
        message_op_ = static_cast<opcode>(op);
        fragments_.assign(payload);
        e.kind = event_kind::consumed;
        return e;
    case opcode::continuation:
        fragments_.append(payload);
        if (!fin) {
            e.kind = event_kind::consumed;
            return e;
        }
        in_message_ = false;
        e.kind = message_op_ == opcode::text ? event_kind::text : event_kind::binary;
        e.payload = fragments_;
        return e;
    }
    return fail(wserr::error::bad_opcode, close_code::protocol_error); // unreachable
}

namespace {

// Writes a frame header (FIN set) into h and returns its length, without the mask key.
std::size_t frame_header(std::array<std::uint8_t, 14>& h, opcode op, std::size_t n, bool masked) {
    const std::uint8_t mask_bit = masked ? 0x80U : 0U;
    h[0] = static_cast<std::uint8_t>(0x80U | static_cast<std::uint8_t>(op));
    if (n <= 125) {
        h[1] = static_cast<std::uint8_t>(mask_bit | n);
        return 2;
    }
    if (n <= 0xFFFF) {
        h[1] = mask_bit | 126U;
        h[2] = static_cast<std::uint8_t>(n >> 8);
        h[3] = static_cast<std::uint8_t>(n);
        return 4;
    }
    h[1] = mask_bit | 127U;
    const auto len = static_cast<std::uint64_t>(n);
    for (std::size_t i = 0; i < 8; ++i) {
        h[2 + i] = static_cast<std::uint8_t>(len >> (8 * (7 - i)));
    }
    return 10;
}

} // namespace

void append_server_frame(std::string& out, opcode op, std::string_view payload) {
    std::array<std::uint8_t, 14> h{};
    const std::size_t hn = frame_header(h, op, payload.size(), false);
    out.append(reinterpret_cast<const char*>(h.data()), hn);
    out.append(payload);
}

void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::array<std::uint8_t, 4> mask) {
    const std::size_t n = payload.size();
    std::array<std::uint8_t, 14> h{};
    std::size_t hn = frame_header(h, op, n, true);
    std::memcpy(h.data() + hn, mask.data(), 4);
    hn += 4;
    const std::size_t at = out.size();
    out.resize(at + hn + n);
    auto* dst = reinterpret_cast<std::uint8_t*>(out.data() + at);
    std::memcpy(dst, h.data(), hn);
    dst += hn;
    const auto* src = reinterpret_cast<const std::uint8_t*>(payload.data());
    for (std::size_t i = 0; i < n; ++i) {
        dst[i] = src[i] ^ mask[i & 3U];
    }
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string out;
    out.reserve(2 + reason.size());
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xFFU));
    out.append(reason);
    return out;
}

std::string make_key(const std::array<std::uint8_t, 16>& nonce) {
    return core::base64_encode({reinterpret_cast<const char*>(nonce.data()), nonce.size()});
}

std::string accept_for(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string in;
    in.reserve(key.size() + guid.size());
    in.append(key).append(guid);
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest.data());
    return core::base64_encode({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

} // namespace mdg::net::ws
