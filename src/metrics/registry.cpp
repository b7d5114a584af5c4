#include "metrics/registry.hpp"

#include <stdexcept>
#include <utility>
#include <variant>

#include "metrics/detail/exposition.hpp"
#include "metrics/detail/text_format.hpp"

namespace mdg::metrics {

namespace {

constexpr std::string_view rejected_family = "mdgate_metrics_rejected_samples_total";

[[noreturn]] void throw_invalid(std::string_view name, std::string_view why) {
    throw std::invalid_argument("metric \"" + std::string{name} + "\": " + std::string{why});
}

} // namespace

struct registry::family {
    std::string help;
    metric_type type = metric_type::untyped;
    std::vector<double> bounds; // histograms only
    std::map<labels,
             std::variant<std::unique_ptr<metrics::counter>, std::unique_ptr<metrics::gauge>,
                          std::unique_ptr<metrics::histogram>>>
        series;
};

registry::registry() = default;
registry::~registry() = default;

registry::family& registry::find_or_add_family(std::string_view name, std::string_view help,
                                               metric_type type, std::span<const double> bounds) {
    if (!detail::is_valid_metric_name(name)) {
        throw_invalid(name, "name does not match [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    if (!detail::is_valid_utf8(help)) {
        throw_invalid(name, "HELP is not valid UTF-8");
    }
    std::vector<double> normal;
    if (type == metric_type::histogram) {
        if (const char* fault = detail::normalize_bounds(bounds, normal)) {
            throw_invalid(name, fault);
        }
    }
    auto it = families_.find(name);
    if (it == families_.end()) {
        auto f = std::make_unique<family>();
        f->help = help;
        f->type = type;
        f->bounds = std::move(normal);
        it = families_.emplace(std::string{name}, std::move(f)).first;
        return *it->second;
    }
    family& f = *it->second;
    if (f.type != type) {
        throw std::logic_error("metric \"" + std::string{name} + "\" is already registered as " +
                               std::string{to_string(f.type)});
    }
    if (f.help != help) {
        throw std::logic_error("metric \"" + std::string{name} +
                               "\" is already registered with another HELP");
    }
    if (f.bounds != normal) {
        throw std::logic_error("histogram \"" + std::string{name} +
                               "\" is already registered with other bounds");
    }
    return f;
}

metrics::counter& registry::counter(std::string_view name, std::string_view help, labels l) {
    if (const char* fault = detail::canonicalize(l, false)) {
        throw_invalid(name, fault);
    }
    const std::scoped_lock lock{mutex_};
    family& f = find_or_add_family(name, help, metric_type::counter, {});
    auto [it, added] = f.series.try_emplace(std::move(l));
    if (added) {
        it->second = std::make_unique<metrics::counter>();
    }
    return *std::get<std::unique_ptr<metrics::counter>>(it->second);
}

metrics::gauge& registry::gauge(std::string_view name, std::string_view help, labels l) {
    if (const char* fault = detail::canonicalize(l, false)) {
        throw_invalid(name, fault);
    }
    const std::scoped_lock lock{mutex_};
    family& f = find_or_add_family(name, help, metric_type::gauge, {});
    auto [it, added] = f.series.try_emplace(std::move(l));
    if (added) {
        it->second = std::make_unique<metrics::gauge>();
    }
    return *std::get<std::unique_ptr<metrics::gauge>>(it->second);
}

metrics::histogram& registry::histogram(std::string_view name, std::string_view help,
                                        std::span<const double> bounds, labels l) {
    if (const char* fault = detail::canonicalize(l, true)) {
        throw_invalid(name, fault);
    }
    const std::scoped_lock lock{mutex_};
    family& f = find_or_add_family(name, help, metric_type::histogram, bounds);
    auto [it, added] = f.series.try_emplace(std::move(l));
    if (added) {
        it->second = std::make_unique<metrics::histogram>(f.bounds);
    }
    return *std::get<std::unique_ptr<metrics::histogram>>(it->second);
}

void registry::add_collector(std::function<void(family_writer&)> collect) {
    if (!collect) {
        throw std::invalid_argument("metrics collector is empty");
    }
    const std::scoped_lock lock{mutex_};
    collectors_.push_back(std::move(collect));
}

std::string registry::render() const {
    const std::scoped_lock render_lock{render_mutex_};
    detail::exposition e;
    std::vector<std::function<void(family_writer&)>> collectors;
    {
        const std::scoped_lock lock{mutex_};
        for (const auto& [name, f] : families_) {
            auto& out = e.families[name];
            out.help = f->help;
            out.type = f->type;
            out.series.reserve(f->series.size());
            for (const auto& [lbls, instrument] : f->series) {
                if (const auto* c = std::get_if<std::unique_ptr<metrics::counter>>(&instrument)) {
                    out.series.push_back({lbls, (*c)->value()});
                } else if (const auto* g =
                               std::get_if<std::unique_ptr<metrics::gauge>>(&instrument)) {
                    out.series.push_back({lbls, (*g)->value()});
                } else {
                    const auto& h = *std::get<std::unique_ptr<metrics::histogram>>(instrument);
                    detail::histogram_value v;
                    v.bounds.assign(h.bounds().begin(), h.bounds().end());
                    v.buckets.reserve(v.bounds.size() + 1);
                    std::uint64_t total = 0;
                    for (std::size_t i = 0; i <= v.bounds.size(); ++i) {
                        total += h.bucket(i);
                        v.buckets.push_back(total);
                    }
                    v.sum = h.sum();
                    out.series.push_back({lbls, std::move(v)});
                }
            }
        }
        collectors = collectors_;
    }
    // Collectors run without mutex_, so one that creates an instrument does not deadlock.
    for (const auto& collect : collectors) {
        family_writer w{e};
        try {
            collect(w);
        } catch (...) {
            ++e.rejected;
        }
    }
    detail::sort_and_dedupe(e);
    const std::uint64_t rejected =
        rejected_.fetch_add(e.rejected, std::memory_order_relaxed) + e.rejected;
    if (rejected > 0) {
        // Replaces anything a collector wrote under this name: the registry owns it.
        auto& f = e.families[std::string{rejected_family}];
        f.help = "Samples written by metrics collectors that were malformed or duplicated and "
                 "left out.";
        f.type = metric_type::counter;
        f.series.clear();
        f.series.push_back({{}, rejected});
    }
    return detail::write_text(e);
}

} // namespace mdg::metrics
