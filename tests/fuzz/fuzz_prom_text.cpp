// Fuzz target: the Prometheus text parser (monitor/prom_text.cpp) and the queries the report
// runs on a scrape (find_sample, sum_samples, histogram_quantile), on one scrape.
// Invariants: a refusal is one line "line N: ..."; a sample's labels are sorted and unique, and
// every sample is found by its own name and labels.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "monitor/prom_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mdg;
    std::string error;
    const auto samples = monitor::parse_prometheus_text(fuzz::as_text(data, size), error);
    if (!samples) {
        fuzz::check(error.starts_with("line ") && error.find('\n') == std::string::npos,
                    "a refusal is one line naming the line");
        return 0;
    }
    fuzz::check(error.empty(), "success clears the error");
    // Every query is linear in the scrape: the first 64 samples are enough to reach them all.
    const std::size_t n = std::min<std::size_t>(samples->size(), 64);
    for (const auto& s : std::span{*samples}.first(n)) {
        fuzz::check(!s.name.empty(), "a sample has a name");
        std::vector<monitor::label_view> filter;
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
            fuzz::check(i == 0 || s.labels[i - 1].first < s.labels[i].first,
                        "labels sorted and unique");
            filter.push_back({s.labels[i].first, s.labels[i].second});
        }
        const auto* found = monitor::find_sample(*samples, s.name, filter);
        fuzz::check(found != nullptr && found->name == s.name, "a sample is found by itself");
        fuzz::check(monitor::sum_samples(*samples, s.name, filter).has_value(),
                    "a sample has a sum");
        if (s.name.ends_with("_bucket")) {
            const auto base = std::string_view{s.name}.substr(0, s.name.size() - 7);
            for (const double q : {-1.0, 0.0, 0.5, 0.99, 1.0, 2.0, std::nan("")}) {
                (void)monitor::histogram_quantile(q, *samples, base, filter);
            }
        }
    }
    return 0;
}
