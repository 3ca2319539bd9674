// Writes the hostile captures of the hostile-capture suite
// (tests/corpus/hostile.py, docs/security.md): files an attacker would shape
// to crash an analyzer, make it hang, eat the machine's memory or lose
// traffic. Each case is built from scratch, byte by byte where the damage is
// in the container itself, so the suite needs nothing but this tool.
//
// usage: pcapscope-make-hostile CASE OUT [N]     (OUT may be - for stdout)
//
// Raw pcap records are written here rather than through CaptureWriter: the
// cases need headers no well-behaved writer produces (snaplen 0 and 2^32-1,
// zero-length pcapng blocks, a gzip stream of nothing but zeros), and the
// 10-million-flow case streams to a pipe without touching the disk.
#include <fmt/format.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "packet_builder.h"

using namespace pcapscope::tools;

namespace {

constexpr std::uint64_t kT0Us = 1700000000ULL * 1000000;  // 2023-11-14
constexpr Mac kMacA{0x02, 0, 0, 0, 0, 0x0a}, kMacB{0x02, 0, 0, 0, 0, 0x0b};
constexpr Ip4 kHostA{10, 0, 0, 1}, kHostB{192, 0, 2, 80};

[[noreturn]] void fail(const std::string& why) {
  fmt::print(stderr, "pcapscope-make-hostile: {}\n", why);
  std::exit(2);
}

class Out {
 public:
  explicit Out(const std::string& path) {
    f_ = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (!f_) fail(path + ": " + std::strerror(errno));
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  }
  ~Out() {
    if (std::fflush(f_) != 0 || (f_ != stdout && std::fclose(f_) != 0)) fail(std::string("write: ") + std::strerror(errno));
  }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;

  void bytes(const void* p, std::size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) fail(std::string("write: ") + std::strerror(errno));
  }
  void le32(std::uint32_t v) {
    std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                         static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    bytes(b, 4);
  }
  void le16(std::uint16_t v) {
    std::uint8_t b[2] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)};
    bytes(b, 2);
  }

 private:
  std::FILE* f_;
};

// Classic pcap, microseconds, little-endian.
void pcap_header(Out& o, std::uint32_t snaplen, std::uint32_t linktype = 1) {
  o.le32(0xa1b2c3d4);
  o.le16(2);
  o.le16(4);
  o.le32(0);
  o.le32(0);
  o.le32(snaplen);
  o.le32(linktype);
}
void pcap_record(Out& o, std::uint64_t ts_us, const Frame& f) {
  o.le32(static_cast<std::uint32_t>(ts_us / 1000000));
  o.le32(static_cast<std::uint32_t>(ts_us % 1000000));
  o.le32(static_cast<std::uint32_t>(f.size()));
  o.le32(static_cast<std::uint32_t>(f.size()));
  o.bytes(f.data(), f.size());
}

Frame udp4(const Ip4& src, const Ip4& dst, std::uint16_t sport, std::uint16_t dport, std::string_view payload) {
  return ipv4(ethernet(kMacB, kMacA, 0x0800), src, dst, 17, udp(sport, dport, Frame(payload.begin(), payload.end())));
}

// ---- cases -----------------------------------------------------------------

// N SYNs, each from its own (address, port), none answered, one a microsecond
// so all are live at once: a SYN flood or a wide scan as the session stage sees it.
void half_open(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t host = i / 60000, port = 1024 + i % 60000;
    const Ip4 src{10, static_cast<std::uint8_t>(host >> 16), static_cast<std::uint8_t>(host >> 8),
                  static_cast<std::uint8_t>(host)};
    TcpSegment syn{static_cast<std::uint16_t>(port), 80, static_cast<std::uint32_t>(i * 2654435761ULL), 0, tcpf::kSyn,
                   64240, true};
    pcap_record(o, kT0Us + i, ipv4(ethernet(kMacB, kMacA, 0x0800), src, kHostB, 6, tcp(syn)));
  }
}

