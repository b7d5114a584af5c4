#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cli/config.hpp"
#include "exchange/bybit/topic.hpp"

namespace mdg::cli {
namespace {

using namespace std::chrono_literals;
using model::category;
using model::kline_interval;

result<gateway_config> parse(std::string_view text, std::string& error) {
    return parse_config(text, "mdgate.toml", error);
}

// Every key changed from its default, plus two per-symbol overrides.
gateway_config everything_changed() {
    gateway_config c;
    c.venue.category = category::inverse;
    c.venue.ws_url = "ws://127.0.0.1:9000/v5/public/inverse";
    c.venue.rest_url = "http://127.0.0.1:9000";
    c.symbols = {"BTCUSD", "ETHUSD", "XRPUSD"};
    c.select = {5, "volume24h", {"USDCUSD", "USTCUSD"}, 2'000'000};
    c.topics.tickers = false;
    c.topics.klines = {kline_interval::m5, kline_interval::h1, kline_interval::d1};
    c.topics.orderbook_depths = {1, 200};
    c.topics.trades = false;
    c.topics.liquidations = false;
    gateway_config::topics_t btc;
    btc.klines = {};
    btc.orderbook_depths = {1000};
    c.symbol_topics["BTCUSD"] = btc;
    gateway_config::topics_t xrp;
    xrp.tickers = false;
    xrp.klines = {kline_interval::mn1, kline_interval::w1};
    xrp.orderbook_depths = {};
    c.symbol_topics["XRPUSD"] = xrp;
    c.connections = {false,  40, 15s,      5s,    45s,  3s,   2s,  20min,
                     2500ms, 7s, 4U << 20, 250ms, 2min, 1min, 100, 1h};
    c.probe = {false, 3s, 9s, 5, 2min};
    c.rest = {false, 1000, 10s, 8, 3s, 20s, 0ms};
    c.backfill.enabled = false;
    c.backfill.klines = {{kline_interval::m1, 1440},
                         {kline_interval::m5, 0},
                         {kline_interval::m30, 100},
                         {kline_interval::h4, 50},
                         {kline_interval::d1, 30}};
    c.backfill.kline_default = 0;
    c.backfill.open_interest = 8640;
    c.backfill.trades = 60;
    c.backfill.retry_base = 500ms;
    c.backfill.retry_cap = 1h;
    c.freshness = {2s, 0ms, 5min, 30s, 0ms};
    c.dispatch = {8, 1024, 1 << 20, 16, 512, 0, 1500ms, 90s};
    c.http = {false, "[::1]:9100", "s3cr3t-Token_value", 7};
    c.log = {"debug", "json", "journald", 5min};
    return c;
}

TEST(ConfigTest, DefaultsReproduceTheOldProductionSetup) {
    const auto cfg = default_config();
    EXPECT_EQ(cfg.venue.ws_url, "wss://stream.bybit.com/v5/public/linear");
    EXPECT_EQ(cfg.venue.rest_url, "https://api.bybit.com");
    EXPECT_EQ(cfg.venue.category, category::linear);
    ASSERT_EQ(cfg.symbols.size(), 15U);
    const auto topics = topics_of(cfg);
    ASSERT_EQ(topics.size(), 75U); // 15 symbols x 5 topics
    const std::vector<std::string> first{"tickers.BTCUSDT", "kline.1.BTCUSDT",
                                         "orderbook.50.BTCUSDT", "publicTrade.BTCUSDT",
                                         "allLiquidation.BTCUSDT"};
    EXPECT_EQ(std::vector<std::string>(topics.begin(), topics.begin() + 5), first);
    EXPECT_EQ(topics.back(), "allLiquidation.NEARUSDT");
    for (const auto& t : topics) {
        std::string reason;
        EXPECT_FALSE(exchange::bybit::validate_subscription(category::linear, t, reason)) << reason;
    }
}

TEST(ConfigTest, DefaultsAreTheDocumentedValues) {
    const auto c = default_config();
    EXPECT_TRUE(c.connections.symbol_aligned);
    EXPECT_EQ(c.connections.max_topics_per_connection, 10U);
    EXPECT_EQ(c.connections.ping_interval, 20s);
    EXPECT_EQ(c.connections.pong_timeout, 10s);
    EXPECT_EQ(c.connections.receive_timeout, 30s);
    EXPECT_EQ(c.connections.max_frame_bytes, 1U << 20);
    EXPECT_EQ(c.connections.connect_budget, 400U);
    EXPECT_EQ(c.connections.connect_budget_window, 5min);
    EXPECT_EQ(c.freshness.orderbook, 5s);
    EXPECT_EQ(c.freshness.trades, 0ms); // quiet symbols: never stale
    EXPECT_EQ(c.dispatch.shards, 2U);
    EXPECT_EQ(c.http.listen, "127.0.0.1:8080");
    EXPECT_TRUE(c.http.bearer_token.empty());
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.summary_interval, 60s);
    EXPECT_TRUE(c.rest.enabled);
    EXPECT_EQ(c.rest.ip_limit, 500U); // Bybit: 600 per 5 s per IP
    EXPECT_EQ(c.rest.ip_window, 5s);
    EXPECT_EQ(c.rest.max_connections, 4U);
    EXPECT_EQ(c.rest.connect_timeout, 5s);
    EXPECT_EQ(c.rest.request_timeout, 10s);
    EXPECT_EQ(c.rest.max_limiter_wait, 30s);
    EXPECT_TRUE(c.backfill.enabled);
    const std::map<kline_interval, std::size_t> old_depths{{kline_interval::m1, 1000},
                                                           {kline_interval::m5, 300},
                                                           {kline_interval::m30, 200},
                                                           {kline_interval::h4, 200}};
    EXPECT_EQ(c.backfill.klines, old_depths);
    EXPECT_EQ(c.backfill.kline_default, 200U);
    EXPECT_EQ(c.backfill.open_interest, 288U);
    EXPECT_EQ(c.backfill.trades, 1000U);
    EXPECT_EQ(c.poll.funding_history, 1h);
    EXPECT_EQ(c.poll.funding_rows, 100U);
    EXPECT_EQ(c.poll.account_ratio, 5min);
    EXPECT_EQ(c.poll.account_ratio_rows, 288U);
    EXPECT_EQ(c.poll.risk_limits, 1h);
    EXPECT_EQ(c.refresh.orderbook, 10s);
    EXPECT_EQ(c.refresh.tickers, 20s);
    EXPECT_EQ(c.refresh.min_interval, 10s);
    EXPECT_EQ(c.backfill.retry_base, 2s);
    EXPECT_EQ(c.backfill.retry_cap, 5min);
    EXPECT_EQ(c.select.top, 0U); // venue.symbols, as before [select]
    EXPECT_EQ(c.select.by, "turnover24h");
    EXPECT_TRUE(c.select.exclude.empty());
    EXPECT_EQ(c.select.min_turnover, 0U);
}

TEST(ConfigTest, AnEmptyFileGivesTheDefaults) {
    std::string error;
    auto cfg = parse("# nothing set\n", error);
    ASSERT_TRUE(cfg) << error;
    EXPECT_EQ(*cfg, default_config());
}

TEST(ConfigTest, ThePackagedExampleEqualsTheDefaults) {
    std::string error;
    auto cfg = load_config(MDG_TEST_DATA_DIR "/../../packaging/mdgate.toml", error);
    ASSERT_TRUE(cfg) << error;
    EXPECT_EQ(*cfg, default_config());
}

TEST(ConfigTest, AFullFileRoundTrips) {
    auto original = everything_changed();
    std::string error;
    ASSERT_TRUE(validate(original, error)) << error;
    const auto text = to_toml(original, secrets::include);
    auto back = parse(text, error);
    ASSERT_TRUE(back) << error << "\n" << text;
    EXPECT_EQ(*back, original) << text;
    EXPECT_EQ(to_toml(*back, secrets::include), text);
}

TEST(ConfigTest, TheDefaultsRoundTrip) {
    std::string error;
    auto back = parse(to_toml(default_config()), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, default_config());
}

TEST(ConfigTest, TheRestAndBackfillTablesReadBack) {
    std::string error;
    auto cfg = parse(R"(
[rest]
enabled = false
ip_limit = 1000
ip_window = "10s"
max_connections = 8
connect_timeout = "3s"
request_timeout = "20s"
max_limiter_wait = 0        # a bare 0: never wait, fail at once

[backfill]
enabled = false
kline_default = 0
open_interest = 8640
trades = 60
retry_base = "500ms"
retry_cap = "1h"

[backfill.klines]
"1" = 1440
5 = 0                       # a bare key is the same interval
"30" = 100
"240" = 50
"D" = 30
)",
                     error);
    ASSERT_TRUE(cfg) << error;
    const auto expected = everything_changed();
    EXPECT_EQ(cfg->rest, expected.rest);
    EXPECT_EQ(cfg->backfill, expected.backfill);
    const auto text = to_toml(*cfg);
    EXPECT_NE(text.find("\n[rest]\nenabled = false\nip_limit = 1000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("retry_cap = \"1h\"\n\n[backfill.klines]\n\"1\" = 1440\n\"5\" = 0\n"),
              std::string::npos)
        << text;
    auto back = parse(text, error);
    ASSERT_TRUE(back) << error << "\n" << text;
    EXPECT_EQ(*back, *cfg);
}

