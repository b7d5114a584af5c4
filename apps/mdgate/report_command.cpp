// `mdgate report`: watches a running gateway for a window (or reads a past window from
// Prometheus) and writes the deploy-validation report (docs/report.md). Exit codes gate a
// rollout: 0 all criteria met, 1 some not met or not demonstrable, 2 bad arguments, 3 could
// not measure, 4 a rollback trigger fired (monitor::report_exit).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <pthread.h>
#include <sstream>
#include <unistd.h>

#include <fmt/format.h>

#include "apps/mdgate/commands.hpp"
#include "cli/duration.hpp"
#include "cli/input_checks.hpp"
#include "core/clock.hpp"
#include "monitor/report.hpp"
#include "monitor/report_text.hpp"
#include "monitor/scrape.hpp"
#include "net/http_url.hpp"

namespace mdg::app {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int exit_usage = static_cast<int>(monitor::report_exit::usage);
constexpr int exit_not_measured = static_cast<int>(monitor::report_exit::not_measured);
constexpr auto progress_every = 10s; // when stderr is not a terminal

int usage_error(const std::string& what) {
    std::fprintf(stderr, "mdgate report: %s\n", what.c_str());
    return exit_usage;
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half
/// a report. Returns false with `error` set on failure.
bool write_file(const fs::path& path, const std::string& text, std::string& error) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) {
            error = fmt::format("cannot write {}", tmp.string());
            return false;
        }
        f << text;
        f.flush();
        if (!f) {
            error = fmt::format("cannot write {}", tmp.string());
            return false;
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        error =
            fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
        return false;
    }
    return true;
}

std::string mmss(double s) {
    const auto t = static_cast<std::int64_t>(std::max(0.0, s));
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
                     : fmt::format("{:02}:{:02}", t / 60, t % 60);
}

std::string progress_line(const monitor::live_figures& f, double planned) {
    using monitor::event_metric;
    auto count = [&](event_metric m) {
        const auto& c = f.counts[static_cast<std::size_t>(m)];
        return c ? std::to_string(*c) : std::string("n/a");
    };
    return fmt::format(
        "[{} / {}, {} left] handler timeouts {} | network errors {} | callback timeouts {} | "
        "msgs last min {} | RSS {} | restarts {} | failed scrapes {}",
        mmss(f.elapsed_seconds), mmss(planned), mmss(planned - f.elapsed_seconds),
        count(event_metric::handler_timeouts), count(event_metric::network_errors),
        count(event_metric::callback_timeouts),
        f.last_minute_messages ? monitor::detail::format_count(*f.last_minute_messages) : "n/a",
        f.rss_bytes ? monitor::detail::format_bytes(*f.rss_bytes) : "n/a", f.restarts,
        f.scrapes_failed);
}

/// Waits until `deadline` or SIGINT/SIGTERM (blocked by the caller). Returns the signal, or 0.
int wait_until(std::chrono::steady_clock::time_point deadline, const sigset_t& sigs) {
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return 0;
        }
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
        timespec ts{};
        ts.tv_sec = static_cast<std::time_t>(left.count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
        const int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig > 0) {
            return sig;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            return 0;
        }
    }
}

/// "15m,20m,25m,30m" -> durations; empty text gives the default checks for `duration`.
bool parse_checks(const std::string& text, std::chrono::seconds duration,
                  std::vector<std::chrono::seconds>& out, std::string& error) {
    out.clear();
    if (text.empty()) {
        // Half, two thirds, five sixths and the end: 15m, 20m, 25m, 30m for a 30-minute window.
        for (const auto num : {3, 4, 5, 6}) {
            out.emplace_back(duration.count() * num / 6);
        }
        return true;
    }
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        const auto d = cli::parse_duration(item);
        if (!d || *d < 1s || *d % 1s != 0ms) {
            error = fmt::format("--checks: '{}' is not a whole number of seconds or more (e.g. "
                                "15m,20m,25m,30m)",
                                item);
            return false;
        }
        out.push_back(std::chrono::duration_cast<std::chrono::seconds>(*d));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return true;
}

} // namespace

