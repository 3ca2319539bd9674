// port_scan: vertical and horizontal scans, near misses just under each
// threshold, windows, each setting changing the verdict, and a SYN flood
// that must not look like a scan.
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

// Aligned to 300 s windows.
constexpr std::int64_t kT0 = 1'699'999'800'000'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::string_view kScanner = "10.0.0.5";

struct Probe {
  ConnState state;
  std::string_view history;
  std::uint64_t resp_pkts = 1, resp_bytes = 0;
  Transport proto = Transport::kTcp;
};
constexpr Probe kRej{ConnState::kREJ, "Sr"};
constexpr Probe kS0{ConnState::kS0, "S", 0};
constexpr Probe kOpen{ConnState::kSF, "ShADadFf", 5, 300};

struct Fixture {
  Harness h{port_scan_settings()};
  std::unique_ptr<Detector> det;
  int next_uid = 0;

  void build() { det = make_port_scan_detector(h.context()); }

  void add(std::string_view orig, std::string_view resp, std::uint16_t port, std::int64_t t, Probe p = kRej) {
    const std::string uid = fmt::format("CScan{:012d}", next_uid++);
    SessionSpec s;
    s.orig = orig;
    s.resp = resp;
    s.orig_p = static_cast<std::uint16_t>(40000 + next_uid % 20000);
    s.resp_p = port;
    s.proto = p.proto;
    s.state = p.state;
    s.history = p.history;
    s.ts_ns = t;
    s.duration_ns = 0;
    s.resp_pkts = p.resp_pkts;
    s.resp_bytes = p.resp_bytes;
    s.first_frame = s.last_frame = static_cast<std::uint64_t>(next_uid);
    s.uid = uid;
    det->on_session(testing::session(s));
  }
  // Ports FIRST .. FIRST+N-1 of TARGET, one every 100 ms from START; the first OPEN of them answer.
  void vertical(int n, std::int64_t start, int open = 0, int first = 1, std::string_view target = "10.0.0.9") {
    for (int i = 0; i < n; ++i) {
      add(kScanner, target, static_cast<std::uint16_t>(first + i), start + i * kSec / 10, i < open ? kOpen : kRej);
    }
  }
  // PORT on N hosts, the first OPEN answering.
  void horizontal(int n, std::int64_t start, std::uint16_t port = 445, int open = 0, Probe fail = kS0,
                  Probe ok = kOpen) {
    for (int i = 0; i < n; ++i) {
      add(kScanner, fmt::format("10.2.{}.{}", i / 250, i % 250 + 1), port, start + i * kSec / 10,
          i < open ? ok : fail);
    }
  }
  std::vector<Alert>& run() {
    det->finish();
    return h.sink.alerts;
  }
};

using testing::field;
template <class T>
T get(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f || !std::holds_alternative<T>(f->value)) {
    ADD_FAILURE() << "no extra " << key << " of the expected type";
    return T{};
  }
  return std::get<T>(f->value);
}