TEST(ConfigTest, TheSelectTableReadsBackAndRoundTrips) {
    std::string error;
    auto cfg = parse(R"(
[select]
top = 15
by = "volume24h"
exclude = ["USDCUSDT", "USTCUSDT"]
min_turnover = 10000000
)",
                     error);
    ASSERT_TRUE(cfg) << error;
    const gateway_config::select_t expected{15, "volume24h", {"USDCUSDT", "USTCUSDT"}, 10'000'000};
    EXPECT_EQ(cfg->select, expected);
    EXPECT_EQ(cfg->symbols, default_symbols()); // kept, though not used
    const auto text = to_toml(*cfg);
    EXPECT_NE(text.find("\n[select]\ntop = 15\nby = \"volume24h\"\nexclude = [\n    "
                        "\"USDCUSDT\", \"USTCUSDT\",\n]\nmin_turnover = 10000000\n"),
              std::string::npos)
        << text;
    auto back = parse(text, error);
    ASSERT_TRUE(back) << error << "\n" << text;
    EXPECT_EQ(*back, *cfg);
    EXPECT_NE(to_toml(default_config())
                  .find("\n[select]\ntop = 0\nby = \"turnover24h\"\n"
                        "exclude = []\nmin_turnover = 0\n"),
              std::string::npos);
}

