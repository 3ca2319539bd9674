// Decode stage: one fixed DecodedPacket of layer offsets per packet.
//
// decode() walks the headers by table dispatch (link type -> ethertype -> IP
// protocol -> UDP port for tunnels) and records, for each layer, where its
// header starts and how long it is. Nothing is copied and nothing is
// allocated: fields are read from the packet bytes on demand through the
// field tables (fields.h). A truncated or malformed layer is recorded as far
// as its bytes allow, flagged, and the rest left as raw payload; decode()
// never throws and never reads outside the packet.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pcapscope/capture.h"

namespace pcapscope {

// Every protocol the decoder knows. Order is irrelevant; names come from proto_name().
enum class Proto : std::uint8_t {
  kNone = 0,
  kFrame,     // pseudo-layer for frame.* fields (always present, covers the whole packet)
  kEthernet,
  kLlc,       // 802.2 LLC (and SNAP when dsap=ssap=0xaa)
  kVlan,      // 802.1Q / 802.1ad tag (one layer per tag)
  kMpls,      // one layer per label stack entry
  kPppoe,     // PPPoE session header (+ PPP protocol field)
  kPpp,       // PPP (link type 9 / HDLC-like framing)
  kSll,       // Linux cooked v1
  kSll2,      // Linux cooked v2
  kNull,      // BSD loopback
  kIpv4,
  kIpv6,      // fixed header; extension headers are kIpv6Ext layers after it
  kIpv6Ext,   // one layer per extension header (hop-by-hop, routing, fragment, dstopts, AH)
  kArp,
  kIcmp,
  kIcmpv6,
  kTcp,
  kUdp,
  kGre,
  kErspan,
  kVxlan,
  kGeneve,
  kGtpU,
  kTeredo,    // Teredo (udp/3544): IPv6 over UDP over IPv4
  kEtag,      // 802.1BR E-tag (ethertype 0x893f)
  kVntag,     // Cisco VN-tag (ethertype 0x8926)
  kNsh,       // Network Service Header (ethertype 0x894f, RFC 8300)
  kCount
};
std::string_view proto_name(Proto p);  // Wireshark's filter name: "eth", "vlan", "ip", "ipv6", "tcp" ...

// Named anomalies ("weirds"): something wrong with a packet that decoding
// noticed and carried on past. Names are stable: they appear in output.
enum class Anomaly : std::uint8_t {
  kNone = 0,
  kTruncatedEthernet,
  kTruncatedLlc,
  kTruncatedVlan,
  kVlanDepthExceeded,
  kTruncatedMpls,
  kMplsDepthExceeded,
  kTruncatedPppoe,
  kTruncatedPpp,
  kTruncatedSll,
  kTruncatedNull,
  kUnknownNullFamily,
  kTruncatedIpv4Header,
  kBadIpv4Version,
  kBadIpv4HeaderLength,
  kBadIpv4TotalLength,      // total length < header length
  kIpv4TotalLengthExceedsCapture,  // total length > bytes on the wire (not just snaplen)
  kBadIpv4Checksum,
  kTruncatedIpv6Header,
  kBadIpv6Version,
  kTruncatedIpv6ExtHeader,
  kIpv6ExtDepthExceeded,
  kIpv6PayloadLengthExceedsCapture,
  kTruncatedArp,
  kTruncatedIcmp,
  kTruncatedIcmpv6,
  kTruncatedTcpHeader,
  kBadTcpDataOffset,
  kBadTcpOption,
  kTruncatedUdpHeader,
  kBadUdpLength,
  kTruncatedGre,
  kTruncatedErspan,
  kTruncatedVxlan,
  kTruncatedGeneve,
  kTruncatedGtp,
  kTunnelDepthExceeded,
  kLayerLimitReached,
  kUnsupportedLinkType,
  kIcmpErrorNested,         // ICMP error quoting an ICMP error: the inner one is not dissected
  kBadGreVersion,
  kTruncatedTeredo,
  kBadIpv4Option,           // option length wrong for its type or past the header; payload left raw
  kTruncatedEtag,
  kTruncatedVntag,
  kTruncatedNsh,
  kCount
};
std::string_view anomaly_name(Anomaly a);  // "truncated_ipv4_header", "bad_tcp_data_offset" ...

// A decoded header: where it starts in the packet and how long it is.
struct Layer {
  Proto proto = Proto::kNone;
  std::uint8_t flags = 0;        // layer_flag bits
  std::uint8_t tunnel_depth = 0; // 0 = outermost packet, 1 = inside first tunnel ...
  std::uint32_t offset = 0;      // first byte of the header in Packet::data
  std::uint32_t header_len = 0;  // bytes of this header present in the capture
  std::uint32_t end = 0;         // end of this layer's span (header + payload) within the capture,
                                 // clipped by the protocol's own length field (IP total length,
                                 // UDP length) where it has one
  std::uint32_t wire_end = 0;    // the same end as the length fields put it on the wire; passes
                                 // the capture when the snaplen cut the packet (tcp.len uses it)
};

namespace layer_flag {
inline constexpr std::uint8_t kTruncated = 1 << 0;    // header cut short by the capture
inline constexpr std::uint8_t kMalformed = 1 << 1;    // header present but inconsistent
inline constexpr std::uint8_t kInIcmpError = 1 << 2;  // quoted datagram inside an ICMP error
}  // namespace layer_flag

struct AppFieldValues;  // fields.h

struct DecodedPacket {
  static constexpr std::size_t kMaxLayers = 24;
  static constexpr std::size_t kMaxAnomalies = 8;

