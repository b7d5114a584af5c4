#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/result.hpp"

namespace mdg {
namespace {

TEST(ErrorTest, CodesHaveStableNames) {
    EXPECT_EQ(to_string(errc::malformed_json), "malformed_json");
    EXPECT_EQ(to_string(errc::precision_exceeded), "precision_exceeded");
    EXPECT_EQ(to_string(errc::limit_exceeded), "limit_exceeded");
    for (int i = 0; i < static_cast<int>(errc::count_); ++i) {
        EXPECT_NE(to_string(static_cast<errc>(i)), "unknown") << i;
    }
}

TEST(ErrorTest, ErrcConvertsToErrorCodeAndResult) {
    boost::system::error_code ec = errc::truncated;
    EXPECT_EQ(ec.category().name(), std::string_view{"mdg"});
    EXPECT_EQ(ec.message(), "truncated");
    result<int> r = errc::wrong_type;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::wrong_type));
}

} // namespace
} // namespace mdg
