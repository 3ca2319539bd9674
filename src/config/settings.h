// Every setting pcapscope has, for `pcapscope config`, the config file and
// Config::load: the core ones (session stage, inside/whitelist, baseline,
// GeoIP) and each detector's own table.
#pragma once

#include <span>
#include <vector>

#include "config/config.h"
#include "pcapscope/session.h"

namespace pcapscope::config {

// Settings that are not a detector's: session timeouts and caps, internal,
// whitelist, baseline, geoip_db ... (config/settings.cc).
std::span<const SettingSpec> core_settings();

// core_settings() then every detector's settings (detect/registry.cc).
std::vector<const SettingSpec*> all_settings();

// The session stage's options from CONFIG (tcp_timeout, udp_timeout, icmp_timeout, tcp_close_timeout,
// max_sessions, reassembly_memory, fragment_memory); the rest keep SessionOptions' defaults.
// (config/session_settings.cc, which also implements session_options_from_env over the same table.)
SessionOptions session_options(const Config& config);

}  // namespace pcapscope::config
