#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/json_writer.hpp"

namespace mdg::core {
namespace {

TEST(JsonWriterTest, EscapesKeysAndStrings) {
    json_writer j;
    j.begin_object();
    j.field("a\"b", std::string("quote \" backslash \\ newline \n tab \t"));
    j.field("ctl", std::string_view{"\x01\x1f\0", 3});
    j.field("bad utf8", "\xff!");
    j.field("plain", "caf\xc3\xa9 /");
    j.end_object();
    EXPECT_EQ(j.str(), R"({"a\"b":"quote \" backslash \\ newline \n tab \t",)"
                       R"("ctl":"\u0001\u001f\u0000","bad utf8":"\ufffd!",)"
                       "\"plain\":\"caf\xc3\xa9 /\"}");
}

TEST(JsonWriterTest, PutsCommasBetweenNestedArraysAndObjects) {
    json_writer j;
    j.begin_object();
    j.key("empty");
    j.begin_array();
    j.end_array();
    j.key("nested");
    j.begin_array();
    j.begin_array();
    j.value(1);
    j.value(2);
    j.end_array();
    j.begin_array();
    j.end_array();
    j.begin_object();
    j.field("x", true);
    j.key("y");
    j.begin_object();
    j.end_object();
    j.field("z", false);
    j.end_object();
    j.value("s");
    j.end_array();
    j.field("last", std::uint64_t{18'446'744'073'709'551'615U});
    j.end_object();
    EXPECT_EQ(j.str(), R"({"empty":[],"nested":[[1,2],[],{"x":true,"y":{},"z":false},"s"],)"
                       R"("last":18446744073709551615})");
}

TEST(JsonWriterTest, TopLevelArrayOfObjects) {
    json_writer j;
    j.begin_array();
    for (int i = -1; i <= 1; ++i) {
        j.begin_object();
        j.field("i", i);
        j.end_object();
    }
    j.end_array();
    EXPECT_EQ(j.str(), R"([{"i":-1},{"i":0},{"i":1}])");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    for (const auto style : {json_doubles::six_digits, json_doubles::round_trip}) {
        json_writer j{style};
        j.begin_array();
        j.value(std::numeric_limits<double>::quiet_NaN());
        j.value(inf);
        j.value(-inf);
        j.value(0.5);
        j.end_array();
        EXPECT_EQ(j.str(), "[null,null,null,0.5]");
    }
}

TEST(JsonWriterTest, DoubleStyles) {
    json_writer six;
    json_writer exact{json_doubles::round_trip};
    for (auto* j : {&six, &exact}) {
        j->begin_array();
        j->value(1.0 / 3.0);
        j->value(300.0);
        j->value(1.5e-18);
        j->end_array();
    }
    EXPECT_EQ(six.str(), "[0.333333,300,1.5e-18]");
    EXPECT_EQ(exact.str(), "[0.3333333333333333,300,1.5e-18]");
}

TEST(JsonWriterTest, NullAndOptionals) {
    json_writer j;
    j.begin_object();
    j.field("none", std::optional<double>{});
    j.field("some", std::optional<std::uint64_t>{7});
    j.field("nan", std::optional<double>{std::numeric_limits<double>::quiet_NaN()});
    j.key("explicit");
    j.null();
    j.end_object();
    EXPECT_EQ(j.str(), R"({"none":null,"some":7,"nan":null,"explicit":null})");
}

TEST(JsonWriterTest, TakeStartsANewDocument) {
    json_writer j;
    j.begin_array();
    j.value(1);
    j.end_array();
    EXPECT_EQ(j.take(), "[1]");
    EXPECT_EQ(j.str(), "");
    j.begin_array();
    j.value(2);
    j.end_array();
    EXPECT_EQ(j.take(), "[2]");
}

} // namespace
} // namespace mdg::core
