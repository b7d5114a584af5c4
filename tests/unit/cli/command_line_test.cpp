// mdgate's own command line (apps/mdgate/command_line.cpp), as the binary parses it: the
// global options before and after every subcommand, their values, errors and help.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "apps/mdgate/command_line.hpp"
#include "cli/config.hpp"

namespace mdg::app {
namespace {

using spdlog::level::level_enum;

struct outcome {
    std::variant<command_line, int> parsed;
    std::string out;
    std::string err;

    [[nodiscard]] const command_line& line() const { return std::get<command_line>(parsed); }
    [[nodiscard]] bool ok() const { return std::holds_alternative<command_line>(parsed); }
    [[nodiscard]] int exit_code() const { return ok() ? -1 : std::get<int>(parsed); }
};

outcome parse(const std::vector<std::string>& args) {
    std::vector<const char*> argv{"mdgate"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    std::ostringstream out;
    std::ostringstream err;
    auto parsed = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
    return {std::move(parsed), out.str(), err.str()};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::size_t lines_in(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Each subcommand with the least it needs to parse.
struct subcommand {
    std::vector<std::string> args;
    command cmd;
    bool reads_config;
};

const std::vector<subcommand>& subcommands() {
    static const std::vector<subcommand> all{
        {{"run"}, command::run, true},
        {{"sim"}, command::sim, false},
        {{"demo"}, command::demo, false},
        {{"replay", "capture.frames.jsonl"}, command::replay, false},
        {{"report"}, command::report, false},
        {{"baseline", "--from-journal"}, command::baseline, false},
        {{"bench"}, command::bench, false},
    };
    return all;
}

const std::vector<std::string> all_three{"--log-level", "critical",     "--log-format",
                                         "json",        "--log-target", "journald"};

TEST(CommandLineTest, LogOptionsBeforeOrAfterEverySubcommand) {
    for (const auto& sub : subcommands()) {
        for (const bool before : {true, false}) {
            const auto args = before ? concat(all_three, sub.args) : concat(sub.args, all_three);
            const auto r = parse(args);
            ASSERT_TRUE(r.ok()) << sub.args.front() << (before ? " (before): " : " (after): ")
                                << r.err;
            EXPECT_EQ(r.err, "");
            const auto& line = r.line();
            EXPECT_EQ(line.cmd, sub.cmd);
            EXPECT_EQ(line.log.level, level_enum::critical) << sub.args.front();
            EXPECT_EQ(line.log.format, core::log_format::json) << sub.args.front();
            EXPECT_EQ(line.log.target, core::log_target::journald) << sub.args.front();
        }
    }
}

TEST(CommandLineTest, EveryLevelOfTheFileIsAcceptedOnTheCommandLine) {
    const std::vector<std::pair<std::string, level_enum>> levels{
        {"trace", level_enum::trace},       {"debug", level_enum::debug},
        {"info", level_enum::info},         {"warn", level_enum::warn},
        {"warning", level_enum::warn},      {"error", level_enum::err},
        {"critical", level_enum::critical}, {"off", level_enum::off}};
    for (const auto& [name, level] : levels) {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"--log-level", name, "sim"}, {"sim", "--log-level", name}}) {
            const auto r = parse(args);
            ASSERT_TRUE(r.ok()) << name << ": " << r.err;
            EXPECT_EQ(r.line().log.level, level) << name;
        }
    }
}

TEST(CommandLineTest, DefaultsWhenNotGiven) {
    const auto r = parse({"sim"});
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_EQ(r.line().log.level, level_enum::info);
    EXPECT_EQ(r.line().log.format, core::log_format::text);
    EXPECT_EQ(r.line().log.target, core::log_target::standard_error);
    const auto run = parse({"run"});
    ASSERT_TRUE(run.ok()) << run.err;
    EXPECT_EQ(run.line().run.config, "");
    EXPECT_FALSE(run.line().run.overrides.log_level);
    EXPECT_FALSE(run.line().run.overrides.log_format);
    EXPECT_FALSE(run.line().run.overrides.log_target);
}

TEST(CommandLineTest, AfterTheSubcommandWinsOverBefore) {
    const auto r =
        parse({"--log-level", "debug", "--log-format", "json", "bench", "--log-level", "error"});
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_EQ(r.line().log.level, level_enum::err);
    EXPECT_EQ(r.line().log.format, core::log_format::json);
    const auto run = parse({"--log-level", "debug", "run", "--log-level", "error"});
    ASSERT_TRUE(run.ok()) << run.err;
    EXPECT_EQ(run.line().run.overrides.log_level, "error");
}

TEST(CommandLineTest, ThePackagedUnitsExecStartParses) {
    // packaging/mdgate.service: ExecStart=mdgate run --config ... --log-target journald
    const auto r = parse({"run", "--config", "/etc/mdgate/mdgate.toml", "--log-target", "journald",
                          "--check-config"});
    ASSERT_TRUE(r.ok()) << r.err;
    const auto& run = r.line().run;
    EXPECT_EQ(r.line().cmd, command::run);
    EXPECT_EQ(run.config, "/etc/mdgate/mdgate.toml");
    EXPECT_TRUE(run.check_config);
    EXPECT_EQ(run.overrides.log_target, "journald");
    EXPECT_FALSE(run.overrides.log_level);
    EXPECT_EQ(r.line().log.target, core::log_target::journald);
}

TEST(CommandLineTest, ConfigBeforeOrAfterRun) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--config", "a.toml", "run", "--check-config"},
                                               {"run", "--check-config", "--config", "a.toml"},
                                               {"run", "--config=a.toml"}}) {
        const auto r = parse(args);
        ASSERT_TRUE(r.ok()) << r.err;
        EXPECT_EQ(r.line().run.config, "a.toml");
    }
    const auto both = parse({"--config", "a.toml", "run", "--config", "b.toml"});
    ASSERT_TRUE(both.ok()) << both.err;
    EXPECT_EQ(both.line().run.config, "b.toml");
}

