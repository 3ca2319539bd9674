// IPv4/IPv6 fragment reassembly (src/session/fragments.h): datagrams built with
// the frame builder, split here, fed in various orders and compared byte for
// byte with the unfragmented original; overlaps, limits and tunnels.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../tools/packet_builder.h"
#include "pcapscope/decode.h"
#include "session/fragments.h"

namespace pcapscope::session {
namespace {

using tools::Frame;
using Outcome = FragmentReassembler::Outcome;
using Names = std::vector<std::string>;

constexpr tools::Mac kMacA{0x02, 0, 0, 0, 0, 0xa}, kMacB{0x02, 0, 0, 0, 0, 0xb};
constexpr tools::Ip4 kSrc4{10, 0, 0, 1}, kDst4{10, 0, 0, 2};
constexpr tools::Ip4 kInnerSrc{192, 168, 0, 1}, kInnerDst{192, 168, 0, 2};
constexpr tools::Ip6 kSrc6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr tools::Ip6 kDst6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kTimeout = FragmentLimits{}.timeout_ns;

Frame join(Frame a, const Frame& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Frame payload(std::size_t n, std::uint8_t seed = 3) {
  Frame p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 7 + seed);
  return p;
}

void fix_ipv4_checksum(Frame& ip, std::size_t at = 0) {
  tools::set16(ip, at + 10, 0);
  tools::set16(ip, at + 10, tools::fold(tools::sum16(&ip[at], (ip[at] & 0x0fu) * 4u)));
}
bool ipv4_checksum_ok(Bytes h) { return tools::fold(tools::sum16(h.data(), (h[0] & 0x0fu) * 4u)) == 0; }

// The builder sets DF; a datagram that was fragmented had it clear.
Frame without_df(Frame ip) {
  tools::set16(ip, 6, 0);
  fix_ipv4_checksum(ip);
  return ip;
}
// An IPv4 datagram (no link layer) carrying UDP with DATA.
Frame udp4(const Frame& data, std::uint16_t id = 0x4242, tools::Ip4 dst = kDst4) {
  return without_df(tools::ipv4({}, kSrc4, dst, 17, tools::udp(5353, 53, data), id));
}
Frame udp6(const Frame& data) { return tools::ipv6({}, kSrc6, kDst6, 17, tools::udp(5353, 53, data)); }
Frame eth4(const Frame& ip) { return join(tools::ethernet(kMacB, kMacA, 0x0800), ip); }
Frame eth6(const Frame& ip) { return join(tools::ethernet(kMacB, kMacA, 0x86dd), ip); }

// An IPv4 fragment of datagram IP: its header with DATA at payload offset OFF.
Frame frag4_bytes(const Frame& ip, std::size_t off, const Frame& data, bool more) {
  const std::size_t ihl = (ip[0] & 0x0fu) * 4;
  Frame f(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(ihl));
  tools::set16(f, 2, static_cast<std::uint16_t>(ihl + data.size()));
  tools::set16(f, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (off / 8)));
  fix_ipv4_checksum(f);
  return join(std::move(f), data);
}
Frame slice(const Frame& ip, std::size_t header, std::size_t off, std::size_t len) {
  const auto at = ip.begin() + static_cast<std::ptrdiff_t>(header + off);
  return Frame(at, at + static_cast<std::ptrdiff_t>(len));
}
// Payload bytes [OFF, OFF + LEN) of IPv4 datagram IP, with Ethernet.
Frame frag4(const Frame& ip, std::size_t off, std::size_t len, bool more) {
  return eth4(frag4_bytes(ip, off, slice(ip, (ip[0] & 0x0fu) * 4u, off, len), more));
}

// An IPv6 fragment of datagram IP whose first UNFRAG bytes after the fixed header
// are the unfragmentable part; NH_POS is the byte naming what follows it.
Frame frag6(const Frame& ip, std::size_t off, std::size_t len, bool more, std::uint32_t id = 0x01020304,
            std::size_t unfrag = 0, std::size_t nh_pos = 6) {
  const std::size_t head = 40 + unfrag;
  Frame f(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(head));
  const std::uint8_t next = f[nh_pos];
  f[nh_pos] = 44;
  tools::set16(f, 4, static_cast<std::uint16_t>(unfrag + 8 + len));
  f.push_back(next);
  f.push_back(0);
  tools::put16(f, static_cast<std::uint16_t>(off | (more ? 1 : 0)));
  tools::put32(f, id);
  return eth6(join(std::move(f), slice(ip, head, off, len)));
}

// Feeds frames as a capture would: numbered, decoded, handed to add().
struct Feeder {
  explicit Feeder(FragmentLimits limits = {}) : r(limits) {
    r.set_anomaly_handler([this](const Packet& p, std::string_view name) {
      anomalies.emplace_back(name);
      anomaly_packets.push_back(p);
      anomaly_bytes.emplace_back(p.data.begin(), p.data.end());
    });
  }
  Outcome feed(const Frame& f, std::int64_t ts = kT0, std::uint32_t orig_len = 0) {
    in.data = Bytes(f.data(), f.size());
    in.orig_len = orig_len ? orig_len : static_cast<std::uint32_t>(f.size());
    in.ts_ns = ts;
    in.link_type = linktype::kEthernet;
    in.frame = ++frames;
    decode(in, d);
    return r.add(d, out);
  }
  // As a caller must: a completed packet is decoded and offered again, since
  // an inner layer may be a fragment too. OUT is both input and output here.
  Outcome feed_all(const Frame& f, int& rounds) {
    Outcome o = feed(f);
    for (rounds = 0; o == Outcome::kComplete && rounds < 10; ++rounds) {
      decode(out, d);
      o = r.add(d, out);
    }
    return o;
  }
  Frame synthetic() const { return Frame(out.data.begin(), out.data.end()); }

