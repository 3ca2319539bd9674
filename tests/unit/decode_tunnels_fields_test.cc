// Tunnels (GRE, ERSPAN I/II/III, VXLAN, Geneve, GTP-U, Teredo, IP-in-IP) and
// the field registry / formatting.
#include "decode_test_support.h"

#include <set>

namespace pcapscope::test {
namespace {

ByteVec inner_eth_tcp() { return cat({eth(0x0800), ipv4(6, 20), tcp(1111, 2222, 0x02)}); }

unsigned depth_of(const Decoded& p, Proto proto, unsigned occurrence = 0) {
  const Layer* l = p.d.find(proto, occurrence);
  return l ? l->tunnel_depth : 99;
}

TEST(DecodeTunnels, GreTransparentEthernetAndIp) {
  ByteVec inner = inner_eth_tcp();
  Decoded p(cat({eth(0x0800), ipv4(47, 4 + inner.size()), {0x00, 0x00, 0x65, 0x58}, inner}));
  EXPECT_EQ(p.protos(), "frame:eth:ip:gre:eth:ip:tcp");
  EXPECT_EQ(p.f("gre.proto"), "0x6558");
  EXPECT_EQ(depth_of(p, Proto::kGre), 0u);
  EXPECT_EQ(depth_of(p, Proto::kTcp), 1u);
  EXPECT_EQ(p.f("ip.src", 1), "10.0.0.1");

  ByteVec ip = cat({ipv4(17, 8), udp(1, 2, 0)});
  Decoded q(cat({eth(0x0800), ipv4(47, 12 + ip.size()), {0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42}, ip}));
  EXPECT_EQ(q.protos(), "frame:eth:ip:gre:ip:udp");
  EXPECT_EQ(q.f("gre.key"), "0x0000002a");
}

TEST(DecodeTunnels, ErspanTypesOneTwoThree) {
  ByteVec inner = inner_eth_tcp();
  Decoded t1(cat({eth(0x0800), ipv4(47, 4 + inner.size()), {0x00, 0x00, 0x88, 0xbe}, inner}));
  EXPECT_EQ(t1.protos(), "frame:eth:ip:gre:eth:ip:tcp");

  ByteVec e2 = {0x10, 0x64, 0x00, 0x05, 0, 0, 0, 0};
  Decoded t2(cat({eth(0x0800), ipv4(47, 8 + 8 + inner.size()), {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1}, e2, inner}));
  EXPECT_EQ(t2.protos(), "frame:eth:ip:gre:erspan:eth:ip:tcp");
  EXPECT_EQ(t2.f("erspan.version"), "1");
  EXPECT_EQ(t2.f("erspan.vlan"), "100");
  EXPECT_EQ(t2.f("erspan.spanid"), "5");
  EXPECT_EQ(depth_of(t2, Proto::kEthernet, 1), 1u);

  ByteVec e3 = {0x20, 0x00, 0x00, 0x07, 0, 0, 0, 9, 0, 0, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
  Decoded t3(cat({eth(0x0800), ipv4(47, 8 + e3.size() + inner.size()), {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1}, e3, inner}));
  EXPECT_EQ(t3.protos(), "frame:eth:ip:gre:erspan:eth:ip:tcp");
  EXPECT_EQ(t3.f("erspan.spanid"), "7");
  EXPECT_EQ(t3.f("tcp.srcport"), "1111");
}

TEST(DecodeTunnels, VxlanGeneveGtpTeredo) {
  ByteVec inner = inner_eth_tcp();
  ByteVec vx = {0x08, 0, 0, 0, 0x00, 0x30, 0x39, 0};
  Decoded v(cat({eth(0x0800), ipv4(17, 16 + inner.size()), udp(40000, 4789, 8 + inner.size()), vx, inner}));
  EXPECT_EQ(v.protos(), "frame:eth:ip:udp:vxlan:eth:ip:tcp");
  EXPECT_EQ(v.f("vxlan.vni"), "12345");
  EXPECT_EQ(depth_of(v, Proto::kTcp), 1u);

  ByteVec gn = {0x01, 0, 0x65, 0x58, 0x00, 0x00, 0x2a, 0, 1, 2, 3, 4};
  Decoded g(cat({eth(0x0800), ipv4(17, 8 + gn.size() + inner.size()), udp(1, 6081, gn.size() + inner.size()), gn, inner}));
  EXPECT_EQ(g.protos(), "frame:eth:ip:udp:geneve:eth:ip:tcp");
  EXPECT_EQ(g.f("geneve.vni"), "0x00002a");

  ByteVec ip = cat({ipv4(17, 8), udp(7, 8, 0)});
  ByteVec gtp = {0x30, 0xff, 0, static_cast<std::uint8_t>(ip.size()), 0xde, 0xad, 0xbe, 0xef};
  Decoded t(cat({eth(0x0800), ipv4(17, 8 + 8 + ip.size()), udp(2152, 2152, 8 + ip.size()), gtp, ip}));
  EXPECT_EQ(t.protos(), "frame:eth:ip:udp:gtp:ip:udp");
  EXPECT_EQ(t.f("gtp.teid"), "0xdeadbeef");
  EXPECT_EQ(t.f("udp.srcport", 1), "7");

  ByteVec gtp_ext = {0x34, 0xff, 0, static_cast<std::uint8_t>(ip.size() + 8), 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x09, 0, 0};
  Decoded te(cat({eth(0x0800), ipv4(17, 8 + gtp_ext.size() + ip.size()), udp(2152, 2152, gtp_ext.size() + ip.size()), gtp_ext, ip}));
  EXPECT_EQ(te.protos(), "frame:eth:ip:udp:gtp:ip:udp");

  ByteVec v6 = cat({ipv6(17, 8), udp(9, 10, 0)});
  Decoded tr(cat({eth(0x0800), ipv4(17, 8 + v6.size()), udp(3544, 50000, v6.size()), v6}));
  EXPECT_EQ(tr.protos(), "frame:eth:ip:udp:teredo:ipv6:udp");
  EXPECT_EQ(tr.f("udp.srcport"), "3544");
  EXPECT_EQ(tr.f("udp.srcport", 1), "9");
}

TEST(DecodeTunnels, IpInIpAndDepthBound) {
  ByteVec inner = cat({ipv6(17, 8), udp(1, 2, 0)});
  Decoded p(cat({eth(0x0800), ipv4(41, inner.size()), inner}));
  EXPECT_EQ(p.protos(), "frame:eth:ip:ipv6:udp");
  EXPECT_EQ(depth_of(p, Proto::kIpv6), 1u);

  ByteVec b = cat({ipv4(17, 8), udp(1, 2, 0)});
  for (int i = 0; i < 8; ++i) b = cat({ipv4(4, b.size()), b});
  Decoded q(cat({eth(0x0800), b}));
  EXPECT_NE(q.anomalies().find("tunnel_depth_exceeded"), std::string::npos);
  EXPECT_LT(q.d.layer_count, DecodedPacket::kMaxLayers);
}

TEST(DecodeTunnels, MaxLayersBoundsTheWalk) {
  ByteVec b = cat({ipv4(17, 8), udp(1, 2, 0)});
  for (int i = 0; i < 2; ++i) b = cat({ipv4(4, b.size()), b});
  const ByteVec frame = cat({eth(0x0800), b});  // frame:eth:ip:ip:ip:udp
  ASSERT_EQ(max_layers(), DecodedPacket::kMaxLayers);
  set_max_layers(4);
  Decoded cut(frame);
  set_max_layers(DecodedPacket::kMaxLayers);  // process-wide: restored before anything can fail
  EXPECT_EQ(cut.protos(), "frame:eth:ip:ip");
  EXPECT_NE(cut.anomalies().find("layer_limit_reached"), std::string::npos);
  Decoded whole(frame);
  EXPECT_EQ(whole.protos(), "frame:eth:ip:ip:ip:udp");
  EXPECT_EQ(whole.anomalies(), "");
  // Out-of-range values are clamped: the frame and one header at least, the layer array at most.
  set_max_layers(0);
  EXPECT_EQ(max_layers(), 2u);
  set_max_layers(1000);
  EXPECT_EQ(max_layers(), DecodedPacket::kMaxLayers);
}

TEST(DecodeTunnels, TruncatedTunnelHeaders) {
  Decoded v(cat({eth(0x0800), ipv4(17, 12), udp(1, 4789, 8), {0x08, 0, 0, 0}}), linktype::kEthernet, 14 + 20 + 8 + 16);
  EXPECT_NE(v.anomalies().find("truncated_vxlan"), std::string::npos);
  Decoded g(cat({eth(0x0800), ipv4(47, 4), {0x30, 0x00}}), linktype::kEthernet, 14 + 20 + 12);
  EXPECT_NE(g.anomalies().find("truncated_gre"), std::string::npos);
}

TEST(DecodeTunnels, EveryPrefixIsSafe) {
  ByteVec inner = inner_eth_tcp();
  ByteVec e3 = {0x20, 0x00, 0x00, 0x07, 0, 0, 0, 9, 0, 0, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
  check_all_prefixes(cat({eth(0x0800), ipv4(47, 8 + e3.size() + inner.size()), {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1}, e3, inner}));
  ByteVec ip = cat({ipv4(17, 8), udp(7, 8, 0)});
  ByteVec gtp_ext = {0x34, 0xff, 0, static_cast<std::uint8_t>(ip.size() + 8), 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x09, 0, 0};
  check_all_prefixes(cat({eth(0x0800), ipv4(17, 8 + gtp_ext.size() + ip.size()), udp(2152, 2152, gtp_ext.size() + ip.size()), gtp_ext, ip}));
  ByteVec gn = {0x01, 0, 0x65, 0x58, 0x00, 0x00, 0x2a, 0, 1, 2, 3, 4};
  check_all_prefixes(cat({eth(0x0800), ipv4(17, 8 + gn.size() + inner.size()), udp(1, 6081, gn.size() + inner.size()), gn, inner}));
}

TEST(DecodeFuzzish, RandomBytesNeverEscape) {
  std::uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    ByteVec b = inner_eth_tcp();
    for (int k = 0; k < 6; ++k) {
      x = x * 1103515245 + 12345;
      b[(x >> 8) % b.size()] = static_cast<std::uint8_t>(x >> 16);
    }
    check_all_prefixes(ByteVec(b.begin(), b.begin() + 40 + round % 20));
  }
}

TEST(Fields, RegistryIsConsistent) {
  std::set<std::string_view> names;
  for (const FieldDef& f : all_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_EQ(find_field(f.name), &f);
    EXPECT_NE(f.get, nullptr);
    bool found = false;
    for (const FieldDef& g : fields_of(f.layer)) found = found || &g == &f;
    // Application fields (dns.*, http.* ...) belong to no layer's table: the protocol stage fills them.
    EXPECT_EQ(found, !f.app) << f.name;
  }
  ASSERT_NE(find_field("dns.qry.name"), nullptr);
  EXPECT_TRUE(find_field("dns.qry.name")->app);
  EXPECT_EQ(find_field("no.such.field"), nullptr);
  EXPECT_EQ(fields_of(Proto::kSll2).data(), fields_of(Proto::kSll).data());
  for (std::string_view n : {"frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.src", "vlan.id",
                             "ip.src", "ip.frag_offset", "ipv6.flow", "tcp.seq_raw", "tcp.flags.syn", "udp.length",
                             "icmp.type", "arp.opcode", "gre.proto", "vxlan.vni", "geneve.vni", "gtp.teid",
                             "mpls.label", "sll.pkttype", "null.family", "pppoe.session_id", "llc.dsap"}) {
    EXPECT_NE(find_field(n), nullptr) << n;
  }
}

TEST(Fields, FormattingMatchesTshark) {
  FieldDef hex4{"x", FieldType::kUInt, Proto::kTcp, nullptr, "", true, 4};
  FieldDef dec{"x", FieldType::kUInt, Proto::kTcp, nullptr, ""};
  FieldDef any{"x", FieldType::kIpv6, Proto::kTcp, nullptr, ""};
  EXPECT_EQ(format_value(hex4, FieldValue::of_uint(0x12)), "0x0012");
  EXPECT_EQ(format_value(hex4, FieldValue::of_uint(0x12345)), "0x12345");
  EXPECT_EQ(format_value(dec, FieldValue::of_uint(443)), "443");
  EXPECT_EQ(format_value(dec, FieldValue::of_bool(true)), "1");
  EXPECT_EQ(format_value(dec, FieldValue::of_time(1710375239779162532)), "1710375239.779162532");
  EXPECT_EQ(format_value(dec, FieldValue::of_time(5)), "0.000000005");
  EXPECT_EQ(format_value(dec, FieldValue::of_time(-1500000000)), "-1.500000000");
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(format_value(any, FieldValue::of_ipv6(v6)), "2001:db8::1:0:0:1");
  const std::uint8_t mac[6] = {0xAA, 0x0b, 0, 1, 2, 0xff};
  EXPECT_EQ(format_value(any, FieldValue::of_mac(mac)), "aa:0b:00:01:02:ff");
  const std::uint8_t bytes[3] = {0xde, 0xad, 0x01};
  EXPECT_EQ(format_value(any, FieldValue::of_bytes(Bytes(bytes, 3))), "dead01");
  EXPECT_EQ(format_value(any, FieldValue::absent()), "");
}

TEST(Fields, FrameFieldsAndOccurrence) {
  ByteVec b = cat({eth(0x0800), ipv4(17, 8), udp(1, 2, 0)});
  Packet p;
  p.data = Bytes(b.data(), b.size());
  p.orig_len = 100;
  p.ts_ns = 1000000001;
  p.frame = 7;
  p.link_type = linktype::kEthernet;
  DecodedPacket d;
  decode(p, d);
  auto fmt = [&](std::string_view n, unsigned occ = 0) {
    return format_value(*find_field(n), get_field(d, n, occ));
  };
  EXPECT_EQ(fmt("frame.number"), "7");
  EXPECT_EQ(fmt("frame.len"), "100");
  EXPECT_EQ(fmt("frame.cap_len"), std::to_string(b.size()));
  EXPECT_EQ(fmt("frame.time_epoch"), "1.000000001");
  EXPECT_EQ(fmt("ip.src", 1), "");
  EXPECT_FALSE(get_field(d, "no.such", 0).present);
}

TEST(Summary, ReusesCapacity) {
  Decoded p(cat({eth(0x0800), ipv4(6, 20), tcp(1, 2, 0x02)}));
  Summary s;
  summarize(p.d, s);
  const auto* buf = s.info.data();
  summarize(p.d, s);
  EXPECT_EQ(s.info.data(), buf);
  EXPECT_EQ(s.info, "1 \u2192 2 [SYN] Seq=123 Win=64240 Len=0");
}

}  // namespace
}  // namespace pcapscope::test
