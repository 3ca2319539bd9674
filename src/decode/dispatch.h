// Internal plumbing shared by the per-protocol decoders: the walk state, the
// layer/anomaly helpers, the dispatch tables' lookups and the field-getter
// building blocks. Not part of the public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "pcapscope/decode.h"
#include "pcapscope/fields.h"

namespace pcapscope::decode_detail {

// Depth bounds: hostile packets can nest headers without end; these keep the
// walk linear and the layer array from overflowing into nonsense.
inline constexpr unsigned kMaxVlanTags = 8;
inline constexpr unsigned kMaxMplsLabels = 8;
inline constexpr unsigned kMaxIpv6ExtHeaders = 8;
inline constexpr unsigned kMaxTunnelDepth = 4;

// Walk state: what to decode next and where. `end` is the end of the current
// payload within the capture, `wire_end` the same end as the length fields
// say it is on the wire (may pass the capture when the snaplen cut it).
struct State {
  DecodedPacket* out = nullptr;
  const std::uint8_t* base = nullptr;
  std::uint32_t cap = 0;
  std::uint32_t off = 0;
  std::uint32_t end = 0;
  std::uint32_t wire_end = 0;
  Proto next = Proto::kNone;
  std::uint8_t depth = 0;        // tunnel depth of the layers pushed now
  std::uint8_t flags = 0;        // layer flags inherited by the layers pushed now (kInIcmpError)
  std::uint8_t vlan_tags = 0;
  std::uint8_t mpls_labels = 0;
  std::uint8_t ext_headers = 0;
  std::uint8_t next_header = 0;  // IPv6 next-header value naming the header at s.off
  // Inside the first fragment of a fragmented datagram: its transport header
  // is decoded (ports are what an analyst looks for, as tshark does with
  // defragmentation off), but what follows is incomplete, so nothing above it.
  bool first_fragment = false;

