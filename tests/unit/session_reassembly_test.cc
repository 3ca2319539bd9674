// TCP stream reassembly (src/session/reassembly.h): ordering, overlaps, gaps, wraparound, limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "session/reassembly.h"

namespace pcapscope::session {
namespace {

constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kSyn = TcpStream::kSyn;
constexpr std::uint8_t kFin = TcpStream::kFin;
constexpr std::uint8_t kRst = TcpStream::kRst;

Bytes B(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Rebuilds the stream as the receiver sees it; a gap shows as '~' so tests can compare strings.
struct Recorder : StreamReceiver {
  struct Call {
    bool gap;
    std::uint64_t offset, len, frame;
    const std::uint8_t* ptr;  // to check in-order data is not copied
  };
  std::string content;
  std::vector<Call> calls;
  std::uint64_t next = 0;
  bool contiguous = true;

  void on_data(std::uint64_t offset, Bytes data, std::uint64_t frame) override {
    contiguous = contiguous && offset == next && !data.empty();
    calls.push_back({false, offset, data.size(), frame, data.data()});
    content.append(reinterpret_cast<const char*>(data.data()), data.size());
    next = offset + data.size();
  }
  void on_gap(std::uint64_t offset, std::uint64_t len) override {
    contiguous = contiguous && offset == next && len > 0;
    calls.push_back({true, offset, len, 0, nullptr});
    content.append(static_cast<std::size_t>(std::min<std::uint64_t>(len, 1 << 20)), '~');
    next = offset + len;
  }
  std::size_t gaps() const {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [](auto& c) { return c.gap; }));
  }
};

// A stream that began with a SYN at ISN, with helpers speaking in offsets.
struct Fixture {
  explicit Fixture(std::uint32_t isn_in = 1000, ReassemblyConfig config = {},
                   ReassemblyBudget* budget = nullptr)
      : isn(isn_in), stream(config) {
    stream.attach(&rec, budget);
    EXPECT_EQ(stream.add(isn, kSyn, {}, 1).new_bytes, 0u);
  }
  std::uint32_t seq(std::uint64_t offset) const { return isn + 1 + static_cast<std::uint32_t>(offset); }
  SegmentResult at(std::uint64_t offset, std::string_view data, std::uint8_t flags = kAck,
                   std::uint64_t frame = 0) {
    return stream.add(seq(offset), flags, B(data), frame);
  }
  bool ack(std::uint64_t offset) { return stream.on_peer_ack(seq(offset)); }

  std::uint32_t isn;
  Recorder rec;
  TcpStream stream;
};

std::string pattern(std::size_t n, unsigned salt = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + salt) % 26);
  return s;
}

TEST(Reassembly, InOrderDeliversStraightFromThePayload) {
  Fixture f;
  const std::string a = "hello", b = " world";
  SegmentResult r1 = f.stream.add(f.seq(0), kAck, B(a), 2);
  SegmentResult r2 = f.stream.add(f.seq(5), kAck, B(b), 3);
  EXPECT_EQ(r1.new_bytes, 5u);
  EXPECT_EQ(r2.new_bytes, 6u);
  EXPECT_FALSE(r1.retransmission || r1.out_of_order || r1.gap || r1.overlap_differs);
  EXPECT_EQ(f.rec.content, "hello world");
  ASSERT_EQ(f.rec.calls.size(), 2u);
  EXPECT_EQ(f.rec.calls[0].ptr, reinterpret_cast<const std::uint8_t*>(a.data()));  // no copy
  EXPECT_EQ(f.rec.calls[1].offset, 5u);
  EXPECT_EQ(f.rec.calls[1].frame, 3u);
  EXPECT_EQ(f.stream.delivered(), 11u);
  EXPECT_EQ(f.stream.seq_extent(), 11u);
  EXPECT_EQ(f.stream.buffered(), 0u);
  EXPECT_TRUE(f.stream.has_isn() && f.stream.isn() == 1000u);
}

