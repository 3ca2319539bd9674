// The no-network guarantee: a seccomp filter that pcapscope installs before
// it reads a byte of evidence.
//
// Captures are attacker-controlled input. Whatever a hostile capture might
// make a parser do, the process cannot reach the network: once installed
// (it cannot be removed, and every thread and child inherits it), creating a
// socket, connecting, sending or receiving fail with EPERM, and so does
// io_uring, which could do the same outside seccomp's view. Everything else
// (reading evidence, writing outputs, SQLite, threads) is allowed: the filter
// is a deny list aimed at one promise, not a full syscall allow list, which
// would break on every libc or library update (see docs/security.md).
#pragma once

#include <string>

#include "pcapscope/result.h"

namespace pcapscope::sandbox {

// Installs the filter in this process (PR_SET_NO_NEW_PRIVS first, as
// seccomp requires of an unprivileged process). Fails only where the kernel
// has no seccomp.
Result<void> forbid_network();

// What /proc/self/status says: "filter" when a seccomp filter is in force,
// "strict", "off", or "unknown".
std::string mode();

// The system calls the filter refuses, by name (for docs and tests).
const char* const* refused_calls();

}  // namespace pcapscope::sandbox
