#pragma once

#include <cstdint>
#include <iosfwd>
#include <variant>

#include "apps/mdgate/commands.hpp"
#include "core/log.hpp"

namespace mdg::app {

/// The subcommands of mdgate.
enum class command : std::uint8_t { run, sim, demo, chaos, replay, report, baseline, bench };

/// What the command line asks for, ready to hand to a subcommand. Only the chosen command's
/// arguments are meaningful.
struct command_line {
    command cmd = command::run;
    run_args run;
    sim_args sim;
    demo_args demo;
    chaos_args chaos;
    replay_args replay;
    report_args report;
    baseline_args baseline;
    bench_args bench;
    /// The defaults with the command line's --log-* options applied. `mdgate run` puts its
    /// file's [log] in between (the command line still wins): `run.overrides` carries them.
    core::log_options log;
};

/// Parses mdgate's command line (argv[0] is the program's name). The global options
/// (--log-level, --log-format, --log-target; --config for run) go before or after the
/// subcommand (cli::global_options). Returns the parsed command line, or the exit code to end
/// with: 0 after --help or --version (written to `out`), 2 for a bad command line (one line
/// `mdgate: ...` to `err`).
[[nodiscard]] std::variant<command_line, int>
parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace mdg::app
