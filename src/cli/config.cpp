#include "cli/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <limits>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "cli/detail/schema.hpp"
#include "cli/detail/text.hpp"
#include "cli/input_checks.hpp"
#include "cli/listen.hpp"
#include "cli/log_values.hpp"
#include "core/assert.hpp"
#include "exchange/bybit/plan.hpp"
#include "exchange/bybit/topic.hpp"
#include "exchange/bybit/venue.hpp"
#include "net/http_url.hpp"
#include "net/ws_session.hpp"

namespace mdg::cli {

namespace bybit = exchange::bybit;

std::vector<std::string> default_symbols() {
    return {"BTCUSDT", "ETHUSDT", "SOLUSDT",  "XRPUSDT",  "DOGEUSDT",
            "BNBUSDT", "ADAUSDT", "LINKUSDT", "AVAXUSDT", "SUIUSDT",
            "LTCUSDT", "DOTUSDT", "TRXUSDT",  "BCHUSDT",  "NEARUSDT"};
}

namespace detail {

namespace {

// "a.b[3]" -> "a.b" -> "a" -> "".
std::string_view parent_of(std::string_view path) {
    if (!path.empty() && path.back() == ']') {
        const auto open = path.rfind('[');
        return open == std::string_view::npos ? std::string_view{} : path.substr(0, open);
    }
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

} // namespace

std::string locator::where(std::initializer_list<std::string_view> paths) const {
    for (auto path : paths) {
        for (auto p = path; !p.empty(); p = parent_of(p)) {
            if (auto it = places_.find(p); it != places_.end()) {
                return it->second;
            }
        }
    }
    return source_;
}

std::string locator::error(std::initializer_list<std::string_view> paths,
                           std::string_view message) const {
    const auto place = where(paths);
    return one_line(place.empty() ? std::string{message} : fmt::format("{}: {}", place, message));
}

namespace {

constexpr std::size_t max_symbols = 1000;
constexpr std::size_t max_symbol_length = 64;
constexpr std::size_t max_url_length = 2048;
constexpr std::size_t max_token_length = 4096;

// Symbols are upper-case letters and digits; option symbols also carry '-'
// (BTC-26DEC25-100000-C).
bool valid_symbol(std::string_view s, model::category cat) {
    if (s.empty() || s.size() > max_symbol_length) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [cat](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c == '-' && cat == model::category::option);
    });
}

// Checks "<scheme>://<host>[:<port>][/<path>]" for one of two schemes; returns "" or why not.
std::string url_problem(std::string_view url, std::string_view scheme_a,
                        std::string_view scheme_b) {
    const auto expected = fmt::format("must be a {}:// or {}:// URL", scheme_a, scheme_b);
    if (url.size() > max_url_length) {
        return fmt::format("{} of at most {} characters", expected, max_url_length);
    }
    for (char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            return fmt::format("{} without spaces or control characters, got {}", expected,
                               detail::quoted(url));
        }
    }
    const auto sep = url.find("://");
    const auto scheme = sep == std::string_view::npos ? std::string_view{} : url.substr(0, sep);
    if (scheme != scheme_a && scheme != scheme_b) {
        return fmt::format("{}, got {}", expected, detail::quoted(url));
    }
    const auto rest = url.substr(sep + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fmt::format("{}, got {} (unclosed '[')", expected, detail::quoted(url));
        }
        host = authority.substr(0, close + 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') {
                return fmt::format("{}, got {}", expected, detail::quoted(url));
            }
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || host.find('@') != std::string_view::npos) {
        return fmt::format("{} with a host, got {}", expected, detail::quoted(url));
    }
    if (authority.size() != host.size()) {
        unsigned value = 0;
        bool ok = !port.empty() && port.size() <= 5;
        for (char c : port) {
            ok = ok && c >= '0' && c <= '9';
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (!ok || value == 0 || value > 65535) {
            return fmt::format("{} with a port from 1 to 65535, got {}", expected,
                               detail::quoted(url));
        }
    }
    return {};
}

std::string depth_list(model::category cat) {
    std::string out;
    for (auto d : bybit::subscribable_depths(cat)) {
        out += (out.empty() ? "" : ", ") + std::to_string(d);
    }
    return out;
}

// The rules for one topic set: [topics] or one [symbols.<SYMBOL>] (named by `table`).
bool check_topics(const gateway_config::topics_t& t, const std::string& table, model::category cat,
                  const locator& loc, std::string& error) {
    const auto cat_name = model::to_string(cat);
    const auto klines = table + ".klines";
    const auto depths = table + ".orderbook_depths";
    const auto liquidations = table + ".liquidations";
    for (std::size_t i = 0; i < t.klines.size(); ++i) {
        const auto at = fmt::format("{}[{}]", klines, i);
        if (std::find(t.klines.begin(), t.klines.begin() + static_cast<std::ptrdiff_t>(i),
                      t.klines[i]) != t.klines.begin() + static_cast<std::ptrdiff_t>(i)) {
            error = loc.error({at}, fmt::format("'{}' lists interval '{}' twice", klines,
                                                model::to_string(t.klines[i])));
            return false;
        }
    }
    if (!t.klines.empty() && cat == model::category::option) {
        error = loc.error(
            {klines, "venue.category"},
            fmt::format("'{}' must be empty on option: options have no kline stream", klines));
        return false;
    }
    const auto served = bybit::subscribable_depths(cat);
    for (std::size_t i = 0; i < t.orderbook_depths.size(); ++i) {
        const auto d = t.orderbook_depths[i];
        const auto at = fmt::format("{}[{}]", depths, i);
        if (std::find(served.begin(), served.end(), d) == served.end()) {
            const bool retired = d == 500 && cat != model::category::option;
            error = loc.error(
                {at, "venue.category"},
                fmt::format("'{}': depth {} {} on {}; valid depths: {}", depths, d,
                            retired ? "was retired by Bybit (2025-09-30)" : "is not served",
                            cat_name, depth_list(cat)));
            return false;
        }
        const auto* first = t.orderbook_depths.data();
        if (std::find(first, first + i, d) != first + i) {
            error = loc.error({at}, fmt::format("'{}' lists depth {} twice", depths, d));
            return false;
        }
    }
    if (t.liquidations && cat != model::category::linear && cat != model::category::inverse) {
        error = loc.error({liquidations, "venue.category"},
                          fmt::format("'{}' must be false on {}: allLiquidation exists only on "
                                      "linear and inverse",
                                      liquidations, cat_name));
        return false;
    }
    if (!t.tickers && !t.trades && !t.liquidations && t.klines.empty() &&
        t.orderbook_depths.empty()) {
        error = loc.error({table}, fmt::format("'{}' enables no topic", table));
        return false;
    }
    return true;
}

// A list of symbols (venue.symbols, select.exclude) named by `key`: each a symbol of the
// category, none twice.
bool check_symbol_list(const std::vector<std::string>& list, std::string_view key,
                       model::category cat, const locator& loc, std::string& error) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& s = list[i];
        const auto at = fmt::format("{}[{}]", key, i);
        if (!valid_symbol(s, cat)) {
            error = loc.error({at}, fmt::format("'{}': {} is not a symbol (upper-case letters and "
                                                "digits, e.g. BTCUSDT)",
                                                key, detail::quoted(s)));
            return false;
        }
        if (!seen.insert(s).second) {
            error = loc.error({at}, fmt::format("'{}' lists '{}' twice", key, s));
            return false;
        }
    }
    return true;
}