  FragmentReassembler r;
  Packet in, out;
  DecodedPacket d;
  std::uint64_t frames = 0;
  Names anomalies;
  std::vector<Packet> anomaly_packets;
  std::vector<Frame> anomaly_bytes;
};

// The synthetic packet decodes to a clean UDP datagram carrying DATA.
void expect_udp(const Packet& p, const Frame& data) {
  DecodedPacket d;
  decode(p, d);
  EXPECT_EQ(d.anomaly_count, 0);
  const Layer* udp = d.find(Proto::kUdp);
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->flags, 0);
  const Bytes got = d.payload();
  EXPECT_EQ(Frame(got.begin(), got.end()), data);
  for (unsigned i = 0; const Layer* ip = d.find(Proto::kIpv4, i); ++i) {
    EXPECT_TRUE(ipv4_checksum_ok(d.data().subspan(ip->offset))) << "ipv4 layer " << i;
  }
  EXPECT_EQ(p.orig_len, p.data.size());
}

TEST(FragmentReassembler, NonFragmentsPassThrough) {
  Feeder t;
  const Frame whole4 = eth4(tools::ipv4({}, kSrc4, kDst4, 17, tools::udp(1, 2, payload(20))));
  const Frame whole6 = eth6(udp6(payload(20)));
  EXPECT_EQ(t.feed(whole4), Outcome::kNotFragment);
  EXPECT_EQ(t.feed(whole6), Outcome::kNotFragment);
  EXPECT_EQ(t.feed(Frame(10, 0)), Outcome::kNotFragment);  // not even Ethernet
  EXPECT_EQ(t.r.stats().fragments, 0u);
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_TRUE(t.anomalies.empty());
}

