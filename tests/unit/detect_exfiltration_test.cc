// exfiltration detector: per-session and per-pair upload ratio over a minimum volume.
#include <algorithm>
#include <memory>
#include <string>
#include <variant>

#include <fmt/format.h>

#include "detect/detectors.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::ip;
using testing::session;
using testing::SessionSpec;

using testing::field;

std::int64_t int_field(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f || !std::holds_alternative<std::int64_t>(f->value)) {
    ADD_FAILURE() << "no integer extra key " << key;
    return -1;
  }
  return std::get<std::int64_t>(f->value);
}

std::string text_field(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f || !std::holds_alternative<std::string>(f->value)) {
    ADD_FAILURE() << "no text extra key " << key;
    return {};
  }
  return std::get<std::string>(f->value);
}

struct Exfil {
  Harness h{exfiltration_settings()};
  std::unique_ptr<Detector> d;
  Detector& det() {
    if (!d) d = make_exfiltration_detector(h.context());
    return *d;
  }
  void feed(const SessionSpec& s) { det().on_session(session(s)); }
  std::vector<Alert>& run() {
    det().finish();
    return h.sink.alerts;
  }
};

SessionSpec upload(std::uint64_t sent, std::uint64_t received) {
  SessionSpec s;
  s.orig = "10.0.0.5";
  s.resp = "203.0.113.9";
  s.resp_p = 443;
  s.orig_bytes = sent;
  s.resp_bytes = received;
  s.uid = "CExfilSession0001";
  s.first_frame = 100;
  s.last_frame = 5000;
  return s;
}