TEST(CommandLineTest, TheCommandLineOverridesTheFile) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("mdg_command_line_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = (dir / "mdgate.toml").string();
    std::ofstream(file) << "[log]\nlevel = \"error\"\nformat = \"json\"\ntarget = \"journald\"\n";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"run", "--config", file, "--log-level", "critical", "--log-target", "stderr"},
             {"--log-level", "critical", "--log-target", "stderr", "--config", file, "run"}}) {
        const auto r = parse(args);
        ASSERT_TRUE(r.ok()) << r.err;
        std::string error;
        auto cfg = cli::load_config(r.line().run.config, error);
        ASSERT_TRUE(cfg) << error;
        ASSERT_TRUE(cli::apply_overrides(*cfg, r.line().run.overrides, error)) << error;
        EXPECT_EQ(cfg->log.level, "critical");
        EXPECT_EQ(cfg->log.format, "json"); // not on the command line: the file's
        EXPECT_EQ(cfg->log.target, "stderr");
    }
    std::filesystem::remove_all(dir);
}

TEST(CommandLineTest, BadValuesExit2WithOneLineInEitherPosition) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
        {{"--log-level", "verbose"},
         "--log-level: must be one of trace, debug, info, warn, warning, error, critical, off, "
         "got 'verbose'"},
        {{"--log-level", "CRITICAL"}, "--log-level: must be one of"},
        {{"--log-format", "yaml"}, "--log-format: must be one of text, json, got 'yaml'"},
        {{"--log-target", "syslog"}, "--log-target: must be one of stderr, journald, got 'syslog'"},
    };
    for (const auto& sub : subcommands()) {
        for (const auto& [option, message] : bad) {
            for (const bool before : {true, false}) {
                const auto args = before ? concat(option, sub.args) : concat(sub.args, option);
                const auto r = parse(args);
                const auto what = sub.args.front() + " " + option[0] + " " + option[1] +
                                  (before ? " (before)" : " (after)");
                EXPECT_EQ(r.exit_code(), 2) << what;
                EXPECT_EQ(lines_in(r.err), 1U) << what << ": " << r.err;
                EXPECT_EQ(r.err.rfind("mdgate: " + message, 0), 0U) << what << ": " << r.err;
                EXPECT_EQ(r.out, "") << what;
            }
        }
    }
}

TEST(CommandLineTest, ErrorsPointAtTheSubcommandsHelp) {
    auto r = parse({"sim", "--log-level", "loud"});
    EXPECT_EQ(r.exit_code(), 2);
    EXPECT_NE(r.err.find("(see mdgate sim --help)\n"), std::string::npos) << r.err;
    r = parse({"--log-level", "loud"});
    EXPECT_EQ(r.exit_code(), 2);
    EXPECT_NE(r.err.find("(see mdgate --help)\n"), std::string::npos) << r.err;
}

TEST(CommandLineTest, ConfigIsRefusedWhereNothingReadsIt) {
    for (const auto& sub : subcommands()) {
        if (sub.reads_config) {
            continue;
        }
        for (const bool before : {true, false}) {
            const std::vector<std::string> option{"--config", "a.toml"};
            const auto r = parse(before ? concat(option, sub.args) : concat(sub.args, option));
            EXPECT_EQ(r.exit_code(), 2) << sub.args.front();
            EXPECT_EQ(lines_in(r.err), 1U) << r.err;
        }
    }
    EXPECT_EQ(parse({"--config", "a.toml", "sim"}).err,
              "mdgate: --config: `sim` reads no configuration file (see mdgate sim --help)\n");
}

