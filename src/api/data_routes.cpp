#include "api/data_routes.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "api/encode.hpp"
#include "core/clock.hpp"
#include "core/json_writer.hpp"

namespace mdg::api {

namespace {

using core::json_writer;

constexpr std::string_view json_type = "application/json";

// An answer that is an error: the status and {"error":{"code","message"[,"state"]}}.
struct api_error {
    unsigned status = 400;
    std::string code;
    std::string message;
    std::string state; ///< book_not_live only
};

http::response error_response(const api_error& e) {
    json_writer j;
    j.begin_object();
    j.key("error");
    j.begin_object();
    j.field("code", e.code);
    j.field("message", e.message);
    if (!e.state.empty()) {
        j.field("state", e.state);
    }
    j.end_object();
    j.end_object();
    http::response r;
    r.status = e.status;
    r.content_type = std::string(json_type);
    r.body = j.take();
    return r;
}

http::response json_response(std::string body) {
    http::response r;
    r.content_type = std::string(json_type);
    r.body = std::move(body);
    return r;
}

// The query string as (name, value) pairs; not percent-decoded (no parameter of this API
// needs it: a value with '%' is simply invalid).
class query_params {
  public:
    explicit query_params(std::string_view q) {
        while (!q.empty()) {
            const auto amp = q.find('&');
            const auto part = q.substr(0, amp);
            q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
            if (part.empty()) {
                continue;
            }
            const auto eq = part.find('=');
            items_.emplace_back(part.substr(0, eq), eq == std::string_view::npos
                                                        ? std::string_view{}
                                                        : part.substr(eq + 1));
        }
    }

    // The first parameter not in `known`, if any.
    [[nodiscard]] std::optional<std::string_view>
    unknown(std::initializer_list<std::string_view> known) const {
        for (const auto& [k, v] : items_) {
            if (std::find(known.begin(), known.end(), k) == known.end()) {
                return k;
            }
        }
        return std::nullopt;
    }

    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const {
        for (const auto& [k, v] : items_) {
            if (k == name) {
                return v;
            }
        }
        return std::nullopt;
    }

    // An integer within [lo, hi], `def` when absent; an error otherwise.
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name, std::int64_t lo,
                                                      std::int64_t hi, std::int64_t def,
                                                      api_error& err) const {
        const auto v = get(name);
        if (!v) {
            return def;
        }
        std::int64_t out = 0;
        const auto* end = v->data() + v->size();
        const auto [p, ec] = std::from_chars(v->data(), end, out);
        if (v->empty() || ec != std::errc{} || p != end || out < lo || out > hi) {
            err = {400,
                   "bad_parameter",
                   fmt::format("{} must be an integer within {}..{}", name, lo, hi),
                   {}};
            return std::nullopt;
        }
        return out;
    }

    // allow_stale: absent, "0" or "false" is false; "", "1" or "true" is true.
    [[nodiscard]] std::optional<bool> flag(std::string_view name, api_error& err) const {
        const auto v = get(name);
        if (!v || *v == "0" || *v == "false") {
            return false;
        }
        if (v->empty() || *v == "1" || *v == "true") {
            return true;
        }
        err = {400, "bad_parameter", fmt::format("{} must be 1 or 0", name), {}};
        return std::nullopt;
    }

  private:
    std::vector<std::pair<std::string_view, std::string_view>> items_;
};

// The API: what every handler shares.
class data_api {
  public:
    data_api(const catalog& cat, const market_cache& cache, channel_status_fn channels,
             metrics::registry& reg, data_routes_options opts)
        : cat_(cat), cache_(cache), channels_(std::move(channels)), reg_(reg),
          opts_(std::move(opts)) {}

    static void register_routes(http::server& s, const std::shared_ptr<const data_api>& self);

  private:
    using instrument_handler = std::optional<std::string> (data_api::*)(const instrument_entry&,
                                                                        const query_params&,
                                                                        api_error&) const;

    http::response serve(std::string_view endpoint, const http::request& req,
                         std::string_view prefix, instrument_handler h,
                         std::initializer_list<std::string_view> known) const;
    http::response counted(std::string_view endpoint, http::response r) const;

