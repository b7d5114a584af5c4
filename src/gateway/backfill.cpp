#include "gateway/backfill.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "exchange/bybit/rest_parse.hpp"

namespace mdg::gateway {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kline_path = "/v5/market/kline";
constexpr std::string_view oi_path = "/v5/market/open-interest";
constexpr std::string_view trade_path = "/v5/market/recent-trade";
/// Bybit's largest `limit`: 1000 candles, 200 open-interest buckets per request.
constexpr std::size_t kline_page = exchange::bybit::max_rest_rows;
constexpr std::size_t oi_page = 200;
/// The most recent trades Bybit returns: 1000, spot 60.
constexpr std::size_t max_recent_trades = 1000;
constexpr std::size_t max_recent_trades_spot = 60;
/// How long a batch waits for room in a full shard queue before it is offered again.
constexpr auto sink_retry = 50ms;

[[nodiscard]] double secs(steady::duration d) noexcept {
    return std::chrono::duration<double>(d).count();
}

// A cursor as the venue gave it, safe in a query string: unreserved characters and '%' (Bybit's
// cursors come percent-encoded already) pass, anything else is percent-encoded.
[[nodiscard]] std::string query_safe(std::string_view s) {
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((std::isalnum(u) != 0) || c == '-' || c == '_' || c == '.' || c == '~' || c == '%') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", u);
        }
    }
    return out;
}

} // namespace

std::string_view to_string(backfill_job::kind k) noexcept {
    switch (k) {
    case backfill_job::kind::klines:
        return "klines";
    case backfill_job::kind::open_interest:
        return "open_interest";
    case backfill_job::kind::trades:
        return "trades";
    }
    return "?";
}

std::vector<backfill_job> plan_backfill(model::category cat,
                                        std::span<const backfill_plan_input> subs,
                                        const backfill_depths& depths) {
    std::vector<backfill_job> jobs;
    if (cat == model::category::option) {
        return jobs; // Bybit has no kline or open-interest history for options
    }
    for (const auto& s : subs) {
        for (const auto iv : s.intervals) {
            if (const auto n = depths.klines ? depths.klines(iv) : 0; n > 0) {
                jobs.push_back({backfill_job::kind::klines, s.instrument, iv, n});
            }
        }
        if (s.tickers && depths.open_interest > 0 && cat != model::category::spot) {
            jobs.push_back({backfill_job::kind::open_interest, s.instrument,
                            model::kline_interval::m1, depths.open_interest});
        }
        if (s.trades && depths.trades > 0) {
            const auto most =
                cat == model::category::spot ? max_recent_trades_spot : max_recent_trades;
            jobs.push_back({backfill_job::kind::trades, s.instrument, model::kline_interval::m1,
                            std::min(depths.trades, most)});
        }
    }
    return jobs;
}

struct backfill::impl : std::enable_shared_from_this<backfill::impl> {
    impl(asio::any_io_executor e, net::rest_client& c, const model::instrument_registry& r,
         history_sink& s, backfill_options o)
        : ex(std::move(e)), client(c), registry(r), sink(s), opts(std::move(o)) {
        for (const auto& j : opts.jobs) {
            backfill_job_status st;
            st.job = j;
            status.push_back(std::move(st));
            timers.push_back(std::make_unique<asio::steady_timer>(ex));
        }
    }

    asio::any_io_executor ex;
    net::rest_client& client;                   // outlives: the backfill
    const model::instrument_registry& registry; // outlives: the backfill
    history_sink& sink;                         // outlives: the backfill
    backfill_options opts;
    std::vector<backfill_job_status> status; // one per job
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    backfill_totals sums;
    steady::time_point started_at{};
    bool stopped = false;
    bool announced = false; // the "complete" line was written

    [[nodiscard]] std::string name(const backfill_job& j) const {
        const auto& sym = registry.info(j.instrument).symbol;
        switch (j.what) {
        case backfill_job::kind::klines:
            return fmt::format("kline.{}.{}", model::to_string(j.interval), sym);
        case backfill_job::kind::open_interest:
            return fmt::format("open-interest.5min.{}", sym);
        case backfill_job::kind::trades:
            return fmt::format("recent-trade.{}", sym);
        }
        return sym;
    }

    // Waits `d` on job i's timer; false when stopped meanwhile.
    asio::awaitable<bool> wait(std::size_t i, steady::duration d) {
        auto& t = *timers[i];
        t.expires_after(d);
        (void)co_await t.async_wait(use_tuple);
        co_return !stopped;
    }

    // One GET; the body on success, else nullopt with `why` set.
    asio::awaitable<std::optional<std::string>> fetch(std::string_view path, std::string query,
                                                      std::string& why) {
        auto r = co_await client.get(path, query, net::rest_priority::bulk);
        if (!r.ok()) {
            why = r.reason.empty() ? std::string{net::to_string(r.outcome)} : r.reason;
            co_return std::nullopt;
        }
        co_return std::move(r.body);
    }