// [select]: checked whatever `top` is, so that a file never holds a rule that breaks once
// selection is turned on.
bool check_select(const gateway_config& cfg, const locator& loc, std::string& error) {
    const auto& sel = cfg.select;
    for (const auto* f : {&select_top, &select_min_turnover}) {
        const auto value = sel.*std::get<std::size_t select_s::*>(f->m);
        if (std::cmp_less(value, f->lo) || std::cmp_greater(value, f->hi)) {
            const auto path = fmt::format("select.{}", f->key);
            error = loc.error({path}, range_message("select", *f));
            return false;
        }
    }
    if (std::find(select_by_names.begin(), select_by_names.end(), sel.by) ==
        select_by_names.end()) {
        error = loc.error({"select.by"},
                          fmt::format("'select.by' must be one of {}, got {}",
                                      fmt::join(select_by_names, ", "), detail::quoted(sel.by)));
        return false;
    }
    return check_symbol_list(sel.exclude, "select.exclude", cfg.venue.category, loc, error);
}

bool check_venue(gateway_config& cfg, const locator& loc, std::string& error) {
    auto& v = cfg.venue;
    if (v.name != "bybit") {
        error = loc.error({"venue.name"}, fmt::format("'venue.name' must be \"bybit\" (the only "
                                                      "venue mdgate speaks), got {}",
                                                      detail::quoted(v.name)));
        return false;
    }
    // [select] chooses the symbols at start: venue.symbols is kept but not used, and an override
    // applies if its symbol is selected.
    const bool listed = cfg.select.top == 0;
    if (listed && cfg.symbols.empty()) {
        error = loc.error({"venue.symbols"}, "'venue.symbols' must not be empty");
        return false;
    }
    if (listed && cfg.symbols.size() > max_symbols) {
        error = loc.error({"venue.symbols"},
                          fmt::format("'venue.symbols' lists {} symbols; at most {} are allowed",
                                      cfg.symbols.size(), max_symbols));
        return false;
    }
    if (listed && !check_symbol_list(cfg.symbols, "venue.symbols", v.category, loc, error)) {
        return false;
    }
    for (const auto& [symbol, topics] : cfg.symbol_topics) {
        (void)topics;
        const auto table = "symbols." + symbol;
        if (listed &&
            std::find(cfg.symbols.begin(), cfg.symbols.end(), symbol) == cfg.symbols.end()) {
            error = loc.error({table}, fmt::format("[symbols] entry {} is not in 'venue.symbols'",
                                                   detail::quoted(symbol)));
            return false;
        }
    }
    if (v.ws_url.empty()) {
        v.ws_url = std::string{bybit::venue::public_ws_url(v.category, false)};
    }
    if (auto why = url_problem(v.ws_url, "ws", "wss"); !why.empty()) {
        error = loc.error({"venue.ws_url"}, "'venue.ws_url' " + why);
        return false;
    }
    if (auto why = url_problem(v.rest_url, "http", "https"); !why.empty()) {
        error = loc.error({"venue.rest_url"}, "'venue.rest_url' " + why);
        return false;
    }
    // The parsers the connections and the probe use have the last word: what passes here
    // must never be refused at start.
    if (std::string why; !net::parse_ws_url(v.ws_url, why)) {
        error = loc.error({"venue.ws_url"}, "'venue.ws_url': " + why);
        return false;
    }
    if (std::string why; !net::parse_http_url(v.rest_url, why)) {
        error = loc.error({"venue.rest_url"}, "'venue.rest_url': " + why);
        return false;
    }
    if (!v.ca_file.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(v.ca_file, ec)) {
            error = loc.error({"venue.ca_file"},
                              fmt::format("'venue.ca_file': {} is not a readable file",
                                          detail::quoted(v.ca_file, 200)));
            return false;
        }
        // Loaded as the connections load it: a file without PEM certificates fails here,
        // not at start.
        try {
            (void)net::make_client_tls_context(v.ca_file);
        } catch (const std::exception& e) {
            error = loc.error({"venue.ca_file"},
                              fmt::format("'venue.ca_file': {} holds no PEM certificate ({})",
                                          detail::quoted(v.ca_file, 200), e.what()));
            return false;
        }
    }
    return true;
}