    std::optional<std::string> market(const instrument_entry& e, const query_params& q,
                                      api_error& err) const;
    std::optional<std::string> book(const instrument_entry& e, const query_params& q,
                                    api_error& err) const;
    std::optional<std::string> ticker(const instrument_entry& e, const query_params& q,
                                      api_error& err) const;
    std::optional<std::string> trades(const instrument_entry& e, const query_params& q,
                                      api_error& err) const;
    std::optional<std::string> klines(const instrument_entry& e, const query_params& q,
                                      api_error& err) const;
    std::optional<std::string> liquidations(const instrument_entry& e, const query_params& q,
                                            api_error& err) const;
    std::optional<std::string> open_interest(const instrument_entry& e, const query_params& q,
                                             api_error& err) const;
    std::string instruments() const;

    // Pieces of the answers, written into an open object or array.
    void head(json_writer& j, const instrument_entry& e) const;
    bool write_book(json_writer& j, const instrument_entry& e, std::int64_t depth, bool allow_stale,
                    api_error& err) const;
    void write_ticker(json_writer& j, const instrument_entry& e, const instrument_data& d) const;
    void write_trades(json_writer& j, const instrument_entry& e, const instrument_data& d,
                      std::size_t limit) const;
    void write_kline_members(json_writer& j, const instrument_entry& e, const instrument_data& d,
                             std::size_t series, std::size_t limit) const;
    void write_liquidations(json_writer& j, const instrument_entry& e, const instrument_data& d,
                            std::int64_t since_us, std::size_t limit) const;
    void write_open_interest(json_writer& j, const instrument_data& d) const;
    static void write_venue_data(json_writer& j, const instrument_data& d,
                                 dispatch::venue_data::kind k, unix_nanos now);
    void write_channels(json_writer& j, const std::vector<channel_status>& all,
                        const instrument_entry& e) const;
    std::optional<std::size_t> kline_series(const instrument_entry& e, const query_params& q,
                                            api_error& err) const;

    const catalog& cat_;        // outlives: the server
    const market_cache& cache_; // outlives: the server
    channel_status_fn channels_;
    metrics::registry& reg_; // outlives: the server
    data_routes_options opts_;
};

constexpr std::int64_t max_book_depth = 1000;
constexpr std::int64_t default_book_depth = 50;
constexpr std::int64_t default_list_limit = 100;

http::response data_api::counted(std::string_view endpoint, http::response r) const {
    reg_.counter("mdgate_api_requests_total", "Data API requests, by endpoint and status",
                 {{"endpoint", std::string(endpoint)}, {"status", std::to_string(r.status)}})
        .inc();
    return r;
}

http::response data_api::serve(std::string_view endpoint, const http::request& req,
                               std::string_view prefix, instrument_handler h,
                               std::initializer_list<std::string_view> known) const {
    // {prefix}{category}/{symbol}, nothing after.
    const auto rest = req.path.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos ||
        slash + 1 == rest.size()) {
        return counted(endpoint, error_response({404,
                                                 "not_found",
                                                 fmt::format("no such path: expected {}"
                                                             "{{category}}/{{symbol}}",
                                                             prefix),
                                                 {}}));
    }
    const auto cat_text = rest.substr(0, slash);
    const auto symbol = rest.substr(slash + 1);
    const auto category = model::parse_category(cat_text);
    if (!category) {
        return counted(
            endpoint,
            error_response(
                {400, "bad_category", "category must be spot, linear, inverse or option", {}}));
    }
    const auto* e = cat_.find(*category, symbol);
    if (e == nullptr) {
        return counted(
            endpoint,
            error_response(
                {404, "unknown_instrument", "this gateway does not carry that instrument", {}}));
    }
    const query_params q(req.query);
    if (const auto bad = q.unknown(known)) {
        return counted(
            endpoint, error_response(
                          {400, "bad_parameter", fmt::format("unknown parameter '{}'", *bad), {}}));
    }
    api_error err;
    auto body = (this->*h)(*e, q, err);
    if (!body) {
        return counted(endpoint, error_response(err));
    }
    return counted(endpoint, json_response(std::move(*body)));
}

void data_api::head(json_writer& j, const instrument_entry& e) const {
    j.field("venue", model::to_string(e.venue));
    j.field("category", model::to_string(e.cat));
    j.field("symbol", e.symbol);
}

