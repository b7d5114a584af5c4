#include "metrics/metric_type.hpp"

namespace mdg::metrics {

std::string_view to_string(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    case metric_type::untyped:
        return "untyped";
    }
    return "untyped";
}

} // namespace mdg::metrics
