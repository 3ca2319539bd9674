// The canonical bidirectional flow key, and what one packet says about its flow.
//
// Both directions of a conversation map to one key: the endpoint that sorts
// first (address, then port) is always side A. The key is a fixed 40-byte
// POD compared with memcmp in full; its hash only picks the probe start.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "pcapscope/decode.h"
#include "pcapscope/session.h"

namespace pcapscope::session {

struct FlowKey {
  std::array<std::uint8_t, 16> addr_a{};
  std::array<std::uint8_t, 16> addr_b{};
  std::uint16_t port_a = 0, port_b = 0;
  std::uint8_t ip_proto = 0;
  std::uint8_t v6 = 0;
  std::uint8_t pad[2] = {0, 0};  // zero, so memcmp and hashing see defined bytes

  friend bool operator==(const FlowKey& x, const FlowKey& y) { return std::memcmp(&x, &y, sizeof(FlowKey)) == 0; }
};
static_assert(sizeof(FlowKey) == 40);

// 64-bit hash of the key: five 8-byte words folded with multiply-xorshift
// rounds, keyed by SEED. The rounds are invertible, so with a known seed a
// capture could be crafted whose flows all share one hash and turn every
// lookup into a walk of one long cluster; the table therefore draws a random
// seed per process. Output never depends on it (uids come from make_uid).
inline std::uint64_t hash_key(const FlowKey& k, std::uint64_t seed) {
  std::uint64_t w[5];
  std::memcpy(w, &k, sizeof w);
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed;
  for (std::uint64_t x : w) {
    h ^= x;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    h += seed;
  }
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 29);
}

// splitmix64's finalizer: a bijective 64-bit mix (the fragment index's hash, hash_seed()).
inline std::uint64_t mix64(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A SEED for hash_key() (and the fragment index): drawn from the kernel once
// per process, then stepped per call, as Rust's RandomState does. Each table
// still gets its own seed, without a random_device per table (that was a
// tenth of a sessions fuzz execution, which builds three tables).
std::uint64_t hash_seed();

// What process() needs from one decoded packet: the flow as seen on the wire
// (source -> destination) plus the transport details.
struct PacketFlow {
  IpAddress src, dst;
  std::uint16_t sport = 0, dport = 0;  // ICMP: Zeek's port mapping (type, counterpart or code)
  std::uint8_t ip_proto = 0;
  Transport transport = Transport::kUnknown;
  bool icmp_one_way = false;
  Proto tunnel = Proto::kNone;
  std::uint32_t ip_bytes = 0;          // IP total length (IPv6: payload length + 40), as Zeek counts
  std::uint32_t payload_len = 0;       // transport payload on the wire (UDP/ICMP bytes)
  const Layer* ip = nullptr;
  const Layer* transport_layer = nullptr;  // TCP/UDP/ICMP layer, or nullptr
  Bytes payload;                       // TCP/UDP payload as captured (may be shorter than payload_len)
  // TCP only.
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  std::uint8_t tcp_flags = 0;
  bool checksum_bad = false;           // TCP/UDP checksum verified and wrong
  bool fragment = false;               // the IP layer is a fragment (only a dropped first one gets here)
  bool unusable = false;               // TCP header truncated or malformed: not added to any session
};

// The layer indices of PKT's IP layers that key sessions, outermost first
// (one per tunnel level; quoted datagrams of ICMP errors excluded).
inline constexpr int kMaxIpLevels = 8;
int ip_levels(const DecodedPacket& pkt, std::array<int, kMaxIpLevels>& out);

// Fills FLOW from the IP layer at IP_INDEX and what follows it; false when
// that layer is too short to hold its addresses.
bool extract_flow(const DecodedPacket& pkt, int ip_index, PacketFlow& flow);

// Builds the canonical key; ORIG_IS_A tells whether the packet's source is side A.
void make_key(const PacketFlow& flow, FlowKey& key, bool& src_is_a);

}  // namespace pcapscope::session
