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
    auto* level_opt =
        app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
            ->check(CLI::IsMember(levels))
            ->capture_default_str();
    std::string log_format = "text";
    auto* format_opt = app.add_option("--log-format", log_format, "text or json")
                           ->check(CLI::IsMember({"text", "json"}))
                           ->capture_default_str();
    std::string log_target = "stderr";
    auto* target_opt = app.add_option("--log-target", log_target, "stderr or journald")
                           ->check(CLI::IsMember({"stderr", "journald"}))
                           ->capture_default_str();

    mdg::app::run_args run;
    std::string run_category;
    std::string run_symbols;
    std::string run_ws_url;
    std::string run_rest_url;
    std::string run_listen;
    auto* run_cmd = app.add_subcommand(
        "run", "Run the gateway: connect to the venue, keep books and market state, serve "
               "/metrics, /healthz, /readyz and /v1/status (docs/configuration.md)");
    run_cmd->add_option("--config", run.config, "TOML configuration file (default: built-in)");
    run_cmd->add_flag("--check-config", run.check_config,
                      "validate the configuration and exit (0 valid, 2 invalid)");
    run_cmd->add_flag("--print", run.print, "with --check-config: print the effective TOML");
    auto* cat_opt = run_cmd->add_option("--category", run_category, "spot, linear or inverse")
                        ->check(CLI::IsMember({"spot", "linear", "inverse"}));
    auto* sym_opt = run_cmd->add_option("--symbols", run_symbols, "comma-separated symbols");
    auto* ws_opt = run_cmd->add_option("--ws-url", run_ws_url, "venue WebSocket URL");
    auto* rest_opt = run_cmd->add_option("--rest-url", run_rest_url, "venue REST base URL");
    auto* listen_opt =
        run_cmd->add_option("--listen", run_listen, "HTTP address:port (/metrics etc.)");
    run_cmd->add_option("--port-file", run.port_file,
                        "write the bound HTTP port to this file once listening");

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

    mdg::app::sim_args sim;
    std::string sim_category = "linear";
    auto* sim_cmd = app.add_subcommand(
        "sim", "Run the Bybit v5-compatible exchange simulator (WebSocket + REST on one port)");
    sim_cmd->add_option("--listen", sim.listen, "ADDRESS:PORT to listen on")->capture_default_str();
    sim_cmd->add_option("--symbols", sim.symbols, "comma-separated symbols, or a count (100)")
        ->capture_default_str();
    sim_cmd->add_option("--seed", sim.seed, "seed of the simulated market")->capture_default_str();
    sim_cmd->add_option("--rate", sim.rate, "market events per second per category, or max")
        ->capture_default_str();
    sim_cmd->add_option("--fault-script", sim.fault_script, "timed faults, one JSON per line");
    sim_cmd->add_option("--replay", sim.replay, "serve this capture instead of a market");
    sim_cmd->add_option("--speed", sim.speed, "replay speed: 1, N or max")->capture_default_str();
    sim_cmd->add_option("--category", sim_category, "category of the replayed capture")
        ->check(CLI::IsMember({"spot", "linear", "inverse"}))
        ->capture_default_str();
    sim_cmd->add_option("--duration", sim.duration, "stop after this long (60s, 5m)");
    sim_cmd->add_option("--port-file", sim.port_file,
                        "write the bound port to this file once listening (with port 0)");

    mdg::app::demo_args demo;
    auto* demo_cmd = app.add_subcommand(
        "demo", "Run the simulator and a watching client together, inject faults, check books");
    demo_cmd->add_option("--duration", demo.duration, "how long (e.g. 60s)")->capture_default_str();
    demo_cmd->add_option("--symbols", demo.symbols, "comma-separated symbols, or a count")
        ->capture_default_str();
    demo_cmd->add_option("--rate", demo.rate, "market events per second")->capture_default_str();
    demo_cmd->add_flag("--no-faults", demo.no_faults, "inject no faults");

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
        mdg::core::log_options lo;
        lo.level = levels.at(log_level);
        lo.format = *mdg::core::parse_log_format(log_format);
        lo.target = *mdg::core::parse_log_target(log_target);
        mdg::core::init_logging(lo);
        if (*run_cmd) {
            auto& o = run.overrides;
            if (cat_opt->count() > 0) {
                o.category = mdg::model::parse_category(run_category);
            }
            if (sym_opt->count() > 0) {
                std::vector<std::string> list;
                std::string_view rest = run_symbols;
                while (!rest.empty()) {
                    const auto comma = rest.find(',');
                    list.emplace_back(rest.substr(0, comma));
                    rest = comma == std::string_view::npos ? std::string_view{}
                                                           : rest.substr(comma + 1);
                }
                o.symbols = std::move(list);
            }
            if (ws_opt->count() > 0) {
                o.ws_url = run_ws_url;
            }
            if (rest_opt->count() > 0) {
                o.rest_url = run_rest_url;
            }
            if (listen_opt->count() > 0) {
                o.listen = run_listen;
            }
            if (level_opt->count() > 0) {
                o.log_level = log_level;
            }
            if (format_opt->count() > 0) {
                o.log_format = log_format;
            }
            if (target_opt->count() > 0) {
                o.log_target = log_target;
            }
            return mdg::app::run_gateway(run);
        }
        replay.cat = *mdg::model::parse_category(category);
        if (*replay_cmd) {
            return mdg::app::run_replay(replay);
        }
        if (*sim_cmd) {
            sim.cat = *mdg::model::parse_category(sim_category);
            return mdg::app::run_sim(sim);
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
