#include "apps/mdgate/signals.hpp"

#include <atomic>
#include <csignal>

#include <spdlog/spdlog.h>

namespace mdg::app {

void note_sighup_ignored() {
    static std::atomic<bool> logged{false};
    if (!logged.exchange(true)) {
        spdlog::warn("SIGHUP received and ignored: mdgate has no configuration reload; stop "
                     "with SIGTERM or SIGINT (logged once)");
    }
}

sighup_ignorer::sighup_ignorer(boost::asio::io_context& ioc) : set_(ioc, SIGHUP) {
    arm();
}

void sighup_ignorer::arm() {
    set_.async_wait([this](const boost::system::error_code& ec, int) {
        if (!ec) {
            note_sighup_ignored();
            arm();
        }
    });
}

} // namespace mdg::app
