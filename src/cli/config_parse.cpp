// parse_config(): the TOML document -> gateway_config, with one-line errors naming the line.
#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "cli/config.hpp"
#include "cli/detail/schema.hpp"
#include "cli/detail/text.hpp"

namespace mdg::cli {

namespace {

using detail::ms;

constexpr std::size_t max_suggestion_distance = 2;
constexpr std::string_view duration_hint = "a whole number and a unit: 250ms, 20s, 5m, 1h";

// Reads the parsed tree into a gateway_config. Type errors and unknown keys stop it with an
// error placed at the offending line; it records where every key was, so that the validator
// can place its errors too. One instance per document, used by one thread.
class reader {
  public:
    explicit reader(std::string_view source) : source_(source), loc_(std::string{source}) {}

    bool read(const toml::table& root, gateway_config& cfg) {
        for (auto&& [k, v] : root) {
            if (std::find(detail::root_keys.begin(), detail::root_keys.end(), k.str()) ==
                detail::root_keys.end()) {
                return unknown(k, v, "", detail::root_keys);
            }
            if (!v.is_table()) {
                if (k.str() == "symbols") {
                    return fail(k.source(), "'symbols' at the top level is the table of "
                                            "per-symbol topics ([symbols.BTCUSDT]); put the list "
                                            "under [venue] as symbols = [...]");
                }
                return fail(k.source(),
                            fmt::format("'{}' must be a table: write [{}]", k.str(), k.str()));
            }
            note(std::string{k.str()}, k.source());
        }
        const auto* venue = root["venue"].as_table();
        if (venue != nullptr && !read_venue(*venue, cfg)) {
            return false;
        }
        const auto* select = root["select"].as_table();
        if (select != nullptr && !read_select(*select, cfg.select)) {
            return false;
        }
        const auto* topics = root["topics"].as_table();
        if (topics != nullptr && !read_topics(*topics, "topics", cfg.topics)) {
            return false;
        }
        if (const auto* symbols = root["symbols"].as_table()) {
            for (auto&& [k, v] : *symbols) {
                const auto name = k.str();
                const bool plausible =
                    !name.empty() && name.size() <= 64 &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                    });
                if (!plausible) {
                    return fail(k.source(),
                                fmt::format("[symbols] entry {} is not a symbol (upper-case "
                                            "letters and digits, e.g. [symbols.BTCUSDT])",
                                            detail::quoted(name)));
                }
                const auto path = fmt::format("symbols.{}", name);
                const auto* table = v.as_table();
                if (table == nullptr) {
                    return fail(k.source(),
                                fmt::format("'{}' must be a table: write [{}]", path, path));
                }
                note(path, k.source());
                auto t = cfg.topics; // an override starts from [topics]
                if (!read_topics(*table, path, t)) {
                    return false;
                }
                cfg.symbol_topics.insert_or_assign(std::string{k.str()}, std::move(t));
            }
        }
        bool ok = true;
        detail::for_each_section([&](const auto& sec) {
            if (!ok) {
                return;
            }
            if (const auto* table = root[sec.name].as_table()) {
                ok = read_section(*table, sec, cfg.*(sec.table));
            }
        });
        return ok;
    }

    [[nodiscard]] const detail::locator& loc() const noexcept { return loc_; }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

  private:
    [[nodiscard]] std::string place(const toml::source_region& where) const {
        if (where.begin.line == 0) {
            return std::string{source_};
        }
        return fmt::format("{}:{}", source_, where.begin.line);
    }

    void note(std::string path, const toml::source_region& where) {
        loc_.set(std::move(path), place(where));
    }

    bool fail(const toml::source_region& where, std::string_view message) {
        error_ = detail::one_line(fmt::format("{}: {}", place(where), message));
        return false;
    }

    // Every key name the gateway knows, as "table.key", for hints about misplaced keys.
    static std::string qualified_home(std::string_view key) {
        if (std::find(detail::venue_keys.begin(), detail::venue_keys.end(), key) !=
            detail::venue_keys.end()) {
            return fmt::format("venue.{}", key);
        }
        if (std::find(detail::select_keys.begin(), detail::select_keys.end(), key) !=
            detail::select_keys.end()) {
            return fmt::format("select.{}", key);
        }
        if (std::find(detail::topic_keys.begin(), detail::topic_keys.end(), key) !=
            detail::topic_keys.end()) {
            return fmt::format("topics.{}", key);
        }
        std::string home;
        detail::for_each_section([&](const auto& sec) {
            for (const auto& f : sec.fields) {
                if (home.empty() && f.key == key) {
                    home = fmt::format("{}.{}", sec.name, key);
                }
            }
        });
        return home;
    }

