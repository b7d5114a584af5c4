#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace mdg::cli {

/// What the command line says of the global options; nullopt: not given.
struct global_values {
    std::optional<std::string> config;     ///< --config FILE
    std::optional<std::string> log_level;  ///< --log-level, one of log_level_names
    std::optional<std::string> log_format; ///< --log-format, one of log_format_names
    std::optional<std::string> log_target; ///< --log-target, one of log_target_names
};

/// The options every mdgate command takes, before its name or after it: `--log-level`,
/// `--log-format`, `--log-target`, and `--config` where the command reads a configuration file.
/// Each CLI11 app (the top level and every subcommand) gets its own copy, so each `--help`
/// lists them under "Global options". Values are checked against the configuration file's own
/// lists (log_values.hpp); a bad one is a CLI::ValidationError naming the option.
///
/// Precedence on the command line: a value after the subcommand wins over one before it, and
/// an option given twice in one place keeps the last. `--config` before a subcommand that
/// reads no file is a CLI::ValidationError.
///
/// Owns the storage the options write into: keep it alive, and in place, until parsing is done
/// (the apps point into it). Uses the top level's final_callback.
class global_options {
  public:
    global_options();
    ~global_options();
    global_options(const global_options&) = delete;
    global_options& operator=(const global_options&) = delete;
    global_options(global_options&&) = delete;
    global_options& operator=(global_options&&) = delete;

    /// Adds the options to `app`: the top level first, then each subcommand. `with_config`:
    /// `app` reads a configuration file (give true for the top level when any subcommand does).
    void add_to(CLI::App& app, bool with_config);

    /// After CLI::App::parse: the values given, merged as above.
    [[nodiscard]] global_values values() const;

  private:
    struct slot;
    std::vector<std::unique_ptr<slot>> slots_;
};

} // namespace mdg::cli
