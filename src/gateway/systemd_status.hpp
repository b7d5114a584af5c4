#pragma once

#include <cstdint>
#include <string>

#include "gateway/gateway_view.hpp"

namespace mdg::gateway {

/// The one line `systemctl status mdgate` shows (sd_notify `STATUS=`), e.g.
/// `connections 3/3 live, books 10/12 live (2 stale), 41,205 msgs/s`. Books not live are
/// broken down by state (syncing, stale, resyncing) so an operator sees at a glance why.
/// `msgs_per_second` is the data-frame rate the caller measured over its last interval. Pure.
[[nodiscard]] std::string status_line(const gateway_view& v, double msgs_per_second);

/// `n` with thousands separators: 41205 -> "41,205". Pure.
[[nodiscard]] std::string group_thousands(std::uint64_t n);

} // namespace mdg::gateway
