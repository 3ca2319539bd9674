// Link layers other than Ethernet: MPLS label stacks, PPPoE session + PPP,
// Linux cooked captures (SLL v1 and v2), BSD null/loopback.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

// ---- MPLS ------------------------------------------------------------------

void decode_mpls(State& s) {
  if (s.mpls_labels >= kMaxMplsLabels) {
    add_anomaly(*s.out, Anomaly::kMplsDepthExceeded);
    return;
  }
  ++s.mpls_labels;
  Layer* l = push_layer(s, Proto::kMpls, 4, Anomaly::kTruncatedMpls);
  if (!l) return;
  const bool bottom = (s.at()[2] & 0x01) != 0;
  s.off += 4;
  if (!bottom) {
    s.next = Proto::kMpls;
    return;
  }
  // MPLS does not say what it carries; like Wireshark, guess by the first
  // nibble: 4/6 is IP, 0 a pseudowire control word followed by Ethernet.
  if (s.avail() < 1) return;
  switch (s.at()[0] >> 4) {
    case 4: s.next = Proto::kIpv4; break;
    case 6: s.next = Proto::kIpv6; break;
    case 0:
      if (s.avail() >= 4 + 14) {
        s.off += 4;
        s.next = Proto::kEthernet;
      }
      break;
    default: break;
  }
}

namespace {
constexpr FieldDef kMplsFields[] = {
    {"mpls.label", FieldType::kUInt, Proto::kMpls, get_bits<0, 4, 0xfffff000>, "MPLS Label"},
    {"mpls.exp", FieldType::kUInt, Proto::kMpls, get_bits<0, 4, 0x00000e00>, "MPLS Experimental Bits"},
    {"mpls.bottom", FieldType::kUInt, Proto::kMpls, get_bits<0, 4, 0x00000100>, "MPLS Bottom Of Label Stack"},
    {"mpls.ttl", FieldType::kUInt, Proto::kMpls, get_bits<0, 4, 0x000000ff>, "MPLS TTL"},
};
}  // namespace
std::span<const FieldDef> mpls_fields() { return kMplsFields; }

// ---- PPPoE session / PPP -----------------------------------------------------

void decode_pppoe(State& s) {
  Layer* l = push_layer(s, Proto::kPppoe, 6, Anomaly::kTruncatedPppoe);
  if (!l) return;
  const std::uint16_t len = load_be16(s.at() + 4);
  s.off += 6;
  if (clip_to_length(s, s.off, len)) {
    l->end = s.end;
    l->wire_end = s.wire_end;
  }
  s.next = Proto::kPpp;
}

namespace {

// Where the PPP protocol field starts (after optional HDLC address/control
// ff 03) and how long it is (1 byte when protocol-field compression made it odd).
struct PppShape {
  std::uint32_t proto_off = 0;
  std::uint32_t proto_len = 2;
};
PppShape ppp_shape(const std::uint8_t* h, std::uint32_t avail) {
  PppShape sh;
  if (avail >= 2 && h[0] == 0xff && h[1] == 0x03) sh.proto_off = 2;
  if (avail > sh.proto_off && (h[sh.proto_off] & 0x01) != 0) sh.proto_len = 1;
  return sh;
}

}  // namespace

void decode_ppp(State& s) {
  const PppShape sh = ppp_shape(s.at(), s.avail());
  Layer* l = push_layer(s, Proto::kPpp, sh.proto_off + sh.proto_len, Anomaly::kTruncatedPpp);
  if (!l) return;
  const std::uint8_t* p = s.at() + sh.proto_off;
  const std::uint16_t proto = sh.proto_len == 1 ? p[0] : load_be16(p);
  s.off += l->header_len;
  switch (proto) {
    case 0x0021: s.next = Proto::kIpv4; break;
    case 0x0057: s.next = Proto::kIpv6; break;
    case 0x0281:
    case 0x0283: s.next = Proto::kMpls; break;
    default: break;
  }
}

