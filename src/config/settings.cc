// The settings that belong to no single detector.
#include "config/settings.h"

namespace pcapscope::config {

namespace {

constexpr SettingSpec kCore[] = {
    {"internal", Kind::kNetworks,
     "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,127.0.0.0/8,::1/128,169.254.0.0/16,fe80::/10",
     "What is inside: addresses and CIDRs (default RFC 1918, RFC 4193, loopback, link-local)", {}},
    {"whitelist", Kind::kNetworks, "", "Alerts involving these addresses or CIDRs are suppressed", {}},
    {"baseline", Kind::kPath, "",
     "SQLite baseline file that analyze reads and learns into (empty: $XDG_DATA_HOME/pcapscope/baseline.sqlite)", {}},
    {"geoip_db", Kind::kPath, "", "MaxMind DB (GeoIP2/GeoLite2 Country or City) for client countries; empty: none",
     {}},
};

}  // namespace

std::span<const SettingSpec> core_settings() { return kCore; }

}  // namespace pcapscope::config