  std::uint32_t avail() const { return off < end ? end - off : 0; }
  const std::uint8_t* at() const { return base + off; }
  bool in_icmp_error() const { return (flags & layer_flag::kInIcmpError) != 0; }
  void stop() { next = Proto::kNone; }
};

void add_anomaly(DecodedPacket& out, Anomaly a);

// Pushes a layer at s.off whose full header is FULL_LEN bytes. If fewer bytes
// are there, the layer is recorded with what is present, flagged truncated,
// TRUNC is recorded and the walk stops; returns nullptr then (and when the
// layer array is full). On success the layer spans [s.off, s.end).
Layer* push_layer(State& s, Proto p, std::uint32_t full_len, Anomaly trunc);

// Moves the walk past LAYER's header to the next protocol.
inline void advance(State& s, const Layer& l, Proto next) {
  s.off = l.offset + l.header_len;
  s.next = next;
}

// Clips the current payload end to START+LEN when the length field is sane;
// returns false (leaving the ends alone) when LEN runs past the bytes on the wire.
bool clip_to_length(State& s, std::uint32_t start, std::uint32_t len);

// Dispatch tables.
Proto proto_for_ethertype(std::uint16_t ethertype);
Proto proto_for_ip_protocol(std::uint8_t protocol, bool ipv6);
Proto proto_for_udp_port(std::uint16_t port);  // a tunnel on a UDP port (VXLAN, Geneve ...), else kNone
Proto proto_for_ip_version(const State& s);     // by the first nibble at s.off
// Enters a tunnel: the next layers are one tunnel level deeper. Stops the walk
// (with an anomaly) when the bound is passed.
bool enter_tunnel(State& s);

// Per-protocol decoders: each decodes the header at s.off and sets s.next.
void decode_ethernet(State& s);
void decode_llc(State& s);
void decode_vlan(State& s);
void decode_mpls(State& s);
void decode_pppoe(State& s);
void decode_ppp(State& s);
void decode_sll(State& s);
void decode_sll2(State& s);
void decode_null(State& s);
void decode_ipv4(State& s);
void decode_ipv6(State& s);
void decode_ipv6_ext(State& s);
void decode_arp(State& s);
void decode_icmp(State& s);
void decode_icmpv6(State& s);
void decode_tcp(State& s);
void decode_udp(State& s);
void decode_gre(State& s);
void decode_erspan(State& s);
void decode_vxlan(State& s);
void decode_geneve(State& s);
void decode_gtpu(State& s);
void decode_teredo(State& s);
void decode_etag(State& s);
void decode_vntag(State& s);
void decode_nsh(State& s);

// Field tables, one per protocol file.
std::span<const FieldDef> frame_fields();
std::span<const FieldDef> ethernet_fields();
std::span<const FieldDef> llc_fields();
std::span<const FieldDef> vlan_fields();
std::span<const FieldDef> mpls_fields();
std::span<const FieldDef> pppoe_fields();
std::span<const FieldDef> ppp_fields();
std::span<const FieldDef> sll_fields();
std::span<const FieldDef> null_fields();
std::span<const FieldDef> ipv4_fields();
std::span<const FieldDef> ipv6_fields();
std::span<const FieldDef> ipv6_ext_fields();
std::span<const FieldDef> arp_fields();
std::span<const FieldDef> icmp_fields();
std::span<const FieldDef> icmpv6_fields();
std::span<const FieldDef> tcp_fields();
std::span<const FieldDef> udp_fields();
std::span<const FieldDef> gre_fields();
std::span<const FieldDef> erspan_fields();
std::span<const FieldDef> vxlan_fields();
std::span<const FieldDef> geneve_fields();
std::span<const FieldDef> gtpu_fields();
std::span<const FieldDef> teredo_fields();
std::span<const FieldDef> etag_fields();
std::span<const FieldDef> vntag_fields();
std::span<const FieldDef> nsh_fields();
// Application fields (dns.*, http.* ...): defined by the protocol stage (src/proto/app_fields.cc),
// registered here so one registry answers every field name.
std::span<const FieldDef> app_fields();

// ---- field getter building blocks ----------------------------------------

// The layer's header bytes if at least NEED of them were captured, else nullptr.
inline const std::uint8_t* header_at(const DecodedPacket& p, const Layer& l, std::uint32_t need) {
  if (l.header_len < need) return nullptr;
  Bytes d = p.data();
  if (l.offset > d.size() || d.size() - l.offset < need) return nullptr;
  return d.data() + l.offset;
}

template <std::uint32_t Off>
FieldValue get_u8(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 1);
  return h ? FieldValue::of_uint(h[Off]) : FieldValue::absent();
}
template <std::uint32_t Off>
FieldValue get_be16(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 2);
  return h ? FieldValue::of_uint(load_be16(h + Off)) : FieldValue::absent();
}
template <std::uint32_t Off>
FieldValue get_be24(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 3);
  return h ? FieldValue::of_uint((std::uint32_t{h[Off]} << 16) | (std::uint32_t{h[Off + 1]} << 8) | h[Off + 2])
           : FieldValue::absent();
}
template <std::uint32_t Off>
FieldValue get_be32(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 4);
  return h ? FieldValue::of_uint(load_be32(h + Off)) : FieldValue::absent();
}
// Masked bits of an 8/16/32-bit big-endian word at Off, shifted down.
template <std::uint32_t Off, std::uint32_t Width, std::uint32_t Mask>
FieldValue get_bits(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + Width);
  if (!h) return FieldValue::absent();
  std::uint32_t v = Width == 1 ? h[Off] : Width == 2 ? load_be16(h + Off) : load_be32(h + Off);
  return FieldValue::of_uint((v & Mask) >> std::countr_zero(Mask));
}
template <std::uint32_t Off, std::uint32_t Width, std::uint32_t Mask>
FieldValue get_flag(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + Width);
  if (!h) return FieldValue::absent();
  std::uint32_t v = Width == 1 ? h[Off] : Width == 2 ? load_be16(h + Off) : load_be32(h + Off);
  return FieldValue::of_bool((v & Mask) != 0);
}
template <std::uint32_t Off>
FieldValue get_mac(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 6);
  return h ? FieldValue::of_mac(h + Off) : FieldValue::absent();
}
template <std::uint32_t Off>
FieldValue get_ipv4(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 4);
  return h ? FieldValue::of_ipv4(h + Off) : FieldValue::absent();
}
template <std::uint32_t Off>
FieldValue get_ipv6(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, Off + 16);
  return h ? FieldValue::of_ipv6(h + Off) : FieldValue::absent();
}

// Index of layer L within P.layers (L must point into it).
inline std::size_t layer_index(const DecodedPacket& p, const Layer& l) {
  return static_cast<std::size_t>(&l - p.layers.data());
}

// Internet checksum (RFC 1071) over DATA, folded, not complemented.
std::uint16_t ones_complement_sum(Bytes data, std::uint32_t initial = 0);

}  // namespace pcapscope::decode_detail
