#include "gateway/rest_poller.hpp"

#include <algorithm>
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
using kind = dispatch::venue_data::kind;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// The first retry after a failed poll (doubling up to the job's interval).
constexpr std::chrono::milliseconds first_retry = 5s;

[[nodiscard]] std::string_view path_of(kind k) noexcept {
    switch (k) {
    case kind::funding_history:
        return "/v5/market/funding/history";
    case kind::account_ratio:
        return "/v5/market/account-ratio";
    case kind::risk_limits:
        return "/v5/market/risk-limit";
    }
    return "";
}

} // namespace

std::vector<poll_job> plan_polls(model::category cat,
                                 std::span<const model::instrument_id> instruments,
                                 const poll_settings& s) {
    std::vector<poll_job> jobs;
    if (cat != model::category::linear && cat != model::category::inverse) {
        return jobs; // Bybit serves these for contracts only
    }
    for (const auto id : instruments) {
        const auto add = [&](kind k, std::chrono::milliseconds every, std::size_t rows) {
            if (every.count() > 0) {
                jobs.push_back({k, id, every, rows});
            }
        };
        add(kind::funding_history, s.funding_history, s.funding_rows);
        add(kind::account_ratio, s.account_ratio, s.account_ratio_rows);
        add(kind::risk_limits, s.risk_limits, 0);
    }
    return jobs;
}

struct rest_poller::impl : std::enable_shared_from_this<rest_poller::impl> {
    impl(asio::any_io_executor e, net::rest_client& c, const model::instrument_registry& r,
         model::category k, std::vector<poll_job> jobs, publish_fn p)
        : ex(std::move(e)), client(c), registry(r), cat(k), publish(std::move(p)) {
        for (auto& j : jobs) {
            poll_job_status st;
            st.job = j;
            status.push_back(std::move(st));
            timers.push_back(std::make_unique<asio::steady_timer>(ex));
        }
    }

    asio::any_io_executor ex;
    net::rest_client& client;                   // outlives: the poller
    const model::instrument_registry& registry; // outlives: the poller
    model::category cat;
    publish_fn publish;
    std::vector<poll_job_status> status; // one per job
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    bool stopped = false;

    [[nodiscard]] std::string name(const poll_job& j) const {
        return fmt::format("{}.{}", dispatch::to_string(j.what),
                           registry.info(j.instrument).symbol);
    }

    [[nodiscard]] std::string query(const poll_job& j) const {
        const auto& sym = registry.info(j.instrument).symbol;
        switch (j.what) {
        case kind::funding_history:
            return fmt::format("category={}&symbol={}&limit={}", model::to_string(cat), sym,
                               j.rows);
        case kind::account_ratio:
            return fmt::format("category={}&symbol={}&period=5min&limit={}", model::to_string(cat),
                               sym, j.rows);
        case kind::risk_limits:
            return fmt::format("category={}&symbol={}", model::to_string(cat), sym);
        }
        return {};
    }

    // Decodes `body` as job j's answer into `out`; false with `why` when it does not decode.
    bool decode(const poll_job& j, std::string_view body, dispatch::venue_data& out,
                std::string& why) const {
        const auto& sym = registry.info(j.instrument).symbol;
        namespace bybit = exchange::bybit;
        switch (j.what) {
        case kind::funding_history:
            if (auto r = bybit::parse_rest_funding_history(body, sym, why)) {
                out.funding = std::move(*r);
                return true;
            }
            return false;
        case kind::account_ratio:
            if (auto r = bybit::parse_rest_account_ratio(body, sym, why)) {
                out.ratios = std::move(*r);
                return true;
            }
            return false;
        case kind::risk_limits:
            if (auto r = bybit::parse_rest_risk_limits(body, sym, why)) {
                out.risk_limits = std::move(*r);
                return true;
            }
            return false;
        }
        return false;
    }

    // One poll of job i: the answer, or nullptr with `why`.
    asio::awaitable<std::shared_ptr<const dispatch::venue_data>> poll(std::size_t i,
                                                                      std::string& why) {
        const auto& j = status[i].job;
        const auto path = path_of(j.what);
        auto r = co_await client.get(path, query(j), net::rest_priority::bulk);
        if (!r.ok()) {
            why = r.reason.empty() ? std::string{net::to_string(r.outcome)} : r.reason;
            co_return nullptr;
        }
        auto d = std::make_shared<dispatch::venue_data>();
        d->what = j.what;
        d->instrument = j.instrument;
        d->fetched_at = core::default_clock().now();
        if (!decode(j, r.body, *d, why)) {
            why = fmt::format("{}: {}", path, why);
            co_return nullptr;
        }
        co_return d;
    }

    static asio::awaitable<void> run_job(std::shared_ptr<impl> self, std::size_t i) {
        auto& st = self->status[i];
        auto retry = std::chrono::duration_cast<steady::duration>(first_retry);
        const auto every = std::chrono::duration_cast<steady::duration>(st.job.every);
        while (!self->stopped) {
            std::string why;
            auto d = co_await self->poll(i, why);
            if (self->stopped) {
                co_return;
            }
            steady::duration wait = every;
            if (d) {
                ++st.ok;
                st.last_ok = steady::now();
                if (st.failing > 0) {
                    const auto job = self->name(st.job);
                    core::log_limited_event(
                        spdlog::level::info, "gateway.rest_poll_recovered",
                        {{"event", "rest_poll_recovered"}, {"job", job}, {"failures", st.failing}},
                        "REST poll of {} succeeded after {} failed attempts", job, st.failing);
                }
                st.failing = 0;
                st.last_error.clear();
                retry = std::chrono::duration_cast<steady::duration>(first_retry);
                self->publish(std::move(d));
            } else {
                ++st.failed;
                ++st.failing;
                st.last_error = why;
                wait = std::min(retry, every);
                retry = std::min(retry * 2, every);
                if (st.failing == 1) {
                    const auto job = self->name(st.job);
                    // One line a minute across the polls; /v1/status lists the failing ones.
                    core::log_limited_event(
                        spdlog::level::warn, "gateway.rest_poll_failed",
                        {{"event", "rest_poll_failed"}, {"job", job}, {"reason", why}},
                        "REST poll of {} failed: {}; trying again in {:.1f} s (further failures "
                        "are counted in mdgate_rest_polls_total; /v1/status lists the failing "
                        "polls)",
                        job, why, std::chrono::duration<double>(wait).count());
                }
            }
            auto& t = *self->timers[i];
            t.expires_after(wait);
            (void)co_await t.async_wait(use_tuple);
        }
    }
};

rest_poller::rest_poller(asio::any_io_executor ex, net::rest_client& client,
                         const model::instrument_registry& registry, model::category cat,
                         std::vector<poll_job> jobs, publish_fn publish)
    : impl_(std::make_shared<impl>(std::move(ex), client, registry, cat, std::move(jobs),
                                   std::move(publish))) {}

rest_poller::~rest_poller() {
    stop();
}

void rest_poller::start() {
    for (std::size_t i = 0; i < impl_->status.size(); ++i) {
        asio::co_spawn(impl_->ex, impl::run_job(impl_, i), asio::detached);
    }
}

void rest_poller::stop() {
    if (impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    for (auto& t : impl_->timers) {
        t->cancel();
    }
}

std::span<const poll_job_status> rest_poller::jobs() const noexcept {
    return impl_->status;
}

} // namespace mdg::gateway