TEST(Reassembly, OutOfOrderEveryPermutationOfThree) {
  const std::vector<std::string> parts = {"aaaa", "bbbbbb", "cc"};
  const std::vector<std::uint64_t> offsets = {0, 4, 10};
  std::vector<int> order = {0, 1, 2};
  int permutations = 0;
  do {
    Fixture f;
    std::uint64_t ooo = 0;
    for (int i : order) {
      SegmentResult r = f.at(offsets[i], parts[i], kAck, 10 + i);
      EXPECT_EQ(r.new_bytes, parts[i].size());
      EXPECT_FALSE(r.retransmission);
      ooo += r.out_of_order ? 1 : 0;
    }
    EXPECT_EQ(f.rec.content, "aaaabbbbbbcc") << permutations;
    EXPECT_TRUE(f.rec.contiguous);
    EXPECT_EQ(f.rec.gaps(), 0u);
    EXPECT_EQ(f.stream.buffered(), 0u);
    EXPECT_EQ(f.stream.missed_bytes(), 0u);
    EXPECT_EQ(f.stream.out_of_order_segments(), ooo);
    // Each delivered piece keeps the frame that carried it.
    for (const auto& c : f.rec.calls) {
      const auto it = std::find(offsets.begin(), offsets.end(), c.offset);
      ASSERT_NE(it, offsets.end());
      EXPECT_EQ(c.frame, 10 + static_cast<std::uint64_t>(it - offsets.begin()));
    }
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 6);
}

TEST(Reassembly, ExactRetransmissionIsNotDeliveredTwice) {
  Fixture f;
  f.at(0, "abcdef");
  SegmentResult r = f.at(0, "abcdef");
  EXPECT_TRUE(r.retransmission);
  EXPECT_FALSE(r.overlap_differs);
  EXPECT_EQ(r.new_bytes, 0u);
  EXPECT_EQ(f.rec.content, "abcdef");
  EXPECT_EQ(f.stream.retransmitted_bytes(), 6u);
  EXPECT_EQ(f.stream.overlaps_same(), 1u);
  EXPECT_EQ(f.stream.overlaps_differ(), 0u);
  EXPECT_EQ(f.stream.counters().unverified_bytes, 0u);
}

TEST(Reassembly, OverlapWithEqualBytesDeliversOnlyTheNewPart) {
  Fixture f;
  f.at(0, "abcdef");
  SegmentResult r = f.at(3, "defghi");
  EXPECT_TRUE(r.retransmission);
  EXPECT_FALSE(r.overlap_differs);
  EXPECT_EQ(r.new_bytes, 3u);
  EXPECT_EQ(f.rec.content, "abcdefghi");
  EXPECT_TRUE(f.rec.contiguous);
  EXPECT_EQ(f.stream.retransmitted_bytes(), 3u);
  EXPECT_EQ(f.stream.overlaps_same(), 1u);
}

TEST(Reassembly, OverlapWithDifferentBytesAgainstDeliveredHistoryKeepsFirst) {
  Fixture f;
  f.at(0, "abcdef");
  SegmentResult r = f.at(3, "XYZghi");
  EXPECT_TRUE(r.retransmission);
  EXPECT_TRUE(r.overlap_differs);
  EXPECT_EQ(r.new_bytes, 3u);
  EXPECT_EQ(f.rec.content, "abcdefghi");
  EXPECT_EQ(f.stream.overlaps_differ(), 1u);
  EXPECT_EQ(f.stream.counters().differing_bytes, 3u);
}

TEST(Reassembly, OverlapWithDifferentBytesAgainstBufferedDataKeepsFirst) {
  Fixture f;
  EXPECT_TRUE(f.at(4, "efgh").out_of_order);
  SegmentResult r1 = f.at(6, "ZZkl");  // overlaps the buffered "gh"
  EXPECT_TRUE(r1.retransmission);
  EXPECT_TRUE(r1.overlap_differs);
  EXPECT_TRUE(r1.out_of_order);
  EXPECT_EQ(r1.new_bytes, 2u);
  SegmentResult r2 = f.at(0, "abcdEFgh");  // fills the hole and disagrees with buffered "ef"
  EXPECT_TRUE(r2.overlap_differs);
  EXPECT_FALSE(r2.out_of_order);
  EXPECT_EQ(r2.new_bytes, 4u);
  EXPECT_EQ(f.rec.content, "abcdefghkl");
  EXPECT_TRUE(f.rec.contiguous);
  EXPECT_EQ(f.stream.overlaps_differ(), 2u);
  EXPECT_EQ(f.stream.counters().differing_bytes, 4u);
  EXPECT_EQ(f.stream.buffered(), 0u);
}

