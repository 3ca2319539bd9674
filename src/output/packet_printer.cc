#include "output/packet_printer.h"

#include <fmt/format.h>

namespace pcapscope {

std::unique_ptr<PacketPrinter> make_printer(const PrintOptions& opt) {
  switch (opt.format) {
    case OutputFormat::kCsv: return make_csv_printer(opt);
    case OutputFormat::kJson: return make_json_printer(opt);
    case OutputFormat::kText: break;
  }
  return make_text_printer(opt);
}

void append_hex_dump(std::string& out, Bytes data) {
  for (std::size_t off = 0; off < data.size(); off += 16) {
    fmt::format_to(std::back_inserter(out), "{:04x}  ", off);
    for (std::size_t i = 0; i < 16; ++i) {
      if (off + i < data.size())
        fmt::format_to(std::back_inserter(out), "{:02x} ", data[off + i]);
      else
        out += "   ";
      if (i == 7) out += ' ';
    }
    out += ' ';
    for (std::size_t i = 0; i < 16 && off + i < data.size(); ++i) {
      auto c = data[off + i];
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    }
    out += '\n';
  }
}

void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string_view layer_title(Proto p) {
  switch (p) {
    case Proto::kFrame: return "Frame";
    case Proto::kEthernet: return "Ethernet II";
    case Proto::kLlc: return "Logical-Link Control";
    case Proto::kVlan: return "802.1Q Virtual LAN";
    case Proto::kMpls: return "MultiProtocol Label Switching";
    case Proto::kPppoe: return "PPP-over-Ethernet Session";
    case Proto::kPpp: return "Point-to-Point Protocol";
    case Proto::kSll: return "Linux cooked capture v1";
    case Proto::kSll2: return "Linux cooked capture v2";
    case Proto::kNull: return "Null/Loopback";
    case Proto::kIpv4: return "Internet Protocol Version 4";
    case Proto::kIpv6: return "Internet Protocol Version 6";
    case Proto::kIpv6Ext: return "IPv6 Extension Header";
    case Proto::kArp: return "Address Resolution Protocol";
    case Proto::kIcmp: return "Internet Control Message Protocol";
    case Proto::kIcmpv6: return "Internet Control Message Protocol v6";
    case Proto::kTcp: return "Transmission Control Protocol";
    case Proto::kUdp: return "User Datagram Protocol";
    case Proto::kGre: return "Generic Routing Encapsulation";
    case Proto::kErspan: return "Encapsulated Remote Switch Packet ANalysis";
    case Proto::kVxlan: return "Virtual eXtensible Local Area Network";
    case Proto::kGeneve: return "Generic Network Virtualization Encapsulation";
    case Proto::kGtpU: return "GPRS Tunneling Protocol (user plane)";
    default: return proto_name(p);
  }
}

}  // namespace pcapscope
