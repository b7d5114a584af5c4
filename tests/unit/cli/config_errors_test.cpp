// Every way a configuration file can be wrong gives one line naming the file and line.
#include <fstream>
#include <iterator>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/config.hpp"

namespace mdg::cli {
namespace {

struct bad_file {
    std::string_view name;
    std::string_view toml;
    std::string_view error;
};

std::string error_of(std::string_view toml) {
    std::string error;
    auto cfg = parse_config(toml, "mdgate.toml", error);
    EXPECT_FALSE(cfg) << toml;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
}

const bad_file cases[] = {
    {"UnknownKeyWithSuggestion",
     "[connections]\nping_interval = \"20s\"\nrecieve_timeout = \"30s\"\n",
     "mdgate.toml:3: unknown key 'connections.recieve_timeout' (did you mean 'receive_timeout'?)"},
    {"UnknownKeyWithoutSuggestion", "[log]\ncolour = true\n",
     "mdgate.toml:2: unknown key 'log.colour'"},
    {"UnknownTable", "\n[conections]\nshards = 1\n",
     "mdgate.toml:2: unknown table 'conections' (did you mean 'connections'?)"},
    {"UnknownTopicKey", "[topics]\norderbook_depth = [50]\n",
     "mdgate.toml:2: unknown key 'topics.orderbook_depth' (did you mean 'orderbook_depths'?)"},
    {"UnknownKeyInASymbolTable", "[symbols.BTCUSDT]\ntrade = false\n",
     "mdgate.toml:2: unknown key 'symbols.BTCUSDT.trade' (did you mean 'trades'?)"},
    {"UnknownVenueKey", "[venue]\ntestnet = true\n", "mdgate.toml:2: unknown key 'venue.testnet'"},
    {"KeyOutsideItsTable", "ping_interval = \"20s\"\n",
     "mdgate.toml:1: unknown key 'ping_interval' (did you mean 'connections.ping_interval'?)"},
    {"SymbolListAtTheTopLevel", "symbols = [\"BTCUSDT\"]\n",
     "mdgate.toml:1: 'symbols' at the top level is the table of per-symbol topics "
     "([symbols.BTCUSDT]); put the list under [venue] as symbols = [...]"},
    {"TableWrittenAsAValue", "log = \"debug\"\n",
     "mdgate.toml:1: 'log' must be a table: write [log]"},
    {"IntegerOutOfRange", "# dispatch\n[dispatch]\nshards = 100\n",
     "mdgate.toml:3: 'dispatch.shards' must be between 1 and 64"},
    {"NegativeInteger", "[http]\nmax_connections = -1\n",
     "mdgate.toml:2: 'http.max_connections' must be between 1 and 65536"},
    {"IntegerAsString", "[dispatch]\nshards = \"2\"\n",
     "mdgate.toml:2: 'dispatch.shards' must be a whole number"},
    {"BooleanAsString", "[topics]\ntickers = \"yes\"\n",
     "mdgate.toml:2: 'topics.tickers' must be true or false"},
    {"StringAsNumber", "[log]\nlevel = 3\n", "mdgate.toml:2: 'log.level' must be a string"},
    {"BareNumberDuration", "[connections]\nping_interval = 20\n",
     "mdgate.toml:2: 'connections.ping_interval' must be a duration string such as \"20s\" (a "
     "whole number and a unit: 250ms, 20s, 5m, 1h), not a bare number"},
    {"NegativeDuration", "[probe]\ntotal_timeout = \"-5s\"\n",
     "mdgate.toml:2: 'probe.total_timeout' must not be negative"},
    {"FractionalDuration", "[connections]\npong_timeout = \"1.5s\"\n",
     "mdgate.toml:2: 'connections.pong_timeout' is not a duration: '1.5s' (a whole number and a "
     "unit: 250ms, 20s, 5m, 1h)"},
    {"DurationWithoutUnit", "[freshness]\nkline = \"90\"\n",
     "mdgate.toml:2: 'freshness.kline' is not a duration: '90' (a whole number and a unit: "
     "250ms, 20s, 5m, 1h)"},
    {"ZeroDurationWhereItMakesNoSense", "[connections]\n\nping_interval = \"0s\"\n",
     "mdgate.toml:3: 'connections.ping_interval' must be between 1s and 10m"},
    {"FreshnessTooLong", "[freshness]\norderbook = \"25h\"\n",
     "mdgate.toml:2: 'freshness.orderbook' must be between 0s and 24h (0s = never stale)"},
    {"BareNonZeroFreshness", "[freshness]\ntrades = 5\n",
     "mdgate.toml:2: 'freshness.trades' must be a duration string such as \"20s\" (a whole number "
     "and a unit: 250ms, 20s, 5m, 1h), not a bare number"},
    {"EmptySymbols", "[venue]\nsymbols = []\n", "mdgate.toml:2: 'venue.symbols' must not be empty"},
    {"LowerCaseSymbolOnItsOwnLine", "[venue]\nsymbols = [\n  \"BTCUSDT\",\n  \"ethusdt\",\n]\n",
     "mdgate.toml:4: 'venue.symbols': 'ethusdt' is not a symbol (upper-case letters and digits, "
     "e.g. BTCUSDT)"},
    {"SymbolWithPunctuation", "[venue]\nsymbols = [\"BTC/USDT\"]\n",
     "mdgate.toml:2: 'venue.symbols': 'BTC/USDT' is not a symbol (upper-case letters and digits, "
     "e.g. BTCUSDT)"},
    {"DuplicateSymbol", "[venue]\nsymbols = [\"BTCUSDT\",\n\"ETHUSDT\", \"BTCUSDT\"]\n",
     "mdgate.toml:3: 'venue.symbols' lists 'BTCUSDT' twice"},
    {"SymbolsNotStrings", "[venue]\nsymbols = [\"BTCUSDT\", 1]\n",
     "mdgate.toml:2: 'venue.symbols' must be an array of strings"},
    {"RetiredDepth", "[topics]\norderbook_depths = [50,\n 500]\n",
     "mdgate.toml:3: 'topics.orderbook_depths': depth 500 was retired by Bybit (2025-09-30) on "
     "linear; valid depths: 1, 50, 200, 1000"},
    {"DepthOfAnotherCategory", "[topics]\norderbook_depths = [25]\n",
     "mdgate.toml:2: 'topics.orderbook_depths': depth 25 is not served on linear; valid depths: "
     "1, 50, 200, 1000"},
    {"OptionDepthsOnOption",
     "[venue]\ncategory = \"option\"\nsymbols = [\"BTC-26DEC25-100000-C\"]\n[topics]\nklines = "
     "[]\nliquidations = false\norderbook_depths = [50]\n",
     "mdgate.toml:7: 'topics.orderbook_depths': depth 50 is not served on option; valid depths: "
     "25, 100"},
    {"DepthOutOfRange", "[topics]\norderbook_depths = [0]\n",
     "mdgate.toml:2: 'topics.orderbook_depths': depth 0 is out of range 1 to 1000"},
    {"DuplicateDepth", "[topics]\norderbook_depths = [50, 50]\n",
     "mdgate.toml:2: 'topics.orderbook_depths' lists depth 50 twice"},
    {"UnknownInterval", "[topics]\nklines = [\"2\"]\n",
     "mdgate.toml:2: 'topics.klines': '2' is not a Bybit kline interval (1 3 5 15 30 60 120 240 "
     "360 720 D W M)"},
    {"DuplicateInterval", "[topics]\nklines = [\"1\", 1]\n",
     "mdgate.toml:2: 'topics.klines' lists interval '1' twice"},
    {"NoTopicAtAll",
     "[venue]\nsymbols = [\"BTCUSDT\"]\n[symbols.BTCUSDT]\ntickers = false\nklines = "
     "[]\norderbook_depths = []\ntrades = false\nliquidations = false\n",
     "mdgate.toml:3: 'symbols.BTCUSDT' enables no topic"},
    {"OverrideOfAMalformedSymbol",
     "[venue]\nsymbols = [\"BTCUSDT\"]\n[symbols.btcusdt]\ntrades = false\n",
     "mdgate.toml:3: [symbols] entry 'btcusdt' is not a symbol (upper-case letters and digits, "
     "e.g. [symbols.BTCUSDT])"},
    {"OverrideOfAnUnlistedSymbol",
     "[venue]\nsymbols = [\"BTCUSDT\"]\n\n[symbols.ETHUSDT]\ntrades = false\n",
     "mdgate.toml:4: [symbols] entry 'ETHUSDT' is not in 'venue.symbols'"},
    {"OverrideOfAnUnlistedSymbolWithTopZero",
     "[venue]\nsymbols = [\"BTCUSDT\"]\n[select]\ntop = 0\n[symbols.ETHUSDT]\ntrades = false\n",
     "mdgate.toml:5: [symbols] entry 'ETHUSDT' is not in 'venue.symbols'"},
    {"UnknownSelectKeyWithSuggestion", "[select]\ntop = 15\nexcluded = [\"USDCUSDT\"]\n",
     "mdgate.toml:3: unknown key 'select.excluded' (did you mean 'exclude'?)"},
    {"SelectKeyOutsideItsTable", "top = 15\n",
     "mdgate.toml:1: unknown key 'top' (did you mean 'select.top'?)"},
    {"SelectWrittenAsAValue", "select = 15\n",
     "mdgate.toml:1: 'select' must be a table: write [select]"},
    {"SelectTopTooLarge", "[select]\ntop = 501\n",
     "mdgate.toml:2: 'select.top' must be between 0 and 500 (0 = venue.symbols)"},
    {"SelectTopNegative", "[select]\n\ntop = -1\n",
     "mdgate.toml:3: 'select.top' must be between 0 and 500 (0 = venue.symbols)"},
    {"SelectTopAsString", "[select]\ntop = \"15\"\n",
     "mdgate.toml:2: 'select.top' must be a whole number"},
    {"SelectTopFractional", "[select]\ntop = 1.5\n",
     "mdgate.toml:2: 'select.top' must be a whole number"},
    {"SelectUnknownBy", "[select]\ntop = 15\nby = \"volume\"\n",
     "mdgate.toml:3: 'select.by' must be one of turnover24h, volume24h, got 'volume'"},
    {"SelectByIsCaseSensitive", "[select]\nby = \"Turnover24h\"\n",
     "mdgate.toml:2: 'select.by' must be one of turnover24h, volume24h, got 'Turnover24h'"},
    {"SelectByNotAString", "[select]\nby = 1\n", "mdgate.toml:2: 'select.by' must be a string"},
    {"SelectExcludeNotAnArray", "[select]\nexclude = \"USDCUSDT\"\n",
     "mdgate.toml:2: 'select.exclude' must be an array of strings, e.g. [\"BTCUSDT\", "
     "\"ETHUSDT\"]"},
    {"SelectExcludeNotStrings", "[select]\nexclude = [\"USDCUSDT\", 1]\n",
     "mdgate.toml:2: 'select.exclude' must be an array of strings"},
    {"SelectExcludeLowerCaseOnItsOwnLine",
     "[select]\nexclude = [\n  \"USDCUSDT\",\n  \"ustcusdt\",\n]\n",
     "mdgate.toml:4: 'select.exclude': 'ustcusdt' is not a symbol (upper-case letters and digits, "
     "e.g. BTCUSDT)"},
    {"SelectExcludeEmptySymbol", "[select]\nexclude = [\"\"]\n",
     "mdgate.toml:2: 'select.exclude': '' is not a symbol (upper-case letters and digits, e.g. "
     "BTCUSDT)"},
    {"SelectExcludeDuplicate", "[select]\nexclude = [\"USDCUSDT\",\n\"USTCUSDT\", \"USDCUSDT\"]\n",
     "mdgate.toml:3: 'select.exclude' lists 'USDCUSDT' twice"},
    {"SelectMinTurnoverTooLarge", "[select]\nmin_turnover = 1000000000000001\n",
     "mdgate.toml:2: 'select.min_turnover' must be between 0 and 1000000000000000 (0 = no "
     "minimum)"},
    {"SelectMinTurnoverNegative", "[select]\nmin_turnover = -5\n",
     "mdgate.toml:2: 'select.min_turnover' must be between 0 and 1000000000000000 (0 = no "
     "minimum)"},
    {"SelectMinTurnoverAsFloat", "[select]\nmin_turnover = 1e7\n",
     "mdgate.toml:2: 'select.min_turnover' must be a whole number"},
    {"LiquidationsOnSpot", "[venue]\ncategory = \"spot\"\n",
     "mdgate.toml:2: 'topics.liquidations' must be false on spot: allLiquidation exists only on "
     "linear and inverse"},
    {"UnknownCategory", "[venue]\ncategory = \"futures\"\n",
     "mdgate.toml:2: 'venue.category' must be one of spot, linear, inverse, option, got 'futures'"},
    {"UnknownVenue", "[venue]\nname = \"binance\"\n",
     "mdgate.toml:2: 'venue.name' must be \"bybit\" (the only venue mdgate speaks), got 'binance'"},
    {"WsUrlWithHttpScheme", "[venue]\nws_url = \"https://stream.bybit.com/v5/public/linear\"\n",
     "mdgate.toml:2: 'venue.ws_url' must be a ws:// or wss:// URL, got "
     "'https://stream.bybit.com/v5/public/linear'"},
    {"WsUrlWithoutHost", "[venue]\nws_url = \"wss:///v5/public/linear\"\n",
     "mdgate.toml:2: 'venue.ws_url' must be a ws:// or wss:// URL with a host, got "
     "'wss:///v5/public/linear'"},
    {"RestUrlWithBadPort", "[venue]\nrest_url = \"https://api.bybit.com:99999\"\n",
     "mdgate.toml:2: 'venue.rest_url' must be a http:// or https:// URL with a port from 1 to "
     "65535, got 'https://api.bybit.com:99999'"},
    {"RestUrlWithAQuery", "[venue]\nrest_url = \"https://api.bybit.com/?x=1\"\n",
     "mdgate.toml:2: 'venue.rest_url': URL 'https://api.bybit.com/?x=1': user info, queries and "
     "fragments are not allowed"},
    {"MissingCaFile", "[venue]\nca_file = \"/nonexistent/ca.pem\"\n",
     "mdgate.toml:2: 'venue.ca_file': '/nonexistent/ca.pem' is not a readable file"},
    {"ListenWithoutPort", "[http]\nlisten = \"127.0.0.1\"\n",
     "mdgate.toml:2: 'http.listen': '127.0.0.1' is not a listen address: expected host:port, e.g. "
     "127.0.0.1:8080"},
    {"ListenOnAHostName", "[http]\nlisten = \"example.com:8080\"\n",
     "mdgate.toml:2: 'http.listen': 'example.com' is not an IP address (nor localhost); names "
     "are not resolved"},
    {"ListenOnANonAddress", "[http]\nlisten = \"999.1.1.1:8080\"\n",
     "mdgate.toml:2: 'http.listen': '999.1.1.1' is not an IP address (nor localhost); names "
     "are not resolved"},
    {"TokenWithSpaces", "[http]\nbearer_token = \"not a token\"\n",
     "mdgate.toml:2: 'http.bearer_token' must be at most 4096 printable ASCII characters without "
     "spaces"},
    {"UnknownLogFormat", "[log]\nformat = \"yaml\"\n",
     "mdgate.toml:2: 'log.format' must be one of text, json, got 'yaml'"},
    {"UnknownLogTarget", "[log]\ntarget = \"syslog\"\n",
     "mdgate.toml:2: 'log.target' must be one of stderr, journald, got 'syslog'"},
    {"ReceiveTimeoutBelowPingInterval", "[connections]\nreceive_timeout = \"15s\"\n",
     "mdgate.toml:2: 'connections.receive_timeout' (15s) must be longer than "
     "'connections.ping_interval' (20s): pongs are the only frames a quiet connection receives"},
    {"BackoffCapBelowBase", "[connections]\nbackoff_base = \"2m\"\nbackoff_cap = \"1m\"\n",
     "mdgate.toml:3: 'connections.backoff_cap' (1m) must not be below 'connections.backoff_base' "
     "(2m)"},
    {"RefusedRetryCapBelowBase", "[connections]\nrefused_retry_cap = \"2s\"\n",
     "mdgate.toml:2: 'connections.refused_retry_cap' (2s) must not be below "
     "'connections.refused_retry_base' (5s)"},
    {"SubscribeTimeoutTooShort", "[connections]\nsubscribe_timeout = \"10ms\"\n",
     "mdgate.toml:2: 'connections.subscribe_timeout' must be between 100ms and 10m"},
    {"ProbeTotalBelowConnect", "[probe]\nconnect_timeout = \"8s\"\ntotal_timeout = \"4s\"\n",
     "mdgate.toml:3: 'probe.total_timeout' (4s) must not be below 'probe.connect_timeout' (8s)"},
    {"FrameLimitTooSmall", "[connections]\nmax_frame_bytes = 1\n",
     "mdgate.toml:2: 'connections.max_frame_bytes' must be between 4096 and 67108864"},
    {"BudgetAboveTheVenueLimit", "[connections]\nconnect_budget = 501\n",
     "mdgate.toml:2: 'connections.connect_budget' must be between 1 and 500"},
    {"PollTooOften", "[poll]\naccount_ratio = \"2s\"\n",
     "mdgate.toml:2: 'poll.account_ratio' (2s) must be 0 (not polled) or at least 10s"},
    {"PollRowsAboveTheVenueLimit", "[poll]\nfunding_rows = 201\n",
     "mdgate.toml:2: 'poll.funding_rows' must be between 1 and 200"},
    {"UnknownRestKeyWithSuggestion", "[rest]\nip_limt = 100\n",
     "mdgate.toml:2: unknown key 'rest.ip_limt' (did you mean 'ip_limit'?)"},
    {"RestKeyOutsideItsTable", "ip_window = \"5s\"\n",
     "mdgate.toml:1: unknown key 'ip_window' (did you mean 'rest.ip_window'?)"},
    {"RestIpLimitOutOfRange", "[rest]\nip_limit = 0\n",
     "mdgate.toml:2: 'rest.ip_limit' must be between 1 and 100000"},
    {"RestIpWindowTooShort", "[rest]\nip_window = \"50ms\"\n",
     "mdgate.toml:2: 'rest.ip_window' must be between 100ms and 1m"},
    {"RestLimiterWaitTooLong", "[rest]\nmax_limiter_wait = \"2h\"\n",
     "mdgate.toml:2: 'rest.max_limiter_wait' must be between 0s and 1h (0s = never wait)"},
    {"UnknownBackfillKeyWithSuggestion", "[backfill]\nkline = { \"1\" = 10 }\n",
     "mdgate.toml:2: unknown key 'backfill.kline' (did you mean 'klines'?)"},
    {"BackfillOpenInterestOutOfRange", "[backfill]\nopen_interest = 8641\n",
     "mdgate.toml:2: 'backfill.open_interest' must be between 0 and 8640 (0 = none)"},
    {"BackfillKlinesNotATable", "[backfill]\nklines = 1000\n",
     "mdgate.toml:2: 'backfill.klines' must be a table of interval = count, e.g. { \"1\" = 1000, "
     "\"5\" = 300 }"},
    {"BackfillUnknownInterval", "[backfill.klines]\n\"1\" = 10\n\"7\" = 100\n",
     "mdgate.toml:3: 'backfill.klines.7' is not a kline interval: use one of 1, 3, 5, 15, 30, 60, "
     "120, 240, 360, 720, D, W, M"},
    {"BackfillKlineCountNotAWholeNumber", "[backfill]\nklines = { \"60\" = \"48\" }\n",
     "mdgate.toml:2: 'backfill.klines.60' must be a whole number"},
    {"BackfillKlineCountOutOfRange", "[backfill.klines]\n\n\"D\" = 1441\n",
     "mdgate.toml:3: 'backfill.klines.D' must be between 0 and 1440 (0 = none)"},
    {"BackfillNegativeKlineCount", "[backfill.klines]\n\"1\" = -1\n",
     "mdgate.toml:2: 'backfill.klines.1' must be between 0 and 1440 (0 = none)"},
    {"BackfillRetryCapBelowBase", "[backfill]\nretry_base = \"10m\"\nretry_cap = \"1m\"\n",
     "mdgate.toml:3: 'backfill.retry_cap' (1m) must not be below 'backfill.retry_base' (10m)"},
};

class ConfigErrorTest : public ::testing::TestWithParam<bad_file> {};

TEST_P(ConfigErrorTest, GivesOneLineNamingTheFileAndLine) {
    EXPECT_EQ(error_of(GetParam().toml), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigErrorTest, ::testing::ValuesIn(cases),
                         [](const auto& p) { return std::string{p.param.name}; });

TEST(ConfigErrorsTest, ACaFileWithoutCertificatesIsRefusedAsAtStart) {
    // A readable file that is no PEM bundle (/etc/passwd in the report): start would throw.
    const std::string file = MDG_TEST_DATA_DIR "/bybit/README.md";
    const auto error = error_of("[venue]\nca_file = \"" + file + "\"\n");
    EXPECT_EQ(
        error.rfind("mdgate.toml:2: 'venue.ca_file': '" + file + "' holds no PEM certificate", 0),
        0U)
        << error;
}

TEST(ConfigErrorsTest, SyntaxErrorsCarryTheParsersLineAndColumn) {
    const auto unquoted = error_of("[venue]\ncategory = linear\n");
    EXPECT_THAT(unquoted, ::testing::StartsWith("mdgate.toml:2:12: ")) << unquoted;
    const auto unclosed = error_of("[venue]\ncategory = \"linear\"\nsymbols = [\"BTCUSDT\"\n");
    EXPECT_THAT(unclosed, ::testing::StartsWith("mdgate.toml:3:22: ")) << unclosed;
}

TEST(ConfigErrorsTest, DuplicateKeysAreSyntaxErrors) {
    const auto error = error_of("[log]\nlevel = \"info\"\nlevel = \"debug\"\n");
    EXPECT_THAT(error, ::testing::StartsWith("mdgate.toml:3:")) << error;
}

TEST(ConfigErrorsTest, TopicsThatCannotBePackedNameTheConnectionKeys) {
    const auto error = error_of("[connections]\nmax_topics_per_connection = 3\n");
    EXPECT_THAT(error, ::testing::StartsWith("mdgate.toml:2: the topics do not fit on "
                                             "connections: "))
        << error;
}

TEST(ConfigErrorsTest, ATopThatCannotBePackedIsRefused) {
    // The made-up symbols that stand for the selection do not fit 3 topics a connection.
    const auto error =
        error_of("[select]\ntop = 15\n[connections]\nmax_topics_per_connection = 3\n");
    EXPECT_THAT(error, ::testing::StartsWith("mdgate.toml:4: the topics do not fit on "
                                             "connections: "))
        << error;
}

TEST(ConfigErrorsTest, WithTopTheSymbolListIsNotChecked) {
    std::string error;
    auto cfg = parse_config("[venue]\nsymbols = [\"btcusdt\", \"btcusdt\"]\n[select]\ntop = 5\n"
                            "[symbols.ETHUSDT]\ntrades = false\n",
                            "mdgate.toml", error);
    ASSERT_TRUE(cfg) << error;
    EXPECT_EQ(cfg->symbols, (std::vector<std::string>{"btcusdt", "btcusdt"}));
}

TEST(ConfigErrorsTest, HostileBytesAreEscapedInErrors) {
    const auto error = error_of("[log]\nlevel = \"in\\u001bfo\\nx\"\n");
    EXPECT_EQ(error, "mdgate.toml:2: 'log.level' must be one of trace, debug, info, warn, "
                     "warning, error, critical, off, got 'in\\x1bfo\\x0ax'");
}

TEST(ConfigErrorsTest, InvalidUtf8IsASyntaxErrorNotACrash) {
    const std::string text = "[log]\nlevel = \"\xff\xfe\"\n";
    const auto error = error_of(text);
    EXPECT_THAT(error, ::testing::StartsWith("mdgate.toml:2:")) << error;
}

TEST(ConfigErrorsTest, DamagedFilesGiveAnErrorOrAConfigNeverACrash) {
    std::ifstream in{MDG_TEST_DATA_DIR "/../../packaging/mdgate.toml", std::ios::binary};
    const std::string file{std::istreambuf_iterator<char>{in}, {}};
    ASSERT_GT(file.size(), 1000U);
    std::mt19937 rng{42}; // fixed seed: the same damage on every run
    std::size_t errors = 0;
    for (std::size_t i = 0; i < 400; ++i) {
        auto text = file;
        if (i % 2 == 0) {
            text.resize(rng() % file.size()); // cut short
        } else {
            for (int flips = 0; flips < 3; ++flips) {
                text[rng() % text.size()] = static_cast<char>(rng() % 256);
            }
        }
        std::string error;
        if (!parse_config(text, "mdgate.toml", error)) {
            ++errors;
            EXPECT_EQ(error.find('\n'), std::string::npos) << error;
            EXPECT_EQ(error.rfind("mdgate.toml", 0), 0U) << error;
        }
    }
    EXPECT_GT(errors, 100U);
}

} // namespace
} // namespace mdg::cli