bool data_api::write_book(json_writer& j, const instrument_entry& e, std::int64_t depth,
                          bool allow_stale, api_error& err) const {
    if (e.book_depths.empty()) {
        err = {404, "not_found", "no book of this instrument is subscribed", {}};
        return false;
    }
    const auto want = static_cast<std::uint16_t>(depth);
    const auto source = catalog::source_depth(e, want).value_or(catalog::max_depth(e));
    const auto b = cache_.book(e.id, source);
    const auto state = b ? b->state : book::book_state::syncing;
    if (state != book::book_state::live && !allow_stale) {
        err = {503, "book_not_live",
               fmt::format("the book is {}; add allow_stale=1 to read it anyway",
                           book::to_string(state)),
               std::string(book::to_string(state))};
        return false;
    }
    j.begin_object();
    head(j, e);
    j.field("depth", std::min<std::size_t>(want, source));
    if (b) {
        write_book_fields(j, *b, want, e.spec);
    } else {
        write_empty_book_fields(j);
    }
    j.end_object();
    return true;
}

std::optional<std::string> data_api::book(const instrument_entry& e, const query_params& q,
                                          api_error& err) const {
    const auto depth = q.integer("depth", 1, max_book_depth, default_book_depth, err);
    const auto allow = depth ? q.flag("allow_stale", err) : std::nullopt;
    if (!depth || !allow) {
        return std::nullopt;
    }
    json_writer j;
    if (!write_book(j, e, *depth, *allow, err)) {
        return std::nullopt;
    }
    return j.take();
}

void data_api::write_ticker(json_writer& j, const instrument_entry& e,
                            const instrument_data& d) const {
    j.begin_object();
    head(j, e);
    const auto& t = d.ticker;
    j.field("state", d.ticker_stale || t.stale() ? "stale" : "live");
    j.field("source", dispatch::to_string(d.ticker_source));
    j.field(
        "age_seconds",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - d.ticker_applied).count());
    j.field("cross_seq", d.ticker_cross_seq);
    j.field("ts_exchange", micros(t.ts_exchange()));
    j.field("ts_recv", micros(t.ts_recv()));
    write_ticker_fields(j, t.fields());
    j.end_object();
}

std::optional<std::string> data_api::ticker(const instrument_entry& e, const query_params& /*q*/,
                                            api_error& err) const {
    json_writer j;
    bool have = false;
    (void)cache_.read(e.id, [&](const instrument_data& d) {
        if (d.has_ticker) {
            have = true;
            write_ticker(j, e, d);
        }
    });
    if (!have) {
        err = {404, "not_found", "no ticker has arrived for this instrument yet", {}};
        return std::nullopt;
    }
    return j.take();
}

void data_api::write_trades(json_writer& j, const instrument_entry& e, const instrument_data& d,
                            std::size_t limit) const {
    j.begin_array();
    const auto n = std::min(limit, d.trades.size());
    for (std::size_t i = 0; i < n; ++i) {
        write_trade(j, d.trades.at(d.trades.size() - 1 - i), e.spec);
    }
    j.end_array();
}

std::optional<std::string> data_api::trades(const instrument_entry& e, const query_params& q,
                                            api_error& err) const {
    const auto limit = q.integer("limit", 1, 1000, default_list_limit, err);
    if (!limit) {
        return std::nullopt;
    }
    json_writer j;
    j.begin_object();
    head(j, e);
    (void)cache_.read(e.id, [&](const instrument_data& d) {
        j.field("state", d.trades.stale() ? "stale" : "live");
        j.key("trades");
        write_trades(j, e, d, static_cast<std::size_t>(*limit));
    });
    j.end_object();
    return j.take();
}

std::optional<std::size_t> data_api::kline_series(const instrument_entry& e, const query_params& q,
                                                  api_error& err) const {
    if (e.kline_intervals.empty()) {
        err = {404, "not_found", "no candles of this instrument are subscribed", {}};
        return std::nullopt;
    }
    const auto text = q.get("interval");
    if (!text) {
        return 0;
    }
    const auto iv = model::parse_kline_interval(*text);
    const auto it = iv ? std::find(e.kline_intervals.begin(), e.kline_intervals.end(), *iv)
                       : e.kline_intervals.end();
    if (!iv) {
        err = {400,
               "bad_parameter",
               "interval must be one of 1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W, M",
               {}};
        return std::nullopt;
    }
    if (it == e.kline_intervals.end()) {
        err = {404, "not_found", "candles of that interval are not subscribed", {}};
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - e.kline_intervals.begin());
}

