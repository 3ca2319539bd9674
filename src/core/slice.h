// Python slice semantics over 0-based packet indices: "START:STOP[:STEP]",
// each part optional and possibly negative, or a single index "N".
//
// Positive-step slices with non-negative bounds can be applied while
// streaming; anything negative needs the total count first (needs_count()).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "pcapscope/result.h"

namespace pcapscope {

struct Slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;

  bool needs_count() const {
    return step < 0 || (start && *start < 0) || (stop && *stop < 0);
  }
};

// The concrete range(start, stop, step) a slice denotes over N items (Python's slice.indices).
struct SliceRange {
  std::int64_t start = 0, stop = 0, step = 1;
  bool contains(std::int64_t i) const {
    if (step > 0) return i >= start && i < stop && (i - start) % step == 0;
    return i <= start && i > stop && (start - i) % (-step) == 0;
  }
  std::int64_t size() const;
};

Result<Slice> parse_slice(std::string_view text);
SliceRange resolve_slice(const Slice& slice, std::int64_t count);
// For slices that do not need a count: the same range with stop = INT64_MAX when open-ended.
SliceRange resolve_streaming(const Slice& slice);

}  // namespace pcapscope