// The bounds of every key of the tables in schema.hpp (of each count of an interval-count
// sub-table).
bool check_bounds(const gateway_config& cfg, const locator& loc, std::string& error) {
    // Beyond every bound when it does not fit.
    const auto as_int64 = [](auto v) -> std::int64_t {
        constexpr auto top = std::numeric_limits<std::int64_t>::max();
        return std::cmp_greater(v, top) ? top : static_cast<std::int64_t>(v);
    };
    bool ok = true;
    for_each_section([&](const auto& sec) {
        const auto& table = cfg.*(sec.table);
        for (const auto& f : sec.fields) {
            if (!ok || f.lo == f.hi) {
                continue; // strings and booleans carry no bounds
            }
            std::string_view entry; // the interval of a count out of bounds
            const std::int64_t value = std::visit(
                [&](auto m) -> std::int64_t {
                    using value_type = std::remove_cvref_t<decltype(table.*m)>;
                    if constexpr (std::is_same_v<value_type, ms>) {
                        return (table.*m).count();
                    } else if constexpr (std::is_same_v<value_type, interval_counts>) {
                        for (const auto& [interval, count] : table.*m) {
                            if (const auto c = as_int64(count); c < f.lo || c > f.hi) {
                                entry = model::to_string(interval);
                                return c;
                            }
                        }
                        return f.lo;
                    } else if constexpr (std::is_integral_v<value_type> &&
                                         !std::is_same_v<value_type, bool>) {
                        return as_int64(table.*m);
                    } else {
                        return f.lo;
                    }
                },
                f.m);
            if (value < f.lo || value > f.hi) {
                auto path = fmt::format("{}.{}", sec.name, f.key);
                if (!entry.empty()) {
                    path += fmt::format(".{}", entry);
                }
                error = loc.error({path}, range_message(sec.name, f, entry));
                ok = false;
            }
        }
    });
    return ok;
}

