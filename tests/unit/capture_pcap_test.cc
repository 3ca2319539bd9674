// Classic pcap reading: magics, byte orders, compression, stdin, damage recovery.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "unit/capture_test_util.h"

namespace pcapscope::test {
namespace {

std::unique_ptr<CaptureReader> open_ok(const std::string& path) {
  auto r = CaptureReader::open(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : nullptr;
}

struct MagicCase {
  bool be;
  bool nsec;
};

class PcapMagicTest : public ::testing::TestWithParam<MagicCase> {};

TEST_P(PcapMagicTest, ReadsRecordsInEitherResolutionAndByteOrder) {
  const MagicCase c = GetParam();
  // FCS bits above the link type (LT_FCS_LENGTH) must be masked off.
  PcapFile f(c.be, c.nsec, 65535, 0x14000001);
  std::uint32_t frac = c.nsec ? 123456789 : 123456;
  f.record(1700000000, frac, payload(60, 1), 1514).record(1700000001, 0, payload(42, 2));
  // One file per case: ctest runs the cases as separate processes at once.
  auto r = open_ok(write_tmp(std::string("magic-") + (c.be ? "be" : "le") + (c.nsec ? "-ns" : "-us") + ".pcap", f.bytes));
  ASSERT_TRUE(r);
  auto pkts = read_all(*r);
  ASSERT_EQ(pkts.size(), 2u);
  EXPECT_EQ(pkts[0].p.ts_ns, 1700000000LL * 1000000000 + (c.nsec ? 123456789 : 123456000));
  EXPECT_EQ(pkts[0].p.ts_ticks, 1700000000ull * (c.nsec ? 1000000000 : 1000000) + frac);
  EXPECT_EQ(pkts[0].p.orig_len, 1514u);
  EXPECT_EQ(pkts[0].data, payload(60, 1));
  EXPECT_EQ(pkts[0].p.link_type, 1u);
  EXPECT_EQ(pkts[0].p.frame, 1u);
  EXPECT_EQ(pkts[0].p.offset, 24u);
  EXPECT_EQ(pkts[1].p.frame, 2u);
  EXPECT_EQ(pkts[1].p.offset, 24u + 16 + 60);
  EXPECT_EQ(pkts[1].data, payload(42, 2));
  const FileSummary& s = r->summary();
  EXPECT_EQ(s.format, c.nsec ? CaptureFormat::kPcapNsec : CaptureFormat::kPcap);
  EXPECT_EQ(s.big_endian, c.be);
  EXPECT_EQ(s.version_major, 2);
  EXPECT_EQ(s.version_minor, 4);
  ASSERT_EQ(s.interfaces.size(), 1u);
  EXPECT_EQ(s.interfaces[0].snaplen, 65535u);
  EXPECT_EQ(s.interfaces[0].tsresol.raw, c.nsec ? 9 : 6);
  EXPECT_TRUE(s.damaged.empty());
  EXPECT_EQ(s.data_bytes, f.bytes.size());
}

INSTANTIATE_TEST_SUITE_P(Magics, PcapMagicTest,
                         ::testing::Values(MagicCase{false, false}, MagicCase{true, false}, MagicCase{false, true},
                                           MagicCase{true, true}));

PcapFile five_records() {
  PcapFile f(false, false);
  for (std::uint8_t i = 0; i < 5; ++i) f.record(1700000000 + i, 1000u * i, payload(60 + i, i));
  return f;
}

// Reads BYTES as a plain file, as gzip and as zstd; all three must agree, so
// the stream window's lookahead is exercised by every damage case.
std::vector<std::pair<std::vector<Copied>, FileSummary>> read_three_ways(const std::string& name, const ByteVec& bytes) {
  std::vector<std::pair<std::vector<Copied>, FileSummary>> out;
  for (const auto& [suffix, data] : {std::pair<std::string, ByteVec>{"", bytes}, {".gz", gzip(bytes)},
                                     {".zst", zstd(bytes)}}) {
    auto r = open_ok(write_tmp(name + suffix, data));
    if (!r) continue;
    auto pkts = read_all(*r);
    out.emplace_back(std::move(pkts), r->summary());
  }
  return out;
}

std::vector<std::uint8_t> tags(const std::vector<Copied>& pkts) {
  std::vector<std::uint8_t> t;
  for (const auto& c : pkts) t.push_back(c.data.empty() ? 0xff : c.data[0]);
  return t;
}

TEST(PcapDamage, SmashedCaplenIsSkippedAndEverythingAfterRecovered) {
  PcapFile f = five_records();
  f.smash(2, 2, 0xffffffff);
  for (auto& [pkts, s] : read_three_ways("smashed.pcap", f.bytes)) {
    EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 3, 4}));
    ASSERT_EQ(s.damaged.size(), 1u);
    EXPECT_EQ(s.damaged[0].offset, f.offsets[2]);
    EXPECT_EQ(s.damaged[0].length, f.offsets[3] - f.offsets[2]);
    EXPECT_EQ(s.damaged[0].reason, "pcap_caplen_too_large");
    EXPECT_EQ(pkts[2].p.frame, 3u);
    EXPECT_EQ(pkts[2].p.offset, f.offsets[3]);
  }
}