namespace {
FieldValue ppp_protocol(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 1);
  if (!h) return FieldValue::absent();
  const PppShape sh = ppp_shape(h, l.header_len);
  if (l.header_len < sh.proto_off + sh.proto_len) return FieldValue::absent();
  return FieldValue::of_uint(sh.proto_len == 1 ? h[sh.proto_off] : load_be16(h + sh.proto_off));
}
constexpr FieldDef kPppoeFields[] = {
    {"pppoe.version", FieldType::kUInt, Proto::kPppoe, get_bits<0, 1, 0xf0>, "Version"},
    {"pppoe.type", FieldType::kUInt, Proto::kPppoe, get_bits<0, 1, 0x0f>, "Type"},
    {"pppoe.code", FieldType::kUInt, Proto::kPppoe, get_u8<1>, "Code", true, 2},
    {"pppoe.session_id", FieldType::kUInt, Proto::kPppoe, get_be16<2>, "Session ID", true, 4},
    {"pppoe.payload_length", FieldType::kUInt, Proto::kPppoe, get_be16<4>, "Payload Length"},
};
constexpr FieldDef kPppFields[] = {
    {"ppp.protocol", FieldType::kUInt, Proto::kPpp, ppp_protocol, "Protocol", true, 4},
};
}  // namespace
std::span<const FieldDef> pppoe_fields() { return kPppoeFields; }
std::span<const FieldDef> ppp_fields() { return kPppFields; }

// ---- Linux cooked capture v1 / v2 -------------------------------------------

namespace {

constexpr std::uint16_t kArphrdNetlink = 824;

// The SLL protocol field is an ethertype except for a few small values that
// name what the kernel had instead (linux/if_ether.h ETH_P_802_2 etc).
void sll_dispatch(State& s, std::uint16_t hatype, std::uint16_t protocol) {
  if (hatype == kArphrdNetlink) return;
  switch (protocol) {
    case 0x0004: s.next = Proto::kLlc; break;  // ETH_P_802_2
    case 0x0001:                               // ETH_P_802_3 (Novell raw)
    case 0x0003:                               // ETH_P_ALL
      break;
    default: s.next = proto_for_ethertype(protocol); break;
  }
}

}  // namespace

void decode_sll(State& s) {
  Layer* l = push_layer(s, Proto::kSll, 16, Anomaly::kTruncatedSll);
  if (!l) return;
  const std::uint8_t* h = s.at();
  s.off += 16;
  sll_dispatch(s, load_be16(h + 2), load_be16(h + 14));
}

void decode_sll2(State& s) {
  Layer* l = push_layer(s, Proto::kSll2, 20, Anomaly::kTruncatedSll);
  if (!l) return;
  const std::uint8_t* h = s.at();
  s.off += 20;
  sll_dispatch(s, load_be16(h + 8), load_be16(h + 0));
}

