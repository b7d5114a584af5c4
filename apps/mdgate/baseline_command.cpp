// `mdgate baseline --from-journal`: counts the known log markers in `journalctl -u UNIT` text
// on stdin and writes the baseline TOML that `mdgate report --baseline` reads.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "monitor/journal_baseline.hpp"

namespace mdg::app {

namespace {

constexpr int exit_error = 2;
constexpr std::size_t max_line = std::size_t{1} << 20; // longer lines are cut (still counted)

int fail(const std::string& what) {
    std::fprintf(stderr, "mdgate baseline: %s\n", what.c_str());
    return exit_error;
}

} // namespace

int run_baseline(const baseline_args& args) {
    if (!args.from_journal) {
        return fail("say where the counts come from: --from-journal (journalctl text on stdin)");
    }
    monitor::journal_options jo;
    jo.source = args.source.empty() ? "journalctl text on stdin" : args.source;
    if (args.year != 0) {
        if (args.year < 1970 || args.year > 9999) {
            return fail(fmt::format("--year {} is out of range", args.year));
        }
        jo.assumed_year = args.year;
    }
    monitor::journal_scanner scanner(jo);
    std::string line;
    std::uint64_t binary_lines = 0;
    while (std::getline(std::cin, line)) {
        if (line.size() > max_line) {
            line.resize(max_line);
        }
        if (line.find('\0') != std::string::npos) {
            ++binary_lines;
            continue;
        }
        scanner.feed_line(line);
    }
    if (std::cin.bad()) {
        return fail("cannot read stdin");
    }
    const auto b = scanner.finish();
    if (b.lines_total == 0 && binary_lines == 0) {
        return fail("no input on stdin (pipe `journalctl -u UNIT --since ... --until ...` in)");
    }
    if (binary_lines > 0 && b.lines_total == 0) {
        return fail("stdin is not text (NUL bytes); use journalctl's default short output");
    }
    if (b.lines_unparseable == b.lines_total) {
        return fail(
            fmt::format("none of the {} lines is a journal line or a log record", b.lines_total));
    }
    if (!(b.hours > 0)) {
        return fail("the input covers no time span (it needs at least two timestamped lines)");
    }
    const std::string toml = monitor::write_baseline_toml(b);
    if (args.out.empty() || args.out == "-") {
        std::fwrite(toml.data(), 1, toml.size(), stdout);
        if (std::fflush(stdout) != 0) {
            return fail("cannot write stdout");
        }
    } else {
        const std::string tmp = args.out + ".tmp";
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            f << toml;
            f.flush();
            if (!f) {
                return fail(fmt::format("cannot write {}", tmp));
            }
        }
        std::error_code ec;
        std::filesystem::rename(tmp, args.out, ec);
        if (ec) {
            return fail(fmt::format("cannot write {}: {}", args.out, ec.message()));
        }
    }
    std::fprintf(stderr,
                 "mdgate baseline: %.2f h of log, %llu handler timeouts (%.1f/h), %llu network "
                 "validation failures, %llu callback timeouts, %llu error events, %zu throughput "
                 "lines; %llu lines unparseable\n",
                 b.hours, static_cast<unsigned long long>(b.handler_timeouts),
                 b.per_hour(b.handler_timeouts),
                 static_cast<unsigned long long>(b.network_validation_failures),
                 static_cast<unsigned long long>(b.callback_timeouts),
                 static_cast<unsigned long long>(b.error_events), b.throughput.size(),
                 static_cast<unsigned long long>(b.lines_unparseable + binary_lines));
    return 0;
}

} // namespace mdg::app