bool check_relations(const gateway_config& cfg, const locator& loc, std::string& error) {
    const auto& c = cfg.connections;
    if (c.receive_timeout <= c.ping_interval) {
        error = loc.error({"connections.receive_timeout", "connections.ping_interval"},
                          fmt::format("'connections.receive_timeout' ({}) must be longer than "
                                      "'connections.ping_interval' ({}): pongs are the only "
                                      "frames a quiet connection receives",
                                      format_duration(c.receive_timeout),
                                      format_duration(c.ping_interval)));
        return false;
    }
    // A longest wait below its first wait: the two keys named, as the user wrote them.
    const auto not_below = [&](std::chrono::milliseconds hi, std::chrono::milliseconds lo,
                               const char* hi_key, const char* lo_key) {
        if (hi >= lo) {
            return true;
        }
        error = loc.error({hi_key, lo_key},
                          fmt::format("'{}' ({}) must not be below '{}' ({})", hi_key,
                                      format_duration(hi), lo_key, format_duration(lo)));
        return false;
    };
    if (!not_below(c.backoff_cap, c.backoff_base, "connections.backoff_cap",
                   "connections.backoff_base") ||
        !not_below(c.refused_retry_cap, c.refused_retry_base, "connections.refused_retry_cap",
                   "connections.refused_retry_base") ||
        !not_below(cfg.backfill.retry_cap, cfg.backfill.retry_base, "backfill.retry_cap",
                   "backfill.retry_base")) {
        return false;
    }
    // A poll more often than every 10 s is a mistake (these answers change every few minutes
    // at most) that would spend the REST budget: 0 turns a poll off.
    for (const auto& [key, every] : {std::pair{"poll.funding_history", cfg.poll.funding_history},
                                     std::pair{"poll.account_ratio", cfg.poll.account_ratio},
                                     std::pair{"poll.risk_limits", cfg.poll.risk_limits}}) {
        if (every.count() != 0 && every < std::chrono::seconds{10}) {
            error = loc.error({key}, fmt::format("'{}' ({}) must be 0 (not polled) or at least 10s",
                                                 key, format_duration(every)));
            return false;
        }
    }
    const auto& r = cfg.record;
    if (r.max_total_bytes != 0 && r.max_total_bytes < r.max_file_bytes) {
        error = loc.error({"record.max_total_bytes", "record.max_file_bytes"},
                          fmt::format("'record.max_total_bytes' ({}) must be 0 (no limit) or at "
                                      "least 'record.max_file_bytes' ({})",
                                      r.max_total_bytes, r.max_file_bytes));
        return false;
    }
    const auto& p = cfg.probe;
    return not_below(p.total_timeout, p.connect_timeout, "probe.total_timeout",
                     "probe.connect_timeout");
}