TEST(FragmentReassembler, QuotedFragmentInIcmpErrorIsNotReassembled) {
  const Frame quote = frag4_bytes(udp4(payload(100)), 0, slice(udp4(payload(100)), 20, 0, 8), true);
  const Frame icmp = join({3, 4, 0, 0, 0, 0, 0x05, 0xdc}, quote);  // fragmentation needed
  Feeder t;
  EXPECT_EQ(t.feed(eth4(tools::ipv4({}, kDst4, kSrc4, 1, icmp))), Outcome::kNotFragment);
  EXPECT_EQ(t.r.stats().fragments, 0u);
}

TEST(FragmentReassembler, HostileBytesStayInBounds) {
  // Every prefix of, and random damage to, fragments of each shape. Under
  // ASan (exact-size copies) this shows nothing is read outside a packet;
  // always, that the limits and the accounting hold and re-adding ends.
  const Frame ip4 = udp4(payload(100));
  const Frame ip6 = udp6(payload(100));
  const Frame hbh = tools::ipv6({}, kSrc6, kDst6, 0, join({17, 0, 1, 4, 0, 0, 0, 0}, tools::udp(1, 2, payload(100))));
  const Frame in_ip = tools::ipv4({}, kSrc4, kDst4, 4, frag4_bytes(ip4, 0, slice(ip4, 20, 0, 64), true), 9);
  const std::vector<Frame> shapes = {frag4(ip4, 0, 40, true), frag4(ip4, 40, 68, false), frag6(ip6, 0, 48, true),
                                     frag6(ip6, 48, 60, false), frag6(hbh, 0, 56, true, 9, 8, 40),
                                     frag6(ip6, 0, 108, false), frag4(in_ip, 0, 40, true),
                                     frag4(in_ip, 40, in_ip.size() - 60, false)};
  FragmentLimits limits;
  limits.max_datagrams = 16;
  limits.max_bytes = 2048;
  limits.max_fragments = 8;
  Feeder t(limits);
  auto feed = [&](const Frame& f, std::size_t n) {
    int rounds = 0;
    t.feed_all(Frame(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)), rounds);
    EXPECT_LT(rounds, 10);
    EXPECT_LE(t.r.buffered_bytes(), limits.max_bytes);
    EXPECT_LE(t.r.pending_datagrams(), limits.max_datagrams);
  };
  for (const Frame& f : shapes) {
    for (std::size_t n = 0; n <= f.size(); ++n) feed(f, n);
  }
  std::mt19937 rng(20240601);
  for (int i = 0; i < 4000; ++i) {
    Frame f = shapes[rng() % shapes.size()];
    for (unsigned k = rng() % 4; k > 0; --k) f[14 + rng() % (f.size() - 14)] = static_cast<std::uint8_t>(rng());
    feed(f, f.size());
  }
  t.r.expire(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
}

// Feeds FRAGS in ORDER (indexes); the last one completes WHOLE, a UDP datagram carrying DATA.
void expect_in_order(const std::vector<Frame>& frags, std::initializer_list<int> order, const Frame& whole,
                     const Frame& data) {
  Feeder t;
  int n = 0;
  for (int i : order) {
    const Outcome o = t.feed(frags[static_cast<std::size_t>(i)], kT0 + n);
    EXPECT_EQ(o, ++n == 3 ? Outcome::kComplete : Outcome::kHeld) << "fragment " << i;
  }
  EXPECT_EQ(t.synthetic(), whole);
  expect_udp(t.out, data);
  EXPECT_EQ(t.out.frame, 3u);  // the completing packet's metadata
  EXPECT_EQ(t.out.ts_ns, kT0 + 2);
  EXPECT_EQ(t.r.stats().completed, 1u);
  EXPECT_EQ(t.r.stats().held, 2u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_TRUE(t.anomalies.empty());
}

// The 108-byte UDP datagram in three fragments: [0,40) [40,80) [80,108).
class FragmentIpv4 : public ::testing::Test {
 protected:
  const Frame data = payload(100);
  const Frame ip = udp4(data);
  const std::vector<Frame> frags = {frag4(ip, 0, 40, true), frag4(ip, 40, 40, true), frag4(ip, 80, 28, false)};
};

TEST_F(FragmentIpv4, InOrder) { expect_in_order(frags, {0, 1, 2}, eth4(ip), data); }
TEST_F(FragmentIpv4, OutOfOrder) { expect_in_order(frags, {2, 0, 1}, eth4(ip), data); }
TEST_F(FragmentIpv4, Reversed) { expect_in_order(frags, {2, 1, 0}, eth4(ip), data); }

TEST_F(FragmentIpv4, DuplicateFragmentIsSameOverlap) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0]), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[0]), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[1]), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[2]), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth4(ip));
  EXPECT_EQ(t.anomalies, Names{"fragment_overlap"});
  EXPECT_EQ(t.anomaly_packets.at(0).frame, 2u);
  EXPECT_EQ(t.r.stats().overlaps_same, 1u);
  EXPECT_EQ(t.r.stats().overlaps_differ, 0u);
}

