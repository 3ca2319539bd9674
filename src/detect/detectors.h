// The detectors, one file each, and their settings.
//
// Each detector's settings are a static table in its own file, so adding a
// detector adds its settings to `pcapscope config` and the config file
// without touching a central list (registry.cc only lists the detectors).
#pragma once

#include <memory>
#include <span>

#include "config/config.h"
#include "detect/detector.h"

namespace pcapscope::detect {

std::span<const config::SettingSpec> exfiltration_settings();
std::unique_ptr<Detector> make_exfiltration_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> dns_tunnel_settings();
std::unique_ptr<Detector> make_dns_tunnel_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> syn_flood_settings();
std::unique_ptr<Detector> make_syn_flood_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> port_scan_settings();
std::unique_ptr<Detector> make_port_scan_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> beacon_settings();
std::unique_ptr<Detector> make_beacon_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> ssh_new_network_settings();
std::unique_ptr<Detector> make_ssh_new_network_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> cleartext_settings();
std::unique_ptr<Detector> make_cleartext_detector(const DetectContext& ctx);

std::span<const config::SettingSpec> port_mismatch_settings();
std::unique_ptr<Detector> make_port_mismatch_detector(const DetectContext& ctx);

}  // namespace pcapscope::detect
