#include "sim/control.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

namespace mdg::sim {

std::string_view to_string(action_kind k) noexcept {
    switch (k) {
    case action_kind::drop:
        return "drop";
    case action_kind::stall:
        return "stall";
    case action_kind::skip_update:
        return "skip_update";
    case action_kind::crossed:
        return "crossed";
    case action_kind::bad_number:
        return "bad_number";
    case action_kind::oversized_snapshot:
        return "oversized_snapshot";
    case action_kind::restart:
        return "restart";
    case action_kind::malformed:
        return "malformed";
    case action_kind::oversized:
        return "oversized";
    case action_kind::reject_subscription:
        return "reject_subscription";
    case action_kind::ignore_subscription:
        return "ignore_subscription";
    case action_kind::rest_time:
        return "rest_time";
    case action_kind::refuse_ws:
        return "refuse_ws";
    case action_kind::rest:
        return "rest";
    case action_kind::set_turnover:
        return "set_turnover";
    case action_kind::pause:
        return "pause";
    case action_kind::resume:
        return "resume";
    }
    return "unknown";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || !std::isfinite(value) || value < 0) {
        return std::nullopt;
    }
    const std::string_view unit{ptr, static_cast<std::size_t>(text.data() + text.size() - ptr)};
    double ms = 0;
    if (unit.empty() || unit == "s") {
        ms = value * 1000;
    } else if (unit == "ms") {
        ms = value;
    } else if (unit == "m") {
        ms = value * 60'000;
    } else if (unit == "h") {
        ms = value * 3'600'000;
    } else {
        return std::nullopt;
    }
    // 100 years: anything longer is a typo, and far longer no longer fits the count.
    if (ms > 100.0 * 365 * 24 * 3600 * 1000) {
        return std::nullopt;
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

namespace {

constexpr std::array kinds{
    action_kind::drop,
    action_kind::stall,
    action_kind::skip_update,
    action_kind::crossed,
    action_kind::bad_number,
    action_kind::oversized_snapshot,
    action_kind::restart,
    action_kind::malformed,
    action_kind::oversized,
    action_kind::reject_subscription,
    action_kind::rest_time,
    action_kind::refuse_ws,
    action_kind::pause,
    action_kind::resume,
    action_kind::ignore_subscription,
    action_kind::rest,
    action_kind::set_turnover,
};

constexpr std::uint64_t max_bytes = 64U << 20;
constexpr std::uint64_t max_levels = 20'000; // 6,000 already exceed every decoder's limit

// A duration given as a JSON number of seconds or a string like "10s": finite, from 0 to
// max_command_duration.
bool read_duration(simdjson::dom::element e, std::chrono::milliseconds& out) {
    double seconds = 0;
    if (e.get(seconds) == simdjson::SUCCESS) {
        if (!std::isfinite(seconds) || seconds < 0 ||
            seconds * 1000 > static_cast<double>(max_command_duration.count())) {
            return false;
        }
        out = std::chrono::milliseconds{static_cast<std::int64_t>(seconds * 1000)};
        return true;
    }
    std::string_view s;
    if (e.get(s) != simdjson::SUCCESS) {
        return false;
    }
    auto d = parse_duration(s);
    if (!d || *d > max_command_duration) {
        return false;
    }
    out = *d;
    return true;
}

// A whole number from 1 to `max`.
bool read_count(simdjson::dom::element e, std::uint64_t max, std::size_t& out) {
    std::uint64_t n = 0;
    if (e.get(n) != simdjson::SUCCESS || n == 0 || n > max) {
        return false;
    }
    out = static_cast<std::size_t>(n);
    return true;
}

result<action> parse_element(simdjson::dom::element doc, std::string& reason) {
    simdjson::dom::object obj;
    if (doc.get(obj) != simdjson::SUCCESS) {
        reason = "a command must be a JSON object";
        return errc::wrong_type;
    }
    action a;
    std::string_view name;
    if (obj["action"].get(name) != simdjson::SUCCESS) {
        reason = "missing \"action\" (a string)";
        return errc::missing_field;
    }
    const auto* it = std::find_if(kinds.begin(), kinds.end(),
                                  [&](action_kind k) { return to_string(k) == name; });
    if (it == kinds.end()) {
        reason = fmt::format("unknown action '{}'", name);
        return errc::unknown_enum;
    }
    a.kind = *it;
    for (auto [key, value] : obj) {
        if (key == "action") {
            continue;
        }
        bool ok = true;
        std::string expected; // what the key takes, for the reason
        if (key == "connection") {
            expected = "\"all\" or a connection id";
            std::string_view s;
            std::uint64_t id = 0;
            if (value.get(s) == simdjson::SUCCESS) {
                if (s != "all") {
                    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
                    ok = ec == std::errc{} && p == s.data() + s.size();
                    a.connection = id;
                }
            } else {
                ok = value.get(id) == simdjson::SUCCESS;
                a.connection = id;
            }
        } else if (key == "mode") {
            std::string_view s;
            ok = value.get(s) == simdjson::SUCCESS;
            a.mode = s;
        } else if (key == "topic") {
            std::string_view s;
            ok = value.get(s) == simdjson::SUCCESS;
            a.topic = s;
        } else if (key == "category") {
            std::string_view s;
            ok = value.get(s) == simdjson::SUCCESS;
            auto c = model::parse_category(s);
            ok = ok && c.has_value();
            if (c) {
                a.cat = *c;
            }
        } else if (key == "path") {
            std::string_view s;
            ok = value.get(s) == simdjson::SUCCESS &&
                 (s == "all" || (s.starts_with("/v5/market/") && s.size() <= 64));
            a.path = s == "all" ? std::string_view{} : s;
            expected = "\"all\" or a /v5/market/ path";
        } else if (key == "symbol") {
            std::string_view s;
            ok = value.get(s) == simdjson::SUCCESS && !s.empty() && s.size() <= 64;
            a.symbol = s;
        } else if (key == "value") {
            double v = 0;
            ok = value.get(v) == simdjson::SUCCESS && std::isfinite(v) && v >= 0 && v <= 1e15;
            a.value = v;
            expected = "a number from 0 to 1e15";
        } else if (key == "seconds" || key == "duration" || key == "delay" || key == "at") {
            ok = read_duration(value, key == "delay" ? a.delay : key == "at" ? a.at : a.duration);
            expected = "a duration from 0 to 24h (seconds as a number, or \"10s\", \"1500ms\", "
                       "\"2m\", \"1h\")";
        } else if (key == "bytes") {
            ok = read_count(value, max_bytes, a.bytes);
            expected = fmt::format("a whole number from 1 to {}", max_bytes);
        } else if (key == "levels") {
            ok = read_count(value, max_levels, a.levels);
            expected = fmt::format("a whole number from 1 to {}", max_levels);
        } else {
            reason = fmt::format("unknown key '{}'", key);
            return errc::invalid_argument;
        }
        if (!ok) {
            reason = expected.empty() ? fmt::format("bad value for '{}'", key)
                                      : fmt::format("bad value for '{}': {}", key, expected);
            return errc::invalid_argument;
        }
    }
    // Per-action requirements.
    const bool needs_topic =
        a.kind == action_kind::skip_update || a.kind == action_kind::crossed ||
        a.kind == action_kind::bad_number || a.kind == action_kind::oversized_snapshot ||
        a.kind == action_kind::reject_subscription || a.kind == action_kind::ignore_subscription;
    if (needs_topic && a.topic.empty()) {
        reason = fmt::format("{} needs a \"topic\"", name);
        return errc::missing_field;
    }
    if (a.kind == action_kind::drop && a.mode.empty()) {
        a.mode = "close";
    }
    if (a.kind == action_kind::drop && a.mode != "close" && a.mode != "reset") {
        reason = "drop mode must be close or reset";
        return errc::invalid_argument;
    }
    if (a.kind == action_kind::bad_number && a.mode.empty()) {
        a.mode = "precision";
    }
    if (a.kind == action_kind::bad_number && a.mode != "precision" && a.mode != "malformed" &&
        a.mode != "zero") {
        reason = "bad_number mode must be precision, malformed or zero";
        return errc::invalid_argument;
    }
    if (a.kind == action_kind::rest_time && a.mode != "slow" && a.mode != "error" &&
        a.mode != "refuse") {
        reason = "rest_time mode must be slow, error or refuse";
        return errc::invalid_argument;
    }
    if (a.kind == action_kind::rest && std::find(rest_fault_modes.begin(), rest_fault_modes.end(),
                                                 a.mode) == rest_fault_modes.end()) {
        reason = "rest mode must be slow, error, refuse, rate_limit, too_frequent, http_429 or "
                 "bad_body";
        return errc::invalid_argument;
    }
    if (a.kind == action_kind::set_turnover &&
        (a.symbol.empty() || obj["value"].error() != simdjson::SUCCESS)) {
        reason = "set_turnover needs a \"symbol\" and a \"value\"";
        return errc::missing_field;
    }
    const bool needs_duration = a.kind == action_kind::stall || a.kind == action_kind::rest_time ||
                                a.kind == action_kind::rest || a.kind == action_kind::refuse_ws;
    if (needs_duration && a.duration.count() == 0) {
        reason = fmt::format("{} needs \"seconds\"", name);
        return errc::missing_field;
    }
    if ((a.kind == action_kind::rest_time || a.kind == action_kind::rest) && a.mode == "slow" &&
        a.delay.count() == 0) {
        a.delay = std::chrono::seconds{15};
    }
    if (a.kind == action_kind::rest_time) {
        a.path = "/v5/market/time";
    }
    return a;
}

} // namespace

result<action> parse_action(std::string_view json, std::string& reason) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json.data(), json.size(), true).get(doc) != simdjson::SUCCESS) {
        reason = "not valid JSON";
        return errc::malformed_json;
    }
    return parse_element(doc, reason);
}

result<std::vector<action>> parse_script(std::string_view text, std::string& reason) {
    std::vector<action> out;
    simdjson::dom::parser parser;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] == '#') {
            continue;
        }
        simdjson::dom::element doc;
        if (parser.parse(line.data(), line.size(), true).get(doc) != simdjson::SUCCESS) {
            reason = fmt::format("line {}: not valid JSON", line_no);
            return errc::malformed_json;
        }
        std::string why;
        auto a = parse_element(doc, why);
        if (!a) {
            reason = fmt::format("line {}: {}", line_no, why);
            return a.error();
        }
        out.push_back(*a);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const action& x, const action& y) { return x.at < y.at; });
    return out;
}

} // namespace mdg::sim
