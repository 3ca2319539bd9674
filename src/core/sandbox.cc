#include "core/sandbox.h"

#include <seccomp.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace pcapscope::sandbox {

namespace {

// Every way onto the network from an x86-64 or arm64 process: making a
// socket (any family: AF_UNIX too, which could reach a local proxy or
// resolver), using one that was inherited (connect, send, receive, options)
// and io_uring, whose operations seccomp never sees. Calls a build
// architecture lacks are skipped by seccomp_syscall_resolve_name.
constexpr const char* kRefused[] = {
    "socket",        "socketpair",      "connect",        "bind",     "listen",   "accept",
    "accept4",       "sendto",          "sendmsg",        "sendmmsg", "recvfrom", "recvmsg",
    "recvmmsg",      "setsockopt",      "getsockopt",     "shutdown", "getpeername",
    "io_uring_setup", "io_uring_enter", "io_uring_register", nullptr};

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

Error failed(const char* what, int rc) {
  return Error{std::string("cannot install the no-network filter: ") + what + ": " + std::strerror(-rc)};
}

}  // namespace

const char* const* refused_calls() { return kRefused; }

Result<void> forbid_network() {
  // Allowed unless listed; a listed call fails with EPERM instead of killing
  // the process, so a library that tries (none should) gets an error it can
  // report, and the evidence is still read. A call from another architecture
  // (32-bit int 0x80 on x86-64) kills: it would bypass the list.
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Error{"cannot install the no-network filter: seccomp_init failed"};
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc < 0)
    return failed("bad-architecture action", rc);
  for (const char* const* name = kRefused; *name; ++name) {
    const int nr = seccomp_syscall_resolve_name(*name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a call of this architecture
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0); rc < 0) return failed(*name, rc);
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("no_new_privs", -errno);
  if (int rc = seccomp_load(ctx.get()); rc < 0) return failed("seccomp_load", rc);
  return {};
}

std::string mode() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Seccomp:", 0) != 0) continue;
    const std::string v = line.substr(line.find_first_not_of(" \t", 8));
    if (v == "0") return "off";
    if (v == "1") return "strict";
    if (v == "2") return "filter";
  }
  return "unknown";
}

}  // namespace pcapscope::sandbox