TEST(PortScanTest, VerticalScanAlertsWithEvidence) {
  Fixture f;
  f.build();
  f.vertical(120, kT0, 10);  // 10 open, 110 refused: 92% failed
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "port_scan");
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(a.value, 120);
  EXPECT_EQ(a.threshold, 100);
  EXPECT_EQ(a.src, ip(kScanner));
  EXPECT_EQ(a.dst, ip("10.0.0.9"));
  EXPECT_FALSE(a.dst_port.has_value());
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(a.ts_ns, kT0);
  EXPECT_EQ(a.last_ns, kT0 + 119 * kSec / 10);
  EXPECT_EQ(get<std::string>(a, "kind"), "vertical");
  const auto ports = get<std::vector<std::string>>(a, "ports");
  ASSERT_EQ(ports.size(), 20u);
  EXPECT_EQ(ports.front(), "1/tcp");
  EXPECT_EQ(ports.back(), "20/tcp");
  EXPECT_EQ(get<std::int64_t>(a, "port_count"), 120);
  EXPECT_EQ(get<std::int64_t>(a, "host_count"), 1);
  EXPECT_NEAR(get<double>(a, "failed_ratio"), 110.0 / 120, 1e-9);
  EXPECT_EQ(get<std::int64_t>(a, "windows"), 1);
  // Evidence: the first failed probes (ports 11..30), frames ascending.
  EXPECT_EQ(a.uid_count, 110u);
  ASSERT_EQ(a.uids.size(), kMaxEvidence);
  EXPECT_EQ(a.uids[0], "CScan000000000010");
  ASSERT_EQ(a.frames.size(), kMaxEvidence);
  EXPECT_EQ(a.frames[0], 11u);
  EXPECT_TRUE(std::is_sorted(a.frames.begin(), a.frames.end()));
  EXPECT_NE(a.message.find("120"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("100"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("10.0.0.9"), std::string::npos) << a.message;
}

TEST(PortScanTest, NearMissNinetyNinePorts) {
  Fixture f;
  f.build();
  f.vertical(99, kT0);
  // Retries of the same ports add nothing.
  f.vertical(99, kT0 + 20 * kSec);
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, NearMissMostlyAnswered) {
  Fixture f;
  f.build();
  f.vertical(100, kT0, 75);  // 25% failed
  EXPECT_TRUE(f.run().empty());

  Fixture g;
  g.build();
  g.vertical(100, kT0, 21);  // 79% failed, just under 0.8
  EXPECT_TRUE(g.run().empty());

  Fixture e;
  e.build();
  e.vertical(100, kT0, 20);  // exactly 80%
  EXPECT_EQ(e.run().size(), 1u);
}

TEST(PortScanTest, AnsweredIfAnyProbeToThePortWasAnswered) {
  Fixture f;
  f.build();
  f.vertical(100, kT0);         // all refused...
  f.vertical(30, kT0 + kSec, 30);  // ...but 30 of them answer a later probe: 70% failed
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, HorizontalScanAlerts) {
  Fixture f;
  f.build();
  f.horizontal(60, kT0, 445, 3);
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(get<std::string>(a, "kind"), "horizontal");
  EXPECT_EQ(a.value, 60);
  EXPECT_EQ(a.threshold, 50);
  EXPECT_EQ(a.src, ip(kScanner));
  EXPECT_FALSE(a.dst.has_value());
  EXPECT_EQ(a.dst_port, 445);
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(get<std::int64_t>(a, "host_count"), 60);
  EXPECT_EQ(get<std::int64_t>(a, "port_count"), 1);
  EXPECT_EQ(get<std::vector<std::string>>(a, "ports"), std::vector<std::string>{"445/tcp"});
  const auto hosts = get<std::vector<std::string>>(a, "hosts");
  ASSERT_EQ(hosts.size(), 20u);
  EXPECT_EQ(hosts[0], "10.2.0.1");
  EXPECT_NEAR(get<double>(a, "failed_ratio"), 57.0 / 60, 1e-9);
  EXPECT_EQ(a.uid_count, 57u);
  EXPECT_EQ(a.severity, Severity::kMedium);
}

TEST(PortScanTest, NearMissFortyNineHosts) {
  Fixture f;
  f.build();
  f.horizontal(49, kT0);
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, UdpProbesFailWithoutAnswerAndAreTheirOwnPorts) {
  Fixture f;
  f.build();
  const Probe udp_silent{ConnState::kS0, "D", 0, 0, Transport::kUdp};
  const Probe udp_answer{ConnState::kSF, "Dd", 1, 40, Transport::kUdp};
  f.horizontal(55, kT0, 161, 0, udp_silent);
  f.horizontal(55, kT0, 53, 50, udp_silent, udp_answer);  // mostly answered: not a scan
  // 60 TCP + 60 UDP refused/silent ports of one host: 120 distinct ports.
  for (int p = 1; p <= 60; ++p) {
    f.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p), kT0 + p, kRej);
    f.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p), kT0 + p, udp_silent);
  }
  f.add(kScanner, "10.0.0.9", 7, kT0, udp_answer);
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  const Alert& v = get<std::string>(alerts[0], "kind") == "vertical" ? alerts[0] : alerts[1];
  const Alert& h = get<std::string>(alerts[0], "kind") == "vertical" ? alerts[1] : alerts[0];
  EXPECT_EQ(v.value, 120);
  EXPECT_FALSE(v.proto.has_value());  // both transports
  EXPECT_NEAR(get<double>(v, "failed_ratio"), 119.0 / 120, 1e-9);
  EXPECT_EQ(h.dst_port, 161);
  EXPECT_EQ(h.proto, Transport::kUdp);
  EXPECT_EQ(get<std::vector<std::string>>(h, "ports"), std::vector<std::string>{"161/udp"});
}

