// Ethernet II / 802.3, 802.2 LLC (+ SNAP), 802.1Q / 802.1ad VLAN tags.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {

// 802.3 length vs Ethernet II type: values up to 1500 are lengths, from
// 0x0600 types; between is undefined (Wireshark treats it as a length error).
constexpr std::uint16_t kMax8023Length = 1500;
constexpr std::uint16_t kMinEthertype = 0x0600;

// Hands on to the protocol named by a type/length field at OFF (relative to
// the layer) whose payload starts at PAYLOAD.
void dispatch_type_or_length(State& s, std::uint16_t type, std::uint32_t payload) {
  s.off = payload;
  if (type <= kMax8023Length) {
    clip_to_length(s, payload, type);  // keeps the 802.3 padding out of the LLC payload
    s.next = Proto::kLlc;
  } else if (type >= kMinEthertype) {
    s.next = proto_for_ethertype(type);
  }
}

}  // namespace

void decode_ethernet(State& s) {
  Layer* l = push_layer(s, Proto::kEthernet, 14, Anomaly::kTruncatedEthernet);
  if (!l) return;
  const std::uint16_t type = load_be16(s.at() + 12);
  dispatch_type_or_length(s, type, l->offset + 14);
  l->end = s.end;  // an 802.3 length clips the frame itself too
  l->wire_end = s.wire_end;
}

void decode_vlan(State& s) {
  if (s.vlan_tags >= kMaxVlanTags) {
    add_anomaly(*s.out, Anomaly::kVlanDepthExceeded);
    return;
  }
  ++s.vlan_tags;
  Layer* l = push_layer(s, Proto::kVlan, 4, Anomaly::kTruncatedVlan);
  if (!l) return;
  dispatch_type_or_length(s, load_be16(s.at() + 2), l->offset + 4);
}

// 802.1BR E-tag: 6 bytes of tag, then the inner type.
void decode_etag(State& s) {
  Layer* l = push_layer(s, Proto::kEtag, 8, Anomaly::kTruncatedEtag);
  if (!l) return;
  dispatch_type_or_length(s, load_be16(s.at() + 6), l->offset + 8);
}

// Cisco VN-tag: 4 bytes of tag, then the inner type.
void decode_vntag(State& s) {
  Layer* l = push_layer(s, Proto::kVntag, 6, Anomaly::kTruncatedVntag);
  if (!l) return;
  dispatch_type_or_length(s, load_be16(s.at() + 4), l->offset + 6);
}

void decode_llc(State& s) {
  if (s.avail() < 3) {
    push_layer(s, Proto::kLlc, 3, Anomaly::kTruncatedLlc);
    return;
  }
  const std::uint8_t* h = s.at();
  // I- and S-format PDUs carry a 2-byte control field, U-format a 1-byte one.
  const std::uint32_t control_len = (h[2] & 0x03) == 0x03 ? 1 : 2;
  const bool snap = h[0] == 0xaa && h[1] == 0xaa && control_len == 1;
  Layer* l = push_layer(s, Proto::kLlc, 2 + control_len + (snap ? 5 : 0), Anomaly::kTruncatedLlc);
  if (!l) return;
  s.off = l->offset + l->header_len;
  if (snap) {
    const std::uint32_t oui = (std::uint32_t{h[3]} << 16) | (std::uint32_t{h[4]} << 8) | h[5];
    // OUI 0 (RFC 1042) and 0x0000f8 (802.1H bridge tunnel) carry an ethertype.
    if (oui == 0 || oui == 0xf8) s.next = proto_for_ethertype(load_be16(h + 6));
  }
}

namespace {

FieldValue eth_type(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 14);
  if (!h || load_be16(h + 12) < kMinEthertype) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + 12));
}
FieldValue eth_len(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 14);
  if (!h || load_be16(h + 12) > kMax8023Length) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + 12));
}
FieldValue eth_addr(const DecodedPacket& p, const Layer& l, std::uint32_t off) {
  const auto* h = header_at(p, l, off + 6);
  return h ? FieldValue::of_mac(h + off) : FieldValue::absent();
}

