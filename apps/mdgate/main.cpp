// mdgate: one binary, thin main. Parses the command line and hands over to a subcommand.
#include <cstdio>
#include <exception>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "core/log.hpp"

namespace {

const std::map<std::string, spdlog::level::level_enum> levels{
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off},
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"mdgate: a market-data gateway for crypto exchanges' public WebSocket feeds"};
    app.set_version_flag("--version", std::string("mdgate ") + MDG_VERSION);
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
        ->check(CLI::IsMember(levels))
        ->capture_default_str();

    mdg::app::replay_args replay;
    auto* replay_cmd = app.add_subcommand(
        "replay", "Replay a recorded capture (one raw frame per line) through decoders, books "
                  "and market state, then print a summary or the books");
    replay_cmd->add_option("file", replay.file, "capture file, e.g. *.frames.jsonl")->required();
    std::string category = "linear";
    replay_cmd->add_option("--category", category, "spot, linear, inverse or option")
        ->check(CLI::IsMember({"spot", "linear", "inverse", "option"}))
        ->capture_default_str();
    replay_cmd
        ->add_option("--dump-books", replay.dump_books,
                     "print the final books instead of the summary (format: json)")
        ->check(CLI::IsMember({"json"}));

    mdg::app::demo_args demo;
    auto* demo_cmd = app.add_subcommand(
        "demo", "Run the embedded default job (today: replay the bundled real Bybit capture)");
    demo_cmd->add_option("--levels", demo.levels, "levels shown per book side")
        ->check(CLI::Range(1, 1000))
        ->default_val(5);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "mdgate: %s (see mdgate --help)\n", e.what());
        return 2;
    }

    try {
        mdg::core::init_logging({levels.at(log_level)});
        replay.cat = *mdg::model::parse_category(category);
        if (*replay_cmd) {
            return mdg::app::run_replay(replay);
        }
        if (*demo_cmd) {
            return mdg::app::run_demo(demo);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 1;
    }
    return 2;
}