TEST(PortScanTest, WhatCountsAsFailed) {
  // 100 ports each with a different outcome shape; only the failing ones count.
  const Probe failed[] = {{ConnState::kREJ, "Sr"},        {ConnState::kS0, "S", 0},
                          {ConnState::kRSTOS0, "SR", 0},  {ConnState::kRSTRH, "^hr"},
                          {ConnState::kSH, "SF", 0},      {ConnState::kRSTR, "ShAr", 2, 0},
                          {ConnState::kOTH, "A", 0, 0}};
  const Probe answered[] = {{ConnState::kS1, "Sh"},        // SYN scan that left an open port's SYN-ACK
                            {ConnState::kRSTO, "ShR"},     // SYN scan resetting an open port
                            {ConnState::kRSTR, "ShADr", 3, 10},
                            {ConnState::kOTH, "Dd", 3, 10}};
  Fixture f;
  f.build();
  for (int p = 0; p < 80; ++p) f.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p + 1), kT0, failed[p % 7]);
  for (int p = 80; p < 100; ++p) f.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p + 1), kT0, answered[p % 4]);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_NEAR(get<double>(f.h.sink.alerts[0], "failed_ratio"), 0.8, 1e-9);

  Fixture g;  // one more answered shape turns it into a near miss
  g.build();
  for (int p = 0; p < 79; ++p) g.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p + 1), kT0, failed[p % 7]);
  for (int p = 79; p < 100; ++p) g.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(p + 1), kT0, answered[p % 4]);
  EXPECT_TRUE(g.run().empty());
}

TEST(PortScanTest, SpreadOverTwoWindowsIsNotAScan) {
  Fixture f;
  f.build();
  f.vertical(60, kT0 + 290 * kSec);       // 60 ports in the first window's last 10 s
  f.vertical(60, kT0 + 301 * kSec, 0, 61);  // 60 more in the next window
  f.horizontal(30, kT0 + 250 * kSec);
  f.horizontal(30, kT0 + 350 * kSec);
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, ConsecutiveWindowsMergeIntoOneAlert) {
  Fixture f;
  f.build();
  f.vertical(150, kT0);
  f.vertical(150, kT0 + 300 * kSec, 0, 151);
  f.vertical(150, kT0 + 900 * kSec, 0, 301);  // after a quiet window: a new scan
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  std::sort(alerts.begin(), alerts.end(), [](const Alert& x, const Alert& y) { return x.ts_ns < y.ts_ns; });
  EXPECT_EQ(alerts[0].value, 300);
  EXPECT_EQ(get<std::int64_t>(alerts[0], "windows"), 2);
  EXPECT_EQ(alerts[0].ts_ns, kT0);
  EXPECT_EQ(alerts[0].last_ns, kT0 + 300 * kSec + 149 * kSec / 10);
  EXPECT_EQ(alerts[1].value, 150);
  EXPECT_EQ(alerts[1].ts_ns, kT0 + 900 * kSec);
}

TEST(PortScanTest, BothKindsFromOneSourceGiveBothAlerts) {
  Fixture f;
  f.build();
  f.vertical(120, kT0);
  f.horizontal(70, kT0, 22);
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  std::vector<std::string> kinds;
  for (const Alert& a : alerts) kinds.push_back(get<std::string>(a, "kind"));
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, (std::vector<std::string>{"horizontal", "vertical"}));
}

