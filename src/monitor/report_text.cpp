// Judging: success criteria, rollback triggers, verdict and exit code; and number formatting.
#include "monitor/report_text.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace mdg::monitor::detail {

namespace {

constexpr double seconds_per_hour = 3600;

std::string pct(double confidence) {
    return fmt::format("{:g}%", std::round(confidence * 1000) / 10);
}

/// A statistical criterion "rate < target".
criterion rate_criterion(const report& r, event_metric m, std::string key, double target) {
    const auto& e = r.event(m);
    criterion c;
    c.key = std::move(key);
    c.name = fmt::format("{} per hour", title(m));
    c.target = fmt::format("< {}/h", format_rate(target));
    if (!e.measured || e.hours <= 0) {
        c.actual = "not measured";
        c.outcome = verdict::not_yet_demonstrable;
        c.note = "the series was not observed over a time span";
        return c;
    }
    c.actual = format_event(e, r.confidence);
    auto tv = target_verdict(e.count, e.hours, target, r.confidence);
    if (!tv) {
        c.outcome = verdict::not_yet_demonstrable;
        c.note = "the statistics could not be computed";
        return c;
    }
    c.outcome = tv->outcome;
    switch (tv->outcome) {
    case verdict::met:
        c.note = fmt::format("the one-sided {} upper bound, {}/h, is below the target",
                             pct(r.confidence), format_rate(tv->upper));
        break;
    case verdict::not_met:
        c.note = fmt::format("the one-sided {} lower bound, {}/h, is above the target",
                             pct(r.confidence), format_rate(tv->lower));
        break;
    case verdict::not_yet_demonstrable:
        c.hours_needed = tv->hours_needed;
        if (!tv->demonstrable) {
            c.note = fmt::format("the observed rate is at or above the target: no amount of "
                                 "observation at this rate can show < {}/h",
                                 format_rate(target));
        } else if (tv->hours_needed) {
            c.note = fmt::format(
                "{} events in {} bound the rate only below {}/h ({} one-sided); needs at least "
                "{} of observation at this rate",
                e.count, format_span(e.hours * seconds_per_hour), format_rate(tv->upper),
                pct(r.confidence), format_span(*tv->hours_needed * seconds_per_hour));
        } else {
            c.note = fmt::format("the window is too short to tell (upper bound {}/h)",
                                 format_rate(tv->upper));
        }
        break;
    }
    return c;
}

/// A count criterion "at most `max` in the window": a fact about this window only.
criterion count_criterion(const report& r, event_metric m, std::string key, std::uint64_t max) {
    const auto& e = r.event(m);
    criterion c;
    c.key = std::move(key);
    c.name = std::string(title(m));
    c.target = max == 0 ? "0 in the window" : fmt::format("<= {} in the window", max);
    if (!e.measured || r.scrapes_ok < 2) {
        c.actual = "not measured";
        c.outcome = verdict::not_yet_demonstrable;
        c.note = "the series was not observed";
        return c;
    }
    c.actual = fmt::format("{} in {}", e.count, format_span(e.hours * seconds_per_hour));
    c.outcome = e.count <= max ? verdict::met : verdict::not_met;
    if (c.outcome == verdict::met && e.hours > 0) {
        if (auto u = poisson_upper_one_sided(e.count, e.hours, r.confidence)) {
            c.note = fmt::format("a fact about this window; it shows only that the long-run rate "
                                 "is below {}/h ({} one-sided)",
                                 format_rate(*u), pct(r.confidence));
        }
    } else if (c.outcome == verdict::not_met) {
        c.note = fmt::format("{} above the allowed {}", e.count - max, max);
    }
    return c;
}

} // namespace

std::string format_rate(double v) {
    if (!std::isfinite(v)) {
        return v > 0 ? "inf" : "n/a";
    }
    if (v == 0) {
        return "0";
    }
    const double a = std::abs(v);
    if (a >= 100) {
        return fmt::format("{:.0f}", v);
    }
    if (a >= 10) {
        return fmt::format("{:.1f}", v);
    }
    if (a >= 1) {
        return fmt::format("{:.2f}", v);
    }
    return fmt::format("{:.3g}", v);
}

std::string format_span(double s) {
    if (!std::isfinite(s) || s < 0) {
        return "n/a";
    }
    if (s < 60) {
        return fmt::format("{:.0f} s", s);
    }
    if (s < seconds_per_hour) {
        const auto total = static_cast<std::int64_t>(std::llround(s));
        const auto sec = total % 60;
        return sec == 0 ? fmt::format("{} min", total / 60)
                        : fmt::format("{} min {} s", total / 60, sec);
    }
    return fmt::format("{:.2f} h", s / seconds_per_hour);
}

std::string format_bytes(double b) {
    if (!std::isfinite(b)) {
        return "n/a";
    }
    const double a = std::abs(b);
    constexpr double k = 1024;
    if (a < k) {
        return fmt::format("{:.0f} B", b);
    }
    if (a < k * k) {
        return fmt::format("{:.1f} KiB", b / k);
    }
    if (a < k * k * k) {
        return fmt::format("{:.1f} MiB", b / (k * k));
    }
    return fmt::format("{:.2f} GiB", b / (k * k * k));
}