TEST_F(FragmentIpv4, PartialOverlapWithSameBytes) {
  Feeder t;
  EXPECT_EQ(t.feed(frag4(ip, 0, 48, true)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag4(ip, 40, 40, true)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[2]), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth4(ip));
  EXPECT_EQ(t.anomalies, Names{"fragment_overlap"});
  EXPECT_EQ(t.r.stats().overlaps_same, 1u);
}

TEST_F(FragmentIpv4, OverlapWithDifferentBytesKeepsFirstReceived) {
  Frame forged_data = data;
  for (std::size_t i = 32; i < 40; ++i) forged_data[i] ^= 0xff;  // IP payload bytes [40, 48)
  const Frame forged = udp4(forged_data);
  for (bool forged_first : {false, true}) {
    Feeder t;
    const Frame a = frag4(ip, 0, 48, true), b = frag4(forged, 40, 40, true);
    EXPECT_EQ(t.feed(forged_first ? b : a), Outcome::kHeld);
    EXPECT_EQ(t.feed(forged_first ? a : b), Outcome::kHeld);
    EXPECT_EQ(t.feed(frags[2]), Outcome::kComplete);
    Frame expected = eth4(forged_first ? forged : ip);
    expected[14 + 26] = eth4(ip)[14 + 26];  // the UDP checksum comes from the genuine first fragment
    expected[14 + 27] = eth4(ip)[14 + 27];
    EXPECT_EQ(t.synthetic(), expected) << "forged first: " << forged_first;
    EXPECT_EQ(t.anomalies, Names{"fragment_overlap_differs"});
    EXPECT_EQ(t.anomaly_packets.at(0).frame, 2u);
    EXPECT_EQ(t.r.stats().overlaps_differ, 1u);
  }
}

TEST_F(FragmentIpv4, MissingFragmentTimesOut) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0], kT0), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[2], kT0 + 1'000'000), Outcome::kHeld);
  EXPECT_GT(t.r.buffered_bytes(), 68u);
  t.r.expire(kT0 + kTimeout);  // exactly the timeout: not older than it yet
  EXPECT_EQ(t.r.pending_datagrams(), 1u);
  t.r.expire(kT0 + kTimeout + 1);
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
  EXPECT_EQ(t.r.stats().timed_out, 1u);
  ASSERT_EQ(t.anomalies, Names{"fragment_timeout"});
  // Reported with the first fragment, whose kept bytes still name the datagram.
  EXPECT_EQ(t.anomaly_packets[0].frame, 1u);
  EXPECT_EQ(t.anomaly_packets[0].ts_ns, kT0);
  EXPECT_EQ(t.anomaly_bytes[0], Frame(frags[0].begin(), frags[0].begin() + 34));
  // The late fragment starts over.
  EXPECT_EQ(t.feed(frags[1], kT0 + kTimeout + 2), Outcome::kHeld);
  EXPECT_EQ(t.r.pending_datagrams(), 1u);
}