TEST(ConfigTest, WithTopTheSymbolListIsNotUsed) {
    // Overrides of symbols that may be selected; venue.symbols neither lists them nor needs to
    // be valid: it is kept as it is.
    std::string error;
    auto cfg = parse(R"(
[venue]
symbols = []

[select]
top = 20

[symbols.PEPEUSDT]
orderbook_depths = [200]
)",
                     error);
    ASSERT_TRUE(cfg) << error;
    EXPECT_TRUE(cfg->symbols.empty());
    EXPECT_EQ(cfg->symbol_topics.at("PEPEUSDT").orderbook_depths,
              (std::vector<std::uint16_t>{200}));
    auto back = parse(to_toml(*cfg), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, *cfg);
    // top = 0 again: the list is used, and the override must name a listed symbol.
    cfg->select.top = 0;
    cfg->symbols = {"BTCUSDT"};
    EXPECT_FALSE(validate(*cfg, error));
    EXPECT_EQ(error, "[symbols] entry 'PEPEUSDT' is not in 'venue.symbols'");
}

TEST(ConfigTest, TheLargestTopFitsTheDefaultConnections) {
    // 500 made-up symbols x 5 topics stand for the ones chosen at start in the plan.
    auto cfg = default_config();
    cfg.select.top = 500;
    std::string error;
    EXPECT_TRUE(validate(cfg, error)) << error;
    cfg.connections.max_topics_per_connection = 4; // a symbol's 5 topics fit nowhere
    EXPECT_FALSE(validate(cfg, error));
    EXPECT_EQ(error.rfind("the topics do not fit on connections: ", 0), 0U) << error;
}

TEST(ConfigTest, TopAndByOverridesSetTheSelectTable) {
    auto cfg = default_config();
    cfg.symbol_topics["ETHUSDT"].orderbook_depths = {200};
    overrides o;
    o.top = 15;
    o.by = "volume24h";
    std::string error;
    ASSERT_TRUE(apply_overrides(cfg, o, error)) << error;
    EXPECT_EQ(cfg.select.top, 15U);
    EXPECT_EQ(cfg.select.by, "volume24h");
    EXPECT_EQ(cfg.symbols, default_symbols());    // kept
    cfg.symbol_topics["PEPEUSDT"].trades = false; // may be selected: accepted
    ASSERT_TRUE(validate(cfg, error)) << error;

    // --top 0: the list again; overrides of unlisted symbols go, as with --symbols.
    overrides zero;
    zero.top = 0;
    ASSERT_TRUE(apply_overrides(cfg, zero, error)) << error;
    EXPECT_EQ(cfg.select.top, 0U);
    EXPECT_EQ(cfg.symbol_topics.count("PEPEUSDT"), 0U);
    EXPECT_EQ(cfg.symbol_topics.count("ETHUSDT"), 1U);

    // --symbols over a file's [select]: the list given wins.
    cfg.select.top = 15;
    overrides symbols;
    symbols.symbols = std::vector<std::string>{"BTCUSDT"};
    ASSERT_TRUE(apply_overrides(cfg, symbols, error)) << error;
    EXPECT_EQ(cfg.select.top, 0U);
    EXPECT_EQ(cfg.symbols, std::vector<std::string>{"BTCUSDT"});
}

