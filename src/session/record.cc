// Session records: names, addresses, uids and Community IDs.
#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "session/community_id.h"
#include "session/session_internal.h"

namespace pcapscope {

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf)) return "?";
  return buf;
}

std::string_view transport_name(Transport t) {
  switch (t) {
    case Transport::kTcp: return "tcp";
    case Transport::kUdp: return "udp";
    case Transport::kIcmp: return "icmp";
    case Transport::kUnknown: break;
  }
  return "unknown_transport";
}

std::string_view conn_state_name(ConnState s) {
  static constexpr std::string_view kNames[] = {"S0",  "S1",   "SF",     "REJ",   "S2", "S3", "RSTO",
                                                "RSTR", "RSTOS0", "RSTRH", "SH",   "SHR", "OTH"};
  const auto i = static_cast<std::size_t>(s);
  return i < std::size(kNames) ? kNames[i] : "OTH";
}

std::string community_id(const SessionRecord& r, std::uint16_t seed) {
  session::FlowEndpoints f;
  f.src = r.orig_h.bytes;
  f.dst = r.resp_h.bytes;
  f.ipv6 = r.orig_h.v6;
  f.proto = r.ip_proto;
  f.has_ports = r.proto != Transport::kUnknown;
  f.sport = r.orig_p;
  f.dport = r.resp_p;
  // ICMP records hold Zeek's mapped ports: (type, counterpart type) for the
  // request/reply pairs, (type, code) otherwise. Handed back as type and
  // code, the Community ID's own mapping turns them into the same pair.
  return session::community_id_v1(f, seed);
}

// session_options_from_env lives with the settings table it reads (config/session_settings.cc).

namespace session {

bool likely_server_port(std::uint16_t port, Transport t) {
  // Ports Zeek's default analyzers register (likely_server_ports), plus a few
  // services every responder meets. Sorted for binary search.
  static constexpr std::uint16_t kTcp[] = {21,   22,   23,   25,   53,   80,   81,   88,   110,  111,  135,
                                           139,  143,  179,  389,  443,  445,  465,  502,  513,  514,  587,
                                           631,  636,  993,  995,  1080, 1433, 1521, 1723, 1883, 2049, 3128,
                                           3306, 3389, 5060, 5222, 5432, 5900, 6379, 6667, 8000, 8080, 8443,
                                           8888, 9200, 27017};
  static constexpr std::uint16_t kUdp[] = {53,  67,  69,  123,  137,  138,  161,  162,  389,  500,  514,
                                           1812, 1813, 1900, 3478, 4500, 4789, 5060, 5353, 5355, 6081};
  if (t == Transport::kTcp) return std::binary_search(std::begin(kTcp), std::end(kTcp), port);
  if (t == Transport::kUdp) return std::binary_search(std::begin(kUdp), std::end(kUdp), port);
  return false;
}

void make_uid(const FlowKey& key, std::int64_t ts_ns, std::uint64_t frame, std::array<char, 20>& out) {
  // Two independent 64-bit mixes over the key, time and frame; 96 of their
  // 128 bits make the uid (as many as Zeek's).
  auto mix = [](std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  };
  std::uint64_t w[5];
  std::memcpy(w, &key, sizeof w);
  std::uint64_t a = 0x6a09e667f3bcc908ULL, b = 0xbb67ae8584caa73bULL;
  for (std::uint64_t x : w) {
    a = mix(a ^ x);
    b = mix(b + x * 0x9e3779b97f4a7c15ULL);
  }
  a = mix(a ^ static_cast<std::uint64_t>(ts_ns));
  b = mix(b ^ frame);
  a = mix(a ^ frame);
  b = mix(b + static_cast<std::uint64_t>(ts_ns));
  static constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 17 base62 digits (about 101 bits, as many as Zeek's uids) from all 128
  // bits, so every digit, the first included, is evenly spread.
  __extension__ using u128 = unsigned __int128;
  u128 v = (static_cast<u128>(a) << 64) | b;
  out[0] = 'C';
  for (int i = 17; i >= 1; --i) {
    out[static_cast<std::size_t>(i)] = kBase62[static_cast<std::size_t>(v % 62)];
    v /= 62;
  }
  out[18] = '\0';
}

}  // namespace session
}  // namespace pcapscope