int run_report(const report_args& args) {
    std::string error;
    const auto& clock = core::default_clock();
    const bool prometheus = !args.prometheus.empty();

    // Arguments, all checked before anything is watched.
    monitor::report_options ro;
    auto interval = cli::parse_duration(args.interval);
    if (!interval || *interval < 1s || *interval > 1h) {
        return usage_error(fmt::format("--interval '{}' must be 1s to 1h", args.interval));
    }
    auto duration = cli::parse_duration(args.duration);
    if (!duration || *duration < 1s) {
        return usage_error(
            fmt::format("--duration '{}' must be at least 1s (e.g. 30m)", args.duration));
    }
    ro.planned_duration = std::chrono::duration_cast<std::chrono::seconds>(*duration);
    std::optional<unix_nanos> from;
    std::optional<unix_nanos> to;
    if (prometheus) {
        const auto now = clock.now();
        from = monitor::parse_time_point(args.from, now);
        to = monitor::parse_time_point(args.to.empty() ? "now" : args.to, now);
        if (args.from.empty() || !from) {
            return usage_error("--prometheus needs --from (now-30m, Unix seconds or "
                               "2025-10-29T15:00:00Z)");
        }
        if (!to) {
            return usage_error(fmt::format("--to '{}' is not a time", args.to));
        }
        if (*to > now) {
            to = now; // the current window: read up to now
        }
        if (*to <= *from) {
            return usage_error("--from must be before --to");
        }
        ro.planned_duration = std::chrono::duration_cast<std::chrono::seconds>(*to - *from);
    } else if (!args.from.empty() || !args.to.empty()) {
        return usage_error("--from and --to need --prometheus");
    }
    if (!parse_checks(args.checks, ro.planned_duration, ro.checks, error)) {
        return usage_error(error);
    }
    if (!args.rss_limit.empty() && args.rss_limit != "none") {
        const auto limit = monitor::parse_byte_size(args.rss_limit);
        if (!limit || *limit <= 0) {
            return usage_error(
                fmt::format("--rss-limit '{}' is not a size (e.g. 1GiB, 512MiB)", args.rss_limit));
        }
        ro.triggers.rss_limit_bytes = *limit;
    } else {
        ro.triggers.rss_limit_bytes.reset();
    }
    auto rate_ok = [](double v) {
        return std::isfinite(v) && v >= 0;
    };
    if (!rate_ok(args.target_handler_timeouts) || !rate_ok(args.target_network_errors) ||
        !rate_ok(args.trigger_handler_timeouts) || !rate_ok(args.min_throughput)) {
        return usage_error("targets and thresholds must be finite and >= 0");
    }
    ro.targets.handler_timeouts_per_hour = args.target_handler_timeouts;
    ro.targets.network_errors_per_hour = args.target_network_errors;
    ro.targets.max_callback_timeouts = args.max_callback_timeouts;
    ro.targets.max_error_logs = args.max_error_logs;
    ro.targets.max_queue_drops = args.max_queue_drops;
    ro.targets.min_messages_per_minute = args.min_throughput;
    ro.triggers.handler_timeouts_per_hour = args.trigger_handler_timeouts;
    ro.triggers.max_restarts = args.trigger_restarts;
    if (!args.baseline.empty()) {
        if (!cli::check_input_file("--baseline", args.baseline, error)) {
            return usage_error(error);
        }
        std::ifstream f(args.baseline, std::ios::binary);
        if (!f) {
            return usage_error(fmt::format("cannot open baseline {}", args.baseline));
        }
        std::stringstream ss;
        ss << f.rdbuf();
        auto b = monitor::read_baseline_toml(ss.str(), error);
        if (!b) {
            return usage_error(fmt::format("baseline {}: {}", args.baseline, error));
        }
        ro.base = std::move(*b);
    }
    for (const char c : args.token) {
        if (c < 0x21 || c > 0x7e) {
            return usage_error("--token must be printable ASCII without spaces");
        }
    }
    // Outputs fail before a 30-minute window, not after it (checked by the command line too).
    const fs::path out_md(args.out);
    if (!cli::check_output_file("--out", out_md, error) ||
        (!args.json.empty() && !cli::check_output_file("--json", args.json, error))) {
        return usage_error(error);
    }
    if (!args.svg_dir.empty()) {
        std::error_code ec;
        fs::create_directories(args.svg_dir, ec);
        if (ec || !cli::check_output_file("--svg-dir", fs::path(args.svg_dir) / "x.svg", error)) {
            return usage_error(
                ec ? fmt::format("cannot create --svg-dir {}: {}", args.svg_dir, ec.message())
                   : error);
        }
    }
    monitor::http_options http;
    http.bearer_token = args.token;

    monitor::report report;
    if (prometheus) {
        auto server = net::parse_http_url(args.prometheus, error, net::http_schemes::http_only);
        if (!server) {
            return usage_error("--prometheus " + error);
        }
        monitor::prometheus_range q;
        q.server = std::move(*server);
        q.http = http;
        q.http.timeout = 30s; // a range query can take longer than a scrape
        q.extra_matchers = args.prom_match;
        q.from = *from;
        q.to = *to;
        q.step = std::chrono::duration_cast<std::chrono::seconds>(*interval);
        ro.target = args.prom_match.empty()
                        ? "every gateway in " + args.prometheus
                        : fmt::format("{{{}}} in {}", args.prom_match, args.prometheus);
        ro.source =
            fmt::format("Prometheus {} (query_range, step {} s)", args.prometheus, q.step.count());
        monitor::report_builder builder(ro, *from);
        auto scrapes = monitor::fetch_prometheus_range(q, error);
        if (!scrapes) {
            builder.feed_failure(*from, error);
            std::fprintf(stderr, "mdgate report: %s\n", error.c_str());
        } else if (scrapes->empty()) {
            error = fmt::format("Prometheus has no samples of {} between --from and --to",
                                monitor::report_series_selector(args.prom_match));
            builder.feed_failure(*from, error);
            std::fprintf(stderr, "mdgate report: %s\n", error.c_str());
        } else {
            for (const auto& s : *scrapes) {
                builder.feed(s.at, s.samples);
            }
        }
        report = builder.finish(*to, false, "the requested range ended (--to)", clock.now());
    } else {
        auto target = net::parse_http_url(args.target, error, net::http_schemes::http_only);
        if (!target) {
            return usage_error("--target " + error);
        }
        ro.target = args.target;
        ro.source = fmt::format("scrape of /metrics every {}", cli::format_duration(*interval));

        // SIGINT/SIGTERM end the window early; taken synchronously with sigtimedwait.
        // A shell starts background jobs with SIGINT ignored; Ctrl-C must still end the window.
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

        const auto start_wall = clock.now();
        const auto start = std::chrono::steady_clock::now();
        monitor::report_builder builder(ro, start_wall);
        if (auto body = monitor::http_get(*target, "/v1/status", http, error)) {
            if (auto st = monitor::parse_gateway_status(*body, error)) {
                builder.set_status(*st);
            }
        }
        // Scrape times: every interval, every check time and the end.
        std::vector<std::chrono::milliseconds> offsets;
        for (auto t = 0ms; t < *duration; t += *interval) {
            offsets.push_back(t);
        }
        for (const auto c : ro.checks) {
            if (c <= *duration) {
                offsets.emplace_back(c);
            }
        }
        offsets.push_back(*duration);
        std::sort(offsets.begin(), offsets.end());
        offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());

        const bool tty = isatty(STDERR_FILENO) != 0;
        const double planned = static_cast<double>(ro.planned_duration.count());
        auto last_progress = start - progress_every;
        int stop_signal = 0;
        auto scrape_once = [&] {
            const auto at = clock.now();
            std::string why;
            auto body = monitor::http_get(*target, "/metrics", http, why);
            if (!body) {
                builder.feed_failure(at, why);
                return;
            }
            auto samples = monitor::parse_prometheus_text(*body, why);
            if (!samples) {
                builder.feed_failure(at, "/metrics: " + why);
                return;
            }
            builder.feed(at, *samples);
        };
        for (const auto off : offsets) {
            stop_signal = wait_until(start + off, sigs);
            if (stop_signal != 0) {
                break;
            }
            scrape_once();
            const auto now = std::chrono::steady_clock::now();
            if (tty) {
                std::fprintf(stderr, "\r%s\x1b[K", progress_line(builder.live(), planned).c_str());
            } else if (now - last_progress + *interval / 2 >= progress_every ||
                       off == offsets.back()) {
                std::fprintf(stderr, "%s\n", progress_line(builder.live(), planned).c_str());
                last_progress = now;
            }
        }
        bool cut_short = false;
        std::string end_reason = "the planned duration elapsed";
        if (stop_signal != 0) {
            scrape_once(); // the figures at the moment it was stopped
            cut_short = true;
            end_reason = stop_signal == SIGINT ? "stopped early by SIGINT (Ctrl-C)"
                                               : "stopped early by SIGTERM";
        }
        if (tty) {
            std::fputc('\n', stderr);
        }
        if (auto body = monitor::http_get(*target, "/v1/status", http, error)) {
            if (auto st = monitor::parse_gateway_status(*body, error)) {
                builder.set_status(*st);
            }
        }
        const auto end = clock.now();
        report = builder.finish(end, cut_short, end_reason, end);
    }

    // Files: charts first, so that the Markdown references exist when it appears.
    monitor::markdown_options mo;
    if (!args.svg_dir.empty()) {
        const fs::path dir(args.svg_dir);
        const auto tp = dir / "throughput.svg";
        const auto mem = dir / "memory.svg";
        if (!write_file(tp, monitor::render_throughput_svg(report), error) ||
            !write_file(mem, monitor::render_memory_svg(report), error)) {
            std::fprintf(stderr, "mdgate report: %s\n", error.c_str());
            return exit_not_measured;
        }
        const auto base = fs::absolute(out_md).parent_path();
        mo.throughput_svg = fs::absolute(tp).lexically_relative(base).generic_string();
        mo.memory_svg = fs::absolute(mem).lexically_relative(base).generic_string();
    }
    if (!write_file(out_md, monitor::render_markdown(report, mo), error) ||
        (!args.json.empty() &&
         !write_file(fs::path(args.json), monitor::render_json(report), error))) {
        std::fprintf(stderr, "mdgate report: %s\n", error.c_str());
        return exit_not_measured;
    }
    std::fprintf(stderr, "mdgate report: %s\nmdgate report: wrote %s%s%s (exit code %d)\n",
                 report.verdict.c_str(), args.out.c_str(), args.json.empty() ? "" : " and ",
                 args.json.c_str(), static_cast<int>(report.exit));
    return static_cast<int>(report.exit);
}

} // namespace mdg::app