TEST(ConfigTest, BackfillKlinesReplaceOnlyTheIntervalsGiven) {
    std::string error;
    auto inline_table = parse("[backfill]\nklines = { \"5\" = 100, \"60\" = 48 }\n", error);
    ASSERT_TRUE(inline_table) << error;
    const std::map<kline_interval, std::size_t> merged{{kline_interval::m1, 1000},
                                                       {kline_interval::m5, 100},
                                                       {kline_interval::m30, 200},
                                                       {kline_interval::h1, 48},
                                                       {kline_interval::h4, 200}};
    EXPECT_EQ(inline_table->backfill.klines, merged);
    auto sub_table = parse("[backfill.klines]\n\"5\" = 100\n\"60\" = 48\n", error);
    ASSERT_TRUE(sub_table) << error;
    EXPECT_EQ(*sub_table, *inline_table);
    EXPECT_TRUE(sub_table->backfill.enabled); // [backfill] itself keeps its defaults
    EXPECT_EQ(sub_table->backfill.kline_default, 200U);
}

TEST(ConfigTest, ValidateGivesMissingDefaultIntervalsTheKlineDefault) {
    // Built in code without the defaults' intervals: the same counts as before, written out,
    // so that the printed file reads back equal.
    auto cfg = default_config();
    cfg.backfill.klines = {{kline_interval::h1, 24}};
    cfg.backfill.kline_default = 10;
    std::string error;
    ASSERT_TRUE(validate(cfg, error)) << error;
    const std::map<kline_interval, std::size_t> filled{{kline_interval::m1, 10},
                                                       {kline_interval::m5, 10},
                                                       {kline_interval::m30, 10},
                                                       {kline_interval::h1, 24},
                                                       {kline_interval::h4, 10}};
    EXPECT_EQ(cfg.backfill.klines, filled);
    auto back = parse(to_toml(cfg), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(*back, cfg);
}

TEST(ConfigTest, PrintingRedactsTheBearerToken) {
    auto cfg = default_config();
    cfg.http.bearer_token = "s3cr3t";
    const auto text = to_toml(cfg);
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos);
    EXPECT_NE(text.find("# bearer_token is set"), std::string::npos);
    EXPECT_NE(to_toml(cfg, secrets::include).find("bearer_token = \"s3cr3t\""), std::string::npos);
}

TEST(ConfigTest, ASymbolOverrideStartsFromTheTopicsTable) {
    std::string error;
    auto cfg = parse(R"(
[venue]
symbols = ["BTCUSDT", "ETHUSDT"]

[topics]
klines = ["1", "5"]

[symbols.BTCUSDT]
orderbook_depths = [1, 200]
trades = false
)",
                     error);
    ASSERT_TRUE(cfg) << error;
    const auto& btc = topics_for(*cfg, "BTCUSDT");
    EXPECT_EQ(btc.klines, (std::vector{kline_interval::m1, kline_interval::m5}));
    EXPECT_EQ(btc.orderbook_depths, (std::vector<std::uint16_t>{1, 200}));
    EXPECT_FALSE(btc.trades);
    EXPECT_TRUE(btc.liquidations);
    EXPECT_EQ(&topics_for(*cfg, "ETHUSDT"), &cfg->topics);
    const std::vector<std::string> expected{
        "tickers.BTCUSDT",      "kline.1.BTCUSDT",       "kline.5.BTCUSDT",
        "orderbook.1.BTCUSDT",  "orderbook.200.BTCUSDT", "allLiquidation.BTCUSDT",
        "tickers.ETHUSDT",      "kline.1.ETHUSDT",       "kline.5.ETHUSDT",
        "orderbook.50.ETHUSDT", "publicTrade.ETHUSDT",   "allLiquidation.ETHUSDT"};
    EXPECT_EQ(topics_of(*cfg), expected);
}

