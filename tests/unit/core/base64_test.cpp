#include <gtest/gtest.h>

#include "core/base64.hpp"

namespace mdg::core {
namespace {

// RFC 4648 section 10's test vectors, both ways.
TEST(Base64Test, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    std::string back;
    for (const auto& [plain, coded] : vectors) {
        EXPECT_EQ(base64_encode(plain), coded);
        ASSERT_TRUE(base64_decode(coded, back)) << coded;
        EXPECT_EQ(back, plain);
    }
}

TEST(Base64Test, EveryByteRoundTripsAndBadCharactersAreRefused) {
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all += static_cast<char>(b);
    }
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(all), back));
    EXPECT_EQ(back, all);
    EXPECT_FALSE(base64_decode("Zm9v!", back));
}

} // namespace
} // namespace mdg::core
