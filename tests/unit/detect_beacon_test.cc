// beacon detector: RITA-style regularity score over connection times and sizes.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "detect/detectors.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::ip;
using testing::session;
using testing::SessionSpec;

constexpr std::int64_t kStart = 1'700'000'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

double num_field(const Alert& a, std::string_view key) {
  for (const AlertField& f : a.extra) {
    if (f.key != key) continue;
    if (std::holds_alternative<double>(f.value)) return std::get<double>(f.value);
    if (std::holds_alternative<std::int64_t>(f.value)) return static_cast<double>(std::get<std::int64_t>(f.value));
  }
  ADD_FAILURE() << "no numeric extra key " << key;
  return -1;
}

// A connection: when, and how many bytes the originator sent.
struct Conn {
  std::int64_t ts_ns;
  std::uint64_t bytes;
};

struct Beacon {
  Harness h{beacon_settings()};
  std::unique_ptr<Detector> d;
  std::vector<std::string> uids;  // records copy the uid; keep the text alive anyway for clarity

  Detector& det() {
    if (!d) d = make_beacon_detector(h.context());
    return *d;
  }
  void feed(const std::vector<Conn>& conns, std::string_view orig = "10.0.0.5", std::string_view resp = "203.0.113.9",
            std::uint16_t port = 443, Transport proto = Transport::kTcp) {
    for (const Conn& c : conns) {
      SessionSpec s;
      s.orig = orig;
      s.resp = resp;
      s.resp_p = port;
      s.proto = proto;
      s.ts_ns = c.ts_ns;
      s.orig_bytes = c.bytes;
      s.resp_bytes = 1500;
      const std::uint64_t n = uids.size();
      uids.push_back(fmt::format("CBeacon{:010d}", n));
      s.uid = uids.back();
      // Frame numbers follow capture time, as the timeline's do.
      s.first_frame = static_cast<std::uint64_t>((c.ts_ns - kStart) / 1'000'000) + 1;
      s.last_frame = s.first_frame + 8;
      s.orig_p = static_cast<std::uint16_t>(40000 + n % 20000);
      det().on_session(session(s));
    }
  }
  std::vector<Alert>& run() {
    det().finish();
    return h.sink.alerts;
  }
};

// Every PERIOD seconds +- JITTER seconds (uniform), SIZE bytes each.
std::vector<Conn> regular(int n, double period, double jitter, std::uint64_t size, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> j(-jitter, jitter);
  std::vector<Conn> out;
  for (int i = 0; i < n; ++i) {
    const double t = period * i + (jitter > 0 ? j(rng) : 0);
    out.push_back({kStart + static_cast<std::int64_t>(t * 1e9), size});
  }
  return out;
}

// A Poisson process with mean interval MEAN seconds, sizes uniform in [LO, HI].
std::vector<Conn> random_traffic(int n, double mean, std::uint64_t lo, std::uint64_t hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(1.0 / mean);
  std::uniform_int_distribution<std::uint64_t> size(lo, hi);
  std::vector<Conn> out;
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += gap(rng);
    out.push_back({kStart + static_cast<std::int64_t>(t * 1e9), size(rng)});
  }
  return out;
}