TEST(PcapDamage, OrigLenUnderCaplenWithBrokenChainIsDamage) {
  PcapFile f = five_records();
  f.smash(2, 2, 100);  // runs 38 bytes into record 3
  f.smash(2, 3, 10);
  for (auto& [pkts, s] : read_three_ways("origlen.pcap", f.bytes)) {
    EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 3, 4}));
    ASSERT_EQ(s.damaged.size(), 1u);
    EXPECT_EQ(s.damaged[0].offset, f.offsets[2]);
    EXPECT_EQ(s.damaged[0].length, f.offsets[3] - f.offsets[2]);
    EXPECT_EQ(s.damaged[0].reason, "pcap_origlen_under_caplen");
  }
}

TEST(PcapDamage, OrigLenUnderCaplenWithGoodChainIsAcceptedAndFlagged) {
  PcapFile f = five_records();
  f.smash(2, 3, 10);
  for (auto& [pkts, s] : read_three_ways("origlen-ok.pcap", f.bytes)) {
    ASSERT_EQ(pkts.size(), 5u);
    EXPECT_EQ(pkts[2].p.record_flags, record_flag::kOrigLenUnderCaplen);
    EXPECT_EQ(s.record_anomalies, 1u);
    EXPECT_TRUE(s.damaged.empty());
  }
}

TEST(PcapDamage, CaplenOverSnaplenFollowedByGoodRecordIsAccepted) {
  PcapFile f(false, false, 64);
  f.record(1700000000, 0, payload(40, 0)).record(1700000000, 5, payload(100, 1)).record(1700000001, 0, payload(40, 2));
  auto r = open_ok(write_tmp("oversnap.pcap", f.bytes));
  ASSERT_TRUE(r);
  auto pkts = read_all(*r);
  EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 2}));
  EXPECT_EQ(pkts[1].p.record_flags, record_flag::kCaplenOverSnaplen);
  EXPECT_EQ(r->summary().record_anomalies, 1u);
  EXPECT_TRUE(r->summary().damaged.empty());
}

TEST(PcapDamage, EveryRecordOverSnaplenIsStillRead) {
  // Real files whose header snaplen is smaller than what they hold: capinfos reads them.
  PcapFile f(false, false, 32);
  for (std::uint8_t i = 0; i < 4; ++i) f.record(1700000000, i, payload(60, i));
  auto r = open_ok(write_tmp("allover.pcap", f.bytes));
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(*r).size(), 4u);
  EXPECT_EQ(r->summary().record_anomalies, 4u);
  EXPECT_TRUE(r->summary().damaged.empty());
}

