#include "cli/global_options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/log_values.hpp"

namespace mdg::cli {

namespace {

constexpr const char* group_name = "Global options (before or after the subcommand)";

CLI::Validator valid(log_setting s) {
    return CLI::Validator([s](const std::string& value) { return log_value_problem(s, value); },
                          "");
}

void take(const CLI::Option* opt, const std::string& value, std::optional<std::string>& into) {
    if (opt != nullptr && opt->count() > 0) {
        into = value;
    }
}

} // namespace

struct global_options::slot {
    CLI::App* app = nullptr; // outlives: parsing (the caller's)
    bool with_config = false;
    std::string config;
    std::string level;
    std::string format;
    std::string target;
    CLI::Option* config_opt = nullptr;
    CLI::Option* level_opt = nullptr;
    CLI::Option* format_opt = nullptr;
    CLI::Option* target_opt = nullptr;
};

global_options::global_options() = default;
global_options::~global_options() = default;

void global_options::add_to(CLI::App& app, bool with_config) {
    auto& s = *slots_.emplace_back(std::make_unique<slot>());
    s.app = &app;
    s.with_config = with_config;
    const bool top = app.get_parent() == nullptr;
    const auto last = CLI::MultiOptionPolicy::TakeLast;
    if (with_config) {
        s.config_opt = app.add_option("--config", s.config,
                                      top ? "TOML configuration file of `mdgate run`"
                                          : "TOML configuration file (default: built-in)")
                           ->type_name("FILE")
                           ->check(CLI::Validator(
                               [](const std::string& value) {
                                   return value.empty() ? std::string{"must not be empty (omit "
                                                                      "--config for the built-in "
                                                                      "defaults)"}
                                                        : std::string{};
                               },
                               ""))
                           ->multi_option_policy(last)
                           ->group(group_name);
    }
    const char* over_file = with_config ? "; overrides the file's [log] " : "";
    s.level_opt =
        app.add_option("--log-level", s.level,
                       fmt::format("{} (default info{}{})", log_values_list(log_setting::level),
                                   over_file, with_config ? "level" : ""))
            ->type_name("LEVEL")
            ->check(valid(log_setting::level))
            ->multi_option_policy(last)
            ->group(group_name);
    s.format_opt =
        app.add_option("--log-format", s.format,
                       fmt::format("{} (default text{}{})", log_values_list(log_setting::format),
                                   over_file, with_config ? "format" : ""))
            ->type_name("FORMAT")
            ->check(valid(log_setting::format))
            ->multi_option_policy(last)
            ->group(group_name);
    s.target_opt =
        app.add_option("--log-target", s.target,
                       fmt::format("{} (default stderr{}{})", log_values_list(log_setting::target),
                                   over_file, with_config ? "target" : ""))
            ->type_name("TARGET")
            ->check(valid(log_setting::target))
            ->multi_option_policy(last)
            ->group(group_name);
    if (top) {
        // --config before a subcommand that reads no file would be silently ignored.
        app.final_callback([this, &app] {
            const auto& top_slot = *slots_.front();
            if (top_slot.config_opt == nullptr || top_slot.config_opt->count() == 0) {
                return;
            }
            for (const auto* sub : app.get_subcommands()) {
                for (const auto& other : slots_) {
                    if (other->app == sub && !other->with_config) {
                        throw CLI::ValidationError(
                            "--config",
                            fmt::format("`{}` reads no configuration file", sub->get_name()));
                    }
                }
            }
        });
    }
}

global_values global_options::values() const {
    global_values v;
    // The top level first: a subcommand's values (later on the line) replace its.
    for (const auto& s : slots_) {
        take(s->config_opt, s->config, v.config);
        take(s->level_opt, s->level, v.log_level);
        take(s->format_opt, s->format, v.log_format);
        take(s->target_opt, s->target, v.log_target);
    }
    return v;
}

} // namespace mdg::cli