TEST(DetectBeacon, SteadyBeaconScoresHighWithEvidence) {
  Beacon b;
  b.feed(regular(30, 60, 1, 212));
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "beacon");
  EXPECT_GE(a.value, 0.9);
  EXPECT_LE(a.value, 1.0);
  EXPECT_EQ(a.severity, Severity::kHigh);  // >= 0.95
  EXPECT_DOUBLE_EQ(a.threshold, 0.8);
  EXPECT_DOUBLE_EQ(num_field(a, "score"), a.value);
  EXPECT_EQ(num_field(a, "connections"), 30);
  EXPECT_EQ(num_field(a, "beats"), 30);
  EXPECT_NEAR(num_field(a, "interval"), 60, 1);
  EXPECT_LE(num_field(a, "jitter"), 1);
  EXPECT_EQ(num_field(a, "size"), 212);
  EXPECT_GE(num_field(a, "ts_score"), 0.9);
  EXPECT_GE(num_field(a, "size_score"), 0.99);
  EXPECT_EQ(a.src, ip("10.0.0.5"));
  EXPECT_EQ(a.dst, ip("203.0.113.9"));
  EXPECT_EQ(a.dst_port, 443);
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(a.uid_count, 30u);
  ASSERT_EQ(a.uids.size(), 10u);
  EXPECT_EQ(a.uids.front(), "CBeacon0000000000");
  EXPECT_EQ(a.uids.back(), "CBeacon0000000009");
  ASSERT_EQ(a.frames.size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.frames.begin(), a.frames.end()));
  EXPECT_LE(std::abs(a.ts_ns - kStart), kSecond);
  EXPECT_NEAR(static_cast<double>(a.last_ns - a.ts_ns) / 1e9, 29 * 60, 2);
  EXPECT_NE(a.message.find("10.0.0.5 connected to 203.0.113.9:443/tcp 30 times"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find(">= 0.8)"), std::string::npos) << a.message;
}

TEST(DetectBeacon, RandomTrafficScoresWellUnderThreshold) {
  for (unsigned seed : {7u, 8u, 9u, 10u}) {
    Beacon b;
    b.h.set("beacon_min_score", "0");  // see the score it gets
    b.feed(random_traffic(60, 60, 100, 5000, seed));
    auto& alerts = b.run();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_LT(alerts[0].value, 0.7) << "seed " << seed;
    EXPECT_LT(num_field(alerts[0], "ts_score"), 0.65) << "seed " << seed;
    EXPECT_EQ(alerts[0].severity, Severity::kMedium);
  }
  Beacon b;
  b.feed(random_traffic(60, 60, 100, 5000, 7));
  EXPECT_TRUE(b.run().empty());
}

TEST(DetectBeacon, RandomIntervalsWithConstantSizesStayUnderThreshold) {
  for (unsigned seed : {11u, 12u, 13u}) {
    Beacon b;
    b.h.set("beacon_min_score", "0");
    std::vector<Conn> conns = random_traffic(60, 60, 300, 300, seed);
    b.feed(conns);
    auto& alerts = b.run();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_LT(alerts[0].value, 0.8) << "seed " << seed;
  }
}

TEST(DetectBeacon, MinimumConnectionCount) {
  {
    Beacon b;
    b.feed(regular(19, 60, 0, 200));
    EXPECT_TRUE(b.run().empty());
  }
  {
    Beacon b;
    b.feed(regular(20, 60, 0, 200));
    auto& alerts = b.run();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_GE(alerts[0].value, 0.99);
  }
}

TEST(DetectBeacon, SettingMinConnections) {
  Beacon b;
  b.h.set("beacon_min_connections", "10");
  b.feed(regular(10, 60, 0, 200));
  EXPECT_EQ(b.run().size(), 1u);

  Beacon c;
  c.h.set("beacon_min_connections", "10");
  c.feed(regular(9, 60, 0, 200));
  EXPECT_TRUE(c.run().empty());
}

TEST(DetectBeacon, SettingMinConnectionsNeedsThreeIntervals) {
  Harness h{beacon_settings()};
  auto r = h.config.set("beacon_min_connections", "3", config::Source::kEnvironment);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected a whole number of at least 4"), std::string::npos) << r.error().message;
}