TEST(PcapDamage, FileCutMidRecordIsTruncatedRecord) {
  PcapFile f = five_records();
  ByteVec cut(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(f.offsets[4] + 16 + 10));
  for (auto& [pkts, s] : read_three_ways("cut.pcap", cut)) {
    EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 2, 3}));
    ASSERT_EQ(s.damaged.size(), 1u);
    EXPECT_EQ(s.damaged[0].offset, f.offsets[4]);
    EXPECT_EQ(s.damaged[0].length, 26u);
    EXPECT_EQ(s.damaged[0].reason, "truncated_record");
  }
}

TEST(PcapDamage, FileCutInsideRecordHeaderIsTruncatedRecord) {
  PcapFile f = five_records();
  ByteVec cut(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(f.offsets[4] + 7));
  auto r = open_ok(write_tmp("cut-hdr.pcap", cut));
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(*r).size(), 4u);
  ASSERT_EQ(r->summary().damaged.size(), 1u);
  EXPECT_EQ(r->summary().damaged[0].length, 7u);
  EXPECT_EQ(r->summary().damaged[0].reason, "truncated_record");
}

TEST(PcapDamage, GarbageRunBetweenRecordsIsOneRegion) {
  PcapFile f = five_records();
  ByteVec junk(1000, 0x5a);
  f.bytes.insert(f.bytes.begin() + static_cast<std::ptrdiff_t>(f.offsets[3]), junk.begin(), junk.end());
  for (auto& [pkts, s] : read_three_ways("junk.pcap", f.bytes)) {
    EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 2, 3, 4}));
    ASSERT_EQ(s.damaged.size(), 1u);
    EXPECT_EQ(s.damaged[0].offset, f.offsets[3]);
    EXPECT_EQ(s.damaged[0].length, 1000u);
  }
}

TEST(PcapDamage, TimestampFarFromBothNeighboursWithBrokenChainIsDamage) {
  PcapFile f = five_records();
  f.smash(2, 0, 5);           // 1970: far from its neighbours
  f.smash(3, 2, 0x00100000);  // and the record after it is broken too
  auto r = open_ok(write_tmp("ts.pcap", f.bytes));
  ASSERT_TRUE(r);
  auto pkts = read_all(*r);
  EXPECT_EQ(tags(pkts), (std::vector<std::uint8_t>{0, 1, 4}));
  ASSERT_FALSE(r->summary().damaged.empty());
  EXPECT_EQ(r->summary().damaged[0].offset, f.offsets[2]);
  EXPECT_EQ(r->summary().damaged[0].reason, "pcap_timestamp_implausible");
}

TEST(PcapDamage, LargeStreamWithDamageAcrossWindowRefills) {
  // Several times the stream window (4 MiB), so compaction and refills happen
  // between a bad header and its resync point.
  PcapFile f(false, false);
  constexpr std::uint32_t kRecords = 40000;
  for (std::uint32_t i = 0; i < kRecords; ++i) f.record(1700000000 + i / 1000, i % 1000, payload(300, static_cast<std::uint8_t>(i)));
  const std::size_t smashed[] = {1, 13981, 13982, 27000, kRecords - 2};
  for (std::size_t i : smashed) f.smash(i, 2, 0xffffffff);
  for (auto& [pkts, s] : read_three_ways("large.pcap", f.bytes)) {
    EXPECT_EQ(pkts.size(), kRecords - std::size(smashed));
    ASSERT_EQ(s.damaged.size(), 4u);  // the two adjacent records are one region
    EXPECT_EQ(s.damaged[1].offset, f.offsets[13981]);
    EXPECT_EQ(s.damaged[1].length, f.offsets[13983] - f.offsets[13981]);
    EXPECT_EQ(s.data_bytes, f.bytes.size());
  }
}

