#include "sim/control.hpp"

#include <algorithm>
#include <charconv>

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
    case action_kind::restart:
        return "restart";
    case action_kind::malformed:
        return "malformed";
    case action_kind::oversized:
        return "oversized";
    case action_kind::reject_subscription:
        return "reject_subscription";
    case action_kind::rest_time:
        return "rest_time";
    case action_kind::refuse_ws:
        return "refuse_ws";
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
    if (ec != std::errc{} || value < 0) {
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
    return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

namespace {

constexpr std::array kinds{
    action_kind::drop,        action_kind::stall,
    action_kind::skip_update, action_kind::crossed,
    action_kind::restart,     action_kind::malformed,
    action_kind::oversized,   action_kind::reject_subscription,
    action_kind::rest_time,   action_kind::refuse_ws,
    action_kind::pause,       action_kind::resume,
};

// A duration given as a JSON number of seconds or a string like "10s".
bool read_duration(simdjson::dom::element e, std::chrono::milliseconds& out) {
    double seconds = 0;
    if (e.get(seconds) == simdjson::SUCCESS) {
        if (seconds < 0) {
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
    if (!d) {
        return false;
    }
    out = *d;
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
        if (key == "connection") {
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
        } else if (key == "seconds" || key == "duration") {
            ok = read_duration(value, a.duration);
        } else if (key == "delay") {
            ok = read_duration(value, a.delay);
        } else if (key == "bytes") {
            std::uint64_t n = 0;
            ok = value.get(n) == simdjson::SUCCESS && n > 0 && n <= (64U << 20);
            a.bytes = n;
        } else if (key == "at") {
            ok = read_duration(value, a.at);
        } else {
            reason = fmt::format("unknown key '{}'", key);
            return errc::invalid_argument;
        }
        if (!ok) {
            reason = fmt::format("bad value for '{}'", key);
            return errc::invalid_argument;
        }
    }
    // Per-action requirements.
    const bool needs_topic = a.kind == action_kind::skip_update || a.kind == action_kind::crossed ||
                             a.kind == action_kind::reject_subscription;
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
    if (a.kind == action_kind::rest_time && a.mode != "slow" && a.mode != "error" &&
        a.mode != "refuse") {
        reason = "rest_time mode must be slow, error or refuse";
        return errc::invalid_argument;
    }
    const bool needs_duration = a.kind == action_kind::stall || a.kind == action_kind::rest_time ||
                                a.kind == action_kind::refuse_ws;
    if (needs_duration && a.duration.count() == 0) {
        reason = fmt::format("{} needs \"seconds\"", name);
        return errc::missing_field;
    }
    if (a.kind == action_kind::rest_time && a.mode == "slow" && a.delay.count() == 0) {
        a.delay = std::chrono::seconds{15};
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
