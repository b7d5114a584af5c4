// mdgate: one binary, thin main. Parses the command line and hands over to a subcommand.
#include <cstdio>
#include <exception>
#include <iostream>

#include "apps/mdgate/command_line.hpp"
#include "core/log.hpp"

int main(int argc, char** argv) {
    auto parsed = mdg::app::parse_command_line(argc, argv, std::cout, std::cerr);
    if (const int* exit_code = std::get_if<int>(&parsed)) {
        return *exit_code;
    }
    auto& line = std::get<mdg::app::command_line>(parsed);
    try {
        mdg::core::init_logging(line.log);
        switch (line.cmd) {
        case mdg::app::command::run:
            return mdg::app::run_gateway(line.run);
        case mdg::app::command::replay:
            return mdg::app::run_replay(line.replay);
        case mdg::app::command::sim:
            return mdg::app::run_sim(line.sim);
        case mdg::app::command::demo:
            return mdg::app::run_demo(line.demo);
        case mdg::app::command::chaos:
            return mdg::app::run_chaos(line.chaos);
        case mdg::app::command::report:
            return mdg::app::run_report(line.report);
        case mdg::app::command::baseline:
            return mdg::app::run_baseline(line.baseline);
        case mdg::app::command::bench:
            return mdg::app::run_bench(line.bench);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 1;
    }
    return 2;
}
