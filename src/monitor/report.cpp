// Report assembly: from scrapes to figures, criteria, triggers, verdict and exit code.
#include "monitor/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <utility>

#include <fmt/format.h>

#include "monitor/report_text.hpp"

namespace mdg::monitor {

namespace {

constexpr double nanos_per_second = 1e9;
constexpr double seconds_per_hour = 3600;
/// A scrape this close before a check time stands for it.
constexpr std::int64_t check_tolerance_ns = 1'000'000'000;

double seconds_between(unix_nanos a, unix_nanos b) {
    return static_cast<double>((b - a).count()) / nanos_per_second;
}

std::string label_key(const sample& s) {
    std::string k;
    for (const auto& [n, v] : s.labels) {
        k += n;
        k += '=';
        k += v;
        k += '\x1f';
    }
    return k;
}

std::uint64_t to_count(double v) {
    if (!(v > 0) || !std::isfinite(v)) {
        return 0;
    }
    constexpr double max_exact = 9007199254740992.0; // 2^53: counts stay exact
    return static_cast<std::uint64_t>(std::llround(std::min(v, max_exact)));
}

/// Linear interpolation of a cumulative series at `t` (clamped to its ends).
std::optional<double> interpolate(const std::vector<std::pair<unix_nanos, double>>& pts,
                                  unix_nanos t) {
    if (pts.empty()) {
        return std::nullopt;
    }
    if (t <= pts.front().first) {
        return pts.front().second;
    }
    if (t >= pts.back().first) {
        return pts.back().second;
    }
    const auto it = std::lower_bound(pts.begin(), pts.end(), t,
                                     [](const auto& p, unix_nanos x) { return p.first < x; });
    const auto& [tb, vb] = *it;
    const auto& [ta, va] = *(it - 1);
    const double f = seconds_between(ta, t) / seconds_between(ta, tb);
    return va + (vb - va) * f;
}

std::optional<double> median_of(std::vector<double> v) {
    if (v.empty()) {
        return std::nullopt;
    }
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// What one event metric reads: a name and the label values that count (any of them).
struct metric_def {
    std::string_view name;
    std::string_view label_key; ///< "" = every series
    std::vector<label_view> any_of;
};

const std::array<metric_def, event_metric_count>& metric_defs() {
    static const std::array<metric_def, event_metric_count> defs{{
        {"mdgate_handler_timeouts_total", "", {}},
        {"mdgate_network_errors_total", "", {}},
        {"mdgate_callback_timeouts_total", "", {}},
        {"mdgate_log_messages_total", "level", {{"level", "error"}, {"level", "critical"}}},
        {"mdgate_queue_dropped_total", "reason", {{"reason", "full"}, {"reason", "drop_oldest"}}},
        {"mdgate_queue_dropped_total", "reason", {{"reason", "conflated"}}},
        {"mdgate_book_gaps_total", "", {}},
        {"mdgate_book_resyncs_total", "", {}},
        {"mdgate_reconnects_total", "", {}},
    }};
    return defs;
}

/// Metrics whose absence means the report cannot be trusted (exit 3).
bool required(event_metric m) {
    switch (m) {
    case event_metric::handler_timeouts:
    case event_metric::network_errors:
    case event_metric::callback_timeouts:
    case event_metric::error_logs:
    case event_metric::queue_drops:
        return true;
    case event_metric::queue_conflated:
    case event_metric::book_gaps:
    case event_metric::book_resyncs:
    case event_metric::reconnects:
    case event_metric::count_:
        return false;
    }
    return false;
}

/// The baseline count matching an event, if the baseline has one.
std::optional<std::uint64_t> baseline_count(const baseline& b, event_metric m) {
    switch (m) {
    case event_metric::handler_timeouts:
        return b.handler_timeouts;
    case event_metric::network_errors:
        return b.network_validation_failures;
    case event_metric::callback_timeouts:
        return b.callback_timeouts;
    case event_metric::error_logs:
        return b.error_events;
    default:
        return std::nullopt;
    }
}

} // namespace

std::string_view to_string(event_metric m) noexcept {
    switch (m) {
    case event_metric::handler_timeouts:
        return "handler_timeouts";
    case event_metric::network_errors:
        return "network_errors";
    case event_metric::callback_timeouts:
        return "callback_timeouts";
    case event_metric::error_logs:
        return "error_logs";
    case event_metric::queue_drops:
        return "queue_drops";
    case event_metric::queue_conflated:
        return "queue_conflated";
    case event_metric::book_gaps:
        return "book_gaps";
    case event_metric::book_resyncs:
        return "book_resyncs";
    case event_metric::reconnects:
        return "reconnects";
    case event_metric::count_:
        break;
    }
    return "unknown";
}

std::string_view title(event_metric m) noexcept {
    switch (m) {
    case event_metric::handler_timeouts:
        return "Handler timeouts";
    case event_metric::network_errors:
        return "Network errors";
    case event_metric::callback_timeouts:
        return "Callback timeouts";
    case event_metric::error_logs:
        return "ERROR log lines";
    case event_metric::queue_drops:
        return "Queue drops (data lost)";
    case event_metric::queue_conflated:
        return "Queue conflations (replaced by newer state)";
    case event_metric::book_gaps:
        return "Book gaps";
    case event_metric::book_resyncs:
        return "Book resyncs";
    case event_metric::reconnects:
        return "Reconnects";
    case event_metric::count_:
        break;
    }
    return "unknown";
}

double report::window_seconds() const noexcept {
    return seconds_between(window_start, window_end);
}

report_builder::report_builder(report_options opts, unix_nanos window_start)
    : opts_(std::move(opts)), window_start_(window_start) {
    std::sort(opts_.checks.begin(), opts_.checks.end());
    opts_.checks.erase(std::unique(opts_.checks.begin(), opts_.checks.end()), opts_.checks.end());
}

void report_builder::feed_group(series_group& g, std::span<const sample> samples,
                                std::string_view name, std::span<const label_view> any_of,
                                std::string_view label, unix_nanos at) {
    for (const auto& s : samples) {
        if (s.name != name) {
            continue;
        }
        if (!label.empty()) {
            const auto v = s.label(label);
            const bool wanted =
                v && std::any_of(any_of.begin(), any_of.end(),
                                 [&](const label_view& l) { return *v == l.value; });
            if (!wanted) {
                continue;
            }
        }
        g.seen = true;
        auto [it, added] = g.tracks.try_emplace(label_key(s));
        if (added && last_ok_) {
            // A series that appears after the first scrape did not exist before: it counted
            // from 0 since the previous scrape.
            (void)it->second.feed(*last_ok_, process_start_, 0.0);
        }
        (void)it->second.feed(at, process_start_, s.value);
    }
}

double report_builder::increase(const series_group& g) noexcept {
    double sum = 0;
    for (const auto& [k, t] : g.tracks) {
        sum += t.increase();
    }
    return sum;
}

std::uint32_t report_builder::restarts() const noexcept {
    // A new process_start_time_seconds, or a counter going down (when the start time is not
    // exported): whichever saw more.
    std::uint32_t n = start_changes_;
    auto scan = [&](const series_group& g) {
        for (const auto& [k, t] : g.tracks) {
            n = std::max(n, t.restarts());
        }
    };
    for (const auto& g : events_) {
        scan(g);
    }
    scan(messages_);
    return n;
}

std::optional<double> report_builder::messages_before(unix_nanos t) const noexcept {
    // A first scrape a few milliseconds after the window start still counts as a full minute.
    constexpr double tolerance_s = static_cast<double>(check_tolerance_ns) / nanos_per_second;
    if (cumulative_messages_.size() < 2 || !first_ok_ ||
        seconds_between(*first_ok_, t) < 60.0 - tolerance_s) {
        return std::nullopt;
    }
    const auto a = interpolate(cumulative_messages_, unix_nanos{t.value - 60'000'000'000});
    const auto b = interpolate(cumulative_messages_, t);
    if (!a || !b) {
        return std::nullopt;
    }
    return *b - *a;
}

void report_builder::feed(unix_nanos at, std::span<const sample> samples) {
    if (last_attempt_ && at <= *last_attempt_) {
        return;
    }
    last_attempt_ = at;
    failing_since_.reset();
    ++ok_;
    if (const auto* s = find_sample(samples, "process_start_time_seconds");
        s != nullptr && std::isfinite(s->value)) {
        if (process_start_ && *process_start_ != s->value) {
            ++start_changes_;
        }
        if (!first_process_start_) {
            first_process_start_ = s->value;
        }
        process_start_ = s->value;
    }
    if (const auto* s = find_sample(samples, "mdgate_build_info")) {
        if (auto v = s->label("version")) {
            version_ = std::string(*v);
        }
    }
    if (const auto* s = find_sample(samples, "process_resident_memory_bytes");
        s != nullptr && std::isfinite(s->value) && s->value >= 0) {
        rss_.emplace_back(at, s->value);
    }
    const auto& defs = metric_defs();
    for (std::size_t i = 0; i < events_.size(); ++i) {
        feed_group(events_[i], samples, defs[i].name, defs[i].any_of, defs[i].label_key, at);
    }
    feed_group(messages_, samples, "mdgate_ws_messages_total", {}, "", at);
    if (messages_.seen) {
        cumulative_messages_.emplace_back(at, increase(messages_));
    }
    if (!first_ok_) {
        first_ok_ = at;
    }
    last_ok_ = at;
    record_checks(at);
}

void report_builder::feed_failure(unix_nanos at, std::string_view error) {
    if (last_attempt_ && at <= *last_attempt_) {
        return;
    }
    last_attempt_ = at;
    ++failed_;
    last_error_ = std::string(error);
    if (!failing_since_) {
        failing_since_ = at;
    }
}

void report_builder::set_status(const gateway_status& s) {
    status_ = s;
}

void report_builder::record_checks(unix_nanos at) {
    const std::int64_t elapsed = (at - window_start_).count();
    while (next_check_ < opts_.checks.size()) {
        const auto offset = opts_.checks[next_check_];
        const auto offset_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(offset).count();
        if (elapsed + check_tolerance_ns < offset_ns) {
            break;
        }
        check_figures c;
        c.offset = offset;
        c.reached = true;
        c.at = at;
        for (std::size_t i = 0; i < events_.size(); ++i) {
            if (events_[i].seen) {
                c.counts[i] = to_count(increase(events_[i]));
            }
        }
        const double hours = first_ok_ ? seconds_between(*first_ok_, at) / seconds_per_hour : 0;
        if (events_[0].seen && hours > 0) {
            if (auto r = poisson_interval(*c.counts[0], hours, opts_.confidence)) {
                c.handler_timeout_rate = *r;
            }
        }
        if (!rss_.empty()) {
            c.rss_bytes = rss_.back().second;
        }
        c.last_minute_messages = messages_before(at);
        c.restarts = restarts();
        if (process_start_) {
            c.uptime_seconds = static_cast<double>(at.value) / nanos_per_second - *process_start_;
        }
        c.scrape_failures = failed_;
        checks_.push_back(std::move(c));
        ++next_check_;
    }
}

live_figures report_builder::live() const {
    live_figures f;
    if (last_attempt_) {
        f.elapsed_seconds = seconds_between(window_start_, *last_attempt_);
    }
    f.scrapes_ok = ok_;
    f.scrapes_failed = failed_;
    for (std::size_t i = 0; i < events_.size(); ++i) {
        if (events_[i].seen) {
            f.counts[i] = to_count(increase(events_[i]));
        }
    }
    if (last_ok_) {
        f.last_minute_messages = messages_before(*last_ok_);
    }
    if (!rss_.empty()) {
        f.rss_bytes = rss_.back().second;
    }
    f.restarts = restarts();
    return f;
}

report report_builder::finish(unix_nanos end, bool cut_short, std::string end_reason,
                              unix_nanos generated_at) const {
    report r;
    r.target = opts_.target;
    r.source = opts_.source;
    r.generated_at = generated_at;
    r.window_start = window_start_;
    r.window_end = std::max(end, window_start_);
    r.planned_duration = opts_.planned_duration;
    r.cut_short = cut_short;
    r.end_reason = std::move(end_reason);
    r.first_scrape = first_ok_;
    r.last_scrape = last_ok_;
    r.observed_hours =
        first_ok_ && last_ok_ ? seconds_between(*first_ok_, *last_ok_) / seconds_per_hour : 0;
    r.scrapes_ok = ok_;
    r.scrapes_failed = failed_;
    r.last_scrape_error = last_error_;
    r.unreachable_at_end = failing_since_.has_value();
    r.unreachable_since = failing_since_;
    r.confidence = opts_.confidence;
    r.rss_limit_bytes = opts_.triggers.rss_limit_bytes;
    r.status = status_;
    r.version = !version_.empty() ? version_ : status_ ? status_->version : std::string{};
    if (process_start_) {
        r.gateway_started_at =
            unix_nanos{static_cast<std::int64_t>(std::llround(*process_start_ * nanos_per_second))};
    } else if (status_ && status_->started_at) {
        r.gateway_started_at = status_->started_at;
    }
    r.restarts = restarts();
    if (opts_.base) {
        r.baseline_source = opts_.base->source;
        r.baseline_hours = opts_.base->hours;
    }

    // Can the report be trusted at all?
    if (ok_ == 0) {
        r.measure_problems.push_back(
            fmt::format("the gateway could not be scraped ({})",
                        last_error_.empty() ? "no scrape was made" : last_error_));
    } else if (ok_ < 2 || r.observed_hours <= 0) {
        r.measure_problems.push_back("fewer than two successful scrapes: no time span observed");
    }
    for (std::size_t i = 0; i < events_.size(); ++i) {
        const auto m = static_cast<event_metric>(i);
        if (ok_ > 0 && required(m) && !events_[i].seen) {
            r.measure_problems.push_back(
                fmt::format("series {} is missing from the scrapes", metric_defs()[i].name));
        }
    }
    if (ok_ > 0 && !messages_.seen) {
        r.measure_problems.push_back("series mdgate_ws_messages_total is missing from the scrapes");
    }
    if (ok_ > 0 && rss_.empty()) {
        r.measure_problems.push_back(
            "series process_resident_memory_bytes is missing from the scrapes");
    }
    r.measured = r.measure_problems.empty();

    // Events.
    for (std::size_t i = 0; i < events_.size(); ++i) {
        auto& e = r.events[i];
        e.metric = static_cast<event_metric>(i);
        e.measured = events_[i].seen;
        e.count = to_count(increase(events_[i]));
        e.hours = r.observed_hours;
        if (e.measured && e.hours > 0) {
            if (auto ci = poisson_interval(e.count, e.hours, opts_.confidence)) {
                e.rate = *ci;
            }
        }
        if (opts_.base) {
            e.baseline_count = baseline_count(*opts_.base, e.metric);
            e.baseline_hours = opts_.base->hours;
            if (e.baseline_count && e.baseline_hours > 0) {
                if (auto ci =
                        poisson_interval(*e.baseline_count, e.baseline_hours, opts_.confidence)) {
                    e.baseline_rate = *ci;
                }
                if (e.measured && e.hours > 0) {
                    if (auto c = rate_comparison(*e.baseline_count, e.baseline_hours, e.count,
                                                 e.hours, opts_.confidence)) {
                        e.vs_baseline = *c;
                    }
                }
            }
        }
    }

    // Throughput: whole minutes from the window start (scrapes land a few milliseconds after
    // their planned times, hence the tolerance; the series is clamped at its ends).
    auto& tp = r.throughput;
    tp.measured = messages_.seen && cumulative_messages_.size() >= 2;
    if (tp.measured) {
        tp.total_messages = cumulative_messages_.back().second;
        const auto t0 =
            std::max(window_start_,
                     unix_nanos{cumulative_messages_.front().first.value - check_tolerance_ns});
        const auto t_end = cumulative_messages_.back().first;
        constexpr std::int64_t minute = 60'000'000'000;
        std::vector<double> values;
        std::int64_t m = 0;
        for (; t0.value + (m + 1) * minute <= t_end.value + check_tolerance_ns; ++m) {
            const unix_nanos a{t0.value + m * minute};
            const unix_nanos b{t0.value + (m + 1) * minute};
            const double v =
                *interpolate(cumulative_messages_, b) - *interpolate(cumulative_messages_, a);
            tp.per_minute.push_back({a, v});
            values.push_back(v);
        }
        const unix_nanos last_full{std::min(t0.value + m * minute, t_end.value)};
        tp.partial_seconds = seconds_between(last_full, t_end);
        tp.partial_messages = tp.total_messages - *interpolate(cumulative_messages_, last_full);
        if (!values.empty()) {
            tp.min = *std::min_element(values.begin(), values.end());
            tp.max = *std::max_element(values.begin(), values.end());
            tp.median = median_of(values);
        }
    }
    if (opts_.base && !opts_.base->throughput.empty()) {
        std::vector<double> v;
        for (const auto& s : opts_.base->throughput) {
            if (s.interval_seconds > 0) {
                v.push_back(static_cast<double>(s.messages) * 60.0 / s.interval_seconds);
            }
        }
        if (!v.empty()) {
            tp.baseline_min = *std::min_element(v.begin(), v.end());
            tp.baseline_max = *std::max_element(v.begin(), v.end());
            tp.baseline_median = median_of(v);
        }
    }

    // Memory.
    auto& mem = r.memory;
    mem.measured = !rss_.empty();
    mem.series = rss_;
    if (mem.measured) {
        mem.now_bytes = rss_.back().second;
        for (const auto& p : rss_) {
            mem.peak_bytes = std::max(mem.peak_bytes, p.second);
        }
        if (rss_.size() >= 2) {
            // Least-squares slope, x in hours from the first point.
            double sx = 0;
            double sy = 0;
            for (const auto& [t, v] : rss_) {
                sx += seconds_between(rss_.front().first, t) / seconds_per_hour;
                sy += v;
            }
            const double n = static_cast<double>(rss_.size());
            const double mx = sx / n;
            const double my = sy / n;
            double sxy = 0;
            double sxx = 0;
            for (const auto& [t, v] : rss_) {
                const double dx = seconds_between(rss_.front().first, t) / seconds_per_hour - mx;
                sxy += dx * (v - my);
                sxx += dx * dx;
            }
            if (sxx > 0) {
                mem.growth_bytes_per_hour = sxy / sxx;
            }
        }
    }

    // Checks: those recorded, then those the window never reached.
    r.checks = checks_;
    for (std::size_t i = next_check_; i < opts_.checks.size(); ++i) {
        check_figures c;
        c.offset = opts_.checks[i];
        c.reached = false;
        r.checks.push_back(c);
    }

    detail::judge(r, opts_);
    return r;
}

std::string format_utc(unix_nanos t) {
    const std::time_t secs = static_cast<std::time_t>(
        t.value >= 0 ? t.value / 1'000'000'000 : (t.value - 999'999'999) / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<double> parse_byte_size(std::string_view text) {
    double v = 0;
    const auto* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc{} || !std::isfinite(v) || v < 0 || text.empty() || text.front() == '-') {
        return std::nullopt;
    }
    std::string_view unit(p, static_cast<std::size_t>(end - p));
    static constexpr std::array<std::pair<std::string_view, double>, 10> units{{
        {"B", 1.0},
        {"KB", 1e3},
        {"MB", 1e6},
        {"GB", 1e9},
        {"TB", 1e12},
        {"KiB", 1024.0},
        {"MiB", 1024.0 * 1024},
        {"GiB", 1024.0 * 1024 * 1024},
        {"TiB", 1024.0 * 1024 * 1024 * 1024},
        {"", 1.0},
    }};
    for (const auto& [u, f] : units) {
        if (unit == u) {
            const double bytes = v * f;
            if (bytes > 1152921504606846976.0) { // 2^60
                return std::nullopt;
            }
            return bytes;
        }
    }
    return std::nullopt;
}

std::optional<unix_nanos> parse_time_point(std::string_view text, unix_nanos now) {
    auto whole = [](std::string_view s) -> std::optional<std::int64_t> {
        std::int64_t v = 0;
        const auto* end = s.data() + s.size();
        const auto [p, ec] = std::from_chars(s.data(), end, v);
        if (ec != std::errc{} || p != end || s.empty() || v < 0) {
            return std::nullopt;
        }
        return v;
    };
    if (text == "now") {
        return now;
    }
    if (text.starts_with("now-") && text.size() > 5) {
        const char unit = text.back();
        std::int64_t mult = 0;
        switch (unit) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        default:
            return std::nullopt;
        }
        const auto n = whole(text.substr(4, text.size() - 5));
        if (!n || *n > 3650 * 86400 / mult) {
            return std::nullopt;
        }
        return unix_nanos{now.value - *n * mult * 1'000'000'000};
    }
    if (auto n = whole(text)) {
        if (*n > 32503680000) { // year 3000
            return std::nullopt;
        }
        return unix_nanos{*n * 1'000'000'000};
    }
    // RFC 3339 UTC: YYYY-MM-DDTHH:MM:SS[.fff]Z
    if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    const auto y = whole(text.substr(0, 4));
    const auto mo = whole(text.substr(5, 2));
    const auto d = whole(text.substr(8, 2));
    const auto h = whole(text.substr(11, 2));
    const auto mi = whole(text.substr(14, 2));
    const auto s = whole(text.substr(17, 2));
    if (!y || !mo || !d || !h || !mi || !s || *y < 1970 || *mo < 1 || *mo > 12 || *d < 1 ||
        *d > 31 || *h > 23 || *mi > 59 || *s > 60) {
        return std::nullopt;
    }
    std::int64_t frac_ns = 0;
    const auto rest = text.substr(19, text.size() - 20);
    if (!rest.empty()) {
        if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) {
            return std::nullopt;
        }
        const auto digits = rest.substr(1);
        const auto f = whole(digits);
        if (!f) {
            return std::nullopt;
        }
        frac_ns = *f;
        for (std::size_t i = digits.size(); i < 9; ++i) {
            frac_ns *= 10;
        }
    }
    const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(*y)},
                                          std::chrono::month{static_cast<unsigned>(*mo)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    const std::int64_t secs = static_cast<std::int64_t>(days) * 86400 + *h * 3600 + *mi * 60 + *s;
    return unix_nanos{secs * 1'000'000'000 + frac_ns};
}

} // namespace mdg::monitor