TEST(CommandLineTest, EveryHelpListsTheGlobalOptions) {
    for (const auto& sub : subcommands()) {
        const auto r = parse({sub.args.front(), "--help"});
        EXPECT_EQ(r.exit_code(), 0) << sub.args.front();
        for (const char* text : {"Global options (before or after the subcommand)",
                                 "--log-level LEVEL", "--log-format FORMAT", "--log-target TARGET",
                                 "trace, debug, info, warn, warning, error, critical, off",
                                 "text, json", "stderr, journald"}) {
            EXPECT_NE(r.out.find(text), std::string::npos) << sub.args.front() << ": " << text;
        }
        EXPECT_EQ(r.out.find("--config FILE") != std::string::npos, sub.reads_config)
            << sub.args.front();
    }
    const auto top = parse({"--help"});
    EXPECT_EQ(top.exit_code(), 0);
    for (const char* text :
         {"--log-level LEVEL", "--log-format FORMAT", "--log-target TARGET", "--config FILE"}) {
        EXPECT_NE(top.out.find(text), std::string::npos) << text;
    }
}

TEST(CommandLineTest, VersionAndMissingSubcommand) {
    const auto v = parse({"--version"});
    EXPECT_EQ(v.exit_code(), 0);
    EXPECT_EQ(v.out.rfind("mdgate ", 0), 0U) << v.out;
    const auto none = parse({"--log-level", "debug"});
    EXPECT_EQ(none.exit_code(), 2);
    EXPECT_EQ(lines_in(none.err), 1U) << none.err;
}

TEST(CommandLineTest, RunsOtherOptionsStillWork) {
    const auto r = parse({"run", "--category", "inverse", "--symbols", "BTCUSD,ETHUSD", "--listen",
                          "127.0.0.1:0", "--log-level", "warn", "--print", "--check-config"});
    ASSERT_TRUE(r.ok()) << r.err;
    const auto& run = r.line().run;
    EXPECT_EQ(run.overrides.category, model::category::inverse);
    EXPECT_EQ(run.overrides.symbols, (std::vector<std::string>{"BTCUSD", "ETHUSD"}));
    EXPECT_EQ(run.overrides.listen, "127.0.0.1:0");
    EXPECT_TRUE(run.print);
    const auto replay = parse({"--log-level", "off", "replay", "f.jsonl", "--category", "spot"});
    ASSERT_TRUE(replay.ok()) << replay.err;
    EXPECT_EQ(replay.line().replay.file, "f.jsonl");
    EXPECT_EQ(replay.line().replay.cat, model::category::spot);
}

TEST(CommandLineTest, RunTopAndByChooseTheSymbols) {
    const auto r = parse({"run", "--top", "15", "--by", "volume24h", "--check-config"});
    ASSERT_TRUE(r.ok()) << r.err;
    const auto& o = r.line().run.overrides;
    EXPECT_EQ(o.top, std::size_t{15});
    EXPECT_EQ(o.by, "volume24h");
    EXPECT_FALSE(o.symbols);
    auto cfg = cli::default_config();
    std::string error;
    ASSERT_TRUE(cli::apply_overrides(cfg, o, error)) << error;
    EXPECT_EQ(cfg.select.top, 15U);
    EXPECT_EQ(cfg.select.by, "volume24h");

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"run", "--top", "0"}, {"run", "--top", "500"}, {"run", "--by", "turnover24h"}}) {
        const auto ok = parse(args);
        EXPECT_TRUE(ok.ok()) << args[1] << " " << args[2] << ": " << ok.err;
    }
    const auto none = parse({"run"});
    ASSERT_TRUE(none.ok()) << none.err;
    EXPECT_FALSE(none.line().run.overrides.top);
    EXPECT_FALSE(none.line().run.overrides.by);
}

