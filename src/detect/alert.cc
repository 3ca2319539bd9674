#include "detect/alert.h"

namespace pcapscope::detect {

namespace {
constexpr std::string_view kNames[] = {"info", "low", "medium", "high", "critical"};
}

std::string_view severity_name(Severity s) { return kNames[static_cast<std::size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    const std::string_view n = kNames[i];
    if (n.size() != name.size()) continue;
    bool same = true;
    for (std::size_t j = 0; j < n.size() && same; ++j) same = (name[j] | 0x20) == n[j];
    if (same) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

void Alert::add_uid(std::string_view uid) {
  ++uid_count;
  if (uids.size() < kMaxEvidence) uids.emplace_back(uid);
}

void Alert::add_frame(std::uint64_t frame) {
  if (frame == 0) return;
  if (frames.size() < kMaxEvidence) frames.push_back(frame);
}

}  // namespace pcapscope::detect
