// The detectors `analyze` runs, in report order, and the settings table
// that lists theirs after the core ones.
#include "config/settings.h"
#include "detect/detectors.h"
#include "detect/engine.h"

namespace pcapscope {

namespace {

struct Entry {
  std::span<const config::SettingSpec> (*settings)();
  std::unique_ptr<detect::Detector> (*make)(const detect::DetectContext&);
};

constexpr Entry kDetectors[] = {
    {detect::exfiltration_settings, detect::make_exfiltration_detector},
    {detect::dns_tunnel_settings, detect::make_dns_tunnel_detector},
    {detect::syn_flood_settings, detect::make_syn_flood_detector},
    {detect::port_scan_settings, detect::make_port_scan_detector},
    {detect::beacon_settings, detect::make_beacon_detector},
    {detect::ssh_new_network_settings, detect::make_ssh_new_network_detector},
    {detect::cleartext_settings, detect::make_cleartext_detector},
    {detect::port_mismatch_settings, detect::make_port_mismatch_detector},
};

}  // namespace

namespace config {

std::vector<const SettingSpec*> all_settings() {
  std::vector<const SettingSpec*> out;
  for (const SettingSpec& s : core_settings()) out.push_back(&s);
  for (const Entry& e : kDetectors) {
    for (const SettingSpec& s : e.settings()) out.push_back(&s);
  }
  return out;
}

}  // namespace config

namespace detect {

std::vector<std::unique_ptr<Detector>> make_detectors(const DetectContext& ctx) {
  std::vector<std::unique_ptr<Detector>> out;
  for (const Entry& e : kDetectors) {
    out.push_back(e.make(ctx));
  }
  return out;
}

}  // namespace detect
}  // namespace pcapscope
