// IPv6: fixed header, then one kIpv6Ext layer per extension header
// (hop-by-hop, routing, fragment, destination options; AH skipped over).
// ESP ends the walk: what follows is encrypted.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {
constexpr std::uint32_t kHeader = 40;
constexpr std::uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDstOpts = 60, kAh = 51;

void dispatch_next_header(State& s, std::uint8_t nh) {
  s.next_header = nh;
  const Proto next = proto_for_ip_protocol(nh, true);
  if ((next == Proto::kIpv4 || next == Proto::kIpv6) && !enter_tunnel(s)) return;
  s.next = next;
}
}  // namespace

void decode_ipv6(State& s) {
  const std::uint32_t avail = s.avail();
  if (avail >= 1 && (s.at()[0] >> 4) != 6) {
    Layer* l = push_layer(s, Proto::kIpv6, std::min(avail, kHeader), Anomaly::kTruncatedIpv6Header);
    if (l) l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadIpv6Version);
    s.stop();
    return;
  }
  Layer* l = push_layer(s, Proto::kIpv6, kHeader, Anomaly::kTruncatedIpv6Header);
  if (!l) return;
  const std::uint8_t* h = s.at();
  const std::uint16_t plen = load_be16(h + 4);
  s.off = l->offset + kHeader;
  s.ext_headers = 0;
  // plen 0 is a jumbogram (or TSO); the capture's length is the truth then.
  if (plen != 0 && !s.in_icmp_error() && !clip_to_length(s, s.off, plen)) {
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kIpv6PayloadLengthExceedsCapture);
  }
  l->end = s.end;
  l->wire_end = s.wire_end;
  dispatch_next_header(s, h[6]);
}

void decode_ipv6_ext(State& s) {
  if (s.ext_headers >= kMaxIpv6ExtHeaders) {
    add_anomaly(*s.out, Anomaly::kIpv6ExtDepthExceeded);
    return;
  }
  ++s.ext_headers;
  const std::uint8_t type = s.next_header;
  std::uint32_t len = 8;
  if (s.avail() >= 2) {
    if (type == kAh) {
      len = (s.at()[1] + 2u) * 4u;
    } else if (type != kFragment) {
      len = (s.at()[1] + 1u) * 8u;
    }
  }
  Layer* l = push_layer(s, Proto::kIpv6Ext, len, Anomaly::kTruncatedIpv6ExtHeader);
  if (!l) return;
  const std::uint8_t* h = s.at();
  s.off += len;
  // Fragments wait for the session stage's reassembly: a non-first fragment's
  // payload stays raw, the first one gives only its transport header.
  if (type == kFragment) {
    const std::uint16_t off_flags = load_be16(h + 2);
    if ((off_flags & 0xfff8) != 0) return;
    if (off_flags & 1) s.first_fragment = true;
  }
  dispatch_next_header(s, h[0]);
}

