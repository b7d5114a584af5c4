#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/instrument.hpp"

namespace mdg::sim {

/// What a fault or control command does (docs/simulator.md lists each with an example).
enum class action_kind : std::uint8_t {
    drop,                ///< close connections: `mode` close (close frame) or reset (TCP RST)
    stall,               ///< connections send nothing and ignore pings for `seconds`
    skip_update,         ///< the next delta on `topic` skips one update id
    crossed,             ///< the next push on `topic` crosses the book
    bad_number,          ///< the next delta on `topic` has an undecodable price (`mode`)
    oversized_snapshot,  ///< the next book frame on `topic`: a snapshot of `levels` per side
    restart,             ///< every book topic restarts with a u=1 snapshot
    malformed,           ///< send one malformed JSON frame to connections
    oversized,           ///< send one frame of `bytes` bytes to connections
    reject_subscription, ///< the next subscribe of `topic` is rejected (handler not found)
    ignore_subscription, ///< the next subscribe naming `topic` is read and never answered
    rest_time,           ///< /v5/market/time: `mode` slow (`delay`), error (HTTP 503) or refuse
    refuse_ws,           ///< refuse new WebSocket connections for `seconds`
    rest,                ///< market REST (`path`, default all) misbehaves for `seconds` (`mode`)
    set_turnover,        ///< `symbol`'s 24 h turnover reads `value` from now on (tickers)
    pause,               ///< the market stops moving and pushing (pings still answered)
    resume,              ///< undo pause
};

[[nodiscard]] std::string_view to_string(action_kind k) noexcept;

/// One control command or scripted fault.
struct action {
    action_kind kind = action_kind::pause;
    /// Target connection id, or nullopt for all connections.
    std::optional<std::uint64_t> connection;
    /// close | reset (drop); slow | error | refuse (rest_time); slow | error | refuse |
    /// rate_limit | too_frequent | http_429 | bad_body (rest); precision | malformed | zero
    /// (bad_number).
    std::string mode;
    std::string topic;
    /// rest: the market REST path it targets ("/v5/market/kline"); empty = every
    /// /v5/market/ path. rest_time is rest on "/v5/market/time".
    std::string path;
    std::string symbol; ///< set_turnover
    double value = 0;   ///< set_turnover: the 24 h turnover, in the turnover's unit
    /// Category of `topic` (skip_update, crossed, bad_number, oversized_snapshot,
    /// reject_subscription, ignore_subscription); default linear.
    model::category cat = model::category::linear;
    std::chrono::milliseconds duration{0}; ///< stall, rest_time, rest, refuse_ws
    std::chrono::milliseconds delay{0};    ///< rest_time and rest slow: added latency
    std::size_t bytes = 2 << 20;           ///< oversized
    std::size_t levels = 6000;             ///< oversized_snapshot: levels per side
    std::chrono::milliseconds at{0};       ///< scripts only: time after start
};

/// The modes of the rest fault (rest_time takes the first three).
inline constexpr std::array<std::string_view, 7> rest_fault_modes{
    "slow", "error", "refuse", "rate_limit", "too_frequent", "http_429", "bad_body"};

/// Longest duration a command or script accepts (`seconds`, `duration`, `delay`, `at`).
inline constexpr std::chrono::milliseconds max_command_duration = std::chrono::hours{24};

/// Parses one JSON command, e.g. {"action":"drop","connection":"all","mode":"reset"}.
/// On error returns the code and a one-line reason naming the field. Numbers must be finite
/// and within their field's bounds (durations 0 to max_command_duration).
[[nodiscard]] result<action> parse_action(std::string_view json, std::string& reason);

/// Parses a fault script: one JSON command per line with an "at" time ("10s", "1500ms",
/// "2m" or a number of seconds); empty lines and lines starting with '#' are skipped. Sorted
/// by time. `reason` names the line on error.
[[nodiscard]] result<std::vector<action>> parse_script(std::string_view text, std::string& reason);

/// Parses "10s", "1500ms", "2m", "1h" or a plain number of seconds. Refuses negative and
/// non-finite numbers ("nan", "inf") and durations beyond 100 years.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

} // namespace mdg::sim
