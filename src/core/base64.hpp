#pragma once

#include <string>
#include <string_view>

namespace mdg::core {

/// Standard base64 (RFC 4648 section 4, with `=` padding) of any bytes.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 into `out` (replaced). Stops at the first `=`; false on any
/// character outside the alphabet.
[[nodiscard]] bool base64_decode(std::string_view text, std::string& out);

} // namespace mdg::core
