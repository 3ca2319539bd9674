// A small frame builder for synthetic captures (demo, tests, benchmarks).
// Produces checksum-valid Ethernet/IPv4/IPv6/TCP/UDP/ICMP frames.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "pcapscope/capture.h"

namespace pcapscope::tools {

using Frame = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;
using Ip4 = std::array<std::uint8_t, 4>;
using Ip6 = std::array<std::uint8_t, 16>;

namespace tcpf {
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

struct TcpSegment {
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 64240;
  bool mss_option = false;  // adds MSS 1460, SACK-permitted, window scale 7 (as a SYN does)
};

inline void put16(Frame& f, std::uint16_t v) {
  f.push_back(static_cast<std::uint8_t>(v >> 8));
  f.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Frame& f, std::uint32_t v) {
  put16(f, static_cast<std::uint16_t>(v >> 16));
  put16(f, static_cast<std::uint16_t>(v));
}
inline void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

inline std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n & 1) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
inline std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

inline void append(Frame& f, const std::uint8_t* p, std::size_t n) {
  // push_back rather than insert: g++ 12 at -O3 reports a false -Warray-bounds on
  // vector::insert from small std::arrays.
  for (std::size_t i = 0; i < n; ++i) f.push_back(p[i]);
}

inline Frame ethernet(const Mac& dst, const Mac& src, std::uint16_t type) {
  Frame f;
  f.reserve(128);
  append(f, dst.data(), 6);
  append(f, src.data(), 6);
  put16(f, type);
  return f;
}

// Appends an L4 payload under IPv4 with PROTO, filling both checksums.
inline Frame ipv4(Frame f, const Ip4& src, const Ip4& dst, std::uint8_t proto, const Frame& l4, std::uint16_t id = 1,
                  std::uint8_t ttl = 64) {
  std::size_t ip = f.size();
  f.push_back(0x45);
  f.push_back(0);
  put16(f, static_cast<std::uint16_t>(20 + l4.size()));
  put16(f, id);
  put16(f, 0x4000);  // DF
  f.push_back(ttl);
  f.push_back(proto);
  put16(f, 0);
  append(f, src.data(), src.size());
  append(f, dst.data(), dst.size());
  set16(f, ip + 10, fold(sum16(&f[ip], 20)));
  std::size_t l4at = f.size();
  f.insert(f.end(), l4.begin(), l4.end());
  if (proto == 6 || proto == 17) {
    std::uint32_t acc = sum16(src.data(), 4, sum16(dst.data(), 4));
    acc += proto + static_cast<std::uint32_t>(l4.size());
    std::size_t ck = l4at + (proto == 6 ? 16 : 6);
    set16(f, ck, 0);
    std::uint16_t c = fold(sum16(&f[l4at], l4.size(), acc));
    set16(f, ck, proto == 17 && c == 0 ? 0xffff : c);
  } else if (proto == 1) {
    set16(f, l4at + 2, 0);
    set16(f, l4at + 2, fold(sum16(&f[l4at], l4.size())));
  }
  return f;
}

inline Frame ipv6(Frame f, const Ip6& src, const Ip6& dst, std::uint8_t nxt, const Frame& l4) {
  put32(f, 0x60000000);
  put16(f, static_cast<std::uint16_t>(l4.size()));
  f.push_back(nxt);
  f.push_back(64);
  append(f, src.data(), src.size());
  append(f, dst.data(), dst.size());
  std::size_t l4at = f.size();
  f.insert(f.end(), l4.begin(), l4.end());
  if (nxt == 6 || nxt == 17 || nxt == 58) {
    std::uint32_t acc = sum16(src.data(), 16, sum16(dst.data(), 16));
    acc += nxt + static_cast<std::uint32_t>(l4.size());
    std::size_t ck = l4at + (nxt == 6 ? 16 : nxt == 17 ? 6 : 2);
    set16(f, ck, 0);
    set16(f, ck, fold(sum16(&f[l4at], l4.size(), acc)));
  }
  return f;
}

inline Frame tcp(const TcpSegment& s, std::string_view payload = {}) {
  Frame t;
  put16(t, s.sport);
  put16(t, s.dport);
  put32(t, s.seq);
  put32(t, s.ack);
  const std::uint8_t hlen = s.mss_option ? 32 : 20;
  t.push_back(static_cast<std::uint8_t>((hlen / 4) << 4));
  t.push_back(s.flags);
  put16(t, s.window);
  put16(t, 0);  // checksum, filled by ipv4()/ipv6()
  put16(t, 0);
  if (s.mss_option) {
    for (std::uint8_t b : {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1}) t.push_back(b);
  }
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

inline Frame udp(std::uint16_t sport, std::uint16_t dport, const Frame& payload) {
  Frame u;
  put16(u, sport);
  put16(u, dport);
  put16(u, static_cast<std::uint16_t>(8 + payload.size()));
  put16(u, 0);
  u.insert(u.end(), payload.begin(), payload.end());
  return u;
}

inline Frame icmp_echo(bool request, std::uint16_t id, std::uint16_t seq, std::string_view data) {
  Frame i{static_cast<std::uint8_t>(request ? 8 : 0), 0, 0, 0};
  put16(i, id);
  put16(i, seq);
  i.insert(i.end(), data.begin(), data.end());
  return i;
}

// A DNS query (or, with ANSWER, a response with one A record) for NAME.
inline Frame dns(std::uint16_t id, std::string_view name, const Ip4* answer) {
  Frame d;
  put16(d, id);
  put16(d, answer ? 0x8180 : 0x0100);
  put16(d, 1);
  put16(d, answer ? 1 : 0);
  put16(d, 0);
  put16(d, 0);
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    d.push_back(static_cast<std::uint8_t>(label.size()));
    d.insert(d.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  d.push_back(0);
  put16(d, 1);
  put16(d, 1);
  if (answer) {
    put16(d, 0xc00c);
    put16(d, 1);
    put16(d, 1);
    put32(d, 300);
    put16(d, 4);
    append(d, answer->data(), 4);
  }
  return d;
}

// An Ethernet frame as a Packet to hand to CaptureWriter, stamped TS_US
// microseconds since the epoch (the writer's default resolution).
inline Packet frame_packet(const Frame& f, std::uint64_t ts_us) {
  Packet p;
  p.data = Bytes(f);
  p.orig_len = static_cast<std::uint32_t>(f.size());
  p.ts_ticks = ts_us;
  p.ts_ns = static_cast<std::int64_t>(ts_us) * 1000;
  p.link_type = linktype::kEthernet;
  return p;
}

}  // namespace pcapscope::tools