bool check_http_and_log(const gateway_config& cfg, const locator& loc, std::string& error) {
    std::string why;
    const auto listen = parse_listen(cfg.http.listen, why);
    if (!listen) {
        error = loc.error({"http.listen"}, "'http.listen': " + why);
        return false;
    }
    // The HTTP server binds without resolving names (http/server.cpp): what it refuses at
    // start is refused here, so that --check-config passes only what run accepts.
    if (!is_bindable_host(listen->host)) {
        error = loc.error({"http.listen"},
                          fmt::format("'http.listen': {} is not an IP address (nor localhost); "
                                      "names are not resolved",
                                      detail::quoted(listen->host)));
        return false;
    }
    const auto& token = cfg.http.bearer_token;
    const bool token_ok =
        token.size() <= max_token_length && std::all_of(token.begin(), token.end(), [](char c) {
            return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
        });
    if (!token_ok) {
        // Never echo the token.
        error = loc.error({"http.bearer_token"},
                          fmt::format("'http.bearer_token' must be at most {} printable ASCII "
                                      "characters without spaces",
                                      max_token_length));
        return false;
    }
    const auto& l = cfg.log;
    for (const auto& [setting, key, value] :
         {std::tuple{log_setting::level, "log.level", &l.level},
          std::tuple{log_setting::format, "log.format", &l.format},
          std::tuple{log_setting::target, "log.target", &l.target}}) {
        if (auto problem = log_value_problem(setting, *value); !problem.empty()) {
            error = loc.error({key}, fmt::format("'{}' {}", key, problem));
            return false;
        }
    }
    return true;
}

} // namespace

bool check(gateway_config& cfg, const locator& loc, std::string& error) {
    if (!check_select(cfg, loc, error) || !check_venue(cfg, loc, error)) {
        return false;
    }
    const auto cat = cfg.venue.category;
    if (!check_topics(cfg.topics, "topics", cat, loc, error)) {
        return false;
    }
    for (const auto& [symbol, topics] : cfg.symbol_topics) {
        if (!check_topics(topics, "symbols." + symbol, cat, loc, error)) {
            return false;
        }
    }
    if (!check_bounds(cfg, loc, error) || !check_relations(cfg, loc, error) ||
        !check_http_and_log(cfg, loc, error)) {
        return false;
    }
    // An interval of the defaults that a configuration built in code left out of
    // backfill.klines gets kline_default, as any unlisted interval does; written out, so that
    // to_toml() reads back equal (a file can only change the defaults' counts).
    for (const auto& [interval, count] : gateway_config::backfill_t{}.klines) {
        (void)count;
        cfg.backfill.klines.try_emplace(interval, cfg.backfill.kline_default);
    }
    // Last: the topics must fit the venue's per-connection limits under this packing. With
    // [select], `top` made-up symbols with the [topics] of every symbol stand for the ones
    // chosen at start.
    const bybit::plan_options opts{cfg.connections.max_topics_per_connection,
                                   cfg.connections.symbol_aligned};
    std::string reason;
    auto planned = topics_of(cfg);
    if (cfg.select.top > 0) {
        gateway_config stand_in;
        stand_in.topics = cfg.topics;
        stand_in.symbols.clear();
        for (std::size_t i = 0; i < cfg.select.top; ++i) {
            stand_in.symbols.push_back(fmt::format("SEL{}USDT", i));
        }
        planned = topics_of(stand_in);
    }
    if (!bybit::plan_connections(cat, planned, opts, reason)) {
        error = loc.error({"connections.max_topics_per_connection", "connections.symbol_aligned"},
                          fmt::format("the topics do not fit on connections: {}", reason));
        return false;
    }
    return true;
}

} // namespace detail

gateway_config default_config() {
    gateway_config cfg;
    std::string error;
    const bool ok = validate(cfg, error);
    MDG_CHECK(ok, "the built-in defaults must be valid");
    return cfg;
}

bool validate(gateway_config& cfg, std::string& error) {
    return detail::check(cfg, detail::locator{}, error);
}

const gateway_config::topics_t& topics_for(const gateway_config& cfg, std::string_view symbol) {
    const auto it = cfg.symbol_topics.find(std::string{symbol});
    return it == cfg.symbol_topics.end() ? cfg.topics : it->second;
}

