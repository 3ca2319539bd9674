// summarize(): tshark's protocol, source, destination and info columns from
// a decoded packet. Strings are cleared and appended to, so a reused Summary
// stops allocating once its buffers have grown.
#include <fmt/format.h>

#include <iterator>

#include "decode/dispatch.h"

namespace pcapscope {

using namespace decode_detail;

namespace {

std::string_view column_name(Proto p) {
  switch (p) {
    case Proto::kFrame: return "Frame";
    case Proto::kEthernet: return "Ethernet";
    case Proto::kLlc: return "LLC";
    case Proto::kVlan: return "802.1Q";
    case Proto::kMpls: return "MPLS";
    case Proto::kPppoe: return "PPPoES";
    case Proto::kPpp: return "PPP";
    case Proto::kSll:
    case Proto::kSll2: return "SLL";
    case Proto::kNull: return "NULL";
    case Proto::kIpv4: return "IPv4";
    case Proto::kIpv6:
    case Proto::kIpv6Ext: return "IPv6";
    case Proto::kArp: return "ARP";
    case Proto::kIcmp: return "ICMP";
    case Proto::kIcmpv6: return "ICMPv6";
    case Proto::kTcp: return "TCP";
    case Proto::kUdp: return "UDP";
    case Proto::kGre: return "GRE";
    case Proto::kErspan: return "ERSPAN";
    case Proto::kVxlan: return "VXLAN";
    case Proto::kGeneve: return "Geneve";
    case Proto::kGtpU: return "GTP";
    case Proto::kTeredo: return "Teredo";
    case Proto::kEtag: return "E-Tag";
    case Proto::kVntag: return "VNTAG";
    case Proto::kNsh: return "NSH";
    case Proto::kNone:
    case Proto::kCount: break;
  }
  return "";
}

void append_field(std::string& out, const DecodedPacket& p, const Layer& l, std::string_view name) {
  const FieldDef* f = find_field(name);
  if (f) append_value(out, *f, f->get(p, l));
}

std::uint64_t u(const DecodedPacket& p, const Layer& l, std::string_view name) {
  const FieldDef* f = find_field(name);
  if (!f) return 0;
  return f->get(p, l).u;
}

bool present(const DecodedPacket& p, const Layer& l, std::string_view name) {
  const FieldDef* f = find_field(name);
  return f && f->get(p, l).present;
}

void tcp_info(std::string& out, const DecodedPacket& p, const Layer& l) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} \u2192 {} ", u(p, l, "tcp.srcport"), u(p, l, "tcp.dstport"));
  if (l.header_len < 20) return;
  static constexpr std::string_view kFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"};
  const auto flags = u(p, l, "tcp.flags");
  out.push_back('[');
  bool first = true;
  for (unsigned b = 0; b < 9; ++b) {
    if (!(flags & (1u << b))) continue;
    if (!first) out += ", ";
    out += kFlagNames[b];
    first = false;
  }
  if (first) out += "<None>";
  fmt::format_to(it, "] Seq={}", u(p, l, "tcp.seq_raw"));
  if (flags & 0x10) fmt::format_to(it, " Ack={}", u(p, l, "tcp.ack_raw"));
  fmt::format_to(it, " Win={}", u(p, l, "tcp.window_size_value"));
  if (present(p, l, "tcp.len")) fmt::format_to(it, " Len={}", u(p, l, "tcp.len"));
  if (flags & 0x20) fmt::format_to(it, " Urg={}", u(p, l, "tcp.urgent_pointer"));
  // Options in packet order, as tshark lists them.
  const Bytes h = p.data().subspan(l.offset, l.header_len);
  for (std::size_t i = 20; i < h.size();) {
    const std::uint8_t kind = h[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= h.size() || h[i + 1] < 2 || i + h[i + 1] > h.size()) break;
    const std::size_t len = h[i + 1];
    const std::uint8_t* d = h.data() + i + 2;
    if (kind == 2 && len == 4) fmt::format_to(it, " MSS={}", load_be16(d));
    if (kind == 3 && len == 3) fmt::format_to(it, " WS={}", d[0] < 15 ? (1u << d[0]) : 0u);
    if (kind == 4 && len == 2) out += " SACK_PERM";
    if (kind == 8 && len == 10) fmt::format_to(it, " TSval={} TSecr={}", load_be32(d), load_be32(d + 4));
    i += len;
  }
}

