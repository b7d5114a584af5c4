#pragma once

#include <boost/system/result.hpp>

#include "core/error.hpp"

namespace mdg {

/// Outcome of an operation that can fail without it being a bug: a value or an error_code.
/// Decoders and other hot-path code return this instead of throwing.
template <class T> using result = boost::system::result<T>;

} // namespace mdg
