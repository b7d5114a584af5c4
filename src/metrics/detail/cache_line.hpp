#pragma once

#include <cstddef>

namespace mdg::metrics::detail {

/// Alignment of each instrument, so two instruments never share a cache line. A constant
/// rather than std::hardware_destructive_interference_size, whose value GCC warns may change
/// between compiler versions (and so between translation units).
inline constexpr std::size_t cache_line_size = 64;

} // namespace mdg::metrics::detail