std::string_view icmp_unreachable_code(std::uint64_t code) {
  static constexpr std::string_view kNames[] = {
      "Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable",
      "Fragmentation needed", "Source route failed", "Destination network unknown",
      "Destination host unknown", "Source host isolated", "Network administratively prohibited",
      "Host administratively prohibited", "Network unreachable for TOS", "Host unreachable for TOS",
      "Communication administratively filtered", "Host precedence violation", "Precedence cutoff in effect"};
  return code < std::size(kNames) ? kNames[code] : "Unknown code";
}

void icmp_info(std::string& out, const DecodedPacket& p, const Layer& l, unsigned ttl) {
  auto it = std::back_inserter(out);
  const auto type = u(p, l, "icmp.type"), code = u(p, l, "icmp.code");
  switch (type) {
    case 0:
    case 8: {
      const auto seq = u(p, l, "icmp.seq");
      fmt::format_to(it, "Echo (ping) {}  id=0x{:04x}, seq={}/{}, ttl={}", type == 8 ? "request" : "reply",
                     u(p, l, "icmp.ident"), seq, ((seq & 0xff) << 8) | (seq >> 8), ttl);
      return;
    }
    case 3: fmt::format_to(it, "Destination unreachable ({})", icmp_unreachable_code(code)); return;
    case 4: out += "Source quench (flow control)"; return;
    case 5: out += "Redirect"; return;
    case 11:
      out += code == 0 ? "Time-to-live exceeded (Time to live exceeded in transit)"
                       : "Time-to-live exceeded (Fragment reassembly time exceeded)";
      return;
    case 12: out += "Parameter problem"; return;
    case 13: out += "Timestamp request"; return;
    case 14: out += "Timestamp reply"; return;
    default: fmt::format_to(it, "Type {}, code {}", type, code); return;
  }
}

void icmpv6_info(std::string& out, const DecodedPacket& p, const Layer& l) {
  auto it = std::back_inserter(out);
  const auto type = u(p, l, "icmpv6.type");
  switch (type) {
    case 1: out += "Destination Unreachable"; return;
    case 2: out += "Packet Too Big"; return;
    case 3: out += "Time Exceeded"; return;
    case 4: out += "Parameter Problem"; return;
    case 128:
    case 129:
      fmt::format_to(it, "Echo (ping) {} id=0x{:04x}, seq={}", type == 128 ? "request" : "reply",
                     u(p, l, "icmpv6.echo.identifier"), u(p, l, "icmpv6.echo.sequence_number"));
      return;
    case 133: out += "Router Solicitation"; return;
    case 134: out += "Router Advertisement"; return;
    case 135: out += "Neighbor Solicitation"; return;
    case 136: out += "Neighbor Advertisement"; return;
    case 137: out += "Redirect"; return;
    case 143: out += "Multicast Listener Report Message v2"; return;
    default: fmt::format_to(it, "Type {}", type); return;
  }
}

void arp_info(std::string& out, const DecodedPacket& p, const Layer& l) {
  const auto op = u(p, l, "arp.opcode");
  if (!present(p, l, "arp.src.proto_ipv4")) {
    fmt::format_to(std::back_inserter(out), "ARP opcode {}", op);
    return;
  }
  const auto spa = get_field(p, "arp.src.proto_ipv4"), tpa = get_field(p, "arp.dst.proto_ipv4");
  if (op == 1) {
    if (spa.addr == tpa.addr) {
      out += "Gratuitous ARP for ";
      append_field(out, p, l, "arp.src.proto_ipv4");
      out += " (Request)";
      return;
    }
    out += "Who has ";
    append_field(out, p, l, "arp.dst.proto_ipv4");
    out += "? Tell ";
    append_field(out, p, l, "arp.src.proto_ipv4");
  } else if (op == 2) {
    append_field(out, p, l, "arp.src.proto_ipv4");
    out += " is at ";
    append_field(out, p, l, "arp.src.hw_mac");
  } else {
    fmt::format_to(std::back_inserter(out), "ARP opcode {}", op);
  }
}

}  // namespace

