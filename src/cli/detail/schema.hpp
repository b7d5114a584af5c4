#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>

#include "cli/config.hpp"
#include "cli/duration.hpp"

namespace mdg::cli::detail {

using ms = std::chrono::milliseconds;

/// A sub-table of counts per kline interval ([backfill.klines]: `"1" = 1000`).
using interval_counts = std::map<model::kline_interval, std::size_t>;

/// A member of one configuration table: a scalar, or a sub-table of interval counts.
template <class S>
using member = std::variant<bool S::*, ms S::*, std::size_t S::*, std::uint32_t S::*,
                            std::string S::*, interval_counts S::*>;

/// One key: its TOML name, where it lives, and its bounds (inclusive; milliseconds for
/// durations, where lo == 0 allows 0, whose meaning zero_meaning() gives; for interval counts,
/// the bounds of each count). Strings and booleans have no bounds; their rules live in the
/// validator.
template <class S> struct field {
    std::string_view key;
    member<S> m;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
};

/// A table of scalar keys ([connections], [probe], ...); an interval-count member is its one
/// sub-table ([backfill.klines]).
template <class S, std::size_t N> struct section {
    std::string_view name;
    S gateway_config::*table;
    std::array<field<S>, N> fields;
};

template <class S, class... F>
constexpr auto make_section(std::string_view name, S gateway_config::*table, F... f) {
    return section<S, sizeof...(F)>{name, table, {f...}};
}

constexpr std::int64_t sec = 1000;
constexpr std::int64_t min = 60 * sec;
constexpr std::int64_t hour = 60 * min;

using gc = gateway_config;
using conn = gc::connections_t;
using probe_s = gc::probe_t;
using fresh = gc::freshness_t;
using disp = gc::dispatch_t;
using http_s = gc::http_t;
using log_s = gc::log_t;
using api_s = gc::api_t;
using rec_s = gc::record_t;
using rest_s = gc::rest_t;
using bf_s = gc::backfill_t;
using poll_s = gc::poll_t;
using refresh_s = gc::refresh_t;
using select_s = gc::select_t;

// The bounds are generous sanity limits, not tuning advice; docs/configuration.md explains
// each. Bybit caps: 500 new connections per 5 minutes per IP, 2000 args per option connection,
// 1440 candles in the API's kline ring, 288 x 30 = 30 days of 5-minute open interest.
inline const auto scalar_sections = std::make_tuple(
    make_section(
        "connections", &gc::connections, field<conn>{"symbol_aligned", &conn::symbol_aligned},
        field<conn>{"max_topics_per_connection", &conn::max_topics_per_connection, 0, 2000},
        field<conn>{"ping_interval", &conn::ping_interval, sec, 10 * min},
        field<conn>{"pong_timeout", &conn::pong_timeout, sec, 5 * min},
        field<conn>{"receive_timeout", &conn::receive_timeout, sec, hour},
        field<conn>{"subscribe_timeout", &conn::subscribe_timeout, 100, 10 * min},
        field<conn>{"refused_retry_base", &conn::refused_retry_base, 100, hour},
        field<conn>{"refused_retry_cap", &conn::refused_retry_cap, 100, 24 * hour},
        field<conn>{"connect_timeout", &conn::connect_timeout, 100, 5 * min},
        field<conn>{"handshake_timeout", &conn::handshake_timeout, 100, 5 * min},
        field<conn>{"max_frame_bytes", &conn::max_frame_bytes, 4096, 64LL << 20},
        field<conn>{"backoff_base", &conn::backoff_base, 10, 10 * min},
        field<conn>{"backoff_cap", &conn::backoff_cap, 10, hour},
        field<conn>{"backoff_stable_after", &conn::backoff_stable_after, sec, hour},
        field<conn>{"connect_budget", &conn::connect_budget, 1, 500},
        field<conn>{"connect_budget_window", &conn::connect_budget_window, sec, hour}),
    make_section("probe", &gc::probe, field<probe_s>{"enabled", &probe_s::enabled},
                 field<probe_s>{"connect_timeout", &probe_s::connect_timeout, 100, min},
                 field<probe_s>{"total_timeout", &probe_s::total_timeout, 100, 5 * min},
                 field<probe_s>{"attempts", &probe_s::attempts, 1, 10},
                 field<probe_s>{"breaker_cooldown", &probe_s::breaker_cooldown, sec, hour}),
    make_section("rest", &gc::rest, field<rest_s>{"enabled", &rest_s::enabled},
                 field<rest_s>{"ip_limit", &rest_s::ip_limit, 1, 100'000},
                 field<rest_s>{"ip_window", &rest_s::ip_window, 100, min},
                 field<rest_s>{"max_connections", &rest_s::max_connections, 1, 64},
                 field<rest_s>{"connect_timeout", &rest_s::connect_timeout, 100, 5 * min},
                 field<rest_s>{"request_timeout", &rest_s::request_timeout, 100, 5 * min},
                 field<rest_s>{"max_limiter_wait", &rest_s::max_limiter_wait, 0, hour}),
    make_section("backfill", &gc::backfill, field<bf_s>{"enabled", &bf_s::enabled},
                 field<bf_s>{"klines", &bf_s::klines, 0, 1440},
                 field<bf_s>{"kline_default", &bf_s::kline_default, 0, 1440},
                 field<bf_s>{"open_interest", &bf_s::open_interest, 0, 288 * 30},
                 field<bf_s>{"trades", &bf_s::trades, 0, 1000},
                 field<bf_s>{"retry_base", &bf_s::retry_base, 100, hour},
                 field<bf_s>{"retry_cap", &bf_s::retry_cap, 100, 24 * hour}),
    make_section("poll", &gc::poll,
                 field<poll_s>{"funding_history", &poll_s::funding_history, 0, 24 * hour},
                 field<poll_s>{"funding_rows", &poll_s::funding_rows, 1, 200},
                 field<poll_s>{"account_ratio", &poll_s::account_ratio, 0, 24 * hour},
                 field<poll_s>{"account_ratio_rows", &poll_s::account_ratio_rows, 1, 500},
                 field<poll_s>{"risk_limits", &poll_s::risk_limits, 0, 24 * hour}),
    make_section("refresh", &gc::refresh,
                 field<refresh_s>{"orderbook", &refresh_s::orderbook, 0, hour},
                 field<refresh_s>{"tickers", &refresh_s::tickers, 0, hour},
                 field<refresh_s>{"min_interval", &refresh_s::min_interval, sec, hour}),
    make_section("freshness", &gc::freshness,
                 field<fresh>{"orderbook", &fresh::orderbook, 0, 24 * hour},
                 field<fresh>{"tickers", &fresh::tickers, 0, 24 * hour},
                 field<fresh>{"kline", &fresh::kline, 0, 24 * hour},
                 field<fresh>{"trades", &fresh::trades, 0, 24 * hour},
                 field<fresh>{"liquidations", &fresh::liquidations, 0, 24 * hour}),
    make_section("dispatch", &gc::dispatch, field<disp>{"shards", &disp::shards, 1, 64},
                 field<disp>{"shard_queue", &disp::shard_queue, 1, 1LL << 24},
                 field<disp>{"shard_queue_bytes", &disp::shard_queue_bytes, 64LL << 10, 1LL << 30},
                 field<disp>{"consumer_threads", &disp::consumer_threads, 1, 256},
                 field<disp>{"consumer_queue", &disp::consumer_queue, 1, 1LL << 24},
                 field<disp>{"spin_us", &disp::spin_us, 0, 10'000},
                 field<disp>{"callback_budget", &disp::callback_budget, 1, 10 * min},
                 field<disp>{"drain_timeout", &disp::drain_timeout, 1, 10 * min}),
    make_section("http", &gc::http, field<http_s>{"enabled", &http_s::enabled},
                 field<http_s>{"listen", &http_s::listen},
                 field<http_s>{"bearer_token", &http_s::bearer_token},
                 field<http_s>{"max_connections", &http_s::max_connections, 1, 65536},
                 field<http_s>{"max_connections_per_address", &http_s::max_connections_per_address,
                               1, 65536},
                 field<http_s>{"header_timeout", &http_s::header_timeout, 1, 10 * min},
                 field<http_s>{"body_timeout", &http_s::body_timeout, 1, 10 * min},
                 field<http_s>{"write_timeout", &http_s::write_timeout, 1, 10 * min},
                 field<http_s>{"idle_timeout", &http_s::idle_timeout, 1, hour}),
    make_section(
        "api", &gc::api, field<api_s>{"enabled", &api_s::enabled},
        field<api_s>{"max_subscribers", &api_s::max_subscribers, 1, 100'000},
        field<api_s>{"max_channels_per_subscriber", &api_s::max_channels_per_subscriber, 1,
                     100'000},
        field<api_s>{"max_client_message_bytes", &api_s::max_client_message_bytes, 256, 1LL << 20},
        field<api_s>{"max_client_messages_per_second", &api_s::max_client_messages_per_second, 1,
                     100'000},
        field<api_s>{"send_buffer_bytes", &api_s::send_buffer_bytes, 64LL << 10, 1LL << 30},
        field<api_s>{"slow_close_after", &api_s::slow_close_after, 100, hour},
        field<api_s>{"book_interval", &api_s::book_interval, 0, 10 * sec},
        field<api_s>{"book_levels", &api_s::book_levels, 1, 1000}),
    make_section("record", &gc::record, field<rec_s>{"dir", &rec_s::dir},
                 field<rec_s>{"max_file_bytes", &rec_s::max_file_bytes, 1LL << 20, 1LL << 40},
                 field<rec_s>{"max_file_age", &rec_s::max_file_age, sec, 24 * hour},
                 field<rec_s>{"max_total_bytes", &rec_s::max_total_bytes, 0, 1LL << 50},
                 field<rec_s>{"keep_files", &rec_s::keep_files, 0, 1'000'000},
                 field<rec_s>{"queue_bytes", &rec_s::queue_bytes, 1LL << 16, 1LL << 30},
                 field<rec_s>{"zstd_level", &rec_s::zstd_level, 0, 19},
                 field<rec_s>{"flush_interval", &rec_s::flush_interval, 100, min}),
    make_section("log", &gc::log, field<log_s>{"level", &log_s::level},
                 field<log_s>{"format", &log_s::format}, field<log_s>{"target", &log_s::target},
                 field<log_s>{"summary_interval", &log_s::summary_interval, sec, 24 * hour}));

/// Keys of the tables read by hand.
inline constexpr std::array<std::string_view, 16> root_keys{
    "venue", "select",  "topics",    "symbols",  "connections", "probe", "rest",   "backfill",
    "poll",  "refresh", "freshness", "dispatch", "http",        "api",   "record", "log"};
inline constexpr std::array<std::string_view, 6> venue_keys{"name",   "category", "symbols",
                                                            "ws_url", "rest_url", "ca_file"};
inline constexpr std::array<std::string_view, 4> select_keys{"top", "by", "exclude",
                                                             "min_turnover"};
inline constexpr std::array<std::string_view, 5> topic_keys{"tickers", "klines", "orderbook_depths",
                                                            "trades", "liquidations"};

/// The bounded keys of [select] (read by hand: `exclude` is a list). `top` stays within the
/// 1000 symbols venue.symbols may list; `min_turnover` is in the quote coin (10^15 is far above
/// any market's 24 h turnover).
inline constexpr field<select_s> select_top{"top", &select_s::top, 0, 500};
inline constexpr field<select_s> select_min_turnover{"min_turnover", &select_s::min_turnover, 0,
                                                     1'000'000'000'000'000};
/// The values of `select.by` (and of `--by`): the tickers' fields the symbols are ranked by.
inline constexpr std::array<std::string_view, 2> select_by_names{"turnover24h", "volume24h"};

/// Calls `f(section)` for every scalar section, in document order.
template <class F> void for_each_section(F&& f) {
    std::apply([&](const auto&... s) { (f(s), ...); }, scalar_sections);
}

/// Where each key came from, so that a validation error can name the file and line (or the
/// command-line option) of the value it rejects. A plain value, used by one thread.
class locator {
  public:
    locator() = default;
    explicit locator(std::string source) : source_(std::move(source)) {}

    /// Records that `path` ("connections.ping_interval", "venue.symbols[3]") came from `where`
    /// ("mdgate.toml:12" or "--listen").
    void set(std::string path, std::string where) {
        places_.insert_or_assign(std::move(path), std::move(where));
    }

    /// The place of the first of `paths` that is known; each path is tried, then its parents
    /// ("a.b[3]" -> "a.b" -> "a"). Falls back to the source name, then to "".
    [[nodiscard]] std::string where(std::initializer_list<std::string_view> paths) const;

    /// "<where>: <message>", or just the message when nothing is known.
    [[nodiscard]] std::string error(std::initializer_list<std::string_view> paths,
                                    std::string_view message) const;

  private:
    std::string source_;
    std::map<std::string, std::string, std::less<>> places_;
};

/// The validator behind validate(): every rule, with errors placed by `loc`.
[[nodiscard]] bool check(gateway_config& cfg, const locator& loc, std::string& error);

/// What 0 means for a key of `table` whose lower bound is 0, as the range message says it.
[[nodiscard]] inline std::string_view zero_meaning(std::string_view table, std::string_view key,
                                                   bool duration) {
    if (duration) {
        // [freshness]: never stale; api.book_interval: every version; rest.max_limiter_wait:
        // fail at once instead of waiting.
        return table == "api"    ? " (0s = no interval)"
               : table == "rest" ? " (0s = never wait)"
                                 : " (0s = never stale)";
    }
    if (table == "select") {
        return key == "top" ? " (0 = venue.symbols)" : " (0 = no minimum)";
    }
    return key == "zstd_level"   ? " (0 = uncompressed)"
           : table == "backfill" ? " (0 = none)"
                                 : " (0 = no limit)";
}

/// The range rule of a bounded field, e.g. "'dispatch.shards' must be between 1 and 64";
/// `entry` names one count of an interval-count sub-table ("'backfill.klines.1' must be ...").
template <class S>
[[nodiscard]] std::string range_message(std::string_view table, const field<S>& f,
                                        std::string_view entry = {}) {
    const bool duration = std::holds_alternative<ms S::*>(f.m);
    const auto lo = duration ? format_duration(ms{f.lo}) : std::to_string(f.lo);
    const auto hi = duration ? format_duration(ms{f.hi}) : std::to_string(f.hi);
    const auto note = f.lo != 0 ? std::string_view{} : zero_meaning(table, f.key, duration);
    std::string path = std::string{table} + "." + std::string{f.key};
    if (!entry.empty()) {
        path += "." + std::string{entry};
    }
    return "'" + path + "' must be between " + lo + " and " + hi + std::string{note};
}

} // namespace mdg::cli::detail
