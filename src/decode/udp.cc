// UDP header; the length field clips the datagram. Known tunnel ports hand on
// to the tunnel decoders (tunnels.cc) so the inner packet is dissected.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {

constexpr std::uint32_t kHeader = 8;

}  // namespace

Proto proto_for_udp_port(std::uint16_t port) {
  switch (port) {
    case 4789: return Proto::kVxlan;
    case 6081: return Proto::kGeneve;
    case 2152: return Proto::kGtpU;
    case 3544: return Proto::kTeredo;
    default: return Proto::kNone;
  }
}

void decode_udp(State& s) {
  const std::uint32_t avail = s.avail();
  if (s.in_icmp_error() && avail >= 4 && avail < kHeader) {
    Layer* l = push_layer(s, Proto::kUdp, avail, Anomaly::kTruncatedUdpHeader);
    if (l) l->flags |= layer_flag::kTruncated;
    s.off = s.end;
    return;
  }
  Layer* l = push_layer(s, Proto::kUdp, kHeader, Anomaly::kTruncatedUdpHeader);
  if (!l) return;
  const std::uint8_t* h = s.at();
  const std::uint16_t len = load_be16(h + 4);
  const std::uint16_t sport = load_be16(h), dport = load_be16(h + 2);
  s.off += kHeader;
  if (s.in_icmp_error() || s.first_fragment) return;  // the rest is incomplete: stop at the ports
  if (len < kHeader) {
    // 0 is legal only for IPv6 jumbograms; anything below 8 is broken.
    if (!(len == 0 && s.wire_end - l->offset > 0xffff)) {
      l->flags |= layer_flag::kMalformed;
      add_anomaly(*s.out, Anomaly::kBadUdpLength);
    }
  } else if (!clip_to_length(s, l->offset, len)) {
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadUdpLength);
  }
  l->end = s.end;
  l->wire_end = s.wire_end;
  // Like Wireshark, the lower port is tried first.
  const std::uint16_t lo = std::min(sport, dport), hi = std::max(sport, dport);
  Proto next = proto_for_udp_port(lo);
  if (next == Proto::kNone) next = proto_for_udp_port(hi);
  s.next = next;
}

namespace {

constexpr FieldDef kUdpFields[] = {
    {"udp.srcport", FieldType::kUInt, Proto::kUdp, get_be16<0>, "Source Port"},
    {"udp.dstport", FieldType::kUInt, Proto::kUdp, get_be16<2>, "Destination Port"},
    {"udp.port", FieldType::kUInt, Proto::kUdp, get_be16<0>, "Source or Destination Port (first: source)", false, 0, false, get_be16<2>},
    {"udp.length", FieldType::kUInt, Proto::kUdp, get_be16<4>, "Length"},
    {"udp.checksum", FieldType::kUInt, Proto::kUdp, get_be16<6>, "Checksum", true, 4},
};

}  // namespace

std::span<const FieldDef> udp_fields() { return kUdpFields; }

}  // namespace pcapscope::decode_detail
