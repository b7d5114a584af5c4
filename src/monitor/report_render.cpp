// Rendering a report: Markdown for people, JSON for machines, SVG charts.
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/json_writer.hpp"
#include "monitor/report.hpp"
#include "monitor/report_text.hpp"
#include "monitor/svg.hpp"

namespace mdg::monitor {

namespace {

using detail::format_bytes;
using detail::format_comparison;
using detail::format_count;
using detail::format_event;
using detail::format_p;
using detail::format_rate;
using detail::format_span;

constexpr double seconds_per_hour = 3600;

/// `t` as a UTC timestamp string, or null.
void time_field(core::json_writer& j, std::string_view k, std::optional<unix_nanos> t) {
    j.key(k);
    if (t) {
        j.value(format_utc(*t));
    } else {
        j.null();
    }
}

void write_interval(core::json_writer& j, std::string_view k,
                    const std::optional<rate_interval>& r) {
    j.key(k);
    if (!r) {
        j.null();
        return;
    }
    j.begin_object();
    j.field("rate_per_hour", r->rate);
    j.field("lower", r->lower);
    j.field("upper", r->upper);
    j.field("confidence", r->confidence);
    j.end_object();
}

/// Markdown table cells must not contain a bare '|' or a newline.
std::string cell(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view verdict_word(verdict v) {
    switch (v) {
    case verdict::met:
        return "met";
    case verdict::not_met:
        return "**not met**";
    case verdict::not_yet_demonstrable:
        return "not yet demonstrable";
    }
    return "?";
}

const criterion* find_criterion(const report& r, std::string_view key) {
    for (const auto& c : r.criteria) {
        if (c.key == key) {
            return &c;
        }
    }
    return nullptr;
}

std::string criterion_cell(const report& r, std::string_view key) {
    const auto* c = find_criterion(r, key);
    if (c == nullptr) {
        return "-";
    }
    std::string s(verdict_word(c->outcome));
    if (c->hours_needed) {
        s += fmt::format(" (needs {})", format_span(*c->hours_needed * seconds_per_hour));
    }
    return s;
}

std::string baseline_cell(const event_figure& e) {
    if (!e.baseline_count || !e.baseline_rate) {
        return "-";
    }
    return fmt::format("{}/h ({} in {})", format_rate(e.baseline_rate->rate), *e.baseline_count,
                       format_span(e.baseline_hours * seconds_per_hour));
}

std::string time_of_day(unix_nanos t) {
    const auto s = format_utc(t); // YYYY-MM-DDTHH:MM:SSZ
    return s.substr(11, 8);
}

std::string count_or_na(const std::optional<std::uint64_t>& v) {
    return v ? std::to_string(*v) : "n/a";
}

} // namespace

std::string render_markdown(const report& r, const markdown_options& opts) {
    std::string md;
    auto line = [&md](std::string_view s = {}) {
        md += s;
        md += '\n';
    };
    const double hours = r.observed_hours;
    line("# mdgate deploy validation report");
    line();
    line("| | |");
    line("|---|---|");
    line(fmt::format("| Gateway | {} |", cell(r.target)));
    line(fmt::format("| Version | {} |", r.version.empty() ? "unknown" : cell(r.version)));
    line(fmt::format("| Gateway started | {} |",
                     r.gateway_started_at ? format_utc(*r.gateway_started_at) : "unknown"));
    line(fmt::format("| Source | {} |", cell(r.source)));
    line(fmt::format("| Window | {} to {} ({}; planned {}{}) |", format_utc(r.window_start),
                     format_utc(r.window_end), format_span(r.window_seconds()),
                     format_span(static_cast<double>(r.planned_duration.count())),
                     r.cut_short ? ", **cut short**" : ""));
    line(fmt::format("| Window ended | {} |", cell(r.end_reason)));
    line(fmt::format("| Observed span | {} (first to last successful scrape; every count and rate "
                     "covers this span) |",
                     format_span(hours * seconds_per_hour)));
    line(fmt::format("| Scrapes | {} ok, {} failed |", r.scrapes_ok, r.scrapes_failed));
    line(fmt::format("| Baseline | {} |",
                     r.baseline_hours
                         ? cell(fmt::format("{} ({} of log)", r.baseline_source,
                                            format_span(*r.baseline_hours * seconds_per_hour)))
                         : "none"));
    line(fmt::format("| Report generated | {} |", format_utc(r.generated_at)));
    line();

    line("## Verdict");
    line();
    line(fmt::format("{} ({})", r.verdict,
                     opts.exit_code_note ? *opts.exit_code_note
                                         : fmt::format("exit code {}", static_cast<int>(r.exit))));
    line();

    line("## Executive summary");
    line();
    line("| Metric | Baseline | Target | Actual | Verdict |");
    line("|---|---|---|---|---|");
    auto event_row = [&](event_metric m, std::string_view key, std::string target) {
        const auto& e = r.event(m);
        std::string verdict_text = criterion_cell(r, key);
        if (e.vs_baseline) {
            verdict_text += "; " + format_comparison(*e.vs_baseline);
        }
        line(fmt::format("| {}/hour | {} | {} | {} | {} |", title(m), baseline_cell(e),
                         cell(target), cell(format_event(e, r.confidence)), cell(verdict_text)));
    };
    const auto* ht = find_criterion(r, "handler_timeouts_rate");
    const auto* ne = find_criterion(r, "network_errors_rate");
    const auto* cb = find_criterion(r, "callback_timeouts");
    event_row(event_metric::handler_timeouts, "handler_timeouts_rate",
              ht != nullptr ? ht->target : "-");
    event_row(event_metric::network_errors, "network_errors_rate",
              ne != nullptr ? ne->target : "-");
    event_row(event_metric::callback_timeouts, "callback_timeouts",
              cb != nullptr ? cb->target : "-");
    {
        const auto& tp = r.throughput;
        const auto* c = find_criterion(r, "throughput");
        const std::string base =
            tp.baseline_median
                ? fmt::format("{} / {} / {}", format_count(*tp.baseline_min),
                              format_count(*tp.baseline_median), format_count(*tp.baseline_max))
                : "-";
        std::string actual = "not measured";
        if (tp.measured && tp.median) {
            actual =
                fmt::format("{} / {} / {} ({} full minutes)", format_count(*tp.min),
                            format_count(*tp.median), format_count(*tp.max), tp.per_minute.size());
        } else if (tp.measured) {
            actual =
                fmt::format("no full minute ({} messages in {})", format_count(tp.partial_messages),
                            format_span(tp.partial_seconds));
        }
        line(fmt::format("| Throughput, messages/min (min / median / max) | {} | {} | {} | {} |",
                         base, c != nullptr ? cell(c->target) : "-", cell(actual),
                         criterion_cell(r, "throughput")));
    }
    {
        const auto& m = r.memory;
        const auto* c = find_criterion(r, "memory");
        std::string actual = "not measured";
        if (m.measured) {
            actual = fmt::format(
                "now {}, peak {}, growth {}", format_bytes(m.now_bytes), format_bytes(m.peak_bytes),
                m.growth_bytes_per_hour ? format_bytes(*m.growth_bytes_per_hour) + "/h"
                                        : std::string("n/a"));
        }
        line(fmt::format("| Memory (RSS) | - | {} | {} | {} |",
                         c != nullptr ? cell(c->target) : "no limit", cell(actual),
                         criterion_cell(r, "memory")));
    }
    {
        const auto* c = find_criterion(r, "restarts");
        line(fmt::format("| Restarts | - | 0 | {} | {} |",
                         c != nullptr ? cell(c->actual) : std::to_string(r.restarts),
                         criterion_cell(r, "restarts")));
    }
    {
        const auto& rs = r.event(event_metric::book_resyncs);
        const auto& gp = r.event(event_metric::book_gaps);
        line(fmt::format("| Book resyncs / gaps | - | - (informational) | {} / {} | - |",
                         rs.measured ? std::to_string(rs.count) : "n/a",
                         gp.measured ? std::to_string(gp.count) : "n/a"));
    }
    {
        const auto& d = r.event(event_metric::queue_drops);
        const auto& cf = r.event(event_metric::queue_conflated);
        const auto* c = find_criterion(r, "queue_drops");
        line(fmt::format("| Queue drops (data lost) | - | {} | {}{} | {} |",
                         c != nullptr ? cell(c->target) : "-",
                         d.measured ? std::to_string(d.count) : "n/a",
                         cf.measured ? fmt::format(" (and {} conflated: replaced by newer state, "
                                                   "not a loss)",
                                                   cf.count)
                                     : "",
                         criterion_cell(r, "queue_drops")));
    }
    {
        const auto& e = r.event(event_metric::error_logs);
        const auto* c = find_criterion(r, "error_logs");
        std::string verdict_text = criterion_cell(r, "error_logs");
        if (e.vs_baseline) {
            verdict_text += "; " + format_comparison(*e.vs_baseline);
        }
        line(fmt::format("| ERROR log lines | {} | {} | {} | {} |", baseline_cell(e),
                         c != nullptr ? cell(c->target) : "-", cell(format_event(e, r.confidence)),
                         cell(verdict_text)));
    }
    line();
    line(fmt::format("Rates are events per hour over the observed span with exact {:g}% "
                     "confidence intervals (Poisson). \"Not yet demonstrable\" means the window "
                     "is too short to support the claim either way.",
                     r.confidence * 100));
    line();

    line("## Checks");
    line();
    if (r.checks.empty()) {
        line("No check times were requested.");
        line();
    }
    for (const auto& c : r.checks) {
        const double off = static_cast<double>(c.offset.count());
        if (!c.reached) {
            line(fmt::format("### Check at {}: not reached", format_span(off)));
            line();
            line(fmt::format("The window ended after {}, before this check time.",
                             format_span(r.window_seconds())));
            line();
            continue;
        }
        line(fmt::format("### Check at {} ({} UTC)", format_span(off), time_of_day(c.at)));
        line();
        line(fmt::format("- Figures from the scrape at {}, {} into the window", format_utc(c.at),
                         format_span(static_cast<double>((c.at - r.window_start).count()) / 1e9)));
        line(fmt::format("- Gateway uptime: {}; restarts so far: {}",
                         c.uptime_seconds ? format_span(*c.uptime_seconds) : "unknown",
                         c.restarts));
        std::string ht_rate;
        if (c.handler_timeout_rate) {
            ht_rate =
                fmt::format(" ({}/h, {:g}% CI {}-{}/h)", format_rate(c.handler_timeout_rate->rate),
                            r.confidence * 100, format_rate(c.handler_timeout_rate->lower),
                            format_rate(c.handler_timeout_rate->upper));
        }
        const auto idx = [](event_metric m) {
            return static_cast<std::size_t>(m);
        };
        line(fmt::format("- Handler timeouts so far: {}{}",
                         count_or_na(c.counts[idx(event_metric::handler_timeouts)]), ht_rate));
        line(fmt::format("- Network errors: {}; callback timeouts: {}; ERROR log lines: {}",
                         count_or_na(c.counts[idx(event_metric::network_errors)]),
                         count_or_na(c.counts[idx(event_metric::callback_timeouts)]),
                         count_or_na(c.counts[idx(event_metric::error_logs)])));
        line(fmt::format("- Reconnects: {}; book resyncs: {}; book gaps: {}; queue drops: {}",
                         count_or_na(c.counts[idx(event_metric::reconnects)]),
                         count_or_na(c.counts[idx(event_metric::book_resyncs)]),
                         count_or_na(c.counts[idx(event_metric::book_gaps)]),
                         count_or_na(c.counts[idx(event_metric::queue_drops)])));
        line(fmt::format("- Messages in the last 60 s: {}",
                         c.last_minute_messages ? format_count(*c.last_minute_messages)
                                                : "n/a (less than a minute observed)"));
        line(fmt::format("- RSS: {}", c.rss_bytes ? format_bytes(*c.rss_bytes) : "n/a"));
        line(fmt::format("- Failed scrapes so far: {}", c.scrape_failures));
        line();
    }

    line("## Throughput per minute");
    line();
    const auto& tp = r.throughput;
    if (!tp.measured) {
        line("Not measured (mdgate_ws_messages_total was not observed).");
    } else {
        if (tp.per_minute.empty()) {
            line("The window holds no full minute.");
        } else {
            line("| Minute starting (UTC) | Messages |");
            line("|---|---|");
            for (const auto& m : tp.per_minute) {
                line(fmt::format("| {} | {} |", time_of_day(m.start), format_count(m.messages)));
            }
        }
        line();
        line(fmt::format("Total: {} messages. Minutes are counted from the window start.",
                         format_count(tp.total_messages)));
        if (tp.partial_seconds >= 1) {
            line(fmt::format("After the last full minute: {} messages in {}.",
                             format_count(tp.partial_messages), format_span(tp.partial_seconds)));
        }
        if (!opts.throughput_svg.empty()) {
            line();
            line(fmt::format("![Messages per minute]({})", opts.throughput_svg));
        }
    }
    line();

    line("## Memory");
    line();
    const auto& mem = r.memory;
    if (!mem.measured) {
        line("Not measured (process_resident_memory_bytes was not observed).");
    } else {
        line(fmt::format("- RSS now: {}", format_bytes(mem.now_bytes)));
        line(fmt::format("- RSS peak: {}", format_bytes(mem.peak_bytes)));
        line(fmt::format(
            "- Growth: {} (least-squares slope over {}; over a short window this says little "
            "about a leak)",
            mem.growth_bytes_per_hour ? format_bytes(*mem.growth_bytes_per_hour) + "/h"
                                      : std::string("n/a"),
            format_span(hours * seconds_per_hour)));
        if (!opts.memory_svg.empty()) {
            line();
            line(fmt::format("![RSS over the window]({})", opts.memory_svg));
        }
    }
    line();

    line("## Success criteria");
    line();
    line("| Criterion | Target | Actual | Result | Why |");
    line("|---|---|---|---|---|");
    for (const auto& c : r.criteria) {
        std::string result(verdict_word(c.outcome));
        if (c.hours_needed) {
            result += fmt::format(" (needs {})", format_span(*c.hours_needed * seconds_per_hour));
        }
        line(fmt::format("| {} | {} | {} | {} | {} |", cell(c.name), cell(c.target), cell(c.actual),
                         cell(result), cell(c.note.empty() ? "-" : c.note)));
    }
    line();

    line("## Rollback triggers");
    line();
    line("| Trigger | Threshold | Observed | Fired | Why |");
    line("|---|---|---|---|---|");
    for (const auto& g : r.triggers) {
        line(fmt::format("| {} | {} | {} | {} | {} |", cell(g.name), cell(g.threshold),
                         cell(g.observed), g.fired ? "**FIRED**" : "no",
                         cell(g.note.empty() ? "-" : g.note)));
    }
    line();

    line("## Measurement notes");
    line();
    if (!r.measure_problems.empty()) {
        for (const auto& p : r.measure_problems) {
            line("- Could not measure: " + p);
        }
    }
    line(
        fmt::format("- {} scrapes succeeded and {} failed{}.", r.scrapes_ok, r.scrapes_failed,
                    r.last_scrape_error.empty() ? "" : "; the last error: " + r.last_scrape_error));
    if (r.unreachable_at_end && r.unreachable_since) {
        line(fmt::format("- The gateway was unreachable from {} to the end of the window.",
                         format_utc(*r.unreachable_since)));
    }
    if (r.restarts > 0) {
        line(fmt::format("- {} restart(s) detected (process_start_time_seconds changed or a "
                         "counter went down). Counts are summed across restarts; events the old "
                         "process counted after its last scrape are not seen, so counts are lower "
                         "bounds.",
                         r.restarts));
    }
    line("- Network errors are every failed connect step (dns, connect, tls, handshake), pong "
         "timeout and failed connectivity probe; the old service's baseline counted only failed "
         "probes (`Network connectivity validation failed`).");
    line("- ERROR log lines count records at level error or critical "
         "(mdgate_log_messages_total); the baseline counts distinct error events in the journal.");
    line();

    line("## How to read the statistics");
    line();
    line("- A count of events over a span is a Poisson observation. The interval after each "
         "rate is the exact (Garwood) two-sided interval: with 0 events in 25 minutes the rate "
         "can still be up to 8.9 per hour, so \"0 per hour\" is never claimed.");
    line("- A target such as \"< 1/h\" is **met** only when the one-sided upper bound is below "
         "it, **not met** when the one-sided lower bound is above it, and otherwise **not yet "
         "demonstrable**, with the observation time that would settle it if events keep "
         "arriving at the observed rate.");
    line("- The comparison with the baseline is the exact conditional test of two Poisson "
         "rates; \"significant\" means the one-sided p-value is below 1 - confidence.");
    line("- A rate rollback trigger fires only when the one-sided lower bound is above its "
         "threshold, so a single event early in a short window does not cause a rollback.");
    line("- See docs/report.md for every figure.");
    return md;
}

std::string render_json(const report& r) {
    // Round-trip doubles: the JSON is data for machines (the Markdown rounds for people).
    core::json_writer j{core::json_doubles::round_trip};
    j.begin_object();
    j.field("schema", "mdgate.report/1");
    time_field(j, "generated_at", r.generated_at);
    j.field("target", r.target);
    j.field("source", r.source);
    j.key("gateway");
    j.begin_object();
    j.field("version", r.version);
    time_field(j, "started_at", r.gateway_started_at);
    j.field("restarts", static_cast<std::uint64_t>(r.restarts));
    j.field("unreachable_at_end", r.unreachable_at_end);
    time_field(j, "unreachable_since", r.unreachable_since);
    j.end_object();
    j.key("window");
    j.begin_object();
    time_field(j, "start", r.window_start);
    time_field(j, "end", r.window_end);
    j.field("seconds", r.window_seconds());
    j.field("planned_seconds", static_cast<std::uint64_t>(r.planned_duration.count()));
    j.field("cut_short", r.cut_short);
    j.field("end_reason", r.end_reason);
    time_field(j, "first_scrape", r.first_scrape);
    time_field(j, "last_scrape", r.last_scrape);
    j.field("observed_seconds", r.observed_hours * seconds_per_hour);
    j.field("scrapes_ok", r.scrapes_ok);
    j.field("scrapes_failed", r.scrapes_failed);
    j.field("last_scrape_error", r.last_scrape_error);
    j.end_object();
    j.key("baseline");
    if (r.baseline_hours) {
        j.begin_object();
        j.field("source", r.baseline_source);
        j.field("hours", *r.baseline_hours);
        j.end_object();
    } else {
        j.null();
    }
    j.field("measured", r.measured);
    j.key("measure_problems");
    j.begin_array();
    for (const auto& p : r.measure_problems) {
        j.value(p);
    }
    j.end_array();
    j.field("confidence", r.confidence);

    j.key("events");
    j.begin_object();
    for (const auto& e : r.events) {
        j.key(to_string(e.metric));
        j.begin_object();
        j.field("measured", e.measured);
        j.field("count", e.count);
        j.field("hours", e.hours);
        write_interval(j, "rate", e.rate);
        j.field("baseline_count", e.baseline_count);
        write_interval(j, "baseline_rate", e.baseline_rate);
        j.key("vs_baseline");
        if (e.vs_baseline) {
            const auto& c = *e.vs_baseline;
            j.begin_object();
            j.field("rate_ratio", c.rate_ratio);
            j.field("p_value_decrease", c.p_value_decrease);
            j.field("p_value_increase", c.p_value_increase);
            j.field("p_value_two_sided", c.p_value_two_sided);
            j.field("ratio_lower", c.ratio_lower);
            j.field("ratio_upper", c.ratio_upper);
            j.field("summary", format_comparison(c));
            j.end_object();
        } else {
            j.null();
        }
        j.end_object();
    }
    j.end_object();

    const auto& tp = r.throughput;
    j.key("throughput");
    j.begin_object();
    j.field("measured", tp.measured);
    j.field("total_messages", tp.total_messages);
    j.key("per_minute");
    j.begin_array();
    for (const auto& m : tp.per_minute) {
        j.begin_object();
        time_field(j, "start", m.start);
        j.field("messages", m.messages);
        j.end_object();
    }
    j.end_array();
    j.field("min", tp.min);
    j.field("median", tp.median);
    j.field("max", tp.max);
    j.field("partial_messages", tp.partial_messages);
    j.field("partial_seconds", tp.partial_seconds);
    j.field("baseline_min", tp.baseline_min);
    j.field("baseline_median", tp.baseline_median);
    j.field("baseline_max", tp.baseline_max);
    j.end_object();

    const auto& mem = r.memory;
    j.key("memory");
    j.begin_object();
    j.field("measured", mem.measured);
    j.field("rss_now_bytes", mem.now_bytes);
    j.field("rss_peak_bytes", mem.peak_bytes);
    j.field("growth_bytes_per_hour", mem.growth_bytes_per_hour);
    j.end_object();

    j.key("checks");
    j.begin_array();
    for (const auto& c : r.checks) {
        j.begin_object();
        j.field("offset_seconds", static_cast<std::uint64_t>(c.offset.count()));
        j.field("reached", c.reached);
        if (c.reached) {
            time_field(j, "at", c.at);
            j.key("counts");
            j.begin_object();
            for (std::size_t i = 0; i < c.counts.size(); ++i) {
                j.field(to_string(static_cast<event_metric>(i)), c.counts[i]);
            }
            j.end_object();
            write_interval(j, "handler_timeout_rate", c.handler_timeout_rate);
            j.field("rss_bytes", c.rss_bytes);
            j.field("last_minute_messages", c.last_minute_messages);
            j.field("restarts", static_cast<std::uint64_t>(c.restarts));
            j.field("uptime_seconds", c.uptime_seconds);
            j.field("scrape_failures", c.scrape_failures);
        }
        j.end_object();
    }
    j.end_array();

    j.key("criteria");
    j.begin_array();
    for (const auto& c : r.criteria) {
        j.begin_object();
        j.field("key", c.key);
        j.field("name", c.name);
        j.field("target", c.target);
        j.field("actual", c.actual);
        j.field("outcome", to_string(c.outcome));
        j.field("hours_needed", c.hours_needed);
        j.field("note", c.note);
        j.end_object();
    }
    j.end_array();
    j.key("triggers");
    j.begin_array();
    for (const auto& g : r.triggers) {
        j.begin_object();
        j.field("key", g.key);
        j.field("name", g.name);
        j.field("threshold", g.threshold);
        j.field("observed", g.observed);
        j.field("fired", g.fired);
        j.field("note", g.note);
        j.end_object();
    }
    j.end_array();
    j.field("verdict", r.verdict);
    j.field("exit_code", static_cast<int>(r.exit));
    j.end_object();
    auto s = j.take();
    s += '\n';
    return s;
}

std::string render_throughput_svg(const report& r) {
    chart c;
    c.title = "Messages per minute";
    c.y_label = "messages / min";
    c.bars = true;
    for (const auto& m : r.throughput.per_minute) {
        c.points.push_back(
            {static_cast<double>((m.start - r.window_start).count()) / 60e9, m.messages});
    }
    return render_chart_svg(c);
}

std::string render_memory_svg(const report& r) {
    chart c;
    c.title = "Resident memory (RSS)";
    c.y_label = "MiB";
    c.y_scale = 1024.0 * 1024.0;
    for (const auto& [t, v] : r.memory.series) {
        c.points.push_back({static_cast<double>((t - r.window_start).count()) / 60e9, v});
    }
    if (r.rss_limit_bytes) {
        c.limit = *r.rss_limit_bytes;
        c.limit_label = "limit " + format_bytes(*r.rss_limit_bytes);
    }
    return render_chart_svg(c);
}

} // namespace mdg::monitor
