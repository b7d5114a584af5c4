#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/events.hpp"
#include "model/instrument.hpp"

namespace mdg::cli {

/// The 15 liquid USDT perpetuals the gateway follows when no symbols are configured. The old
/// service picked its 15 by 24 h volume at start-up; mdgate uses a fixed list by default so
/// that a restart never changes what is subscribed ([select] chooses at start instead).
[[nodiscard]] std::vector<std::string> default_symbols();

/// Everything `mdgate run` needs, read from the TOML file of docs/configuration.md. Each
/// nested struct mirrors one TOML table. Defaults reproduce the old production setup (15
/// symbols x 5 topics on the linear host) with mdgate's tighter timeouts.
///
/// A plain value: built once at start-up by the main thread, then copied or read-only shared.
struct gateway_config {
    using ms = std::chrono::milliseconds;

    /// [venue]
    struct venue_t {
        std::string name = "bybit";
        model::category category = model::category::linear;
        /// Empty until validate(): then wss://stream.bybit.com/v5/public/<category>.
        std::string ws_url;
        std::string rest_url = "https://api.bybit.com";
        /// An extra trusted CA certificate (PEM) for private hosts or tests; "" = system only.
        std::string ca_file;
        friend bool operator==(const venue_t&, const venue_t&) = default;
    } venue;

    /// [venue] symbols: the instruments to follow, in subscription order.
    std::vector<std::string> symbols = default_symbols();

    /// [select]: choose the symbols at start from the venue's tickers (docs/rest.md) instead of
    /// venue.symbols: the `top` symbols by `by`, without `exclude`, at least `min_turnover`.
    struct select_t {
        std::size_t top = 0;              ///< 0 = use venue.symbols
        std::string by = "turnover24h";   ///< turnover24h | volume24h
        std::vector<std::string> exclude; ///< never selected
        std::size_t min_turnover = 0; ///< 24 h turnover in the quote coin; below it: not selected
        friend bool operator==(const select_t&, const select_t&) = default;
    } select;

    /// [topics] (the default for every symbol) and [symbols.<SYMBOL>] (an override).
    struct topics_t {
        bool tickers = true;
        std::vector<model::kline_interval> klines{model::kline_interval::m1};
        std::vector<std::uint16_t> orderbook_depths{50};
        bool trades = true;
        bool liquidations = true;
        friend bool operator==(const topics_t&, const topics_t&) = default;
    } topics;

    /// Per-symbol replacements of `topics`, keyed by symbol (each must be in `symbols` while
    /// `select.top` is 0; otherwise it applies if its symbol is selected).
    std::map<std::string, topics_t> symbol_topics;

    /// [connections]: how topics are spread over sockets and how each socket is kept alive.
    struct connections_t {
        bool symbol_aligned = true;                 ///< never split a symbol over connections
        std::size_t max_topics_per_connection = 10; ///< 0 = only the venue's args budget limits
        ms ping_interval{std::chrono::seconds{20}};
        ms pong_timeout{std::chrono::seconds{10}};
        ms receive_timeout{std::chrono::seconds{30}};   ///< no frame at all for this long
        ms subscribe_timeout{std::chrono::seconds{10}}; ///< no answer to a request: ask again
        ms refused_retry_base{std::chrono::seconds{5}}; ///< a refused topic: first retry wait
        ms refused_retry_cap{std::chrono::minutes{5}};  ///< and the longest
        ms connect_timeout{std::chrono::seconds{5}};
        ms handshake_timeout{std::chrono::seconds{10}};
        std::size_t max_frame_bytes = std::size_t{1} << 20;
        ms backoff_base{std::chrono::seconds{1}};
        ms backoff_cap{std::chrono::seconds{60}};
        ms backoff_stable_after{std::chrono::seconds{30}};
        std::uint32_t connect_budget = 400; ///< connection attempts per window, process-wide
        ms connect_budget_window{std::chrono::minutes{5}};
        friend bool operator==(const connections_t&, const connections_t&) = default;
    } connections;

    /// [probe]: the shared REST reachability check (/v5/market/time) behind a breaker.
    struct probe_t {
        bool enabled = true;
        ms connect_timeout{std::chrono::seconds{5}};
        ms total_timeout{std::chrono::seconds{10}};
        std::uint32_t attempts = 3;
        ms breaker_cooldown{std::chrono::seconds{30}};
        friend bool operator==(const probe_t&, const probe_t&) = default;
    } probe;

    /// [rest]: the market-data REST client (history at start; later refresh and polling) and
    /// the one rate limiter every REST request of the process goes through.
    struct rest_t {
        bool enabled = true;          ///< false: no market-data REST requests (no backfill)
        std::uint32_t ip_limit = 500; ///< requests per ip_window over every endpoint
        ms ip_window{std::chrono::seconds{5}};
        std::size_t max_connections = 4;
        ms connect_timeout{std::chrono::seconds{5}};
        ms request_timeout{std::chrono::seconds{10}};
        ms max_limiter_wait{std::chrono::seconds{30}};
        friend bool operator==(const rest_t&, const rest_t&) = default;
    } rest;

