// Writes a capture of N distinct SYN-only flows (a SYN flood or a wide scan
// as the session stage sees it): each SYN comes from its own address and
// port, none is answered. Used by the session-scale test and benchmarks.
//
// usage: pcapscope-make-synflood OUT.pcap N
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "packet_builder.h"
#include "pcapscope/writer.h"

using namespace pcapscope;
using namespace pcapscope::tools;

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: pcapscope-make-synflood OUT.pcap N\n");
    return 2;
  }
  char* end = nullptr;
  const unsigned long long n = std::strtoull(argv[2], &end, 10);
  if (*end != '\0' || n == 0 || n > 100'000'000ULL) {
    fmt::print(stderr, "pcapscope-make-synflood: N must be 1..100000000\n");
    return 2;
  }
  std::vector<Interface> itfs(1);
  itfs[0].link_type = linktype::kEthernet;
  itfs[0].snaplen = 262144;
  auto w = CaptureWriter::create(argv[1], write_format_for_path(argv[1]), itfs, true);
  if (!w) {
    fmt::print(stderr, "pcapscope-make-synflood: {}: {}\n", argv[1], w.error().message);
    return 2;
  }
  const Mac attacker{0x02, 0, 0, 0, 0, 0x66}, victim{0x02, 0, 0, 0, 0, 0x01};
  const Ip4 target{192, 0, 2, 80};
  const std::uint64_t t0_us = 1700000000ULL * 1000000;
  for (unsigned long long i = 0; i < n; ++i) {
    // Source 10.a.b.c with 60000 ports each: every flow distinct.
    const unsigned long long host = i / 60000, port = 1024 + i % 60000;
    const Ip4 src{10, static_cast<std::uint8_t>(host >> 16), static_cast<std::uint8_t>(host >> 8),
                  static_cast<std::uint8_t>(host)};
    TcpSegment syn{static_cast<std::uint16_t>(port), 80, static_cast<std::uint32_t>(i * 2654435761ULL), 0, tcpf::kSyn,
                   64240, true};
    Frame f = ipv4(ethernet(victim, attacker, 0x0800), src, target, 6, tcp(syn));
    const Packet p = frame_packet(f, t0_us + i);  // one SYN a microsecond: all live at once
    auto r = (*w)->write(p);
    if (!r) {
      fmt::print(stderr, "pcapscope-make-synflood: {}: {}\n", argv[1], r.error().message);
      return 2;
    }
  }
  auto c = (*w)->close();
  if (!c) {
    fmt::print(stderr, "pcapscope-make-synflood: {}: {}\n", argv[1], c.error().message);
    return 2;
  }
  return 0;
}
