// TCP header: flags, sequence numbers, window, urgent pointer and options
// (MSS, window scale, SACK-permitted, SACK blocks, timestamps). Stateless:
// sequence numbers are raw; the session stage makes them relative.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

namespace {

constexpr std::uint32_t kMinHeader = 20;
// A quoted TCP header in an ICMP error may be only 8 bytes (RFC 792); ports
// and sequence number are all there is, and all that is needed.
constexpr std::uint32_t kMinQuoted = 4;

enum : std::uint8_t { kOptEnd = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackPerm = 4,
                      kOptSack = 5, kOptTimestamp = 8 };

// Walks the options in H[20, hlen). Calls F(kind, data, len) for each
// well-formed option; returns false when an option is malformed.
template <typename F>
bool walk_options(const std::uint8_t* h, std::uint32_t hlen, F&& f) {
  std::uint32_t i = kMinHeader;
  while (i < hlen) {
    const std::uint8_t kind = h[i];
    if (kind == kOptEnd) return true;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= hlen) return false;
    const std::uint8_t len = h[i + 1];
    if (len < 2 || i + len > hlen) return false;
    if (!f(kind, h + i + 2, static_cast<std::uint32_t>(len - 2))) return true;
    i += len;
  }
  return true;
}

// Expected payload sizes of the options we read; another size is malformed.
bool option_size_ok(std::uint8_t kind, std::uint32_t n) {
  switch (kind) {
    case kOptMss: return n == 2;
    case kOptWscale: return n == 1;
    case kOptSackPerm: return n == 0;
    case kOptSack: return n % 8 == 0 && n > 0;
    case kOptTimestamp: return n == 8;
    default: return true;
  }
}

}  // namespace

void decode_tcp(State& s) {
  const std::uint32_t avail = s.avail();
  if (s.in_icmp_error() && avail >= kMinQuoted && avail < kMinHeader) {
    Layer* l = push_layer(s, Proto::kTcp, avail, Anomaly::kTruncatedTcpHeader);
    if (l) l->flags |= layer_flag::kTruncated;
    s.off = s.end;
    return;
  }
  Layer* l = push_layer(s, Proto::kTcp, kMinHeader, Anomaly::kTruncatedTcpHeader);
  if (!l) return;
  const std::uint8_t* h = s.at();
  const std::uint32_t hlen = (h[12] >> 4) * 4u;
  if (hlen < kMinHeader || l->offset + hlen > l->wire_end) {
    // Offset below the fixed header or past the segment: keep 20 bytes as
    // the header and the rest as payload, flagged.
    l->flags |= layer_flag::kMalformed;
    add_anomaly(*s.out, Anomaly::kBadTcpDataOffset);
    s.off += kMinHeader;
    return;
  }
  if (hlen > avail) {
    // Options cut by the snaplen: record what is there.
    l->header_len = avail;
    l->flags |= layer_flag::kTruncated;
    if (!s.in_icmp_error()) add_anomaly(*s.out, Anomaly::kTruncatedTcpHeader);
    s.off = s.end;
    return;
  }
  l->header_len = hlen;
  s.off += hlen;
  bool sizes_ok = true;
  const bool ok = walk_options(h, hlen, [&](std::uint8_t kind, const std::uint8_t*, std::uint32_t n) {
    sizes_ok = sizes_ok && option_size_ok(kind, n);
    return true;
  });
  if (!ok || !sizes_ok) add_anomaly(*s.out, Anomaly::kBadTcpOption);
}

namespace {

// Reads the first option of KIND with payload size N (the header must be whole).
const std::uint8_t* find_option(const DecodedPacket& p, const Layer& l, std::uint8_t kind, std::uint32_t n) {
  const auto* h = header_at(p, l, kMinHeader);
  if (!h) return nullptr;
  const std::uint32_t hlen = (h[12] >> 4) * 4u;
  if (hlen <= kMinHeader || l.header_len < hlen) return nullptr;
  const std::uint8_t* found = nullptr;
  walk_options(h, hlen, [&](std::uint8_t k, const std::uint8_t* data, std::uint32_t len) {
    if (k == kind && len == n) {
      found = data;
      return false;
    }
    return true;
  });
  return found;
}

FieldValue opt_mss(const DecodedPacket& p, const Layer& l) {
  const auto* o = find_option(p, l, kOptMss, 2);
  return o ? FieldValue::of_uint(load_be16(o)) : FieldValue::absent();
}
FieldValue opt_wscale(const DecodedPacket& p, const Layer& l) {
  const auto* o = find_option(p, l, kOptWscale, 1);
  return o ? FieldValue::of_uint(o[0]) : FieldValue::absent();
}
FieldValue opt_sack_perm(const DecodedPacket& p, const Layer& l) {
  // find_option returns a pointer past the 2-byte option even for empty payloads.
  return find_option(p, l, kOptSackPerm, 0) ? FieldValue::of_bool(true) : FieldValue::absent();
}
FieldValue opt_tsval(const DecodedPacket& p, const Layer& l) {
  const auto* o = find_option(p, l, kOptTimestamp, 8);
  return o ? FieldValue::of_uint(load_be32(o)) : FieldValue::absent();
}
FieldValue opt_tsecr(const DecodedPacket& p, const Layer& l) {
  const auto* o = find_option(p, l, kOptTimestamp, 8);
  return o ? FieldValue::of_uint(load_be32(o + 4)) : FieldValue::absent();
}
// First SACK block's edges (later blocks: the session stage, or --show).
template <std::uint32_t Off>
FieldValue opt_sack_edge(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kMinHeader);
  if (!h) return FieldValue::absent();
  const std::uint32_t hlen = (h[12] >> 4) * 4u;
  if (hlen <= kMinHeader || l.header_len < hlen) return FieldValue::absent();
  FieldValue v;
  walk_options(h, hlen, [&](std::uint8_t k, const std::uint8_t* data, std::uint32_t len) {
    if (k == kOptSack && len >= 8) {
      v = FieldValue::of_uint(load_be32(data + Off));
      return false;
    }
    return true;
  });
  return v;
}

