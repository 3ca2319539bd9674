// Tunnels decoded through so the inner packet is dissected while the outer
// layers stay visible: GRE (incl. PPTP's enhanced GRE), ERSPAN I/II/III,
// VXLAN, Geneve, GTP-U and Teredo. IP-in-IP / 6in4 / 4in6 need no header of
// their own: the IP decoders hand on to IP with the tunnel depth raised.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {

constexpr std::uint16_t kGreChecksum = 0x8000, kGreRouting = 0x4000, kGreKey = 0x2000,
                        kGreSeq = 0x1000, kGreAck = 0x0080;
constexpr std::uint16_t kEthertypeErspan2 = 0x88be, kEthertypeErspan3 = 0x22eb, kEthertypePpp = 0x880b;

std::uint32_t gre_header_len(std::uint16_t flags_ver) {
  std::uint32_t len = 4;
  if ((flags_ver & 0x7) == 1) {  // enhanced GRE (PPTP): key always, ack optional
    len += 4;
    if (flags_ver & kGreSeq) len += 4;
    if (flags_ver & kGreAck) len += 4;
    return len;
  }
  if (flags_ver & (kGreChecksum | kGreRouting)) len += 4;
  if (flags_ver & kGreKey) len += 4;
  if (flags_ver & kGreSeq) len += 4;
  return len;
}

// Enters the tunnel and hands on to NEXT (when known).
void tunnel_to(State& s, Proto next) {
  if (next == Proto::kNone) return;
  if (!enter_tunnel(s)) return;
  s.next = next;
}

}  // namespace

void decode_gre(State& s) {
  if (s.avail() >= 2) {
    const std::uint16_t fv = load_be16(s.at());
    if ((fv & 0x7) > 1) {
      Layer* l = push_layer(s, Proto::kGre, 4, Anomaly::kTruncatedGre);
      if (l) l->flags |= layer_flag::kMalformed;
      add_anomaly(*s.out, Anomaly::kBadGreVersion);
      if (l) s.off += 4;
      return;
    }
  }
  const std::uint32_t len = s.avail() >= 2 ? gre_header_len(load_be16(s.at())) : 4;
  Layer* l = push_layer(s, Proto::kGre, len, Anomaly::kTruncatedGre);
  if (!l) return;
  const std::uint16_t fv = load_be16(s.at());
  const std::uint16_t proto = load_be16(s.at() + 2);
  s.off += len;
  if (fv & kGreRouting) return;  // source-route entries follow: obsolete (RFC 2784), not decoded
  if ((fv & 0x7) == 1) {
    // PPTP: the payload may be absent (an ack-only packet).
    if (proto == kEthertypePpp && s.avail() > 0) tunnel_to(s, Proto::kPpp);
    return;
  }
  switch (proto) {
    case kEthertypeErspan2:
      // Type I has no ERSPAN header and no GRE sequence number; type II has both.
      if (fv & kGreSeq) {
        s.next = Proto::kErspan;
      } else {
        tunnel_to(s, Proto::kEthernet);
      }
      break;
    case kEthertypeErspan3: s.next = Proto::kErspan; break;
    case kEthertypePpp: tunnel_to(s, Proto::kPpp); break;
    default: tunnel_to(s, proto_for_ethertype(proto)); break;
  }
}

void decode_erspan(State& s) {
  std::uint32_t len = 8;  // type II
  if (s.avail() >= 1 && (s.at()[0] >> 4) == 2) {
    len = 12;  // type III, plus an 8-byte platform subheader when O is set
    if (s.avail() >= 12 && (s.at()[11] & 0x01)) len += 8;
  }
  Layer* l = push_layer(s, Proto::kErspan, len, Anomaly::kTruncatedErspan);
  if (!l) return;
  s.off += len;
  tunnel_to(s, Proto::kEthernet);
}

void decode_vxlan(State& s) {
  Layer* l = push_layer(s, Proto::kVxlan, 8, Anomaly::kTruncatedVxlan);
  if (!l) return;
  s.off += 8;
  tunnel_to(s, Proto::kEthernet);
}

void decode_geneve(State& s) {
  const std::uint32_t len = s.avail() >= 1 ? 8 + (s.at()[0] & 0x3fu) * 4 : 8;
  Layer* l = push_layer(s, Proto::kGeneve, len, Anomaly::kTruncatedGeneve);
  if (!l) return;
  const std::uint16_t proto = load_be16(s.at() + 2);
  s.off += len;
  tunnel_to(s, proto_for_ethertype(proto));
}

