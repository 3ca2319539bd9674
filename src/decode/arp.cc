// ARP (and RARP opcodes): fixed part plus hardware/protocol addresses whose
// sizes the header gives; address fields are exposed for Ethernet/IPv4 only.
#include "decode/dispatch.h"

namespace pcapscope::decode_detail {

void decode_arp(State& s) {
  std::uint32_t full = 8;
  if (s.avail() >= 6) full += 2u * (s.at()[4] + s.at()[5]);
  Layer* l = push_layer(s, Proto::kArp, full, Anomaly::kTruncatedArp);
  if (!l) return;
  s.off += full;
  // ARP has no length field; what follows on Ethernet is padding.
  s.end = s.off;
  l->end = s.end;
  l->wire_end = s.end;
}

namespace {

// Offsets of the four addresses when the hardware is 6 bytes and the protocol
// is 4 (Ethernet/IPv4), else nothing.
bool ether_ipv4(const std::uint8_t* h) { return h[4] == 6 && h[5] == 4; }

template <std::uint32_t Off, bool Mac>
FieldValue arp_addr(const DecodedPacket& p, const Layer& l) {
  const auto* h = header_at(p, l, 28);
  if (!h || !ether_ipv4(h)) return FieldValue::absent();
  return Mac ? FieldValue::of_mac(h + Off) : FieldValue::of_ipv4(h + Off);
}

constexpr FieldDef kArpFields[] = {
    {"arp.hw.type", FieldType::kUInt, Proto::kArp, get_be16<0>, "Hardware type"},
    {"arp.proto.type", FieldType::kUInt, Proto::kArp, get_be16<2>, "Protocol type", true, 4},
    {"arp.hw.size", FieldType::kUInt, Proto::kArp, get_u8<4>, "Hardware size"},
    {"arp.proto.size", FieldType::kUInt, Proto::kArp, get_u8<5>, "Protocol size"},
    {"arp.opcode", FieldType::kUInt, Proto::kArp, get_be16<6>, "Opcode"},
    {"arp.src.hw_mac", FieldType::kMac, Proto::kArp, arp_addr<8, true>, "Sender MAC address"},
    {"arp.src.proto_ipv4", FieldType::kIpv4, Proto::kArp, arp_addr<14, false>, "Sender IP address"},
    {"arp.dst.hw_mac", FieldType::kMac, Proto::kArp, arp_addr<18, true>, "Target MAC address"},
    {"arp.dst.proto_ipv4", FieldType::kIpv4, Proto::kArp, arp_addr<24, false>, "Target IP address"},
};

}  // namespace

std::span<const FieldDef> arp_fields() { return kArpFields; }

}  // namespace pcapscope::decode_detail
