#include "record/record_format.hpp"

#include <array>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/base64.hpp"
#include "core/log.hpp"

namespace mdg::record {

std::string_view to_string(record_kind k) noexcept {
    switch (k) {
    case record_kind::in:
        return "in";
    case record_kind::out:
        return "out";
    case record_kind::up:
        return "up";
    case record_kind::down:
        return "down";
    case record_kind::lost:
        return "lost";
    }
    return "in";
}

std::optional<record_kind> parse_record_kind(std::string_view s) noexcept {
    for (auto k : {record_kind::in, record_kind::out, record_kind::up, record_kind::down,
                   record_kind::lost}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

namespace {

constexpr std::string_view header_prefix = R"({"mdgate_recording":)";

// A JSON string of text already known to be valid UTF-8 (json_escape keeps it as it is).
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    out += core::json_escape(s);
    out += '"';
}

void append_base64(std::string& out, std::string_view s) {
    out += '"';
    out += core::base64_encode(s);
    out += '"';
}

} // namespace

void append_header_line(std::string& out, const recording_header& h) {
    fmt::format_to(std::back_inserter(out), R"({}{},"t":{},"file_seq":{},"venue":)", header_prefix,
                   format_version, h.opened.value, h.file_seq);
    append_json_string(out, h.venue);
    out += R"(,"category":)";
    append_json_string(out, model::to_string(h.cat));
    out += R"(,"version":)";
    append_json_string(out, h.version);
    out += R"(,"connections":[)";
    for (std::size_t i = 0; i < h.connections.size(); ++i) {
        const auto& c = h.connections[i];
        out += i == 0 ? R"({"c":)" : R"(,{"c":)";
        fmt::format_to(std::back_inserter(out), "{}", i);
        out += R"(,"id":)";
        append_json_string(out, c.id);
        out += R"(,"url":)";
        append_json_string(out, c.url);
        out += R"(,"topics":[)";
        for (std::size_t k = 0; k < c.topics.size(); ++k) {
            if (k != 0) {
                out += ',';
            }
            append_json_string(out, c.topics[k]);
        }
        out += "]}";
    }
    out += R"(],"instruments":[)";
    for (std::size_t i = 0; i < h.instruments.size(); ++i) {
        const auto& in = h.instruments[i];
        out += i == 0 ? R"({"symbol":)" : R"(,{"symbol":)";
        append_json_string(out, in.symbol);
        fmt::format_to(std::back_inserter(out), R"(,"price_decimals":{},"qty_decimals":{}}})",
                       in.spec.price_decimals, in.spec.qty_decimals);
    }
    out += "]}\n";
}

void append_record_line(std::string& out, record_kind k, std::uint32_t conn, unix_nanos t,
                        std::string_view payload) {
    fmt::format_to(std::back_inserter(out), R"({{"t":{},"c":{},"d":"{}")", t.value, conn,
                   to_string(k));
    if (k == record_kind::in || k == record_kind::out) {
        if (simdjson::validate_utf8(payload.data(), payload.size())) {
            out += R"(,"f":)";
            append_json_string(out, payload);
        } else {
            out += R"(,"b":)";
            append_base64(out, payload);
        }
    }
    out += "}\n";
}

void append_lost_line(std::string& out, unix_nanos t, std::uint64_t n) {
    fmt::format_to(std::back_inserter(out),
                   R"({{"t":{},"c":0,"d":"lost","n":{}}})"
                   "\n",
                   t.value, n);
}

bool is_header_line(std::string_view line) noexcept {
    return line.starts_with(header_prefix);
}

struct line_parser::impl {
    simdjson::ondemand::parser parser;
    simdjson::padded_string buffer;
    std::string bytes; // a base64 payload, decoded

    simdjson::simdjson_result<simdjson::ondemand::document> iterate(std::string_view line) {
        if (buffer.size() < line.size()) {
            buffer = simdjson::padded_string(line.size() * 2);
        }
        std::copy(line.begin(), line.end(), buffer.data());
        return parser.iterate(buffer.data(), line.size(),
                              buffer.size() + simdjson::SIMDJSON_PADDING);
    }
};

line_parser::line_parser() : impl_(std::make_unique<impl>()) {}
line_parser::~line_parser() = default;

std::optional<parsed_record> line_parser::parse_record(std::string_view line) {
    auto& m = *impl_;
    simdjson::ondemand::document doc;
    if (m.iterate(line).get(doc) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    parsed_record r;
    std::int64_t t = 0;
    std::uint64_t c = 0;
    std::string_view d;
    if (obj["t"].get(t) != simdjson::SUCCESS || obj["c"].get(c) != simdjson::SUCCESS ||
        c > UINT32_MAX || obj["d"].get(d) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    const auto kind = parse_record_kind(d);
    if (!kind) {
        return std::nullopt;
    }
    r.kind = *kind;
    r.conn = static_cast<std::uint32_t>(c);
    r.t = unix_nanos{t};
    if (r.kind == record_kind::lost && obj["n"].get(r.lost) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (r.kind == record_kind::in || r.kind == record_kind::out) {
        std::string_view text;
        if (obj["f"].get(text) == simdjson::SUCCESS) {
            r.payload = text;
        } else if (obj["b"].get(text) == simdjson::SUCCESS && core::base64_decode(text, m.bytes)) {
            r.payload = m.bytes;
        } else {
            return std::nullopt;
        }
    }
    return r;
}

std::optional<recording_header> line_parser::parse_header(std::string_view line) {
    auto& m = *impl_;
    simdjson::ondemand::document doc;
    if (!is_header_line(line) || m.iterate(line).get(doc) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    recording_header h;
    std::int64_t version = 0;
    std::string_view text;
    if (doc["mdgate_recording"].get(version) != simdjson::SUCCESS || version != format_version) {
        return std::nullopt;
    }
    std::int64_t t = 0;
    std::uint64_t seq = 0;
    if (doc["t"].get(t) != simdjson::SUCCESS || doc["file_seq"].get(seq) != simdjson::SUCCESS ||
        doc["venue"].get(text) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    h.opened = unix_nanos{t};
    h.file_seq = seq;
    h.venue = std::string(text);
    if (doc["category"].get(text) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    const auto cat = model::parse_category(text);
    if (!cat || doc["version"].get(text) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    h.cat = *cat;
    h.version = std::string(text);
    simdjson::ondemand::array conns;
    if (doc["connections"].get(conns) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    for (auto c : conns) {
        recording_header::connection rc;
        simdjson::ondemand::array topics;
        if (c["id"].get(text) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        rc.id = std::string(text);
        if (c["url"].get(text) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        rc.url = std::string(text);
        if (c["topics"].get(topics) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        for (auto topic : topics) {
            if (topic.get(text) != simdjson::SUCCESS) {
                return std::nullopt;
            }
            rc.topics.emplace_back(text);
        }
        h.connections.push_back(std::move(rc));
    }
    simdjson::ondemand::array instruments;
    if (doc["instruments"].get(instruments) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    for (auto in : instruments) {
        recording_header::instrument ri;
        std::uint64_t pd = 0;
        std::uint64_t qd = 0;
        if (in["symbol"].get(text) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        ri.symbol = std::string(text);
        if (in["price_decimals"].get(pd) != simdjson::SUCCESS ||
            in["qty_decimals"].get(qd) != simdjson::SUCCESS || pd > 18 || qd > 18) {
            return std::nullopt;
        }
        ri.spec = {static_cast<std::uint8_t>(pd), static_cast<std::uint8_t>(qd)};
        h.instruments.push_back(std::move(ri));
    }
    return h;
}

} // namespace mdg::record
