#include <gtest/gtest.h>

#include "http/detail/auth.hpp"

namespace mdg::http::detail {
namespace {

TEST(ConstantTimeEqualTest, ComparesWholeStrings) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_FALSE(constant_time_equal("abc", ""));
    EXPECT_FALSE(constant_time_equal("", "a"));
    // A candidate that is the secret followed by NUL bytes is still a different string.
    EXPECT_FALSE(constant_time_equal("ab", std::string_view{"ab\0", 3}));
}

TEST(BearerMatchesTest, AcceptsOnlyTheBearerSchemeWithTheExactToken) {
    EXPECT_TRUE(bearer_matches("Bearer s3cret", "s3cret"));
    EXPECT_TRUE(bearer_matches("bearer s3cret", "s3cret"));
    EXPECT_TRUE(bearer_matches("BEARER \t s3cret  ", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearer s3cre", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearer s3cret2", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearer s3cret extra", "s3cret"));
    EXPECT_FALSE(bearer_matches("Basic s3cret", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearers3cret", "s3cret"));
    EXPECT_FALSE(bearer_matches("s3cret", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearer", "s3cret"));
    EXPECT_FALSE(bearer_matches("Bearer ", "s3cret"));
    EXPECT_FALSE(bearer_matches("", "s3cret"));
}

} // namespace
} // namespace mdg::http::detail