void decode_gtpu(State& s) {
  const std::uint32_t avail = s.avail();
  std::uint32_t len = 8;
  bool well_formed = true;
  if (avail >= 1 && (s.at()[0] & 0x07)) {
    // Any of E, S, PN: sequence number, N-PDU number and next-extension type follow.
    len = 12;
    if (avail >= 12 && (s.at()[0] & 0x04)) {
      std::uint8_t next_ext = s.at()[11];
      // Each extension header: length in 4-byte units, last byte = next type.
      for (unsigned n = 0; next_ext != 0 && n < 16; ++n) {
        if (len >= avail) break;
        const std::uint32_t ext_len = s.at()[len] * 4u;
        if (ext_len == 0) {
          well_formed = false;
          break;
        }
        len += ext_len;
        if (len > avail) break;
        next_ext = s.at()[len - 1];
      }
    }
  }
  Layer* l = push_layer(s, Proto::kGtpU, len, Anomaly::kTruncatedGtp);
  if (!l) return;
  const std::uint8_t flags = s.at()[0], type = s.at()[1];
  const std::uint16_t msg_len = load_be16(s.at() + 2);
  const std::uint32_t start = l->offset;
  s.off += len;
  if (!well_formed) {
    l->flags |= layer_flag::kMalformed;
    return;
  }
  clip_to_length(s, start + 8, msg_len);
  l->end = s.end;
  l->wire_end = s.wire_end;
  // Version 1 with PT=1 (GTP, not GTP'), message type 255 = G-PDU (user data).
  if ((flags >> 5) != 1 || !(flags & 0x10) || type != 0xff) return;
  tunnel_to(s, proto_for_ip_version(s));
}

void decode_teredo(State& s) {
  // Optional authentication (0x0001) and origin (0x0000) indicators precede
  // the IPv6 packet. Teredo is only recognised when IPv6 follows: port 3544
  // also carries qualification traffic that is not worth dissecting.
  std::uint32_t len = 0;
  const std::uint32_t avail = s.avail();
  const std::uint8_t* h = s.at();
  if (avail >= 4 && load_be16(h) == 0x0001) {
    len = 4u + h[2] + h[3] + 8u + 1u;
  }
  if (avail >= len + 8 && load_be16(h + len) == 0x0000) len += 8;
  if (avail < len + 40 || (h[len] >> 4) != 6) return;
  Layer* l = push_layer(s, Proto::kTeredo, len, Anomaly::kTruncatedTeredo);
  if (!l) return;
  s.off += len;
  tunnel_to(s, Proto::kIpv6);
}

// NSH (RFC 8300): base + service path header, then metadata; Length counts
// 4-byte words of the whole NSH. Next protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS.
void decode_nsh(State& s) {
  const std::uint32_t len = s.avail() >= 2 ? (s.at()[1] & 0x3fu) * 4 : 8;
  Layer* l = push_layer(s, Proto::kNsh, std::max<std::uint32_t>(len, 8), Anomaly::kTruncatedNsh);
  if (!l) return;
  const std::uint8_t next = s.at()[3];
  s.off += l->header_len;
  if (len < 8) {
    l->flags |= layer_flag::kMalformed;
    return;
  }
  switch (next) {
    case 1: s.next = Proto::kIpv4; break;
    case 2: s.next = Proto::kIpv6; break;
    case 3: s.next = Proto::kEthernet; break;
    case 4: s.next = Proto::kNsh; break;
    case 5: s.next = Proto::kMpls; break;
    default: break;
  }
}

namespace {

FieldValue gre_key(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  if (!h) return FieldValue::absent();
  const std::uint16_t fv = load_be16(h);
  if (!(fv & kGreKey)) return FieldValue::absent();
  const std::uint32_t off = ((fv & 0x7) == 0 && (fv & (kGreChecksum | kGreRouting))) ? 8 : 4;
  const auto* k = header_at(p, l, off + 4);
  return k ? FieldValue::of_uint(load_be32(k + off)) : FieldValue::absent();
}
FieldValue gre_seq(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 4);
  if (!h) return FieldValue::absent();
  const std::uint16_t fv = load_be16(h);
  if (!(fv & kGreSeq)) return FieldValue::absent();
  std::uint32_t off = 4;
  if ((fv & 0x7) == 0 && (fv & (kGreChecksum | kGreRouting))) off += 4;
  if (fv & kGreKey) off += 4;
  const auto* q = header_at(p, l, off + 4);
  return q ? FieldValue::of_uint(load_be32(q + off)) : FieldValue::absent();
}

constexpr FieldDef kGreFields[] = {
    {"gre.flags_and_version", FieldType::kUInt, Proto::kGre, get_be16<0>, "Flags and Version", true, 4},
    {"gre.flags.checksum", FieldType::kBool, Proto::kGre, get_flag<0, 2, kGreChecksum>, "Checksum Bit"},
    {"gre.flags.key", FieldType::kBool, Proto::kGre, get_flag<0, 2, kGreKey>, "Key Bit"},
    {"gre.flags.sequence_number", FieldType::kBool, Proto::kGre, get_flag<0, 2, kGreSeq>, "Sequence Number Bit"},
    {"gre.flags.version", FieldType::kUInt, Proto::kGre, get_bits<0, 2, 0x0007>, "Version"},
    {"gre.proto", FieldType::kUInt, Proto::kGre, get_be16<2>, "Protocol Type", true, 4},
    {"gre.key", FieldType::kUInt, Proto::kGre, gre_key, "Key", true, 8},
    {"gre.sequence_number", FieldType::kUInt, Proto::kGre, gre_seq, "Sequence Number"},
};

