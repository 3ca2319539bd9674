#include "core/slice.h"

#include <charconv>
#include <limits>
#include <string>

namespace pcapscope {
namespace {

Result<std::optional<std::int64_t>> parse_part(std::string_view part, std::string_view whole) {
  if (part.empty()) return std::optional<std::int64_t>{};
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  if (ec != std::errc{} || ptr != part.data() + part.size())
    return Error{"bad slice \"" + std::string(whole) + "\": \"" + std::string(part) +
                 "\" is not an integer (expected START:STOP[:STEP], e.g. 0:100 or -10: or ::2)"};
  return std::optional<std::int64_t>{v};
}

}  // namespace

Result<Slice> parse_slice(std::string_view text) {
  Slice s;
  auto c1 = text.find(':');
  if (c1 == std::string_view::npos) {
    auto idx = parse_part(text, text);
    if (!idx) return idx.error();
    if (!*idx) return Error{"bad slice \"\": expected START:STOP[:STEP] or an index"};
    std::int64_t n = **idx;
    if (n == std::numeric_limits<std::int64_t>::max())
      return Error{"bad slice \"" + std::string(text) + "\": index out of range"};
    s.start = n;
    if (n != -1) s.stop = n + 1;  // "-1" is the last packet: -1:(end)
    return s;
  }
  auto c2 = text.find(':', c1 + 1);
  auto start = parse_part(text.substr(0, c1), text);
  if (!start) return start.error();
  auto stop = parse_part(text.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), text);
  if (!stop) return stop.error();
  s.start = *start;
  s.stop = *stop;
  if (c2 != std::string_view::npos) {
    auto rest = text.substr(c2 + 1);
    if (rest.find(':') != std::string_view::npos)
      return Error{"bad slice \"" + std::string(text) + "\": at most START:STOP:STEP"};
    auto step = parse_part(rest, text);
    if (!step) return step.error();
    if (*step) {
      if (**step == 0) return Error{"bad slice \"" + std::string(text) + "\": step cannot be zero"};
      // Its negation is needed and does not exist.
      if (**step == std::numeric_limits<std::int64_t>::min())
        return Error{"bad slice \"" + std::string(text) + "\": step out of range"};
      s.step = **step;
    }
  }
  return s;
}

SliceRange resolve_slice(const Slice& s, std::int64_t n) {
  // Mirrors CPython's PySlice_AdjustIndices.
  const std::int64_t lower = s.step < 0 ? -1 : 0;
  const std::int64_t upper = s.step < 0 ? n - 1 : n;
  auto adjust = [&](std::optional<std::int64_t> v, std::int64_t dflt) {
    if (!v) return dflt;
    std::int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < lower) x = lower;
    } else if (x > upper) {
      x = upper;
    }
    return x;
  };
  SliceRange r;
  r.step = s.step;
  r.start = adjust(s.start, s.step < 0 ? upper : lower);
  r.stop = adjust(s.stop, s.step < 0 ? lower : upper);
  return r;
}

SliceRange resolve_streaming(const Slice& s) {
  SliceRange r;
  r.step = s.step;
  r.start = s.start.value_or(0);
  r.stop = s.stop.value_or(std::numeric_limits<std::int64_t>::max());
  return r;
}

std::int64_t SliceRange::size() const {
  if (step > 0) return stop > start ? (stop - start + step - 1) / step : 0;
  return start > stop ? (start - stop + (-step) - 1) / (-step) : 0;
}

}  // namespace pcapscope
