// Timestamps as analysts read them: epoch seconds with nanoseconds (as tshark's
// frame.time_epoch) and ISO 8601 UTC.
#pragma once

#include <cstdint>
#include <string>

namespace pcapscope {

// "1700000000.123456789" (negative times keep a correct sign: "-0.500000000").
void append_epoch(std::string& out, std::int64_t ns);
std::string format_epoch(std::int64_t ns);
// "2023-11-14T22:13:20.123456789Z"
std::string format_iso8601(std::int64_t ns);

// LATER - EARLIER in seconds. Timestamps from hostile files may sit at both
// ends of int64 (ticks_to_ns saturates), so the difference is taken in 128 bits.
inline double seconds_between(std::int64_t later, std::int64_t earlier) {
  __extension__ using i128 = __int128;
  return static_cast<double>(static_cast<i128>(later) - earlier) / 1e9;
}

}  // namespace pcapscope
