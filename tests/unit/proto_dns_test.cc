// DNS message parser and TCP framer: hand-built messages, hostile inputs, one
// real response from the corpus checked against tshark.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "proto/dns/dns_message.h"

namespace pcapscope::proto::dns {
namespace {

// Builds DNS wire bytes.
struct Wire {
  std::vector<std::uint8_t> b;
  Wire& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Wire& u16(unsigned v) { return u8(v >> 8).u8(v & 0xff); }
  Wire& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Wire& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // Labels of DOTTED, then a terminating root label unless ptr is given.
  Wire& labels(std::string_view dotted) {
    while (!dotted.empty()) {
      auto dot = dotted.find('.');
      auto label = dotted.substr(0, dot);
      u8(static_cast<unsigned>(label.size()));
      for (char c : label) u8(static_cast<unsigned char>(c));
      dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    return *this;
  }
  Wire& name(std::string_view dotted) { return labels(dotted).u8(0); }
  Wire& ptr(unsigned offset) { return u16(0xc000 | offset); }
  Wire& rr(unsigned type, unsigned cls, std::uint32_t ttl) { return u16(type).u16(cls).u32(ttl); }
  std::size_t size() const { return b.size(); }
  // Patches a 16-bit value (an rdlength) at OFFSET.
  void patch16(std::size_t offset, unsigned v) {
    b[offset] = static_cast<std::uint8_t>(v >> 8);
    b[offset + 1] = static_cast<std::uint8_t>(v & 0xff);
  }
};

// Appends an RR whose rdata is written by FILL, with the rdlength patched in.
template <typename F>
void add_rr(Wire& w, unsigned type, std::uint32_t ttl, F fill) {
  w.ptr(12).rr(type, 1, ttl);
  std::size_t len_at = w.size();
  w.u16(0);
  std::size_t start = w.size();
  fill(w);
  w.patch16(len_at, static_cast<unsigned>(w.size() - start));
}

TEST(DnsMessage, Query) {
  Wire w;
  w.header(0x1234, 0x0100, 1, 0, 0, 0).name("www.Example.com").u16(1).u16(1);
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  EXPECT_EQ(m.id, 0x1234);
  EXPECT_FALSE(m.flags.qr);
  EXPECT_TRUE(m.flags.rd);
  EXPECT_EQ(m.flags.opcode, 0);
  ASSERT_EQ(m.questions().size(), 1u);
  EXPECT_EQ(m.questions()[0].name, "www.Example.com");  // case preserved
  EXPECT_EQ(m.questions()[0].qtype, 1);
  EXPECT_EQ(m.questions()[0].qclass, 1);
  EXPECT_TRUE(m.answers().empty());
  EXPECT_TRUE(m.problems.empty());
}

Wire response_with_all_types() {
  Wire w;
  w.header(0xbeef, 0x8580, 1, 8, 0, 0).name("example.com").u16(255).u16(1);  // QR AA RD RA
  add_rr(w, 1, 300, [](Wire& x) { x.u8(93).u8(184).u8(216).u8(34); });
  add_rr(w, 28, 300, [](Wire& x) {
    x.u16(0x2001).u16(0xdb8);
    for (int i = 0; i < 5; ++i) x.u16(0);
    x.u16(1);
  });
  add_rr(w, 5, 60, [](Wire& x) { x.labels("alias").ptr(12); });
  add_rr(w, 15, 60, [](Wire& x) { x.u16(10).labels("mail").ptr(12); });
  add_rr(w, 16, 60, [](Wire& x) { x.labels("hello"); });  // one character-string
  add_rr(w, 33, 60, [](Wire& x) { x.u16(1).u16(2).u16(5060).labels("sip").ptr(12); });
  add_rr(w, 6, 3600, [](Wire& x) {
    x.labels("ns1").ptr(12).labels("hostmaster").ptr(12);
    x.u32(2024010101).u32(7200).u32(900).u32(1209600).u32(300);
  });
  add_rr(w, 99, 60, [](Wire& x) { x.u8(1).u8(2).u8(3); });  // SPF: kept as type + rdlength
  return w;
}

TEST(DnsMessage, ResponseRecordTypes) {
  Wire w = response_with_all_types();
  DnsMessage m;
  ParseStatus st = parse_message(w.b, m);
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_TRUE(m.flags.qr);
  EXPECT_TRUE(m.flags.aa);
  EXPECT_TRUE(m.flags.ra);
  ASSERT_EQ(m.answers().size(), 8u);
  auto a = m.answers();
  EXPECT_EQ(a[0].name, "example.com");
  EXPECT_EQ(a[0].ttl, 300u);
  EXPECT_EQ(a[0].rdata, "93.184.216.34");
  EXPECT_EQ(a[1].rdata, "2001:db8::1");
  EXPECT_EQ(a[2].rdata, "alias.example.com");
  EXPECT_EQ(a[3].rdata, "10 mail.example.com");
  EXPECT_EQ(a[5].rdata, "1 2 5060 sip.example.com");
  EXPECT_EQ(a[6].rdata, "ns1.example.com hostmaster.example.com 2024010101 7200 900 1209600 300");
  EXPECT_EQ(a[7].type, 99);
  EXPECT_EQ(a[7].rdlength, 3);
  EXPECT_FALSE(a[7].rendered);
  EXPECT_EQ(qtype_name(m.questions()[0].qtype), "*");
  EXPECT_TRUE(m.problems.empty());
}

TEST(DnsMessage, TxtStringsJoinedLikeZeek) {
  Wire w;
  w.header(1, 0x8180, 1, 1, 0, 0).name("t.example").u16(16).u16(1);
  add_rr(w, 16, 5, [](Wire& x) {
    x.u8(5);
    for (char c : std::string_view("hello")) x.u8(static_cast<unsigned char>(c));
    x.u8(3).u8('a').u8(0x01).u8('\\');
  });
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  ASSERT_EQ(m.answers().size(), 1u);
  EXPECT_EQ(m.answers()[0].rdata, "TXT 5 hello TXT 3 a\\x01\\x5c");
}

TEST(DnsMessage, NonPrintableLabelBytesEscaped) {
  Wire w;
  w.header(1, 0, 1, 0, 0, 0).u8(3).u8('a').u8(0xff).u8('.').name("com").u16(1).u16(1);
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  EXPECT_EQ(m.questions()[0].name, "a\\xff\\x2e.com");
}

TEST(DnsMessage, ChainedCompressionPointers) {
  Wire w;
  w.header(7, 0x8180, 1, 1, 0, 0).name("example.com").u16(1).u16(1);  // "com" at 12+8=20
  w.labels("www").ptr(12).rr(5, 1, 1).u16(2).ptr(20);  // CNAME -> "com"
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  EXPECT_EQ(m.answers()[0].name, "www.example.com");
  EXPECT_EQ(m.answers()[0].rdata, "com");
}

TEST(DnsMessage, CompressionLoopRejected) {
  {  // a pointer to itself
    Wire w;
    w.header(1, 0, 1, 0, 0, 0).ptr(12).u16(1).u16(1);
    DnsMessage m;
    ParseStatus st = parse_message(w.b, m);
    EXPECT_EQ(st.error, "dns_name_loop");
    EXPECT_TRUE(m.has_problem("dns_name_loop"));
  }
  {  // 12: label "a", 14: pointer back to 12 — a backwards pointer that still cycles
    Wire w;
    w.header(1, 0, 1, 0, 0, 0).u8(1).u8('a').ptr(12).u16(1).u16(1);
    DnsMessage m;
    EXPECT_EQ(parse_message(w.b, m).error, "dns_name_loop");
  }
  {  // a pointer forward, into bytes not yet read
    Wire w;
    w.header(1, 0x8000, 0, 1, 0, 0).ptr(16).rr(1, 1, 0).u16(0);
    DnsMessage m;
    EXPECT_EQ(parse_message(w.b, m).error, "dns_bad_pointer");
  }
}

TEST(DnsMessage, PointerPastEnd) {
  Wire w;
  w.header(1, 0, 1, 0, 0, 0).labels("x").ptr(0x3ff).u16(1).u16(1);
  DnsMessage m;
  EXPECT_EQ(parse_message(w.b, m).error, "dns_bad_pointer");
}

TEST(DnsMessage, LabelAndNameTooLong) {
  {
    Wire w;
    w.header(1, 0, 1, 0, 0, 0).u8(64);
    for (int i = 0; i < 64; ++i) w.u8('a');
    w.u8(0).u16(1).u16(1);
    DnsMessage m;
    EXPECT_EQ(parse_message(w.b, m).error, "dns_label_too_long");
  }
  {
    Wire w;
    w.header(1, 0, 1, 0, 0, 0);
    for (int l = 0; l < 5; ++l) {
      w.u8(63);
      for (int i = 0; i < 63; ++i) w.u8('b');
    }
    w.u8(0).u16(1).u16(1);
    DnsMessage m;
    EXPECT_EQ(parse_message(w.b, m).error, "dns_name_too_long");
  }
}

TEST(DnsMessage, TruncatedMessageKeepsWhatParsed) {
  Wire w = response_with_all_types();
  DnsMessage m;
  std::vector<std::uint8_t> cut(w.b.begin(), w.b.begin() + 12 + 17 + 16 + 8);  // mid-AAAA rdata
  ParseStatus st = parse_message(cut, m);
  EXPECT_EQ(st.error, "dns_truncated");
  EXPECT_EQ(m.questions().size(), 1u);
  ASSERT_GE(m.answers().size(), 1u);
  EXPECT_EQ(m.answers()[0].rdata, "93.184.216.34");

  std::vector<std::uint8_t> tiny(w.b.begin(), w.b.begin() + 5);
  EXPECT_EQ(parse_message(tiny, m).error, "dns_truncated");
  EXPECT_EQ(parse_message({}, m).error, "dns_truncated");
}

TEST(DnsMessage, Edns0DoBitAndExtendedRcode) {
  Wire w;
  w.header(9, 0x8180, 1, 0, 0, 1).name("example.org").u16(1).u16(1);
  // OPT: root name, udp 4096, ext rcode 1, version 0, DO; rdata one empty option (code 10, len 0).
  w.u8(0).u16(41).u16(4096).u8(1).u8(0).u16(0x8000).u16(4).u16(10).u16(0);
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  EXPECT_TRUE(m.edns.present);
  EXPECT_EQ(m.edns.udp_payload_size, 4096);
  EXPECT_EQ(m.edns.version, 0);
  EXPECT_TRUE(m.edns.do_bit);
  EXPECT_EQ(m.flags.rcode, 16);
  EXPECT_EQ(rcode_name(m.flags.rcode), "BADVERS");
  ASSERT_EQ(m.additional().size(), 1u);
  EXPECT_EQ(m.additional()[0].type, 41);
  EXPECT_EQ(m.additional()[0].name, "");
}

TEST(DnsMessage, HugeCountsWithFewBytes) {
  Wire w;
  w.header(1, 0x8180, 0xffff, 0xffff, 0xffff, 0xffff).name("a").u16(1).u16(1);
  DnsMessage m;
  ParseStatus st = parse_message(w.b, m);
  EXPECT_EQ(st.error, "dns_truncated");
  EXPECT_TRUE(m.has_problem("dns_too_many_records"));
  EXPECT_EQ(m.qdcount, 0xffff);
  EXPECT_LE(m.questions().size(), 2u);
}

TEST(DnsMessage, BadRdlengthIsNamedAndSkipped) {
  Wire w;
  w.header(1, 0x8180, 0, 2, 0, 0);
  w.name("a").rr(1, 1, 1).u16(5).u32(0x01020304).u8(9);  // A with 5 bytes
  w.name("b").rr(1, 1, 1).u16(4).u32(0x0a000001);
  DnsMessage m;
  ASSERT_TRUE(parse_message(w.b, m).ok());
  EXPECT_TRUE(m.has_problem("dns_bad_rdlength"));
  ASSERT_EQ(m.answers().size(), 2u);
  EXPECT_FALSE(m.answers()[0].rendered);
  EXPECT_EQ(m.answers()[1].rdata, "10.0.0.1");
}

TEST(DnsMessage, EveryPrefixAndByteFlipIsSafe) {
  Wire w = response_with_all_types();
  DnsMessage m;
  for (std::size_t n = 0; n <= w.b.size(); ++n) {
    std::vector<std::uint8_t> cut(w.b.begin(), w.b.begin() + static_cast<std::ptrdiff_t>(n));
    (void)parse_message(cut, m);
  }
  for (std::size_t i = 0; i < w.b.size(); ++i) {
    for (unsigned v : {0x00u, 0x3fu, 0x40u, 0xc0u, 0xffu}) {
      std::vector<std::uint8_t> bad = w.b;
      bad[i] = static_cast<std::uint8_t>(v);
      (void)parse_message(bad, m);
      EXPECT_LE(m.answers().size(), bad.size() / 11 + 1);  // a record needs >= 11 bytes
    }
  }
}

TEST(DnsMessage, NameTables) {
  EXPECT_EQ(qtype_name(1), "A");
  EXPECT_EQ(qtype_name(28), "AAAA");
  EXPECT_EQ(qtype_name(35), "NAPTR");
  EXPECT_EQ(qtype_name(46), "RRSIG");
  EXPECT_EQ(qtype_name(48), "DNSKEY");
  EXPECT_EQ(qtype_name(64), "SVCB");
  EXPECT_EQ(qtype_name(65), "HTTPS");
  EXPECT_EQ(qtype_name(252), "AXFR");
  EXPECT_EQ(qtype_name(257), "CAA");
  EXPECT_EQ(qtype_name(54), "");
  EXPECT_EQ(qtype_name(4000), "");
  EXPECT_EQ(rcode_name(3), "NXDOMAIN");
  EXPECT_EQ(rcode_name(5), "REFUSED");
  EXPECT_EQ(rcode_name(11), "");
  EXPECT_EQ(qclass_name(1), "C_INTERNET");
  EXPECT_EQ(qclass_name(255), "C_ANY");
}

std::vector<std::uint8_t> framed(const std::vector<std::uint8_t>& msg) {
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(msg.size() >> 8), static_cast<std::uint8_t>(msg.size())};
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

TEST(DnsTcpFramer, OneByteSegments) {
  Wire q;
  q.header(0x1111, 0x0100, 1, 0, 0, 0).name("one.example").u16(1).u16(1);
  Wire r = response_with_all_types();
  std::vector<std::uint8_t> stream = framed(q.b);
  auto second = framed(r.b);
  stream.insert(stream.end(), second.begin(), second.end());

  TcpDnsFramer f;
  std::vector<std::vector<std::uint8_t>> got;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    f.on_data(1000 + i, std::span<const std::uint8_t>(&stream[i], 1),
              [&](std::span<const std::uint8_t> msg) { got.emplace_back(msg.begin(), msg.end()); });
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], q.b);
  EXPECT_EQ(got[1], r.b);
  DnsMessage m;
  ASSERT_TRUE(parse_message(got[1], m).ok());
  EXPECT_EQ(m.answers().size(), 8u);
}

TEST(DnsTcpFramer, WholeStreamAndRetransmissionInOneCall) {
  Wire q;
  q.header(0x2222, 0x0100, 1, 0, 0, 0).name("two.example").u16(28).u16(1);
  std::vector<std::uint8_t> stream = framed(q.b);
  auto again = framed(q.b);
  stream.insert(stream.end(), again.begin(), again.end());
  TcpDnsFramer f;
  int n = 0;
  auto count = [&](std::span<const std::uint8_t>) { ++n; };
  f.on_data(0, stream, count);
  f.on_data(0, stream, count);  // retransmission of everything: ignored
  EXPECT_EQ(n, 2);
  EXPECT_EQ(f.messages(), 2u);
}

// A retransmission of an early part of the stream (ending before the bytes
// already seen) must not move the framer back: the next segment continues
// the stream, it is not a gap.
TEST(DnsTcpFramer, OldRetransmissionDoesNotRewindTheStream) {
  // The second message has the Z bit set: legal on the wire, but not what a
  // resync after a (false) gap would accept as a message start.
  Wire q, z;
  q.header(0x3333, 0x0100, 1, 0, 0, 0).name("three.example").u16(1).u16(1);
  z.header(0x4444, 0x0140, 1, 0, 0, 0).name("four.example").u16(1).u16(1);
  const std::vector<std::uint8_t> one = framed(q.b), two = framed(z.b);
  TcpDnsFramer f;
  int n = 0;
  auto count = [&](std::span<const std::uint8_t>) { ++n; };
  f.on_data(0, one, count);
  f.on_data(0, std::span<const std::uint8_t>(one).first(4), count);  // old bytes again
  f.on_data(one.size(), two, count);
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(f.resyncing());
}

TEST(DnsTcpFramer, AnySegmentationYieldsTheSameMessages) {
  Wire r = response_with_all_types();
  Wire q;
  q.header(0x5555, 0x0100, 1, 0, 0, 0).name("x.example").u16(1).u16(1);
  std::vector<std::uint8_t> stream;
  for (const auto* msg : {&q.b, &r.b, &q.b}) {
    auto f = framed(*msg);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t chunk = 1; chunk <= 64; ++chunk) {
    TcpDnsFramer f;
    std::vector<std::size_t> sizes;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      std::size_t n = std::min(chunk, stream.size() - at);
      f.on_data(at, std::span<const std::uint8_t>(stream.data() + at, n),
                [&](std::span<const std::uint8_t> msg) { sizes.push_back(msg.size()); });
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{q.size(), r.size(), q.size()})) << "chunk " << chunk;
  }
}

