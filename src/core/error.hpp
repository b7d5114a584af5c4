#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace mdg {

/// Error codes of mdgate's own code (decoding, validation, configuration).
/// Each enumerator is also a metric label: `mdgate_decode_errors_total{kind="<name>"}`.
enum class errc : std::uint8_t {
    ok = 0,
    malformed_json,     ///< not JSON, or JSON with a syntax error
    truncated,          ///< JSON that ends early (a frame cut short)
    missing_field,      ///< a required key is absent
    wrong_type,         ///< a key holds a value of the wrong JSON type
    invalid_number,     ///< a decimal string that is not a number
    number_too_long,    ///< too many digits for a 64-bit fixed-point value
    precision_exceeded, ///< non-zero digits beyond the instrument's precision
    negative_value,     ///< a negative size or price where only >= 0 is allowed
    unknown_topic,      ///< a topic string that does not parse
    unknown_channel,    ///< a well-formed topic of a channel mdgate does not know
    unknown_enum,       ///< an enum string (side, tick direction, interval) that is not known
    unknown_symbol,     ///< an instrument that is not registered
    symbol_mismatch,    ///< the symbol inside `data` differs from the topic's symbol
    too_many_levels,    ///< a book message with more levels than any depth allows
    frame_too_large,    ///< a frame above the configured maximum size
    invalid_argument,   ///< a bad argument to a builder (retired depth, empty symbol, ...)
    limit_exceeded,     ///< a venue limit would be exceeded (args per request, args length)
    unavailable,        ///< the venue did not answer, or answered with an error (network, HTTP)
    count_,             ///< number of codes; keep last
};

/// Stable snake_case name of a code, used as metric label and in logs.
[[nodiscard]] std::string_view to_string(errc e) noexcept;

/// The error category of `mdg::errc`.
[[nodiscard]] const boost::system::error_category& mdg_category() noexcept;

[[nodiscard]] inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), mdg_category()};
}

} // namespace mdg

template <> struct boost::system::is_error_code_enum<mdg::errc> : std::true_type {};