namespace {

// Field offsets differ between v1 and v2; one table serves both (tshark names
// both "sll"), the getter picks by the layer it is given.
struct SllOffsets {
  std::uint32_t pkttype, pkttype_len, hatype, halen, halen_len, addr, protocol, size;
};
constexpr SllOffsets kSll1{0, 2, 2, 4, 2, 6, 14, 16};
constexpr SllOffsets kSll2{10, 1, 8, 11, 1, 12, 0, 20};
const SllOffsets& sll_offsets(const Layer& l) { return l.proto == Proto::kSll2 ? kSll2 : kSll1; }

std::uint32_t read_n(const std::uint8_t* p, std::uint32_t n) { return n == 1 ? p[0] : load_be16(p); }

FieldValue sll_pkttype(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  return h ? FieldValue::of_uint(read_n(h + o.pkttype, o.pkttype_len)) : FieldValue::absent();
}
FieldValue sll_hatype(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  return h ? FieldValue::of_uint(load_be16(h + o.hatype)) : FieldValue::absent();
}
FieldValue sll_halen(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  return h ? FieldValue::of_uint(read_n(h + o.halen, o.halen_len)) : FieldValue::absent();
}
FieldValue sll_src_eth(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  if (!h || read_n(h + o.halen, o.halen_len) != 6) return FieldValue::absent();
  const std::uint16_t hatype = load_be16(h + o.hatype);
  if (hatype != 1 && hatype != 772) return FieldValue::absent();  // ARPHRD_ETHER, ARPHRD_LOOPBACK
  return FieldValue::of_mac(h + o.addr);
}
FieldValue sll_etype(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  if (!h || load_be16(h + o.hatype) == kArphrdNetlink) return FieldValue::absent();
  const std::uint16_t proto = load_be16(h + o.protocol);
  if (proto < 0x0600) return FieldValue::absent();  // sll.ltype in Wireshark
  return FieldValue::of_uint(proto);
}
FieldValue sll_ltype(const DecodedPacket& p, const Layer& l) {
  const auto& o = sll_offsets(l);
  const auto* h = header_at(p, l, o.size);
  if (!h || load_be16(h + o.hatype) == kArphrdNetlink) return FieldValue::absent();
  const std::uint16_t proto = load_be16(h + o.protocol);
  if (proto >= 0x0600) return FieldValue::absent();
  return FieldValue::of_uint(proto);
}
FieldValue sll_ifindex(const DecodedPacket& p, const Layer& l) {
  if (l.proto != Proto::kSll2) return FieldValue::absent();
  return get_be32<4>(p, l);
}

constexpr FieldDef kSllFields[] = {
    {"sll.pkttype", FieldType::kUInt, Proto::kSll, sll_pkttype, "Packet type"},
    {"sll.hatype", FieldType::kUInt, Proto::kSll, sll_hatype, "Link-layer address type"},
    {"sll.halen", FieldType::kUInt, Proto::kSll, sll_halen, "Link-layer address length"},
    {"sll.src.eth", FieldType::kMac, Proto::kSll, sll_src_eth, "Source"},
    {"sll.etype", FieldType::kUInt, Proto::kSll, sll_etype, "Protocol", true, 4},
    {"sll.ltype", FieldType::kUInt, Proto::kSll, sll_ltype, "Protocol (Linux ETH_P_)", true, 4},
    {"sll.ifindex", FieldType::kUInt, Proto::kSll, sll_ifindex, "Interface index (v2)"},
};

}  // namespace
std::span<const FieldDef> sll_fields() { return kSllFields; }

// ---- BSD null / loopback -----------------------------------------------------

namespace {

// LINKTYPE_NULL stores the AF_ value in the capturing host's byte order,
// LINKTYPE_LOOP in network order. A family is small, so a value with high
// bits set was written in the other order (Wireshark's rule as well).
std::uint32_t null_family(const std::uint8_t* h, std::uint32_t link_type) {
  if (link_type == linktype::kLoop) return load_be32(h);
  std::uint32_t v = load_le32(h);
  if ((v & 0xffff0000u) != 0) v = load_be32(h);
  return v;
}

}  // namespace

void decode_null(State& s) {
  Layer* l = push_layer(s, Proto::kNull, 4, Anomaly::kTruncatedNull);
  if (!l) return;
  const std::uint32_t family = null_family(s.at(), s.out->packet->link_type);
  s.off += 4;
  switch (family) {
    case 2: s.next = Proto::kIpv4; break;
    case 10:                 // Linux AF_INET6 (seen in captures written by Linux tools)
    case 24:                 // NetBSD, OpenBSD, BSD/OS
    case 28:                 // FreeBSD, DragonFly
    case 30: s.next = Proto::kIpv6; break;  // Darwin
    default: add_anomaly(*s.out, Anomaly::kUnknownNullFamily); break;
  }
}

namespace {
FieldValue null_family_field(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  if (!h || !p.packet) return FieldValue::absent();
  return FieldValue::of_uint(null_family(h, p.packet->link_type));
}
constexpr FieldDef kNullFields[] = {
    {"null.family", FieldType::kUInt, Proto::kNull, null_family_field, "Family"},
};
}  // namespace
std::span<const FieldDef> null_fields() { return kNullFields; }

}  // namespace pcapscope::decode_detail