TEST(DnsTcpFramer, GapDropsPartialAndResyncs) {
  Wire q1;
  q1.header(0x3333, 0x0100, 1, 0, 0, 0).name("lost.example").u16(1).u16(1);
  Wire q2;
  q2.header(0x4444, 0x0100, 1, 0, 0, 0).name("found.example").u16(1).u16(1);
  auto a = framed(q1.b);
  auto b = framed(q2.b);
  TcpDnsFramer f;
  std::vector<std::vector<std::uint8_t>> got;
  auto keep = [&](std::span<const std::uint8_t> msg) { got.emplace_back(msg.begin(), msg.end()); };
  // First 10 bytes of message 1, 5 bytes missing, the rest of message 1 and message 2.
  f.on_data(0, std::span<const std::uint8_t>(a.data(), 10), keep);
  f.on_gap(10, 5);
  std::vector<std::uint8_t> rest(a.begin() + 15, a.end());
  rest.insert(rest.end(), b.begin(), b.end());
  f.on_data(15, rest, keep);
  EXPECT_EQ(f.partial_dropped(), 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], q2.b);
  EXPECT_FALSE(f.resyncing());

  // A jump forward in offsets is a gap too.
  TcpDnsFramer g;
  got.clear();
  g.on_data(0, std::span<const std::uint8_t>(a.data(), 4), keep);
  g.on_data(500, b, keep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], q2.b);
}

