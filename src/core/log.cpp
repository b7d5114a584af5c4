#include "core/log.hpp"

#include <memory>

#include <spdlog/sinks/stdout_sinks.h>

namespace mdg::core {

void init_logging(const log_options& opts) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("mdgate", std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
    logger->set_level(opts.level);
    spdlog::set_default_logger(std::move(logger));
}

bool log_limiter::allow(std::string_view key, std::chrono::steady_clock::time_point now,
                        std::uint64_t& suppressed) {
    const std::lock_guard lock{mu_};
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        it = entries_.emplace(std::string(key), entry{}).first;
    }
    entry& e = it->second;
    if (e.seen && now - e.last < interval_) {
        ++e.suppressed;
        return false;
    }
    suppressed = e.suppressed;
    e = entry{now, 0, true};
    return true;
}

log_limiter& default_log_limiter() {
    static log_limiter instance;
    return instance;
}

} // namespace mdg::core
