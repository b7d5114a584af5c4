#include "monitor/prom_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace mdg::monitor {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}
bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_name_start(char c) noexcept {
    return is_alpha(c) || c == '_' || c == ':';
}
bool is_name_char(char c) noexcept {
    return is_name_start(c) || is_digit(c);
}
bool is_label_start(char c) noexcept {
    return is_alpha(c) || c == '_';
}
bool is_label_char(char c) noexcept {
    return is_label_start(c) || is_digit(c);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

// A float as Go's strconv.ParseFloat reads it (what Prometheus uses): decimal or exponent
// notation, an optional sign, and Inf/Infinity/NaN in any case.
std::optional<double> parse_float(std::string_view s) noexcept {
    if (s.empty()) {
        return std::nullopt;
    }
    bool negative = false;
    std::string_view body = s;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (iequals(body, "inf") || iequals(body, "infinity")) {
        return negative ? -inf : inf;
    }
    if (iequals(body, "nan")) {
        return nan;
    }
    // from_chars would also take "inf"/"nan" spellings and a second sign; both handled above.
    if (body.empty() || body.front() == '+' || body.front() == '-') {
        return std::nullopt;
    }
    double v = 0;
    const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec != std::errc{} || end != body.data() + body.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return negative ? -v : v;
}

// A cursor over one line; every parse step returns an error text or nothing.
class line_parser {
  public:
    explicit line_parser(std::string_view line) noexcept : line_(line) {}

    [[nodiscard]] bool done() const noexcept { return pos_ >= line_.size(); }
    [[nodiscard]] char peek() const noexcept { return done() ? '\0' : line_[pos_]; }
    void skip_blanks() noexcept {
        while (!done() && is_blank(line_[pos_])) {
            ++pos_;
        }
    }
    std::string_view take_while(bool (*pred)(char)) noexcept {
        const std::size_t start = pos_;
        while (!done() && pred(line_[pos_])) {
            ++pos_;
        }
        return line_.substr(start, pos_ - start);
    }
    std::string_view take_token() noexcept {
        const std::size_t start = pos_;
        while (!done() && !is_blank(line_[pos_])) {
            ++pos_;
        }
        return line_.substr(start, pos_ - start);
    }
    [[nodiscard]] std::string_view rest() const noexcept {
        return done() ? std::string_view{} : line_.substr(pos_);
    }
    void advance() noexcept { ++pos_; }

  private:
    std::string_view line_;
    std::size_t pos_ = 0;
};

struct parse_failure {
    errc kind = errc::invalid_argument;
    std::string reason;
};

std::optional<parse_failure> fail(std::string reason, errc kind = errc::invalid_argument) {
    return parse_failure{kind, std::move(reason)};
}

std::optional<parse_failure> parse_comment(line_parser& p) {
    p.advance(); // '#'
    p.skip_blanks();
    const std::string_view keyword = p.take_token();
    if (keyword != "HELP" && keyword != "TYPE") {
        return std::nullopt; // a plain comment
    }
    p.skip_blanks();
    const std::string_view name = p.take_while(is_name_char);
    if (name.empty() || !is_name_start(name.front())) {
        return fail(fmt::format("{} line without a valid metric name", keyword));
    }
    if (!p.done() && !is_blank(p.peek())) {
        return fail(fmt::format("invalid character '{}' in metric name", p.peek()));
    }
    if (keyword == "TYPE") {
        p.skip_blanks();
        const std::string_view type = p.take_token();
        p.skip_blanks();
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped") {
            return fail(fmt::format("unknown metric type '{}'", type));
        }
        if (!p.done()) {
            return fail("unexpected text after the metric type");
        }
    }
    return std::nullopt; // HELP text is free-form
}

std::optional<parse_failure> parse_label_value(line_parser& p, std::string& out) {
    if (p.peek() != '"') {
        return fail("label value must start with '\"'");
    }
    p.advance();
    while (true) {
        if (p.done()) {
            return fail("unterminated label value");
        }
        const char c = p.peek();
        p.advance();
        if (c == '"') {
            return std::nullopt;
        }
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (p.done()) {
            return fail("unterminated label value");
        }
        const char e = p.peek();
        p.advance();
        switch (e) {
        case '\\':
            out.push_back('\\');
            break;
        case '"':
            out.push_back('"');
            break;
        case 'n':
            out.push_back('\n');
            break;
        default:
            return fail(fmt::format("invalid escape '\\{}' in label value", e));
        }
    }
}

std::optional<parse_failure> parse_labels(line_parser& p, sample& s) {
    p.advance(); // '{'
    while (true) {
        p.skip_blanks();
        if (p.peek() == '}') {
            p.advance();
            break;
        }
        const std::string_view at = p.rest();
        const std::string_view name = p.take_while(is_label_char);
        if (name.empty() || !is_label_start(name.front())) {
            return fail(at.empty() ? std::string("unterminated label set")
                                   : fmt::format("invalid label name at '{}'", at.substr(0, 16)));
        }
        p.skip_blanks();
        if (p.peek() != '=') {
            return fail(fmt::format("expected '=' after label name '{}'", name));
        }
        p.advance();
        p.skip_blanks();
        std::string value;
        if (auto f = parse_label_value(p, value)) {
            return f;
        }
        s.labels.emplace_back(std::string(name), std::move(value));
        p.skip_blanks();
        if (p.peek() == ',') {
            p.advance();
            continue;
        }
        if (p.peek() == '}') {
            p.advance();
            break;
        }
        return fail(p.done() ? std::string("unterminated label set")
                             : fmt::format("expected ',' or '}}' after label '{}'", name));
    }
    std::sort(s.labels.begin(), s.labels.end());
    const auto dup =
        std::adjacent_find(s.labels.begin(), s.labels.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; });
    if (dup != s.labels.end()) {
        return fail(fmt::format("duplicate label '{}'", dup->first));
    }
    return std::nullopt;
}

