#include "metrics/process_collector.hpp"

#include <array>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <unistd.h>
#include <utility>

#include "metrics/detail/proc_parse.hpp"

namespace mdg::metrics {

namespace {

// /proc files report size 0, so read to EOF; stop at `max_size` so a strange file cannot make
// a scrape allocate without bound.
std::optional<std::string> read_small_file(const std::filesystem::path& p,
                                           std::size_t max_size = std::size_t{64} * 1024) {
    std::ifstream in{p, std::ios::binary};
    if (!in) {
        return std::nullopt;
    }
    std::string text;
    std::array<char, 4096> buf{};
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
        text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_size) {
            return std::nullopt;
        }
    }
    if (in.bad()) {
        return std::nullopt;
    }
    return text;
}

std::optional<std::uint64_t> count_dir_entries(const std::filesystem::path& p) {
    std::error_code ec;
    std::filesystem::directory_iterator it{p, ec};
    if (ec) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) {
            return std::nullopt;
        }
        ++n;
    }
    if (ec) {
        return std::nullopt;
    }
    return n;
}

void collect_process(const std::filesystem::path& root, family_writer& w) {
    const auto self = root / "self";
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    const long page_size = ::sysconf(_SC_PAGESIZE);

    const auto stat_text = read_small_file(self / "stat");
    const auto stat = stat_text ? detail::parse_proc_pid_stat(*stat_text)
                                : std::optional<detail::proc_stat_fields>{};
    if (stat && ticks_per_second > 0) {
        const auto hz = static_cast<double>(ticks_per_second);
        w.begin("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                metric_type::counter);
        w.sample({}, static_cast<double>(stat->utime_ticks + stat->stime_ticks) / hz);

        const auto boot_text = read_small_file(root / "stat");
        if (const auto btime = boot_text ? detail::parse_boot_time(*boot_text) : std::nullopt) {
            w.begin("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", metric_type::gauge);
            w.sample({},
                     static_cast<double>(*btime) + static_cast<double>(stat->starttime_ticks) / hz);
        }
    }
    if (stat) {
        w.begin("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                metric_type::gauge);
        w.sample({}, stat->vsize_bytes);
        if (page_size > 0) {
            w.begin("process_resident_memory_bytes", "Resident memory size in bytes.",
                    metric_type::gauge);
            w.sample({}, stat->rss_pages * static_cast<std::uint64_t>(page_size));
        }
    }
    if (const auto fds = count_dir_entries(self / "fd")) {
        w.begin("process_open_fds", "Number of open file descriptors.", metric_type::gauge);
        w.sample({}, *fds);
    }
    const auto limits_text = read_small_file(self / "limits");
    if (const auto max_fds =
            limits_text ? detail::parse_max_open_files(*limits_text) : std::nullopt) {
        w.begin("process_max_fds", "Maximum number of open file descriptors.", metric_type::gauge);
        w.sample({}, *max_fds);
    }
}

} // namespace

void add_process_metrics(registry& r, std::filesystem::path proc_root) {
    r.add_collector([root = std::move(proc_root)](family_writer& w) { collect_process(root, w); });
}

} // namespace mdg::metrics