TEST(DetectBeacon, SettingMinScoreIsInclusiveThreshold) {
  // Regular timing, random sizes: a middling score.
  std::vector<Conn> conns = regular(40, 60, 1, 0);
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> size(100, 5000);
  for (Conn& c : conns) c.bytes = size(rng);

  Beacon probe;
  probe.h.set("beacon_min_score", "0");
  probe.feed(conns);
  ASSERT_EQ(probe.run().size(), 1u);
  const double score = probe.h.sink.alerts[0].value;
  EXPECT_GT(score, 0.5);
  EXPECT_LT(score, 0.95);

  Beacon at;
  at.h.set("beacon_min_score", fmt::format("{}", score));
  at.feed(conns);
  ASSERT_EQ(at.run().size(), 1u);
  EXPECT_DOUBLE_EQ(at.h.sink.alerts[0].threshold, score);

  Beacon above;
  above.h.set("beacon_min_score", fmt::format("{}", score + 0.001));
  above.feed(conns);
  EXPECT_TRUE(above.run().empty());
}

TEST(DetectBeacon, MediumSeverityUnderHighScore) {
  // Regular timing with sizes that vary by +-30 bytes: timing is a beacon's, sizes less so.
  std::vector<Conn> conns = regular(40, 60, 1, 0);
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<std::uint64_t> size(470, 530);
  for (Conn& c : conns) c.bytes = size(rng);
  Beacon b;
  b.feed(conns);
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_LT(alerts[0].value, 0.95);
  EXPECT_GE(alerts[0].value, 0.8);
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);
}

TEST(DetectBeacon, OutOfOrderArrivalGivesTheSameScore) {
  std::vector<Conn> conns = regular(30, 60, 3, 180, 21);
  Beacon ordered;
  ordered.feed(conns);
  ASSERT_EQ(ordered.run().size(), 1u);

  std::mt19937_64 rng(4);
  std::shuffle(conns.begin(), conns.end(), rng);
  Beacon shuffled;
  shuffled.feed(conns);
  ASSERT_EQ(shuffled.run().size(), 1u);
  EXPECT_DOUBLE_EQ(shuffled.h.sink.alerts[0].value, ordered.h.sink.alerts[0].value);
  EXPECT_EQ(shuffled.h.sink.alerts[0].ts_ns, ordered.h.sink.alerts[0].ts_ns);
  EXPECT_EQ(shuffled.h.sink.alerts[0].frames, ordered.h.sink.alerts[0].frames);
}

TEST(DetectBeacon, JitteredHourlyBeaconStillScores) {
  Beacon b;
  b.feed(regular(24, 3600, 360, 150, 31));  // +-10% jitter
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_GE(alerts[0].value, 0.8);
  EXPECT_NEAR(num_field(alerts[0], "interval"), 3600, 400);
}

TEST(DetectBeacon, BurstsCountAsOneBeat) {
  {
    Beacon b;  // two connections per check-in, 200 ms apart, 20 check-ins
    std::vector<Conn> conns;
    for (const Conn& c : regular(20, 60, 0, 200)) {
      conns.push_back(c);
      conns.push_back({c.ts_ns + 200'000'000, 200});
    }
    b.feed(conns);
    auto& alerts = b.run();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(num_field(alerts[0], "connections"), 40);
    EXPECT_EQ(num_field(alerts[0], "beats"), 20);
    EXPECT_NEAR(num_field(alerts[0], "interval"), 60, 0.5);
  }
  {
    Beacon b;  // 38 connections, but only 19 check-ins
    std::vector<Conn> conns;
    for (const Conn& c : regular(19, 60, 0, 200)) {
      conns.push_back(c);
      conns.push_back({c.ts_ns + 200'000'000, 200});
    }
    b.feed(conns);
    EXPECT_TRUE(b.run().empty());
  }
}

TEST(DetectBeacon, MissedBeatsLowerTheCountScore) {
  // Every minute for 20 minutes, then silence for an hour, then 20 more: half the expected beats.
  std::vector<Conn> conns = regular(20, 60, 0, 200);
  for (const Conn& c : regular(20, 60, 0, 200)) conns.push_back({c.ts_ns + 80 * 60 * kSecond, 200});
  Beacon b;
  b.h.set("beacon_min_score", "0");
  b.feed(conns);
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_LT(num_field(alerts[0], "ts_score"), 0.9);
  EXPECT_GT(num_field(alerts[0], "ts_score"), 0.75);
}

