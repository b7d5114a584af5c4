#pragma once

#include <string_view>

namespace mdg::http::detail {

/// Compares a secret with a candidate in time that depends only on the secret's length (never
/// on where they differ), so a client cannot guess the secret byte by byte. Pure; thread-safe.
[[nodiscard]] bool constant_time_equal(std::string_view secret,
                                       std::string_view candidate) noexcept;

/// True when an `Authorization` field value is `Bearer <token>` (RFC 6750 §2.1; the scheme is
/// case-insensitive, spaces around the token are ignored) and its token equals `token`
/// (constant time). Pure; thread-safe.
[[nodiscard]] bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

} // namespace mdg::http::detail
