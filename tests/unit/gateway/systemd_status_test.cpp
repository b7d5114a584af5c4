#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "gateway/systemd_status.hpp"
#include "view_fixture.hpp"

namespace mdg::gateway {
namespace {

using book::book_state;
using exchange::connection_state;

TEST(GroupThousandsTest, SeparatesEveryThreeDigitsFromTheRight) {
    EXPECT_EQ(group_thousands(0), "0");
    EXPECT_EQ(group_thousands(999), "999");
    EXPECT_EQ(group_thousands(1000), "1,000");
    EXPECT_EQ(group_thousands(41205), "41,205");
    EXPECT_EQ(group_thousands(1234567), "1,234,567");
}

class SystemdStatusTest : public test::view_fixture {
  protected:
    // Moves the one declared book from its current state to `to`, as the shard does.
    void move_book(book_state from, book_state to) {
        auto& st = owner().stats();
        const_cast<dispatch::shard_stats&>(st).books[static_cast<std::size_t>(from)]--;
        const_cast<dispatch::shard_stats&>(st).books[static_cast<std::size_t>(to)]++;
    }
};

TEST_F(SystemdStatusTest, CountsLiveConnectionsAndBooksAndRoundsTheRate) {
    move_book(book_state::syncing, book_state::live);
    EXPECT_EQ(status_line(view(connection_state::live), 41204.6),
              "connections 1/1 live, books 1/1 live, 41,205 msgs/s");
}

TEST_F(SystemdStatusTest, NamesTheStateOfBooksThatAreNotLive) {
    EXPECT_EQ(status_line(view(connection_state::backing_off), 0.0),
              "connections 0/1 live, books 0/1 live (1 syncing), 0 msgs/s");
    move_book(book_state::syncing, book_state::stale);
    EXPECT_EQ(status_line(view(connection_state::connecting), 3.0),
              "connections 0/1 live, books 0/1 live (1 stale), 3 msgs/s");
}

TEST_F(SystemdStatusTest, ANonsenseRateReadsZero) {
    EXPECT_NE(status_line(view(), std::numeric_limits<double>::quiet_NaN()).find(", 0 msgs/s"),
              std::string::npos);
    EXPECT_NE(status_line(view(), -5.0).find(", 0 msgs/s"), std::string::npos);
}

} // namespace
} // namespace mdg::gateway
