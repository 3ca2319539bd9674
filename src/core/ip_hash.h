// Hashing an IpAddress for the per-host tables of detectors and the report.
//
// Unseeded on purpose: those tables are capped (a flood of hosts costs
// entries, never unbounded memory), and the multiply-xorshift mix spreads
// sequential and shifted addresses, which is what scans and replicas produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pcapscope/session.h"

namespace pcapscope {

struct IpHash {
  std::size_t operator()(const IpAddress& a) const noexcept {
    std::uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    std::uint64_t h = lo * 0x9E3779B97F4A7C15ULL ^ (hi + 0x632BE59BD9B4E019ULL + (lo << 6) + (lo >> 2));
    h ^= a.v6 ? 0xA5A5A5A5ULL : 0;
    h ^= h >> 29;
    return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ULL);
  }
};

}  // namespace pcapscope
