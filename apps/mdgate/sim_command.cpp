#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/mdgate/commands.hpp"
#include "apps/mdgate/signals.hpp"
#include "cli/input_checks.hpp"
#include "cli/listen.hpp"
#include "sim/control.hpp"
#include "sim/server.hpp"

namespace mdg::app {

using namespace std::chrono_literals;

namespace {

// Known markets get their real precision and a realistic price; others a generic one.
sim::symbol_config symbol_for(std::string name) {
    sim::symbol_config c;
    c.symbol = std::move(name);
    if (c.symbol.starts_with("BTC")) {
        c.price_decimals = 1;
        c.qty_decimals = 3;
        c.start_price_ticks = 651'142;
    } else if (c.symbol.starts_with("ETH")) {
        c.price_decimals = 2;
        c.qty_decimals = 2;
        c.start_price_ticks = 192'254;
    } else if (c.symbol.starts_with("SOL")) {
        c.price_decimals = 2;
        c.qty_decimals = 1;
        c.start_price_ticks = 7'726;
    } else if (c.symbol.starts_with("DOGE")) {
        c.price_decimals = 5;
        c.qty_decimals = 0;
        c.start_price_ticks = 7'055;
    }
    return c;
}

} // namespace

result<std::vector<sim::symbol_config>> parse_symbols(std::string_view text, std::string& reason) {
    std::vector<sim::symbol_config> out;
    unsigned count = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec == std::errc{} && p == text.data() + text.size()) {
        if (count == 0 || count > 5000) {
            reason = "--symbols N must be between 1 and 5000";
            return errc::invalid_argument;
        }
        for (unsigned i = 0; i < count; ++i) {
            out.push_back(symbol_for(fmt::format("SIM{:04}USDT", i)));
        }
        return out;
    }
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto name = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const bool valid = !name.empty() && name.size() <= 32 &&
                           name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
                               std::string_view::npos;
        if (!valid) {
            reason = fmt::format("bad symbol '{}' (upper-case letters and digits)", name);
            return errc::invalid_argument;
        }
        out.push_back(symbol_for(std::string(name)));
    }
    if (out.empty()) {
        reason = "--symbols is empty";
        return errc::invalid_argument;
    }
    return out;
}

int run_sim(const sim_args& args) {
    // The command line checked every value already (command_line.cpp); the same strict parsers
    // again, for callers that build sim_args themselves.
    sim::server_options opts;
    std::string reason;
    const auto fail = [&] {
        std::fprintf(stderr, "mdgate: %s\n", reason.c_str());
        return 2;
    };
    auto listen = cli::parse_listen(args.listen, reason);
    if (!listen) {
        return fail();
    }
    // As the gateway's HTTP server: localhost is 127.0.0.1, no name is resolved.
    opts.address = listen->host == "localhost" ? "127.0.0.1" : listen->host;
    opts.port = listen->port;
    auto symbols = parse_symbols(args.symbols, reason);
    if (!symbols) {
        return fail();
    }
    opts.symbols = std::move(*symbols);
    opts.seed = args.seed;
    if (args.rate == "max") {
        opts.rate = 0;
    } else if (auto rate = cli::parse_number("--rate", args.rate, 0.001, 1e9, reason)) {
        opts.rate = *rate;
    } else {
        return fail();
    }
    if (!args.fault_script.empty()) {
        if (!cli::check_input_file("--fault-script", args.fault_script, reason)) {
            return fail();
        }
        std::ifstream in(args.fault_script);
        std::stringstream text;
        text << in.rdbuf();
        auto script = sim::parse_script(text.str(), reason);
        if (!script) {
            std::fprintf(stderr, "mdgate: fault script %s: %s\n", args.fault_script.c_str(),
                         reason.c_str());
            return 2;
        }
        opts.script = std::move(*script);
    }
    if (!args.replay.empty()) {
        if (!cli::check_input_file("--replay", args.replay, reason)) {
            return fail();
        }
        opts.replay_file = args.replay;
        opts.replay_category = args.cat;
        if (args.speed == "max") {
            opts.replay_speed = 0;
        } else if (auto speed = cli::parse_number("--speed", args.speed, 0.001, 1e6, reason)) {
            opts.replay_speed = *speed;
        } else {
            return fail();
        }
    }
    std::optional<std::chrono::milliseconds> duration;
    if (!args.duration.empty()) {
        duration = cli::parse_duration_option("--duration", args.duration,
                                              std::chrono::milliseconds{1}, 1000h, reason);
        if (!duration) {
            return fail();
        }
    }
    if (!args.port_file.empty() && !cli::check_output_file("--port-file", args.port_file, reason)) {
        return fail();
    }

    boost::asio::io_context ioc{1};
    // Before anything a caller can see (the port file): a SIGHUP from then on is ignored.
    const sighup_ignorer hangup{ioc};
    sim::server srv{ioc, std::move(opts)};
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 2;
    }
    const auto host =
        listen->host.find(':') == std::string::npos ? listen->host : "[" + listen->host + "]";
    spdlog::info("sim: listening on {}:{} (ws://{}:{}/v5/public/linear)", host, srv.port(), host,
                 srv.port());
    if (!args.port_file.empty()) {
        // Written to a temporary name and renamed, so a reader never sees a partial file.
        const auto tmp = args.port_file + ".tmp";
        std::ofstream(tmp) << srv.port() << '\n';
        if (std::rename(tmp.c_str(), args.port_file.c_str()) != 0) {
            std::fprintf(stderr, "mdgate: cannot write --port-file %s\n", args.port_file.c_str());
            return 2;
        }
    }
    boost::asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (!ec) {
            spdlog::info("sim: signal {}, stopping", sig);
            srv.stop();
            ioc.stop();
        }
    });
    boost::asio::steady_timer deadline{ioc};
    if (duration) {
        deadline.expires_after(*duration);
        deadline.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                srv.stop();
                ioc.stop();
            }
        });
    }
    ioc.run();
    const auto& st = srv.stats();
    spdlog::info("sim: stopped: {} connections, {} frames sent, {} slow clients disconnected",
                 st.connections_accepted, st.frames_sent, st.slow_client_disconnects);
    return 0;
}

} // namespace mdg::app
