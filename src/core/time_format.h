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

}  // namespace pcapscope
