// Capture filters (OpenOptions::bpf): compiled by libpcap, applied by the
// timeline before decoding, frame numbers kept, rejections counted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../tools/packet_builder.h"
#include "capture/bpf_filter.h"
#include "capture_test_util.h"
#include "pcapscope/capture.h"
#include "pcapscope/writer.h"

namespace pcapscope {
namespace {

using namespace pcapscope::test;
namespace tb = pcapscope::tools;

const tb::Mac kMacA{2, 0, 0, 0, 0, 1}, kMacB{2, 0, 0, 0, 0, 2};

tb::Frame eth4(const tb::Ip4& src, const tb::Ip4& dst, std::uint8_t proto, const tb::Frame& l4) {
  return tb::ipv4(tb::ethernet(kMacB, kMacA, 0x0800), src, dst, proto, l4);
}

tb::TcpSegment segment(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
  tb::TcpSegment s;
  s.sport = sport;
  s.dport = dport;
  s.flags = flags;
  return s;
}

// Six Ethernet frames: what each test expression should pick is easy to see.
std::vector<tb::Frame> sample_frames() {
  const tb::Ip4 a{10, 0, 0, 1}, b{10, 0, 0, 2}, c{10, 0, 0, 3}, dns{10, 0, 0, 53}, d{10, 0, 0, 9};
  const tb::Ip6 v6a{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const tb::Ip6 v6b{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  std::vector<tb::Frame> f;
  f.push_back(eth4(a, b, 6, tb::tcp(segment(40000, 80, tb::tcpf::kSyn))));                            // 1 tcp, host a
  f.push_back(eth4(c, dns, 17, tb::udp(5353, 53, tb::dns(7, "example.com", nullptr))));               // 2 udp 53
  f.push_back(eth4(d, a, 1, tb::icmp_echo(true, 1, 1, "ping")));                                      // 3 icmp, host a
  f.push_back(eth4(b, a, 6, tb::tcp(segment(80, 40000, tb::tcpf::kSyn | tb::tcpf::kAck))));            // 4 tcp, host a
  f.push_back(eth4(c, b, 17, tb::udp(123, 123, tb::Frame(48, 0))));                                   // 5 udp 123
  f.push_back(tb::ipv6(tb::ethernet(kMacB, kMacA, 0x86dd), v6a, v6b, 17, tb::udp(5353, 53, tb::Frame(12, 0))));  // 6 udp 53 v6
  return f;
}

// Writes FRAMES with pcapscope's writer, one a second from TS0.
std::string write_pcap(const std::string& name, const std::vector<tb::Frame>& frames, std::uint64_t ts0_s = 1700000000) {
  const std::string path = (tmp_dir() / name).string();
  Interface iface;
  iface.link_type = linktype::kEthernet;
  iface.snaplen = 65535;
  auto w = CaptureWriter::create(path, WriteFormat::kPcap, {iface}, true);
  EXPECT_TRUE(w.ok()) << w.error().message;
  for (std::size_t i = 0; i < frames.size(); ++i)
    EXPECT_TRUE((*w)->write(tb::frame_packet(frames[i], (ts0_s + 2 * i) * 1000000)).ok());
  EXPECT_TRUE((*w)->close().ok());
  return path;
}

Result<Timeline> open_filtered(const std::vector<std::string>& paths, const std::string& bpf) {
  OpenOptions o;
  o.bpf = bpf;
  return Timeline::open(paths, o);
}

std::vector<std::uint64_t> frames_passed(Timeline& tl) {
  std::vector<std::uint64_t> out;
  Packet p;
  while (tl.next(p)) out.push_back(p.frame);
  return out;
}

std::vector<std::uint64_t> frames_for(const std::vector<std::string>& paths, const std::string& bpf) {
  auto tl = open_filtered(paths, bpf);
  EXPECT_TRUE(tl.ok()) << tl.error().message;
  return tl.ok() ? frames_passed(*tl) : std::vector<std::uint64_t>{};
}

using Frames = std::vector<std::uint64_t>;

TEST(Bpf, SyntaxErrorIsLibpcapsMessage) {
  auto f = BpfFilter::create("tcp and");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("syntax error"), std::string::npos) << f.error().message;
  EXPECT_FALSE(BpfFilter::create("port 99999").ok());
  EXPECT_TRUE(BpfFilter::create("tcp[tcpflags] & tcp-syn != 0").ok());
}

TEST(Bpf, HostNamesAreRefusedNotResolved) {
  for (const char* e : {"host mail.example.com", "tcp and src evil.example", "dst host gw1", "net intranet",
                        "tcp and (host example.com or port 80)", "gateway router"}) {
    auto f = BpfFilter::create(e);
    ASSERT_FALSE(f.ok()) << e;
    EXPECT_NE(f.error().message.find("resolves no names"), std::string::npos) << f.error().message;
  }
  for (const char* e : {"host 10.0.0.1", "net 10.0.0.0/8", "net 192.168", "src host fe80::1", "ether host 00:11:22:33:44:55",
                        "ether src 0011.2233.4455", "port http", "src port 53 and dst net 10.0.0.0 mask 255.0.0.0",
                        "ip6 and dst host 2001:db8::1", "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0"}) {
    EXPECT_TRUE(BpfFilter::create(e).ok()) << e;
  }
}

TEST(Bpf, SyntaxErrorWinsOverAnUnreadableOrEmptyInput) {
  const std::string empty = write_tmp("bpf-empty.pcap", {});
  for (const std::string& path : {empty, (tmp_dir() / "bpf-no-such-file.pcap").string()}) {
    auto tl = open_filtered({path}, "tcp port");
    ASSERT_FALSE(tl.ok());
    EXPECT_EQ(tl.error().message.rfind("--bpf: ", 0), 0u) << tl.error().message;
    EXPECT_EQ(tl.error().message.find(path), std::string::npos) << "a syntax error is not the file's";
  }
}

TEST(Bpf, FiltersKeepTheEvidencesFrameNumbers) {
  const std::string path = write_pcap("bpf-sample.pcap", sample_frames());
  EXPECT_EQ(frames_for({path}, "tcp"), (Frames{1, 4}));
  EXPECT_EQ(frames_for({path}, "udp port 53"), (Frames{2, 6}));
  EXPECT_EQ(frames_for({path}, "host 10.0.0.1"), (Frames{1, 3, 4}));
  EXPECT_EQ(frames_for({path}, "ip6"), (Frames{6}));
  EXPECT_EQ(frames_for({path}, "tcp[tcpflags] & tcp-ack != 0"), (Frames{4}));
  EXPECT_EQ(frames_for({path}, "arp"), (Frames{}));
  EXPECT_EQ(frames_for({path}, ""), (Frames{1, 2, 3, 4, 5, 6}));
}

TEST(Bpf, CountsReadAndRejected) {
  const std::string path = write_pcap("bpf-count.pcap", sample_frames());
  auto tl = open_filtered({path}, "udp");
  ASSERT_TRUE(tl.ok());
  EXPECT_TRUE(tl->has_bpf());
  Packet p;
  ASSERT_TRUE(tl->next(p));
  EXPECT_EQ(p.frame, 2u);
  EXPECT_EQ(tl->packets_read(), 2u);
  EXPECT_EQ(tl->bpf_rejected(), 1u);
  // Times relative to the evidence start from frame 1, which was filtered out.
  EXPECT_EQ(tl->first_ts_ns(), 1700000000LL * 1000000000LL);
  EXPECT_EQ(frames_passed(*tl), (Frames{5, 6}));
  EXPECT_EQ(tl->packets_read(), 6u);
  EXPECT_EQ(tl->bpf_rejected(), 3u);
  EXPECT_TRUE(tl->bpf_skipped_link_types().empty());

  auto plain = Timeline::open({path});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_bpf());
  EXPECT_EQ(frames_passed(*plain).size(), 6u);
  EXPECT_EQ(plain->bpf_rejected(), 0u);
}

TEST(Bpf, MergedInputsAreNumberedBeforeFiltering) {
  // Second file's packets fall between the first's (odd seconds): the
  // timeline interleaves them, and numbers come from the merged order.
  const std::string a = write_pcap("bpf-merge-a.pcap", sample_frames());
  const std::string b = write_pcap("bpf-merge-b.pcap", sample_frames(), 1700000001);
  EXPECT_EQ(frames_for({a, b}, "tcp"), (Frames{1, 2, 7, 8}));
  EXPECT_EQ(frames_for({a, b}, "ip6"), (Frames{11, 12}));
}

TEST(Bpf, LenIsTheLengthOnTheWire) {
  PcapFile f(false, false, 65535, linktype::kEthernet);
  const tb::Frame small = sample_frames()[0];
  f.record(1700000000, 0, small, 1500).record(1700000001, 0, small);
  const std::string path = write_tmp("bpf-len.pcap", f.bytes);
  EXPECT_EQ(frames_for({path}, "len > 100"), (Frames{1}));
  EXPECT_EQ(frames_for({path}, "len <= 100"), (Frames{2}));
}

TEST(Bpf, RawIpFileLinkTypesCompileAsLibpcapReadsThem) {
  // LINKTYPE_RAW (101) is DLT_RAW (12 here) to libpcap; 12 and 14 are what
  // BSDs write for it. All three decode as raw IP, and filter so too.
  tb::Frame ip = sample_frames()[0];
  ip.erase(ip.begin(), ip.begin() + 14);
  for (std::uint32_t lt : {linktype::kRaw, linktype::kRawBsd12, linktype::kRawBsd14, linktype::kIpv4}) {
    PcapFile f(false, false, 65535, lt);
    f.record(1700000000, 0, ip);
    const std::string path = write_tmp("bpf-raw-" + std::to_string(lt) + ".pcap", f.bytes);
    EXPECT_EQ(frames_for({path}, "tcp dst port 80"), (Frames{1})) << "link type " << lt;
    EXPECT_EQ(frames_for({path}, "udp"), (Frames{})) << "link type " << lt;
  }
}

TEST(Bpf, FirstInterfacesLinkTypeThatCannotBeFilteredFailsAtOpen) {
  PcapFile f(false, false, 65535, 227);  // SocketCAN: libpcap has no filtering for it
  f.record(1700000000, 0, payload(16, 1));
  const std::string path = write_tmp("bpf-can.pcap", f.bytes);
  auto tl = open_filtered({path}, "tcp");
  ASSERT_FALSE(tl.ok());
  const std::string& m = tl.error().message;
  EXPECT_EQ(m.rfind("--bpf: " + path + ": link type 227 (SocketCAN): ", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(Bpf, LaterInterfaceThatCannotBeFilteredIsRejectedAndCounted) {
  // Ethernet interface first; a SocketCAN interface declared mid-file.
  const tb::Frame eth = sample_frames()[0];
  PcapngFile f;
  f.shb(false).idb(linktype::kEthernet, 0).epb(0, 1, eth).idb(227, 0).epb(1, 2, payload(16, 1)).epb(1, 3, payload(16, 2));
  f.epb(0, 4, eth);
  const std::string path = write_tmp("bpf-two-links.pcapng", f.bytes);
  auto tl = open_filtered({path}, "tcp");
  ASSERT_TRUE(tl.ok()) << tl.error().message;
  EXPECT_EQ(frames_passed(*tl), (Frames{1, 4}));
  EXPECT_EQ(tl->bpf_rejected(), 2u);
  auto skipped = tl->bpf_skipped_link_types();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].link_type, 227u);
  EXPECT_EQ(skipped[0].packets, 2u);
  EXPECT_FALSE(skipped[0].message.empty());
}

TEST(Bpf, FilterObjectCountsPerLinkTypeOnItsOwn) {
  // The form `info` uses, over a CaptureReader: no numbering, same programs.
  auto f = BpfFilter::create("udp");
  ASSERT_TRUE(f.ok());
  const auto frames = sample_frames();
  Packet p = tb::frame_packet(frames[1], 1);
  EXPECT_TRUE((*f)->matches(p, 0));
  p = tb::frame_packet(frames[0], 2);
  EXPECT_FALSE((*f)->matches(p, 0));
  p.link_type = 189;  // USB Linux: compiled on first sight, fails, rejects
  EXPECT_FALSE((*f)->matches(p, 0));
  ASSERT_EQ((*f)->skipped_link_types().size(), 1u);
  EXPECT_TRUE((*f)->prepare(linktype::kLinuxSll, 0).ok());
  auto bad = (*f)->prepare(189, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("link type 189 (", 0), 0u) << bad.error().message;
}

}  // namespace
}  // namespace pcapscope
