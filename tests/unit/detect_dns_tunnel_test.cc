#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "detect/detectors.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

struct Q {
  std::string name;
  std::uint16_t qtype = 1;
  std::int64_t ts_ns = kT0;
  std::string client = "10.0.0.5";
  std::string server = "192.168.1.1";
  std::uint64_t frame = 1;
  std::string uid = "CDns0000000000001";
};

DnsLogRecord dns(const Q& q) {
  DnsLogRecord r;
  testing::header(r, q.client, 50000, q.server, 53, Transport::kUdp, q.ts_ns, q.uid, q.frame);
  r.has_query = true;
  r.query = q.name;
  r.qtype = q.qtype;
  r.qclass = 1;
  return r;
}

// Deterministic base32-looking label of LEN characters (high entropy).
std::string random_label(std::uint64_t seed, std::size_t len) {
  static constexpr char kAlpha[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string s;
  std::uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (std::size_t i = 0; i < len; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s += kAlpha[(x >> 33) % 32];
  }
  return s;
}

// Long but low-entropy label: the index in binary written with 'a'/'b', padded with 'a'.
std::string binary_label(std::uint64_t i, std::size_t len) {
  std::string s(len, 'a');
  for (std::size_t b = 0; b < 20 && b < len; ++b) s[len - 1 - b] = (i >> b) & 1 ? 'b' : 'a';
  return s;
}

// 20 characters, about 4 bits/char: all 16 hex digits rotated, plus the index in hex.
std::string hex_label(std::uint64_t i) {
  std::string h = "0123456789abcdef";
  std::rotate(h.begin(), h.begin() + static_cast<long>(i % 16), h.end());
  return h + fmt::format("{:04x}", i);
}

struct TunnelRun {
  Harness h{dns_tunnel_settings()};
  std::unique_ptr<Detector> d;
  void start() { d = make_dns_tunnel_detector(h.context()); }
  void feed(const std::vector<Q>& qs) {
    if (!d) start();
    for (const Q& q : qs) d->on_dns(dns(q));
  }
  const std::vector<Alert>& finish() {
    if (!d) start();
    d->finish();
    return h.sink.alerts;
  }
};

// N queries, each at RATE per second, names from LABEL(i) under DOMAIN.
template <class F>
std::vector<Q> queries(std::size_t n, double rate, const std::string& domain, F label, std::uint16_t qtype = 1) {
  std::vector<Q> out;
  for (std::size_t i = 0; i < n; ++i) {
    Q q;
    q.name = fmt::format("{}.{}", label(i), domain);
    q.qtype = qtype;
    q.ts_ns = kT0 + static_cast<std::int64_t>(static_cast<double>(i) / rate * 1e9);
    q.frame = 100 + i * 2;
    q.uid = fmt::format("CDns{:013d}", i);
    out.push_back(q);
  }
  return out;
}

using testing::field;
double num(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f) {
    ADD_FAILURE() << "missing key " << key;
    return -1;
  }
  if (auto* d = std::get_if<double>(&f->value)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&f->value)) return static_cast<double>(*i);
  ADD_FAILURE() << "not a number: " << key;
  return -1;
}
std::string text(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f) return "<missing>";
  if (auto* s = std::get_if<std::string>(&f->value)) return *s;
  return "<not text>";
}