TEST(ConfigTest, TopicsOfSkipsDisabledChannelsAndKeepsTheOldOrder) {
    auto cfg = default_config();
    cfg.symbols = {"SOLUSDT"};
    cfg.topics.tickers = false;
    cfg.topics.klines = {kline_interval::h4, kline_interval::m1};
    cfg.topics.orderbook_depths = {1000, 1};
    cfg.topics.liquidations = false;
    const std::vector<std::string> expected{"kline.240.SOLUSDT", "kline.1.SOLUSDT",
                                            "orderbook.1000.SOLUSDT", "orderbook.1.SOLUSDT",
                                            "publicTrade.SOLUSDT"};
    EXPECT_EQ(topics_of(cfg), expected);
}

TEST(ConfigTest, ValuesInEveryAcceptedSpelling) {
    std::string error;
    auto cfg = parse(R"(
[venue]
category = "inverse"
symbols = ["BTCUSD"]
[topics]
klines = [1, "60", "D"]     # integers read as the venue's spelling
liquidations = true
[connections]
ping_interval = "15000ms"
receive_timeout = "1h"
backoff_cap = "2m"
[freshness]
trades = 0                  # a bare 0 is allowed here: never stale
liquidations = "0s"
orderbook = "250ms"
)",
                     error);
    ASSERT_TRUE(cfg) << error;
    EXPECT_EQ(cfg->venue.ws_url, "wss://stream.bybit.com/v5/public/inverse");
    EXPECT_EQ(cfg->topics.klines,
              (std::vector{kline_interval::m1, kline_interval::h1, kline_interval::d1}));
    EXPECT_EQ(cfg->connections.ping_interval, 15s);
    EXPECT_EQ(cfg->connections.receive_timeout, 1h);
    EXPECT_EQ(cfg->connections.backoff_cap, 2min);
    EXPECT_EQ(cfg->freshness.trades, 0ms);
    EXPECT_EQ(cfg->freshness.liquidations, 0ms);
    EXPECT_EQ(cfg->freshness.orderbook, 250ms);
}

TEST(ConfigTest, ValidateFillsTheWsUrlOfTheCategory) {
    gateway_config cfg;
    cfg.venue.category = category::spot;
    cfg.topics.liquidations = false;
    std::string error;
    ASSERT_TRUE(validate(cfg, error)) << error;
    EXPECT_EQ(cfg.venue.ws_url, "wss://stream.bybit.com/v5/public/spot");
}

TEST(ConfigTest, ValidateNamesTheKeyWithoutALocation) {
    auto cfg = default_config();
    cfg.dispatch.shards = 0;
    std::string error;
    EXPECT_FALSE(validate(cfg, error));
    EXPECT_EQ(error, "'dispatch.shards' must be between 1 and 64");
    auto counts = default_config();
    counts.backfill.klines[kline_interval::h1] = 2000;
    EXPECT_FALSE(validate(counts, error));
    EXPECT_EQ(error, "'backfill.klines.60' must be between 0 and 1440 (0 = none)");
}

TEST(ConfigTest, OverridesReplaceValuesAndMoveTheDerivedUrl) {
    auto cfg = default_config();
    cfg.symbol_topics["ETHUSDT"].orderbook_depths = {200};
    cfg.symbol_topics["BTCUSDT"].orderbook_depths = {1};
    overrides o;
    o.category = category::inverse;
    o.symbols = std::vector<std::string>{"BTCUSD", "BTCUSDT"};
    o.rest_url = "http://127.0.0.1:9000";
    o.listen = "0.0.0.0:0";
    o.log_level = "debug";
    o.log_format = "json";
    o.log_target = "journald";
    std::string error;
    ASSERT_TRUE(apply_overrides(cfg, o, error)) << error;
    EXPECT_EQ(cfg.venue.category, category::inverse);
    EXPECT_EQ(cfg.venue.ws_url, "wss://stream.bybit.com/v5/public/inverse");
    EXPECT_EQ(cfg.symbols, (std::vector<std::string>{"BTCUSD", "BTCUSDT"}));
    EXPECT_EQ(cfg.symbol_topics.count("ETHUSDT"), 0U); // no longer listed: dropped
    EXPECT_EQ(cfg.symbol_topics.count("BTCUSDT"), 1U);
    EXPECT_EQ(cfg.venue.rest_url, "http://127.0.0.1:9000");
    EXPECT_EQ(cfg.http.listen, "0.0.0.0:0");
    EXPECT_EQ(cfg.log.level, "debug");
    EXPECT_EQ(cfg.log.format, "json");
    EXPECT_EQ(cfg.log.target, "journald");
}

