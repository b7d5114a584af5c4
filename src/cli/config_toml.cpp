// to_toml(): the effective configuration as a TOML document that parse_config() reads back.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/config.hpp"
#include "cli/detail/schema.hpp"

namespace mdg::cli {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

// A key as written in a table header: bare when it can be, quoted otherwise.
std::string toml_key(std::string_view s) {
    const bool bare = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
    return bare ? std::string{s} : toml_string(s);
}

// `key = [...]`: six strings a line, one line per six; `[]` when empty.
void write_list(std::string& out, std::string_view key, const std::vector<std::string>& list) {
    out += fmt::format("{} = [", key);
    for (std::size_t i = 0; i < list.size(); ++i) {
        out += i % 6 == 0 ? "\n    " : " ";
        out += toml_string(list[i]) + ",";
    }
    out += list.empty() ? "]\n" : "\n]\n";
}

void write_topics(std::string& out, const gateway_config::topics_t& t) {
    std::vector<std::string> klines;
    for (auto i : t.klines) {
        klines.push_back(toml_string(model::to_string(i)));
    }
    out += fmt::format("tickers = {}\n", t.tickers);
    out += fmt::format("klines = [{}]\n", fmt::join(klines, ", "));
    out += fmt::format("orderbook_depths = [{}]\n", fmt::join(t.orderbook_depths, ", "));
    out += fmt::format("trades = {}\n", t.trades);
    out += fmt::format("liquidations = {}\n", t.liquidations);
}

} // namespace

std::string to_toml(const gateway_config& cfg, secrets s) {
    std::string out = "# mdgate configuration (docs/configuration.md)\n\n[venue]\n";
    out += fmt::format("name = {}\n", toml_string(cfg.venue.name));
    out += fmt::format("category = {}\n", toml_string(model::to_string(cfg.venue.category)));
    write_list(out, "symbols", cfg.symbols);
    out += fmt::format("ws_url = {}\n", toml_string(cfg.venue.ws_url));
    out += fmt::format("rest_url = {}\n", toml_string(cfg.venue.rest_url));
    out += fmt::format("ca_file = {}\n", toml_string(cfg.venue.ca_file));

    out += "\n[select]\n";
    out += fmt::format("top = {}\n", cfg.select.top);
    out += fmt::format("by = {}\n", toml_string(cfg.select.by));
    write_list(out, "exclude", cfg.select.exclude);
    out += fmt::format("min_turnover = {}\n", cfg.select.min_turnover);

    out += "\n[topics]\n";
    write_topics(out, cfg.topics);
    for (const auto& [symbol, topics] : cfg.symbol_topics) {
        out += fmt::format("\n[symbols.{}]\n", toml_key(symbol));
        write_topics(out, topics);
    }

    detail::for_each_section([&](const auto& sec) {
        out += fmt::format("\n[{}]\n", sec.name);
        const auto& table = cfg.*(sec.table);
        std::string sub_tables; // after the scalar keys, which would otherwise land in them
        for (const auto& f : sec.fields) {
            std::visit(
                [&](auto m) {
                    const auto& value = table.*m;
                    using value_type = std::remove_cvref_t<decltype(value)>;
                    if constexpr (std::is_same_v<value_type, std::string>) {
                        if (&value == &cfg.http.bearer_token && s == secrets::redact &&
                            !value.empty()) {
                            out += "# bearer_token is set; not shown (secrets::redact)\n";
                            return;
                        }
                        out += fmt::format("{} = {}\n", f.key, toml_string(value));
                    } else if constexpr (std::is_same_v<value_type, detail::ms>) {
                        out += fmt::format("{} = \"{}\"\n", f.key, format_duration(value));
                    } else if constexpr (std::is_same_v<value_type, detail::interval_counts>) {
                        sub_tables += fmt::format("\n[{}.{}]\n", sec.name, f.key);
                        for (const auto& [interval, count] : value) {
                            sub_tables += fmt::format(
                                "{} = {}\n", toml_string(model::to_string(interval)), count);
                        }
                    } else {
                        out += fmt::format("{} = {}\n", f.key, value);
                    }
                },
                f.m);
        }
        out += sub_tables;
    });
    return out;
}

} // namespace mdg::cli
