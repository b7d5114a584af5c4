#include "exchange/bybit/plan.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "exchange/bybit/subscribe.hpp"
#include "exchange/bybit/topic.hpp"

namespace mdg::exchange::bybit {

namespace {

// A group of topics that must stay together (one symbol's, or a single topic).
struct group {
    std::string key;
    std::vector<std::string> topics;
    std::size_t chars = 0;
};

std::size_t topic_chars(const std::string& t) {
    return t.size() + 3;
} // quotes and a comma

} // namespace

result<std::vector<connection_plan>> plan_connections(model::category cat,
                                                      const std::vector<std::string>& topics,
                                                      const plan_options& opts,
                                                      std::string& reason) {
    const auto budget = limits_for(cat).max_args_chars_per_connection;
    std::vector<group> groups;
    std::set<std::string, std::less<>> seen;
    for (const auto& t : topics) {
        if (auto ec = validate_subscription(cat, t, reason)) {
            return ec;
        }
        if (!seen.insert(t).second) {
            continue;
        }
        const std::string key = opts.symbol_aligned ? std::string(parse_topic(t)->symbol) : t;
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const group& g) { return g.key == key; });
        if (it == groups.end()) {
            groups.push_back({key, {}, 0});
            it = std::prev(groups.end());
        }
        it->topics.push_back(t);
        it->chars += topic_chars(t);
    }
    const std::size_t cap = opts.max_topics_per_connection;
    std::vector<connection_plan> plans;
    std::size_t chars = 0;
    for (const auto& g : groups) {
        if ((cap != 0 && g.topics.size() > cap) || g.chars > budget) {
            reason = fmt::format("the {} topics of {} do not fit on one connection (at most {} "
                                 "topics, {} characters of args): raise "
                                 "max_topics_per_connection or turn off symbol-aligned packing",
                                 g.topics.size(), g.key, cap == 0 ? g.topics.size() : cap, budget);
            return errc::limit_exceeded;
        }
        const bool full = plans.empty() ||
                          (cap != 0 && plans.back().topics.size() + g.topics.size() > cap) ||
                          chars + g.chars > budget;
        if (full) {
            plans.push_back({fmt::format("conn_{}", plans.size()), {}});
            chars = 0;
        }
        plans.back().topics.insert(plans.back().topics.end(), g.topics.begin(), g.topics.end());
        chars += g.chars;
    }
    return plans;
}

} // namespace mdg::exchange::bybit
