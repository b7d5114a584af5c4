#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace mdg::sim::detail {

/// splitmix64's finaliser: spreads the bits of `x`. Used to derive per-symbol and per-topic
/// values from the seed without drawing from the generator, so creating a topic never changes
/// the market's random sequence.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31U);
}

/// FNV-1a of a string (std::hash is implementation-defined, so it cannot feed a seed).
[[nodiscard]] constexpr std::uint64_t fnv1a(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

/// A value derived from the seed and a name: the same on every platform and library.
[[nodiscard]] constexpr std::uint64_t derive(std::uint64_t seed, std::string_view name) noexcept {
    return mix64(seed ^ mix64(fnv1a(name)));
}

/// The simulator's random source. std::mt19937_64's output is fixed by the standard, but the
/// standard distributions are implementation-defined, so the integer distributions are ours:
/// the same seed gives the same market with any standard library.
///
/// Owned by the market_model; not thread-safe.
class rng {
  public:
    explicit rng(std::uint64_t seed) : gen_(seed) {}

    [[nodiscard]] std::uint64_t next() { return gen_(); }

    /// Uniform in [0, n); n > 0. Rejection sampling, so there is no modulo bias.
    [[nodiscard]] std::uint64_t below(std::uint64_t n) {
        // 2^64 mod n: draws under it would make the low residues more likely.
        const std::uint64_t threshold = (0 - n) % n;
        for (;;) {
            const std::uint64_t x = gen_();
            if (x >= threshold) {
                return x % n;
            }
        }
    }

    /// Uniform in [0, n) as a signed value; n > 0.
    [[nodiscard]] std::int64_t below_i(std::int64_t n) {
        return static_cast<std::int64_t>(below(static_cast<std::uint64_t>(n)));
    }

    /// Uniform in [lo, hi]; lo <= hi.
    [[nodiscard]] std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return lo + below_i(hi - lo + 1);
    }

    /// True with probability num/den.
    [[nodiscard]] bool chance(std::uint64_t num, std::uint64_t den) { return below(den) < num; }

  private:
    std::mt19937_64 gen_;
};

} // namespace mdg::sim::detail
