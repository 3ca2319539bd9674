// Lists the TCP connection attempts (SYN without ACK) in a capture and counts
// packets per layer -- the library's whole surface in one page.
//
// build: see tests/CMakeLists.txt (target pcapscope_api_example)
// run:   pcapscope_api_example CAPTURE...
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pcapscope/pcapscope.h"

int main(int argc, char** argv) {
  std::vector<std::string> paths(argv + 1, argv + argc);
  // Several files are read as one timeline, ordered by time.
  auto timeline = pcapscope::Timeline::open(paths);
  if (!timeline) {
    std::fprintf(stderr, "error: %s\n", timeline.error().message.c_str());
    return 2;
  }

  pcapscope::Packet packet;          // a view into the reader's buffer: no copy
  pcapscope::DecodedPacket decoded;  // layer offsets, reused for every packet
  std::map<std::string, unsigned> per_layer;
  unsigned packets = 0;

  // Field definitions are looked up once, outside the loop.
  const pcapscope::FieldDef* syn = pcapscope::find_field("tcp.flags.syn");
  const pcapscope::FieldDef* ack = pcapscope::find_field("tcp.flags.ack");
  const pcapscope::FieldDef* ip_src = pcapscope::find_field("ip.src");
  const pcapscope::FieldDef* ipv6_src = pcapscope::find_field("ipv6.src");

  while (timeline->next(packet)) {
    ++packets;
    pcapscope::decode(packet, decoded);
    for (unsigned i = 1; i < decoded.layer_count; ++i) ++per_layer[std::string(pcapscope::proto_name(decoded.layers[i].proto))];

    // Is a layer present? (Scapy: pkt.haslayer(TCP))
    if (!decoded.has(pcapscope::Proto::kTcp)) continue;
    // Typed fields, read straight from the packet bytes.
    if (get_field(decoded, *syn).u && !get_field(decoded, *ack).u) {
      // Any field by name, absent (present == false, value 0) when the packet lacks it
      // (Scapy: pkt[TCP].dport, pkt.getlayer(IP).get('src')).
      pcapscope::FieldValue dport = pcapscope::get_field(decoded, "tcp.dstport");
      const pcapscope::FieldDef* src = decoded.has(pcapscope::Proto::kIpv4) ? ip_src : ipv6_src;
      std::string from = pcapscope::format_value(*src, get_field(decoded, *src));  // "" when absent
      std::printf("frame %llu: connection attempt from %s to port %llu\n",
                  static_cast<unsigned long long>(packet.frame), from.c_str(),
                  static_cast<unsigned long long>(dport.u));
    }
  }

  std::printf("packets: %u\n", packets);
  for (const auto& [layer, n] : per_layer) std::printf("  %-8s %u\n", layer.c_str(), n);
  // Damage found while reading is part of the answer, never silent.
  for (std::size_t f = 0; f < timeline->file_count(); ++f)
    for (const auto& d : timeline->summary(f).damaged)
      std::printf("damaged: %s offset %llu length %llu (%s)\n", timeline->summary(f).path.c_str(),
                  static_cast<unsigned long long>(d.offset), static_cast<unsigned long long>(d.length), d.reason.c_str());
  return 0;
}
