#pragma once

#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>

namespace mdg::net {

/// Prepares a client TLS stream for `host`: SNI when `host` is a name (RFC 6066 §3: never for
/// an address), and a certificate that must name the host. Returns false when OpenSSL refuses
/// the SNI name. Call before the handshake.
template <class TlsStream>
[[nodiscard]] bool set_tls_peer(TlsStream& stream, const std::string& host) {
    boost::system::error_code not_an_address;
    (void)boost::asio::ip::make_address(host, not_an_address);
    // SSL_set_tlsext_host_name, spelled out: the macro casts the C way.
    if (not_an_address &&
        SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str())) != 1) {
        return false;
    }
    stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
    return true;
}

} // namespace mdg::net
