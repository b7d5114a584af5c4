#include "perf/measure.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace mdg::perf {

namespace {

[[nodiscard]] double seconds_of(const timeval& tv) noexcept {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

// A "Vm...:  1234 kB" line of /proc/self/status, in bytes.
[[nodiscard]] std::uint64_t status_field(std::string_view key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(key)) {
            const auto v = line.find_first_of("0123456789");
            if (v == std::string::npos) {
                return 0;
            }
            return std::stoull(line.substr(v)) * 1024U;
        }
    }
    return 0;
}

} // namespace

double process_cpu_seconds() noexcept {
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0;
    }
    return seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
}

double thread_cpu_seconds() noexcept {
    timespec ts{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        return 0;
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::optional<double> other_process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) {
        return std::nullopt;
    }
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
    // utime 14, stime 15.
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::vector<std::string> fields;
    std::size_t pos = close + 2;
    while (pos < text.size() && fields.size() < 13) {
        const auto sp = text.find(' ', pos);
        fields.push_back(text.substr(pos, sp - pos));
        if (sp == std::string::npos) {
            break;
        }
        pos = sp + 1;
    }
    if (fields.size() < 13) {
        return std::nullopt;
    }
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    try {
        return (std::stod(fields[11]) + std::stod(fields[12])) / (ticks > 0 ? ticks : 100.0);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::uint64_t rss_bytes() {
    return status_field("VmRSS:");
}

std::uint64_t peak_rss_bytes() {
    return status_field("VmHWM:");
}

bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

std::size_t latency_histogram::bucket_of(std::uint64_t ns) noexcept {
    constexpr std::uint64_t sub = std::uint64_t{1} << sub_bits;
    if (ns < sub) {
        return static_cast<std::size_t>(ns);
    }
    const auto e = static_cast<std::size_t>(std::bit_width(ns)) - 1; // >= sub_bits
    const auto shift = e - sub_bits;
    return ((shift + 1) << sub_bits) + static_cast<std::size_t>((ns >> shift) & (sub - 1));
}

std::uint64_t latency_histogram::bucket_upper(std::size_t bucket) noexcept {
    constexpr std::size_t sub = std::size_t{1} << sub_bits;
    if (bucket < sub) {
        return bucket;
    }
    const auto shift = (bucket >> sub_bits) - 1;
    const auto lower = static_cast<std::uint64_t>(sub + (bucket & (sub - 1))) << shift;
    return lower + ((std::uint64_t{1} << shift) - 1);
}

void latency_histogram::record(std::chrono::nanoseconds d) noexcept {
    const auto ns = d.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(d.count());
    buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
    auto m = max_.load(std::memory_order_relaxed);
    while (ns > m && !max_.compare_exchange_weak(m, ns, std::memory_order_relaxed)) {
    }
}

void latency_histogram::reset() noexcept {
    for (auto& b : buckets_) {
        b.store(0, std::memory_order_relaxed);
    }
    max_.store(0, std::memory_order_relaxed);
}

std::uint64_t latency_histogram::count() const noexcept {
    std::uint64_t n = 0;
    for (const auto& b : buckets_) {
        n += b.load(std::memory_order_relaxed);
    }
    return n;
}

std::chrono::nanoseconds latency_histogram::max() const noexcept {
    return std::chrono::nanoseconds{
        static_cast<std::int64_t>(max_.load(std::memory_order_relaxed))};
}

std::chrono::nanoseconds latency_histogram::percentile(double q) const noexcept {
    const auto n = count();
    if (n == 0) {
        return std::chrono::nanoseconds{0};
    }
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n))));
    std::uint64_t seen = 0;
    const auto top = max_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += buckets_[i].load(std::memory_order_relaxed);
        if (seen >= rank) {
            return std::chrono::nanoseconds{
                static_cast<std::int64_t>(std::min(bucket_upper(i), top))};
        }
    }
    return std::chrono::nanoseconds{static_cast<std::int64_t>(top)};
}

summary summarize(std::span<const double> values) {
    if (values.empty()) {
        return {};
    }
    std::vector<double> v(values.begin(), values.end());
    std::sort(v.begin(), v.end());
    summary s;
    s.min = v.front();
    s.max = v.back();
    const auto mid = v.size() / 2;
    s.median = v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    return s;
}

double rss_slope_per_hour(std::span<const rss_sample> samples) noexcept {
    if (samples.size() < 2) {
        return 0;
    }
    double sx = 0;
    double sy = 0;
    for (const auto& s : samples) {
        sx += s.seconds;
        sy += s.bytes;
    }
    const auto n = static_cast<double>(samples.size());
    const double mx = sx / n;
    const double my = sy / n;
    double sxy = 0;
    double sxx = 0;
    for (const auto& s : samples) {
        sxy += (s.seconds - mx) * (s.bytes - my);
        sxx += (s.seconds - mx) * (s.seconds - mx);
    }
    return sxx > 0 ? sxy / sxx * 3600.0 : 0;
}

} // namespace mdg::perf
