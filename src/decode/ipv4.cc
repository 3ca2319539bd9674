// IPv4: header, options, fragment fields; the header checksum is verified and
// a bad one flagged (never dropped: evidence is evidence).
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {
constexpr std::uint32_t kMinHeader = 20;

// Validates the options in H[20, ihl) as Wireshark's option table does:
// single-byte EOL/NOP, else a length of at least 2 that stays inside the
// header and, for fixed-size options, equals that size.
bool options_ok(const std::uint8_t* h, std::uint32_t ihl) {
  std::uint32_t i = kMinHeader;
  while (i < ihl) {
    const std::uint8_t type = h[i];
    if (type == 0) return true;  // end of option list
    if (type == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= ihl) return false;
    const std::uint8_t len = h[i + 1];
    if (len < 2 || i + len > ihl) return false;
    std::uint32_t fixed = 0;
    switch (type) {
      case 130: fixed = 11; break;  // security (RFC 791)
      case 136: fixed = 4; break;   // stream id
      case 148: fixed = 4; break;   // router alert
      case 82: fixed = 12; break;   // traceroute
      case 25: fixed = 8; break;    // quick-start
      default: break;
    }
    if (fixed && len != fixed) return false;
    if ((type == 131 || type == 137 || type == 7) && len < 3) return false;  // source/record route
    if (type == 68 && len < 4) return false;                                  // timestamp
    i += len;
  }
  return true;
}
}  // namespace

void decode_ipv4(State& s) {
  const std::uint32_t avail = s.avail();
  if (avail >= 1 && (s.at()[0] >> 4) == 6) {
    // An IPv6 packet behind an IPv4 ethertype/link type: flag it and decode
    // what is there, as Wireshark does.
    add_anomaly(*s.out, Anomaly::kBadIpv4Version);
    s.next = Proto::kIpv6;
    return;
  }
  if (avail >= 1 && (s.at()[0] >> 4) != 4) {
    // Reached through a link type or ethertype that promised IPv4.
    // Only the version byte is recorded: nothing after it means what IPv4 says.
    Layer* l = push_layer(s, Proto::kIpv4, 1, Anomaly::kTruncatedIpv4Header);
    if (l) l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadIpv4Version);
    s.stop();
    return;
  }
  const std::uint32_t ihl = avail >= 1 ? (s.at()[0] & 0x0fu) * 4 : kMinHeader;
  if (ihl < kMinHeader) {
    Layer* l = push_layer(s, Proto::kIpv4, std::min(avail, kMinHeader), Anomaly::kTruncatedIpv4Header);
    if (l) l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadIpv4HeaderLength);
    s.stop();
    return;
  }
  Layer* l = push_layer(s, Proto::kIpv4, ihl, Anomaly::kTruncatedIpv4Header);
  if (!l) return;
  const std::uint8_t* h = s.at();
  const std::uint16_t total = load_be16(h + 2);
  const std::uint32_t start = l->offset;
  s.off = start + ihl;

  if (total == 0) {
    // TCP segmentation offload: the NIC fills the length in later; the
    // capture's length is the truth then (Wireshark does the same).
  } else if (total < ihl) {
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadIpv4TotalLength);
    return;  // nothing above can be trusted; leave it as payload
  } else if (s.in_icmp_error()) {
    // The quoted datagram's length describes the original, not the quote.
  } else if (!clip_to_length(s, start, total)) {
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kIpv4TotalLengthExceedsCapture);
  }
  l->end = s.end;
  l->wire_end = s.wire_end;

  if (!s.in_icmp_error() && ones_complement_sum(Bytes(h, ihl)) != 0xffff) {
    add_anomaly(*s.out, Anomaly::kBadIpv4Checksum);
  }

  if (ihl > kMinHeader && !options_ok(h, ihl)) {
    // Wireshark gives up on such a packet; the payload is kept raw here too,
    // since a header that lies about its options may lie about the rest.
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadIpv4Option);
    return;
  }

  // Fragments are reassembled in the session stage; here a non-first
  // fragment's payload stays raw, and the first one gives only its transport header.
  const std::uint16_t frag = load_be16(h + 6);
  if ((frag & 0x1fff) != 0) return;
  if (frag & 0x2000) s.first_fragment = true;

  s.next_header = h[9];  // names the header for AH, which the IPv6 extension walker skips
  const Proto next = proto_for_ip_protocol(h[9], false);
  if ((next == Proto::kIpv4 || next == Proto::kIpv6) && !enter_tunnel(s)) return;
  s.next = next;
}