TEST_F(FragmentIpv4, WhatIsStillPartialAtTheEndIsReportedIncomplete) {
  Feeder t;
  std::vector<Frame> ips;
  for (std::uint16_t id : {7, 8}) ips.push_back(udp4(data, id));
  EXPECT_EQ(t.feed(frag4(ips[0], 0, 40, true)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag4(ips[1], 40, 40, true)), Outcome::kHeld);
  t.r.finish();
  EXPECT_EQ(t.anomalies, (Names{"fragment_incomplete", "fragment_incomplete"}));
  EXPECT_EQ(t.anomaly_packets[0].frame, 1u);  // oldest first
  EXPECT_EQ(t.anomaly_packets[1].frame, 2u);
  EXPECT_EQ(t.r.stats().incomplete, 2u);
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
  t.r.finish();  // nothing left: nothing more reported
  EXPECT_EQ(t.anomalies.size(), 2u);
}

TEST_F(FragmentIpv4, StaleDatagramIsReplacedWithoutExpire) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0], kT0), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[1], kT0 + kTimeout + 1), Outcome::kHeld);
  EXPECT_EQ(t.anomalies, Names{"fragment_timeout"});
  EXPECT_EQ(t.feed(frags[2], kT0 + kTimeout + 2), Outcome::kHeld);  // [0, 40) went with the old one
  EXPECT_EQ(t.feed(frags[0], kT0 + kTimeout + 3), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth4(ip));
}

TEST_F(FragmentIpv4, TooManyFragmentsDropsTheDatagram) {
  FragmentLimits limits;
  limits.max_fragments = 4;
  Feeder t(limits);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(t.feed(frag4(ip, i * 8, 8, true)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag4(ip, 32, 8, true)), Outcome::kDropped);
  EXPECT_EQ(t.anomalies, Names{"fragment_too_many"});
  EXPECT_EQ(t.r.stats().dropped_too_many, 1u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
  // The rest of it is absorbed quietly, not collected into a new datagram.
  EXPECT_EQ(t.feed(frag4(ip, 40, 68, false)), Outcome::kDropped);
  EXPECT_EQ(t.anomalies.size(), 1u);
  t.r.expire(kT0 + kTimeout + 1);
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
  EXPECT_EQ(t.anomalies.size(), 1u);  // the tombstone goes without a timeout report
}

TEST_F(FragmentIpv4, TooLargeDatagramIsDropped) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0]), Outcome::kHeld);
  // Ping of death: offset 65528 + 16 bytes + header > 65535.
  EXPECT_EQ(t.feed(eth4(frag4_bytes(ip, 65528, Frame(16, 0xab), false))), Outcome::kDropped);
  EXPECT_EQ(t.anomalies, Names{"fragment_too_large"});
  EXPECT_EQ(t.r.stats().dropped_too_large, 1u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
}

TEST_F(FragmentIpv4, EvictionByDatagramCount) {
  FragmentLimits limits;
  limits.max_datagrams = 2;
  Feeder t(limits);
  std::vector<Frame> ips;
  for (std::uint16_t id : {1, 2, 3}) ips.push_back(udp4(data, id));
  for (const Frame& d : ips) EXPECT_EQ(t.feed(frag4(d, 0, 40, true)), Outcome::kHeld);
  EXPECT_EQ(t.anomalies, Names{"fragment_evicted"});
  EXPECT_EQ(t.anomaly_packets[0].frame, 1u);
  EXPECT_EQ(t.r.stats().evicted, 1u);
  EXPECT_EQ(t.r.pending_datagrams(), 2u);
  EXPECT_EQ(t.feed(frag4(ips[1], 40, 68, false)), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth4(ips[1]));
  EXPECT_EQ(t.feed(frag4(ips[0], 40, 68, false)), Outcome::kHeld);  // its start was evicted
}