TEST(DetectDnsTunnel, IodineLikeTunnelIsHighWithEvidence) {
  TunnelRun r;
  r.feed(queries(100, 10, "t.evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  const auto& alerts = r.finish();
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "dns_tunnel");
  EXPECT_EQ(a.severity, Severity::kHigh);  // long, random and TXT
  EXPECT_EQ(a.src->to_string(), "10.0.0.5");
  EXPECT_EQ(a.dst->to_string(), "192.168.1.1");
  EXPECT_EQ(*a.dst_port, 53);
  EXPECT_EQ(*a.proto, Transport::kUdp);
  EXPECT_EQ(a.ts_ns, kT0);
  EXPECT_EQ(a.last_ns, kT0 + static_cast<std::int64_t>(99 / 10.0 * 1e9));
  EXPECT_EQ(a.value, 100);
  EXPECT_EQ(a.threshold, 50);
  EXPECT_EQ(a.uids.size(), kMaxEvidence);
  EXPECT_EQ(a.uid_count, 100u);
  EXPECT_EQ(a.uids[0], "CDns0000000000000");
  ASSERT_EQ(a.frames.size(), kMaxEvidence);
  EXPECT_EQ(a.frames[0], 100u);
  EXPECT_EQ(text(a, "domain"), "evil-tunnel.com");
  EXPECT_EQ(num(a, "queries"), 100);
  EXPECT_EQ(num(a, "subdomains"), 100);
  EXPECT_DOUBLE_EQ(num(a, "mean_label_length"), 42.0);  // 40 + ".t"
  EXPECT_GT(num(a, "entropy"), 4.0);
  EXPECT_DOUBLE_EQ(num(a, "txt_null_ratio"), 1.0);
  EXPECT_EQ(num(a, "peak_rate"), 10);
  EXPECT_EQ(text(a, "server"), "192.168.1.1");
  EXPECT_NE(a.message.find("evil-tunnel.com"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find(">= 50"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("mean subdomain length 42.0 >= 30"), std::string::npos) << a.message;
}

TEST(DetectDnsTunnel, LongLabelsAloneAreMedium) {
  TunnelRun r;
  r.feed(queries(60, 5, "data.example.org", [](std::size_t i) { return binary_label(i, 35); }));
  const auto& alerts = r.finish();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(text(alerts[0], "domain"), "example.org");
  EXPECT_LT(num(alerts[0], "entropy"), 3.5);
  EXPECT_DOUBLE_EQ(num(alerts[0], "mean_label_length"), 40.0);  // 35 + ".data"
}

TEST(DetectDnsTunnel, MinLabelLengthSettingChangesTheVerdict) {
  TunnelRun r;
  r.h.set("dns_tunnel_min_label_length", "41");
  r.feed(queries(60, 5, "data.example.org", [](std::size_t i) { return binary_label(i, 35); }));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, HighEntropyShortLabelsAloneAreMedium) {
  TunnelRun r;
  r.feed(queries(60, 5, "example.net", hex_label));
  const auto& alerts = r.finish();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);
  EXPECT_DOUBLE_EQ(num(alerts[0], "mean_label_length"), 20.0);
  EXPECT_GE(num(alerts[0], "entropy"), 3.5);
  EXPECT_NE(alerts[0].message.find("entropy"), std::string::npos);
}

TEST(DetectDnsTunnel, MinEntropySettingChangesTheVerdict) {
  TunnelRun r;
  r.h.set("dns_tunnel_min_entropy", "4.4");
  r.feed(queries(60, 5, "example.net", hex_label));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, HighRateAddsSeverity) {
  TunnelRun fast;
  fast.feed(queries(60, 25, "example.net", hex_label));
  const auto& a = fast.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::kHigh);
  EXPECT_GE(num(a[0], "peak_rate"), 20);

  TunnelRun slow;  // 19 queries/s: just under the rate
  slow.feed(queries(60, 19, "example.net", hex_label));
  const auto& b = slow.finish();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].severity, Severity::kMedium);
  EXPECT_LT(num(b[0], "peak_rate"), 20);
}

TEST(DetectDnsTunnel, MaxRateSettingChangesSeverity) {
  TunnelRun r;
  r.h.set("dns_tunnel_max_rate", "30");
  r.feed(queries(60, 25, "example.net", hex_label));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::kMedium);
}

// Short, low-entropy names: only the TXT share can fire.
std::vector<Q> txt_mix(std::size_t txt) {
  auto qs = queries(60, 2, "example.com", [](std::size_t i) { return fmt::format("h{}", i); });
  for (std::size_t i = 0; i < qs.size(); ++i) qs[i].qtype = i < txt ? 16 : 1;
  return qs;
}

TEST(DetectDnsTunnel, TxtShareAtTheThresholdAlerts) {
  TunnelRun r;
  r.feed(txt_mix(30));  // 30/60 = 0.5
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::kMedium);
  EXPECT_DOUBLE_EQ(num(a[0], "txt_null_ratio"), 0.5);
}

TEST(DetectDnsTunnel, TxtShareJustUnderDoesNot) {
  TunnelRun r;
  r.feed(txt_mix(29));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, TxtRatioSettingChangesTheVerdict) {
  TunnelRun r;
  r.h.set("dns_tunnel_txt_ratio", "0.4");
  r.feed(txt_mix(29));
  EXPECT_EQ(r.finish().size(), 1u);
}

TEST(DetectDnsTunnel, NullAndPrivateTypesCountAsData) {
  TunnelRun r;
  auto qs = txt_mix(0);
  for (std::size_t i = 0; i < 30; ++i) qs[i].qtype = i % 2 ? 10 : 65399;
  r.feed(qs);
  EXPECT_EQ(r.finish().size(), 1u);
}

TEST(DetectDnsTunnel, FortyNineTunnelSubdomainsAreNotEnough) {
  TunnelRun r;
  // 120 queries, but only 49 distinct tunnel-like names.
  r.feed(queries(120, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i % 49, 40); }, 16));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, MinSubdomainsSettingChangesTheVerdict) {
  TunnelRun r;
  r.h.set("dns_tunnel_min_subdomains", "49");
  r.feed(queries(120, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i % 49, 40); }, 16));
  EXPECT_EQ(r.finish().size(), 1u);
}