    // The candles of job j, oldest first (fewer when the venue has less), or nullopt.
    asio::awaitable<std::optional<std::vector<model::kline>>> fetch_klines(const backfill_job& j,
                                                                           std::string& why) {
        const auto& info = registry.info(j.instrument);
        std::vector<model::kline> all;
        std::int64_t end_ms = -1;
        while (all.size() < j.count) {
            const auto limit = std::min(j.count - all.size(), kline_page);
            auto query = fmt::format("category={}&symbol={}&interval={}&limit={}",
                                     model::to_string(opts.cat), info.symbol,
                                     model::to_string(j.interval), limit);
            if (end_ms >= 0) {
                query += fmt::format("&end={}", end_ms);
            }
            auto body = co_await fetch(kline_path, std::move(query), why);
            if (!body) {
                co_return std::nullopt;
            }
            auto page =
                exchange::bybit::parse_rest_klines(*body, info.symbol, j.instrument, info.spec,
                                                   j.interval, core::default_clock().now(), why);
            if (!page) {
                why = fmt::format("{}: {}", kline_path, why);
                co_return std::nullopt;
            }
            auto& p = *page;
            if (p.empty()) {
                break; // no older history
            }
            if (!all.empty() && p.back().start.value >= all.front().start.value) {
                why = fmt::format("{}: a page older than `end` holds a candle at or after it",
                                  kline_path);
                co_return std::nullopt;
            }
            const bool last = p.size() < limit;
            all.insert(all.begin(), p.begin(), p.end());
            if (last) {
                break;
            }
            end_ms = all.front().start.value / 1'000'000 - 1;
        }
        co_return all;
    }

    // The open-interest buckets of job j, oldest first, or nullopt.
    asio::awaitable<std::optional<std::vector<model::open_interest_point>>>
    fetch_open_interest(const backfill_job& j, std::string& why) {
        const auto& info = registry.info(j.instrument);
        std::vector<model::open_interest_point> all;
        std::string cursor;
        while (all.size() < j.count) {
            const auto limit = std::min(j.count - all.size(), oi_page);
            auto query = fmt::format("category={}&symbol={}&intervalTime=5min&limit={}",
                                     model::to_string(opts.cat), info.symbol, limit);
            if (!cursor.empty()) {
                query += fmt::format("&cursor={}", query_safe(cursor));
            }
            auto body = co_await fetch(oi_path, std::move(query), why);
            if (!body) {
                co_return std::nullopt;
            }
            auto page = exchange::bybit::parse_rest_open_interest(*body, info.symbol, why);
            if (!page) {
                why = fmt::format("{}: {}", oi_path, why);
                co_return std::nullopt;
            }
            auto& p = page->points;
            if (p.empty()) {
                break;
            }
            if (p.size() > limit) {
                p.erase(p.begin(), p.end() - static_cast<std::ptrdiff_t>(limit)); // the newest
            }
            if (!all.empty() && p.back().ts.value >= all.front().ts.value) {
                why = fmt::format("{}: the next page holds a bucket at or after the last one",
                                  oi_path);
                co_return std::nullopt;
            }
            all.insert(all.begin(), p.begin(), p.end());
            cursor = std::move(page->next_cursor);
            if (cursor.empty()) {
                break;
            }
        }
        co_return all;
    }

    // The newest `count` trades of job j, oldest first, or nullopt.
    asio::awaitable<std::optional<std::vector<model::trade>>> fetch_trades(const backfill_job& j,
                                                                           std::string& why) {
        const auto& info = registry.info(j.instrument);
        auto body = co_await fetch(trade_path,
                                   fmt::format("category={}&symbol={}&limit={}",
                                               model::to_string(opts.cat), info.symbol, j.count),
                                   why);
        if (!body) {
            co_return std::nullopt;
        }
        auto trades = exchange::bybit::parse_rest_trades(
            *body, info.symbol, j.instrument, info.spec, core::default_clock().now(), why);
        if (!trades) {
            why = fmt::format("{}: {}", trade_path, why);
            co_return std::nullopt;
        }
        co_return std::move(*trades);
    }

    // Offers a batch to the state until it is taken, waiting while the shard queue is full;
    // false when stopped. (No co_await in a condition here: GCC 12 built a coroutine that
    // crashed from `!h || !co_await hand_over(...)`.)
    asio::awaitable<bool> hand_over(std::size_t i, std::function<bool()> offer) {
        while (!offer()) {
            const bool go_on = co_await wait(i, sink_retry);
            if (!go_on) {
                co_return false;
            }
        }
        co_return true;
    }