TEST(CommandLineTest, BadTopOrByExitTwoWithOneLine) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"run", "--top", "501"},
         "mdgate: --top: '501' is out of range [0, 500] (see mdgate run --help)\n"},
        {{"run", "--top", "-1"},
         "mdgate: --top: '-1' is not a whole number (see mdgate run --help)\n"},
        {{"run", "--top", "1.5"},
         "mdgate: --top: '1.5' is not a whole number (see mdgate run --help)\n"},
        {{"run", "--top", "ten"},
         "mdgate: --top: 'ten' is not a whole number (see mdgate run --help)\n"},
        {{"run", "--top", "15", "--symbols", "BTCUSDT"},
         "mdgate: --top and --symbols are exclusive: --top chooses the symbols (see mdgate run "
         "--help)\n"},
        {{"run", "--symbols", "BTCUSDT", "--top", "0"},
         "mdgate: --top and --symbols are exclusive: --top chooses the symbols (see mdgate run "
         "--help)\n"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = parse(args);
        EXPECT_EQ(r.exit_code(), 2) << args[1] << " " << args[2];
        EXPECT_EQ(r.err, message);
        EXPECT_EQ(r.out, "");
    }
    const auto by = parse({"run", "--by", "volume"});
    EXPECT_EQ(by.exit_code(), 2);
    EXPECT_EQ(lines_in(by.err), 1U) << by.err;
    EXPECT_EQ(by.err.rfind("mdgate: --by: ", 0), 0U) << by.err;
}

TEST(CommandLineTest, RunHelpListsTopAndBy) {
    const auto r = parse({"run", "--help"});
    EXPECT_EQ(r.exit_code(), 0);
    for (const char* text : {"--top", "[select] top", "--by", "turnover24h", "volume24h"}) {
        EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
    }
}

// Issue #14: every value is checked while parsing, one line and exit 2 before any work.
TEST(CommandLineTest, BadValuesAreOneLineAndExitTwoForEverySubcommand) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"sim", "--rate", "nan"}, "mdgate: --rate: 'nan' is not a number (see mdgate sim --help)"},
        {{"sim", "--rate", "inf"}, "--rate: 'inf' is not a number"},
        {{"sim", "--duration", "nan"}, "--duration: 'nan' is not a duration"},
        {{"sim", "--listen", "127.0.0.1:0abc"}, "the port must be a number from 0 to 65535"},
        {{"sim", "--listen", "example.com:1"}, "'example.com' is not an IP address"},
        {{"sim", "--fault-script", "/"}, "--fault-script: '/': is a directory"},
        {{"demo", "--rate", "1e400"}, "--rate: '1e400' is not a number"},
        {{"demo", "--duration", "4s"}, "--duration: '4s' is out of range [5s, 1000h]"},
        {{"report", "--max-queue-drops", "-1"}, "--max-queue-drops: '-1' is not a whole number"},
        {{"report", "--max-error-logs", "-1"}, "--max-error-logs: '-1' is not a whole number"},
        {{"report", "--max-callback-timeouts", "1.5"}, "is not a whole number"},
        {{"report", "--trigger-restarts", "4294967296"}, "is out of range [0, 4294967295]"},
        {{"report", "--target-network-errors", "nan"}, "is not a number"},
        {{"report", "--out", "/"}, "--out: '/': is a directory"},
        {{"report", "--json", "/nonexistent/r.json"}, "directory '/nonexistent' does not exist"},
        {{"bench", "--symbols", "-1"}, "--symbols: '-1' is not a whole number"},
        {{"bench", "--reader-rate", "inf"}, "--reader-rate: 'inf' is not a number"},
        {{"baseline", "--from-journal", "--year", "-1"}, "--year: '-1' is not a whole number"},
        {{"run", "--ws-url", ""}, "--ws-url: must not be empty"},
        {{"run", "--config", ""}, "--config: must not be empty"},
        {{"--config", "", "run"}, "--config: must not be empty"},
        {{"run", "--listen", "999.1.1.1:8080"}, "'999.1.1.1' is not an IP address"},
        {{"run", "--port-file", "/nonexistent/p"}, "directory '/nonexistent' does not exist"},
        {{"replay", ""}, "must not be empty"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = parse(args);
        EXPECT_EQ(r.exit_code(), 2) << args.front() << " " << message;
        EXPECT_EQ(lines_in(r.err), 1U) << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    }
}

TEST(CommandLineTest, GoodValuesStillParse) {
    const auto sim = parse({"sim", "--rate", "max", "--speed", "0.5", "--duration", "250ms",
                            "--listen", "[::1]:0", "--seed", "18446744073709551615"});
    ASSERT_TRUE(sim.ok()) << sim.err;
    EXPECT_EQ(sim.line().sim.seed, UINT64_MAX);
    const auto report = parse(
        {"report", "--max-queue-drops", "0", "--min-throughput", "1e3", "--out", "report.md"});
    ASSERT_TRUE(report.ok()) << report.err;
    const auto demo = parse({"demo", "--report", ""}); // "" = no report file
    ASSERT_TRUE(demo.ok()) << demo.err;
}

} // namespace
} // namespace mdg::app
