#include "gateway/systemd_status.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "book/order_book.hpp"

namespace mdg::gateway {

std::string group_thousands(std::uint64_t n) {
    auto digits = fmt::format("{}", n);
    std::string out;
    out.reserve(digits.size() + digits.size() / 3);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string status_line(const gateway_view& v, double msgs_per_second) {
    std::size_t live_conns = 0;
    for (const auto& c : v.connections) {
        live_conns += c.state == exchange::connection_state::live ? 1 : 0;
    }
    std::array<std::uint64_t, book::book_state_count> books{};
    for (const auto& s : v.shards) {
        for (std::size_t i = 0; i < books.size(); ++i) {
            books[i] += s->stats().books[i].load();
        }
    }
    std::uint64_t total = 0;
    for (const auto n : books) {
        total += n;
    }
    const auto live = books[static_cast<std::size_t>(book::book_state::live)];
    std::string not_live;
    for (std::size_t i = 0; i < books.size(); ++i) {
        const auto st = static_cast<book::book_state>(i);
        if (st == book::book_state::live || books[i] == 0) {
            continue;
        }
        not_live +=
            fmt::format("{}{} {}", not_live.empty() ? " (" : ", ", books[i], book::to_string(st));
    }
    if (!not_live.empty()) {
        not_live += ')';
    }
    const auto rate = std::isfinite(msgs_per_second) && msgs_per_second > 0
                          ? static_cast<std::uint64_t>(std::llround(msgs_per_second))
                          : std::uint64_t{0};
    return fmt::format("connections {}/{} live, books {}/{} live{}, {} msgs/s", live_conns,
                       v.connections.size(), live, total, not_live, group_thousands(rate));
}

} // namespace mdg::gateway
