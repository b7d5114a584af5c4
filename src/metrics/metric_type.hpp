#pragma once

#include <cstdint>
#include <string_view>

namespace mdg::metrics {

/// The type of a metric family, as written on its `# TYPE` line.
enum class metric_type : std::uint8_t {
    counter,   ///< monotonic total; names should end in `_total`
    gauge,     ///< a value that goes up and down
    histogram, ///< cumulative `_bucket{le=...}` series plus `_sum` and `_count`
    untyped,   ///< a value of unknown kind (collectors only)
};

/// The `# TYPE` spelling of `t`: "counter", "gauge", "histogram" or "untyped".
[[nodiscard]] std::string_view to_string(metric_type t) noexcept;

} // namespace mdg::metrics
