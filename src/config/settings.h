// Every setting pcapscope has, for `pcapscope config`, the config file and
// Config::load: the core ones (session stage, inside/whitelist, baseline,
// GeoIP) and each detector's own table.
#pragma once

#include <span>
#include <vector>

#include "config/config.h"

namespace pcapscope::config {

// Settings that are not a detector's: session timeouts and caps, internal,
// whitelist, baseline, geoip_db ... (config/settings.cc).
std::span<const SettingSpec> core_settings();

// core_settings() then every detector's settings (detect/registry.cc).
std::vector<const SettingSpec*> all_settings();

}  // namespace pcapscope::config
