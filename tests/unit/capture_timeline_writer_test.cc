// Timeline merge order and numbering; writer round trips.
#include <gtest/gtest.h>

#include <filesystem>

#include "pcapscope/writer.h"
#include "unit/capture_test_util.h"

namespace pcapscope::test {
namespace {

TEST(Timeline, MergesByTimeKeepsFileOrderOnTiesAndWithinFiles) {
  PcapFile a(false, false);
  a.record(10, 0, payload(20, 0xA0)).record(30, 0, payload(20, 0xA1)).record(20, 0, payload(20, 0xA2));  // goes back
  PcapFile b(false, true);
  b.record(10, 0, payload(20, 0xB0)).record(25, 0, payload(20, 0xB1));
  PcapngFile c;
  c.shb(false).idb(101, 0).epb(0, 15000000, payload(20, 0xC0)).idb(113, 0).epb(1, 40000000, payload(20, 0xC1));
  auto t = Timeline::open({write_tmp("ta.pcap", a.bytes), write_tmp("tb.pcap", b.bytes), write_tmp("tc.pcapng", c.bytes)});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->file_count(), 3u);
  std::vector<std::uint8_t> order;
  std::vector<std::uint32_t> sources, ifaces;
  Packet p;
  std::uint64_t frame = 0;
  while (t->next(p)) {
    order.push_back(p.data[0]);
    sources.push_back(p.source);
    ifaces.push_back(p.interface);
    EXPECT_EQ(p.frame, ++frame);
  }
  // A at 30 precedes its own record at 20: only a file's head competes.
  EXPECT_EQ(order, (std::vector<std::uint8_t>{0xA0, 0xB0, 0xC0, 0xB1, 0xA1, 0xA2, 0xC1}));
  EXPECT_EQ(sources, (std::vector<std::uint32_t>{0, 1, 2, 1, 0, 0, 2}));
  // Interfaces: a=0, b=1, c's first=2; c's second IDB appears mid-file -> 3.
  EXPECT_EQ(ifaces, (std::vector<std::uint32_t>{0, 1, 2, 1, 0, 0, 3}));
  ASSERT_EQ(t->interfaces().size(), 4u);
  EXPECT_EQ(t->interfaces()[3].link_type, 113u);
  EXPECT_EQ(t->summary(2).interfaces.size(), 2u);
}

TEST(Timeline, PacketStaysValidUntilNextCall) {
  PcapFile a(false, false);
  a.record(1, 0, payload(20, 1)).record(3, 0, payload(20, 3));
  PcapFile b(false, false);
  b.record(2, 0, payload(20, 2)).record(4, 0, payload(20, 4));
  auto t = Timeline::open({write_tmp("va.pcap.gz", gzip(a.bytes)), write_tmp("vb.pcap.zst", zstd(b.bytes))});
  ASSERT_TRUE(t.ok());
  Packet p;
  for (std::uint8_t want = 1; want <= 4; ++want) {
    ASSERT_TRUE(t->next(p));
    EXPECT_EQ(ByteVec(p.data.begin(), p.data.end()), payload(20, want));
  }
  EXPECT_FALSE(t->next(p));
}

TEST(Timeline, OpenErrorNamesTheFile) {
  std::string missing = (tmp_dir() / "missing.pcap").string();
  auto t = Timeline::open({missing});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind(missing + ": ", 0), 0u);
}

std::string fresh(const std::string& name) {
  std::filesystem::path p = tmp_dir() / name;
  std::filesystem::remove(p);
  return p.string();
}

std::vector<Copied> copy_through(const std::string& in, const std::string& out, WriteFormat fmt) {
  auto r = CaptureReader::open(in);
  EXPECT_TRUE(r.ok());
  auto w = CaptureWriter::create(out, fmt, (*r)->summary().interfaces);
  EXPECT_TRUE(w.ok()) << w.error().message;
  Packet p;
  while ((*r)->next(p)) EXPECT_TRUE((*w)->write(p).ok());
  EXPECT_TRUE((*w)->close().ok());
  auto back = CaptureReader::open(out);
  EXPECT_TRUE(back.ok());
  return read_all(**back);
}

