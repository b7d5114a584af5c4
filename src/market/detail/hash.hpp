#pragma once

#include <cstdint>
#include <string_view>

namespace mdg::market::detail {

/// Finaliser of MurmurHash3 (fmix64): a bijection on 64-bit values with full avalanche, so
/// that keys which differ in one bit land in unrelated slots.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/// Folds `v` into the running hash `h`. Order matters: (a, b) and (b, a) hash differently.
[[nodiscard]] constexpr std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) noexcept {
    return mix64(h ^ (mix64(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

/// 64-bit hash of a short text (a trade id): FNV-1a over the bytes, then mix64 so the low bits
/// are as good as the high ones. Stable across runs and platforms (unlike std::hash), which
/// keeps replays deterministic.
[[nodiscard]] constexpr std::uint64_t hash_text(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return mix64(h ^ s.size());
}

} // namespace mdg::market::detail