// `interval` and `candles` (the newest `limit`, oldest first) into an open object.
void data_api::write_kline_members(json_writer& j, const instrument_entry& e,
                                   const instrument_data& d, std::size_t series,
                                   std::size_t limit) const {
    j.field("interval", model::to_string(e.kline_intervals[series]));
    j.key("candles");
    j.begin_array();
    const auto& s = d.klines[series];
    const auto n = std::min(limit, s.size());
    for (std::size_t i = s.size() - n; i < s.size(); ++i) {
        write_kline(j, s.at(i), e.spec);
    }
    j.end_array();
}

std::optional<std::string> data_api::klines(const instrument_entry& e, const query_params& q,
                                            api_error& err) const {
    const auto series = kline_series(e, q, err);
    const auto limit = series ? q.integer("limit", 1, 1440, 200, err) : std::nullopt;
    if (!series || !limit) {
        return std::nullopt;
    }
    json_writer j;
    j.begin_object();
    head(j, e);
    (void)cache_.read(e.id, [&](const instrument_data& d) {
        write_kline_members(j, e, d, *series, static_cast<std::size_t>(*limit));
    });
    j.end_object();
    return j.take();
}

void data_api::write_liquidations(json_writer& j, const instrument_entry& e,
                                  const instrument_data& d, std::int64_t since_us,
                                  std::size_t limit) const {
    j.begin_array();
    std::size_t n = 0;
    for (std::size_t i = d.liquidations.size(); i > 0 && n < limit; --i) {
        const auto& l = d.liquidations.at(i - 1);
        if (micros(l.ts_exchange) >= since_us) {
            write_liquidation(j, l, e.spec);
            ++n;
        }
    }
    j.end_array();
}

std::optional<std::string> data_api::liquidations(const instrument_entry& e, const query_params& q,
                                                  api_error& err) const {
    const auto since = q.integer("since", 0, std::numeric_limits<std::int64_t>::max(), 0, err);
    const auto limit = since ? q.integer("limit", 1, 10000, default_list_limit, err) : std::nullopt;
    if (!since || !limit) {
        return std::nullopt;
    }
    json_writer j;
    j.begin_object();
    head(j, e);
    j.key("liquidations");
    bool read = false;
    (void)cache_.read(e.id, [&](const instrument_data& d) {
        read = true;
        write_liquidations(j, e, d, *since, static_cast<std::size_t>(*limit));
    });
    if (!read) {
        j.begin_array();
        j.end_array();
    }
    j.end_object();
    return j.take();
}

void data_api::write_open_interest(json_writer& j, const instrument_data& d) const {
    const auto& t = d.ticker;
    j.field("value", [&]() -> std::optional<std::string> {
        if (const auto& v = t.open_interest_current()) {
            return canonical(*v);
        }
        return std::nullopt;
    }());
    j.field("ts_exchange", micros(t.open_interest_ts()));
    const auto width = t.oi_history().bucket_width();
    j.field("bucket_seconds", std::chrono::duration_cast<std::chrono::seconds>(width).count());
    j.key("history");
    j.begin_array();
    t.oi_history().for_each([&](const market::oi_sample& s) {
        j.begin_object();
        j.field("ts", micros(s.bucket_start));
        j.field("value", canonical(s.value));
        j.end_object();
    });
    j.end_array();
}