constexpr FieldDef kEthernetFields[] = {
    {"eth.dst", FieldType::kMac, Proto::kEthernet, get_mac<0>, "Destination"},
    {"eth.src", FieldType::kMac, Proto::kEthernet, get_mac<6>, "Source"},
    {"eth.addr", FieldType::kMac, Proto::kEthernet,
     [](const DecodedPacket& p, const Layer& l) { return eth_addr(p, l, 0); },
     "Address (first occurrence: destination)", false, 0, false,
     [](const DecodedPacket& p, const Layer& l) { return eth_addr(p, l, 6); }},
    {"eth.type", FieldType::kUInt, Proto::kEthernet, eth_type, "Type", true, 4},
    {"eth.len", FieldType::kUInt, Proto::kEthernet, eth_len, "Length"},
};

FieldValue llc_control(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 3);
  if (!h) return FieldValue::absent();
  if ((h[2] & 0x03) == 0x03) return FieldValue::of_uint(h[2]);
  const auto* h4 = header_at(p, l, 4);
  return h4 ? FieldValue::of_uint(load_be16(h4 + 2)) : FieldValue::absent();
}
bool is_snap(const std::uint8_t* h) { return h[0] == 0xaa && h[1] == 0xaa && h[2] == 0x03; }
FieldValue llc_oui(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 8);
  return h && is_snap(h) ? get_be24<3>(p, l) : FieldValue::absent();
}
FieldValue llc_pid(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 8);
  return h && is_snap(h) ? get_be16<6>(p, l) : FieldValue::absent();
}

constexpr FieldDef kLlcFields[] = {
    {"llc.dsap", FieldType::kUInt, Proto::kLlc, get_u8<0>, "DSAP", true, 2},
    {"llc.ssap", FieldType::kUInt, Proto::kLlc, get_u8<1>, "SSAP", true, 2},
    {"llc.control", FieldType::kUInt, Proto::kLlc, llc_control, "Control", true, 2},
    {"llc.oui", FieldType::kUInt, Proto::kLlc, llc_oui, "Organization Code (SNAP)", true, 6},
    {"llc.pid", FieldType::kUInt, Proto::kLlc, llc_pid, "Protocol ID (SNAP)", true, 4},
};

FieldValue vlan_etype(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  if (!h || load_be16(h + 2) < kMinEthertype) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + 2));
}
FieldValue vlan_len(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  if (!h || load_be16(h + 2) > kMax8023Length) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + 2));
}

constexpr FieldDef kVlanFields[] = {
    {"vlan.priority", FieldType::kUInt, Proto::kVlan, get_bits<0, 2, 0xe000>, "Priority"},
    {"vlan.dei", FieldType::kBool, Proto::kVlan, get_flag<0, 2, 0x1000>, "DEI"},
    {"vlan.id", FieldType::kUInt, Proto::kVlan, get_bits<0, 2, 0x0fff>, "ID"},
    {"vlan.etype", FieldType::kUInt, Proto::kVlan, vlan_etype, "Type", true, 4},
    {"vlan.len", FieldType::kUInt, Proto::kVlan, vlan_len, "Length"},
};

constexpr FieldDef kEtagFields[] = {
    {"etag.pcp", FieldType::kUInt, Proto::kEtag, get_bits<0, 2, 0xe000>, "PCP"},
    {"etag.ecid_base", FieldType::kUInt, Proto::kEtag, get_bits<2, 2, 0x0fff>, "E-CID base", true, 3},
    {"etag.etype", FieldType::kUInt, Proto::kEtag, get_be16<6>, "Type", true, 4},
};
constexpr FieldDef kVntagFields[] = {
    {"vntag.dir", FieldType::kBool, Proto::kVntag, get_flag<0, 4, 0x80000000>, "Direction"},
    {"vntag.ptr", FieldType::kBool, Proto::kVntag, get_flag<0, 4, 0x40000000>, "Pointer"},
    {"vntag.dst", FieldType::kUInt, Proto::kVntag, get_bits<0, 4, 0x3fff0000>, "Destination"},
    {"vntag.etype", FieldType::kUInt, Proto::kVntag, get_be16<4>, "Type", true, 4},
};

}  // namespace

std::span<const FieldDef> etag_fields() { return kEtagFields; }
std::span<const FieldDef> vntag_fields() { return kVntagFields; }
std::span<const FieldDef> ethernet_fields() { return kEthernetFields; }
std::span<const FieldDef> llc_fields() { return kLlcFields; }
std::span<const FieldDef> vlan_fields() { return kVlanFields; }

}  // namespace pcapscope::decode_detail