std::vector<std::string> topics_of(const gateway_config& cfg) {
    std::vector<std::string> out;
    for (const auto& symbol : cfg.symbols) {
        const auto& t = topics_for(cfg, symbol);
        bybit::topic topic;
        topic.symbol = symbol;
        const auto add = [&](bybit::channel ch) {
            topic.ch = ch;
            out.push_back(bybit::format_topic(topic));
        };
        if (t.tickers) {
            add(bybit::channel::tickers);
        }
        for (auto interval : t.klines) {
            topic.interval = interval;
            add(bybit::channel::kline);
        }
        for (auto depth : t.orderbook_depths) {
            topic.depth = depth;
            add(bybit::channel::orderbook);
        }
        if (t.trades) {
            add(bybit::channel::public_trade);
        }
        if (t.liquidations) {
            add(bybit::channel::all_liquidation);
        }
    }
    return out;
}

bool apply_overrides(gateway_config& cfg, const overrides& o, std::string& error) {
    if (o.symbols && o.top) {
        error = "--top and --symbols are exclusive: --top chooses the symbols";
        return false;
    }
    detail::locator loc;
    if (o.category) {
        const auto old = cfg.venue.category;
        for (bool testnet : {false, true}) {
            if (cfg.venue.ws_url == bybit::venue::public_ws_url(old, testnet)) {
                cfg.venue.ws_url = std::string{bybit::venue::public_ws_url(*o.category, testnet)};
                break;
            }
        }
        cfg.venue.category = *o.category;
        loc.set("venue.category", "--category");
    }
    // The symbols come from the list again (the one given, or the file's with --top 0): the
    // overrides of symbols not in it go, as they would be refused.
    const auto drop_unlisted_overrides = [&] {
        std::erase_if(cfg.symbol_topics, [&](const auto& entry) {
            return std::find(cfg.symbols.begin(), cfg.symbols.end(), entry.first) ==
                   cfg.symbols.end();
        });
    };
    if (o.symbols) {
        cfg.symbols = *o.symbols;
        cfg.select.top = 0; // the list given wins over the file's [select]
        drop_unlisted_overrides();
        loc.set("venue.symbols", "--symbols");
    }
    if (o.top) {
        cfg.select.top = *o.top;
        if (*o.top == 0) {
            drop_unlisted_overrides();
        }
        loc.set("select.top", "--top");
    }
    const auto set = [&](const std::optional<std::string>& value, std::string& target,
                         std::string path, std::string option) {
        if (value) {
            target = *value;
            loc.set(std::move(path), std::move(option));
        }
    };
    set(o.by, cfg.select.by, "select.by", "--by");
    set(o.ws_url, cfg.venue.ws_url, "venue.ws_url", "--ws-url");
    set(o.rest_url, cfg.venue.rest_url, "venue.rest_url", "--rest-url");
    set(o.listen, cfg.http.listen, "http.listen", "--listen");
    set(o.log_level, cfg.log.level, "log.level", "--log-level");
    set(o.log_format, cfg.log.format, "log.format", "--log-format");
    set(o.log_target, cfg.log.target, "log.target", "--log-target");
    set(o.record_dir, cfg.record.dir, "record.dir", "--record");
    return detail::check(cfg, loc, error);
}

result<gateway_config> load_config(const std::filesystem::path& file, std::string& error) {
    constexpr std::size_t max_file_bytes = std::size_t{1} << 20;
    const auto name = file.string();
    // A directory, FIFO or device would hang or never end: only a regular, readable file.
    std::error_code ec;
    const auto st = std::filesystem::status(file, ec);
    if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
        error = detail::one_line(
            fmt::format("{}: not a regular file (a directory, FIFO or device is refused)", name));
        return errc::invalid_argument;
    }
    std::ifstream in{file, std::ios::binary};
    if (!in) {
        const auto reason = std::generic_category().message(errno);
        error = detail::one_line(fmt::format("{}: cannot open: {}", name, reason));
        return errc::invalid_argument;
    }
    std::string text;
    std::array<char, 65536> chunk{};
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_file_bytes) {
            error = detail::one_line(fmt::format(
                "{}: larger than {} bytes; not a configuration file", name, max_file_bytes));
            return errc::invalid_argument;
        }
    }
    if (in.bad()) {
        error = detail::one_line(fmt::format("{}: read error", name));
        return errc::invalid_argument;
    }
    return parse_config(text, name, error);
}

} // namespace mdg::cli
