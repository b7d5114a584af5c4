#pragma once

#include <cstddef>
#include <string>

#include "cli/config.hpp"
#include "core/result.hpp"
#include "gateway/gateway.hpp"
#include "model/instrument.hpp"
#include "sim/market_model.hpp"

namespace mdg::app {

struct replay_args {
    std::string file;
    model::category cat = model::category::linear;
    std::string dump_books; ///< "" or "json"
};

/// `mdgate replay FILE`: drives a recorded capture through decoders, books and market state.
/// Returns the process exit code (2 when the file cannot be read).
int run_replay(const replay_args& args);

struct demo_args {
    std::string duration = "60s";
    std::string symbols = "BTCUSDT,ETHUSDT,SOLUSDT";
    std::string rate = "750";
    bool no_faults = false;
};

/// `mdgate demo`: the embedded default job: the simulator and a watching client in one
/// process, faults on the way, books checked against the simulator's truth at the end.
/// Exit code 1 when a book differs from the truth.
int run_demo(const demo_args& args);

struct sim_args {
    std::string listen = "127.0.0.1:9000";
    std::string symbols = "BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT,DOGEUSDT";
    std::uint64_t seed = 1;
    std::string rate = "750";
    std::string fault_script;
    std::string replay;
    std::string speed = "1";
    model::category cat = model::category::linear;
    std::string duration;
    std::string port_file; ///< write the bound port here (for scripts using port 0)
};

/// `mdgate sim`: the Bybit v5-compatible exchange simulator (docs/simulator.md).
int run_sim(const sim_args& args);

struct run_args {
    std::string config; ///< TOML file; empty = the defaults
    bool check_config = false;
    bool print = false;    ///< with check_config: print the effective configuration
    std::string port_file; ///< write the bound HTTP port here once listening
    cli::overrides overrides;
};

/// `mdgate run`: the gateway until SIGINT/SIGTERM. Exit 2 on a bad configuration.
int run_gateway(const run_args& args);

/// The gateway's options from a validated configuration.
[[nodiscard]] gateway::gateway_options make_gateway_options(const cli::gateway_config& cfg);

/// "BTCUSDT,ETHUSDT" or a count ("100": SIM0000USDT...).
[[nodiscard]] result<std::vector<sim::symbol_config>> parse_symbols(std::string_view text,
                                                                    std::string& reason);

} // namespace mdg::app
