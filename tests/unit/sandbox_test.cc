// The no-network filter (core/sandbox.h) refuses what it promises to and
// nothing a command needs. Each case runs in a forked child: a seccomp filter
// cannot be removed, and the test binary must keep its own network (none is
// used, but other tests must not run filtered by accident).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "core/sandbox.h"

namespace pcapscope {
namespace {

// Runs BODY in a child after forbid_network(); the child's exit status is
// BODY's number of failed checks (127: the filter could not be installed).
int in_sandboxed_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!sandbox::forbid_network()) ::_exit(127);
    ::_exit(body());
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "the child was killed (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                 << "): the filter must refuse, not kill";
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A refused call: -1 with EPERM.
int refused(long rc) { return rc == -1 && errno == EPERM ? 0 : 1; }

TEST(Sandbox, SocketsCannotBeCreated) {
  EXPECT_EQ(in_sandboxed_child([] {
              return refused(::socket(AF_INET, SOCK_STREAM, 0)) + refused(::socket(AF_INET6, SOCK_DGRAM, 0)) +
                     refused(::socket(AF_UNIX, SOCK_STREAM, 0)) + refused(::socket(AF_PACKET, SOCK_RAW, 0)) +
                     refused(::socket(AF_NETLINK, SOCK_RAW, 0));
            }),
            0);
}

TEST(Sandbox, NothingCanBeSentOrReceivedEvenOnAnInheritedSocket) {
  // A socket made before the filter (as if inherited) can no longer be used.
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
  EXPECT_EQ(in_sandboxed_child([&] {
              int fails = 0;
              char byte = 'x';
              sockaddr_in to{};
              to.sin_family = AF_INET;
              to.sin_port = htons(9);
              to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
              fails += refused(::sendto(pair[0], &byte, 1, 0, nullptr, 0));
              fails += refused(::sendto(pair[0], &byte, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to));
              msghdr msg{};
              fails += refused(::sendmsg(pair[0], &msg, 0));
              fails += refused(::recvfrom(pair[1], &byte, 1, MSG_DONTWAIT, nullptr, nullptr));
              fails += refused(::connect(pair[0], reinterpret_cast<sockaddr*>(&to), sizeof to));
              fails += refused(::bind(pair[0], reinterpret_cast<sockaddr*>(&to), sizeof to));
              int one = 1;
              fails += refused(::setsockopt(pair[0], SOL_SOCKET, SO_BROADCAST, &one, sizeof one));
              int sp[2];
              fails += refused(::socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
              return fails;
            }),
            0);
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST(Sandbox, IoUringIsRefused) {
  // io_uring can connect and send without any of the calls above.
  EXPECT_EQ(in_sandboxed_child([] { return refused(::syscall(__NR_io_uring_setup, 8, nullptr)); }), 0);
}

TEST(Sandbox, WhatCommandsNeedStillWorks) {
  const std::string path = (std::filesystem::temp_directory_path() / ("pcapscope-sandbox-" + std::to_string(::getpid())))
                               .string();
  EXPECT_EQ(in_sandboxed_child([&] {
              int fails = 0;
              const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
              fails += fd < 0;
              fails += ::write(fd, "abc", 3) != 3;
              ::close(fd);
              const int rd = ::open(path.c_str(), O_RDONLY);
              char buf[4] = {};
              fails += ::read(rd, buf, 3) != 3 || std::strcmp(buf, "abc") != 0;
              ::close(rd);
              int p[2];
              fails += ::pipe(p) != 0;  // pipes are not sockets
              bool ran = false;
              std::thread t([&] { ran = true; });  // workers
              t.join();
              fails += !ran;
              fails += sandbox::mode() != "filter";
              return fails;
            }),
            0);
  std::filesystem::remove(path);
}

TEST(Sandbox, TheListNamesTheNetworkCalls) {
  int n = 0;
  bool socket = false, sendto = false, io_uring = false;
  for (const char* const* c = sandbox::refused_calls(); *c; ++c, ++n) {
    socket |= std::string(*c) == "socket";
    sendto |= std::string(*c) == "sendto";
    io_uring |= std::string(*c) == "io_uring_enter";
  }
  EXPECT_GE(n, 15);
  EXPECT_TRUE(socket && sendto && io_uring);
}

}  // namespace
}  // namespace pcapscope
