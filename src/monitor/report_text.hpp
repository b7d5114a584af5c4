#pragma once

// Private helpers of the report: number formatting for people, and the judging step (criteria,
// triggers, verdict, exit code). Not part of the module's API; pure and thread-safe.

#include <string>

#include "monitor/report.hpp"

namespace mdg::monitor::detail {

/// A rate per hour with sensible precision: "0", "0.412", "7.19", "23.0", "189".
[[nodiscard]] std::string format_rate(double per_hour);
/// A duration for people: "40 s", "25 min 3 s", "1.50 h" (hours from one hour up).
[[nodiscard]] std::string format_span(double seconds);
/// Bytes in binary units: "512 B", "38.2 MiB", "1.00 GiB".
[[nodiscard]] std::string format_bytes(double bytes);
/// A count with thousands separators: "1,125,000" (rounded; non-finite: "n/a").
[[nodiscard]] std::string format_count(double v);
/// A p-value: "p = 0.031", "p < 0.0001".
[[nodiscard]] std::string format_p(double p);
/// "k in T: r/h (95% CI lo-hi/h)".
[[nodiscard]] std::string format_event(const event_figure& e, double confidence);
/// The comparison with the baseline in one phrase, e.g. "lower than baseline (p = 0.002,
/// significant at 5%)"; empty when there is none.
[[nodiscard]] std::string format_comparison(const rate_change& c);

/// Fills r.criteria, r.triggers, r.exit and r.verdict from the figures (see report_exit).
void judge(report& r, const report_options& opts);

} // namespace mdg::monitor::detail
