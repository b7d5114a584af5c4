#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mdg::metrics {

/// A label set: (name, value) pairs, e.g. `{{"venue", "bybit"}, {"kind", "gap"}}`.
/// Order does not matter: the registry sorts it by name, so `{a, b}` and `{b, a}` name the
/// same series. Names follow `[a-zA-Z_][a-zA-Z0-9_]*` without a `__` prefix; values are any
/// UTF-8 text (escaped on output).
using labels = std::vector<std::pair<std::string, std::string>>;

} // namespace mdg::metrics
