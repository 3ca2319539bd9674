// From a decoded packet to its flow: which IP layer keys the session, which
// transport header follows it, and the canonical key.
#include "session/flow_key.h"

#include <atomic>
#include <random>

#include "core/bytes.h"
#include "core/checksum.h"
#include "session/community_id.h"

namespace pcapscope::session {
namespace {

bool is_tunnel_proto(Proto p) {
  switch (p) {
    case Proto::kGre:
    case Proto::kErspan:
    case Proto::kVxlan:
    case Proto::kGeneve:
    case Proto::kGtpU:
    case Proto::kTeredo:
      return true;
    default:
      return false;
  }
}

// Verifies the TCP/UDP checksum when the whole segment was captured. Sums are
// taken in native (little-endian) order, so the pseudo-header's fields are
// byte-swapped into the same order before adding.
bool checksum_bad(const DecodedPacket& pkt, const PacketFlow& f, const Layer& l4, std::uint8_t proto, bool v6) {
  Bytes data = pkt.data();
  if (l4.wire_end > l4.end || (l4.flags & layer_flag::kTruncated)) return false;  // not all there
  if (f.fragment) return false;  // the segment is not all in this packet
  Bytes seg = data.subspan(l4.offset, l4.end - l4.offset);
  if (proto == 17 && seg.size() >= 8 && seg[6] == 0 && seg[7] == 0 && !v6) return false;  // UDP: no checksum
  const std::size_t alen = v6 ? 16 : 4;
  std::uint64_t acc = checksum::add_native(Bytes(f.src.bytes.data(), alen), 0);
  acc = checksum::add_native(Bytes(f.dst.bytes.data(), alen), acc);
  const std::uint32_t len = static_cast<std::uint32_t>(seg.size());
  // Pseudo-header length and protocol, as big-endian 16-bit words read natively.
  auto swap16 = [](std::uint32_t v) { return ((v & 0xff) << 8) | ((v >> 8) & 0xff); };
  acc += swap16(len & 0xffff) + swap16(len >> 16) + swap16(proto);
  acc = checksum::add_native(seg, acc);
  return checksum::fold(acc) != 0xffff;
}

constexpr std::uint8_t kIpv6Routing = 43;
constexpr std::uint8_t kIpv6Fragment = 44;

// With segments left, an IPv6 routing header's final destination is not the
// address in the fixed header but the last one of its list: that is where the
// conversation goes, what the transport checksum covers (RFC 8200 8.1), and
// what tshark and Zeek key on. Type 0 (deprecated) and 2 (mobility) list it
// last; a segment routing header (type 4, RFC 8754) keeps its list reversed,
// so the final segment is entry 0.
void final_destination(Bytes rh, IpAddress& dst) {
  if (rh.size() < 8 || rh[3] == 0) return;  // segments left = 0: already at the final destination
  const std::size_t listed = (rh.size() - 8) / 16;
  if (listed == 0) return;
  std::size_t at = 0;
  switch (rh[2]) {
    case 0:
    case 2:
      at = 8 + (listed - 1) * 16;
      break;
    case 4:
      at = 8;
      break;
    default:
      return;
  }
  std::memcpy(dst.bytes.data(), rh.data() + at, 16);
}

}  // namespace

int ip_levels(const DecodedPacket& pkt, std::array<int, kMaxIpLevels>& out) {
  // Every IP layer outside an ICMP error quotation is one level of tunnelling:
  // each keys a session of its own (the outer UDP flow of a VXLAN tunnel is a
  // conversation too, as Zeek and tshark have it). An ICMP error's quoted
  // datagram belongs to the ICMP session, not to a level.
  int n = 0;
  for (int i = 0; i < pkt.layer_count && n < kMaxIpLevels; ++i) {
    const Layer& l = pkt.layers[static_cast<std::size_t>(i)];
    if ((l.proto == Proto::kIpv4 || l.proto == Proto::kIpv6) && !(l.flags & layer_flag::kInIcmpError)) out[static_cast<std::size_t>(n++)] = i;
  }
  return n;
}

bool extract_flow(const DecodedPacket& pkt, int ip_index, PacketFlow& f) {
  const Layer& ip = pkt.layers[static_cast<std::size_t>(ip_index)];
  Bytes data = pkt.data();
  const bool v6 = ip.proto == Proto::kIpv6;
  if (ip.header_len < (v6 ? 40u : 20u)) return false;  // addresses not all there
  const std::uint8_t* h = data.data() + ip.offset;

  f = PacketFlow{};
  f.ip = &ip;
  f.src.v6 = f.dst.v6 = v6;
  if (v6) {
    std::memcpy(f.src.bytes.data(), h + 8, 16);
    std::memcpy(f.dst.bytes.data(), h + 24, 16);
    f.ip_bytes = load_be16(h + 4) + 40u;
    f.ip_proto = h[6];
  } else {
    std::memcpy(f.src.bytes.data(), h + 12, 4);
    std::memcpy(f.dst.bytes.data(), h + 16, 4);
    f.ip_bytes = load_be16(h + 2);
    // Total length 0 is TSO/BIG TCP's "as long as the frame": count what is there.
    if (f.ip_bytes < 20) f.ip_bytes = ip.wire_end - ip.offset;
    f.ip_proto = h[9];
    f.fragment = (load_be16(h + 6) & 0x3fff) != 0;  // MF set or an offset
  }
  if (ip.tunnel_depth > 0) {
    for (int i = 0; i < ip_index; ++i) {
      const Layer& l = pkt.layers[static_cast<std::size_t>(i)];
      if (is_tunnel_proto(l.proto) || ((l.proto == Proto::kIpv4 || l.proto == Proto::kIpv6) &&
                                       pkt.layers[static_cast<std::size_t>(i) + 1].tunnel_depth > l.tunnel_depth)) {
        f.tunnel = l.proto;
        break;
      }
    }
  }

  // The transport header follows the IP header and its extension headers.
  std::size_t t = static_cast<std::size_t>(ip_index) + 1;
  while (t < pkt.layer_count && pkt.layers[t].proto == Proto::kIpv6Ext) {
    const Layer& ext = pkt.layers[t];
    const std::uint8_t type = f.ip_proto;  // the previous header names this one
    if (type == kIpv6Routing) final_destination(data.subspan(ext.offset, ext.header_len), f.dst);
    if (type == kIpv6Fragment) f.fragment = true;
    if (ext.header_len >= 1) f.ip_proto = data[ext.offset];  // next header after this one
    ++t;
  }
  if (t >= pkt.layer_count) return true;  // other IP protocol: keyed by the address pair
  const Layer& l4 = pkt.layers[t];
  const std::uint8_t* p = data.data() + l4.offset;
  const std::uint32_t header_end = l4.offset + l4.header_len;
  switch (l4.proto) {
    case Proto::kTcp:
      // A header with an impossible length says nothing trustworthy about
      // the segment (Zeek drops it as bad_TCP_header_len, tshark does not
      // count it); the caller reports it. Options cut by a small snaplen are
      // another matter: the fixed header is all there, and "headers only"
      // captures (snaplen 64/68) must keep their sessions. Zeek drops those
      // too (truncated_header); we deliberately do not.
      if (l4.header_len < 20 || (l4.flags & layer_flag::kMalformed)) {
        f.unusable = true;
        return true;
      }
      f.transport = Transport::kTcp;
      f.ip_proto = 6;
      f.sport = load_be16(p);
      f.dport = load_be16(p + 2);
      f.seq = load_be32(p + 4);
      f.ack = load_be32(p + 8);
      f.tcp_flags = p[13];
      f.window = load_be16(p + 14);
      f.payload_len = l4.wire_end > header_end ? l4.wire_end - header_end : 0;
      if (l4.end > header_end) f.payload = data.subspan(header_end, l4.end - header_end);
      f.checksum_bad = checksum_bad(pkt, f, l4, 6, v6);
      break;
    case Proto::kUdp:
      if (l4.header_len < 8) return true;
      f.transport = Transport::kUdp;
      f.ip_proto = 17;
      f.sport = load_be16(p);
      f.dport = load_be16(p + 2);
      f.payload_len = l4.wire_end > header_end ? l4.wire_end - header_end : 0;
      if (l4.end > header_end) f.payload = data.subspan(header_end, l4.end - header_end);
      f.checksum_bad = checksum_bad(pkt, f, l4, 17, v6);
      break;
    case Proto::kIcmp:
    case Proto::kIcmpv6: {
      if (l4.header_len < 2) return true;
      const bool icmp6 = l4.proto == Proto::kIcmpv6;
      f.transport = Transport::kIcmp;
      f.ip_proto = icmp6 ? 58 : 1;
      const IcmpPorts ports = icmp_ports(icmp6, p[0], p[1]);
      f.sport = ports.port1;
      f.dport = ports.port2;
      f.icmp_one_way = ports.one_way;
      // Zeek counts ICMP payload after the 8-byte header.
      const std::uint32_t icmp_len = l4.wire_end - l4.offset;
      f.payload_len = icmp_len > 8 ? icmp_len - 8 : 0;
      break;
    }
    default:
      return true;
  }
  f.transport_layer = &l4;
  return true;
}

void make_key(const PacketFlow& f, FlowKey& key, bool& src_is_a) {
  key = FlowKey{};
  key.ip_proto = f.ip_proto;
  key.v6 = f.src.v6 ? 1 : 0;
  const int c = std::memcmp(f.src.bytes.data(), f.dst.bytes.data(), 16);
  // One-way ICMP messages (errors ...) are not reordered, as in Zeek and the
  // Community ID: an unreachable sent A->B and one sent B->A are two flows.
  src_is_a = f.icmp_one_way || c < 0 || (c == 0 && f.sport <= f.dport);
  const IpAddress& a = src_is_a ? f.src : f.dst;
  const IpAddress& b = src_is_a ? f.dst : f.src;
  key.addr_a = a.bytes;
  key.addr_b = b.bytes;
  key.port_a = src_is_a ? f.sport : f.dport;
  key.port_b = src_is_a ? f.dport : f.sport;
}

std::uint64_t hash_seed() {
  static const std::uint64_t base = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<std::uint64_t> counter{0};
  // splitmix64 of base + n * golden ratio: distinct, unpredictable without base.
  return mix64(base + (counter.fetch_add(1, std::memory_order_relaxed) + 1) * 0x9e3779b97f4a7c15ULL);
}

}  // namespace pcapscope::session
