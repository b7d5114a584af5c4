#pragma once

#include <cstdio>
#include <cstdlib>

/// MDG_ASSERT(cond, why): checks an invariant in debug and sanitizer builds, vanishes in release.
/// MDG_CHECK(cond, why): always checked; use where going on would corrupt state.
#define MDG_CHECK(cond, why)                                                                       \
    do {                                                                                           \
        if (!(cond)) [[unlikely]] {                                                                \
            std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond,      \
                         why);                                                                     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

#ifdef NDEBUG
#define MDG_ASSERT(cond, why)                                                                      \
    do {                                                                                           \
    } while (false)
#else
#define MDG_ASSERT(cond, why) MDG_CHECK(cond, why)
#endif
