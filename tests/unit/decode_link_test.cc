// Link layers: Ethernet II / 802.3 + LLC/SNAP, VLAN stacks, MPLS, PPPoE,
// SLL v1/v2, BSD null in both byte orders, raw IP link types.
#include "decode_test_support.h"

namespace pcapscope::test {
namespace {

ByteVec eth_ipv4_udp() { return cat({eth(0x0800), ipv4(17, 12), udp(1234, 53, 4), {1, 2, 3, 4}}); }

TEST(DecodeLink, EthernetIpv4UdpLayersAndFields) {
  Decoded p(eth_ipv4_udp());
  EXPECT_EQ(p.protos(), "frame:eth:ip:udp");
  EXPECT_EQ(p.anomalies(), "");
  EXPECT_EQ(p.f("eth.src"), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(p.f("eth.dst"), "00:11:22:33:44:55");
  EXPECT_EQ(p.f("eth.type"), "0x0800");
  EXPECT_EQ(p.f("eth.len"), "");
  EXPECT_EQ(p.f("udp.dstport"), "53");
  EXPECT_EQ(p.d.payload_len, 4u);
  EXPECT_EQ(p.d.layers[0].end, p.bytes.size());
}

TEST(DecodeLink, TrailerPaddingIsNotPayload) {
  ByteVec b = eth_ipv4_udp();
  b.resize(60, 0);  // Ethernet minimum frame
  Decoded p(b);
  EXPECT_EQ(p.d.payload_len, 4u);
  const Layer* ip = p.d.find(Proto::kIpv4);
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(ip->end, 14u + 20 + 8 + 4);
  EXPECT_EQ(p.d.find(Proto::kEthernet)->end, 60u);
}

TEST(DecodeLink, VlanStackAnyDepth) {
  ByteVec b = cat({eth(0x88a8), {0x20, 0x64, 0x81, 0x00}, {0xe0, 0xc8, 0x08, 0x00}, ipv4(17, 8), udp(1, 2, 0)});
  Decoded p(b);
  EXPECT_EQ(p.protos(), "frame:eth:vlan:vlan:ip:udp");
  EXPECT_EQ(p.f("vlan.id"), "100");
  EXPECT_EQ(p.f("vlan.priority"), "1");
  EXPECT_EQ(p.f("vlan.id", 1), "200");
  EXPECT_EQ(p.f("vlan.priority", 1), "7");
  EXPECT_EQ(p.f("vlan.etype", 1), "0x0800");
  EXPECT_EQ(p.f("eth.type"), "0x88a8");
}

TEST(DecodeLink, VlanDepthIsBounded) {
  ByteVec b = eth(0x8100);
  for (int i = 0; i < 12; ++i) b = cat({b, {0x00, 0x01, 0x81, 0x00}});
  Decoded p(b);
  EXPECT_NE(p.anomalies().find("vlan_depth_exceeded"), std::string::npos);
}

TEST(DecodeLink, MplsLabelStack) {
  ByteVec b = cat({eth(0x8847), {0x00, 0x01, 0x40, 0x10}, {0x00, 0x02, 0x01, 0x20}, ipv4(6, 20), tcp(1, 2, 0x02)});
  Decoded p(b);
  EXPECT_EQ(p.protos(), "frame:eth:mpls:mpls:ip:tcp");
  EXPECT_EQ(p.f("mpls.label"), "20");
  EXPECT_EQ(p.f("mpls.bottom"), "0");
  EXPECT_EQ(p.f("mpls.label", 1), "32");
  EXPECT_EQ(p.f("mpls.bottom", 1), "1");
  EXPECT_EQ(p.f("mpls.ttl", 1), "32");
}

TEST(DecodeLink, PppoeSession) {
  ByteVec b = cat({eth(0x8864), {0x11, 0x00, 0x12, 0x34, 0x00, 30}, {0x00, 0x21}, ipv4(17, 8), udp(5, 6, 0), {0, 0, 0}});
  Decoded p(b);
  EXPECT_EQ(p.protos(), "frame:eth:pppoes:ppp:ip:udp");
  EXPECT_EQ(p.f("pppoe.session_id"), "0x1234");
  EXPECT_EQ(p.f("ppp.protocol"), "0x0021");
  EXPECT_EQ(p.d.find(Proto::kPppoe)->end, 14u + 6 + 30);
}

TEST(DecodeLink, Llc8023AndSnap) {
  ByteVec stp = cat({eth(7), {0x42, 0x42, 0x03, 1, 2, 3, 4}, ByteVec(20, 0)});
  Decoded p(stp);
  EXPECT_EQ(p.protos(), "frame:eth:llc");
  EXPECT_EQ(p.f("eth.len"), "7");
  EXPECT_EQ(p.f("eth.type"), "");
  EXPECT_EQ(p.f("llc.dsap"), "0x42");
  EXPECT_EQ(p.d.payload_len, 4u);  // the 802.3 length clips the padding

  ByteVec ip = cat({ipv4(17, 8), udp(1, 2, 0)});
  ByteVec snap = cat({eth(static_cast<std::uint16_t>(8 + ip.size())), {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ip});
  Decoded q(snap);
  EXPECT_EQ(q.protos(), "frame:eth:llc:ip:udp");
  EXPECT_EQ(q.f("llc.pid"), "0x0800");
}

TEST(DecodeLink, LinuxSllV1AndV2) {
  ByteVec v1 = cat({{0, 0, 0, 1, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0, 0x08, 0x00}, ipv4(17, 8), udp(1, 2, 0)});
  Decoded p(v1, linktype::kLinuxSll);
  EXPECT_EQ(p.protos(), "frame:sll:ip:udp");
  EXPECT_EQ(p.f("sll.src.eth"), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(p.f("sll.etype"), "0x0800");
  EXPECT_EQ(p.f("sll.pkttype"), "0");

  ByteVec v2 = cat({{0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0},
                    ipv6(17, 8), udp(1, 2, 0)});
  Decoded q(v2, linktype::kLinuxSll2);
  EXPECT_EQ(q.protos(), "frame:sll:ipv6:udp");
  EXPECT_EQ(q.f("sll.etype"), "0x86dd");
  EXPECT_EQ(q.f("sll.pkttype"), "4");
  EXPECT_EQ(q.f("sll.ifindex"), "3");
  EXPECT_EQ(q.f("ipv6.src"), "2001:db8::1");
}

TEST(DecodeLink, BsdNullBothByteOrdersAndFamilies) {
  ByteVec ip4 = cat({ipv4(17, 8), udp(1, 2, 0)});
  ByteVec ip6 = cat({ipv6(17, 8), udp(1, 2, 0)});
  Decoded le(cat({{2, 0, 0, 0}, ip4}), linktype::kNull);
  EXPECT_EQ(le.protos(), "frame:null:ip:udp");
  EXPECT_EQ(le.f("null.family"), "2");
  Decoded be(cat({{0, 0, 0, 2}, ip4}), linktype::kNull);
  EXPECT_EQ(be.protos(), "frame:null:ip:udp");
  for (std::uint8_t af : {24, 28, 30}) {
    Decoded p(cat({{af, 0, 0, 0}, ip6}), linktype::kNull);
    EXPECT_EQ(p.protos(), "frame:null:ipv6:udp") << int{af};
  }
  Decoded loop(cat({{0, 0, 0, 24}, ip6}), linktype::kLoop);
  EXPECT_EQ(loop.protos(), "frame:null:ipv6:udp");
  Decoded bad(cat({{99, 0, 0, 0}, ip4}), linktype::kNull);
  EXPECT_EQ(bad.anomalies(), "unknown_null_family");
}

TEST(DecodeLink, RawIpLinkTypes) {
  ByteVec ip4 = cat({ipv4(17, 8), udp(1, 2, 0)});
  ByteVec ip6 = cat({ipv6(17, 8), udp(1, 2, 0)});
  for (std::uint32_t lt : {linktype::kRaw, linktype::kRawBsd12, linktype::kRawBsd14}) {
    EXPECT_EQ(Decoded(ip4, lt).protos(), "frame:ip:udp");
    EXPECT_EQ(Decoded(ip6, lt).protos(), "frame:ipv6:udp");
  }
  EXPECT_EQ(Decoded(ip4, linktype::kIpv4).protos(), "frame:ip:udp");
  EXPECT_EQ(Decoded(ip6, linktype::kIpv6).protos(), "frame:ipv6:udp");
  EXPECT_EQ(Decoded(cat({{0xff, 0x03, 0x00, 0x21}, ip4}), 9).protos(), "frame:ppp:ip:udp");
}

TEST(DecodeLink, UnsupportedLinkTypeKeepsFrame) {
  Decoded p(ByteVec{1, 2, 3}, 147);
  EXPECT_EQ(p.protos(), "frame");
  EXPECT_EQ(p.anomalies(), "unsupported_link_type");
  EXPECT_EQ(p.d.payload_len, 3u);
  EXPECT_EQ(p.f("frame.len"), "3");
}

TEST(DecodeLink, TruncatedEthernet) {
  Decoded p(ByteVec{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(p.protos(), "frame:eth");
  EXPECT_EQ(p.anomalies(), "truncated_ethernet");
  EXPECT_EQ(p.f("eth.dst"), "00:01:02:03:04:05");
  EXPECT_EQ(p.f("eth.src"), "");
  EXPECT_TRUE(p.d.layers[1].flags & layer_flag::kTruncated);
}

TEST(DecodeLink, EveryPrefixIsSafe) {
  check_all_prefixes(cat({eth(0x8100), {0x00, 0x64, 0x88, 0x47}, {0x00, 0x01, 0x41, 0x10}, ipv4(6, 20), tcp(1, 2, 0x12)}));
  check_all_prefixes(cat({eth(0x8864), {0x11, 0x00, 0x12, 0x34, 0x00, 30}, {0x00, 0x57}, ipv6(17, 8), udp(5, 6, 0)}));
  check_all_prefixes(cat({{0, 0, 0, 1, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0, 0x08, 0x00}, ipv4(17, 8), udp(1, 2, 0)}),
                     linktype::kLinuxSll);
  check_all_prefixes(cat({{30, 0, 0, 0}, ipv6(6, 20), tcp(1, 2, 0x02)}), linktype::kNull);
}

}  // namespace
}  // namespace pcapscope::test
