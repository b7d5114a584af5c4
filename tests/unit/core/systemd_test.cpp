#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/systemd.hpp"

namespace mdg::core::systemd {
namespace {

using namespace std::chrono_literals;

/// Plays systemd's side of sd_notify: binds a unix datagram socket in a fresh temp dir and
/// points $NOTIFY_SOCKET at it. Tests in this binary run on one thread, so setenv is safe.
class NotifyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::array<char, 32> tmpl{"/tmp/mdg-notify-XXXXXX"};
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
        dir_ = tmpl.data();
        path_ = dir_ + "/notify";
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(fd_, 0) << std::strerror(errno);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        ASSERT_LT(path_.size(), sizeof(addr.sun_path));
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0)
            << std::strerror(errno);
        ASSERT_EQ(::setenv("NOTIFY_SOCKET", path_.c_str(), 1), 0);
    }

    void TearDown() override {
        ::unsetenv("NOTIFY_SOCKET");
        if (fd_ >= 0) {
            ::close(fd_);
        }
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }

    /// The next datagram already queued on the socket, or "<none>". Never blocks: sd_notify's
    /// sendmsg has completed by the time it returns, so the datagram is there or never comes.
    std::string next_datagram() {
        std::array<char, 4096> buf{};
        const auto n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
            return "<none>";
        }
        return {buf.data(), static_cast<std::size_t>(n)};
    }

  private:
    std::string dir_;
    std::string path_;
    int fd_ = -1;
};

TEST_F(NotifyTest, ReadySendsReadyDatagram) {
    EXPECT_TRUE(notify_ready());
    EXPECT_EQ(next_datagram(), "READY=1");
    EXPECT_EQ(next_datagram(), "<none>");
}

TEST_F(NotifyTest, WatchdogAndStoppingSendTheirDatagrams) {
    EXPECT_TRUE(notify_watchdog());
    EXPECT_TRUE(notify_watchdog());
    EXPECT_TRUE(notify_stopping());
    EXPECT_EQ(next_datagram(), "WATCHDOG=1");
    EXPECT_EQ(next_datagram(), "WATCHDOG=1");
    EXPECT_EQ(next_datagram(), "STOPPING=1");
}

TEST_F(NotifyTest, StatusSendsOneLineOfText) {
    EXPECT_TRUE(notify_status("live: 10/10 connections, 75 books"));
    EXPECT_EQ(next_datagram(), "STATUS=live: 10/10 connections, 75 books");
    // A line break cannot smuggle in another assignment.
    EXPECT_TRUE(notify_status("bad\nREADY=1"));
    EXPECT_EQ(next_datagram(), "STATUS=bad READY=1");
}

TEST_F(NotifyTest, NoSocketMeansNoOp) {
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_FALSE(notify_ready());
    EXPECT_FALSE(notify_watchdog());
    EXPECT_FALSE(notify_status("x"));
    EXPECT_EQ(next_datagram(), "<none>");
}

TEST_F(NotifyTest, UnreachableSocketReportsFailure) {
    ::setenv("NOTIFY_SOCKET", "/nonexistent-mdg-dir/notify", 1);
    EXPECT_FALSE(notify_ready());
}

TEST(WatchdogTest, IntervalComesFromWatchdogUsecForThisProcess) {
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    EXPECT_EQ(watchdog_interval(), std::nullopt);

    ::setenv("WATCHDOG_USEC", "30000000", 1);
    EXPECT_EQ(watchdog_interval(), std::chrono::microseconds{30s});
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(watchdog_interval(), std::chrono::microseconds{30s});

    // Meant for another process (e.g. inherited by a child): not ours to ping.
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    EXPECT_EQ(watchdog_interval(), std::nullopt);

    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "thirty", 1);
    EXPECT_EQ(watchdog_interval(), std::nullopt);
    ::unsetenv("WATCHDOG_USEC");
}

} // namespace
} // namespace mdg::core::systemd
