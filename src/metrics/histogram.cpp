#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "metrics/detail/text_format.hpp"

namespace mdg::metrics {

namespace {

std::vector<double> checked_bounds(std::span<const double> upper_bounds) {
    std::vector<double> out;
    if (const char* fault = detail::normalize_bounds(upper_bounds, out)) {
        throw std::invalid_argument(std::string{"histogram: "} + fault);
    }
    return out;
}

} // namespace

histogram::histogram(std::span<const double> upper_bounds)
    : bounds_(checked_bounds(upper_bounds)), buckets_(bounds_.size() + 1) {}

void histogram::observe(double v) noexcept {
    // First bound >= v, i.e. Prometheus `le`. NaN compares false everywhere: send it to +Inf.
    const auto i = std::isnan(v)
                       ? bounds_.size()
                       : static_cast<std::size_t>(
                             std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t histogram::bucket(std::size_t i) const noexcept {
    if (i > bounds_.size()) {
        return 0;
    }
    return buckets_[i].load(std::memory_order_relaxed);
}

std::uint64_t histogram::count() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        n += buckets_[i].load(std::memory_order_relaxed);
    }
    return n;
}

} // namespace mdg::metrics