namespace {

FieldValue ip_frag_offset(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 8);
  // Wireshark shows the offset in bytes (the field counts 8-byte units).
  return h ? FieldValue::of_uint((load_be16(h + 6) & 0x1fffu) * 8u) : FieldValue::absent();
}
FieldValue ip_hdr_len(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 1);
  return h ? FieldValue::of_uint((h[0] & 0x0fu) * 4u) : FieldValue::absent();
}
// Wireshark's checksum.status: 2 = unverified, 1 = bad, 0 = good. We verify
// whenever the header was captured whole.
FieldValue ip_checksum_status(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kMinHeader);
  if (!h) return FieldValue::absent();
  const std::uint32_t ihl = (h[0] & 0x0fu) * 4;
  if (ihl < kMinHeader || l.header_len < ihl) return FieldValue::of_uint(2);
  return FieldValue::of_uint(ones_complement_sum(Bytes(h, ihl)) == 0xffff ? 0 : 1);
}
// tshark stops at a total length shorter than the header; src/dst come after
// that check in its dissector, so they are absent then. Matching that keeps
// column output comparable.
bool ip_header_sane(const std::uint8_t* h) {
  const std::uint16_t total = load_be16(h + 2);
  const std::uint32_t ihl = (h[0] & 0x0fu) * 4;
  return (h[0] >> 4) == 4 && ihl >= kMinHeader && (total == 0 || total >= ihl);
}
template <std::uint32_t Off>
FieldValue ip_addr(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kMinHeader);
  if (!h || !ip_header_sane(h)) return FieldValue::absent();
  return FieldValue::of_ipv4(h + Off);
}

constexpr FieldDef kIpv4Fields[] = {
    {"ip.version", FieldType::kUInt, Proto::kIpv4, get_bits<0, 1, 0xf0>, "Version"},
    {"ip.hdr_len", FieldType::kUInt, Proto::kIpv4, ip_hdr_len, "Header Length"},
    {"ip.dsfield", FieldType::kUInt, Proto::kIpv4, get_u8<1>, "Differentiated Services Field", true, 2},
    {"ip.dsfield.dscp", FieldType::kUInt, Proto::kIpv4, get_bits<1, 1, 0xfc>, "Differentiated Services Codepoint"},
    {"ip.dsfield.ecn", FieldType::kUInt, Proto::kIpv4, get_bits<1, 1, 0x03>, "Explicit Congestion Notification"},
    {"ip.len", FieldType::kUInt, Proto::kIpv4, get_be16<2>, "Total Length"},
    {"ip.id", FieldType::kUInt, Proto::kIpv4, get_be16<4>, "Identification", true, 4},
    {"ip.flags", FieldType::kUInt, Proto::kIpv4, get_bits<6, 1, 0xe0>, "Flags", true, 2},
    {"ip.flags.rb", FieldType::kBool, Proto::kIpv4, get_flag<6, 1, 0x80>, "Reserved bit"},
    {"ip.flags.df", FieldType::kBool, Proto::kIpv4, get_flag<6, 1, 0x40>, "Don't fragment"},
    {"ip.flags.mf", FieldType::kBool, Proto::kIpv4, get_flag<6, 1, 0x20>, "More fragments"},
    {"ip.frag_offset", FieldType::kUInt, Proto::kIpv4, ip_frag_offset, "Fragment Offset (bytes)"},
    {"ip.ttl", FieldType::kUInt, Proto::kIpv4, get_u8<8>, "Time to Live"},
    {"ip.proto", FieldType::kUInt, Proto::kIpv4, get_u8<9>, "Protocol"},
    {"ip.checksum", FieldType::kUInt, Proto::kIpv4, get_be16<10>, "Header Checksum", true, 4},
    {"ip.checksum.status", FieldType::kUInt, Proto::kIpv4, ip_checksum_status,
     "Header checksum status (0 good, 1 bad, 2 unverified)"},
    {"ip.src", FieldType::kIpv4, Proto::kIpv4, ip_addr<12>, "Source Address"},
    {"ip.dst", FieldType::kIpv4, Proto::kIpv4, ip_addr<16>, "Destination Address"},
    {"ip.addr", FieldType::kIpv4, Proto::kIpv4, ip_addr<12>, "Source or Destination Address (first: source)", false, 0, false,
     ip_addr<16>},
};

}  // namespace

std::span<const FieldDef> ipv4_fields() { return kIpv4Fields; }

}  // namespace pcapscope::decode_detail