TEST(PcapOpen, Errors) {
  EXPECT_FALSE(CaptureReader::open(write_tmp("empty.pcap", {})).ok());
  EXPECT_FALSE(CaptureReader::open(write_tmp("text.pcap", ByteVec(100, 'x'))).ok());
  EXPECT_FALSE(CaptureReader::open((tmp_dir() / "does-not-exist.pcap").string()).ok());
  PcapFile f = five_records();
  ByteVec header_cut(f.bytes.begin(), f.bytes.begin() + 20);
  auto r = CaptureReader::open(write_tmp("hdrcut.pcap", header_cut));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("header"), std::string::npos);
}

TEST(PcapCompressed, GzipMultiMemberAndZstdSizes) {
  PcapFile f = five_records();
  ByteVec first(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(f.offsets[2]));
  ByteVec rest(f.bytes.begin() + static_cast<std::ptrdiff_t>(f.offsets[2]), f.bytes.end());
  ByteVec gz = gzip(first);
  ByteVec gz2 = gzip(rest);
  gz.insert(gz.end(), gz2.begin(), gz2.end());  // cat a.gz b.gz
  auto r = open_ok(write_tmp("multi.pcap.gz", gz));
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(*r).size(), 5u);
  EXPECT_EQ(r->summary().compression, Compression::kGzip);
  EXPECT_EQ(r->summary().file_bytes, gz.size());
  EXPECT_EQ(r->summary().data_bytes, f.bytes.size());
  EXPECT_TRUE(r->summary().damaged.empty());

  ByteVec zs = zstd(f.bytes);
  auto z = open_ok(write_tmp("f.pcap.zst", zs));
  ASSERT_TRUE(z);
  EXPECT_EQ(read_all(*z).size(), 5u);
  EXPECT_EQ(z->summary().compression, Compression::kZstd);
  EXPECT_EQ(z->summary().file_bytes, zs.size());
  EXPECT_EQ(z->summary().data_bytes, f.bytes.size());
}

TEST(PcapCompressed, TruncatedGzipKeepsWhatWasReadAndSaysSo) {
  PcapFile f = five_records();
  ByteVec gz = gzip(f.bytes);
  gz.resize(gz.size() - 12);  // lose the trailer and some data
  auto r = open_ok(write_tmp("cut.pcap.gz", gz));
  ASSERT_TRUE(r);
  read_all(*r);
  ASSERT_FALSE(r->summary().damaged.empty());
  EXPECT_EQ(r->summary().damaged.back().reason, "compressed_stream_truncated");
}

std::size_t count_packets(CaptureReader& r) {
  Packet p;
  std::size_t n = 0;
  while (r.next(p)) ++n;
  return n;
}

// A decompression bomb: a pcap header, then zero bytes (empty records at time 0).
ByteVec zero_bomb(std::size_t zeros) {
  PcapFile f(false, false);
  ByteVec bytes = f.bytes;
  bytes.resize(bytes.size() + zeros, 0);
  return bytes;
}

TEST(PcapCompressed, DecompressedSizeBoundStopsExactlyThereAndSaysSo) {
  const ByteVec bomb = zero_bomb(8u << 20);
  for (const auto& [name, data] : {std::pair<std::string, ByteVec>{"bomb.pcap.gz", gzip(bomb)}, {"bomb.pcap.zst", zstd(bomb)}}) {
    OpenOptions o;
    o.max_decompressed_bytes = 1u << 20;
    auto r = CaptureReader::open(write_tmp(name, data), o);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(count_packets(**r), ((1u << 20) - 24) / 16) << name;  // every whole empty record before the bound
    EXPECT_EQ((*r)->summary().data_bytes, 1u << 20) << name;
    ASSERT_FALSE((*r)->summary().damaged.empty()) << name;
    EXPECT_EQ((*r)->summary().damaged.back().reason, "decompression_limit") << name;
    EXPECT_EQ((*r)->summary().damaged.back().offset, 1u << 20) << name;

    // Under the bound (the default), the same file reads to its end.
    auto whole = CaptureReader::open(write_tmp(name, data));
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(count_packets(**whole), (8u << 20) / 16) << name;
    EXPECT_TRUE((*whole)->summary().damaged.empty()) << name;
  }
}