TEST(DetectBeacon, OnlyInternalToExternal) {
  Beacon b;
  b.feed(regular(30, 60, 0, 200), "10.0.0.5", "10.0.0.53", 53, Transport::kUdp);     // internal to internal
  b.feed(regular(30, 60, 0, 200), "203.0.113.9", "10.0.0.5", 443);                   // inbound
  b.feed(regular(30, 60, 0, 200), "198.51.100.1", "203.0.113.9", 443);               // transit
  EXPECT_TRUE(b.run().empty());
  EXPECT_NE(b.det().stats().find("0 outbound sessions"), std::string::npos) << b.det().stats();
}

TEST(DetectBeacon, PairsAreKeyedByPortAndProtocol) {
  // 15 connections to each of two ports (and a UDP one) never make 20 to one service.
  Beacon b;
  b.feed(regular(15, 60, 0, 200), "10.0.0.5", "203.0.113.9", 443);
  b.feed(regular(15, 60, 0, 200), "10.0.0.5", "203.0.113.9", 8443);
  b.feed(regular(15, 60, 0, 200), "10.0.0.5", "203.0.113.9", 443, Transport::kUdp);
  EXPECT_TRUE(b.run().empty());

  Beacon c;
  c.feed(regular(25, 60, 0, 200), "fd00::5", "2001:db8::9", 123, Transport::kUdp);
  auto& alerts = c.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].proto, Transport::kUdp);
  EXPECT_EQ(alerts[0].dst_port, 123);
  EXPECT_NE(alerts[0].message.find("[2001:db8::9]:123/udp"), std::string::npos) << alerts[0].message;
}

TEST(DetectBeacon, SettingMaxPairs) {
  Beacon b;
  b.h.set("beacon_max_pairs", "1");
  b.feed(regular(30, 60, 0, 200), "10.0.0.5", "203.0.113.9");
  b.feed(regular(30, 60, 0, 200), "10.0.0.6", "203.0.113.9");
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("10.0.0.5"));
  EXPECT_NE(b.det().stats().find("30 sessions dropped at the pair cap"), std::string::npos) << b.det().stats();

  Beacon c;
  c.feed(regular(30, 60, 0, 200), "10.0.0.5", "203.0.113.9");
  c.feed(regular(30, 60, 0, 200), "10.0.0.6", "203.0.113.9");
  EXPECT_EQ(c.run().size(), 2u);
}

TEST(DetectBeacon, SettingMaxSamplesPerPair) {
  Beacon b;
  b.h.set("beacon_max_samples", "19");
  b.feed(regular(30, 60, 0, 200));
  EXPECT_TRUE(b.run().empty());
  EXPECT_NE(b.det().stats().find("11 at the sample caps"), std::string::npos) << b.det().stats();

  Beacon c;
  c.h.set("beacon_max_samples", "25");
  c.feed(regular(30, 60, 0, 200));
  auto& alerts = c.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(num_field(alerts[0], "beats"), 25);
  EXPECT_EQ(num_field(alerts[0], "connections"), 30);  // every session still counts as seen
}

TEST(DetectBeacon, SettingMaxTotalSamples) {
  Beacon b;
  b.h.set("beacon_max_total_samples", "40");
  b.feed(regular(30, 60, 0, 200), "10.0.0.5", "203.0.113.9");
  b.feed(regular(30, 60, 0, 200), "10.0.0.6", "203.0.113.9");  // only 10 samples left for this one
  auto& alerts = b.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("10.0.0.5"));
  EXPECT_NE(b.det().stats().find("20 at the sample caps"), std::string::npos) << b.det().stats();
}

}  // namespace
}  // namespace pcapscope::detect