    /// [backfill]: history fetched over REST at start (docs/rest.md).
    struct backfill_t {
        bool enabled = true;
        /// [backfill.klines]: candles fetched per subscribed interval (the old service's depths
        /// by default); a subscribed interval not listed gets `kline_default`; 0 = none.
        std::map<model::kline_interval, std::size_t> klines{{model::kline_interval::m1, 1000},
                                                            {model::kline_interval::m5, 300},
                                                            {model::kline_interval::m30, 200},
                                                            {model::kline_interval::h4, 200}};
        std::size_t kline_default = 200;
        std::size_t open_interest = 288;        ///< 5-minute buckets of open interest; 0 = none
        std::size_t trades = 1000;              ///< recent trades per symbol; 0 = none
        ms retry_base{std::chrono::seconds{2}}; ///< a failed fetch: first wait before the retry
        ms retry_cap{std::chrono::minutes{5}};  ///< doubling up to this
        friend bool operator==(const backfill_t&, const backfill_t&) = default;
    } backfill;

    /// [poll]: data only the venue's REST API has, polled on an interval (docs/rest.md);
    /// 0 = not polled. Linear and inverse contracts only.
    struct poll_t {
        ms funding_history{std::chrono::hours{1}};
        std::size_t funding_rows = 100; ///< settlements asked for (every 8 h: 100 = 33 days)
        ms account_ratio{std::chrono::minutes{5}};
        std::size_t account_ratio_rows = 288; ///< 5-minute periods (288 = one day)
        ms risk_limits{std::chrono::hours{1}};
        friend bool operator==(const poll_t&, const poll_t&) = default;
    } poll;

    /// [refresh]: the emergency refresh (docs/rest.md): a book or ticker whose stream data is
    /// older than this is fetched over REST; 0 = never.
    struct refresh_t {
        ms orderbook{std::chrono::seconds{10}};
        ms tickers{std::chrono::seconds{20}};
        ms min_interval{std::chrono::seconds{10}}; ///< between two refreshes of one topic
        friend bool operator==(const refresh_t&, const refresh_t&) = default;
    } refresh;

    /// [freshness]: age after which a channel's data counts as stale; 0 = never stale.
    struct freshness_t {
        ms orderbook{std::chrono::seconds{5}};
        ms tickers{std::chrono::seconds{10}};
        ms kline{std::chrono::seconds{90}};
        ms trades{0};
        ms liquidations{0};
        friend bool operator==(const freshness_t&, const freshness_t&) = default;
    } freshness;

    /// [dispatch]: state shards and the consumer pool.
    struct dispatch_t {
        std::size_t shards = 2;
        std::size_t shard_queue = 8192;
        std::size_t shard_queue_bytes = std::size_t{2} << 20;
        std::size_t consumer_threads = 4;
        std::size_t consumer_queue = 4096;
        std::size_t spin_us = 50;
        ms callback_budget{std::chrono::seconds{3}};
        ms drain_timeout{std::chrono::seconds{5}};
        friend bool operator==(const dispatch_t&, const dispatch_t&) = default;
    } dispatch;

    /// [http]: /metrics, /healthz and the status endpoints.
    struct http_t {
        bool enabled = true;
        std::string listen = "127.0.0.1:8080";
        std::string bearer_token; ///< "" = no authentication
        std::size_t max_connections = 1024;
        std::size_t max_connections_per_address = 64;
        ms header_timeout{std::chrono::seconds{10}};
        ms body_timeout{std::chrono::seconds{10}};
        ms write_timeout{std::chrono::seconds{10}};
        ms idle_timeout{std::chrono::seconds{60}};
        friend bool operator==(const http_t&, const http_t&) = default;
    } http;