TEST(PcapCompressed, CompressionRatioBoundStopsABombNotAFile) {
  // 80 MiB of zeros: ~1,000:1 under gzip, far more under zstd; the bound is
  // judged once past 64 MiB, so it stops there at a ratio of 500 and not at all at 0.
  const ByteVec bomb = zero_bomb(80u << 20);
  const ByteVec gz = gzip(bomb);
  const std::string path = write_tmp("ratio.pcap.gz", gz);
  OpenOptions o;
  o.max_compression_ratio = 500;
  auto r = CaptureReader::open(path, o);
  ASSERT_TRUE(r.ok());
  count_packets(**r);
  EXPECT_GE((*r)->summary().data_bytes, 64u << 20);
  EXPECT_LT((*r)->summary().data_bytes, 80u << 20);
  ASSERT_FALSE((*r)->summary().damaged.empty());
  EXPECT_EQ((*r)->summary().damaged.back().reason, "decompression_limit");

  o.max_compression_ratio = 0;  // no ratio check
  auto off = CaptureReader::open(path, o);
  ASSERT_TRUE(off.ok());
  count_packets(**off);
  EXPECT_EQ((*off)->summary().data_bytes, bomb.size());
  EXPECT_TRUE((*off)->summary().damaged.empty());
}

TEST(PcapStdin, DashReadsStandardInput) {
  PcapFile f = five_records();
  std::string path = write_tmp("stdin.pcap.gz", gzip(f.bytes));
  int saved = ::dup(STDIN_FILENO);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  auto r = CaptureReader::open("-");
  std::size_t n = 0;
  Compression comp = Compression::kNone;
  if (r.ok()) {
    n = read_all(**r).size();
    comp = (*r)->summary().compression;
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(comp, Compression::kGzip);
}

TEST(CaptureNames, LinkTypesFormatsCompressions) {
  EXPECT_EQ(link_type_name(1), "Ethernet");
  EXPECT_EQ(link_type_name(113), "Linux cooked-mode capture v1");
  EXPECT_EQ(link_type_name(276), "Linux cooked-mode capture v2");
  EXPECT_EQ(link_type_name(127), "IEEE 802.11 plus radiotap radio header");
  EXPECT_EQ(link_type_short_name(0), "null");
  EXPECT_EQ(link_type_short_name(101), "rawip");
  EXPECT_EQ(link_type_short_name(228), "rawip4");
  EXPECT_EQ(link_type_short_name(229), "rawip6");
  EXPECT_EQ(link_type_name(4242), "linktype-4242");
  EXPECT_EQ(link_type_short_name(4242), "linktype-4242");
  EXPECT_EQ(format_name(CaptureFormat::kPcapNsec), "pcap-nsec");
  EXPECT_EQ(compression_name(Compression::kZstd), "zstd");
}

TEST(TicksToNs, ResolutionsOffsetsAndSaturation) {
  EXPECT_EQ(ticks_to_ns(1500, TsResolution{3}, 0), 1500000000);
  EXPECT_EQ(ticks_to_ns(7, TsResolution{9}, 0), 7);
  EXPECT_EQ(ticks_to_ns(123456789012ull, TsResolution{12}, 0), 123456789);
  EXPECT_EQ(ticks_to_ns(3, TsResolution{0x80 | 1}, 0), 1500000000);  // 2^-1 s
  EXPECT_EQ(ticks_to_ns(1ull << 30, TsResolution{0x80 | 30}, 10), 11000000000);
  EXPECT_EQ(ticks_to_ns(~0ull, TsResolution{0}, 0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ticks_to_ns(0, TsResolution{6}, -5), -5000000000);
  EXPECT_EQ(ticks_to_ns(5, TsResolution{127}, 0), 0);
}

}  // namespace
}  // namespace pcapscope::test
