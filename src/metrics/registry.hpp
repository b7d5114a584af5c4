#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/counter.hpp"
#include "metrics/family_writer.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"
#include "metrics/labels.hpp"
#include "metrics/metric_type.hpp"

namespace mdg::metrics {

/// The HTTP Content-Type of `registry::render`'s output (Prometheus text format 0.0.4).
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The process's metrics: instruments created by name and label set, plus collectors that
/// compute series when scraped, rendered together as Prometheus text.
///
/// Get-or-create: asking again for the same name and label set (in any order) returns the
/// same instrument. Programming errors throw, so they surface at startup:
/// std::invalid_argument (a std::logic_error) for a name outside the Prometheus grammar,
/// a bad or duplicate label name, an `le` label on a histogram, HELP or a label value that is
/// not UTF-8, or bad histogram bounds; std::logic_error when the name is already registered
/// with another type, another HELP or (histograms) other bounds.
///
/// Owns every instrument: references stay valid, at a fixed address, until the registry is
/// destroyed. Thread-safe: creation takes a mutex (do it at startup or rarely, never per
/// message); updating an instrument takes no lock; `render` may run on any thread.
class registry {
  public:
    registry();
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;
    registry(registry&&) = delete;
    registry& operator=(registry&&) = delete;
    ~registry();

    /// The counter `name{l}`, created on first use. Name it `<thing>_total`.
    metrics::counter& counter(std::string_view name, std::string_view help, labels l = {});
    /// The gauge `name{l}`, created on first use.
    metrics::gauge& gauge(std::string_view name, std::string_view help, labels l = {});
    /// The histogram `name{l}` with upper bounds `bounds` (see `histogram`), created on first
    /// use. Every series of one family must use the same bounds.
    metrics::histogram& histogram(std::string_view name, std::string_view help,
                                  std::span<const double> bounds, labels l = {});

    /// Adds a callback run by every `render` to write computed families (values read from
    /// other components, gauges computed on demand). Callbacks run one render at a time, on
    /// the rendering thread, without the registry's creation lock held; they must not call
    /// `render`. What they write is merged with the registered families as described at
    /// `family_writer`. An exception from a callback is caught and counted as a rejection.
    void add_collector(std::function<void(family_writer&)> collect);

    /// The whole exposition in Prometheus text format 0.0.4 (see `content_type`): each family
    /// once, sorted by name, with `# HELP` (when not empty) and `# TYPE`; series sorted by
    /// label set. When collectors have had samples rejected, the family
    /// `mdgate_metrics_rejected_samples_total` counts them.
    [[nodiscard]] std::string render() const;

    /// Collector samples rejected so far, over all renders.
    [[nodiscard]] std::uint64_t rejected_samples() const noexcept {
        return rejected_.load(std::memory_order_relaxed);
    }

  private:
    struct family;

    family& find_or_add_family(std::string_view name, std::string_view help, metric_type type,
                               std::span<const double> bounds);

    mutable std::mutex mutex_;        // guards families_ and collectors_
    mutable std::mutex render_mutex_; // serialises renders, so collectors run one at a time
    std::map<std::string, std::unique_ptr<family>, std::less<>> families_;
    std::vector<std::function<void(family_writer&)>> collectors_;
    mutable std::atomic<std::uint64_t> rejected_{0};
};

} // namespace mdg::metrics
