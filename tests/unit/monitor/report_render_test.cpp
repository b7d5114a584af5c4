#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "monitor/report.hpp"
#include "monitor/svg.hpp"

namespace mdg::monitor {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t t0_s = 1'761'750'000; // 2025-10-29T15:00:00Z

unix_nanos at_s(std::int64_t s) {
    return unix_nanos{(t0_s + s) * ns_per_s};
}

std::vector<sample> scrape_of(double handler_timeouts, double messages, double rss) {
    const std::string t =
        fmt::format("mdgate_handler_timeouts_total {}\n"
                    "mdgate_network_errors_total{{kind=\"probe\"}} 0\n"
                    "mdgate_callback_timeouts_total{{consumer=\"a\"}} 0\n"
                    "mdgate_ws_messages_total{{channel=\"orderbook\"}} {}\n"
                    "mdgate_queue_dropped_total{{queue=\"q\",reason=\"full\"}} 0\n"
                    "mdgate_log_messages_total{{level=\"error\"}} 0\n"
                    "mdgate_book_gaps_total 0\nmdgate_book_resyncs_total 0\n"
                    "mdgate_build_info{{version=\"9.9.9 \\\"rc|1\\\"\"}} 1\n"
                    "process_resident_memory_bytes {}\nprocess_start_time_seconds {}\n",
                    handler_timeouts, messages, rss, t0_s - 60);
    std::string error;
    auto s = parse_prometheus_text(t, error);
    EXPECT_TRUE(s) << error;
    return s ? *s : std::vector<sample>{};
}

report sample_report() {
    report_options o;
    o.target = "http://127.0.0.1:8080";
    o.source = "test";
    o.planned_duration = 5min;
    o.checks = {2min, 4min, 10min};
    baseline base;
    base.source = "old | service";
    base.hours = 12;
    base.handler_timeouts = 300;
    base.network_validation_failures = 150;
    base.error_events = 400;
    o.base = base;
    report_builder b(o, at_s(0));
    for (std::int64_t s = 0; s <= 300; s += 5) {
        b.feed(at_s(s), scrape_of(s >= 100 ? 2 : 0, 700.0 * static_cast<double>(s),
                                  (100.0 + static_cast<double>(s) / 10) * 1024 * 1024));
    }
    return b.finish(at_s(300), false, "the planned duration elapsed", at_s(301));
}

/// A small XML well-formedness check: tags nest and close, attributes are quoted, entities
/// are the five predefined ones. Enough for what render_chart_svg writes.
bool well_formed_xml(std::string_view x, std::string& why) {
    std::vector<std::string> open;
    std::size_t i = 0;
    bool root_seen = false;
    while (i < x.size()) {
        if (x[i] == '&') {
            const auto semi = x.find(';', i);
            const auto ent = x.substr(i, semi == std::string_view::npos ? 0 : semi - i + 1);
            if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" &&
                ent != "&apos;") {
                why = fmt::format("bad entity at {}", i);
                return false;
            }
            i = semi + 1;
            continue;
        }
        if (x[i] != '<') {
            if (open.empty() && x[i] != '\n' && x[i] != ' ') {
                why = fmt::format("text outside the root at {}", i);
                return false;
            }
            ++i;
            continue;
        }
        const auto close = x.find('>', i);
        if (close == std::string_view::npos) {
            why = "unterminated tag";
            return false;
        }
        std::string_view tag = x.substr(i + 1, close - i - 1);
        i = close + 1;
        if (tag.starts_with("?")) {
            continue;
        }
        if (tag.starts_with("/")) {
            if (open.empty() || open.back() != tag.substr(1)) {
                why = fmt::format("</{}> does not close <{}>", tag.substr(1),
                                  open.empty() ? "" : open.back());
                return false;
            }
            open.pop_back();
            continue;
        }
        const bool self_closing = tag.ends_with("/");
        if (self_closing) {
            tag.remove_suffix(1);
        }
        const auto name = tag.substr(0, tag.find(' '));
        // Attributes: name="value" pairs, quotes balanced, no raw '<' or '&' inside.
        if (std::count(tag.begin(), tag.end(), '"') % 2 != 0 ||
            tag.find('<') != std::string_view::npos) {
            why = fmt::format("bad attributes in <{}>", name);
            return false;
        }
        if (open.empty()) {
            if (root_seen) {
                why = "two root elements";
                return false;
            }
            root_seen = true;
        }
        if (!self_closing) {
            open.emplace_back(name);
        }
    }
    if (!open.empty()) {
        why = "<" + open.back() + "> is not closed";
        return false;
    }
    return root_seen;
}

TEST(ReportRenderTest, MarkdownHasEverySection) {
    const auto r = sample_report();
    markdown_options mo;
    mo.throughput_svg = "charts/throughput.svg";
    mo.memory_svg = "charts/memory.svg";
    const auto md = render_markdown(r, mo);
    for (const char* section :
         {"# mdgate deploy validation report", "## Verdict", "## Executive summary",
          "| Metric | Baseline | Target | Actual | Verdict |", "## Checks", "### Check at 2 min",
          "### Check at 4 min", "### Check at 10 min: not reached", "## Throughput per minute",
          "## Memory", "## Success criteria", "## Rollback triggers", "## Measurement notes",
          "## How to read the statistics", "![Messages per minute](charts/throughput.svg)",
          "![RSS over the window](charts/memory.svg)"}) {
        EXPECT_NE(md.find(section), std::string::npos) << section;
    }
    for (const char* row :
         {"| Handler timeouts/hour |", "| Network errors/hour |", "| Callback timeouts/hour |",
          "| Throughput, messages/min", "| Memory (RSS) |", "| Restarts |",
          "| Book resyncs / gaps |", "| Queue drops (data lost) |", "| ERROR log lines |"}) {
        EXPECT_NE(md.find(row), std::string::npos) << row;
    }
    // The window's real length and the gateway's version (its '|' escaped for the table).
    EXPECT_NE(md.find("(5 min; planned 5 min)"), std::string::npos);
    EXPECT_NE(md.find("9.9.9 \"rc\\|1\""), std::string::npos);
    EXPECT_NE(md.find("old \\| service"), std::string::npos);
    EXPECT_NE(md.find("(exit code 1)"), std::string::npos);
}

