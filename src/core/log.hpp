#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace mdg::core {

struct log_options {
    spdlog::level::level_enum level = spdlog::level::info;
};

/// Sets up the process-wide logger (stderr). Call once from main before any thread starts.
void init_logging(const log_options& opts);

/// Lets a repeated message through once per key per interval and counts what it held back,
/// so a flood of bad frames produces one line a minute, not one per frame.
/// Thread-safe (a mutex; only error paths call it, never the steady-state hot path).
class log_limiter {
  public:
    explicit log_limiter(std::chrono::steady_clock::duration interval = std::chrono::minutes{1})
        : interval_(interval) {}

    /// Returns true when a line for `key` may be written now; `suppressed` then receives the
    /// number of lines held back for that key since the last one written.
    [[nodiscard]] bool allow(std::string_view key, std::chrono::steady_clock::time_point now,
                             std::uint64_t& suppressed);

  private:
    struct entry {
        std::chrono::steady_clock::time_point last{};
        std::uint64_t suppressed = 0;
        bool seen = false;
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::chrono::steady_clock::duration interval_;
    std::mutex mu_;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries_;
};

/// The process-wide limiter used by MDG_LOG_LIMITED.
[[nodiscard]] log_limiter& default_log_limiter();

/// Logs at `level` at most once per minute per `key`, appending the suppressed count.
template <class... Args>
void log_limited(spdlog::level::level_enum level, std::string_view key,
                 fmt::format_string<Args...> fmt, Args&&... args) {
    std::uint64_t suppressed = 0;
    if (!default_log_limiter().allow(key, std::chrono::steady_clock::now(), suppressed)) {
        return;
    }
    auto text = fmt::format(fmt, std::forward<Args>(args)...);
    if (suppressed > 0) {
        spdlog::log(level, "{} ({} similar suppressed)", text, suppressed);
    } else {
        spdlog::log(level, "{}", text);
    }
}

} // namespace mdg::core
