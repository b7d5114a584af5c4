#pragma once

#include <filesystem>

#include "metrics/registry.hpp"

namespace mdg::metrics {

/// Adds a collector to `r` that reports this process's standard series, named, typed and
/// described as the official Prometheus client libraries do:
/// `process_cpu_seconds_total` (counter), `process_resident_memory_bytes`,
/// `process_virtual_memory_bytes`, `process_start_time_seconds`, `process_open_fds` and
/// `process_max_fds` (gauges). Each scrape reads `<proc_root>/self/{stat,fd,limits}` and
/// `<proc_root>/stat` (btime). A file that is missing or malformed (not Linux, a sandbox)
/// leaves out the series it feeds; it is never an error. Call once per registry.
/// `proc_root` is for tests; the collector owns its copy.
void add_process_metrics(registry& r, std::filesystem::path proc_root = "/proc");

} // namespace mdg::metrics