TEST(ReportRenderTest, ExitCodeNoteReplacesTheExitCode) {
    const auto r = sample_report();
    markdown_options mo;
    mo.exit_code_note = "`mdgate report` exits with code 1 on this verdict; written elsewhere";
    const auto md = render_markdown(r, mo);
    EXPECT_EQ(md.find("(exit code "), std::string::npos);
    EXPECT_NE(md.find(r.verdict + " (`mdgate report` exits with code 1 on this verdict; written "
                                  "elsewhere)"),
              std::string::npos);
}

TEST(ReportRenderTest, JsonIsValidAndCarriesTheFigures) {
    const auto r = sample_report();
    const auto json = render_json(r);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    std::string_view schema;
    ASSERT_EQ(doc["schema"].get_string().get(schema), simdjson::SUCCESS);
    EXPECT_EQ(schema, "mdgate.report/1");
    std::uint64_t count = 99;
    ASSERT_EQ(doc["events"]["handler_timeouts"]["count"].get_uint64().get(count),
              simdjson::SUCCESS);
    EXPECT_EQ(count, 2U);
    double p = 0;
    ASSERT_EQ(
        doc["events"]["handler_timeouts"]["vs_baseline"]["p_value_decrease"].get_double().get(p),
        simdjson::SUCCESS);
    EXPECT_GT(p, 0.0);
    std::int64_t exit_code = -1;
    ASSERT_EQ(doc["exit_code"].get_int64().get(exit_code), simdjson::SUCCESS);
    EXPECT_EQ(exit_code, 1);
    bool cut = true;
    ASSERT_EQ(doc["window"]["cut_short"].get_bool().get(cut), simdjson::SUCCESS);
    EXPECT_FALSE(cut);
    double seconds = 0;
    ASSERT_EQ(doc["window"]["seconds"].get_double().get(seconds), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(seconds, 300.0);
    simdjson::dom::array checks;
    ASSERT_EQ(doc["checks"].get_array().get(checks), simdjson::SUCCESS);
    EXPECT_EQ(checks.size(), 3U);
    bool reached = true;
    ASSERT_EQ(checks.at(2)["reached"].get_bool().get(reached), simdjson::SUCCESS);
    EXPECT_FALSE(reached);
    simdjson::dom::array minutes;
    ASSERT_EQ(doc["throughput"]["per_minute"].get_array().get(minutes), simdjson::SUCCESS);
    EXPECT_EQ(minutes.size(), 5U);
    std::string_view version;
    ASSERT_EQ(doc["gateway"]["version"].get_string().get(version), simdjson::SUCCESS);
    EXPECT_EQ(version, "9.9.9 \"rc|1\"");
}

TEST(ReportRenderTest, ChartsAreWellFormedSvg) {
    const auto r = sample_report();
    std::string why;
    const auto tp = render_throughput_svg(r);
    EXPECT_TRUE(well_formed_xml(tp, why)) << why << "\n" << tp;
    EXPECT_NE(tp.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_EQ(std::count(tp.begin(), tp.end(), '\n') > 10, true);
    const auto mem = render_memory_svg(r);
    EXPECT_TRUE(well_formed_xml(mem, why)) << why << "\n" << mem;
    EXPECT_NE(mem.find("<polyline"), std::string::npos);
    EXPECT_NE(mem.find("limit 1.00 GiB"), std::string::npos);
}

TEST(ReportRenderTest, ChartWithoutDataOrWithHostileTextStaysWellFormed) {
    chart c;
    c.title = "<script>&\"'";
    c.y_label = "a\x01b";
    std::string why;
    auto svg = render_chart_svg(c);
    EXPECT_TRUE(well_formed_xml(svg, why)) << why << "\n" << svg;
    EXPECT_NE(svg.find("no data"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;&amp;&quot;&apos;"), std::string::npos);
    c.points = {{0, 1e300}, {1, -1e300}, {2, std::numeric_limits<double>::quiet_NaN()}};
    svg = render_chart_svg(c);
    EXPECT_TRUE(well_formed_xml(svg, why)) << why;
    c.points = {{0, 5}};
    c.bars = true;
    svg = render_chart_svg(c);
    EXPECT_TRUE(well_formed_xml(svg, why)) << why;
}

TEST(ReportRenderTest, WellFormedCheckRejectsBrokenXml) {
    std::string why;
    EXPECT_FALSE(well_formed_xml("<svg><g></svg>", why));
    EXPECT_FALSE(well_formed_xml("<svg>&nbsp;</svg>", why));
    EXPECT_FALSE(well_formed_xml("<svg a=\"1></svg>", why));
    EXPECT_TRUE(well_formed_xml("<?xml version=\"1.0\"?>\n<svg><g/></svg>\n", why)) << why;
}

} // namespace
} // namespace mdg::monitor
