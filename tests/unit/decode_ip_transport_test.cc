// IPv4/IPv6 (options, fragments, checksums, extension headers), ARP, ICMP
// and ICMPv6 (with quoted datagrams), TCP and UDP, malformed variants.
#include "decode_test_support.h"

namespace pcapscope::test {
namespace {

TEST(DecodeIpv4, FieldsAsTsharkPrintsThem) {
  Decoded p(cat({eth(0x0800), ipv4(6, 20, {}, 0x4000), tcp(51234, 443, 0x02)}));
  EXPECT_EQ(p.f("ip.version"), "4");
  EXPECT_EQ(p.f("ip.hdr_len"), "20");
  EXPECT_EQ(p.f("ip.len"), "40");
  EXPECT_EQ(p.f("ip.id"), "0x1234");
  EXPECT_EQ(p.f("ip.flags"), "0x02");
  EXPECT_EQ(p.f("ip.flags.df"), "1");
  EXPECT_EQ(p.f("ip.flags.mf"), "0");
  EXPECT_EQ(p.f("ip.ttl"), "64");
  EXPECT_EQ(p.f("ip.proto"), "6");
  EXPECT_EQ(p.f("ip.src"), "10.0.0.1");
  EXPECT_EQ(p.f("ip.dst"), "10.0.0.2");
  EXPECT_EQ(p.f("ip.checksum.status"), "0");
  EXPECT_EQ(p.anomalies(), "");
}

TEST(DecodeIpv4, OptionsAreSkipped) {
  Decoded p(cat({eth(0x0800), ipv4(17, 8, {0x94, 0x04, 0, 0}), udp(1, 2, 0)}));  // router alert
  EXPECT_EQ(p.protos(), "frame:eth:ip:udp");
  EXPECT_EQ(p.f("ip.hdr_len"), "24");
  EXPECT_EQ(p.f("udp.srcport"), "1");
}

TEST(DecodeIpv4, BadChecksumIsFlaggedNotDropped) {
  ByteVec b = cat({eth(0x0800), ipv4(17, 8), udp(1, 2, 0)});
  b[14 + 10] ^= 0xff;
  Decoded p(b);
  EXPECT_EQ(p.protos(), "frame:eth:ip:udp");
  EXPECT_EQ(p.anomalies(), "bad_ipv4_checksum");
  EXPECT_EQ(p.f("ip.checksum.status"), "1");
}

TEST(DecodeIpv4, FirstFragmentGivesPortsLaterFragmentsStayRaw) {
  // The first fragment's UDP length (8 + 100) exceeds the fragment: that is
  // normal for a fragment, so no bad_udp_length, and nothing above UDP.
  Decoded first(cat({eth(0x0800), ipv4(17, 16, {}, 0x2000), udp(4789, 4789, 100), ByteVec(8, 0)}));
  EXPECT_EQ(first.protos(), "frame:eth:ip:udp");
  EXPECT_EQ(first.f("udp.srcport"), "4789");
  EXPECT_EQ(first.anomalies(), "");
  EXPECT_EQ(first.d.payload_len, 8u);
  Decoded later(cat({eth(0x0800), ipv4(17, 8, {}, 0x0003), ByteVec(8, 0)}));
  EXPECT_EQ(later.protos(), "frame:eth:ip");
  EXPECT_EQ(later.f("ip.frag_offset"), "24");  // bytes, as Wireshark shows it
  EXPECT_EQ(later.f("ip.flags.mf"), "0");
  EXPECT_EQ(later.f("udp.srcport"), "");
}

TEST(DecodeIpv4, MalformedHeaders) {
  ByteVec short_ihl = cat({eth(0x0800), ipv4(17, 8), udp(1, 2, 0)});
  short_ihl[14] = 0x44;
  Decoded a(short_ihl);
  EXPECT_EQ(a.anomalies(), "bad_ipv4_header_length");
  EXPECT_EQ(a.protos(), "frame:eth:ip");

  ByteVec short_total = cat({eth(0x0800), ipv4(17, 8), udp(1, 2, 0)});
  put16(short_total, 14 + 2, 10);
  Decoded b(short_total);
  EXPECT_NE(b.anomalies().find("bad_ipv4_total_length"), std::string::npos);
  EXPECT_EQ(b.protos(), "frame:eth:ip");
  EXPECT_EQ(b.f("ip.src"), "");  // tshark stops before the addresses too

  ByteVec long_total = cat({eth(0x0800), ipv4(17, 8), udp(1, 2, 0)});
  put16(long_total, 14 + 2, 400);
  Decoded c(long_total);
  EXPECT_NE(c.anomalies().find("ipv4_total_length_exceeds_capture"), std::string::npos);
  EXPECT_EQ(c.f("udp.srcport"), "1");  // still decoded as far as the bytes go

  ByteVec v6_in_v4 = cat({eth(0x0800), ipv6(17, 8), udp(1, 2, 0)});
  Decoded d(v6_in_v4);
  EXPECT_EQ(d.protos(), "frame:eth:ipv6:udp");
  EXPECT_EQ(d.anomalies(), "bad_ipv4_version");
}

TEST(DecodeIpv4, SnaplenCutIsTruncationNotMalformation) {
  ByteVec full = cat({eth(0x0800), ipv4(6, 120), tcp(1, 2, 0x18), ByteVec(100, 0x41)});
  ByteVec cut(full.begin(), full.begin() + 64);
  Decoded p(cut, linktype::kEthernet, static_cast<std::uint32_t>(full.size()));
  EXPECT_EQ(p.anomalies(), "");
  EXPECT_EQ(p.f("tcp.len"), "100");  // from IP's length, not the capture
  EXPECT_EQ(p.d.payload_len, 64u - 54u);
}

TEST(DecodeIpv6, ExtensionHeadersAndFragment) {
  ByteVec hop = {17, 0, 1, 4, 0, 0, 0, 0};  // next UDP, PadN
  Decoded p(cat({eth(0x86dd), ipv6(0, 16), hop, udp(1, 2, 0)}));
  EXPECT_EQ(p.protos(), "frame:eth:ipv6:ipv6.ext:udp");
  EXPECT_EQ(p.f("ipv6.hopopts.nxt"), "17");
  EXPECT_EQ(p.f("ipv6.fraghdr.nxt"), "");
  EXPECT_EQ(p.f("ipv6.src"), "2001:db8::1");
  EXPECT_EQ(p.f("ipv6.nxt"), "0");

  ByteVec frag = {17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
  Decoded q(cat({eth(0x86dd), ipv6(44, 24), frag, udp(1, 2, 8), ByteVec(8, 0)}));
  EXPECT_EQ(q.protos(), "frame:eth:ipv6:ipv6.ext:udp");  // first fragment: ports only
  EXPECT_EQ(q.f("ipv6.fraghdr.more"), "1");
  EXPECT_EQ(q.f("ipv6.fraghdr.offset"), "0");
  ByteVec later_frag = {17, 0, 0x00, 0x19, 0xde, 0xad, 0xbe, 0xef};  // offset 3 units, M=1
  Decoded later(cat({eth(0x86dd), ipv6(44, 16), later_frag, ByteVec(8, 0)}));
  EXPECT_EQ(later.protos(), "frame:eth:ipv6:ipv6.ext");
  EXPECT_EQ(later.f("ipv6.fraghdr.offset"), "3");  // 8-octet units, as Wireshark shows it
  EXPECT_EQ(q.f("ipv6.fraghdr.ident"), "0xdeadbeef");

  ByteVec ah = {6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Decoded r(cat({eth(0x86dd), ipv6(51, 44), ah, tcp(7, 8, 0x10)}));
  EXPECT_EQ(r.protos(), "frame:eth:ipv6:ipv6.ext:tcp");
  EXPECT_EQ(r.f("ah.spi"), "0x00000100");
  EXPECT_EQ(r.f("tcp.srcport"), "7");

  Decoded esp(cat({eth(0x86dd), ipv6(50, 16), ByteVec(16, 0xee)}));
  EXPECT_EQ(esp.protos(), "frame:eth:ipv6");
  EXPECT_EQ(esp.d.payload_len, 16u);
}

TEST(DecodeIpv6, TruncatedExtensionHeader) {
  Decoded p(cat({eth(0x86dd), ipv6(60, 16), {17, 3, 0, 0}}), linktype::kEthernet, 14 + 40 + 16);
  EXPECT_EQ(p.anomalies(), "truncated_ipv6_ext_header");
}

TEST(DecodeArp, RequestAndReply) {
  ByteVec arp = {0, 1, 8, 0, 6, 4, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 10, 0, 0, 2,
                 0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
  Decoded p(cat({eth(0x0806), arp, ByteVec(18, 0)}));
  EXPECT_EQ(p.protos(), "frame:eth:arp");
  EXPECT_EQ(p.f("arp.opcode"), "1");
  EXPECT_EQ(p.f("arp.src.proto_ipv4"), "10.0.0.2");
  EXPECT_EQ(p.f("arp.dst.proto_ipv4"), "10.0.0.1");
  EXPECT_EQ(p.f("arp.proto.type"), "0x0800");
  Summary s;
  summarize(p.d, s);
  EXPECT_EQ(s.protocol, "ARP");
  EXPECT_EQ(s.info, "Who has 10.0.0.1? Tell 10.0.0.2");
  EXPECT_EQ(s.source, "aa:bb:cc:dd:ee:ff");
  arp[7] = 2;
  Decoded q(cat({eth(0x0806), arp}));
  summarize(q.d, s);
  EXPECT_EQ(s.info, "10.0.0.2 is at aa:bb:cc:dd:ee:ff");
  Decoded t(cat({eth(0x0806), ByteVec(arp.begin(), arp.begin() + 12)}), linktype::kEthernet, 42);
  EXPECT_EQ(t.anomalies(), "truncated_arp");
}

TEST(DecodeIcmp, EchoRequest) {
  ByteVec icmp = {8, 0, 0, 0, 0, 1, 0, 1};
  Decoded p(cat({eth(0x0800), ipv4(1, 8), icmp}));
  EXPECT_EQ(p.f("icmp.type"), "8");
  EXPECT_EQ(p.f("icmp.ident"), "1");
  EXPECT_EQ(p.f("icmp.seq"), "1");
  Summary s;
  summarize(p.d, s);
  EXPECT_EQ(s.protocol, "ICMP");
  EXPECT_EQ(s.info, "Echo (ping) request  id=0x0001, seq=1/256, ttl=64");
}

TEST(DecodeIcmp, ErrorQuotesDatagramWithEightByteTcp) {
  ByteVec inner = cat({ipv4(6, 20), tcp(40000, 80, 0x02)});
  inner.resize(28);  // IP header + 8 bytes, as RFC 792 allows
  ByteVec icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  Decoded p(cat({eth(0x0800), ipv4(1, 8 + inner.size()), icmp, inner}));
  EXPECT_EQ(p.protos(), "frame:eth:ip:icmp:ip:tcp");
  EXPECT_EQ(p.anomalies(), "");
  EXPECT_EQ(p.f("tcp.srcport"), "40000");
  EXPECT_EQ(p.f("tcp.dstport"), "80");
  EXPECT_EQ(p.f("tcp.flags"), "");  // not in the quote
  const Layer* t = p.d.find(Proto::kTcp);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->flags & layer_flag::kInIcmpError);
  EXPECT_FALSE(p.d.find(Proto::kIpv4)->flags & layer_flag::kInIcmpError);
  Summary s;
  summarize(p.d, s);
  EXPECT_EQ(s.protocol, "ICMP");
  EXPECT_EQ(s.info, "Destination unreachable (Port unreachable)");
}

TEST(DecodeIcmpv6, PacketTooBigQuotesIpv6) {
  ByteVec inner = cat({ipv6(17, 8), udp(5353, 5353, 0)});
  ByteVec icmp = {2, 0, 0, 0, 0, 0, 0x05, 0x00};
  Decoded p(cat({eth(0x86dd), ipv6(58, 8 + inner.size()), icmp, inner}));
  EXPECT_EQ(p.protos(), "frame:eth:ipv6:icmpv6:ipv6:udp");
  EXPECT_EQ(p.f("icmpv6.mtu"), "1280");
  EXPECT_EQ(p.f("udp.srcport"), "5353");
}

TEST(DecodeTcp, FlagsSeqAndOptions) {
  ByteVec opts = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  Decoded p(cat({eth(0x0800), ipv4(6, 40), tcp(51234, 443, 0x12, opts)}));
  EXPECT_EQ(p.anomalies(), "");
  EXPECT_EQ(p.f("tcp.flags"), "0x0012");
  EXPECT_EQ(p.f("tcp.flags.syn"), "1");
  EXPECT_EQ(p.f("tcp.flags.ack"), "1");
  EXPECT_EQ(p.f("tcp.flags.fin"), "0");
  EXPECT_EQ(p.f("tcp.seq"), "123");
  EXPECT_EQ(p.f("tcp.seq_raw"), "123");
  EXPECT_EQ(p.f("tcp.ack_raw"), "456");
  EXPECT_EQ(p.f("tcp.hdr_len"), "40");
  EXPECT_EQ(p.f("tcp.len"), "0");
  EXPECT_EQ(p.f("tcp.window_size_value"), "64240");
  EXPECT_EQ(p.f("tcp.options.mss_val"), "1460");
  EXPECT_EQ(p.f("tcp.options.wscale.shift"), "7");
  EXPECT_EQ(p.f("tcp.options.sack_perm"), "1");
  EXPECT_EQ(p.f("tcp.options.timestamp.tsval"), "1");
  EXPECT_EQ(p.f("tcp.options.timestamp.tsecr"), "2");
  Summary s;
  summarize(p.d, s);
  EXPECT_EQ(s.protocol, "TCP");
  EXPECT_EQ(s.source, "10.0.0.1");
  EXPECT_EQ(s.info, "51234 \u2192 443 [SYN, ACK] Seq=123 Ack=456 Win=64240 Len=0 MSS=1460 WS=128 SACK_PERM TSval=1 TSecr=2");
}

TEST(DecodeTcp, SackBlocks) {
  ByteVec opts = {1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20};
  Decoded p(cat({eth(0x0800), ipv4(6, 32), tcp(1, 2, 0x10, opts)}));
  EXPECT_EQ(p.f("tcp.options.sack_le"), "10");
  EXPECT_EQ(p.f("tcp.options.sack_re"), "20");
}

TEST(DecodeTcp, BadDataOffsetAndOptions) {
  ByteVec t = tcp(1, 2, 0x02);
  t[12] = 0x30;
  Decoded p(cat({eth(0x0800), ipv4(6, 20), t}));
  EXPECT_EQ(p.anomalies(), "bad_tcp_data_offset");
  EXPECT_EQ(p.f("tcp.srcport"), "1");
  EXPECT_TRUE(p.d.find(Proto::kTcp)->flags & layer_flag::kMalformed);

  ByteVec past = tcp(1, 2, 0x02);
  past[12] = 0xf0;  // 60 bytes of header in a 20-byte segment
  Decoded q(cat({eth(0x0800), ipv4(6, 20), past}));
  EXPECT_EQ(q.anomalies(), "bad_tcp_data_offset");

  Decoded r(cat({eth(0x0800), ipv4(6, 24), tcp(1, 2, 0x02, {2, 9, 0, 0})}));
  EXPECT_EQ(r.anomalies(), "bad_tcp_option");
  EXPECT_EQ(r.f("tcp.options.mss_val"), "");
}

TEST(DecodeUdp, LengthClipsAndBadLength) {
  Decoded p(cat({eth(0x0800), ipv4(17, 12), udp(53, 51000, 4), {1, 2, 3, 4}}));
  Summary s;
  summarize(p.d, s);
  EXPECT_EQ(s.info, "53 \u2192 51000 Len=4");
  ByteVec bad = udp(1, 2, 0);
  put16(bad, 4, 3);
  Decoded q(cat({eth(0x0800), ipv4(17, 8), bad}));
  EXPECT_EQ(q.anomalies(), "bad_udp_length");
  ByteVec big = udp(1, 2, 0);
  put16(big, 4, 500);
  Decoded r(cat({eth(0x0800), ipv4(17, 8), big}));
  EXPECT_EQ(r.anomalies(), "bad_udp_length");
  Decoded t(cat({eth(0x0800), ipv4(17, 8), {0, 1, 0}}), linktype::kEthernet, 42);
  EXPECT_EQ(t.anomalies(), "truncated_udp_header");
}

TEST(DecodeIpTransport, EveryPrefixIsSafe) {
  check_all_prefixes(cat({eth(0x0800), ipv4(6, 40, {0x94, 0x04, 0, 0}),
                          tcp(1, 2, 0x12, {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2})}));
  ByteVec inner = cat({ipv4(6, 20), tcp(40000, 80, 0x02)});
  check_all_prefixes(cat({eth(0x0800), ipv4(1, 8 + inner.size()), {3, 3, 0, 0, 0, 0, 0, 0}, inner}));
  check_all_prefixes(cat({eth(0x86dd), ipv6(0, 16), {17, 0, 1, 4, 0, 0, 0, 0}, udp(1, 2, 0)}));
  check_all_prefixes(cat({eth(0x0806), {0, 1, 8, 0, 6, 4, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 10, 0, 0, 2,
                                          0, 0, 0, 0, 0, 0, 10, 0, 0, 1}}));
}

}  // namespace
}  // namespace pcapscope::test