// `key`: the latest polled answer of kind `k` with its time and age, or null when none.
void data_api::write_venue_data(json_writer& j, const instrument_data& d,
                                dispatch::venue_data::kind k, unix_nanos now) {
    j.key(dispatch::to_string(k));
    const auto& v = d.venue[static_cast<std::size_t>(k)];
    if (!v) {
        j.null();
        return;
    }
    j.begin_object();
    j.field("fetched_at", micros(v->fetched_at));
    j.field("age_seconds",
            std::max(0.0, static_cast<double>(now.value - v->fetched_at.value) / 1e9));
    j.key("list");
    j.begin_array();
    for (const auto& f : v->funding) {
        j.begin_object();
        j.field("ts", micros(f.ts));
        j.field("rate", canonical(f.rate));
        j.end_object();
    }
    for (const auto& r : v->ratios) {
        j.begin_object();
        j.field("ts", micros(r.ts));
        j.field("buy_ratio", canonical(r.buy_ratio));
        j.field("sell_ratio", canonical(r.sell_ratio));
        j.end_object();
    }
    for (const auto& t : v->risk_limits) {
        j.begin_object();
        j.field("id", t.id);
        j.field("limit_value", canonical(t.limit_value));
        j.field("maintenance_margin", canonical(t.maintenance_margin));
        j.field("initial_margin", canonical(t.initial_margin));
        j.field("max_leverage", canonical(t.max_leverage));
        j.field("lowest", t.lowest);
        j.end_object();
    }
    j.end_array();
    j.end_object();
}

std::optional<std::string> data_api::open_interest(const instrument_entry& e,
                                                   const query_params& /*q*/,
                                                   api_error& /*err*/) const {
    json_writer j;
    j.begin_object();
    head(j, e);
    (void)cache_.read(e.id, [&](const instrument_data& d) { write_open_interest(j, d); });
    j.end_object();
    return j.take();
}

void data_api::write_channels(json_writer& j, const std::vector<channel_status>& all,
                              const instrument_entry& e) const {
    j.begin_array();
    for (const auto& c : all) {
        if (c.instrument != e.id) {
            continue;
        }
        j.begin_object();
        j.field("channel", c.channel);
        j.field("topic", c.topic);
        if (c.depth != 0) {
            j.field("depth", c.depth);
        }
        if (!c.interval.empty()) {
            j.field("interval", c.interval);
        }
        j.field("subscription", c.subscription);
        j.field("state", c.state);
        j.field("age_seconds", c.age_seconds);
        j.end_object();
    }
    j.end_array();
}

std::string data_api::instruments() const {
    const auto all = channels_ ? channels_() : std::vector<channel_status>{};
    json_writer j;
    j.begin_object();
    j.key("instruments");
    j.begin_array();
    for (const auto& e : cat_.entries()) {
        j.begin_object();
        head(j, e);
        j.key("channels");
        write_channels(j, all, e);
        j.end_object();
    }
    j.end_array();
    j.end_object();
    return j.take();
}

std::optional<std::string> data_api::market(const instrument_entry& e, const query_params& q,
                                            api_error& err) const {
    const auto depth = q.integer("depth", 1, max_book_depth, default_book_depth, err);
    const auto allow = depth ? q.flag("allow_stale", err) : std::nullopt;
    const auto trades_limit =
        allow ? q.integer("trades", 0, 1000, default_list_limit, err) : std::nullopt;
    const auto liq_limit =
        trades_limit ? q.integer("liquidations", 0, 10000, default_list_limit, err) : std::nullopt;
    std::optional<std::size_t> series = std::size_t{0};
    if (liq_limit && (!e.kline_intervals.empty() || q.get("interval"))) {
        series = kline_series(e, q, err);
    }
    const auto kline_limit =
        series && liq_limit ? q.integer("limit", 1, 1440, 200, err) : std::nullopt;
    if (!kline_limit) {
        return std::nullopt;
    }
    const auto all = channels_ ? channels_() : std::vector<channel_status>{};
    json_writer j;
    j.begin_object();
    head(j, e);
    j.field("ts_recv", micros(core::default_clock().now()));
    // The book first: one version, and a refusal when it is not live.
    j.key("book");
    if (e.book_depths.empty()) {
        j.null();
    } else if (!write_book(j, e, *depth, *allow, err)) {
        return std::nullopt;
    }
    (void)cache_.read(e.id, [&](const instrument_data& d) {
        j.key("ticker");
        if (d.has_ticker) {
            write_ticker(j, e, d);
        } else {
            j.null();
        }
        j.key("trades");
        write_trades(j, e, d, static_cast<std::size_t>(*trades_limit));
        j.field("trades_state", d.trades.stale() ? "stale" : "live");
        j.key("klines");
        if (e.kline_intervals.empty()) {
            j.null();
        } else {
            j.begin_object();
            write_kline_members(j, e, d, *series, static_cast<std::size_t>(*kline_limit));
            j.end_object();
        }
        j.key("open_interest");
        j.begin_object();
        write_open_interest(j, d);
        j.end_object();
        j.key("funding");
        j.begin_object();
        const auto& f = d.ticker.fields();
        auto exact = [&](model::ticker_field tf) -> std::optional<std::string> {
            if (!f.has(tf) || f.is_empty(tf)) {
                return std::nullopt;
            }
            return canonical(f.get(tf));
        };
        j.field("rate", exact(model::ticker_field::funding_rate));
        // The venue sends milliseconds; the API's unit is microseconds.
        if (const auto nft = f.get(model::ticker_field::next_funding_time).to_fixed(0);
            f.has(model::ticker_field::next_funding_time) &&
            !f.is_empty(model::ticker_field::next_funding_time) && nft) {
            j.field("next_funding_time", *nft * 1000);
        } else {
            j.key("next_funding_time");
            j.null();
        }
        j.field("interval_hours", exact(model::ticker_field::funding_interval_hour));
        j.end_object();
        const auto now = core::default_clock().now();
        for (const auto k :
             {dispatch::venue_data::kind::funding_history,
              dispatch::venue_data::kind::account_ratio, dispatch::venue_data::kind::risk_limits}) {
            write_venue_data(j, d, k, now);
        }
        j.key("liquidations");
        write_liquidations(j, e, d, 0, static_cast<std::size_t>(*liq_limit));
    });
    j.key("channels");
    write_channels(j, all, e);
    j.end_object();
    return j.take();
}

