// Levenshtein distance, for "did you mean ...?" hints on mistyped names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace pcapscope {

std::size_t edit_distance(std::string_view a, std::string_view b);

// Whether B is close enough to A to be offered as a correction.
inline bool is_plausible_typo(std::string_view typed, std::string_view candidate, std::size_t distance) {
  // One edit for short names, a quarter of the name for longer ones (>= 2).
  const std::size_t limit = typed.size() < 8 ? 1 : typed.size() / 4;
  return distance > 0 && distance <= limit && candidate.size() + 3 > typed.size();
}

// The candidate a plausible typo away from TYPED, if any (the closest one).
std::optional<std::string_view> closest_match(std::string_view typed, const std::vector<std::string_view>& candidates);

}  // namespace pcapscope
