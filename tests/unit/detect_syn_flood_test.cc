// syn_flood: floods found per target and window, near misses just under
// each threshold, each setting changing the verdict, and a port scan that
// must not look like a flood.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "detect/detectors.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::ip;
using testing::SessionSpec;

// Aligned to 60 s and 300 s windows, so tests know which window a time falls in.
constexpr std::int64_t kT0 = 1'699'999'800'000'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

struct Kind {
  ConnState state;
  std::string_view history;
};
constexpr Kind kS0{ConnState::kS0, "S"};
constexpr Kind kEstablished{ConnState::kSF, "ShADadFf"};

struct Fixture {
  Harness h{syn_flood_settings()};
  std::unique_ptr<Detector> det;
  int next_uid = 0;

  void build() { det = make_syn_flood_detector(h.context()); }

  // One session from source number SRC (10.1.x.y) to TARGET:PORT at T.
  void add(int src, std::int64_t t, Kind k = kS0, std::string_view target = "192.168.1.10",
           std::uint16_t port = 80, std::string_view src_text = {}) {
    const std::string uid = fmt::format("CFlood{:011d}", next_uid++);
    const std::string orig = src_text.empty() ? fmt::format("10.1.{}.{}", src / 250, src % 250 + 1)
                                              : std::string(src_text);
    SessionSpec s;
    s.orig = orig;
    s.resp = target;
    s.orig_p = static_cast<std::uint16_t>(1024 + next_uid % 60000);
    s.resp_p = port;
    s.state = k.state;
    s.history = k.history;
    s.ts_ns = t;
    s.duration_ns = 0;
    s.first_frame = s.last_frame = static_cast<std::uint64_t>(next_uid);
    s.uid = uid;
    det->on_session(testing::session(s));
  }

  // N half-open sessions from SOURCES sources spread over the 60 s from START.
  void flood(int n, int sources, std::int64_t start, Kind k = kS0, std::string_view target = "192.168.1.10") {
    for (int i = 0; i < n; ++i) add(i % sources, start + (i * 59LL * kSec) / n, k, target);
  }
  void established(int n, std::int64_t start, std::string_view target = "192.168.1.10") {
    for (int i = 0; i < n; ++i) add(1000 + i, start + i * kSec / 10, kEstablished, target);
  }
  std::vector<Alert>& run() {
    det->finish();
    return h.sink.alerts;
  }
};

using testing::field;
std::int64_t int_field(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f || !std::holds_alternative<std::int64_t>(f->value)) {
    ADD_FAILURE() << "no integer extra " << key;
    return -1;
  }
  return std::get<std::int64_t>(f->value);
}

