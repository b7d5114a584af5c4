#include "metrics/family_writer.hpp"

#include <limits>
#include <string>
#include <utility>

#include "metrics/detail/exposition.hpp"
#include "metrics/detail/text_format.hpp"

namespace mdg::metrics {

bool family_writer::reject() noexcept {
    ++out_->rejected;
    return false;
}

bool family_writer::begin(std::string_view name, std::string_view help, metric_type type) {
    current_ = nullptr;
    if (!detail::is_valid_metric_name(name) || !detail::is_valid_utf8(help)) {
        return reject();
    }
    auto it = out_->families.find(name);
    if (it == out_->families.end()) {
        it = out_->families.emplace(std::string{name}, detail::family_value{}).first;
        it->second.help = help;
        it->second.type = type;
    } else if (it->second.type != type) {
        return reject();
    }
    current_ = &it->second;
    return true;
}

bool family_writer::sample(const labels& l, double value) {
    if (current_ == nullptr || current_->type == metric_type::histogram) {
        return reject();
    }
    if (current_->type == metric_type::counter && !(value >= 0.0)) {
        return reject(); // negative or NaN counters make no sense
    }
    labels canonical = l;
    if (detail::canonicalize(canonical, false) != nullptr) {
        return reject();
    }
    current_->series.push_back({std::move(canonical), value});
    return true;
}

bool family_writer::sample_int(const labels& l, std::int64_t value) {
    if (value >= 0) {
        return sample_uint(l, static_cast<std::uint64_t>(value));
    }
    if (current_ == nullptr || current_->type == metric_type::histogram ||
        current_->type == metric_type::counter) {
        return reject();
    }
    labels canonical = l;
    if (detail::canonicalize(canonical, false) != nullptr) {
        return reject();
    }
    current_->series.push_back({std::move(canonical), value});
    return true;
}

bool family_writer::sample_uint(const labels& l, std::uint64_t value) {
    if (current_ == nullptr || current_->type == metric_type::histogram) {
        return reject();
    }
    labels canonical = l;
    if (detail::canonicalize(canonical, false) != nullptr) {
        return reject();
    }
    current_->series.push_back({std::move(canonical), value});
    return true;
}

bool family_writer::histogram_sample(const labels& l, std::span<const double> upper_bounds,
                                     std::span<const std::uint64_t> bucket_counts, double sum) {
    if (current_ == nullptr || current_->type != metric_type::histogram) {
        return reject();
    }
    detail::histogram_value h;
    if (detail::normalize_bounds(upper_bounds, h.bounds) != nullptr ||
        bucket_counts.size() != h.bounds.size() + 1) {
        return reject();
    }
    labels canonical = l;
    if (detail::canonicalize(canonical, true) != nullptr) {
        return reject();
    }
    h.buckets.reserve(bucket_counts.size());
    std::uint64_t total = 0;
    for (const auto n : bucket_counts) {
        if (n > std::numeric_limits<std::uint64_t>::max() - total) {
            return reject(); // the cumulative count would wrap
        }
        total += n;
        h.buckets.push_back(total);
    }
    h.sum = sum;
    current_->series.push_back({std::move(canonical), std::move(h)});
    return true;
}

} // namespace mdg::metrics