// Decodes frame FRAME of corpus file NAME and parses its UDP payload into M.
void parse_corpus_frame(const char* name, int frame, DnsMessage& m, bool& found) {
  found = false;
  std::filesystem::path file = std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus" / name;
  ASSERT_TRUE(std::filesystem::exists(file)) << "corpus file missing (../shared/corpus is part of the test set-up): " << file;
  auto r = CaptureReader::open(file.string());
  ASSERT_TRUE(r.ok()) << r.error().message;
  Packet p;
  DecodedPacket d;
  for (int n = 1; (*r)->next(p); ++n) {
    if (n != frame) continue;
    decode(p, d);
    ASSERT_TRUE(d.has(Proto::kUdp));
    ParseStatus st = parse_message(d.payload(), m);
    ASSERT_TRUE(st.ok()) << st.error;
    found = true;
    return;
  }
}

// suricata/dns-eve-v2-udp-nxdomain-soa__dns-udp-nxdomain-soa.pcap, frame 2, per `tshark -r FILE
// -Y dns.flags.response==1 -T fields -e dns.qry.name -e dns.flags.rcode -e dns.soa.mname -e dns.soa.rname
// -e dns.soa.serial_number -e dns.soa.refresh_interval -e dns.soa.retry_interval -e dns.soa.expire_limit
// -e dns.soa.minimum_ttl -e dns.resp.ttl -e dns.id`: dne.oisf.net 3 ns-110.awsdns-13.com
// awsdns-hostmaster.amazon.com 1 7200 900 1209600 86400 899 0x8295
TEST(DnsCorpus, NxdomainSoaMatchesTshark) {
  DnsMessage m;
  bool found = false;
  parse_corpus_frame("suricata/dns-eve-v2-udp-nxdomain-soa__dns-udp-nxdomain-soa.pcap", 2, m, found);
  if (!found) return;  // skipped or failed above
  EXPECT_EQ(m.id, 0x8295);
  EXPECT_EQ(rcode_name(m.flags.rcode), "NXDOMAIN");
  ASSERT_EQ(m.questions().size(), 1u);
  EXPECT_EQ(m.questions()[0].name, "dne.oisf.net");
  EXPECT_TRUE(m.answers().empty());
  ASSERT_EQ(m.authority().size(), 1u);
  EXPECT_EQ(m.authority()[0].type, 6);
  EXPECT_EQ(m.authority()[0].ttl, 899u);
  EXPECT_EQ(m.authority()[0].rdata, "ns-110.awsdns-13.com awsdns-hostmaster.amazon.com 1 7200 900 1209600 86400");
}