TEST(DetectExfiltration, SessionUploadAlertsWithEvidence) {
  Exfil x;
  x.feed(upload(48'200'000, 12'100));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "exfiltration");
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(a.src, ip("10.0.0.5"));
  EXPECT_EQ(a.dst, ip("203.0.113.9"));
  EXPECT_EQ(a.dst_port, 443);
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(a.ts_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(a.last_ns, 1'700'000'001'000'000'000);
  ASSERT_EQ(a.uids.size(), 1u);
  EXPECT_EQ(a.uids[0], "CExfilSession0001");
  EXPECT_EQ(a.uid_count, 1u);
  EXPECT_EQ(a.frames, (std::vector<std::uint64_t>{100, 5000}));
  EXPECT_NEAR(a.value, 48'200'000.0 / 12'100.0, 1e-6);
  EXPECT_DOUBLE_EQ(a.threshold, 10);
  EXPECT_EQ(text_field(a, "scope"), "session");
  EXPECT_EQ(text_field(a, "internal_role"), "originator");
  EXPECT_EQ(int_field(a, "sent_bytes"), 48'200'000);
  EXPECT_EQ(int_field(a, "received_bytes"), 12'100);
  EXPECT_EQ(int_field(a, "sessions"), 1);
  EXPECT_EQ(int_field(a, "min_bytes"), 1'000'000);
  EXPECT_EQ(a.message, "10.0.0.5 sent 48.2 MB to 203.0.113.9 and received 12.1 kB in one session (ratio 3983 > 10)");
}

TEST(DetectExfiltration, InternalResponderServingDataCounts) {
  Exfil x;
  SessionSpec s = upload(10'000, 5'000'000);  // the external client pulls from the internal server
  s.orig = "198.51.100.7";
  s.resp = "10.0.0.8";
  s.resp_p = 22;
  x.feed(s);
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("10.0.0.8"));
  EXPECT_EQ(alerts[0].dst, ip("198.51.100.7"));
  EXPECT_FALSE(alerts[0].dst_port.has_value());  // the external side's port is ephemeral
  EXPECT_EQ(text_field(alerts[0], "internal_role"), "responder");
  EXPECT_EQ(int_field(alerts[0], "sent_bytes"), 5'000'000);
  EXPECT_DOUBLE_EQ(alerts[0].value, 500);
}

TEST(DetectExfiltration, DownloadIsNotExfiltration) {
  Exfil x;
  x.feed(upload(12'100, 48'200'000));
  EXPECT_TRUE(x.run().empty());
}

TEST(DetectExfiltration, InternalToInternalAndExternalToExternalIgnored) {
  Exfil x;
  SessionSpec s = upload(50'000'000, 0);
  s.resp = "10.9.9.9";
  x.feed(s);
  s.orig = "198.51.100.1";
  s.resp = "203.0.113.9";
  x.feed(s);
  EXPECT_TRUE(x.run().empty());
  EXPECT_NE(x.det().stats().find("0 internal/external sessions"), std::string::npos) << x.det().stats();
}

TEST(DetectExfiltration, NearMissesJustUnderEachThreshold) {
  {
    Exfil x;
    x.feed(upload(999'999, 0));  // volume one byte short
    EXPECT_TRUE(x.run().empty());
  }
  {
    Exfil x;
    x.feed(upload(2'000'000, 200'000));  // ratio exactly 10: must exceed
    EXPECT_TRUE(x.run().empty());
  }
  {
    Exfil x;
    x.feed(upload(1'000'000, 99'999));  // both just over
    ASSERT_EQ(x.run().size(), 1u);
  }
}

TEST(DetectExfiltration, NothingReceivedIsRatioOfSentBytes) {
  Exfil x;
  x.feed(upload(3'000'000, 0));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_DOUBLE_EQ(alerts[0].value, 3'000'000);
}

TEST(DetectExfiltration, HighSeverityAtHundredTimesMinimum) {
  Exfil x;
  x.feed(upload(100'000'000, 1000));
  x.feed(upload(99'999'999, 1000));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(alerts[1].severity, Severity::kMedium);
}

SessionSpec piece(int i, std::uint64_t sent, std::uint64_t received) {
  static std::string uids[32];
  SessionSpec s = upload(sent, received);
  uids[i] = fmt::format("CPiece{:011d}", i);
  s.uid = uids[i];
  s.ts_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 60'000'000'000;
  s.first_frame = 1000 + static_cast<std::uint64_t>(i) * 100;
  s.last_frame = s.first_frame + 50;
  s.orig_p = static_cast<std::uint16_t>(40000 + i);
  return s;
}

TEST(DetectExfiltration, PairAlertForExfiltrationSpreadOverSessions) {
  Exfil x;
  // Arrives out of order: the pair's evidence is judged by capture time.
  for (int i : {3, 1, 4, 0, 2}) x.feed(piece(i, 300'000, 1'000));
  EXPECT_TRUE(x.h.sink.alerts.empty()) << "no session meets the volume on its own";
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(text_field(a, "scope"), "pair");
  EXPECT_EQ(int_field(a, "sessions"), 5);
  EXPECT_EQ(int_field(a, "sent_bytes"), 1'500'000);
  EXPECT_EQ(int_field(a, "received_bytes"), 5'000);
  EXPECT_DOUBLE_EQ(a.value, 300);
  EXPECT_EQ(a.src, ip("10.0.0.5"));
  EXPECT_EQ(a.dst, ip("203.0.113.9"));
  EXPECT_EQ(a.dst_port, 443);
  EXPECT_EQ(a.ts_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(a.last_ns, 1'700'000'000'000'000'000 + 4 * 60'000'000'000 + 1'000'000'000);
  EXPECT_EQ(a.uid_count, 5u);
  EXPECT_EQ(a.uids, (std::vector<std::string>{"CPiece00000000000", "CPiece00000000001", "CPiece00000000002",
                                              "CPiece00000000003", "CPiece00000000004"}));
  EXPECT_EQ(a.frames, (std::vector<std::uint64_t>{1000, 1100, 1200, 1300, 1400}));
  EXPECT_EQ(a.message, "10.0.0.5 sent 1.5 MB to 203.0.113.9 and received 5.0 kB over 5 sessions (ratio 300 > 10)");
}

TEST(DetectExfiltration, PairKeepsEarliestEvidenceAndDropsPortWhenMixed) {
  Exfil x;
  for (int i = 29; i >= 0; --i) {
    SessionSpec s = piece(i, 100'000, 10);
    s.resp_p = static_cast<std::uint16_t>(i % 2 ? 443 : 8443);
    x.feed(s);
  }
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].uid_count, 30u);
  ASSERT_EQ(alerts[0].uids.size(), 10u);
  EXPECT_EQ(alerts[0].uids.front(), "CPiece00000000000");
  EXPECT_EQ(alerts[0].uids.back(), "CPiece00000000009");
  EXPECT_FALSE(alerts[0].dst_port.has_value());
}

TEST(DetectExfiltration, PairNearMisses) {
  {
    Exfil x;
    for (int i = 0; i < 3; ++i) x.feed(piece(i, 333'333, 0));  // 999,999 bytes in all
    EXPECT_TRUE(x.run().empty());
  }
  {
    Exfil x;
    for (int i = 0; i < 4; ++i) x.feed(piece(i, 500'000, 50'000));  // ratio exactly 10 over the pair
    EXPECT_TRUE(x.run().empty());
  }
  {
    Exfil x;  // the same volume to different external hosts is not one pair
    for (int i = 0; i < 4; ++i) {
      SessionSpec s = piece(i, 300'000, 0);
      s.resp = i % 2 ? "203.0.113.9" : "203.0.113.10";
      x.feed(s);
    }
    EXPECT_TRUE(x.run().empty());
  }
}

TEST(DetectExfiltration, NoPairAlertForEvidenceASessionAlreadyReported) {
  Exfil x;
  x.feed(piece(0, 5'000'000, 1'000));  // alerts alone
  x.feed(piece(1, 300'000, 1'000));    // the rest: 600 kB, under the volume
  x.feed(piece(2, 300'000, 1'000));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(text_field(alerts[0], "scope"), "session");
}

TEST(DetectExfiltration, PairAlertCoversOnlyTheSessionsThatDidNotAlert) {
  Exfil x;
  x.feed(piece(0, 5'000'000, 1'000));
  for (int i = 1; i <= 4; ++i) x.feed(piece(i, 300'000, 1'000));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(text_field(alerts[0], "scope"), "session");
  EXPECT_EQ(text_field(alerts[1], "scope"), "pair");
  EXPECT_EQ(int_field(alerts[1], "sessions"), 4);
  EXPECT_EQ(int_field(alerts[1], "sent_bytes"), 1'200'000);
  EXPECT_EQ(alerts[1].uids.front(), "CPiece00000000001");
}

TEST(DetectExfiltration, SettingRatio) {
  Exfil x;
  x.h.set("exfil_ratio", "2");
  x.feed(upload(2'000'000, 900'000));  // ratio 2.2: only alerts with the lower ratio
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_DOUBLE_EQ(alerts[0].threshold, 2);

  Exfil y;
  y.feed(upload(2'000'000, 900'000));
  EXPECT_TRUE(y.run().empty());
}

TEST(DetectExfiltration, SettingRatioRejectsOneOrLess) {
  Harness h{exfiltration_settings()};
  auto r = h.config.set("exfil_ratio", "1", config::Source::kEnvironment);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected a number greater than 1"), std::string::npos) << r.error().message;
}

TEST(DetectExfiltration, SettingMinBytes) {
  Exfil x;
  x.h.set("exfil_min_bytes", "100K");
  x.feed(upload(102'400, 0));
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(int_field(alerts[0], "min_bytes"), 102'400);
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);

  Exfil y;
  y.h.set("exfil_min_bytes", "100K");
  y.feed(upload(102'399, 0));
  EXPECT_TRUE(y.run().empty());
}

TEST(DetectExfiltration, SettingMaxPairsCapsTrackedPairs) {
  Exfil x;
  x.h.set("exfil_max_pairs", "1");
  for (int i = 0; i < 4; ++i) {
    SessionSpec a = piece(i, 300'000, 0);
    x.feed(a);
    a.resp = "203.0.113.77";
    x.feed(a);
  }
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);  // the second pair was never tracked
  EXPECT_EQ(alerts[0].dst, ip("203.0.113.9"));
  EXPECT_NE(x.det().stats().find("4 sessions dropped at the pair cap"), std::string::npos) << x.det().stats();

  Exfil y;
  for (int i = 0; i < 4; ++i) {
    SessionSpec a = piece(i, 300'000, 0);
    y.feed(a);
    a.resp = "203.0.113.77";
    y.feed(a);
  }
  EXPECT_EQ(y.run().size(), 2u);
}

TEST(DetectExfiltration, SessionAlertsStillFireBeyondThePairCap) {
  Exfil x;
  x.h.set("exfil_max_pairs", "1");
  x.feed(piece(0, 100, 0));
  SessionSpec big = upload(9'000'000, 0);
  big.resp = "203.0.113.200";
  x.feed(big);
  EXPECT_EQ(x.run().size(), 1u);
}

TEST(DetectExfiltration, Ipv6Pair) {
  Exfil x;
  SessionSpec s = upload(4'000'000, 100);
  s.orig = "fd00::5";
  s.resp = "2001:db8::9";
  x.feed(s);
  auto& alerts = x.run();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("fd00::5"));
  EXPECT_EQ(alerts[0].dst, ip("2001:db8::9"));
}

}  // namespace
}  // namespace pcapscope::detect
