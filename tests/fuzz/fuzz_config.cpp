// Fuzz target: the TOML configuration (cli/config_parse.cpp, cli/config_toml.cpp) on one
// document. Invariants: a refusal is one line; a configuration that parses validates again,
// and prints (to_toml, secrets included) to a document that parses back to an equal value.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "cli/config.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mdg;
    std::string error;
    auto cfg = cli::parse_config(fuzz::as_text(data, size), "fuzz.toml", error);
    if (!cfg) {
        fuzz::check(!error.empty() && error.find('\n') == std::string::npos,
                    "a refusal is one line");
        return 0;
    }
    auto copy = *cfg;
    fuzz::check(cli::validate(copy, error) && copy == *cfg, "a parsed configuration is valid");
    const auto printed = cli::to_toml(*cfg, cli::secrets::include);
    const auto again = cli::parse_config(printed, "printed.toml", error);
    if (!again) {
        std::fprintf(stderr, "%s\n--- printed:\n%s\n", error.c_str(), printed.c_str());
    }
    fuzz::check(again && *again == *cfg, "a configuration prints back to itself");
    return 0;
}
