// A small frame builder for synthetic captures (demo, tests, benchmarks).
// Produces checksum-valid Ethernet/IPv4/IPv6/TCP/UDP/ICMP frames.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
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

// A DNS message for NAME asking QTYPE (class IN): a recursive query, or with
// RESPONSE a NOERROR reply carrying one answer of type QTYPE per entry of
// RDATAS (each answer's name a compression pointer to the question).
inline Frame dns_message(std::uint16_t id, std::string_view name, std::uint16_t qtype, bool response,
                         const std::vector<Frame>& rdatas = {}, std::uint32_t ttl = 300) {
  Frame d;
  put16(d, id);
  put16(d, response ? 0x8180 : 0x0100);
  put16(d, 1);
  put16(d, static_cast<std::uint16_t>(response ? rdatas.size() : 0));
  put16(d, 0);
  put16(d, 0);
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    d.push_back(static_cast<std::uint8_t>(label.size()));
    d.insert(d.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  d.push_back(0);
  put16(d, qtype);
  put16(d, 1);
  if (!response) return d;
  for (const Frame& rdata : rdatas) {
    put16(d, 0xc00c);
    put16(d, qtype);
    put16(d, 1);
    put32(d, ttl);
    put16(d, static_cast<std::uint16_t>(rdata.size()));
    d.insert(d.end(), rdata.begin(), rdata.end());
  }
  return d;
}

// TXT RDATA (RFC 1035 §3.3.14): TEXT cut into character-strings of at most 255 bytes.
inline Frame dns_txt_rdata(std::string_view text) {
  Frame r;
  do {
    const std::size_t n = std::min<std::size_t>(text.size(), 255);
    r.push_back(static_cast<std::uint8_t>(n));
    r.insert(r.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
    text.remove_prefix(n);
  } while (!text.empty());
  return r;
}

namespace detail {
inline void put16s(std::string& s, std::size_t v) {
  s.push_back(static_cast<char>((v >> 8) & 0xff));
  s.push_back(static_cast<char>(v & 0xff));
}
inline void put32s(std::string& s, std::size_t v) {
  put16s(s, (v >> 16) & 0xffff);
  put16s(s, v & 0xffff);
}
// A TLS record of TYPE (22 handshake, 20 change_cipher_spec, 23 application_data).
inline std::string tls_record(std::uint8_t type, std::uint16_t version, std::string_view body) {
  std::string r(1, static_cast<char>(type));
  put16s(r, version);
  put16s(r, body.size());
  r += body;
  return r;
}
inline std::string tls_handshake(std::uint8_t type, std::string_view body) {
  std::string h(1, static_cast<char>(type));
  h.push_back(static_cast<char>((body.size() >> 16) & 0xff));
  put16s(h, body.size());
  h += body;
  return h;
}
inline std::string tls_ext(std::uint16_t type, std::string_view body) {
  std::string e;
  put16s(e, type);
  put16s(e, body.size());
  e += body;
  return e;
}
}  // namespace detail

// A ClientHello record as a current browser sends it for TLS 1.3: GREASE-free
// suites for 1.3 and 1.2, SNI, groups, point formats, ALPN, signature
// algorithms, supported_versions, PSK modes and an x25519 key share.
// RANDOM fills the random, session id and key share (32 bytes each, cycled).
inline std::string tls_client_hello(std::string_view sni, std::string_view random) {
  using namespace detail;
  auto bytes32 = [&](std::size_t salt) {
    std::string b(32, '\0');
    for (std::size_t i = 0; i < 32; ++i) b[i] = random.empty() ? '\x5a' : random[(i + salt) % random.size()];
    return b;
  };
  // An empty SNI leaves the extension out, as a client connecting to a bare address does.
  std::string exts;
  if (!sni.empty()) {
    std::string sn;
    put16s(sn, sni.size() + 3);
    sn.push_back(0);
    put16s(sn, sni.size());
    sn += sni;
    exts = tls_ext(0, sn);
  }
  exts += tls_ext(23, "");                                                        // extended_master_secret
  exts += tls_ext(65281, std::string(1, '\0'));                                   // renegotiation_info
  exts += tls_ext(10, std::string("\x00\x08\x00\x1d\x00\x17\x00\x18\x00\x19", 10));  // x25519, P-256/384/521
  exts += tls_ext(11, std::string("\x01\x00", 2));                                // uncompressed points
  exts += tls_ext(35, "");                                                        // session_ticket
  exts += tls_ext(16, std::string("\x00\x0c\x02h2\x08http/1.1", 14));            // ALPN
  exts += tls_ext(13, std::string("\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03\x08\x05\x05\x01\x08\x06\x06\x01", 18));
  exts += tls_ext(43, std::string("\x04\x03\x04\x03\x03", 5));                    // TLS 1.3, 1.2
  exts += tls_ext(45, std::string("\x01\x01", 2));                                // psk_dhe_ke
  std::string ks;
  put16s(ks, 36);
  put16s(ks, 0x1d);
  put16s(ks, 32);
  ks += bytes32(7);
  exts += tls_ext(51, ks);
  std::string body;
  put16s(body, 0x0303);
  body += bytes32(0);
  body.push_back(32);
  body += bytes32(13);
  static constexpr std::uint16_t kSuites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
                                              0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c};
  put16s(body, sizeof kSuites / sizeof kSuites[0] * 2);
  for (std::uint16_t s : kSuites) put16s(body, s);
  body += std::string("\x01\x00", 2);  // compression: null
  put16s(body, exts.size());
  body += exts;
  return tls_record(22, 0x0301, tls_handshake(1, body));
}

// A TLS 1.3 ServerHello record (TLS_AES_128_GCM_SHA256, x25519 key share)
// echoing SESSION_ID, followed by the middlebox-compatibility
// ChangeCipherSpec record. RANDOM as for tls_client_hello.
inline std::string tls_server_hello(std::string_view random, std::string_view session_id) {
  using namespace detail;
  std::string exts = tls_ext(43, std::string("\x03\x04", 2));
  std::string ks;
  put16s(ks, 0x1d);
  put16s(ks, 32);
  for (std::size_t i = 0; i < 32; ++i) ks.push_back(random.empty() ? '\x3c' : random[(i + 5) % random.size()]);
  exts += tls_ext(51, ks);
  std::string body;
  put16s(body, 0x0303);
  for (std::size_t i = 0; i < 32; ++i) body.push_back(random.empty() ? '\x3c' : random[i % random.size()]);
  body.push_back(static_cast<char>(session_id.size()));
  body += session_id;
  put16s(body, 0x1301);
  body.push_back(0);
  put16s(body, exts.size());
  body += exts;
  return tls_record(22, 0x0303, tls_handshake(2, body)) + tls_record(20, 0x0303, std::string(1, '\x01'));
}

// A TLS application_data record carrying BODY (ciphertext stand-in).
inline std::string tls_app_data(std::string_view body) { return detail::tls_record(23, 0x0303, body); }

// An unencrypted SSH binary packet (RFC 4253 §6) around PAYLOAD, padded to a
// multiple of 8 with at least 4 bytes of padding.
inline std::string ssh_packet(std::string_view payload) {
  std::size_t pad = 8 - ((5 + payload.size()) % 8);
  if (pad < 4) pad += 8;
  std::string out;
  detail::put32s(out, 1 + payload.size() + pad);
  out.push_back(static_cast<char>(pad));
  out += payload;
  out.append(pad, '\0');
  return out;
}

// An SSH_MSG_KEXINIT payload (RFC 4253 §7.1) with COOKIE (16 bytes, cycled)
// and OpenSSH 8.x-style algorithm lists (the same list for both directions;
// curve25519-sha256 negotiated).
inline std::string ssh_kexinit(std::string_view cookie, bool server) {
  std::string p(1, '\x14');
  for (std::size_t i = 0; i < 16; ++i) p.push_back(cookie.empty() ? '\x01' : cookie[i % cookie.size()]);
  const std::string_view kex = server ? "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                                        "diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com"
                                      : "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                                        "diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com";
  const std::string_view hostkey = server ? "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519"
                                          : "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
  const std::string_view cipher = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
                                  "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
  const std::string_view mac = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
                               "hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512";
  const std::string_view comp = "none,zlib@openssh.com";
  for (std::string_view l : {kex, hostkey, cipher, cipher, mac, mac, comp, comp, std::string_view{}, std::string_view{}}) {
    detail::put32s(p, l.size());
    p += l;
  }
  p.push_back('\0');
  detail::put32s(p, 0);
  return p;
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