TEST(SynFloodTest, FloodFromManySourcesAlertsWithEvidence) {
  Fixture f;
  f.build();
  f.flood(250, 25, kT0);
  f.established(10, kT0);
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "syn_flood");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.value, 250);
  EXPECT_EQ(a.threshold, 200);
  EXPECT_FALSE(a.src.has_value());
  EXPECT_EQ(a.dst, ip("192.168.1.10"));
  EXPECT_EQ(a.dst_port, 80);
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(a.ts_ns, kT0);
  EXPECT_EQ(a.last_ns, kT0 + (249 * 59LL * kSec) / 250);
  EXPECT_EQ(int_field(a, "sources"), 25);
  EXPECT_EQ(int_field(a, "sources_exact"), 1);
  EXPECT_EQ(int_field(a, "half_open"), 250);
  EXPECT_EQ(int_field(a, "established"), 10);
  EXPECT_EQ(int_field(a, "windows"), 1);
  EXPECT_EQ(int_field(a, "top_source_sessions"), 10);
  ASSERT_NE(field(a, "top_source"), nullptr);
  // The earliest half-open sessions are the evidence, frames ascending.
  EXPECT_EQ(a.uid_count, 250u);
  ASSERT_EQ(a.uids.size(), kMaxEvidence);
  EXPECT_EQ(a.uids[0], "CFlood00000000000");
  EXPECT_EQ(a.uids[19], "CFlood00000000019");
  ASSERT_EQ(a.frames.size(), kMaxEvidence);
  EXPECT_EQ(a.frames.front(), 1u);
  EXPECT_TRUE(std::is_sorted(a.frames.begin(), a.frames.end()));
  EXPECT_NE(a.message.find("250"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("200"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("192.168.1.10:80"), std::string::npos) << a.message;
}

TEST(SynFloodTest, EveryHalfOpenShapeCountsAndRejectedDoesNot) {
  // Shapes this session stage produces for a SYN that never completed.
  const Kind half_open[] = {{ConnState::kS0, "S"},       {ConnState::kS1, "Sh"},   {ConnState::kRSTO, "ShR"},
                            {ConnState::kRSTOS0, "SR"}, {ConnState::kSH, "SF"},   {ConnState::kRSTR, "Shr"},
                            {ConnState::kOTH, "ST"}};
  Fixture f;
  f.build();
  for (int i = 0; i < 200; ++i) f.add(i % 20, kT0 + i * kSec / 10, half_open[i % std::size(half_open)]);
  // REJ (closed port) and completed handshakes are not half-open.
  for (int i = 0; i < 300; ++i) f.add(i % 20, kT0 + i * kSec / 10, {ConnState::kREJ, "Sr"});
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(int_field(f.h.sink.alerts[0], "half_open"), 200);
}

TEST(SynFloodTest, RejectionsAndBackscatterAreNotAFlood) {
  Fixture f;
  f.build();
  f.flood(199, 20, kT0);
  for (int i = 0; i < 100; ++i) f.add(i % 20, kT0 + i * kSec / 10, {ConnState::kREJ, "Sr"});
  for (int i = 0; i < 100; ++i) f.add(i % 20, kT0 + i * kSec / 10, {ConnState::kRSTRH, "^hr"});
  EXPECT_TRUE(f.run().empty());
}

TEST(SynFloodTest, NearMissOneUnderHalfOpen) {
  Fixture f;
  f.build();
  f.flood(199, 25, kT0);
  EXPECT_TRUE(f.run().empty());
}

TEST(SynFloodTest, NearMissTooFewSources) {
  Fixture f;
  f.build();
  f.flood(500, 9, kT0);
  EXPECT_TRUE(f.run().empty());
}

TEST(SynFloodTest, NearMissTooManyEstablished) {
  Fixture f;
  f.build();
  f.flood(200, 20, kT0);
  f.established(21, kT0);  // 21 / 200 > 0.1
  EXPECT_TRUE(f.run().empty());

  Fixture g;
  g.build();
  g.flood(200, 20, kT0);
  g.established(20, kT0);  // exactly 0.1 still floods
  EXPECT_EQ(g.run().size(), 1u);
}

TEST(SynFloodTest, ConsecutiveWindowsMakeOneAlertAndAGapSplits) {
  Fixture f;
  f.build();
  f.flood(250, 30, kT0);
  f.flood(400, 30, kT0 + 60 * kSec);
  f.flood(300, 30, kT0 + 120 * kSec);
  // Window 3 is quiet, window 4 floods again: a second alert.
  f.flood(220, 30, kT0 + 240 * kSec);
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  std::sort(alerts.begin(), alerts.end(), [](const Alert& x, const Alert& y) { return x.ts_ns < y.ts_ns; });
  EXPECT_EQ(alerts[0].value, 400);  // the peak window
  EXPECT_EQ(int_field(alerts[0], "windows"), 3);
  EXPECT_EQ(int_field(alerts[0], "half_open"), 950);
  EXPECT_EQ(alerts[0].ts_ns, kT0);
  EXPECT_GE(alerts[0].last_ns, kT0 + 120 * kSec);
  EXPECT_LT(alerts[0].last_ns, kT0 + 180 * kSec);
  EXPECT_EQ(alerts[0].uid_count, 950u);
  EXPECT_EQ(alerts[1].value, 220);
  EXPECT_EQ(int_field(alerts[1], "windows"), 1);
  EXPECT_EQ(alerts[1].ts_ns, kT0 + 240 * kSec);
}

TEST(SynFloodTest, CriticalAtTenTimesThreshold) {
  Fixture f;
  f.build();
  f.flood(2000, 100, kT0);
  f.flood(1999, 100, kT0, kS0, "192.168.1.11");
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  for (const Alert& a : alerts) {
    EXPECT_EQ(a.severity, a.value >= 2000 ? Severity::kCritical : Severity::kHigh) << a.value;
  }
}

TEST(SynFloodTest, TargetsAreSeparateAndOrderDoesNotMatter) {
  Fixture f;
  f.build();
  // Two ports of one host, 150 each: neither floods, whatever the host total.
  for (int i = 149; i >= 0; --i) {
    f.add(i % 20, kT0 + i * kSec / 4, kS0, "192.168.1.10", 80);
    f.add(i % 20, kT0 + i * kSec / 4, kS0, "192.168.1.10", 443);
  }
  EXPECT_TRUE(f.run().empty());

  Fixture g;
  g.build();
  for (int i = 249; i >= 0; --i) g.add(i % 20, kT0 + i * kSec / 5);  // newest first
  ASSERT_EQ(g.run().size(), 1u);
  EXPECT_EQ(g.h.sink.alerts[0].ts_ns, kT0);
  EXPECT_EQ(g.h.sink.alerts[0].uids[0], "CFlood00000000249");  // the session with the first SYN
}

TEST(SynFloodTest, SingleSourceSetsSrc) {
  Fixture f;
  f.h.set("syn_flood_min_sources", "1");
  f.build();
  for (int i = 0; i < 300; ++i) f.add(0, kT0 + i * kSec / 10, kS0, "192.168.1.10", 80, "198.51.100.7");
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.h.sink.alerts[0].src, ip("198.51.100.7"));
  EXPECT_EQ(int_field(f.h.sink.alerts[0], "sources"), 1);
}