// An IPv4 fragment of datagram ID carrying DATA at byte OFFSET (a multiple of 8).
Frame fragment(std::uint16_t id, std::uint32_t offset, bool more, const Frame& data) {
  Frame f = ethernet(kMacB, kMacA, 0x0800);
  const std::size_t ip = f.size();
  f.push_back(0x45);
  f.push_back(0);
  put16(f, static_cast<std::uint16_t>(20 + data.size()));
  put16(f, id);
  put16(f, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  f.push_back(64);
  f.push_back(17);
  put16(f, 0);
  append(f, kHostA.data(), 4);
  append(f, kHostB.data(), 4);
  set16(f, ip + 10, fold(sum16(&f[ip], 20)));
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

// N tiny (8-byte) fragments of N/100 datagrams: each datagram gets 100
// fragments over the same 64 bytes with different data every time (a
// Teardrop/overlap evasion), and never a last fragment, so nothing completes
// and every byte held counts against fragment_memory until it is dropped.
void fragments(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::uint16_t>(i / 100);
    const auto offset = static_cast<std::uint32_t>((i * 8) % 64);
    Frame data(8, static_cast<std::uint8_t>('a' + i % 26));
    pcap_record(o, kT0Us + i * 10, fragment(id, offset, true, data));
  }
}

// N one-fragment datagrams, each its own (source, ID), 8 bytes at offset
// 65,504: a reassembler that sizes its buffer by the datagram's end (64 KiB
// each) would need 6.5 GB for 100,000 of them. (65,504 + 8 bytes and the
// 20-byte header are the most an IPv4 datagram may hold.)
void fragments_sparse(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  for (std::uint64_t i = 0; i < n; ++i) {
    Frame f = fragment(static_cast<std::uint16_t>(i), 65504, true, Frame(8, 'x'));
    f[14 + 12 + 2] = static_cast<std::uint8_t>(i >> 16);  // source 10.0.X.1: 2^16 IDs per source
    set16(f, 14 + 10, 0);
    set16(f, 14 + 10, fold(sum16(&f[14], 20)));
    pcap_record(o, kT0Us + i * 10, f);
  }
}

// One TCP connection whose N data segments each rewrite the previous one's
// bytes (same sequence numbers, different data): what an IDS evasion does so
// that the analyzer and the victim reassemble different streams.
void tcp_overlap(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  const Frame eth_ab = ethernet(kMacB, kMacA, 0x0800), eth_ba = ethernet(kMacA, kMacB, 0x0800);
  std::uint64_t t = kT0Us;
  const std::uint32_t ci = 1000, si = 5000;
  pcap_record(o, t++, ipv4(eth_ab, kHostA, kHostB, 6, tcp({40000, 80, ci, 0, tcpf::kSyn, 64240, true})));
  pcap_record(o, t++, ipv4(eth_ba, kHostB, kHostA, 6, tcp({80, 40000, si, ci + 1, tcpf::kSyn | tcpf::kAck, 64240, true})));
  pcap_record(o, t++, ipv4(eth_ab, kHostA, kHostB, 6, tcp({40000, 80, ci + 1, si + 1, tcpf::kAck})));
  for (std::uint64_t i = 0; i < n; ++i) {
    // Each segment starts 8 bytes after the previous one and is 16 long: half of it overlaps
    // what came before, with other bytes.
    const std::string payload(16, static_cast<char>('A' + i % 26));
    const auto seq = static_cast<std::uint32_t>(ci + 1 + i * 8);
    pcap_record(o, t++, ipv4(eth_ab, kHostA, kHostB, 6, tcp({40000, 80, seq, si + 1, tcpf::kAck | tcpf::kPsh}, payload)));
  }
  const auto end = static_cast<std::uint32_t>(ci + 1 + n * 8 + 8);
  pcap_record(o, t++, ipv4(eth_ab, kHostA, kHostB, 6, tcp({40000, 80, end, si + 1, tcpf::kFin | tcpf::kAck})));
  pcap_record(o, t++, ipv4(eth_ba, kHostB, kHostA, 6, tcp({80, 40000, si + 1, end + 1, tcpf::kFin | tcpf::kAck})));
  pcap_record(o, t++, ipv4(eth_ab, kHostA, kHostB, 6, tcp({40000, 80, end + 1, si + 2, tcpf::kAck})));
}

// DNS responses whose names loop through compression pointers: a pointer to
// itself, two pointers to each other, a label then a pointer back to it, and a
// chain of pointers each to the one before (long but finite), N of each.
void dns_loop(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  std::uint64_t t = kT0Us;
  auto message = [](std::uint16_t id, const Frame& name_area, std::uint16_t qname_at) {
    Frame m;
    put16(m, id);
    put16(m, 0x8180);  // response, recursion available, no error
    put16(m, 1);       // one question
    put16(m, 1);       // one answer
    put16(m, 0);
    put16(m, 0);
    m.insert(m.end(), name_area.begin(), name_area.end());
    // The question's name is a pointer to QNAME_AT; the answer's too.
    put16(m, static_cast<std::uint16_t>(0xc000 | qname_at));
    put16(m, 1);
    put16(m, 1);
    put16(m, static_cast<std::uint16_t>(0xc000 | qname_at));
    put16(m, 1);
    put16(m, 1);
    put32(m, 60);
    put16(m, 4);
    for (std::uint8_t b : {192, 0, 2, 1}) m.push_back(b);
    return m;
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::uint16_t>(i);
    // A name area starts at offset 12 (after the header). The question name
    // that follows it is a pointer to offset 12.
    Frame self;  // 12: pointer to 12
    put16(self, 0xc00c);
    Frame pair;  // 12: pointer to 14; 14: pointer to 12
    put16(pair, 0xc00e);
    put16(pair, 0xc00c);
    Frame label_loop{3, 'w', 'w', 'w'};  // 12: "www" then a pointer back to 12
    put16(label_loop, 0xc00c);
    Frame chain;  // 12: a label; then 2000 pointers, each to the one before
    for (std::uint8_t b : {std::uint8_t{1}, std::uint8_t{'x'}, std::uint8_t{0}}) chain.push_back(b);
    for (int k = 0; k < 2000; ++k) put16(chain, static_cast<std::uint16_t>(0xc000 | (k == 0 ? 12 : 15 + (k - 1) * 2)));
    const Frame* areas[] = {&self, &pair, &label_loop, &chain};
    for (const Frame* area : areas) {
      const std::uint16_t at = area == &chain ? static_cast<std::uint16_t>(15 + 1999 * 2) : 12;
      const Frame msg = message(id, *area, at);
      pcap_record(o, t++, ipv4(ethernet(kMacA, kMacB, 0x0800), {192, 0, 2, 53}, kHostA, 17,
                               udp(53, static_cast<std::uint16_t>(30000 + i % 30000), msg)));
    }
  }
}

// Frames nested N deep, one per kind: VLAN tags, MPLS labels, IPv6
// destination-options headers, IP-in-IP, GRE, and UDP/VXLAN tunnels.
void nesting(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  std::uint64_t t = kT0Us;
  const Frame inner = ipv4({}, kHostA, kHostB, 17, udp(1234, 5678, Frame{'h', 'i'}));
  {  // VLAN: 0x8100 tags, each naming another 0x8100 after it
    Frame f = ethernet(kMacB, kMacA, 0x8100);
    for (std::uint64_t i = 0; i < n; ++i) {
      put16(f, static_cast<std::uint16_t>(i % 4095 + 1));
      put16(f, i + 1 < n ? 0x8100 : 0x0800);
    }
    f.insert(f.end(), inner.begin(), inner.end());
    pcap_record(o, t++, f);
  }
  {  // MPLS: labels without bottom-of-stack until the last
    Frame f = ethernet(kMacB, kMacA, 0x8847);
    for (std::uint64_t i = 0; i < n; ++i) put32(f, static_cast<std::uint32_t>(((16 + i) << 12) | (i + 1 == n ? 0x100 : 0) | 64));
    f.insert(f.end(), inner.begin(), inner.end());
    pcap_record(o, t++, f);
  }
  {  // IPv6: a destination-options header naming another one, N times
    Frame ext;
    for (std::uint64_t i = 0; i < n; ++i) {
      ext.push_back(i + 1 < n ? 60 : 59);  // next: destination options, last: no next header
      ext.push_back(0);                   // 8 bytes
      for (std::uint8_t b : {1, 4, 0, 0, 0, 0}) ext.push_back(b);  // PadN
    }
    const Ip6 a{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, b{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    pcap_record(o, t++, ipv6(ethernet(kMacB, kMacA, 0x86dd), a, b, 60, ext));
  }
  // IP-in-IP, GRE and VXLAN: built inside out, each level's length covering what it holds.
  // Each level costs 20 (IP-in-IP), 24 (GRE) or 50 (VXLAN) bytes; the IPv4 total length
  // field caps the depth a frame can hold (65,535 bytes), so deeper requests are cut there.
  auto nest = [&](std::size_t level_bytes, const std::function<Frame(Frame)>& wrap) {
    Frame f = inner;
    const std::uint64_t depth = std::min<std::uint64_t>(n, (65535 - inner.size()) / level_bytes);
    for (std::uint64_t i = 0; i < depth; ++i) f = wrap(std::move(f));
    Frame e = ethernet(kMacB, kMacA, 0x0800);
    e.insert(e.end(), f.begin(), f.end());
    pcap_record(o, t++, e);
  };
  nest(20, [](Frame f) { return ipv4({}, kHostA, kHostB, 4, f); });
  nest(24, [](Frame f) {
    Frame gre{0, 0, 0x08, 0x00};
    gre.insert(gre.end(), f.begin(), f.end());
    return ipv4({}, kHostA, kHostB, 47, gre);
  });
  nest(50, [](Frame f) {
    Frame vx{0x08, 0, 0, 0, 0, 0, 1, 0};
    Frame eth = ethernet(kMacB, kMacA, 0x0800);
    vx.insert(vx.end(), eth.begin(), eth.end());
    vx.insert(vx.end(), f.begin(), f.end());
    return ipv4({}, kHostA, kHostB, 17, udp(40000, 4789, vx));
  });
}

// pcapng whose blocks lie about their lengths, between good packets: total
// length 0, 4 and 12 (less than any block), 0xFFFFFFFC (4 GiB), a custom block
// claiming 0x7FFFFFF0 bytes, an EPB whose captured length passes its block, a
// trailing length that disagrees with the leading one, and a last block that
// runs past the end of the file. Good packets are UDP to port 7 numbered in
// their payload; N rounds of all of it.
void pcapng_lengths(Out& o, std::uint64_t n) {
  auto block = [&](std::uint32_t type, const Frame& body, std::uint32_t len, std::uint32_t trailer) {
    o.le32(type);
    o.le32(len);
    o.bytes(body.data(), body.size());
    o.le32(trailer);
  };
  auto ok_block = [&](std::uint32_t type, const Frame& body) {
    const auto len = static_cast<std::uint32_t>(12 + body.size());
    block(type, body, len, len);
  };
  auto le32 = [](Frame& f, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  Frame shb;
  le32(shb, 0x1A2B3C4D);
  for (std::uint8_t b : {1, 0, 0, 0}) shb.push_back(b);  // version 1.0
  for (int i = 0; i < 8; ++i) shb.push_back(0xff);      // section length unknown
  ok_block(0x0A0D0D0A, shb);
  Frame idb{1, 0, 0, 0};  // Ethernet, reserved
  le32(idb, 0);           // snaplen 0: no limit
  ok_block(1, idb);
  std::uint64_t good = 0;
  auto epb = [&](std::uint32_t caplen_field, const Frame& frame) {
    Frame b;
    le32(b, 0);  // interface
    const std::uint64_t ts = kT0Us + good;
    le32(b, static_cast<std::uint32_t>(ts >> 32));
    le32(b, static_cast<std::uint32_t>(ts));
    le32(b, caplen_field);
    le32(b, static_cast<std::uint32_t>(frame.size()));
    b.insert(b.end(), frame.begin(), frame.end());
    while (b.size() % 4) b.push_back(0);
    return b;
  };
  auto good_packet = [&] {
    const Frame f = udp4(kHostA, kHostB, 40000, 7, fmt::format("good {}", good));
    ok_block(6, epb(static_cast<std::uint32_t>(f.size()), f));
    ++good;
  };
  for (std::uint64_t r = 0; r < n; ++r) {
    good_packet();
    block(6, {}, 0, 0);  // zero length
    good_packet();
    o.le32(6);  // length 4: not even room for its own trailer
    o.le32(4);
    good_packet();
    block(6, Frame(4, 0), 12 + 4, 12);  // trailer disagrees
    good_packet();
    const Frame bad = udp4(kHostA, kHostB, 40000, 9, "bad");
    block(6, epb(0x00FFFFFF, bad), static_cast<std::uint32_t>(12 + epb(0, bad).size()),
          static_cast<std::uint32_t>(12 + epb(0, bad).size()));  // captured length passes the block
    good_packet();
    block(6, Frame(16, 0), 0xFFFFFFFC, 0);  // 4 GiB
    good_packet();
    block(0x00000BAD, Frame(16, 0), 0x7FFFFFF0, 0);  // custom block, 2 GiB
    good_packet();
  }
  block(6, Frame(16, 0), 4096, 4096);  // runs past the end of the file
}

// A gzip stream that inflates to a pcap header followed by N MiB of zero
// bytes (zero-length records at time 0), ~1,000 times its compressed size:
// a decompression bomb. Written as repeated gzip members (as bgzip does), so
// making a large one costs one 64 MiB deflate.
void gzip_bomb(Out& o, std::uint64_t mib) {
  auto gzip_member = [](const std::vector<std::uint8_t>& data) {
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) fail("deflateInit2 failed");
    std::vector<std::uint8_t> out(deflateBound(&zs, data.size()));
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) fail("deflate failed");
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  };
  std::vector<std::uint8_t> head = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0,    0,    4,    0,    1, 0, 0, 0};  // pcap, snaplen 262144, Ethernet
  const auto h = gzip_member(head);
  o.bytes(h.data(), h.size());
  constexpr std::uint64_t kChunkMiB = 64;
  const auto chunk = gzip_member(std::vector<std::uint8_t>(std::min(mib, kChunkMiB) << 20, 0));
  for (std::uint64_t done = 0; done < mib; done += kChunkMiB) {
    if (mib - done >= kChunkMiB) {
      o.bytes(chunk.data(), chunk.size());
    } else {
      const auto rest = gzip_member(std::vector<std::uint8_t>((mib - done) << 20, 0));
      o.bytes(rest.data(), rest.size());
    }
  }
}

// The same bomb as zstd: one frame of a raw block (the pcap header) and RLE
// blocks of 128 KiB of zeros, 4 bytes each, so ~32,000 times the compressed
// size (written by hand, RFC 8878 3.1.1: no encoder makes frames this lean).
void zstd_bomb(Out& o, std::uint64_t mib) {
  auto block_header = [&](bool last, std::uint32_t type, std::uint32_t size) {
    const std::uint32_t h = (last ? 1u : 0u) | (type << 1) | (size << 3);
    const std::uint8_t b[3] = {static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(h >> 8),
                               static_cast<std::uint8_t>(h >> 16)};
    o.bytes(b, 3);
  };
  o.le32(0xFD2FB528);
  const std::uint8_t fhd = 0x00, window = (17 - 10) << 3;  // no content size, no checksum; 128 KiB window
  o.bytes(&fhd, 1);
  o.bytes(&window, 1);
  const std::uint8_t head[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
  block_header(false, 0, sizeof head);
  o.bytes(head, sizeof head);
  const std::uint64_t blocks = mib * 8;
  const std::uint8_t zero = 0;
  for (std::uint64_t i = 0; i < blocks; ++i) {
    block_header(i + 1 == blocks, 1, 128 * 1024);
    o.bytes(&zero, 1);
  }
}

// N packets of a few TCP and UDP conversations whose clock jumps: runs of
// packets in 2023, then 1971, then 2099, then 2023 again, then 2105 (near the
// end of pcap's 32-bit seconds) and back. Each run is long enough that no
// record looks damaged by itself (neighbours agree), so these are the times
// the session stage must live with: nothing may wait forever for a clock that
// went back, nor be kept because it went forward.
void time_jumps(Out& o, std::uint64_t n) {
  pcap_header(o, 262144);
  const std::uint64_t epochs_s[] = {1700000000, 40000000, 4070000000, 1700000100, 4290000000, 1000000};
  const std::size_t kRun = 50;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t run = i / kRun;
    const std::uint64_t ts = epochs_s[run % std::size(epochs_s)] * 1000000 + (i % kRun) * 1000;
    const auto flow = static_cast<std::uint16_t>(i % 7);
    const Ip4 src{10, 0, static_cast<std::uint8_t>(run % 251), static_cast<std::uint8_t>(flow + 1)};
    if (flow < 4) {
      const auto seq = static_cast<std::uint32_t>(1000 + i * 10);
      const std::uint8_t flags = i % kRun == 0 ? tcpf::kSyn : tcpf::kAck | tcpf::kPsh;
      pcap_record(o, ts, ipv4(ethernet(kMacB, kMacA, 0x0800), src, kHostB, 6,
                              tcp({static_cast<std::uint16_t>(40000 + flow), 80, seq, 1, flags}, "data")));
    } else {
      pcap_record(o, ts, udp4(src, kHostB, static_cast<std::uint16_t>(50000 + flow), 53, "not dns"));
    }
  }
}

// The same N UDP packets under a pcap header whose snaplen is SNAPLEN, then
// a record longer than any snaplen should allow (300,000 bytes captured).
void snaplen(Out& o, std::uint64_t n, std::uint32_t snap) {
  pcap_header(o, snap);
  for (std::uint64_t i = 0; i < n; ++i) pcap_record(o, kT0Us + i, udp4(kHostA, kHostB, 40000, 7, fmt::format("p{}", i)));
  Frame big(300000, 0);
  pcap_record(o, kT0Us + n, big);
  pcap_record(o, kT0Us + n + 1, udp4(kHostA, kHostB, 40000, 7, "after"));
}

}  // namespace