std::optional<parse_failure> parse_sample(line_parser& p, sample& s) {
    const std::string_view at = p.rest();
    const std::string_view name = p.take_while(is_name_char);
    if (name.empty() || !is_name_start(name.front())) {
        return fail(fmt::format("invalid metric name at '{}'", at.substr(0, 16)));
    }
    s.name = std::string(name);
    // Blanks may separate the name from its label set (as in Prometheus's own parser).
    bool separated = is_blank(p.peek());
    p.skip_blanks();
    if (p.peek() == '{') {
        if (auto f = parse_labels(p, s)) {
            return f;
        }
        separated = is_blank(p.peek());
        p.skip_blanks();
    }
    if (p.done()) {
        return fail("missing value");
    }
    if (!separated) {
        return fail(fmt::format("unexpected character '{}' after metric name", p.peek()));
    }
    const std::string_view value = p.take_token();
    if (value.empty()) {
        return fail("missing value");
    }
    const auto v = parse_float(value);
    if (!v) {
        return fail(fmt::format("invalid value '{}'", value.substr(0, 32)), errc::invalid_number);
    }
    s.value = *v;
    p.skip_blanks();
    if (p.done()) {
        return std::nullopt;
    }
    const std::string_view ts = p.take_token();
    std::int64_t t = 0;
    const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
    if (ec != std::errc{} || end != ts.data() + ts.size()) {
        return fail(fmt::format("invalid timestamp '{}'", ts.substr(0, 32)), errc::invalid_number);
    }
    s.timestamp_ms = t;
    p.skip_blanks();
    if (!p.done()) {
        return fail("unexpected text after the timestamp");
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string_view> sample::label(std::string_view key) const noexcept {
    const auto it = std::lower_bound(labels.begin(), labels.end(), key,
                                     [](const auto& l, std::string_view n) { return l.first < n; });
    if (it == labels.end() || it->first != key) {
        return std::nullopt;
    }
    return std::string_view(it->second);
}

bool label_filter::matches(const sample& s) const noexcept {
    return std::all_of(items_.begin(), items_.end(), [&](const label_view& l) {
        const auto v = s.label(l.name);
        return v && *v == l.value;
    });
}

result<std::vector<sample>> parse_prometheus_text(std::string_view text, std::string& error) {
    error.clear();
    std::vector<sample> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        line_parser p{line};
        p.skip_blanks();
        if (p.done()) {
            continue;
        }
        std::optional<parse_failure> failure;
        if (p.peek() == '#') {
            failure = parse_comment(p);
        } else {
            sample s;
            failure = parse_sample(p, s);
            if (!failure) {
                out.push_back(std::move(s));
            }
        }
        if (failure) {
            error = fmt::format("line {}: {}", line_no, failure->reason);
            return make_error_code(failure->kind);
        }
    }
    return out;
}

const sample* find_sample(std::span<const sample> samples, std::string_view name,
                          label_filter filter) noexcept {
    const auto it = std::find_if(samples.begin(), samples.end(), [&](const sample& s) {
        return s.name == name && filter.matches(s);
    });
    return it == samples.end() ? nullptr : &*it;
}

std::optional<double> sum_samples(std::span<const sample> samples, std::string_view name,
                                  label_filter filter) noexcept {
    std::optional<double> sum;
    for (const sample& s : samples) {
        if (s.name == name && filter.matches(s)) {
            sum = sum.value_or(0.0) + s.value;
        }
    }
    return sum;
}

double histogram_quantile(double q, std::span<const sample> samples,
                          std::string_view histogram_name, label_filter filter) {
    if (std::isnan(q)) {
        return nan;
    }
    if (q < 0.0) {
        return -inf;
    }
    if (q > 1.0) {
        return inf;
    }
    const std::string bucket_name = std::string(histogram_name) + "_bucket";
    std::map<double, double> by_bound; // upper bound -> summed count (coalesced, sorted)
    for (const sample& s : samples) {
        if (s.name != bucket_name || !filter.matches(s)) {
            continue;
        }
        const auto le = s.label("le");
        if (!le) {
            continue;
        }
        const auto bound = parse_float(*le);
        if (!bound || std::isnan(*bound)) {
            continue;
        }
        by_bound[*bound] += s.value;
    }
    if (by_bound.size() < 2 || !std::isinf(by_bound.rbegin()->first) ||
        by_bound.rbegin()->first < 0.0) {
        return nan;
    }
    std::vector<std::pair<double, double>> buckets(by_bound.begin(), by_bound.end());
    // Counts scraped from different series at slightly different moments can dip; Prometheus
    // forces them monotonic.
    double running_max = 0.0;
    for (auto& b : buckets) {
        running_max = std::max(running_max, b.second);
        b.second = running_max;
    }
    const double observations = buckets.back().second;
    if (!(observations > 0.0)) {
        return nan;
    }
    double rank = q * observations;
    std::size_t b = 0;
    while (b < buckets.size() - 1 && buckets[b].second < rank) {
        ++b;
    }
    if (b == buckets.size() - 1) {
        return buckets[buckets.size() - 2].first;
    }
    if (b == 0 && buckets[0].first <= 0.0) {
        return buckets[0].first;
    }
    double start = 0.0;
    double count = buckets[b].second;
    if (b > 0) {
        start = buckets[b - 1].first;
        count -= buckets[b - 1].second;
        rank -= buckets[b - 1].second;
    }
    return start + (buckets[b].first - start) * (rank / count);
}

} // namespace mdg::monitor