TEST(SynFloodTest, PortScanIsNotAFlood) {
  Fixture f;
  f.build();
  // One source, 1000 ports of one host, all filtered or refused.
  for (int p = 1; p <= 1000; ++p) {
    f.add(0, kT0 + p * kSec / 50, p % 2 ? kS0 : Kind{ConnState::kREJ, "Sr"}, "192.168.1.10",
          static_cast<std::uint16_t>(p), "198.51.100.7");
  }
  // And one port on 1000 hosts.
  for (int n = 0; n < 1000; ++n) {
    f.add(0, kT0 + n * kSec / 50, kS0, fmt::format("192.168.{}.{}", 2 + n / 250, n % 250 + 1), 445, "198.51.100.7");
  }
  EXPECT_TRUE(f.run().empty());
}

TEST(SynFloodTest, SettingWindow) {
  // 150 in each of two adjacent 60 s windows: a flood only in one 120 s window.
  auto feed = [](Fixture& f) {
    f.flood(150, 20, kT0);
    f.flood(150, 20, kT0 + 60 * kSec);
  };
  Fixture f;
  f.build();
  feed(f);
  EXPECT_TRUE(f.run().empty());

  Fixture g;
  g.h.set("syn_flood_window", "2m");
  g.build();
  feed(g);
  ASSERT_EQ(g.run().size(), 1u);
  EXPECT_EQ(g.h.sink.alerts[0].value, 300);
}

TEST(SynFloodTest, SettingMinHalfOpen) {
  Fixture f;
  f.h.set("syn_flood_min_half_open", "50");
  f.build();
  f.flood(60, 20, kT0);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.h.sink.alerts[0].threshold, 50);
}

TEST(SynFloodTest, SettingMinSources) {
  Fixture f;
  f.h.set("syn_flood_min_sources", "30");
  f.build();
  f.flood(300, 29, kT0);
  EXPECT_TRUE(f.run().empty());
}

TEST(SynFloodTest, SettingMaxEstablishedRatio) {
  Fixture f;
  f.h.set("syn_flood_max_established_ratio", "0.5");
  f.build();
  f.flood(200, 20, kT0);
  f.established(100, kT0);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(int_field(f.h.sink.alerts[0], "established"), 100);
}

TEST(SynFloodTest, SettingMaxTargetsDropsAndCounts) {
  Fixture f;
  f.h.set("syn_flood_max_targets", "1");
  f.build();
  f.flood(10, 5, kT0, kS0, "192.168.1.99");  // takes the only bucket
  f.flood(300, 20, kT0);
  EXPECT_TRUE(f.run().empty());
  EXPECT_NE(f.det->stats().find("300 sessions dropped"), std::string::npos) << f.det->stats();
}

TEST(SynFloodTest, SettingMaxSourcesMakesCountsAtLeast) {
  Fixture f;
  f.h.set("syn_flood_max_sources", "12");
  f.build();
  f.flood(300, 20, kT0);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(int_field(f.h.sink.alerts[0], "sources"), 12);
  EXPECT_EQ(int_field(f.h.sink.alerts[0], "sources_exact"), 0);
  EXPECT_NE(f.h.sink.alerts[0].message.find("at least 12 sources"), std::string::npos) << f.h.sink.alerts[0].message;
  EXPECT_NE(f.det->stats().find("sources counted without tracking"), std::string::npos);
}

TEST(SynFloodTest, SettingsRejectBadValues) {
  Harness h(syn_flood_settings());
  EXPECT_FALSE(h.config.set("syn_flood_max_established_ratio", "1.5").ok());
  EXPECT_FALSE(h.config.set("syn_flood_window", "0").ok());
  EXPECT_FALSE(h.config.set("syn_flood_min_half_open", "0").ok());
  auto r = h.config.set("syn_flood_window", "abc");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("greater than 0"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace pcapscope::detect