    // An unknown key in `table` ("" = the root): names it and suggests the nearest known key.
    template <std::size_t N>
    bool unknown(const toml::key& k, const toml::node& v, std::string_view table,
                 const std::array<std::string_view, N>& known) {
        std::vector<std::string_view> names{known.begin(), known.end()};
        return unknown(k, v, table, names);
    }

    bool unknown(const toml::key& k, const toml::node& v, std::string_view table,
                 std::span<const std::string_view> known) {
        const auto name = k.str();
        const auto path = table.empty() ? detail::quoted(name)
                                        : detail::quoted(fmt::format("{}.{}", table, name));
        const bool is_table = table.empty() && v.is_table();
        auto message = fmt::format("unknown {} {}", is_table ? "table" : "key", path);
        // At the root, a value named exactly like a key of some table belongs there ("top = 15"
        // is select.top, not a misspelt [log]); a table gets that hint only as a last resort.
        const auto home = table.empty() ? qualified_home(name) : std::string{};
        std::string_view best;
        std::size_t best_distance = max_suggestion_distance + 1;
        for (auto candidate : known) {
            const auto d = detail::edit_distance(name, candidate, max_suggestion_distance);
            if (d < best_distance) {
                best = candidate;
                best_distance = d;
            }
        }
        if (!home.empty() && !is_table) {
            message += fmt::format(" (did you mean '{}'?)", home);
        } else if (!best.empty()) {
            message += fmt::format(" (did you mean '{}'?)", best);
        } else if (!home.empty()) {
            message += fmt::format(" (did you mean '{}'?)", home);
        }
        return fail(k.source(), message);
    }

    bool read_bool(const toml::node& v, std::string_view path, bool& out) {
        const auto* b = v.as_boolean();
        if (b == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be true or false", path));
        }
        out = b->get();
        return true;
    }

    bool read_string(const toml::node& v, std::string_view path, std::string& out) {
        const auto* s = v.as_string();
        if (s == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be a string", path));
        }
        out = s->get();
        return true;
    }

    // A whole number within [lo, hi], stored into an unsigned field.
    template <class T>
    bool read_count(const toml::node& v, std::string_view path, std::int64_t lo, std::int64_t hi,
                    std::string_view range_message, T& out) {
        const auto* i = v.as_integer();
        if (i == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be a whole number", path));
        }
        const auto value = i->get();
        if (value < lo || value > hi || !std::in_range<T>(value)) {
            return fail(v.source(), range_message);
        }
        out = static_cast<T>(value);
        return true;
    }

    // A duration string. A bare 0 is accepted where 0 means "never stale" (`zero_ok`).
    bool read_duration(const toml::node& v, std::string_view path, bool zero_ok, ms& out) {
        if (const auto* i = v.as_integer(); i != nullptr && zero_ok && i->get() == 0) {
            out = ms{0};
            return true;
        }
        if (v.is_number()) {
            return fail(v.source(),
                        fmt::format("'{}' must be a duration string such as \"20s\" ({}), not a "
                                    "bare number",
                                    path, duration_hint));
        }
        const auto* s = v.as_string();
        if (s == nullptr) {
            return fail(v.source(),
                        fmt::format("'{}' must be a duration string such as \"20s\"", path));
        }
        const std::string_view text = s->get();
        if (!text.empty() && text.front() == '-') {
            return fail(v.source(), fmt::format("'{}' must not be negative", path));
        }
        auto d = parse_duration(text);
        if (!d) {
            return fail(v.source(), fmt::format("'{}' is not a duration: {} ({})", path,
                                                detail::quoted(text), duration_hint));
        }
        out = *d;
        return true;
    }