TEST_F(FragmentIpv4, EvictionByBytes) {
  FragmentLimits limits;
  limits.max_bytes = 200;  // one first fragment holds 34 leading + 20 header + 40 payload bytes
  Feeder t(limits);
  for (std::uint16_t id : {1, 2, 3}) {
    EXPECT_EQ(t.feed(frag4(udp4(data, id), 0, 40, true)), Outcome::kHeld);
    EXPECT_LE(t.r.buffered_bytes(), 200u);
  }
  EXPECT_EQ(t.anomalies, Names{"fragment_evicted"});
  EXPECT_EQ(t.r.pending_datagrams(), 2u);
  EXPECT_EQ(t.r.buffered_bytes(), 2 * 94u);

  limits.max_bytes = 50;  // a datagram that alone passes the limit goes at once
  Feeder small(limits);
  EXPECT_EQ(small.feed(frags[0]), Outcome::kDropped);
  EXPECT_EQ(small.anomalies, Names{"fragment_evicted"});
  EXPECT_EQ(small.r.buffered_bytes(), 0u);
}

TEST_F(FragmentIpv4, TruncatedFragmentDropsTheDatagram) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0]), Outcome::kHeld);
  const Frame cut(frags[1].begin(), frags[1].end() - 10);  // snaplen cut it
  EXPECT_EQ(t.feed(cut, kT0, static_cast<std::uint32_t>(frags[1].size())), Outcome::kDropped);
  EXPECT_EQ(t.anomalies, Names{"fragment_truncated"});
  EXPECT_EQ(t.feed(frags[2]), Outcome::kDropped);
  EXPECT_EQ(t.anomalies.size(), 1u);
  EXPECT_EQ(t.r.stats().dropped_truncated, 1u);
  EXPECT_EQ(t.r.buffered_bytes(), 0u);
}

TEST_F(FragmentIpv4, InconsistentFragmentsAreFlaggedFirstClaimsKept) {
  Feeder t;
  Frame past_end = slice(ip, 20, 96, 12);
  past_end.resize(24, 0xee);  // 12 bytes beyond the datagram's end
  EXPECT_EQ(t.feed(frags[2]), Outcome::kHeld);                    // end = 108
  EXPECT_EQ(t.feed(frag4(ip, 80, 20, false)), Outcome::kHeld);    // a second, different end
  EXPECT_EQ(t.feed(eth4(frag4_bytes(ip, 96, past_end, true))), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag4(ip, 0, 12, true)), Outcome::kHeld);      // middle, not 8-byte units
  EXPECT_EQ(t.feed(frag4(ip, 8, 72, true)), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth4(ip));
  EXPECT_EQ(t.anomalies, (Names{"fragment_overlap", "fragment_inconsistent", "fragment_overlap",
                                "fragment_inconsistent", "fragment_inconsistent", "fragment_overlap"}));
  EXPECT_EQ(t.r.stats().inconsistent, 3u);

  // A last fragment ending before bytes already held is not believed.
  Feeder u;
  EXPECT_EQ(u.feed(frags[1]), Outcome::kHeld);
  EXPECT_EQ(u.feed(frag4(ip, 32, 8, false)), Outcome::kHeld);
  EXPECT_EQ(u.anomalies, Names{"fragment_inconsistent"});
  EXPECT_EQ(u.feed(frags[2]), Outcome::kHeld);
  EXPECT_EQ(u.feed(frags[0]), Outcome::kComplete);
  EXPECT_EQ(u.anomalies, (Names{"fragment_inconsistent", "fragment_overlap"}));
  EXPECT_EQ(u.synthetic(), eth4(ip));
}

TEST_F(FragmentIpv4, UnusableLengthIsDropped) {
  Frame f = frag4_bytes(ip, 40, slice(ip, 20, 40, 40), true);
  tools::set16(f, 2, 12);  // total length below the header
  fix_ipv4_checksum(f);
  Feeder t;
  EXPECT_EQ(t.feed(eth4(f)), Outcome::kDropped);
  EXPECT_EQ(t.anomalies, Names{"fragment_inconsistent"});
  EXPECT_EQ(t.r.pending_datagrams(), 0u);
}

