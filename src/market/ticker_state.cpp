#include "market/ticker_state.hpp"

namespace mdg::market {

std::string_view to_string(ticker_status s) noexcept {
    switch (s) {
    case ticker_status::applied:
        return "applied";
    case ticker_status::stale_cross_seq:
        return "stale_cross_seq";
    case ticker_status::delta_before_snapshot:
        return "delta_before_snapshot";
    }
    return "unknown";
}

ticker_state::ticker_state(std::size_t oi_history_depth, std::chrono::nanoseconds oi_bucket_width)
    : oi_history_(oi_history_depth, oi_bucket_width) {}

ticker_status ticker_state::apply(const model::ticker_update& u) noexcept {
    const bool snapshot = u.kind == model::update_kind::snapshot;
    if (!snapshot && !has_snapshot_) {
        ++early_deltas_;
        return ticker_status::delta_before_snapshot;
    }
    if (u.cross_seq != 0 && u.cross_seq < cross_seq_) {
        ++stale_cs_;
        return ticker_status::stale_cross_seq;
    }
    if (snapshot) {
        fields_ = u.fields;
        has_snapshot_ = true;
        ++snapshots_;
    } else {
        fields_.merge(u.fields);
        ++deltas_;
    }
    if (u.cross_seq != 0) {
        cross_seq_ = u.cross_seq;
    }
    ts_exchange_ = u.ts_exchange;
    ts_recv_ = u.ts_recv;
    stale_ = false;
    from_rest_ = false;
    track_open_interest(u);
    return ticker_status::applied;
}

ticker_status ticker_state::apply_rest(const model::ticker_update& u) noexcept {
    fields_ = u.fields;
    has_snapshot_ = true;
    ts_exchange_ = u.ts_exchange;
    ts_recv_ = u.ts_recv;
    from_rest_ = true;
    return ticker_status::applied;
}

void ticker_state::track_open_interest(const model::ticker_update& u) noexcept {
    constexpr auto oi = model::ticker_field::open_interest;
    if (u.fields.has(oi) && !u.fields.is_empty(oi)) {
        const model::decimal& v = u.fields.get(oi);
        if (v.mantissa < 0) {
            ++oi_rejected_;
        } else if (!oi_current_ || *oi_current_ != v) {
            oi_previous_ = oi_current_;
            oi_current_ = v;
            oi_ts_ = u.ts_exchange;
            ++oi_changes_;
        }
    }
    if (oi_current_) {
        oi_history_.record(u.ts_exchange, *oi_current_);
    }
}

std::size_t
ticker_state::merge_open_interest(std::span<const model::open_interest_point> points) noexcept {
    std::size_t filled = 0;
    for (const auto& p : points) {
        if (p.value.mantissa < 0) {
            continue;
        }
        // The instant just before `ts` lies in the bucket that ends at `ts`.
        if (oi_history_.merge(unix_nanos{p.ts.value - 1}, p.value)) {
            ++filled;
        }
    }
    return filled;
}

} // namespace mdg::market