TEST(Reassembly, SegmentSpanningBufferedPiecesFillsAroundThem) {
  Fixture f;
  f.at(2, "cd");
  f.at(6, "gh");
  SegmentResult r = f.at(0, "abcdefghij");
  EXPECT_EQ(r.new_bytes, 6u);
  EXPECT_TRUE(r.retransmission);
  EXPECT_FALSE(r.overlap_differs);
  EXPECT_EQ(f.rec.content, "abcdefghij");
  EXPECT_TRUE(f.rec.contiguous);
  EXPECT_EQ(f.stream.overlaps_same(), 1u);
  EXPECT_EQ(f.stream.buffered(), 0u);
}

TEST(Reassembly, OverlapOlderThanHistoryIsUnverifiedNotDiffering) {
  ReassemblyConfig config;
  config.history = 1024;
  Fixture f(1000, config);
  const std::string data = pattern(4096);
  f.at(0, data);
  EXPECT_EQ(f.stream.history_bytes(), 1024u);
  SegmentResult old = f.at(0, std::string(10, '!'));
  EXPECT_TRUE(old.retransmission);
  EXPECT_FALSE(old.overlap_differs);
  EXPECT_EQ(f.stream.counters().unverified_bytes, 10u);
  SegmentResult recent = f.at(4090, "!!!!!!");
  EXPECT_TRUE(recent.overlap_differs);
  EXPECT_EQ(f.stream.counters().unverified_bytes, 10u);

  config.history = 0;  // disabled: nothing can be compared
  Fixture g(1000, config);
  g.at(0, "abcdef");
  EXPECT_EQ(g.stream.history_bytes(), 0u);
  SegmentResult r = g.at(0, "XXXXXX");
  EXPECT_TRUE(r.retransmission);
  EXPECT_FALSE(r.overlap_differs);
  EXPECT_EQ(g.stream.counters().unverified_bytes, 6u);
  EXPECT_EQ(g.rec.content, "abcdef");
}

TEST(Reassembly, HistoryGrowsWithTheStreamAndSurvivesGrowth) {
  Fixture f;  // default 16 KiB
  f.at(0, "abc");
  EXPECT_EQ(f.stream.history_bytes(), 512u);  // small flows pay little
  const std::string data = pattern(3000);
  f.at(3, data);
  EXPECT_EQ(f.stream.history_bytes(), 4096u);
  EXPECT_FALSE(f.at(0, "abc").overlap_differs);  // bytes from before the growth were kept
  EXPECT_TRUE(f.at(1, "X").overlap_differs);
}

TEST(Reassembly, PeerAckDeclaresHoleBelowBufferedData) {
  Fixture f;
  f.at(0, pattern(100));
  f.at(200, pattern(100, 1));
  EXPECT_FALSE(f.ack(100));  // nothing missing below 100
  EXPECT_EQ(f.stream.buffered(), 100u);
  EXPECT_TRUE(f.ack(300));
  EXPECT_EQ(f.stream.delivered(), 300u);
  EXPECT_EQ(f.stream.missed_bytes(), 100u);
  EXPECT_EQ(f.stream.buffered(), 0u);
  EXPECT_TRUE(f.rec.contiguous);
  ASSERT_EQ(f.rec.gaps(), 1u);
  EXPECT_EQ(f.rec.calls[1].offset, 100u);
  EXPECT_EQ(f.rec.calls[1].len, 100u);
  // A late copy of the lost bytes is a retransmission that cannot be verified.
  SegmentResult late = f.at(100, pattern(100, 2));
  EXPECT_TRUE(late.retransmission);
  EXPECT_FALSE(late.overlap_differs);
  EXPECT_EQ(late.new_bytes, 0u);
}

TEST(Reassembly, PartialAckDeclaresOnlyTheAcknowledgedPart) {
  Fixture f;
  f.at(0, "0123456789");
  f.at(20, "klmnopqrst");
  EXPECT_TRUE(f.ack(15));  // the peer got [10,15) though the capture did not
  EXPECT_EQ(f.stream.missed_bytes(), 5u);
  EXPECT_EQ(f.stream.delivered(), 15u);
  SegmentResult r = f.at(15, "fghij");  // [15,20) is still coming
  EXPECT_EQ(r.new_bytes, 5u);
  EXPECT_EQ(f.rec.content, "0123456789~~~~~fghijklmnopqrst");
  EXPECT_TRUE(f.rec.contiguous);
}