void summarize(const DecodedPacket& pkt, Summary& out) {
  out.protocol = "";
  out.source.clear();
  out.destination.clear();
  out.info.clear();

  // Innermost layer that is not part of an ICMP error's quote (tshark keeps
  // "ICMP" in the column for those) and the innermost addresses.
  const Layer* top = nullptr;
  const Layer* ip = nullptr;
  const Layer* mac = nullptr;
  bool truncated = false;
  for (std::size_t i = 0; i < pkt.layer_count; ++i) {
    const Layer& l = pkt.layers[i];
    if (l.flags & layer_flag::kInIcmpError) continue;
    if (l.flags & layer_flag::kTruncated) truncated = true;
    top = &l;
    if (l.proto == Proto::kIpv4 || l.proto == Proto::kIpv6) ip = &l;
    if (l.proto == Proto::kEthernet) mac = &l;
  }
  if (!top) return;
  out.protocol = column_name(top->proto);

  if (ip) {
    const bool v4 = ip->proto == Proto::kIpv4;
    append_field(out.source, pkt, *ip, v4 ? "ip.src" : "ipv6.src");
    append_field(out.destination, pkt, *ip, v4 ? "ip.dst" : "ipv6.dst");
  } else if (mac) {
    append_field(out.source, pkt, *mac, "eth.src");
    append_field(out.destination, pkt, *mac, "eth.dst");
  } else if (const Layer* sll = pkt.find(Proto::kSll) ? pkt.find(Proto::kSll) : pkt.find(Proto::kSll2)) {
    append_field(out.source, pkt, *sll, "sll.src.eth");
  }

  switch (top->proto) {
    case Proto::kTcp: tcp_info(out.info, pkt, *top); break;
    case Proto::kUdp: {
      fmt::format_to(std::back_inserter(out.info), "{} \u2192 {}", u(pkt, *top, "udp.srcport"),
                     u(pkt, *top, "udp.dstport"));
      if (present(pkt, *top, "udp.length") && u(pkt, *top, "udp.length") >= 8) {
        fmt::format_to(std::back_inserter(out.info), " Len={}", u(pkt, *top, "udp.length") - 8);
      }
      break;
    }
    case Proto::kIcmp:
      icmp_info(out.info, pkt, *top, ip && ip->proto == Proto::kIpv4 ? static_cast<unsigned>(u(pkt, *ip, "ip.ttl")) : 0);
      break;
    case Proto::kIcmpv6: icmpv6_info(out.info, pkt, *top); break;
    case Proto::kArp: arp_info(out.info, pkt, *top); break;
    case Proto::kIpv4:
      if (present(pkt, *top, "ip.proto") &&
          (u(pkt, *top, "ip.flags.mf") || u(pkt, *top, "ip.frag_offset"))) {
        fmt::format_to(std::back_inserter(out.info), "Fragmented IP protocol (proto={}, off={}, ID={:04x})",
                       u(pkt, *top, "ip.proto"), u(pkt, *top, "ip.frag_offset"), u(pkt, *top, "ip.id"));
      }
      break;
    case Proto::kIpv6Ext:
      if (present(pkt, *top, "ipv6.fraghdr.nxt")) {
        fmt::format_to(std::back_inserter(out.info), "IPv6 fragment (off={} more={} ident=0x{:08x} nxt={})",
                       u(pkt, *top, "ipv6.fraghdr.offset"), u(pkt, *top, "ipv6.fraghdr.more") ? "y" : "n",
                       u(pkt, *top, "ipv6.fraghdr.ident"), u(pkt, *top, "ipv6.fraghdr.nxt"));
      }
      break;
    default: break;
  }

  if (truncated) out.info += " [truncated]";
  for (std::size_t i = 0; i < pkt.anomaly_count; ++i) {
    const std::string_view name = anomaly_name(pkt.anomalies[i]);
    if (name.starts_with("truncated_") && truncated) continue;
    out.info += " [";
    out.info += name;
    out.info += ']';
  }
  if (!out.info.empty() && out.info.front() == ' ') out.info.erase(0, 1);
}

}  // namespace pcapscope
