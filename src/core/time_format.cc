#include "core/time_format.h"

#include <fmt/format.h>

#include <ctime>

namespace pcapscope {
namespace {
struct SecNs {
  std::int64_t sec;
  std::int64_t nsec;  // 0..999'999'999
};
SecNs split(std::int64_t ns) {
  std::int64_t sec = ns / 1000000000;
  std::int64_t rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    sec -= 1;
  }
  return {sec, rem};
}
}  // namespace

void append_epoch(std::string& out, std::int64_t ns) {
  if (ns < 0) {
    // -0.5 s is "-0.500000000", not "-1.500000000".
    std::uint64_t a = static_cast<std::uint64_t>(-(ns + 1)) + 1;
    fmt::format_to(std::back_inserter(out), "-{}.{:09}", a / 1000000000, a % 1000000000);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}.{:09}", ns / 1000000000, ns % 1000000000);
}

std::string format_epoch(std::int64_t ns) {
  std::string s;
  append_epoch(s, ns);
  return s;
}

std::string format_iso8601(std::int64_t ns) {
  auto [sec, nsec] = split(ns);
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return format_epoch(ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
}

}  // namespace pcapscope