    bool read_venue(const toml::table& table, gateway_config& cfg) {
        auto& venue = cfg.venue;
        for (auto&& [k, v] : table) {
            const auto key = k.str();
            const auto path = fmt::format("venue.{}", key);
            note(path, k.source());
            bool ok = true;
            if (key == "name") {
                ok = read_string(v, path, venue.name);
            } else if (key == "category") {
                std::string text;
                ok = read_string(v, path, text);
                if (ok) {
                    const auto cat = model::parse_category(text);
                    if (!cat) {
                        return fail(v.source(),
                                    fmt::format("'venue.category' must be one of spot, linear, "
                                                "inverse, option, got {}",
                                                detail::quoted(text)));
                    }
                    venue.category = *cat;
                }
            } else if (key == "symbols") {
                ok = read_symbols(v, path, cfg.symbols);
            } else if (key == "ws_url") {
                ok = read_string(v, path, venue.ws_url);
            } else if (key == "rest_url") {
                ok = read_string(v, path, venue.rest_url);
            } else if (key == "ca_file") {
                ok = read_string(v, path, venue.ca_file);
            } else {
                return unknown(k, v, "venue", detail::venue_keys);
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    // A list of symbols (venue.symbols, select.exclude), each element's line noted.
    bool read_symbols(const toml::node& v, std::string_view path, std::vector<std::string>& out) {
        const auto* array = v.as_array();
        if (array == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be an array of strings, e.g. "
                                                "[\"BTCUSDT\", \"ETHUSDT\"]",
                                                path));
        }
        out.clear();
        for (const auto& element : *array) {
            const auto* s = element.as_string();
            if (s == nullptr) {
                return fail(element.source(),
                            fmt::format("'{}' must be an array of strings", path));
            }
            note(fmt::format("{}[{}]", path, out.size()), element.source());
            out.push_back(s->get());
        }
        return true;
    }

    bool read_select(const toml::table& table, gateway_config::select_t& select) {
        for (auto&& [k, v] : table) {
            const auto key = k.str();
            const auto path = fmt::format("select.{}", key);
            note(path, k.source());
            bool ok = true;
            if (key == "top") {
                const auto& f = detail::select_top;
                ok =
                    read_count(v, path, f.lo, f.hi, detail::range_message("select", f), select.top);
            } else if (key == "by") {
                ok = read_string(v, path, select.by);
            } else if (key == "exclude") {
                ok = read_symbols(v, path, select.exclude);
            } else if (key == "min_turnover") {
                const auto& f = detail::select_min_turnover;
                ok = read_count(v, path, f.lo, f.hi, detail::range_message("select", f),
                                select.min_turnover);
            } else {
                return unknown(k, v, "select", detail::select_keys);
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    bool read_topics(const toml::table& table, std::string_view name, gateway_config::topics_t& t) {
        for (auto&& [k, v] : table) {
            const auto key = k.str();
            const auto path = fmt::format("{}.{}", name, key);
            note(path, k.source());
            bool ok = true;
            if (key == "tickers") {
                ok = read_bool(v, path, t.tickers);
            } else if (key == "trades") {
                ok = read_bool(v, path, t.trades);
            } else if (key == "liquidations") {
                ok = read_bool(v, path, t.liquidations);
            } else if (key == "klines") {
                ok = read_klines(v, path, t.klines);
            } else if (key == "orderbook_depths") {
                ok = read_depths(v, path, t.orderbook_depths);
            } else {
                return unknown(k, v, name, detail::topic_keys);
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    bool read_klines(const toml::node& v, std::string_view path,
                     std::vector<model::kline_interval>& out) {
        const auto* array = v.as_array();
        if (array == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be an array of intervals, e.g. "
                                                "[\"1\", \"60\", \"D\"]",
                                                path));
        }
        out.clear();
        for (const auto& element : *array) {
            std::string text;
            if (const auto* s = element.as_string()) {
                text = s->get();
            } else if (const auto* i = element.as_integer()) {
                text = std::to_string(i->get()); // klines = [1, 5] reads as ["1", "5"]
            } else {
                return fail(element.source(),
                            fmt::format("'{}' must be an array of intervals", path));
            }
            const auto interval = model::parse_kline_interval(text);
            if (!interval) {
                return fail(element.source(),
                            fmt::format("'{}': {} is not a Bybit kline interval (1 3 5 15 30 60 "
                                        "120 240 360 720 D W M)",
                                        path, detail::quoted(text)));
            }
            note(fmt::format("{}[{}]", path, out.size()), element.source());
            out.push_back(*interval);
        }
        return true;
    }

    bool read_depths(const toml::node& v, std::string_view path, std::vector<std::uint16_t>& out) {
        const auto* array = v.as_array();
        if (array == nullptr) {
            return fail(v.source(),
                        fmt::format("'{}' must be an array of depths, e.g. [50, 200]", path));
        }
        out.clear();
        for (const auto& element : *array) {
            const auto* i = element.as_integer();
            if (i == nullptr) {
                return fail(element.source(),
                            fmt::format("'{}' must be an array of whole numbers", path));
            }
            if (i->get() < 1 || i->get() > 1000) {
                return fail(element.source(), fmt::format("'{}': depth {} is out of range 1 to "
                                                          "1000",
                                                          path, i->get()));
            }
            note(fmt::format("{}[{}]", path, out.size()), element.source());
            out.push_back(static_cast<std::uint16_t>(i->get()));
        }
        return true;
    }

    // A sub-table of counts per kline interval, `{ "1" = 1000, "5" = 300 }`: the intervals it
    // names replace theirs in `out`; the others keep their defaults.
    template <class S>
    bool read_interval_counts(const toml::node& v, std::string_view table,
                              const detail::field<S>& f, detail::interval_counts& out) {
        const auto path = fmt::format("{}.{}", table, f.key);
        const auto* counts = v.as_table();
        if (counts == nullptr) {
            return fail(v.source(), fmt::format("'{}' must be a table of interval = count, e.g. "
                                                "{{ \"1\" = 1000, \"5\" = 300 }}",
                                                path));
        }
        for (auto&& [k, n] : *counts) {
            const auto entry = fmt::format("{}.{}", path, k.str());
            const auto interval = model::parse_kline_interval(k.str());
            if (!interval) {
                std::vector<std::string_view> names;
                for (std::size_t i = 0; i < model::kline_interval_count; ++i) {
                    names.push_back(model::to_string(static_cast<model::kline_interval>(i)));
                }
                return fail(k.source(), fmt::format("{} is not a kline interval: use one of {}",
                                                    detail::quoted(entry), fmt::join(names, ", ")));
            }
            note(entry, k.source());
            std::size_t count = 0;
            if (!read_count(n, entry, f.lo, f.hi, detail::range_message(table, f, k.str()),
                            count)) {
                return false;
            }
            out.insert_or_assign(*interval, count);
        }
        return true;
    }

    template <class Section, class Table>
    bool read_section(const toml::table& table, const Section& sec, Table& out) {
        for (auto&& [k, v] : table) {
            const auto key = k.str();
            const auto* f = std::find_if(sec.fields.begin(), sec.fields.end(),
                                         [&](const auto& x) { return x.key == key; });
            if (f == sec.fields.end()) {
                std::vector<std::string_view> names;
                for (const auto& x : sec.fields) {
                    names.push_back(x.key);
                }
                return unknown(k, v, sec.name, names);
            }
            const auto path = fmt::format("{}.{}", sec.name, key);
            note(path, k.source());
            // A named reference: clang 14 cannot capture a structured binding in a lambda.
            const toml::node& value = v;
            const bool ok = std::visit(
                [&](auto m) {
                    auto& target = out.*m;
                    using value_type = std::remove_cvref_t<decltype(target)>;
                    if constexpr (std::is_same_v<value_type, bool>) {
                        return read_bool(value, path, target);
                    } else if constexpr (std::is_same_v<value_type, std::string>) {
                        return read_string(value, path, target);
                    } else if constexpr (std::is_same_v<value_type, ms>) {
                        return read_duration(value, path, f->lo == 0, target);
                    } else if constexpr (std::is_same_v<value_type, detail::interval_counts>) {
                        return read_interval_counts(value, sec.name, *f, target);
                    } else {
                        return read_count(value, path, f->lo, f->hi,
                                          detail::range_message(sec.name, *f), target);
                    }
                },
                f->m);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    std::string_view source_;
    detail::locator loc_;
    std::string error_;
};

} // namespace

result<gateway_config> parse_config(std::string_view toml_text, std::string_view source_name,
                                    std::string& error) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        error = detail::one_line(
            fmt::format("{}:{}:{}: {}", source_name, at.line, at.column, e.description()));
        return errc::invalid_argument;
    }
    gateway_config cfg;
    reader r{source_name};
    if (!r.read(root, cfg)) {
        error = r.error();
        return errc::invalid_argument;
    }
    if (!detail::check(cfg, r.loc(), error)) {
        return errc::invalid_argument;
    }
    return cfg;
}

} // namespace mdg::cli