template <FieldGetter Get>
FieldValue if_erspan3(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 1);
  return h && (h[0] >> 4) == 2 ? Get(p, l) : FieldValue::absent();
}
template <FieldGetter Get>
FieldValue if_erspan2(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 1);
  return h && (h[0] >> 4) == 1 ? Get(p, l) : FieldValue::absent();
}

constexpr FieldDef kErspanFields[] = {
    {"erspan.version", FieldType::kUInt, Proto::kErspan, get_bits<0, 2, 0xf000>, "Version"},
    {"erspan.vlan", FieldType::kUInt, Proto::kErspan, get_bits<0, 2, 0x0fff>, "Vlan"},
    {"erspan.cos", FieldType::kUInt, Proto::kErspan, get_bits<2, 2, 0xe000>, "COS"},
    {"erspan.spanid", FieldType::kUInt, Proto::kErspan, get_bits<2, 2, 0x03ff>, "SpanID (session)"},
    {"erspan.index", FieldType::kUInt, Proto::kErspan, if_erspan2<get_bits<4, 4, 0x000fffff>>, "Index"},
    {"erspan.timestamp", FieldType::kUInt, Proto::kErspan, if_erspan3<get_be32<4>>, "Timestamp"},
    {"erspan.sgt", FieldType::kUInt, Proto::kErspan, if_erspan3<get_be16<8>>, "Security Group Tag"},
    {"erspan.direction", FieldType::kBool, Proto::kErspan, if_erspan3<get_flag<10, 2, 0x0008>>, "Direction"},
};

constexpr FieldDef kVxlanFields[] = {
    {"vxlan.flags", FieldType::kUInt, Proto::kVxlan, get_be16<0>, "Flags", true, 4},
    {"vxlan.vni", FieldType::kUInt, Proto::kVxlan, get_be24<4>, "VXLAN Network Identifier (VNI)"},
};

constexpr FieldDef kGeneveFields[] = {
    {"geneve.version", FieldType::kUInt, Proto::kGeneve, get_bits<0, 1, 0xc0>, "Version"},
    {"geneve.flags", FieldType::kUInt, Proto::kGeneve, get_u8<1>, "Flags", true, 2},
    {"geneve.proto_type", FieldType::kUInt, Proto::kGeneve, get_be16<2>, "Protocol Type", true, 4},
    {"geneve.vni", FieldType::kUInt, Proto::kGeneve, get_be24<4>, "Virtual Network Identifier (VNI)", true, 6},
};

FieldValue gtp_seq(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 12);
  return h && (h[0] & 0x02) ? FieldValue::of_uint(load_be16(h + 8)) : FieldValue::absent();
}

constexpr FieldDef kGtpuFields[] = {
    {"gtp.flags", FieldType::kUInt, Proto::kGtpU, get_u8<0>, "Flags", true, 2},
    {"gtp.message", FieldType::kUInt, Proto::kGtpU, get_u8<1>, "Message Type", true, 2},
    {"gtp.length", FieldType::kUInt, Proto::kGtpU, get_be16<2>, "Length"},
    {"gtp.teid", FieldType::kUInt, Proto::kGtpU, get_be32<4>, "TEID", true, 8},
    {"gtp.seq_number", FieldType::kUInt, Proto::kGtpU, gtp_seq, "Sequence number"},
};

}  // namespace

std::span<const FieldDef> gre_fields() { return kGreFields; }
std::span<const FieldDef> erspan_fields() { return kErspanFields; }
std::span<const FieldDef> vxlan_fields() { return kVxlanFields; }
std::span<const FieldDef> geneve_fields() { return kGeneveFields; }
std::span<const FieldDef> gtpu_fields() { return kGtpuFields; }
std::span<const FieldDef> teredo_fields() { return {}; }

namespace {
constexpr FieldDef kNshFields[] = {
    {"nsh.version", FieldType::kUInt, Proto::kNsh, get_bits<0, 2, 0xc000>, "Version"},
    {"nsh.ttl", FieldType::kUInt, Proto::kNsh, get_bits<0, 2, 0x0fc0>, "Time to live", true, 2},
    {"nsh.length", FieldType::kUInt, Proto::kNsh, get_bits<0, 2, 0x003f>, "Length (4-byte words)"},
    {"nsh.mdtype", FieldType::kUInt, Proto::kNsh, get_bits<2, 1, 0x0f>, "MD Type"},
    {"nsh.nextproto", FieldType::kUInt, Proto::kNsh, get_u8<3>, "Next Protocol"},
    {"nsh.spi", FieldType::kUInt, Proto::kNsh, get_be24<4>, "Service Path Identifier"},
    {"nsh.si", FieldType::kUInt, Proto::kNsh, get_u8<7>, "Service Index"},
};
}  // namespace
std::span<const FieldDef> nsh_fields() { return kNshFields; }

}  // namespace pcapscope::decode_detail
