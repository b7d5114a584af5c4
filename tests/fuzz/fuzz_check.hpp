#pragma once

// What every fuzz target shares: the input as a string_view, and the invariant check that
// turns a broken property into a crash libFuzzer records (abort, with the reason on stderr).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mdg::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

/// Aborts with `what` on stderr when `ok` is false: a property the fuzzed code broke.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

} // namespace mdg::fuzz