TEST(Reassembly, FlushDeclaresHolesAndAcknowledgedTail) {
  Fixture f;
  f.at(0, "ab");
  f.at(4, "ef");
  f.at(8, "ij");
  EXPECT_FALSE(f.stream.on_peer_ack(f.seq(2)));
  f.stream.flush();
  EXPECT_EQ(f.rec.content, "ab~~ef~~ij");
  EXPECT_EQ(f.stream.missed_bytes(), 4u);
  EXPECT_EQ(f.stream.counters().gaps, 2u);

  Fixture g;
  g.at(0, "abcd");
  g.ack(4);
  g.ack(10);  // acknowledged data never captured: sent, lost by the capture
  EXPECT_EQ(g.stream.missed_bytes(), 0u);  // a late capture of it may still come
  g.stream.flush();
  EXPECT_EQ(g.stream.missed_bytes(), 6u);
  EXPECT_EQ(g.rec.content, "abcd~~~~~~");

  Fixture h;  // an ack one past the data acknowledges a FIN the capture missed
  h.at(0, "abcd");
  h.ack(5);
  h.stream.flush();
  EXPECT_EQ(h.stream.missed_bytes(), 0u);
}

TEST(Reassembly, WraparoundAtTwoToTheThirtyTwoIsOrdinary) {
  const std::string data = pattern(1024);
  for (bool reverse : {false, true}) {
    Fixture f(0xFFFFFF00u);
    std::vector<std::uint64_t> starts;
    for (std::uint64_t o = 0; o < data.size(); o += 100) starts.push_back(o);
    if (reverse) std::reverse(starts.begin(), starts.end());
    for (std::uint64_t o : starts) {
      const std::size_t n = std::min<std::size_t>(100, data.size() - o);
      f.stream.add(f.seq(o), kAck, B(std::string_view(data).substr(o, n)), o);
      f.stream.on_peer_ack(f.seq(reverse ? 0 : o + n));
    }
    EXPECT_EQ(f.rec.content, data);
    EXPECT_TRUE(f.rec.contiguous);
    EXPECT_EQ(f.stream.delivered(), 1024u);
    EXPECT_EQ(f.stream.missed_bytes(), 0u);
    EXPECT_EQ(f.stream.retransmitted_bytes(), 0u);
    // A retransmission from before the wrap is still recognised as such.
    SegmentResult r = f.at(200, std::string_view(data).substr(200, 100));
    EXPECT_TRUE(r.retransmission);
    EXPECT_FALSE(r.overlap_differs);
    f.stream.add(f.seq(1024), kFin | kAck, {}, 99);
    f.stream.on_peer_ack(f.seq(1025));
    f.stream.flush();
    EXPECT_EQ(f.stream.missed_bytes(), 0u);
    EXPECT_EQ(f.stream.seq_extent(), 1024u);
  }
}

TEST(Reassembly, DataOnSynIsDelivered) {
  Recorder rec;
  TcpStream s;
  s.attach(&rec, nullptr);
  SegmentResult r = s.add(5000, kSyn, B("GET"), 1);
  EXPECT_EQ(r.new_bytes, 3u);
  s.add(5004, kAck, B(" /"), 2);
  EXPECT_EQ(rec.content, "GET /");
  EXPECT_EQ(rec.calls[0].offset, 0u);
  // The SYN retransmitted (same ISN, same data) is just a retransmission.
  SegmentResult again = s.add(5000, kSyn, B("GET"), 3);
  EXPECT_TRUE(again.retransmission);
  EXPECT_FALSE(again.isn_changed);
  EXPECT_EQ(rec.content, "GET /");
}

