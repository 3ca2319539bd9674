// The settings that belong to no single detector: the session stage's
// timeouts and caps, what is inside, the alert whitelist, the baseline store
// and the GeoIP database.
//
// The session defaults are Zeek's (tcp_inactivity_timeout 5 min,
// udp_/icmp_inactivity_timeout 1 min, tcp_close_delay/tcp_reset_delay 5 s),
// so pcapscope's sessions line up with a conn.log of the same capture; the
// caps bound memory on hostile input (a SYN flood costs records, not RAM).
// The 9e9-second ceiling keeps a timeout in int64 nanoseconds.
#include "config/settings.h"

namespace pcapscope::config {

namespace {

constexpr double kMaxSeconds = 9e9;

constexpr SettingSpec kCore[] = {
    {"tcp_timeout", Kind::kSeconds, "300", "TCP inactivity timeout: a quiet session ends (Zeek's default)", {}, 0,
     kMaxSeconds, true},
    {"udp_timeout", Kind::kSeconds, "60", "UDP inactivity timeout: a quiet session ends (Zeek's default)", {}, 0,
     kMaxSeconds, true},
    {"icmp_timeout", Kind::kSeconds, "60", "ICMP and other IP protocols' inactivity timeout (Zeek's default)", {}, 0,
     kMaxSeconds, true},
    {"tcp_close_timeout", Kind::kSeconds, "5",
     "Quiet time after both FINs or a RST before a TCP session ends (Zeek's tcp_close_delay)", {}, 0, kMaxSeconds,
     true},
    {"max_sessions", Kind::kCount, "1000000",
     "Live sessions kept at once (about 600 bytes each); beyond, the longest idle ends early, flagged evicted", {}, 1},
    {"reassembly_memory", Kind::kBytes, "256M",
     "Bytes all TCP streams may buffer for reassembly; beyond, the longest idle session ends early", {}, 1},
    {"fragment_memory", Kind::kBytes, "32M", "Bytes IP fragment reassembly may buffer; beyond, the oldest partial datagram is dropped",
     {}, 1},
    {"reassembly_per_stream", Kind::kBytes, "1M",
     "Out-of-order bytes one TCP direction may buffer; beyond, its first hole is declared a gap (missed bytes)", {}, 1},
    {"max_layers", Kind::kCount, "24",
     "Headers decoded per packet, tunnels and tags included (Suricata's decoder.max-layers); deeper nesting is an "
     "anomaly and left as payload",
     {}, 2, 24},
    {"max_decompressed_size", Kind::kBytes, "1T",
     "Bytes one compressed input may inflate to; beyond, reading it stops, reported as damage decompression_limit",
     {}, 1},
    {"max_compression_ratio", Kind::kCount, "10000",
     "Once past 64 MiB, a compressed input inflating to more than this many times the bytes read stops (a "
     "decompression bomb), reported as damage decompression_limit; 0: no check",
     {}, 0},
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
