// The detectors `analyze` runs, in report order.
#include "config/settings.h"
#include "detect/detectors.h"

namespace pcapscope::config {

std::vector<const SettingSpec*> all_settings() {
  std::vector<const SettingSpec*> out;
  for (const SettingSpec& s : core_settings()) out.push_back(&s);
  // Detector tables join here as the detectors land.
  return out;
}

}  // namespace pcapscope::config