TEST(Reassembly, FinEndsTheStreamAndLaterDataIsFlagged) {
  Fixture f;
  f.at(0, "0123456789");
  SegmentResult fin = f.at(10, "abcde", kFin | kAck);
  EXPECT_EQ(fin.new_bytes, 5u);
  EXPECT_TRUE(f.stream.fin_seen());
  SegmentResult after = f.at(15, "XXXXXXXXXX");
  EXPECT_TRUE(after.after_close);
  EXPECT_EQ(after.new_bytes, 0u);
  EXPECT_EQ(f.stream.data_after_fin(), 10u);
  EXPECT_EQ(f.rec.content, "0123456789abcde");
  EXPECT_EQ(f.stream.seq_extent(), 15u);
  f.ack(16);  // acks the FIN: no byte is missing
  f.stream.flush();
  EXPECT_EQ(f.stream.missed_bytes(), 0u);
}

TEST(Reassembly, FinDropsBufferedDataBeyondItAndBoundsTheTail) {
  ReassemblyBudget budget(1 << 20);
  ReassemblyConfig config;
  config.history = 0;
  Fixture f(1000, config, &budget);
  f.at(0, "abc");
  f.at(20, "0123456789");
  f.at(6, "ghijkl");  // spans the FIN below
  EXPECT_EQ(budget.used(), 16u);
  SegmentResult fin = f.at(10, "", kFin | kAck);
  EXPECT_TRUE(fin.after_close);
  EXPECT_EQ(f.stream.data_after_fin(), 12u);
  EXPECT_EQ(f.stream.buffered(), 4u);
  EXPECT_EQ(budget.used(), 4u);
  f.stream.flush();  // [3,6) was sent (the FIN says so) but never captured
  EXPECT_EQ(f.rec.content, "abc~~~ghij");
  EXPECT_EQ(f.stream.missed_bytes(), 3u);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(Reassembly, RstMarksTheEndAndLaterDataIsCounted) {
  Fixture f;
  f.at(0, "abc");
  f.stream.add(f.seq(3), kRst, {}, 5);
  EXPECT_TRUE(f.stream.reset_seen());
  SegmentResult r = f.at(3, "def");
  EXPECT_TRUE(r.after_close);
  EXPECT_EQ(f.stream.counters().data_after_reset, 3u);
  EXPECT_EQ(f.rec.content, "abcdef");
}

TEST(Reassembly, StreamStartedWithoutSynBeginsAtFirstSequence) {
  Recorder rec;
  TcpStream s;
  s.attach(&rec, nullptr);
  s.add(70000, kAck, B("middle"), 1);
  EXPECT_FALSE(s.has_isn());
  EXPECT_EQ(rec.calls[0].offset, 0u);
  s.add(70006, kAck, B("-more"), 2);
  // Earlier bytes than the first seen have nowhere to go: unverified retransmission, no crash.
  SegmentResult r = s.add(69990, kAck, B("0123456789midd"), 3);
  EXPECT_TRUE(r.retransmission);
  EXPECT_EQ(r.new_bytes, 0u);
  EXPECT_EQ(s.counters().unverified_bytes, 10u);
  EXPECT_EQ(s.overlaps_same(), 1u);
  EXPECT_EQ(rec.content, "middle-more");
  // The SYN of this very connection, captured late, fits and gives the ISN.
  EXPECT_FALSE(s.add(69999, kSyn, {}, 4).isn_changed);
  EXPECT_TRUE(s.has_isn());
}

TEST(Reassembly, SynWithAnotherIsnIsReportedAndRestartBeginsAgain) {
  Fixture f;
  f.at(0, "old");
  SegmentResult r = f.stream.add(777777, kSyn, B("new"), 9);
  EXPECT_TRUE(r.isn_changed);
  EXPECT_EQ(f.stream.counters().isn_changes, 1u);
  EXPECT_EQ(f.rec.content, "old");
  f.stream.restart();
  EXPECT_FALSE(f.stream.started());
  f.stream.add(777777, kSyn, B("new"), 9);
  EXPECT_EQ(f.stream.isn(), 777777u);
  EXPECT_EQ(f.stream.delivered(), 3u);
  EXPECT_EQ(f.rec.content, "oldnew");
  EXPECT_EQ(f.rec.calls.back().offset, 0u);
}

TEST(Reassembly, KeepAliveIsNotARetransmission) {
  Fixture f;
  f.at(0, "abcdef");
  SegmentResult r = f.at(5, std::string_view("\0", 1));
  EXPECT_TRUE(r.keepalive);
  EXPECT_FALSE(r.retransmission || r.overlap_differs);
  EXPECT_TRUE(f.at(5, "").keepalive);
  EXPECT_EQ(f.stream.counters().keepalives, 2u);
  EXPECT_EQ(f.stream.retransmitted_bytes(), 0u);
}

TEST(Reassembly, PerStreamCapForcesAGap) {
  ReassemblyConfig config;
  config.max_buffered = 100;
  Fixture f(1000, config);
  EXPECT_FALSE(f.at(10, pattern(50)).gap);
  EXPECT_FALSE(f.at(60, pattern(50, 1)).gap);
  EXPECT_EQ(f.stream.buffered(), 100u);
  SegmentResult r = f.at(120, pattern(10, 2));  // over the cap: the first hole gives way
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(f.stream.missed_bytes(), 10u);
  EXPECT_EQ(f.stream.delivered(), 110u);
  EXPECT_EQ(f.stream.buffered(), 10u);
  EXPECT_TRUE(f.rec.contiguous);
}

TEST(Reassembly, GlobalBudgetForcesAGapAndReturnsToZero) {
  ReassemblyBudget budget(1000);
  ReassemblyConfig config;
  config.history = 0;
  Fixture a(1, config, &budget);
  Fixture b(2, config, &budget);
  a.at(10, pattern(600));
  EXPECT_EQ(budget.used(), 600u);
  SegmentResult r = b.at(10, pattern(500));  // 1100 > 1000: b gives up its hole
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(b.stream.missed_bytes(), 10u);
  EXPECT_EQ(b.stream.buffered(), 0u);
  EXPECT_EQ(budget.used(), 600u);
  EXPECT_FALSE(budget.over_limit());
  EXPECT_EQ(budget.peak(), 1100u);
  a.stream.flush();
  b.stream.flush();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(Reassembly, BudgetCoversHistoryAndIsReleasedByFlushDestructionAndMove) {
  ReassemblyBudget budget(1 << 20);
  {
    Fixture f(1000, {}, &budget);
    f.at(0, pattern(100));
    f.at(200, pattern(100));
    EXPECT_EQ(budget.used(), 512u + 100u);  // history ring + buffered segment
    f.stream.flush();
    EXPECT_EQ(budget.used(), 0u);
    EXPECT_EQ(f.stream.history_bytes(), 0u);
    f.at(300, pattern(10));  // still usable: history comes back on demand
    EXPECT_EQ(budget.used(), 512u);
    TcpStream moved = std::move(f.stream);
    EXPECT_EQ(budget.used(), 512u);
    EXPECT_EQ(moved.delivered(), 310u);
    EXPECT_EQ(moved.missed_bytes(), 100u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(Reassembly, RandomSegmentationDuplicationAndOrderRebuildTheStream) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    ReassemblyBudget budget(1 << 20);
    ReassemblyConfig config;
    config.history = round % 3 == 0 ? 0 : 2048;
    const std::uint32_t isn = static_cast<std::uint32_t>(rng()) | (round % 2 ? 0xFFFF0000u : 0u);
    Fixture f(isn, config, &budget);
    const std::string data = pattern(2000 + rng() % 8000, static_cast<unsigned>(round));
    struct Seg { std::uint64_t off; std::size_t len; };
    std::vector<Seg> segs;
    for (std::uint64_t o = 0; o < data.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 700, data.size() - o);
      segs.push_back({o, n});
      if (rng() % 4 == 0) segs.push_back({o, n});  // duplicate
      if (rng() % 5 == 0 && o >= 50) segs.push_back({o - 50, n + 50});  // overlaps its predecessor
      o += n;
    }
    // Mostly ordered with local shuffles, like real captures.
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      const std::size_t reach = std::min<std::size_t>(4, segs.size() - i - 1);
      if (rng() % 3 == 0) std::swap(segs[i], segs[i + 1 + rng() % reach]);
    }
    for (const Seg& s : segs) {
      SegmentResult r = f.at(s.off, std::string_view(data).substr(s.off, s.len), kAck, s.off);
      EXPECT_FALSE(r.overlap_differs || r.gap);
    }
    f.stream.flush();
    ASSERT_EQ(f.rec.content, data) << "round " << round;
    EXPECT_TRUE(f.rec.contiguous);
    EXPECT_EQ(f.stream.missed_bytes(), 0u);
    EXPECT_EQ(f.stream.overlaps_differ(), 0u);
    EXPECT_EQ(budget.used(), 0u);
  }
}

// Against a model of the policy: each offset keeps the first byte ever received for it, and a segment
// is flagged exactly when one of its bytes disagrees with an earlier one.
TEST(Reassembly, FirstReceivedBytesWinAgainstAReferenceModel) {
  std::mt19937 rng(777);
  std::uint64_t flagged = 0;
  for (int round = 0; round < 300; ++round) {
    Fixture f(static_cast<std::uint32_t>(rng()));
    const std::size_t size = 500 + rng() % 4000;
    std::vector<int> first(size, -1);
    std::uint64_t expect_differ = 0;
    for (int i = 0; i < 60; ++i) {
      const std::size_t off = rng() % size;
      const std::size_t len = std::min<std::size_t>(2 + rng() % 300, size - off);
      if (len < 2) continue;  // a lone byte just below the frontier would be a keep-alive
      std::string bytes = pattern(len, static_cast<unsigned>(off * 7));
      if (rng() % 4 == 0) bytes[rng() % len] = '#';
      bool differs = false;
      for (std::size_t k = 0; k < len; ++k) {
        int& seen = first[off + k];
        if (seen < 0) seen = static_cast<unsigned char>(bytes[k]);
        else differs = differs || seen != static_cast<unsigned char>(bytes[k]);
      }
      SegmentResult r = f.at(off, bytes);
      EXPECT_EQ(r.overlap_differs, differs) << "round " << round << " segment " << i;
      expect_differ += differs ? 1 : 0;
    }
    f.stream.flush();
    std::string want;
    for (int c : first) want.push_back(c < 0 ? '~' : static_cast<char>(c));
    const auto last = want.find_last_not_of('~');
    want.resize(last + 1);  // a hole at the end was never known to exist
    ASSERT_EQ(f.rec.content, want) << "round " << round;
    EXPECT_TRUE(f.rec.contiguous);
    EXPECT_EQ(f.stream.overlaps_differ(), expect_differ);
    flagged += expect_differ;
  }
  EXPECT_GT(flagged, 100u);  // the model did exercise the differing case
}

TEST(Reassembly, HostileSequenceNumbersAndAcksStayBounded) {
  ReassemblyBudget budget(1 << 20);
  Fixture f(0, {}, &budget);
  f.at(0, "abc");
  EXPECT_FALSE(f.stream.on_peer_ack(f.seq(0) + 0x70000000u));  // far beyond anything sent
  EXPECT_EQ(f.stream.counters().implausible_acks, 1u);
  // Just under half the sequence space ahead, exactly half (taken as behind), just behind the start.
  f.stream.add(f.seq(0) + 0x7FFFFFFFu, kAck, B("x"), 2);
  SegmentResult half = f.stream.add(f.seq(3) + 0x80000000u, kAck, B("y"), 3);
  EXPECT_TRUE(half.retransmission);
  EXPECT_EQ(half.new_bytes, 0u);
  SegmentResult behind = f.stream.add(f.seq(0) - 1u, kAck, B("zz"), 4);
  EXPECT_TRUE(behind.overlap_differs);  // 'z' against the delivered 'a'
  EXPECT_EQ(f.stream.missed_bytes(), 0u);
  EXPECT_EQ(f.stream.delivered(), 3u);
  EXPECT_EQ(f.stream.buffered(), 1u);
  EXPECT_EQ(f.rec.content, "abc");
  f.stream.flush();  // the far segment is data on the wire: the hole before it is honestly a gap
  EXPECT_EQ(f.stream.missed_bytes(), 0x7FFFFFFFu - 3u);
  EXPECT_EQ(f.stream.delivered(), 0x80000000u);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_TRUE(f.rec.contiguous);
  // No segment yet: acks and flushes do nothing.
  TcpStream s;
  EXPECT_FALSE(s.on_peer_ack(12345));
  s.flush();
  EXPECT_EQ(s.delivered(), 0u);
  EXPECT_FALSE(s.started());
}

}  // namespace
}  // namespace pcapscope::session