  const Packet* packet = nullptr;                // the packet decoded (not owned)
  std::array<Layer, kMaxLayers> layers{};        // layers[0] is always kFrame
  std::uint8_t layer_count = 0;
  std::array<Anomaly, kMaxAnomalies> anomalies{};
  std::uint8_t anomaly_count = 0;                // anomalies beyond kMaxAnomalies are dropped but
  std::uint8_t anomalies_dropped = 0;            // counted here
  std::uint32_t payload_offset = 0;              // bytes after the innermost decoded header
  std::uint32_t payload_len = 0;                 // (application data or undecoded remainder)
  // Uid of the packet's session when a session stage ran over it (field `uid`);
  // decode() leaves it empty, the caller sets it.
  std::string_view session_uid;
  // Application fields (dns.*, http.*, tls.*, ssh.*) of this frame when a protocol
  // stage ran over it; decode() leaves it null, the caller sets it.
  const AppFieldValues* app = nullptr;

  Bytes data() const { return packet ? packet->data : Bytes{}; }

  // The Nth (0-based) layer of protocol P, outermost first; nullptr if absent.
  const Layer* find(Proto p, unsigned occurrence = 0) const;
  bool has(Proto p) const { return find(p) != nullptr; }
  bool has_anomaly(Anomaly a) const;
  // Bytes of layer L (header and what follows it up to L.end).
  Bytes bytes(const Layer& l) const { return data().subspan(l.offset, l.end - l.offset); }
  Bytes payload() const { return data().subspan(payload_offset, payload_len); }
};

// Decodes PKT into OUT (OUT is reset first). OUT.packet points to PKT afterwards.
void decode(const Packet& pkt, DecodedPacket& out);

// Headers decode() records per packet, the frame included (2..DecodedPacket::kMaxLayers, the default);
// past it the walk stops with anomaly layer_limit_reached and the rest stays payload. Besides this,
// VLAN tags, MPLS labels and IPv6 extension headers are bounded at 8 each and tunnel levels at 4.
// Process-wide, like Suricata's decoder.max-layers: decoding is a pure function called from every
// stage and thread, and the bound is the analyst's policy for the whole run. Set it at start-up,
// before any thread decodes (the command line does, from the max_layers setting).
void set_max_layers(std::size_t n);
std::size_t max_layers();

// One-line summary as tshark/Scapy give it: protocol column and info column.
struct Summary {
  std::string_view protocol;  // "TCP", "UDP", "ARP", "ICMP" ... (static storage)
  std::string source;         // "10.0.0.1" or "aa:bb:.." for non-IP
  std::string destination;
  std::string info;           // "51234 → 443 [SYN] Seq=0 Win=64240 Len=0"
};
void summarize(const DecodedPacket& pkt, Summary& out);  // reuses OUT's string capacity

}  // namespace pcapscope
