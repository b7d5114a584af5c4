// Fuzz target: the journal baseline parser (monitor/journal_baseline.cpp), both halves on the
// same text: scan_journal reads it as `journalctl` output, read_baseline_toml as a baseline
// file. Invariants: the scanner's line counts add up; a baseline (scanned, or read from the
// input) written by write_baseline_toml reads back, and prints the same again.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "monitor/journal_baseline.hpp"

namespace {

using namespace mdg;

void check_round_trip(const monitor::baseline& b) {
    const auto printed = monitor::write_baseline_toml(b);
    std::string error;
    const auto again = monitor::read_baseline_toml(printed, error);
    if (!again) {
        std::fprintf(stderr, "%s\n--- printed:\n%s\n", error.c_str(), printed.c_str());
    }
    fuzz::check(again.has_value(), "a written baseline reads back");
    fuzz::check(monitor::write_baseline_toml(*again) == printed,
                "a baseline read back prints the same");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);

    const auto scanned = monitor::scan_journal(text, {.source = "fuzz", .assumed_year = 2025});
    fuzz::check(scanned.lines_without_record + scanned.lines_meta + scanned.lines_unparseable <=
                    scanned.lines_total,
                "line kinds add up");
    fuzz::check(scanned.hours >= 0, "hours are not negative");
    check_round_trip(scanned);

    std::string error;
    if (const auto read = monitor::read_baseline_toml(text, error)) {
        check_round_trip(*read);
    } else {
        fuzz::check(!error.empty() && error.find('\n') == std::string::npos,
                    "a refusal is one line");
    }
    return 0;
}
