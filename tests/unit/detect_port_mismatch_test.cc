#include <fmt/format.h>

#include <string>
#include <vector>

#include "detect/detectors.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::SessionSpec;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;

using testing::field;
std::string text(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f) return "<missing>";
  if (auto* s = std::get_if<std::string>(&f->value)) return *s;
  return "<not text>";
}
std::int64_t count(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f) return -1;
  if (auto* i = std::get_if<std::int64_t>(&f->value)) return *i;
  return -2;
}

struct MismatchRun {
  Harness h{port_mismatch_settings()};
  std::unique_ptr<Detector> d;
  Detector& det() {
    if (!d) d = make_port_mismatch_detector(h.context());
    return *d;
  }
  const std::vector<Alert>& finish() {
    det().finish();
    return h.sink.alerts;
  }
};

SessionRecord rec(std::uint16_t port, std::string_view service, int i, bool flagged = true,
                  std::string_view client = "10.0.0.5", Transport proto = Transport::kTcp) {
  SessionSpec s;
  s.orig = client;
  s.resp = "203.0.113.9";
  s.resp_p = port;
  s.proto = proto;
  s.service = service;
  s.flags = flagged ? session_flag::kServiceMismatch : 0;
  s.ts_ns = kT0 + i * 1'000'000'000LL;
  s.duration_ns = 500'000'000;
  s.first_frame = 10 + static_cast<std::uint64_t>(i) * 10;
  s.last_frame = s.first_frame + 5;
  const std::string uid = fmt::format("CPm{:014d}", i);
  s.uid = uid;
  return testing::session(s);  // copies the uid
}

TEST(DetectPortMismatch, HttpOnAnOddPortIsLowWithEvidence) {
  MismatchRun r;
  r.det().on_session(rec(8081, "http", 0));
  r.det().on_session(rec(8081, "http", 1));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].detector, "port_mismatch");
  EXPECT_EQ(a[0].severity, Severity::kLow);
  EXPECT_EQ(a[0].src->to_string(), "10.0.0.5");
  EXPECT_EQ(a[0].dst->to_string(), "203.0.113.9");
  EXPECT_EQ(*a[0].dst_port, 8081);
  EXPECT_EQ(*a[0].proto, Transport::kTcp);
  EXPECT_EQ(a[0].ts_ns, kT0);
  EXPECT_EQ(a[0].last_ns, kT0 + 1'500'000'000);
  EXPECT_EQ(a[0].uids, (std::vector<std::string>{"CPm00000000000000", "CPm00000000000001"}));
  EXPECT_EQ(a[0].frames, (std::vector<std::uint64_t>{10, 20}));
  EXPECT_EQ(a[0].value, 2);
  EXPECT_EQ(a[0].threshold, 1);
  EXPECT_EQ(text(a[0], "service"), "http");
  EXPECT_EQ(text(a[0], "expected"), "-");
  EXPECT_EQ(count(a[0], "sessions"), 2);
  EXPECT_NE(a[0].message.find("203.0.113.9:8081"), std::string::npos) << a[0].message;
}

TEST(DetectPortMismatch, SshOn443IsMedium) {
  MismatchRun r;
  r.det().on_session(rec(443, "ssh", 0));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::kMedium);
  EXPECT_EQ(text(a[0], "service"), "ssh");
  EXPECT_EQ(text(a[0], "expected"), "ssl");
}

TEST(DetectPortMismatch, UnknownContentOnWebPortsIsMediumElsewhereLow) {
  MismatchRun r;
  r.det().on_session(rec(443, "", 0));
  r.det().on_session(rec(80, "", 1));
  r.det().on_session(rec(8443, "", 2));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 3u);
  for (const Alert& x : a) {
    EXPECT_EQ(text(x, "service"), "-");
    EXPECT_EQ(x.severity, *x.dst_port == 8443 ? Severity::kLow : Severity::kMedium) << *x.dst_port;
    EXPECT_EQ(text(x, "expected"), *x.dst_port == 80 ? "http" : "ssl");
  }
}

TEST(DetectPortMismatch, UnflaggedSessionsAreIgnored) {
  MismatchRun r;
  r.det().on_session(rec(8081, "http", 0, /*flagged=*/false));
  r.det().on_session(rec(443, "ssl", 1, /*flagged=*/false));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectPortMismatch, GroupsByServicePortAndTransport) {
  MismatchRun r;
  r.det().on_session(rec(8081, "http", 0));
  r.det().on_session(rec(8081, "ssl", 1));
  r.det().on_session(rec(8082, "http", 2));
  r.det().on_session(rec(443, "dns", 3, true, "10.0.0.5", Transport::kUdp));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 4u);
  bool udp = false;
  for (const Alert& x : a) {
    if (*x.proto == Transport::kUdp) {
      udp = true;
      EXPECT_EQ(text(x, "expected"), "quic");
    }
  }
  EXPECT_TRUE(udp);
}

TEST(DetectPortMismatch, ManyClientsLeaveSrcUnset) {
  MismatchRun r;
  r.det().on_session(rec(2222, "ssh", 0, true, "10.0.0.5"));
  r.det().on_session(rec(2222, "ssh", 1, true, "10.0.0.6"));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].src.has_value());
  EXPECT_EQ(count(a[0], "clients"), 2);
  EXPECT_EQ(a[0].severity, Severity::kMedium);
}

TEST(DetectPortMismatch, MinSessionsSetting) {
  MismatchRun under;
  under.h.set("port_mismatch_min_sessions", "3");
  under.det().on_session(rec(8081, "http", 0));
  under.det().on_session(rec(8081, "http", 1));
  EXPECT_TRUE(under.finish().empty());

  MismatchRun at;
  at.h.set("port_mismatch_min_sessions", "3");
  for (int i = 0; i < 3; ++i) at.det().on_session(rec(8081, "http", i));
  const auto& a = at.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].threshold, 3);
}

TEST(DetectPortMismatch, EvidenceIsCappedButCounted) {
  MismatchRun r;
  for (int i = 0; i < 30; ++i) r.det().on_session(rec(8081, "http", i));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].uids.size(), kMaxEvidence);
  EXPECT_EQ(a[0].uid_count, 30u);
  EXPECT_EQ(count(a[0], "sessions"), 30);
}

TEST(DetectPortMismatch, OutOfOrderSessionsKeepTheEarliestStart) {
  MismatchRun r;
  r.det().on_session(rec(8081, "http", 5));
  r.det().on_session(rec(8081, "http", 2));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].ts_ns, kT0 + 2'000'000'000);
  EXPECT_EQ(a[0].last_ns, kT0 + 5'500'000'000);
}

TEST(DetectPortMismatch, MaxGroupsSettingCapsAndCounts) {
  MismatchRun r;
  r.h.set("port_mismatch_max_groups", "1");
  r.det().on_session(rec(8081, "http", 0));
  r.det().on_session(rec(8082, "http", 1));
  EXPECT_EQ(r.finish().size(), 1u);
  EXPECT_NE(r.d->stats().find("1 sessions dropped"), std::string::npos) << r.d->stats();
}

}  // namespace
}  // namespace pcapscope::detect
