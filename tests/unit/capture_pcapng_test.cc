// pcapng reading: sections, byte orders, interfaces, resolutions, block kinds, damage.
#include <gtest/gtest.h>

#include "unit/capture_test_util.h"

namespace pcapscope::test {
namespace {

std::unique_ptr<CaptureReader> open_ok(const std::string& path) {
  auto r = CaptureReader::open(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : nullptr;
}

// Section 1 (little-endian): Ethernet in milliseconds with a 100 s offset and a
// raw-IP interface in 2^-10 s; section 2 (big-endian): Linux SLL in nanoseconds.
PcapngFile two_sections() {
  PcapngFile f;
  f.shb(false)
      .idb(1, 0, 3, 100, "eth0")
      .idb(101, 96, 0x80 | 10)
      .epb(0, 1500, payload(60, 0))
      .block(4, ByteVec(8, 0))     // NRB
      .epb(1, 2048, payload(50, 1), 80)
      .block(0xBAD, ByteVec(12, 7))  // custom
      .block(0x12345, ByteVec(4, 0)) // unknown
      .spb(200, payload(200, 2))     // caplen limited by snaplen 0 -> block room: 200
      .pb(1, 1024, payload(30, 3));
  f.shb(true)
      .idb(113, 65535, 9)
      .epb(0, 1700000000123456789ull, payload(44, 4))
      .block(5, ByteVec(16, 0))  // ISB
      .spb(1000, payload(64, 5));  // caplen limited by the block room
  return f;
}

TEST(Pcapng, TwoSectionsBothByteOrdersAllPacketBlocks) {
  PcapngFile f = two_sections();
  auto r = open_ok(write_tmp("two.pcapng", f.bytes));
  ASSERT_TRUE(r);
  // Leading IDBs are read at open, before any packet.
  EXPECT_EQ(r->summary().interfaces.size(), 2u);
  auto pkts = read_all(*r);
  const FileSummary& s = r->summary();
  ASSERT_EQ(pkts.size(), 6u);
  EXPECT_EQ(s.format, CaptureFormat::kPcapng);
  EXPECT_EQ(s.sections, 2u);
  EXPECT_FALSE(s.big_endian);
  EXPECT_EQ(s.skipped_blocks, 4u);
  EXPECT_TRUE(s.damaged.empty());
  ASSERT_EQ(s.interfaces.size(), 3u);
  EXPECT_EQ(s.interfaces[0].name, "eth0");
  EXPECT_EQ(s.interfaces[0].tsresol.raw, 3);
  EXPECT_EQ(s.interfaces[0].tsoffset_sec, 100);
  EXPECT_EQ(s.interfaces[1].snaplen, 96u);
  EXPECT_EQ(s.interfaces[2].link_type, 113u);
  EXPECT_EQ(s.interfaces[2].section, 1u);

  EXPECT_EQ(pkts[0].p.ts_ns, 101500000000);  // 1500 ms + 100 s
  EXPECT_EQ(pkts[0].p.ts_ticks, 1500u);
  EXPECT_EQ(pkts[0].p.link_type, 1u);
  EXPECT_EQ(pkts[0].data, payload(60, 0));
  EXPECT_EQ(pkts[1].p.ts_ns, 2000000000);  // 2048 / 1024 s
  EXPECT_EQ(pkts[1].p.interface, 1u);
  EXPECT_EQ(pkts[1].p.link_type, 101u);
  EXPECT_EQ(pkts[1].p.orig_len, 80u);
  EXPECT_EQ(pkts[2].p.interface, 0u);  // SPB: interface 0 of its section
  EXPECT_EQ(pkts[2].data.size(), 200u);
  EXPECT_EQ(pkts[2].p.orig_len, 200u);
  EXPECT_EQ(pkts[3].p.interface, 1u);  // obsolete PB
  EXPECT_EQ(pkts[3].p.ts_ns, 1000000000);
  EXPECT_EQ(pkts[3].data, payload(30, 3));
  EXPECT_EQ(pkts[4].p.interface, 2u);
  EXPECT_EQ(pkts[4].p.link_type, 113u);
  EXPECT_EQ(pkts[4].p.ts_ns, 1700000000123456789);
  EXPECT_EQ(pkts[4].data, payload(44, 4));
  EXPECT_EQ(pkts[5].data.size(), 64u);
  EXPECT_EQ(pkts[5].p.orig_len, 1000u);
  for (std::size_t i = 0; i < pkts.size(); ++i) EXPECT_EQ(pkts[i].p.frame, i + 1);
  EXPECT_EQ(pkts[0].p.offset, f.offsets[3]);
}

TEST(Pcapng, SpbCaplenLimitedBySnaplen) {
  PcapngFile f;
  f.shb(false).idb(1, 64).spb(100, payload(100, 9));
  auto r = open_ok(write_tmp("spb.pcapng", f.bytes));
  ASSERT_TRUE(r);
  auto pkts = read_all(*r);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0].data.size(), 64u);
  EXPECT_EQ(pkts[0].p.orig_len, 100u);
}

PcapngFile five_epbs() {
  PcapngFile f;
  f.shb(false).idb(1, 0);
  for (std::uint8_t i = 0; i < 5; ++i) f.epb(0, 1000000ull * i, payload(60 + i, i));
  return f;
}

std::vector<std::uint8_t> tags(const std::vector<Copied>& pkts) {
  std::vector<std::uint8_t> t;
  for (const auto& c : pkts) t.push_back(c.data.empty() ? 0xff : c.data[0]);
  return t;
}

TEST(PcapngDamage, BadBlockLengthIsSkippedToTheNextBlock) {
  PcapngFile f = five_epbs();
  std::size_t bad = f.offsets[4];  // third EPB
  f.bytes[bad + 4] = 0x35;         // length no longer a multiple of 4
  for (const ByteVec& data : {f.bytes, gzip(f.bytes)}) {
    auto r = open_ok(write_tmp("badlen.pcapng", data));
    ASSERT_TRUE(r);
    auto pkts = read_all(*r);
    EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 3, 4}));
    ASSERT_EQ(r->summary().damaged.size(), 1u);
    EXPECT_EQ(r->summary().damaged[0].offset, bad);
    EXPECT_EQ(r->summary().damaged[0].length, f.offsets[5] - bad);
    EXPECT_EQ(r->summary().damaged[0].reason, "pcapng_bad_block_length");
  }
}