int main(int argc, char** argv) {
  using Case = std::function<void(Out&, std::uint64_t)>;
  const std::map<std::string, std::pair<Case, std::uint64_t>> cases = {
      {"half-open", {half_open, 1000000}},
      {"fragments", {fragments, 100000}},
      {"fragments-sparse", {fragments_sparse, 100000}},
      {"tcp-overlap", {tcp_overlap, 100000}},
      {"dns-loop", {dns_loop, 1000}},
      {"nesting", {nesting, 1000}},
      {"pcapng-lengths", {pcapng_lengths, 100}},
      {"gzip-bomb", {gzip_bomb, 1024}},
      {"zstd-bomb", {zstd_bomb, 65536}},
      {"time-jumps", {time_jumps, 100000}},
      {"snaplen-0", {[](Out& o, std::uint64_t n) { snaplen(o, n, 0); }, 1000}},
      {"snaplen-max", {[](Out& o, std::uint64_t n) { snaplen(o, n, 0xFFFFFFFF); }, 1000}},
  };
  auto usage = [&] {
    std::string names;
    for (const auto& [name, c] : cases) names += fmt::format("  {:<16} default N {}\n", name, c.second);
    fmt::print(stderr, "usage: pcapscope-make-hostile CASE OUT [N]   (OUT may be -)\ncases:\n{}", names);
    std::exit(2);
  };
  if (argc != 3 && argc != 4) usage();
  const auto it = cases.find(argv[1]);
  if (it == cases.end()) usage();
  std::uint64_t n = it->second.second;
  if (argc == 4) {
    char* end = nullptr;
    n = std::strtoull(argv[3], &end, 10);
    if (*end != '\0' || n == 0 || n > 100'000'000ULL) fail("N must be 1..100000000");
  }
  Out out(argv[2]);
  it->second.first(out, n);
  return 0;
}
