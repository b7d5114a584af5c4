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
#include "sim/control.hpp"
#include "sim/server.hpp"

namespace mdg::app {

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
    sim::server_options opts;
    std::string reason;
    const auto colon = args.listen.rfind(':');
    unsigned port = 0;
    if (colon == std::string::npos ||
        std::from_chars(args.listen.data() + colon + 1, args.listen.data() + args.listen.size(),
                        port)
                .ec != std::errc{} ||
        port > 65535) {
        std::fprintf(stderr, "mdgate: --listen must be ADDRESS:PORT, got '%s'\n",
                     args.listen.c_str());
        return 2;
    }
    opts.address = args.listen.substr(0, colon);
    opts.port = static_cast<std::uint16_t>(port);
    auto symbols = parse_symbols(args.symbols, reason);
    if (!symbols) {
        std::fprintf(stderr, "mdgate: %s\n", reason.c_str());
        return 2;
    }
    opts.symbols = std::move(*symbols);
    opts.seed = args.seed;
    if (args.rate == "max") {
        opts.rate = 0;
    } else {
        char* end = nullptr;
        opts.rate = std::strtod(args.rate.c_str(), &end);
        if (end == args.rate.c_str() || *end != '\0' || opts.rate <= 0) {
            std::fprintf(stderr, "mdgate: --rate must be a positive number or 'max'\n");
            return 2;
        }
    }
    if (!args.fault_script.empty()) {
        std::ifstream in(args.fault_script);
        if (!in) {
            std::fprintf(stderr, "mdgate: cannot open fault script %s\n",
                         args.fault_script.c_str());
            return 2;
        }
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
        opts.replay_file = args.replay;
        opts.replay_category = args.cat;
        if (args.speed == "max") {
            opts.replay_speed = 0;
        } else {
            char* end = nullptr;
            opts.replay_speed = std::strtod(args.speed.c_str(), &end);
            if (end == args.speed.c_str() || *end != '\0' || opts.replay_speed <= 0) {
                std::fprintf(stderr, "mdgate: --speed must be a positive number or 'max'\n");
                return 2;
            }
        }
    }
    std::optional<std::chrono::milliseconds> duration;
    if (!args.duration.empty()) {
        duration = sim::parse_duration(args.duration);
        if (!duration) {
            std::fprintf(stderr, "mdgate: bad --duration '%s' (e.g. 60s, 5m)\n",
                         args.duration.c_str());
            return 2;
        }
    }

    boost::asio::io_context ioc{1};
    sim::server srv{ioc, std::move(opts)};
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mdgate: %s\n", e.what());
        return 2;
    }
    spdlog::info("sim: listening on {}:{} (ws://{}:{}/v5/public/linear)",
                 args.listen.substr(0, colon), srv.port(), args.listen.substr(0, colon),
                 srv.port());
    if (!args.port_file.empty()) {
        // Written to a temporary name and renamed, so a reader never sees a partial file.
        const auto tmp = args.port_file + ".tmp";
        std::ofstream(tmp) << srv.port() << '\n';
        std::rename(tmp.c_str(), args.port_file.c_str());
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