TEST_F(FragmentIpv4, KeyIsComparedInFull) {
  // Same id: another destination, another protocol. Interleaved, each completes alone.
  const Frame other_dst = udp4(data, 0x4242, kInnerDst);
  const Frame icmp =
      without_df(tools::ipv4({}, kSrc4, kDst4, 1, tools::icmp_echo(true, 1, 1, std::string(100, 'x')), 0x4242));
  const Frame* const datagrams[] = {&ip, &other_dst, &icmp};
  Feeder t;
  for (const Frame* d : datagrams) EXPECT_EQ(t.feed(frag4(*d, 0, 40, true)), Outcome::kHeld);
  for (const Frame* d : datagrams) {
    EXPECT_EQ(t.feed(frag4(*d, 40, 68, false)), Outcome::kComplete);
    EXPECT_EQ(t.synthetic(), eth4(*d));
  }
  EXPECT_TRUE(t.anomalies.empty());
}

// ---- IPv6 ---------------------------------------------------------------------

class FragmentIpv6 : public ::testing::Test {
 protected:
  const Frame data = payload(100);
  const Frame ip = udp6(data);
  const std::vector<Frame> frags = {frag6(ip, 0, 48, true), frag6(ip, 48, 48, true), frag6(ip, 96, 12, false)};
};

TEST_F(FragmentIpv6, InOrder) { expect_in_order(frags, {0, 1, 2}, eth6(ip), data); }
TEST_F(FragmentIpv6, OutOfOrder) { expect_in_order(frags, {2, 0, 1}, eth6(ip), data); }

TEST_F(FragmentIpv6, OverlapWithDifferentBytesKeepsFirstReceived) {
  Frame forged_data = data;
  for (std::size_t i = 40; i < 48; ++i) forged_data[i] = 0;  // fragmentable bytes [48, 56)
  const Frame forged = udp6(forged_data);
  Feeder t;
  EXPECT_EQ(t.feed(frags[1]), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag6(forged, 0, 56, true)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frags[2]), Outcome::kComplete);
  EXPECT_EQ(t.anomalies, Names{"fragment_overlap_differs"});
  EXPECT_EQ(t.anomaly_packets.at(0).frame, 2u);
  EXPECT_EQ(t.r.stats().overlaps_differ, 1u);
  // [48, 56) as first received (genuine); [0, 48) only in the forged copy,
  // whose UDP checksum (covering its forged bytes) differs.
  Frame expected = eth6(ip);
  for (std::size_t at : {14 + 40 + 6, 14 + 40 + 7}) expected[at] = eth6(forged)[at];
  EXPECT_EQ(t.synthetic(), expected);
}

TEST_F(FragmentIpv6, AtomicFragmentIsWholeAtOnce) {
  Feeder t;
  EXPECT_EQ(t.feed(frags[0]), Outcome::kHeld);  // same id, pending: must not be mixed in
  EXPECT_EQ(t.feed(frag6(ip, 0, 108, false)), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth6(ip));
  EXPECT_EQ(t.r.stats().atomic, 1u);
  EXPECT_EQ(t.r.pending_datagrams(), 1u);
}

TEST_F(FragmentIpv6, UnfragmentablePartIsKept) {
  // Hop-by-hop (next header UDP, PadN) stays in front of the Fragment header.
  const Frame l4 = join({17, 0, 1, 4, 0, 0, 0, 0}, tools::udp(5353, 53, data));
  const Frame hbh = tools::ipv6({}, kSrc6, kDst6, 0, l4);
  Feeder t;
  EXPECT_EQ(t.feed(frag6(hbh, 56, 52, false, 9, 8, 40)), Outcome::kHeld);
  EXPECT_EQ(t.feed(frag6(hbh, 0, 56, true, 9, 8, 40)), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), eth6(hbh));
  expect_udp(t.out, data);
}