void data_api::register_routes(http::server& s, const std::shared_ptr<const data_api>& self) {
    s.route("/v1/instruments", [self](const http::request&) {
        return self->counted("instruments", json_response(self->instruments()));
    });
    s.route("/v1/openapi.json", [self](const http::request&) {
        return self->counted("openapi", json_response(std::string(self->opts_.openapi_json)));
    });
    struct entry {
        std::string_view endpoint;
        std::string_view prefix;
        instrument_handler h;
        std::initializer_list<std::string_view> known;
    };
    static const std::initializer_list<std::string_view> market_params{
        "depth", "allow_stale", "trades", "interval", "limit", "liquidations"};
    static const std::initializer_list<std::string_view> book_params{"depth", "allow_stale"};
    static const std::initializer_list<std::string_view> no_params{};
    static const std::initializer_list<std::string_view> limit_params{"limit"};
    static const std::initializer_list<std::string_view> kline_params{"interval", "limit"};
    static const std::initializer_list<std::string_view> liq_params{"since", "limit"};
    const entry all[] = {
        {"market", "/v1/market/", &data_api::market, market_params},
        {"book", "/v1/book/", &data_api::book, book_params},
        {"ticker", "/v1/ticker/", &data_api::ticker, no_params},
        {"trades", "/v1/trades/", &data_api::trades, limit_params},
        {"klines", "/v1/klines/", &data_api::klines, kline_params},
        {"liquidations", "/v1/liquidations/", &data_api::liquidations, liq_params},
        {"open_interest", "/v1/open-interest/", &data_api::open_interest, no_params},
    };
    // Any other /v1/ path: a JSON 404 like the rest of the API (exact routes and longer
    // prefixes win over this one).
    s.route_prefix("/v1/", [self](const http::request& req) {
        return self->counted(
            "other",
            error_response({404, "not_found", fmt::format("no such path: {}", req.path), {}}));
    });
    for (const auto& en : all) {
        s.route_prefix(std::string(en.prefix), [self, en](const http::request& req) {
            return self->serve(en.endpoint, req, en.prefix, en.h, en.known);
        });
    }
}

} // namespace

void register_data_routes(http::server& server, const catalog& cat, const market_cache& cache,
                          channel_status_fn channels, metrics::registry& reg,
                          data_routes_options opts) {
    // The handlers share one data_api, kept alive by the routes that capture it.
    data_api::register_routes(server, std::make_shared<const data_api>(
                                          cat, cache, std::move(channels), reg, std::move(opts)));
}

} // namespace mdg::api