std::string format_count(double v) {
    if (!std::isfinite(v)) {
        return "n/a";
    }
    const auto n = std::llround(std::abs(v));
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(digits[i]);
    }
    return v < 0 && n != 0 ? "-" + out : out;
}

std::string format_p(double p) {
    if (!std::isfinite(p)) {
        return "p = n/a";
    }
    if (p < 1e-4) {
        return "p < 0.0001";
    }
    return fmt::format("p = {:.2g}", p);
}

std::string format_event(const event_figure& e, double confidence) {
    if (!e.measured) {
        return "not measured";
    }
    if (!e.rate) {
        return fmt::format("{}", e.count);
    }
    return fmt::format("{} in {}: {}/h ({} CI {}-{}/h)", e.count,
                       format_span(e.hours * seconds_per_hour), format_rate(e.rate->rate),
                       pct(confidence), format_rate(e.rate->lower), format_rate(e.rate->upper));
}

std::string format_comparison(const rate_change& c) {
    const double alpha = 1 - c.confidence;
    if (c.rate_now < c.rate_base) {
        const bool sig = c.p_value_decrease < alpha;
        std::string s =
            fmt::format("lower than the baseline ({} one-sided, {})", format_p(c.p_value_decrease),
                        sig ? "significant" : "not significant");
        if (sig && std::isfinite(c.ratio_upper) && c.ratio_upper < 1) {
            s += fmt::format("; down by at least {:.0f}% ({} confidence)",
                             std::floor((1 - c.ratio_upper) * 100), pct(c.confidence));
        }
        return s;
    }
    if (c.rate_now > c.rate_base) {
        const bool sig = c.p_value_increase < alpha;
        return fmt::format("higher than the baseline ({} one-sided, {})",
                           format_p(c.p_value_increase), sig ? "significant" : "not significant");
    }
    return "the same as the baseline";
}

