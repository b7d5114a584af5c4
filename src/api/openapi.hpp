#pragma once

#include <string_view>

namespace mdg::api {

/// The OpenAPI 3.1 document of the HTTP API (docs/openapi.json, compiled in).
[[nodiscard]] std::string_view openapi_json() noexcept;

} // namespace mdg::api