    /// [api]: the data API and the stream (docs/api.md), served on the [http] listener.
    struct api_t {
        bool enabled = true;
        std::size_t max_subscribers = 256;
        std::size_t max_channels_per_subscriber = 1000;
        std::size_t max_client_message_bytes = 16U << 10;
        std::size_t max_client_messages_per_second = 50;
        std::size_t send_buffer_bytes = 4U << 20;
        ms slow_close_after{std::chrono::seconds{10}};
        ms book_interval{10}; ///< at most one message per book channel per interval; 0: all
        std::size_t book_levels = 1000; ///< levels per side the API keeps of each book
        friend bool operator==(const api_t&, const api_t&) = default;
    } api;
    /// [record]: the frame recorder (docs/recording.md); off while `dir` is empty.
    struct record_t {
        std::string dir; ///< "" = no recording; `--record DIR` sets it
        std::size_t max_file_bytes = std::size_t{256} << 20;
        ms max_file_age{std::chrono::hours{1}};
        std::size_t max_total_bytes = std::size_t{20} << 30; ///< 0 = no limit
        std::size_t keep_files = 0;                          ///< 0 = no limit
        std::size_t queue_bytes = std::size_t{16} << 20;
        std::size_t zstd_level = 3; ///< 0 = plain JSON lines
        ms flush_interval{std::chrono::seconds{1}};
        friend bool operator==(const record_t&, const record_t&) = default;
    } record;
    /// [log]
    struct log_t {
        std::string level = "info";    ///< one of log_level_names (cli/log_values.hpp)
        std::string format = "text";   ///< text|json (log_format_names)
        std::string target = "stderr"; ///< stderr|journald (log_target_names)
        ms summary_interval{std::chrono::seconds{60}};
        friend bool operator==(const log_t&, const log_t&) = default;
    } log;

    friend bool operator==(const gateway_config&, const gateway_config&) = default;
};

/// The defaults, validated (so `venue.ws_url` is filled in).
[[nodiscard]] gateway_config default_config();

/// Parses and validates a TOML document. `source_name` (usually the file name) prefixes every
/// error. On failure returns errc::invalid_argument and puts ONE line into `error`:
/// `<source>:<line>: <what>` (`<source>:<line>:<column>:` for TOML syntax errors). Unknown
/// tables and keys are errors, with a did-you-mean hint. Missing keys keep their defaults.
/// Never throws for bad input; thread-safe.
[[nodiscard]] result<gateway_config> parse_config(std::string_view toml_text,
                                                  std::string_view source_name, std::string& error);

/// Reads `file` (at most 1 MiB) and parses it as parse_config() does, naming it as given.
[[nodiscard]] result<gateway_config> load_config(const std::filesystem::path& file,
                                                 std::string& error);

/// Checks every rule of docs/configuration.md and fills the derived defaults (an empty
/// `venue.ws_url` becomes the category's public host; an interval of the default
/// `backfill.klines` missing from the map is added with `backfill.kline_default`, what an
/// unlisted interval gets anyway). Returns false with one line in `error` naming the key, e.g.
/// `'dispatch.shards' must be between 1 and 64`. Checks that `ca_file` exists when set;
/// otherwise pure.
[[nodiscard]] bool validate(gateway_config& cfg, std::string& error);

/// The topics a symbol subscribes: its [symbols.<SYMBOL>] override, else `cfg.topics`.
[[nodiscard]] const gateway_config::topics_t& topics_for(const gateway_config& cfg,
                                                         std::string_view symbol);

/// Every Bybit topic string, in symbol order and per symbol in the old service's order:
/// tickers, kline.<i>..., orderbook.<d>..., publicTrade, allLiquidation (disabled ones
/// skipped). The defaults give 75 topics.
[[nodiscard]] std::vector<std::string> topics_of(const gateway_config& cfg);

/// Command-line options of `mdgate run` that replace configuration values.
struct overrides {
    std::optional<model::category> category;         ///< --category
    std::optional<std::vector<std::string>> symbols; ///< --symbols A,B
    std::optional<std::size_t> top;                  ///< --top
    std::optional<std::string> by;                   ///< --by
    std::optional<std::string> ws_url;               ///< --ws-url
    std::optional<std::string> rest_url;             ///< --rest-url
    std::optional<std::string> listen;               ///< --listen (http.listen)
    std::optional<std::string> log_level;            ///< --log-level
    std::optional<std::string> log_format;           ///< --log-format
    std::optional<std::string> log_target;           ///< --log-target
    std::optional<std::string> record_dir;           ///< --record (record.dir)
};

/// Applies `o` to `cfg` and validates the result. A new category also moves a ws_url that was
/// Bybit's public host for the old category to the new one (a custom URL stays). New symbols
/// drop the [symbols.<SYMBOL>] overrides of symbols no longer listed and set `select.top` to 0
/// (the list given wins over the file's [select]); so does `top` = 0. `top` and `symbols`
/// together are an error. Errors name the option: `--listen: 'x' is not a listen address:
/// ...`. On failure `cfg` may be partly changed.
[[nodiscard]] bool apply_overrides(gateway_config& cfg, const overrides& o, std::string& error);

/// What to do with secrets (http.bearer_token) when printing a configuration.
enum class secrets : std::uint8_t { redact, include };

/// The configuration as a TOML document that parse_config() reads back to an equal value
/// (for `mdgate run --check-config --print`). With secrets::redact a set bearer token is left
/// out and a comment says so.
[[nodiscard]] std::string to_toml(const gateway_config& cfg, secrets s = secrets::redact);

} // namespace mdg::cli