FieldValue tcp_hdr_len(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 13);
  return h ? FieldValue::of_uint((h[12] >> 4) * 4u) : FieldValue::absent();
}
FieldValue tcp_flags(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 14);
  return h ? FieldValue::of_uint(load_be16(h + 12) & 0x0fffu) : FieldValue::absent();
}
// Segment length on the wire: IP's length minus the headers, so a snaplen cut
// does not shrink it (as tshark's tcp.len).
FieldValue tcp_len(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, kMinHeader);
  if (!h || (l.flags & layer_flag::kInIcmpError)) return FieldValue::absent();
  const std::uint32_t hlen = (h[12] >> 4) * 4u;
  if (hlen < kMinHeader || l.offset + hlen > l.wire_end) return FieldValue::absent();
  return FieldValue::of_uint(l.wire_end - l.offset - hlen);
}

constexpr FieldDef kTcpFields[] = {
    {"tcp.srcport", FieldType::kUInt, Proto::kTcp, get_be16<0>, "Source Port"},
    {"tcp.dstport", FieldType::kUInt, Proto::kTcp, get_be16<2>, "Destination Port"},
    {"tcp.port", FieldType::kUInt, Proto::kTcp, get_be16<0>, "Source or Destination Port (first: source)", false, 0, false, get_be16<2>},
    {"tcp.len", FieldType::kUInt, Proto::kTcp, tcp_len, "TCP Segment Len"},
    {"tcp.seq", FieldType::kUInt, Proto::kTcp, get_be32<4>,
     "Sequence Number (raw until the session stage makes it relative)"},
    {"tcp.seq_raw", FieldType::kUInt, Proto::kTcp, get_be32<4>, "Sequence Number (raw)"},
    {"tcp.ack", FieldType::kUInt, Proto::kTcp, get_be32<8>,
     "Acknowledgment Number (raw until the session stage makes it relative)"},
    {"tcp.ack_raw", FieldType::kUInt, Proto::kTcp, get_be32<8>, "Acknowledgment number (raw)"},
    {"tcp.hdr_len", FieldType::kUInt, Proto::kTcp, tcp_hdr_len, "Header Length"},
    {"tcp.flags", FieldType::kUInt, Proto::kTcp, tcp_flags, "Flags", true, 4},
    {"tcp.flags.res", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0e00>, "Reserved"},
    {"tcp.flags.ae", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0100>, "Accurate ECN (was NS)"},
    {"tcp.flags.cwr", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0080>, "Congestion Window Reduced"},
    {"tcp.flags.ece", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0040>, "ECN-Echo"},
    {"tcp.flags.urg", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0020>, "Urgent"},
    {"tcp.flags.ack", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0010>, "Acknowledgment"},
    {"tcp.flags.push", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0008>, "Push"},
    {"tcp.flags.reset", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0004>, "Reset"},
    {"tcp.flags.syn", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0002>, "Syn"},
    {"tcp.flags.fin", FieldType::kBool, Proto::kTcp, get_flag<12, 2, 0x0001>, "Fin"},
    {"tcp.window_size_value", FieldType::kUInt, Proto::kTcp, get_be16<14>, "Window (unscaled)"},
    {"tcp.checksum", FieldType::kUInt, Proto::kTcp, get_be16<16>, "Checksum", true, 4},
    {"tcp.urgent_pointer", FieldType::kUInt, Proto::kTcp, get_be16<18>, "Urgent Pointer"},
    {"tcp.options.mss_val", FieldType::kUInt, Proto::kTcp, opt_mss, "MSS Value"},
    {"tcp.options.wscale.shift", FieldType::kUInt, Proto::kTcp, opt_wscale, "Shift count"},
    {"tcp.options.sack_perm", FieldType::kBool, Proto::kTcp, opt_sack_perm, "SACK permitted option present"},
    {"tcp.options.sack_le", FieldType::kUInt, Proto::kTcp, opt_sack_edge<0>, "TCP SACK Left Edge (first block, raw)"},
    {"tcp.options.sack_re", FieldType::kUInt, Proto::kTcp, opt_sack_edge<4>, "TCP SACK Right Edge (first block, raw)"},
    {"tcp.options.timestamp.tsval", FieldType::kUInt, Proto::kTcp, opt_tsval, "Timestamp value"},
    {"tcp.options.timestamp.tsecr", FieldType::kUInt, Proto::kTcp, opt_tsecr, "Timestamp echo reply"},
};

}  // namespace

std::span<const FieldDef> tcp_fields() { return kTcpFields; }

}  // namespace pcapscope::decode_detail
