// Opening evidence: read-only, and without disturbing its timestamps.
//
// Forensic practice is that examining a file must not change it, and that
// includes its access time: O_NOATIME keeps atime as it was where the kernel
// allows it (owner or CAP_FOWNER); elsewhere we fall back to a plain
// read-only open, which on most mounts (relatime) leaves atime alone too.
#pragma once

#include <cstdint>
#include <string>

#include "pcapscope/result.h"

namespace pcapscope {

// Returns a file descriptor opened O_RDONLY|O_CLOEXEC (|O_NOATIME when permitted).
Result<int> open_evidence(const std::string& path);

// SHA-256 of a whole file, as lower-case hex, read in large blocks (chain of custody).
Result<std::string> sha256_file(const std::string& path);

// True if A and B name the same file (same device and inode); false if either does not exist.
bool same_file(const std::string& a, const std::string& b);

}  // namespace pcapscope