TEST_F(FragmentIpv6, TooLargeDatagramIsDropped) {
  Feeder t;
  EXPECT_EQ(t.feed(frag6(tools::ipv6({}, kSrc6, kDst6, 17, Frame(65544, 0)), 65528, 16, false)), Outcome::kDropped);
  EXPECT_EQ(t.anomalies, Names{"fragment_too_large"});
}

// ---- fragments inside tunnels, and fragments of fragments -------------------

TEST(FragmentNested, FragmentedIpInIpReassemblesBothLevels) {
  const Frame data = payload(100, 9);
  const Frame inner = without_df(tools::ipv4({}, kInnerSrc, kInnerDst, 17, tools::udp(1000, 2000, data), 7));
  // Inner fragment 1 rides in an outer datagram that is fragmented too; inner fragment 2 in a whole one.
  const Frame outer1 =
      without_df(tools::ipv4({}, kSrc4, kDst4, 4, frag4_bytes(inner, 0, slice(inner, 20, 0, 56), true), 100));
  const Frame outer2 = tools::ipv4({}, kSrc4, kDst4, 4, frag4_bytes(inner, 56, slice(inner, 20, 56, 52), false), 101);

  Feeder t;
  int rounds = 0;
  EXPECT_EQ(t.feed_all(frag4(outer1, 0, 40, true), rounds), Outcome::kHeld);
  EXPECT_EQ(t.feed_all(frag4(outer1, 40, outer1.size() - 60, false), rounds), Outcome::kHeld);
  EXPECT_EQ(rounds, 1);  // outer completed, its inner fragment held
  EXPECT_EQ(t.feed_all(eth4(outer2), rounds), Outcome::kNotFragment);
  EXPECT_EQ(rounds, 1);
  EXPECT_EQ(t.synthetic(), eth4(tools::ipv4({}, kSrc4, kDst4, 4, inner, 101)));  // outer length and checksum fixed
  expect_udp(t.out, data);
  EXPECT_EQ(t.r.stats().completed, 2u);
  EXPECT_TRUE(t.anomalies.empty());
}

TEST(FragmentNested, InnerFragmentsFixTunnelLengths) {
  const Frame data = payload(100, 5);
  const Frame inner = udp4(data, 77, kInnerDst);
  const std::vector<Frame> pieces = {frag4_bytes(inner, 0, slice(inner, 20, 0, 64), true),
                                     frag4_bytes(inner, 64, slice(inner, 20, 64, 44), false)};
  const Frame vxlan_head = {0x08, 0, 0, 0, 0, 0x30, 0x39, 0};
  auto over_vxlan = [&](const Frame& ip) {
    return tools::ipv4(tools::ethernet(kMacB, kMacA, 0x0800), kSrc4, kDst4, 17,
                       tools::udp(4789, 4789, join(vxlan_head, eth4(ip))));
  };
  auto over_ipv6 = [&](const Frame& ip) { return eth6(tools::ipv6({}, kSrc6, kDst6, 4, ip)); };

  Feeder t;
  EXPECT_EQ(t.feed(over_vxlan(pieces[1])), Outcome::kHeld);
  EXPECT_EQ(t.feed(over_vxlan(pieces[0])), Outcome::kComplete);
  Frame expected = over_vxlan(inner);
  tools::set16(expected, 14 + 20 + 6, 0);  // the outer UDP checksum is zeroed, not invented
  EXPECT_EQ(t.synthetic(), expected);
  expect_udp(t.out, data);

  EXPECT_EQ(t.feed(over_ipv6(pieces[0])), Outcome::kHeld);
  EXPECT_EQ(t.feed(over_ipv6(pieces[1])), Outcome::kComplete);
  EXPECT_EQ(t.synthetic(), over_ipv6(inner));
  expect_udp(t.out, data);
}

}  // namespace
}  // namespace pcapscope::session