TEST(Writer, PcapMicrosecondsRoundTrip) {
  PcapFile f(true, false, 1500, 113);
  f.record(1700000000, 999999, payload(60, 1), 900).record(1700000001, 1, payload(33, 2));
  std::string in = write_tmp("w-us.pcap", f.bytes);
  std::string out = fresh("w-us-out.pcap");
  auto before = CaptureReader::open(in);
  auto want = read_all(**before);
  auto got = copy_through(in, out, WriteFormat::kPcap);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].data, want[i].data);
    EXPECT_EQ(got[i].p.ts_ns, want[i].p.ts_ns);
    EXPECT_EQ(got[i].p.ts_ticks, want[i].p.ts_ticks);
    EXPECT_EQ(got[i].p.orig_len, want[i].p.orig_len);
    EXPECT_EQ(got[i].p.link_type, 113u);
  }
  auto again = CaptureReader::open(out);
  EXPECT_EQ((*again)->summary().format, CaptureFormat::kPcap);
  EXPECT_EQ((*again)->summary().interfaces[0].snaplen, 1500u);
}

TEST(Writer, PcapNanosecondsRoundTrip) {
  PcapFile f(false, true);
  f.record(1700000000, 123456789, payload(60, 1));
  std::string out = fresh("w-ns-out.pcap");
  auto got = copy_through(write_tmp("w-ns.pcap", f.bytes), out, WriteFormat::kPcap);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].p.ts_ns, 1700000000123456789);
  auto back = CaptureReader::open(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->summary().format, CaptureFormat::kPcapNsec);
}

TEST(Writer, PcapngKeepsLinkTypesResolutionsAndOffsets) {
  PcapngFile f;
  f.shb(true).idb(1, 0, 3, 100, "eth0").idb(101, 96, 0x80 | 10);
  f.epb(0, 1500, payload(60, 0)).epb(1, 2049, payload(50, 1), 80);
  std::string in = write_tmp("w.pcapng", f.bytes);
  std::string out = fresh("w-out.pcapng");
  EXPECT_EQ(write_format_for_path(out), WriteFormat::kPcapng);
  auto got = copy_through(in, out, WriteFormat::kPcapng);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].p.ts_ticks, 1500u);
  EXPECT_EQ(got[0].p.ts_ns, 101500000000);
  EXPECT_EQ(got[1].p.ts_ticks, 2049u);
  EXPECT_EQ(got[1].p.link_type, 101u);
  EXPECT_EQ(got[1].p.orig_len, 80u);
  EXPECT_EQ(got[1].data, payload(50, 1));
  auto back = CaptureReader::open(out);
  const auto& itfs = (*back)->summary().interfaces;
  ASSERT_EQ(itfs.size(), 2u);
  EXPECT_EQ(itfs[0].name, "eth0");
  EXPECT_EQ(itfs[0].tsresol.raw, 3);
  EXPECT_EQ(itfs[0].tsoffset_sec, 100);
  EXPECT_EQ(itfs[1].tsresol.raw, 0x80 | 10);
  EXPECT_EQ(itfs[1].snaplen, 96u);
}

TEST(Writer, PcapRefusesASecondLinkType) {
  PcapngFile f;
  f.shb(false).idb(1, 0).idb(101, 0).epb(0, 1, payload(60, 0)).epb(1, 2, payload(50, 1));
  auto r = CaptureReader::open(write_tmp("two-lt.pcapng", f.bytes));
  auto w = CaptureWriter::create(fresh("two-lt.pcap"), WriteFormat::kPcap, (*r)->summary().interfaces);
  ASSERT_TRUE(w.ok());
  Packet p;
  ASSERT_TRUE((*r)->next(p));
  EXPECT_TRUE((*w)->write(p).ok());
  ASSERT_TRUE((*r)->next(p));
  auto res = (*w)->write(p);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().message, "pcap holds one link type; write .pcapng to keep several");
  EXPECT_TRUE((*w)->close().ok());
}

TEST(Writer, RefusesToOverwriteUnlessAsked) {
  std::string path = write_tmp("exists.pcap", ByteVec{1, 2, 3});
  EXPECT_FALSE(CaptureWriter::create(path, WriteFormat::kPcap, {}).ok());
  EXPECT_EQ(std::filesystem::file_size(path), 3u);
  auto w = CaptureWriter::create(path, WriteFormat::kPcap, {}, true);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->close().ok());
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
  EXPECT_EQ(write_format_for_path("x.PCAPNG"), WriteFormat::kPcapng);
  EXPECT_EQ(write_format_for_path("x.ntar"), WriteFormat::kPcapng);
  EXPECT_EQ(write_format_for_path("x.cap"), WriteFormat::kPcap);
}

}  // namespace
}  // namespace pcapscope::test
