// cli::global_options on a small CLI11 app shaped like mdgate's: one subcommand that reads a
// configuration file ("run") and one that does not ("sim").
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "cli/global_options.hpp"

namespace mdg::cli {
namespace {

struct parse_result {
    global_values values;
    std::string error; ///< what() of the CLI::ParseError; "" when parsing succeeded
};

parse_result parse(std::vector<std::string> args) {
    CLI::App app{"test"};
    app.require_subcommand(1);
    global_options global;
    global.add_to(app, true);
    auto* run = app.add_subcommand("run", "reads a file");
    auto* sim = app.add_subcommand("sim", "reads none");
    global.add_to(*run, true);
    global.add_to(*sim, false);
    std::vector<const char*> argv{"mdgate"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    parse_result r;
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
        r.values = global.values();
    } catch (const CLI::ParseError& e) {
        r.error = e.what();
    }
    return r;
}

TEST(GlobalOptionsTest, AcceptedBeforeAndAfterTheSubcommand) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--log-level", "critical", "--log-format", "json", "--log-target", "journald",
              "--config", "f.toml", "run"},
             {"run", "--log-level", "critical", "--log-format", "json", "--log-target", "journald",
              "--config", "f.toml"},
             {"--log-level=critical", "--config=f.toml", "run", "--log-format=json",
              "--log-target=journald"}}) {
        const auto r = parse(args);
        ASSERT_EQ(r.error, "") << args.front();
        EXPECT_EQ(r.values.log_level, "critical");
        EXPECT_EQ(r.values.log_format, "json");
        EXPECT_EQ(r.values.log_target, "journald");
        EXPECT_EQ(r.values.config, "f.toml");
    }
}

TEST(GlobalOptionsTest, NothingGivenIsNothingSet) {
    const auto r = parse({"sim"});
    ASSERT_EQ(r.error, "");
    EXPECT_FALSE(r.values.config);
    EXPECT_FALSE(r.values.log_level);
    EXPECT_FALSE(r.values.log_format);
    EXPECT_FALSE(r.values.log_target);
}

TEST(GlobalOptionsTest, AfterTheSubcommandWinsAndTheLastOneInAPlaceCounts) {
    auto r = parse({"--log-level", "debug", "sim", "--log-level", "error"});
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.values.log_level, "error");
    r = parse({"--log-level", "debug", "--log-level", "trace", "sim"});
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.values.log_level, "trace");
    r = parse({"run", "--config", "a.toml", "--config", "b.toml"});
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.values.config, "b.toml");
    r = parse({"--config", "a.toml", "run", "--config", "b.toml"});
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.values.config, "b.toml");
    r = parse({"--log-target", "journald", "run", "--log-level", "off"});
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.values.log_target, "journald"); // what is not repeated is kept
    EXPECT_EQ(r.values.log_level, "off");
}

TEST(GlobalOptionsTest, BadValuesNameTheOptionAndTheValues) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--log-level", "verbose", "sim"}, {"sim", "--log-level", "verbose"}}) {
        EXPECT_EQ(parse(args).error, "--log-level: must be one of trace, debug, info, warn, "
                                     "warning, error, critical, off, got 'verbose'");
    }
    EXPECT_EQ(parse({"run", "--log-format", "yaml"}).error,
              "--log-format: must be one of text, json, got 'yaml'");
    EXPECT_EQ(parse({"--log-target", "syslog", "run"}).error,
              "--log-target: must be one of stderr, journald, got 'syslog'");
    EXPECT_NE(parse({"sim", "--log-level"}).error, ""); // value missing
}

TEST(GlobalOptionsTest, ConfigOnlyWhereASubcommandReadsOne) {
    EXPECT_EQ(parse({"--config", "f.toml", "sim"}).error,
              "--config: `sim` reads no configuration file");
    EXPECT_NE(parse({"sim", "--config", "f.toml"}).error, "");
}

TEST(GlobalOptionsTest, EveryHelpListsThem) {
    CLI::App app{"test"};
    global_options global;
    global.add_to(app, true);
    auto* run = app.add_subcommand("run", "reads a file");
    auto* sim = app.add_subcommand("sim", "reads none");
    global.add_to(*run, true);
    global.add_to(*sim, false);
    for (const CLI::App* a : std::vector<const CLI::App*>{&app, run, sim}) {
        const auto help = a->help();
        EXPECT_NE(help.find("Global options (before or after the subcommand)"), std::string::npos)
            << help;
        EXPECT_NE(help.find("--log-level LEVEL"), std::string::npos) << help;
        EXPECT_NE(help.find("trace, debug, info, warn, warning, error, critical, off"),
                  std::string::npos)
            << help;
        EXPECT_NE(help.find("--log-format FORMAT"), std::string::npos) << help;
        EXPECT_NE(help.find("--log-target TARGET"), std::string::npos) << help;
        EXPECT_NE(help.find("stderr, journald"), std::string::npos) << help;
        EXPECT_EQ(help.find("--config FILE") != std::string::npos, a != sim) << help;
    }
}

} // namespace
} // namespace mdg::cli