namespace {

// Which extension header a kIpv6Ext layer is: the previous header names it.
int ext_type(const DecodedPacket& p, const Layer& l) {
  const std::size_t i = layer_index(p, l);
  if (i == 0 || i >= p.layer_count) return -1;
  const Layer& prev = p.layers[i - 1];
  if (prev.proto == Proto::kIpv6) {
    const auto* h = header_at(p, prev, kHeader);
    return h ? h[6] : -1;
  }
  if (prev.proto == Proto::kIpv6Ext || prev.proto == Proto::kIpv4) {
    const auto* h = header_at(p, prev, prev.proto == Proto::kIpv4 ? 10 : 1);
    return h ? h[prev.proto == Proto::kIpv4 ? 9 : 0] : -1;
  }
  return -1;
}

template <std::uint8_t Type, FieldGetter Get>
FieldValue if_ext(const DecodedPacket& p, const Layer& l) {
  return ext_type(p, l) == Type ? Get(p, l) : FieldValue::absent();
}

FieldValue frag_offset(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  // In 8-octet units, as Wireshark shows ipv6.fraghdr.offset.
  return h ? FieldValue::of_uint(load_be16(h + 2) >> 3) : FieldValue::absent();
}

constexpr FieldDef kIpv6Fields[] = {
    {"ipv6.version", FieldType::kUInt, Proto::kIpv6, get_bits<0, 1, 0xf0>, "Version"},
    {"ipv6.tclass", FieldType::kUInt, Proto::kIpv6, get_bits<0, 4, 0x0ff00000>, "Traffic Class", true, 2},
    {"ipv6.tclass.dscp", FieldType::kUInt, Proto::kIpv6, get_bits<0, 4, 0x0fc00000>, "Differentiated Services Codepoint"},
    {"ipv6.tclass.ecn", FieldType::kUInt, Proto::kIpv6, get_bits<0, 4, 0x00300000>, "Explicit Congestion Notification"},
    {"ipv6.flow", FieldType::kUInt, Proto::kIpv6, get_bits<0, 4, 0x000fffff>, "Flow Label", true, 5},
    {"ipv6.plen", FieldType::kUInt, Proto::kIpv6, get_be16<4>, "Payload Length"},
    {"ipv6.nxt", FieldType::kUInt, Proto::kIpv6, get_u8<6>, "Next Header"},
    {"ipv6.hlim", FieldType::kUInt, Proto::kIpv6, get_u8<7>, "Hop Limit"},
    {"ipv6.src", FieldType::kIpv6, Proto::kIpv6, get_ipv6<8>, "Source Address"},
    {"ipv6.dst", FieldType::kIpv6, Proto::kIpv6, get_ipv6<24>, "Destination Address"},
    {"ipv6.addr", FieldType::kIpv6, Proto::kIpv6, get_ipv6<8>, "Source or Destination Address (first: source)", false, 0,
     false, get_ipv6<24>},
};

constexpr FieldDef kIpv6ExtFields[] = {
    {"ipv6.hopopts.nxt", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kHopByHop, get_u8<0>>, "Next Header"},
    {"ipv6.hopopts.len", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kHopByHop, get_u8<1>>, "Length"},
    {"ipv6.routing.nxt", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kRouting, get_u8<0>>, "Next Header"},
    {"ipv6.routing.len", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kRouting, get_u8<1>>, "Length"},
    {"ipv6.routing.type", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kRouting, get_u8<2>>, "Type"},
    {"ipv6.routing.segleft", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kRouting, get_u8<3>>, "Segments Left"},
    {"ipv6.fraghdr.nxt", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kFragment, get_u8<0>>, "Next header"},
    {"ipv6.fraghdr.offset", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kFragment, frag_offset>, "Offset (8-octet units)"},
    {"ipv6.fraghdr.more", FieldType::kBool, Proto::kIpv6Ext, if_ext<kFragment, get_flag<2, 2, 0x0001>>, "More Fragments"},
    {"ipv6.fraghdr.ident", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kFragment, get_be32<4>>, "Identification", true, 8},
    {"ipv6.dstopts.nxt", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kDstOpts, get_u8<0>>, "Next Header"},
    {"ipv6.dstopts.len", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kDstOpts, get_u8<1>>, "Length"},
    {"ah.next_header", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kAh, get_u8<0>>, "Next header"},
    {"ah.length", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kAh, get_u8<1>>, "Length"},
    {"ah.spi", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kAh, get_be32<4>>, "AH SPI", true, 8},
    {"ah.sequence", FieldType::kUInt, Proto::kIpv6Ext, if_ext<kAh, get_be32<8>>, "AH Sequence"},
};

}  // namespace

std::span<const FieldDef> ipv6_fields() { return kIpv6Fields; }
std::span<const FieldDef> ipv6_ext_fields() { return kIpv6ExtFields; }

}  // namespace pcapscope::decode_detail
