#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mdg::core::systemd {

/// Thin wrappers over sd_notify(3) for a `Type=notify` unit with `WatchdogSec=`. Each call sends
/// one datagram to $NOTIFY_SOCKET and returns true when it was sent; it returns false, doing
/// nothing, when NOTIFY_SOCKET is unset (not run by systemd) and false when the send fails (a
/// rate-limited warning is logged then). They never throw, never block on the service manager,
/// and are thread-safe (each call is one sendmsg on a fresh socket).

/// "READY=1": start-up is complete (connections started, HTTP listening).
bool notify_ready() noexcept;

/// "STOPPING=1": shutdown has begun.
bool notify_stopping() noexcept;

/// "WATCHDOG=1": the process is alive; send at least every `watchdog_interval() / 2`.
bool notify_watchdog() noexcept;

/// "STATUS=<text>": one line shown by `systemctl status`. Line breaks in `text` become spaces,
/// so the text can never add another assignment (e.g. "READY=1") to the datagram.
bool notify_status(std::string_view text) noexcept;

/// True when $NOTIFY_SOCKET is set: the process runs under a service manager that listens.
[[nodiscard]] bool notify_socket_set() noexcept;

/// The watchdog interval systemd expects pings within ($WATCHDOG_USEC, when $WATCHDOG_PID is
/// unset or this process), or nullopt when the watchdog is off or the variables are invalid.
[[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() noexcept;

} // namespace mdg::core::systemd
