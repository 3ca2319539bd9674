// decode(): the layer walk and its dispatch tables (link type, ethertype, IP
// protocol), the shared layer/anomaly helpers, names, and the frame.* fields.
#include "decode/dispatch.h"

#include <algorithm>
#include <atomic>

#include "core/checksum.h"

namespace pcapscope {

using namespace decode_detail;

std::string_view proto_name(Proto p) {
  switch (p) {
    case Proto::kNone: return "none";
    case Proto::kFrame: return "frame";
    case Proto::kEthernet: return "eth";
    case Proto::kLlc: return "llc";
    case Proto::kVlan: return "vlan";
    case Proto::kMpls: return "mpls";
    case Proto::kPppoe: return "pppoes";
    case Proto::kPpp: return "ppp";
    case Proto::kSll: return "sll";
    case Proto::kSll2: return "sll";
    case Proto::kNull: return "null";
    case Proto::kIpv4: return "ip";
    case Proto::kIpv6: return "ipv6";
    case Proto::kIpv6Ext: return "ipv6.ext";
    case Proto::kArp: return "arp";
    case Proto::kIcmp: return "icmp";
    case Proto::kIcmpv6: return "icmpv6";
    case Proto::kTcp: return "tcp";
    case Proto::kUdp: return "udp";
    case Proto::kGre: return "gre";
    case Proto::kErspan: return "erspan";
    case Proto::kVxlan: return "vxlan";
    case Proto::kGeneve: return "geneve";
    case Proto::kGtpU: return "gtp";
    case Proto::kTeredo: return "teredo";
    case Proto::kEtag: return "etag";
    case Proto::kVntag: return "vntag";
    case Proto::kNsh: return "nsh";
    case Proto::kCount: break;
  }
  return "unknown";
}

std::string_view anomaly_name(Anomaly a) {
  switch (a) {
    case Anomaly::kNone: return "none";
    case Anomaly::kTruncatedEthernet: return "truncated_ethernet";
    case Anomaly::kTruncatedLlc: return "truncated_llc";
    case Anomaly::kTruncatedVlan: return "truncated_vlan";
    case Anomaly::kVlanDepthExceeded: return "vlan_depth_exceeded";
    case Anomaly::kTruncatedMpls: return "truncated_mpls";
    case Anomaly::kMplsDepthExceeded: return "mpls_depth_exceeded";
    case Anomaly::kTruncatedPppoe: return "truncated_pppoe";
    case Anomaly::kTruncatedPpp: return "truncated_ppp";
    case Anomaly::kTruncatedSll: return "truncated_sll";
    case Anomaly::kTruncatedNull: return "truncated_null";
    case Anomaly::kUnknownNullFamily: return "unknown_null_family";
    case Anomaly::kTruncatedIpv4Header: return "truncated_ipv4_header";
    case Anomaly::kBadIpv4Version: return "bad_ipv4_version";
    case Anomaly::kBadIpv4HeaderLength: return "bad_ipv4_header_length";
    case Anomaly::kBadIpv4TotalLength: return "bad_ipv4_total_length";
    case Anomaly::kIpv4TotalLengthExceedsCapture: return "ipv4_total_length_exceeds_capture";
    case Anomaly::kBadIpv4Checksum: return "bad_ipv4_checksum";
    case Anomaly::kTruncatedIpv6Header: return "truncated_ipv6_header";
    case Anomaly::kBadIpv6Version: return "bad_ipv6_version";
    case Anomaly::kTruncatedIpv6ExtHeader: return "truncated_ipv6_ext_header";
    case Anomaly::kIpv6ExtDepthExceeded: return "ipv6_ext_depth_exceeded";
    case Anomaly::kIpv6PayloadLengthExceedsCapture: return "ipv6_payload_length_exceeds_capture";
    case Anomaly::kTruncatedArp: return "truncated_arp";
    case Anomaly::kTruncatedIcmp: return "truncated_icmp";
    case Anomaly::kTruncatedIcmpv6: return "truncated_icmpv6";
    case Anomaly::kTruncatedTcpHeader: return "truncated_tcp_header";
    case Anomaly::kBadTcpDataOffset: return "bad_tcp_data_offset";
    case Anomaly::kBadTcpOption: return "bad_tcp_option";
    case Anomaly::kTruncatedUdpHeader: return "truncated_udp_header";
    case Anomaly::kBadUdpLength: return "bad_udp_length";
    case Anomaly::kTruncatedGre: return "truncated_gre";
    case Anomaly::kTruncatedErspan: return "truncated_erspan";
    case Anomaly::kTruncatedVxlan: return "truncated_vxlan";
    case Anomaly::kTruncatedGeneve: return "truncated_geneve";
    case Anomaly::kTruncatedGtp: return "truncated_gtp";
    case Anomaly::kTunnelDepthExceeded: return "tunnel_depth_exceeded";
    case Anomaly::kLayerLimitReached: return "layer_limit_reached";
    case Anomaly::kUnsupportedLinkType: return "unsupported_link_type";
    case Anomaly::kIcmpErrorNested: return "icmp_error_nested";
    case Anomaly::kBadGreVersion: return "bad_gre_version";
    case Anomaly::kTruncatedTeredo: return "truncated_teredo";
    case Anomaly::kBadIpv4Option: return "bad_ipv4_option";
    case Anomaly::kTruncatedEtag: return "truncated_etag";
    case Anomaly::kTruncatedVntag: return "truncated_vntag";
    case Anomaly::kTruncatedNsh: return "truncated_nsh";
    case Anomaly::kCount: break;
  }
  return "unknown";
}

const Layer* DecodedPacket::find(Proto p, unsigned occurrence) const {
  for (std::size_t i = 0; i < layer_count; ++i) {
    if (layers[i].proto == p && occurrence-- == 0) return &layers[i];
  }
  return nullptr;
}

bool DecodedPacket::has_anomaly(Anomaly a) const {
  return std::find(anomalies.begin(), anomalies.begin() + anomaly_count, a) !=
         anomalies.begin() + anomaly_count;
}

namespace {
// Read on every layer pushed, so relaxed: it is set once before decoding starts.
std::atomic<std::size_t> g_max_layers{DecodedPacket::kMaxLayers};
}  // namespace

void set_max_layers(std::size_t n) {
  g_max_layers.store(std::clamp<std::size_t>(n, 2, DecodedPacket::kMaxLayers), std::memory_order_relaxed);
}
std::size_t max_layers() { return g_max_layers.load(std::memory_order_relaxed); }

namespace decode_detail {

void add_anomaly(DecodedPacket& out, Anomaly a) {
  if (out.has_anomaly(a)) return;  // one mention per packet is evidence enough
  if (out.anomaly_count < DecodedPacket::kMaxAnomalies) {
    out.anomalies[out.anomaly_count++] = a;
  } else if (out.anomalies_dropped < 255) {
    ++out.anomalies_dropped;
  }
}

Layer* push_layer(State& s, Proto p, std::uint32_t full_len, Anomaly trunc) {
  DecodedPacket& o = *s.out;
  if (o.layer_count >= g_max_layers.load(std::memory_order_relaxed)) {
    add_anomaly(o, Anomaly::kLayerLimitReached);
    s.stop();
    return nullptr;
  }
  Layer& l = o.layers[o.layer_count++];
  l.proto = p;
  l.flags = s.flags;
  l.tunnel_depth = s.depth;
  l.offset = s.off;
  l.end = std::max(s.end, s.off);
  l.wire_end = std::max(s.wire_end, l.end);
  const std::uint32_t avail = s.avail();
  if (avail < full_len) {
    l.header_len = avail;
    l.flags |= layer_flag::kTruncated;
    // A quoted datagram in an ICMP error is cut short by design (RFC 792:
    // IP header + 8 bytes); that is not worth an anomaly.
    if (!s.in_icmp_error()) add_anomaly(o, trunc);
    s.off = s.end;
    s.stop();
    return nullptr;
  }
  l.header_len = full_len;
  return &l;
}

bool clip_to_length(State& s, std::uint32_t start, std::uint32_t len) {
  const std::uint64_t wire = std::uint64_t{start} + len;
  if (wire > s.wire_end) return false;
  s.wire_end = static_cast<std::uint32_t>(wire);
  s.end = std::min(s.end, s.wire_end);
  return true;
}

Proto proto_for_ethertype(std::uint16_t ethertype) {
  switch (ethertype) {
    case 0x0800: return Proto::kIpv4;
    case 0x86dd: return Proto::kIpv6;
    case 0x0806: return Proto::kArp;
    case 0x8100:
    case 0x88a8:
    case 0x9100:
    case 0x9200: return Proto::kVlan;
    case 0x8847:
    case 0x8848: return Proto::kMpls;
    case 0x8864: return Proto::kPppoe;
    case 0x893f: return Proto::kEtag;
    case 0x8926: return Proto::kVntag;
    case 0x894f: return Proto::kNsh;
    case 0x6558: return Proto::kEthernet;  // transparent Ethernet bridging (GRE, Geneve)
    default: return Proto::kNone;
  }
}

Proto proto_for_ip_protocol(std::uint8_t protocol, bool ipv6) {
  switch (protocol) {
    case 1: return Proto::kIcmp;
    case 58: return Proto::kIcmpv6;
    case 6: return Proto::kTcp;
    case 17: return Proto::kUdp;
    case 47: return Proto::kGre;
    case 4: return Proto::kIpv4;
    case 41: return Proto::kIpv6;
    case 0:
    case 43:
    case 44:
    case 60: return ipv6 ? Proto::kIpv6Ext : Proto::kNone;
    case 51: return Proto::kIpv6Ext;  // AH: skipped over in both IP versions
    default: return Proto::kNone;
  }
}

Proto proto_for_ip_version(const State& s) {
  if (s.avail() < 1) return Proto::kNone;
  switch (s.at()[0] >> 4) {
    case 4: return Proto::kIpv4;
    case 6: return Proto::kIpv6;
    default: return Proto::kNone;
  }
}

bool enter_tunnel(State& s) {
  if (s.depth >= kMaxTunnelDepth) {
    add_anomaly(*s.out, Anomaly::kTunnelDepthExceeded);
    s.stop();
    return false;
  }
  ++s.depth;
  return true;
}

std::uint16_t ones_complement_sum(Bytes data, std::uint32_t initial) {
  // INITIAL is in network order: swapped into native order, it joins the sum there.
  const std::uint32_t native_initial = checksum::to_network(checksum::fold(initial));
  return checksum::to_network(checksum::fold(checksum::add_native(data, native_initial)));
}

namespace {

using DecodeFn = void (*)(State&);

// Dense table indexed by Proto: the walk is a loop over function pointers,
// no virtual call and no per-layer object.
constexpr std::array<DecodeFn, static_cast<std::size_t>(Proto::kCount)> kDecoders = [] {
  std::array<DecodeFn, static_cast<std::size_t>(Proto::kCount)> t{};
  auto set = [&t](Proto p, DecodeFn f) { t[static_cast<std::size_t>(p)] = f; };
  set(Proto::kEthernet, decode_ethernet);
  set(Proto::kLlc, decode_llc);
  set(Proto::kVlan, decode_vlan);
  set(Proto::kMpls, decode_mpls);
  set(Proto::kPppoe, decode_pppoe);
  set(Proto::kPpp, decode_ppp);
  set(Proto::kSll, decode_sll);
  set(Proto::kSll2, decode_sll2);
  set(Proto::kNull, decode_null);
  set(Proto::kIpv4, decode_ipv4);
  set(Proto::kIpv6, decode_ipv6);
  set(Proto::kIpv6Ext, decode_ipv6_ext);
  set(Proto::kArp, decode_arp);
  set(Proto::kIcmp, decode_icmp);
  set(Proto::kIcmpv6, decode_icmpv6);
  set(Proto::kTcp, decode_tcp);
  set(Proto::kUdp, decode_udp);
  set(Proto::kGre, decode_gre);
  set(Proto::kErspan, decode_erspan);
  set(Proto::kVxlan, decode_vxlan);
  set(Proto::kGeneve, decode_geneve);
  set(Proto::kGtpU, decode_gtpu);
  set(Proto::kTeredo, decode_teredo);
  set(Proto::kEtag, decode_etag);
  set(Proto::kVntag, decode_vntag);
  set(Proto::kNsh, decode_nsh);
  return t;
}();

Proto proto_for_link_type(std::uint32_t link_type, const State& s) {
  switch (link_type) {
    case linktype::kEthernet: return Proto::kEthernet;
    case linktype::kNull:
    case linktype::kLoop: return Proto::kNull;
    case linktype::kLinuxSll: return Proto::kSll;
    case linktype::kLinuxSll2: return Proto::kSll2;
    case linktype::kIpv4: return Proto::kIpv4;
    case linktype::kIpv6: return Proto::kIpv6;
    case linktype::kRaw:
    case linktype::kRawBsd12:
    case linktype::kRawBsd14: return proto_for_ip_version(s);
    case 9:    // PPP
    case 50:   // PPP in HDLC-like framing
      return Proto::kPpp;
    default: return Proto::kCount;
  }
}

}  // namespace
}  // namespace decode_detail

void decode(const Packet& pkt, DecodedPacket& out) {
  out.packet = &pkt;
  out.layer_count = 0;
  out.anomaly_count = 0;
  out.anomalies_dropped = 0;
  out.session_uid = {};
  out.app = nullptr;
  // Packets beyond 4 GiB cannot exist (records are capped far lower); clamp so
  // 32-bit offsets stay exact.
  const auto cap = static_cast<std::uint32_t>(std::min<std::size_t>(pkt.data.size(), 0xffffffffu));

  State s;
  s.out = &out;
  s.base = pkt.data.data();
  s.cap = cap;
  s.end = cap;
  s.wire_end = std::max(pkt.orig_len, cap);

  Layer& frame = out.layers[out.layer_count++];
  frame = Layer{};
  frame.proto = Proto::kFrame;
  frame.end = cap;
  frame.wire_end = s.wire_end;

  s.next = proto_for_link_type(pkt.link_type, s);
  if (s.next == Proto::kCount) {
    add_anomaly(out, Anomaly::kUnsupportedLinkType);
    s.next = Proto::kNone;
  }
  while (s.next != Proto::kNone) {
    const DecodeFn fn = kDecoders[static_cast<std::size_t>(s.next)];
    if (fn == nullptr) break;
    s.next = Proto::kNone;  // a decoder that finds nothing to hand on ends the walk
    fn(s);
  }
  out.payload_offset = std::min(s.off, s.end);
  out.payload_len = s.end - out.payload_offset;
}

// ---- frame.* ---------------------------------------------------------------

namespace decode_detail {
namespace {

FieldValue frame_number(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_uint(p.packet->frame) : FieldValue::absent();
}
FieldValue frame_time_epoch(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_time(p.packet->ts_ns) : FieldValue::absent();
}
FieldValue frame_len(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_uint(p.packet->orig_len) : FieldValue::absent();
}
FieldValue frame_cap_len(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_uint(p.packet->data.size()) : FieldValue::absent();
}
FieldValue frame_interface_id(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_uint(p.packet->interface) : FieldValue::absent();
}
FieldValue frame_link_type(const DecodedPacket& p, const Layer&) {
  return p.packet ? FieldValue::of_uint(p.packet->link_type) : FieldValue::absent();
}

FieldValue session_uid(const DecodedPacket& p, const Layer&) {
  return p.session_uid.empty() ? FieldValue::absent() : FieldValue::of_string(p.session_uid);
}

constexpr FieldDef kFrameFields[] = {
    {"frame.number", FieldType::kUInt, Proto::kFrame, frame_number, "Frame Number"},
    {"frame.time_epoch", FieldType::kTime, Proto::kFrame, frame_time_epoch, "Epoch Time"},
    {"frame.len", FieldType::kUInt, Proto::kFrame, frame_len, "Frame length on the wire"},
    {"frame.cap_len", FieldType::kUInt, Proto::kFrame, frame_cap_len, "Frame length stored into the capture file"},
    {"frame.interface_id", FieldType::kUInt, Proto::kFrame, frame_interface_id, "Interface id"},
    // Not Wireshark's frame.encap_type (which numbers wiretap encapsulations):
    // the pcap LINKTYPE_ value, hence a name of our own.
    {"frame.link_type", FieldType::kUInt, Proto::kFrame, frame_link_type, "Link-layer header type (LINKTYPE_)"},
    // Zeek's name for a session id; present when sessions are tracked (packets --fields uid).
    {"uid", FieldType::kString, Proto::kFrame, session_uid, "Uid of the packet's session (as in pcapscope sessions)"},
};

}  // namespace

std::span<const FieldDef> frame_fields() { return kFrameFields; }

}  // namespace decode_detail
}  // namespace pcapscope