TEST(PortScanTest, HighAtTenTimesThreshold) {
  Fixture f;
  f.build();
  f.vertical(1000, kT0);
  f.vertical(999, kT0, 0, 1, "10.0.0.10");
  auto& alerts = f.run();
  ASSERT_EQ(alerts.size(), 2u);
  for (const Alert& a : alerts) EXPECT_EQ(a.severity, a.value >= 1000 ? Severity::kHigh : Severity::kMedium);
}

TEST(PortScanTest, OutOfOrderInputGivesTheSameAlert) {
  Fixture f;
  f.build();
  for (int i = 119; i >= 0; --i) f.add(kScanner, "10.0.0.9", static_cast<std::uint16_t>(i + 1), kT0 + i * kSec);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.h.sink.alerts[0].ts_ns, kT0);
  EXPECT_EQ(f.h.sink.alerts[0].uids[0], "CScan000000000119");
}

TEST(PortScanTest, SynFloodIsNotAScan) {
  Fixture f;
  f.build();
  // 2000 spoofed sources, one SYN or three each to one host:port.
  for (int i = 0; i < 2000; ++i) {
    const std::string src = fmt::format("198.51.{}.{}", i / 250, i % 250 + 1);
    for (int k = 0; k < 1 + (i % 3); ++k) f.add(src, "192.168.1.10", 80, kT0 + i * kSec / 20, kS0);
  }
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, SettingWindow) {
  Fixture f;
  f.h.set("port_scan_window", "10m");
  f.build();
  f.vertical(60, kT0 + 290 * kSec);
  f.vertical(60, kT0 + 301 * kSec, 0, 61);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.h.sink.alerts[0].value, 120);
}

TEST(PortScanTest, SettingMinPorts) {
  Fixture f;
  f.h.set("port_scan_min_ports", "20");
  f.build();
  f.vertical(25, kT0);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.h.sink.alerts[0].threshold, 20);
}

TEST(PortScanTest, SettingMinHosts) {
  Fixture f;
  f.h.set("port_scan_min_hosts", "61");
  f.build();
  f.horizontal(60, kT0);
  EXPECT_TRUE(f.run().empty());
}

TEST(PortScanTest, SettingMinFailedRatio) {
  Fixture f;
  f.h.set("port_scan_min_failed_ratio", "0.2");
  f.build();
  f.vertical(100, kT0, 75);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_NEAR(get<double>(f.h.sink.alerts[0], "failed_ratio"), 0.25, 1e-9);
}

TEST(PortScanTest, SettingMaxKeysDropsAndCounts) {
  Fixture f;
  f.h.set("port_scan_max_keys", "1");
  f.build();
  // The first probe's vertical key takes the only slot: the horizontal series is never tracked.
  f.horizontal(60, kT0);
  EXPECT_TRUE(f.run().empty());
  EXPECT_NE(f.det->stats().find("119 sessions dropped"), std::string::npos) << f.det->stats();
}

TEST(PortScanTest, SettingMaxEntriesMakesCountsAtLeast) {
  Fixture f;
  f.h.set("port_scan_max_entries", "230");
  f.build();
  f.vertical(120, kT0);  // a vertical and a horizontal entry a probe: 115 probes fit
  ASSERT_EQ(f.run().size(), 1u);
  const Alert& a = f.h.sink.alerts[0];
  EXPECT_EQ(a.value, 115);
  EXPECT_EQ(get<std::int64_t>(a, "counts_exact"), 0);
  EXPECT_NE(a.message.find("at least 115 ports"), std::string::npos) << a.message;
  EXPECT_NE(f.det->stats().find("10 probes not told apart"), std::string::npos) << f.det->stats();

  Fixture g;
  g.h.set("port_scan_max_entries", "150");
  g.build();
  g.vertical(120, kT0);  // only 75 ports told apart: under the threshold
  EXPECT_TRUE(g.run().empty());
}

TEST(PortScanTest, SettingsRejectBadValues) {
  Harness h(port_scan_settings());
  EXPECT_FALSE(h.config.set("port_scan_min_failed_ratio", "2").ok());
  EXPECT_FALSE(h.config.set("port_scan_window", "-5").ok());
  EXPECT_FALSE(h.config.set("port_scan_min_ports", "1.5").ok());
}

}  // namespace
}  // namespace pcapscope::detect
