// The [log] values of the configuration file and of the --log-* options are one list.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/config.hpp"
#include "cli/log_values.hpp"
#include "core/log.hpp"

namespace mdg::cli {
namespace {

using spdlog::level::level_enum;

TEST(LogValuesTest, EveryLevelNameParses) {
    EXPECT_EQ(parse_log_level("trace"), level_enum::trace);
    EXPECT_EQ(parse_log_level("debug"), level_enum::debug);
    EXPECT_EQ(parse_log_level("info"), level_enum::info);
    EXPECT_EQ(parse_log_level("warn"), level_enum::warn);
    EXPECT_EQ(parse_log_level("warning"), level_enum::warn);
    EXPECT_EQ(parse_log_level("error"), level_enum::err);
    EXPECT_EQ(parse_log_level("critical"), level_enum::critical);
    EXPECT_EQ(parse_log_level("off"), level_enum::off);
    for (const auto name : log_level_names) {
        EXPECT_TRUE(parse_log_level(name)) << name;
        EXPECT_EQ(log_value_problem(log_setting::level, name), "") << name;
    }
}

TEST(LogValuesTest, LevelsAreCaseSensitiveAndSpelledInFull) {
    for (const char* bad :
         {"", "INFO", "Info", "err", "crit", "fatal", "verbose", " info", "info ", "warn\n"}) {
        EXPECT_FALSE(parse_log_level(bad)) << bad;
        EXPECT_NE(log_value_problem(log_setting::level, bad), "") << bad;
    }
}

TEST(LogValuesTest, TheLevelNamesPrintedInLogLinesAreAccepted) {
    // A level copied from a log line ("[warning] ...") is a valid setting.
    for (auto l : {level_enum::trace, level_enum::debug, level_enum::info, level_enum::warn,
                   level_enum::err, level_enum::critical}) {
        EXPECT_EQ(parse_log_level(core::level_name(l)), l) << core::level_name(l);
    }
}

TEST(LogValuesTest, FormatAndTargetNamesAreTheOnesCoreParses) {
    for (const auto name : log_format_names) {
        auto f = core::parse_log_format(name);
        ASSERT_TRUE(f) << name;
        EXPECT_EQ(core::to_string(*f), name);
    }
    for (const auto name : log_target_names) {
        auto t = core::parse_log_target(name);
        ASSERT_TRUE(t) << name;
        EXPECT_EQ(core::to_string(*t), name);
    }
    EXPECT_FALSE(core::parse_log_format("yaml"));
    EXPECT_FALSE(core::parse_log_target("syslog"));
}

TEST(LogValuesTest, ProblemsListTheValuesAndQuoteTheInput) {
    EXPECT_EQ(log_value_problem(log_setting::level, "verbose"),
              "must be one of trace, debug, info, warn, warning, error, critical, off, got "
              "'verbose'");
    EXPECT_EQ(log_value_problem(log_setting::format, "yaml"),
              "must be one of text, json, got 'yaml'");
    EXPECT_EQ(log_value_problem(log_setting::target, "sys\nlog"),
              "must be one of stderr, journald, got 'sys\\x0alog'");
    EXPECT_EQ(log_values_list(log_setting::target), "stderr, journald");
}

TEST(LogValuesTest, TheFileAcceptsExactlyTheSameValues) {
    for (const auto name : log_level_names) {
        std::string error;
        auto cfg = parse_config(fmt::format("[log]\nlevel = \"{}\"\n", name), "f.toml", error);
        ASSERT_TRUE(cfg) << name << ": " << error;
        EXPECT_EQ(cfg->log.level, name);
    }
    for (const auto name : log_format_names) {
        std::string error;
        EXPECT_TRUE(parse_config(fmt::format("[log]\nformat = \"{}\"\n", name), "f.toml", error))
            << error;
    }
    for (const auto name : log_target_names) {
        std::string error;
        EXPECT_TRUE(parse_config(fmt::format("[log]\ntarget = \"{}\"\n", name), "f.toml", error))
            << error;
    }
    std::string error;
    EXPECT_FALSE(parse_config("[log]\nlevel = \"err\"\n", "f.toml", error));
    EXPECT_EQ(error, "f.toml:2: 'log.level' " + log_value_problem(log_setting::level, "err"));
}

TEST(LogValuesTest, ToLogOptionsAppliesOnlyWhatIsGiven) {
    core::log_options base;
    base.level = level_enum::err;
    base.target = core::log_target::journald;
    const auto o = to_log_options(std::string{"critical"}, std::nullopt, std::nullopt, base);
    EXPECT_EQ(o.level, level_enum::critical);
    EXPECT_EQ(o.format, core::log_format::text);
    EXPECT_EQ(o.target, core::log_target::journald);
    const auto all =
        to_log_options(std::string{"warning"}, std::string{"json"}, std::string{"stderr"}, base);
    EXPECT_EQ(all.level, level_enum::warn);
    EXPECT_EQ(all.format, core::log_format::json);
    EXPECT_EQ(all.target, core::log_target::standard_error);
    const auto none = to_log_options(std::nullopt, std::nullopt, std::nullopt);
    EXPECT_EQ(none.level, level_enum::info);
    EXPECT_EQ(none.target, core::log_target::standard_error);
}

} // namespace
} // namespace mdg::cli