// suricata/cond-log-dns-dig__input.pcap, frame 2, per
// `tshark -r FILE -Y dns -T fields -e dns.qry.name -e dns.a -e dns.cname -e dns.resp.ttl`:
// www.suricata-ids.org  192.0.78.24,192.0.78.25  suricata-ids.org  3544,244,244 (id 0x8d32)
TEST(DnsCorpus, DigResponseMatchesTshark) {
  DnsMessage m;
  bool found = false;
  parse_corpus_frame("suricata/cond-log-dns-dig__input.pcap", 2, m, found);
  if (!found) return;  // skipped or failed above
  EXPECT_EQ(m.id, 0x8d32);
  EXPECT_TRUE(m.flags.qr);
  EXPECT_EQ(rcode_name(m.flags.rcode), "NOERROR");
  ASSERT_EQ(m.questions().size(), 1u);
  EXPECT_EQ(m.questions()[0].name, "www.suricata-ids.org");
  ASSERT_EQ(m.answers().size(), 3u);
  EXPECT_EQ(m.answers()[0].type, 5);
  EXPECT_EQ(m.answers()[0].rdata, "suricata-ids.org");
  EXPECT_EQ(m.answers()[0].ttl, 3544u);
  EXPECT_EQ(m.answers()[1].rdata, "192.0.78.24");
  EXPECT_EQ(m.answers()[2].rdata, "192.0.78.25");
  EXPECT_EQ(m.answers()[2].ttl, 244u);
  EXPECT_TRUE(m.problems.empty());
}

}  // namespace
}  // namespace pcapscope::proto::dns