void judge(report& r, const report_options& opts) {
    const auto& t = opts.targets;
    const auto& tr = opts.triggers;
    r.criteria.clear();
    r.triggers.clear();

    r.criteria.push_back(rate_criterion(r, event_metric::handler_timeouts, "handler_timeouts_rate",
                                        t.handler_timeouts_per_hour));
    r.criteria.push_back(rate_criterion(r, event_metric::network_errors, "network_errors_rate",
                                        t.network_errors_per_hour));
    r.criteria.push_back(count_criterion(r, event_metric::callback_timeouts, "callback_timeouts",
                                         t.max_callback_timeouts));
    {
        criterion c;
        c.key = "throughput";
        c.name = "Throughput, every full minute";
        c.target = fmt::format(">= {} messages/min", format_count(t.min_messages_per_minute));
        const auto& tp = r.throughput;
        if (!tp.measured) {
            c.actual = "not measured";
            c.outcome = verdict::not_yet_demonstrable;
            c.note = "mdgate_ws_messages_total was not observed";
        } else if (tp.per_minute.empty()) {
            c.actual =
                fmt::format("{} messages in {} (no full minute)", format_count(tp.partial_messages),
                            format_span(tp.partial_seconds));
            c.outcome = verdict::not_yet_demonstrable;
            c.note = "the window holds no full minute";
        } else {
            std::size_t below = 0;
            for (const auto& m : tp.per_minute) {
                below += m.messages < t.min_messages_per_minute ? 1U : 0U;
            }
            c.actual = fmt::format("min {} / median {} / max {} over {} full minutes",
                                   format_count(*tp.min), format_count(*tp.median),
                                   format_count(*tp.max), tp.per_minute.size());
            c.outcome = below == 0 ? verdict::met : verdict::not_met;
            if (below > 0) {
                c.note =
                    fmt::format("{} of {} minutes below the target", below, tp.per_minute.size());
            }
        }
        r.criteria.push_back(std::move(c));
    }
    if (tr.rss_limit_bytes) {
        criterion c;
        c.key = "memory";
        c.name = "Memory (RSS peak)";
        c.target = fmt::format("<= {}", format_bytes(*tr.rss_limit_bytes));
        if (!r.memory.measured) {
            c.actual = "not measured";
            c.outcome = verdict::not_yet_demonstrable;
            c.note = "process_resident_memory_bytes was not observed";
        } else {
            c.actual = fmt::format("peak {}", format_bytes(r.memory.peak_bytes));
            c.outcome =
                r.memory.peak_bytes <= *tr.rss_limit_bytes ? verdict::met : verdict::not_met;
            c.note = "a fact about this window (a slow leak needs a longer one: see the growth "
                     "rate)";
        }
        r.criteria.push_back(std::move(c));
    }
    {
        criterion c;
        c.key = "restarts";
        c.name = "No restart or crash";
        c.target = "0 restarts, reachable to the end";
        if (r.scrapes_ok == 0) {
            c.actual = "not measured";
            c.outcome = verdict::not_yet_demonstrable;
            c.note = "the gateway was never reached";
        } else {
            c.actual = fmt::format("{} restart{}{}", r.restarts, r.restarts == 1 ? "" : "s",
                                   r.unreachable_at_end ? ", unreachable at the end" : "");
            c.outcome = r.restarts == 0 && !r.unreachable_at_end ? verdict::met : verdict::not_met;
        }
        r.criteria.push_back(std::move(c));
    }
    r.criteria.push_back(
        count_criterion(r, event_metric::queue_drops, "queue_drops", t.max_queue_drops));
    r.criteria.push_back(
        count_criterion(r, event_metric::error_logs, "error_logs", t.max_error_logs));

    // Rollback triggers.
    {
        trigger g;
        g.key = "handler_timeouts_rate";
        g.name = "Handler timeouts above threshold";
        g.threshold = fmt::format("> {}/h", format_rate(tr.handler_timeouts_per_hour));
        const auto& e = r.event(event_metric::handler_timeouts);
        if (!e.measured || e.hours <= 0) {
            g.observed = "not measured";
        } else {
            g.observed = format_event(e, r.confidence);
            if (auto lo = poisson_lower_one_sided(e.count, e.hours, r.confidence)) {
                g.fired = *lo > tr.handler_timeouts_per_hour;
                if (g.fired) {
                    g.note = fmt::format("proven: the one-sided {} lower bound is {}/h",
                                         pct(r.confidence), format_rate(*lo));
                } else if (e.rate && e.rate->rate > tr.handler_timeouts_per_hour) {
                    g.note = fmt::format("the observed rate is above the threshold, but not "
                                         "significantly (lower bound {}/h): watch it",
                                         format_rate(*lo));
                }
            }
        }
        r.triggers.push_back(std::move(g));
    }
    if (tr.rss_limit_bytes) {
        trigger g;
        g.key = "rss_limit";
        g.name = "Memory above limit";
        g.threshold = fmt::format("RSS > {}", format_bytes(*tr.rss_limit_bytes));
        if (r.memory.measured) {
            g.observed = fmt::format("peak {}", format_bytes(r.memory.peak_bytes));
            g.fired = r.memory.peak_bytes > *tr.rss_limit_bytes;
        } else {
            g.observed = "not measured";
        }
        r.triggers.push_back(std::move(g));
    }
    {
        trigger g;
        g.key = "restart_or_crash";
        g.name = "Restart or crash";
        g.threshold = tr.max_restarts == 0
                          ? "any restart or crash"
                          : fmt::format("> {} restarts, or a crash", tr.max_restarts);
        if (r.scrapes_ok == 0) {
            g.observed = "not measured (never reached)";
        } else {
            g.observed = fmt::format("{} restart{}", r.restarts, r.restarts == 1 ? "" : "s");
            if (r.unreachable_at_end && r.unreachable_since) {
                g.observed +=
                    fmt::format("; unreachable since {}", format_utc(*r.unreachable_since));
            }
            g.fired = r.restarts > tr.max_restarts || r.unreachable_at_end;
        }
        r.triggers.push_back(std::move(g));
    }

    // Verdict and exit code: a fired trigger is evidence and wins; then "could not measure";
    // then the criteria.
    std::string fired;
    for (const auto& g : r.triggers) {
        if (g.fired) {
            fired += fired.empty() ? "" : "; ";
            fired += g.name + " (" + g.observed + ")";
        }
    }
    std::string not_met;
    std::string not_shown;
    for (const auto& c : r.criteria) {
        if (c.outcome == verdict::not_met) {
            not_met += not_met.empty() ? "" : "; ";
            not_met += c.name;
        } else if (c.outcome == verdict::not_yet_demonstrable) {
            not_shown += not_shown.empty() ? "" : "; ";
            not_shown += c.name;
            if (c.hours_needed) {
                not_shown += fmt::format(" (needs {})", format_span(*c.hours_needed * 3600));
            }
        }
    }
    if (!fired.empty()) {
        r.exit = report_exit::rollback;
        r.verdict = "ROLL BACK: a rollback trigger fired: " + fired + ".";
    } else if (!r.measured) {
        r.exit = report_exit::not_measured;
        std::string why;
        for (const auto& p : r.measure_problems) {
            why += why.empty() ? "" : "; ";
            why += p;
        }
        r.verdict = "COULD NOT MEASURE: " + why + ".";
    } else if (!not_met.empty() || !not_shown.empty()) {
        r.exit = report_exit::not_met;
        r.verdict = "NOT PASSED:";
        if (!not_met.empty()) {
            r.verdict += " not met: " + not_met + ".";
        }
        if (!not_shown.empty()) {
            r.verdict += " Not yet demonstrable in this window: " + not_shown + ".";
        }
        r.verdict += " No rollback trigger fired.";
    } else {
        r.exit = report_exit::all_met;
        r.verdict = fmt::format("PASSED: every success criterion was met over {} and no rollback "
                                "trigger fired.",
                                format_span(r.observed_hours * seconds_per_hour));
    }
    if (r.cut_short) {
        r.verdict += fmt::format(" The window was cut short: {} of the planned {}.",
                                 format_span(r.window_seconds()),
                                 format_span(static_cast<double>(r.planned_duration.count())));
    }
}

} // namespace mdg::monitor::detail
