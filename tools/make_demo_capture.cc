// Writes the demo capture `make demo` analyses: a workstation that looks a
// name up, fetches a page, pings, and then pushes data out to an external
// host -- small, deterministic, and written with pcapscope's own writer.
//
// usage: pcapscope-make-demo OUT.pcap|OUT.pcapng
#include <fmt/format.h>

#include <string>
#include <vector>

#include "packet_builder.h"
#include "pcapscope/writer.h"

using namespace pcapscope;
using namespace pcapscope::tools;

namespace {

constexpr Mac kWorkstationMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x17};
constexpr Mac kGatewayMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr Ip4 kWorkstation{10, 0, 0, 23};
constexpr Ip4 kResolver{10, 0, 0, 53};
constexpr Ip4 kWebServer{93, 184, 216, 34};
constexpr Ip4 kDropHost{203, 0, 113, 66};

struct Out {
  std::vector<Frame> frames;
  std::vector<std::uint64_t> ts_us;
  std::uint64_t now_us = 1700000000ULL * 1000000;
  void add(Frame f, std::uint64_t gap_us) {
    now_us += gap_us;
    frames.push_back(std::move(f));
    ts_us.push_back(now_us);
  }
};

Frame eth_out() { return ethernet(kGatewayMac, kWorkstationMac, 0x0800); }
Frame eth_in() { return ethernet(kWorkstationMac, kGatewayMac, 0x0800); }

void tcp_conversation(Out& o, const Ip4& server, std::uint16_t sport, std::uint16_t dport, const std::string& request,
                      const std::string& response, int uploads) {
  std::uint32_t c = 1000, s = 5000;
  o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c, 0, tcpf::kSyn, 64240, true})), 1000);
  o.add(ipv4(eth_in(), server, kWorkstation, 6, tcp({dport, sport, s, c + 1, tcpf::kSyn | tcpf::kAck, 65535, true})), 20000);
  o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c + 1, s + 1, tcpf::kAck})), 300);
  c += 1;
  s += 1;
  if (!request.empty()) {
    o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c, s, tcpf::kPsh | tcpf::kAck}, request)), 500);
    c += static_cast<std::uint32_t>(request.size());
  }
  for (int i = 0; i < uploads; ++i) {
    std::string chunk(1400, static_cast<char>('A' + i % 26));
    o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c, s, tcpf::kAck}, chunk), static_cast<std::uint16_t>(100 + i)), 800);
    c += 1400;
  }
  if (!response.empty()) {
    o.add(ipv4(eth_in(), server, kWorkstation, 6, tcp({dport, sport, s, c, tcpf::kPsh | tcpf::kAck}, response)), 25000);
    s += static_cast<std::uint32_t>(response.size());
  }
  o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c, s, tcpf::kFin | tcpf::kAck})), 400);
  o.add(ipv4(eth_in(), server, kWorkstation, 6, tcp({dport, sport, s, c + 1, tcpf::kFin | tcpf::kAck})), 20000);
  o.add(ipv4(eth_out(), kWorkstation, server, 6, tcp({sport, dport, c + 1, s + 1, tcpf::kAck})), 300);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: pcapscope-make-demo OUT.pcap|OUT.pcapng\n");
    return 2;
  }
  Out o;
  // ARP for the gateway.
  {
    Frame arp = ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kWorkstationMac, 0x0806);
    for (std::uint8_t b : {0, 1, 8, 0, 6, 4, 0, 1}) arp.push_back(b);
    append(arp, kWorkstationMac.data(), 6);
    append(arp, kWorkstation.data(), 4);
    for (int i = 0; i < 6; ++i) arp.push_back(0);
    for (std::uint8_t b : {10, 0, 0, 1}) arp.push_back(b);
    o.add(arp, 0);
  }
  // DNS lookup and answer.
  o.add(ipv4(eth_out(), kWorkstation, kResolver, 17, udp(53124, 53, dns(0x1a2b, "example.org", nullptr))), 2000);
  o.add(ipv4(eth_in(), kResolver, kWorkstation, 17, udp(53, 53124, dns(0x1a2b, "example.org", &kWebServer))), 15000);
  // A web page.
  tcp_conversation(o, kWebServer, 49822, 80, "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.0\r\n\r\n",
                   "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world\n", 0);
  // Ping.
  o.add(ipv4(eth_out(), kWorkstation, kWebServer, 1, icmp_echo(true, 0x42, 1, "pcapscope-ping")), 100000);
  o.add(ipv4(eth_in(), kWebServer, kWorkstation, 1, icmp_echo(false, 0x42, 1, "pcapscope-ping")), 18000);
  // IPv6 connection attempt, refused.
  {
    Ip6 a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17};
    Ip6 b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22};
    o.add(ipv6(ethernet(kGatewayMac, kWorkstationMac, 0x86dd), a, b, 6, tcp({50000, 22, 1, 0, tcpf::kSyn, 64800, true})), 50000);
    o.add(ipv6(ethernet(kWorkstationMac, kGatewayMac, 0x86dd), b, a, 6, tcp({22, 50000, 0, 2, tcpf::kRst | tcpf::kAck})), 400);
  }
  // A VLAN-tagged DNS query from another host.
  {
    Frame f = ethernet(kGatewayMac, {0x02, 0, 0, 0, 0, 0x31}, 0x8100);
    put16(f, 0x0064);  // VLAN 100
    put16(f, 0x0800);
    o.add(ipv4(f, {10, 0, 100, 31}, kResolver, 17, udp(40000, 53, dns(0x0777, "update.example.net", nullptr))), 30000);
  }
  // An upload to an external host: much out, little back.
  tcp_conversation(o, kDropHost, 49900, 443, "", "ok", 40);

  std::vector<Interface> itfs(1);
  itfs[0].link_type = linktype::kEthernet;
  itfs[0].snaplen = 262144;
  auto w = CaptureWriter::create(argv[1], write_format_for_path(argv[1]), itfs, true);
  if (!w) {
    fmt::print(stderr, "pcapscope-make-demo: {}: {}\n", argv[1], w.error().message);
    return 2;
  }
  for (std::size_t i = 0; i < o.frames.size(); ++i) {
    const Packet p = frame_packet(o.frames[i], o.ts_us[i]);
    auto r = (*w)->write(p);
    if (!r) {
      fmt::print(stderr, "pcapscope-make-demo: {}: {}\n", argv[1], r.error().message);
      return 2;
    }
  }
  auto c = (*w)->close();
  if (!c) {
    fmt::print(stderr, "pcapscope-make-demo: {}: {}\n", argv[1], c.error().message);
    return 2;
  }
  fmt::print("wrote {} packets to {}\n", o.frames.size(), argv[1]);
  return 0;
}