TEST(ConfigTest, OverridesKeepACustomUrlAndTheTestnetHost) {
    auto custom = default_config();
    custom.venue.ws_url = "ws://127.0.0.1:9000/v5/public/linear";
    overrides o;
    o.category = category::inverse;
    std::string error;
    ASSERT_TRUE(apply_overrides(custom, o, error)) << error;
    EXPECT_EQ(custom.venue.ws_url, "ws://127.0.0.1:9000/v5/public/linear");

    auto testnet = default_config();
    testnet.venue.ws_url = "wss://stream-testnet.bybit.com/v5/public/linear";
    ASSERT_TRUE(apply_overrides(testnet, o, error)) << error;
    EXPECT_EQ(testnet.venue.ws_url, "wss://stream-testnet.bybit.com/v5/public/inverse");

    auto explicit_url = default_config();
    overrides both;
    both.category = category::inverse;
    both.ws_url = "wss://stream.bybit.com/v5/public/linear";
    ASSERT_TRUE(apply_overrides(explicit_url, both, error)) << error;
    EXPECT_EQ(explicit_url.venue.ws_url, "wss://stream.bybit.com/v5/public/linear");
}

TEST(ConfigTest, OverrideErrorsNameTheOption) {
    const auto fails = [](overrides o) {
        auto cfg = default_config();
        std::string error;
        EXPECT_FALSE(apply_overrides(cfg, o, error));
        return error;
    };
    overrides listen;
    listen.listen = "::1:8080";
    EXPECT_EQ(fails(listen), "--listen: 'http.listen': '::1:8080' is not a listen address: an "
                             "IPv6 address needs brackets, e.g. [::1]:8080");
    overrides url;
    url.ws_url = "https://stream.bybit.com";
    EXPECT_EQ(fails(url), "--ws-url: 'venue.ws_url' must be a ws:// or wss:// URL, got "
                          "'https://stream.bybit.com'");
    overrides symbols;
    symbols.symbols = std::vector<std::string>{"BTCUSDT", "btcusdt"};
    EXPECT_EQ(fails(symbols), "--symbols: 'venue.symbols': 'btcusdt' is not a symbol (upper-case "
                              "letters and digits, e.g. BTCUSDT)");
    overrides spot;
    spot.category = category::spot;
    EXPECT_EQ(fails(spot), "--category: 'topics.liquidations' must be false on spot: "
                           "allLiquidation exists only on linear and inverse");
    overrides top;
    top.top = 501;
    EXPECT_EQ(fails(top), "--top: 'select.top' must be between 0 and 500 (0 = venue.symbols)");
    overrides by;
    by.by = "volume";
    EXPECT_EQ(fails(by), "--by: 'select.by' must be one of turnover24h, volume24h, got 'volume'");
    overrides both;
    both.top = 15;
    both.symbols = std::vector<std::string>{"BTCUSDT"};
    EXPECT_EQ(fails(both), "--top and --symbols are exclusive: --top chooses the symbols");
    overrides level;
    level.log_level = "verbose";
    EXPECT_EQ(fails(level), "--log-level: 'log.level' must be one of trace, debug, info, warn, "
                            "warning, error, critical, off, got 'verbose'");
}

TEST(ConfigTest, LoadConfigReportsAMissingFile) {
    std::string error;
    auto cfg = load_config("/nonexistent/mdgate.toml", error);
    EXPECT_FALSE(cfg);
    EXPECT_EQ(error, "/nonexistent/mdgate.toml: cannot open: No such file or directory");
}

TEST(ConfigTest, LoadConfigRefusesWhatIsNotARegularFile) {
    // A FIFO would block the reader forever; a directory or a device is no configuration.
    const auto fifo =
        std::filesystem::temp_directory_path() / ("mdg_config_fifo_" + std::to_string(::getpid()));
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const auto& path : {fifo.string(), std::string{"/dev/zero"}, std::string{"/tmp"}}) {
        std::string error;
        EXPECT_FALSE(load_config(path, error)) << path;
        EXPECT_EQ(error, path + ": not a regular file (a directory, FIFO or device is refused)");
    }
    std::filesystem::remove(fifo);
}

} // namespace
} // namespace mdg::cli
