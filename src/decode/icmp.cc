// ICMP and ICMPv6. Error messages quote the offending datagram; like
// Wireshark we dissect the quote as further IP/TCP/UDP layers, flagged
// kInIcmpError so flow logic can tell them from the real thing.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {

constexpr std::uint32_t kHeader = 8;

bool icmp_is_error(std::uint8_t type) {
  // dest unreachable, source quench, redirect, time exceeded, parameter problem
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
bool icmpv6_is_error(std::uint8_t type) {
  // dest unreachable, packet too big, time exceeded, parameter problem
  return type >= 1 && type <= 4;
}

void enter_quote(State& s, Proto ip) {
  if (s.in_icmp_error()) {
    // An error about an error: RFC 1122 forbids sending it; don't recurse.
    add_anomaly(*s.out, Anomaly::kIcmpErrorNested);
    return;
  }
  s.flags |= layer_flag::kInIcmpError;
  s.wire_end = s.end;  // the quote is all there is
  s.next = proto_for_ip_version(s) == ip ? ip : Proto::kNone;
}

}  // namespace

void decode_icmp(State& s) {
  Layer* l = push_layer(s, Proto::kIcmp, kHeader, Anomaly::kTruncatedIcmp);
  if (!l) return;
  const std::uint8_t type = s.at()[0];
  s.off += kHeader;
  if (icmp_is_error(type)) enter_quote(s, Proto::kIpv4);
}

void decode_icmpv6(State& s) {
  Layer* l = push_layer(s, Proto::kIcmpv6, kHeader, Anomaly::kTruncatedIcmpv6);
  if (!l) return;
  const std::uint8_t type = s.at()[0];
  s.off += kHeader;
  if (icmpv6_is_error(type)) enter_quote(s, Proto::kIpv6);
}

namespace {

// Identifier and sequence exist for echo, timestamp, information and
// address-mask messages only.
bool icmp_has_ident(std::uint8_t type) {
  return type == 0 || type == 8 || (type >= 13 && type <= 18);
}
template <std::uint32_t Off>
FieldValue icmp_echo_u16(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || !icmp_has_ident(h[0])) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + Off));
}
FieldValue icmp_seq_le(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || !icmp_has_ident(h[0])) return FieldValue::absent();
  return FieldValue::of_uint(load_le16(h + 6));
}
FieldValue icmp_mtu(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || h[0] != 3 || h[1] != 4) return FieldValue::absent();  // fragmentation needed
  return FieldValue::of_uint(load_be16(h + 6));
}
FieldValue icmp_redir_gw(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || h[0] != 5) return FieldValue::absent();
  return FieldValue::of_ipv4(h + 4);
}

constexpr FieldDef kIcmpFields[] = {
    {"icmp.type", FieldType::kUInt, Proto::kIcmp, get_u8<0>, "Type"},
    {"icmp.code", FieldType::kUInt, Proto::kIcmp, get_u8<1>, "Code"},
    {"icmp.checksum", FieldType::kUInt, Proto::kIcmp, get_be16<2>, "Checksum", true, 4},
    {"icmp.ident", FieldType::kUInt, Proto::kIcmp, icmp_echo_u16<4>, "Identifier (BE)"},
    {"icmp.seq", FieldType::kUInt, Proto::kIcmp, icmp_echo_u16<6>, "Sequence Number (BE)"},
    {"icmp.seq_le", FieldType::kUInt, Proto::kIcmp, icmp_seq_le, "Sequence Number (LE)"},
    {"icmp.mtu", FieldType::kUInt, Proto::kIcmp, icmp_mtu, "MTU of next hop"},
    {"icmp.redir_gw", FieldType::kIpv4, Proto::kIcmp, icmp_redir_gw, "Gateway Address"},
};

template <std::uint32_t Off>
FieldValue icmpv6_echo_u16(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || (h[0] != 128 && h[0] != 129)) return FieldValue::absent();
  return FieldValue::of_uint(load_be16(h + Off));
}
FieldValue icmpv6_mtu(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kHeader);
  if (!h || h[0] != 2) return FieldValue::absent();
  return FieldValue::of_uint(load_be32(h + 4));
}

constexpr FieldDef kIcmpv6Fields[] = {
    {"icmpv6.type", FieldType::kUInt, Proto::kIcmpv6, get_u8<0>, "Type"},
    {"icmpv6.code", FieldType::kUInt, Proto::kIcmpv6, get_u8<1>, "Code"},
    {"icmpv6.checksum", FieldType::kUInt, Proto::kIcmpv6, get_be16<2>, "Checksum", true, 4},
    {"icmpv6.echo.identifier", FieldType::kUInt, Proto::kIcmpv6, icmpv6_echo_u16<4>, "Identifier", true, 4},
    {"icmpv6.echo.sequence_number", FieldType::kUInt, Proto::kIcmpv6, icmpv6_echo_u16<6>, "Sequence"},
    {"icmpv6.mtu", FieldType::kUInt, Proto::kIcmpv6, icmpv6_mtu, "MTU"},
};

}  // namespace

std::span<const FieldDef> icmp_fields() { return kIcmpFields; }
std::span<const FieldDef> icmpv6_fields() { return kIcmpv6Fields; }

}  // namespace pcapscope::decode_detail
