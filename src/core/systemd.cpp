#include "core/systemd.hpp"

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <system_error>
#include <systemd/sd-daemon.h>

#include "core/log.hpp"

namespace mdg::core::systemd {
namespace {

// `state` must be NUL-terminated; sd_notify returns > 0 sent, 0 no NOTIFY_SOCKET, < 0 -errno.
bool notify(const char* state) noexcept {
    const int rc = sd_notify(0, state);
    if (rc < 0) {
        try {
            log_limited(spdlog::level::warn, "systemd.notify", "sd_notify({}) failed: {}", state,
                        std::error_code(-rc, std::generic_category()).message());
        } catch (const std::exception&) {
            // Logging itself failed (allocation); the notification is lost either way.
        }
    }
    return rc > 0;
}

} // namespace

bool notify_ready() noexcept {
    return notify("READY=1");
}

bool notify_stopping() noexcept {
    return notify("STOPPING=1");
}

bool notify_watchdog() noexcept {
    return notify("WATCHDOG=1");
}

bool notify_status(std::string_view text) noexcept {
    try {
        std::string state = "STATUS=";
        state.reserve(state.size() + text.size());
        for (const char c : text) {
            // sd_notify's state is newline-separated assignments; a NUL would end the string.
            state += (c == '\n' || c == '\r' || c == '\0') ? ' ' : c;
        }
        return notify(state.c_str());
    } catch (const std::exception&) {
        return false;
    }
}

bool notify_socket_set() noexcept {
    const char* s = std::getenv("NOTIFY_SOCKET");
    return s != nullptr && *s != '\0';
}

std::optional<std::chrono::microseconds> watchdog_interval() noexcept {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0 ||
        usec > static_cast<std::uint64_t>(std::chrono::microseconds::max().count())) {
        return std::nullopt;
    }
    return std::chrono::microseconds{static_cast<std::chrono::microseconds::rep>(usec)};
}

} // namespace mdg::core::systemd