    // One attempt at job i: the rows handed to the state, or nullopt (`why` says why, or the
    // backfill was stopped).
    asio::awaitable<std::optional<std::size_t>> attempt(std::size_t i, std::string& why) {
        const auto& j = status[i].job;
        std::size_t rows = 0;
        std::function<bool()> offer;
        std::optional<std::vector<model::kline>> candles;
        std::optional<std::vector<model::open_interest_point>> buckets;
        std::optional<std::vector<model::trade>> trades;
        if (j.what == backfill_job::kind::trades) {
            trades = co_await fetch_trades(j, why);
            if (!trades) {
                co_return std::nullopt;
            }
            rows = trades->size();
            offer = [&] {
                return trades->empty() || sink.trade_history(*trades);
            };
        } else if (j.what == backfill_job::kind::klines) {
            candles = co_await fetch_klines(j, why);
            if (!candles) {
                co_return std::nullopt;
            }
            rows = candles->size();
            offer = [&] {
                return candles->empty() || sink.kline_history(*candles);
            };
        } else {
            buckets = co_await fetch_open_interest(j, why);
            if (!buckets) {
                co_return std::nullopt;
            }
            rows = buckets->size();
            offer = [&] {
                return buckets->empty() || sink.open_interest_history(j.instrument, *buckets);
            };
        }
        const bool handed = co_await hand_over(i, std::move(offer));
        if (!handed) {
            co_return std::nullopt;
        }
        co_return rows;
    }

    static asio::awaitable<void> run_job(std::shared_ptr<impl> self, std::size_t i) {
        auto& st = self->status[i];
        const auto k = static_cast<std::size_t>(st.job.what);
        auto delay = std::chrono::duration_cast<steady::duration>(self->opts.retry_base);
        const auto cap = std::chrono::duration_cast<steady::duration>(self->opts.retry_cap);
        while (!self->stopped) {
            ++st.attempts;
            std::string why;
            const auto rows = co_await self->attempt(i, why);
            if (self->stopped) {
                co_return;
            }
            if (rows) {
                ++self->sums.fetched[k];
                self->sums.rows[k] += *rows;
                self->finish(i, *rows);
                co_return;
            }
            ++self->sums.failed[k];
            ++st.failures;
            st.last_error = why;
            st.retry_at = steady::now() + delay;
            if (st.failures == 1) {
                const auto job = self->name(st.job);
                // One line a minute across the jobs (a venue down at start fails them all);
                // /v1/status lists each failing one.
                core::log_limited_event(
                    spdlog::level::warn, "gateway.backfill_failed",
                    {{"event", "backfill_failed"},
                     {"job", job},
                     {"reason", why},
                     {"retry_in_ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()}},
                    "Backfill of {} failed: {}; trying again in {:.1f} s (further "
                    "failures are counted in mdgate_backfill_fetches_total; /v1/status "
                    "lists every history still pending)",
                    job, why, secs(delay));
            }
            const bool go_on = co_await self->wait(i, delay);
            if (!go_on) {
                co_return;
            }
            st.retry_at = {};
            delay = std::min(delay * 2, cap);
        }
    }

    void finish(std::size_t i, std::size_t rows) {
        auto& st = status[i];
        st.done = true;
        st.rows = rows;
        st.finished_at = steady::now();
        ++sums.done;
        if (st.failures > 0) {
            core::log_limited_event(spdlog::level::info, "gateway.backfill_recovered",
                                    {{"event", "backfill_recovered"},
                                     {"job", name(st.job)},
                                     {"failures", st.failures},
                                     {"rows", rows}},
                                    "Backfill of {} succeeded after {} failed attempts: {} rows",
                                    name(st.job), st.failures, rows);
        }
        if (sums.done == status.size() && !announced) {
            announced = true;
            core::log_event(spdlog::level::info,
                            {{"event", "backfill_complete"},
                             {"jobs", status.size()},
                             {"candles", sums.rows[0]},
                             {"oi_buckets", sums.rows[1]},
                             {"trades", sums.rows[2]},
                             {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        steady::now() - started_at)
                                        .count()}},
                            "Backfill complete: {} histories, {} candles, {} open-interest "
                            "buckets and {} trades in {:.1f} s",
                            status.size(), sums.rows[0], sums.rows[1], sums.rows[2],
                            secs(steady::now() - started_at));
        }
    }
};

backfill::backfill(asio::any_io_executor ex, net::rest_client& client,
                   const model::instrument_registry& registry, history_sink& sink,
                   backfill_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), client, registry, sink, std::move(opts))) {
    impl_->sums.jobs = impl_->status.size();
}

backfill::~backfill() {
    stop();
}

void backfill::start() {
    impl_->started_at = steady::now();
    if (impl_->status.empty()) {
        return;
    }
    core::log_event(spdlog::level::info,
                    {{"event", "backfill_started"}, {"jobs", impl_->status.size()}},
                    "Backfill started: {} histories over REST", impl_->status.size());
    for (std::size_t i = 0; i < impl_->status.size(); ++i) {
        asio::co_spawn(impl_->ex, impl::run_job(impl_, i), asio::detached);
    }
}

void backfill::stop() {
    if (impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    for (auto& t : impl_->timers) {
        t->cancel();
    }
}

std::span<const backfill_job_status> backfill::jobs() const noexcept {
    return impl_->status;
}

backfill_totals backfill::totals() const noexcept {
    return impl_->sums;
}

bool backfill::complete() const noexcept {
    return impl_->sums.done == impl_->status.size();
}

} // namespace mdg::gateway