TEST(DetectDnsTunnel, MinQueriesGate) {
  TunnelRun under;
  under.h.set("dns_tunnel_min_subdomains", "10");
  under.feed(queries(49, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  EXPECT_TRUE(under.finish().empty());

  TunnelRun at;
  at.h.set("dns_tunnel_min_subdomains", "10");
  at.feed(queries(50, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  EXPECT_EQ(at.finish().size(), 1u);

  TunnelRun raised;
  raised.h.set("dns_tunnel_min_queries", "101");
  raised.feed(queries(100, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  EXPECT_TRUE(raised.finish().empty());
}

TEST(DetectDnsTunnel, CdnBurstOfShortNamesIsNotATunnel) {
  TunnelRun r;
  // 200 queries for 100 distinct short names at 100 per second: volume and rate, no content indicator.
  r.feed(queries(200, 100, "cdn-example.net", [](std::size_t i) { return fmt::format("img{}", i % 100); }));
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, ReverseLookupsAreSkipped) {
  TunnelRun r;
  std::vector<Q> qs;
  for (std::size_t i = 0; i < 200; ++i) {
    Q q;
    q.qtype = 12;
    q.name = i % 2 ? fmt::format("{}.{}.0.10.in-addr.arpa", i % 250, i / 250)
                   : fmt::format("{}.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                                 random_label(i, 1));
    q.ts_ns = kT0 + static_cast<std::int64_t>(i) * kSec / 50;
    qs.push_back(q);
  }
  r.feed(qs);
  EXPECT_TRUE(r.finish().empty());
  EXPECT_NE(r.d->stats().find("200 .arpa/.local names skipped"), std::string::npos) << r.d->stats();
}

TEST(DetectDnsTunnel, CaseRandomisationDoesNotInventSubdomains) {
  TunnelRun r;
  auto qs = queries(100, 5, "example.com", [](std::size_t i) {
    std::string l = random_label(i % 10, 40);
    for (std::size_t k = 0; k < l.size(); ++k)
      if ((i + k) % 3 == 0 && l[k] >= 'a' && l[k] <= 'z') l[k] = static_cast<char>(l[k] - 32);
    return l;
  }, 16);
  r.feed(qs);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, ClientsAreCountedSeparately) {
  TunnelRun r;
  auto a = queries(40, 5, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16);
  auto b = queries(40, 5, "evil-tunnel.com", [](std::size_t i) { return random_label(i + 1000, 40); }, 16);
  for (Q& q : b) q.client = "10.0.0.6";
  r.feed(a);
  r.feed(b);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectDnsTunnel, OutOfOrderRecordsStillAlert) {
  TunnelRun r;
  auto qs = queries(100, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16);
  std::reverse(qs.begin(), qs.end());
  r.feed(qs);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].ts_ns, kT0);
}

TEST(DetectDnsTunnel, PairCapDropsAndCounts) {
  TunnelRun r;
  r.h.set("dns_tunnel_max_pairs", "1");
  auto first = queries(10, 5, "benign.org", [](std::size_t i) { return fmt::format("w{}", i); });
  r.feed(first);
  r.feed(queries(100, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  EXPECT_TRUE(r.finish().empty());
  EXPECT_NE(r.d->stats().find("100 queries dropped at the cap"), std::string::npos) << r.d->stats();
}

TEST(DetectDnsTunnel, SubdomainCapSaturates) {
  TunnelRun r;
  r.h.set("dns_tunnel_max_subdomains", "60");
  r.feed(queries(100, 10, "evil-tunnel.com", [](std::size_t i) { return random_label(i, 40); }, 16));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(num(a[0], "subdomains"), 60);
  EXPECT_EQ(num(a[0], "queries"), 100);
  EXPECT_NE(a[0].message.find("at least 60"), std::string::npos) << a[0].message;
}

TEST(DetectDnsTunnel, SettingsAreNamedAndReadable) {
  for (const auto& s : dns_tunnel_settings()) EXPECT_TRUE(s.name.starts_with("dns_tunnel_")) << s.name;
  Harness h(dns_tunnel_settings());
  EXPECT_EQ(h.config.count("dns_tunnel_min_queries"), 50u);
  EXPECT_EQ(h.config.count("dns_tunnel_min_subdomains"), 50u);
  EXPECT_EQ(h.config.count("dns_tunnel_min_label_length"), 30u);
  EXPECT_DOUBLE_EQ(h.config.number("dns_tunnel_min_entropy"), 3.5);
  EXPECT_DOUBLE_EQ(h.config.number("dns_tunnel_txt_ratio"), 0.5);
  EXPECT_DOUBLE_EQ(h.config.number("dns_tunnel_max_rate"), 20);
  EXPECT_FALSE(h.config.set("dns_tunnel_txt_ratio", "1.5").ok());
}

}  // namespace
}  // namespace pcapscope::detect