TEST(PcapngDamage, AGoodBlockBetweenTwoBrokenOnesIsKept) {
  // Zero length, then a good EPB, then a block of length 4 (no room for its own trailer), then a good EPB:
  // each good block is found again although the block after it is broken too.
  PcapngFile f;
  f.shb(false).idb(1, 0).epb(0, 1, payload(40, 0));
  ByteVec zero;
  put32(zero, 6, false);
  put32(zero, 0, false);
  put32(zero, 0, false);
  f.bytes.insert(f.bytes.end(), zero.begin(), zero.end());
  f.epb(0, 2, payload(40, 1));
  ByteVec four;
  put32(four, 6, false);
  put32(four, 4, false);
  f.bytes.insert(f.bytes.end(), four.begin(), four.end());
  f.epb(0, 3, payload(40, 2)).epb(0, 4, payload(40, 3));
  auto r = open_ok(write_tmp("between.pcapng", f.bytes));
  ASSERT_TRUE(r);
  EXPECT_EQ(tags(read_all(*r)), (std::vector<std::uint8_t>{0, 1, 2, 3}));
  ASSERT_EQ(r->summary().damaged.size(), 2u);
  EXPECT_EQ(r->summary().damaged[0].length, 12u);
  EXPECT_EQ(r->summary().damaged[1].length, 8u);
}

TEST(PcapngDamage, TrailingLengthMismatchIsDamage) {
  PcapngFile f = five_epbs();
  std::size_t bad = f.offsets[3];
  f.bytes[f.offsets[4] - 4] ^= 0x40;  // trailing length of the second EPB
  auto r = open_ok(write_tmp("trailer.pcapng", f.bytes));
  ASSERT_TRUE(r);
  EXPECT_EQ(tags(read_all(*r)), (std::vector<std::uint8_t>{0, 2, 3, 4}));
  ASSERT_EQ(r->summary().damaged.size(), 1u);
  EXPECT_EQ(r->summary().damaged[0].offset, bad);
  EXPECT_EQ(r->summary().damaged[0].length, f.offsets[4] - bad);
}

TEST(PcapngDamage, UnknownInterfaceAndOversizedCaplenSkipOnlyTheirBlock) {
  PcapngFile f = five_epbs();
  f.bytes[f.offsets[3] + 8] = 7;     // interface 7 of 1
  f.bytes[f.offsets[5] + 20] = 200;  // caplen 200 in a 64-byte packet block
  auto r = open_ok(write_tmp("iface.pcapng", f.bytes));
  ASSERT_TRUE(r);
  EXPECT_EQ(tags(read_all(*r)), (std::vector<std::uint8_t>{0, 2, 4}));
  const auto& d = r->summary().damaged;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].offset, f.offsets[3]);
  EXPECT_EQ(d[0].length, f.offsets[4] - f.offsets[3]);
  EXPECT_EQ(d[0].reason, "pcapng_unknown_interface");
  EXPECT_EQ(d[1].offset, f.offsets[5]);
  EXPECT_EQ(d[1].reason, "pcapng_caplen_exceeds_block");
}

TEST(PcapngDamage, FileCutMidBlockIsTruncatedRecord) {
  PcapngFile f = five_epbs();
  std::size_t last = f.offsets[6];
  ByteVec cut(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(last + 30));
  for (const ByteVec& data : {cut, zstd(cut)}) {
    auto r = open_ok(write_tmp("cut.pcapng", data));
    ASSERT_TRUE(r);
    EXPECT_EQ(read_all(*r).size(), 4u);
    ASSERT_EQ(r->summary().damaged.size(), 1u);
    EXPECT_EQ(r->summary().damaged[0].offset, last);
    EXPECT_EQ(r->summary().damaged[0].length, 30u);
    EXPECT_EQ(r->summary().damaged[0].reason, "truncated_record");
  }
}

TEST(PcapngDamage, EpbOverSnaplenIsReadAndFlagged) {
  PcapngFile f;
  f.shb(true).idb(1, 32).epb(0, 1, payload(60, 0)).epb(0, 2, payload(20, 1), 10);
  auto r = open_ok(write_tmp("flags.pcapng", f.bytes));
  ASSERT_TRUE(r);
  auto pkts = read_all(*r);
  ASSERT_EQ(pkts.size(), 2u);
  EXPECT_EQ(pkts[0].p.record_flags, record_flag::kCaplenOverSnaplen);
  EXPECT_EQ(pkts[1].p.record_flags, record_flag::kOrigLenUnderCaplen);
  EXPECT_EQ(r->summary().record_anomalies, 2u);
  EXPECT_TRUE(r->summary().big_endian);
}

TEST(PcapngOpen, ShortFileIsAnError) {
  PcapngFile f = five_epbs();
  ByteVec cut(f.bytes.begin(), f.bytes.begin() + 20);
  EXPECT_FALSE(CaptureReader::open(write_tmp("short.pcapng", cut)).ok());
}

}  // namespace
}  // namespace pcapscope::test
