// ssh_new_network: learning, the N-day window through the baseline file
// across runs, GeoIP countries (a test database written by
// tests/tools/make_test_mmdb.pl), IPv6 prefixes, each setting, and the same
// capture analysed twice giving the same alerts.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "detect/baseline.h"
#include "detect/detectors.h"
#include "detect/geoip.h"
#include "detect_test_support.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::ip;
namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kHour = 3'600'000'000'000;
constexpr std::string_view kServer = "192.0.2.10";

struct Login {
  std::string_view client;
  std::int64_t ts_ns;
  SshLogRecord::Auth auth = SshLogRecord::Auth::kSuccess;
  std::string_view server = kServer;
  std::uint16_t port = 22;
  std::string_view uid = "CLogin0000000001";
  std::uint64_t frame = 7;
};

SshLogRecord ssh(const Login& l) {
  SshLogRecord r;
  testing::header(r, l.client, 51000, l.server, l.port, Transport::kTcp, l.ts_ns, l.uid, l.frame);
  r.version = 2;
  r.auth_success = l.auth;
  r.auth_attempts = 1;
  return r;
}

std::string temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(PCAPSCOPE_TEST_TMPDIR) / fmt::format("sshnew-{}-{}", info->name(), ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

using testing::field;
std::string text_field(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  return f && std::holds_alternative<std::string>(f->value) ? std::get<std::string>(f->value) : "<missing>";
}
// last_seen is seconds since the epoch (as ts in JSON); back to ns for comparison with the test's times.
std::int64_t seconds_field_ns(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  return f && std::holds_alternative<double>(f->value) ? std::llround(std::get<double>(f->value) * 1e9) : -999;
}
std::int64_t int_field(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  return f && std::holds_alternative<std::int64_t>(f->value) ? std::get<std::int64_t>(f->value) : -999;
}

// One analysis: LOGINS fed in the given order through a detector over STORE/GEOIP (either may be null).
struct Analysis {
  Harness h{ssh_new_network_settings()};
  std::string stats;
  std::vector<Alert> go(const std::vector<Login>& logins, BaselineStore* store = nullptr, const GeoIp* geoip = nullptr) {
    DetectContext ctx = h.context();
    ctx.baseline = store;
    ctx.geoip = geoip;
    auto det = make_ssh_new_network_detector(ctx);
    EXPECT_EQ(det->name(), "ssh_new_network");
    for (const Login& l : logins) det->on_ssh(ssh(l));
    det->finish();
    stats = det->stats();
    return h.sink.alerts;
  }
};

// A run through the baseline file at PATH, committed.
std::vector<Alert> run_with_file(const std::string& path, bool learn, const std::vector<Login>& logins) {
  auto store = BaselineStore::open(path, learn);
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return {};
  }
  Analysis run;
  auto alerts = run.go(logins, store->get());
  auto r = (*store)->commit();
  EXPECT_TRUE(r.ok()) << r.error().message;
  return alerts;
}

TEST(DetectSshNewNetwork, LearnsThenAlertsOnNewNetworkAndAfterTheWindow) {
  std::string path = temp_dir() + "/baseline.sqlite";
  // Analysis 1: the server's first logins are learned, no alert.
  EXPECT_TRUE(run_with_file(path, true, {{"198.51.100.7", kT0}, {"198.51.100.8", kT0 + kHour}}).empty());

  // Analysis 2, 30 days later: the known network is quiet, a new one alerts.
  std::int64_t t30 = kT0 + 30 * kNsPerDay;
  auto alerts = run_with_file(path, true,
                              {{"198.51.100.9", t30},
                               {"203.0.113.9", t30 + kHour, SshLogRecord::Auth::kSuccess, kServer, 2222,
                                "CNewNet000000001", 4242}});
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.detector, "ssh_new_network");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.ts_ns, t30 + kHour);
  EXPECT_EQ(a.last_ns, t30 + kHour);
  EXPECT_EQ(a.src, ip("203.0.113.9"));
  EXPECT_EQ(a.dst, ip(kServer));
  EXPECT_EQ(a.dst_port, 2222);
  EXPECT_EQ(a.proto, Transport::kTcp);
  EXPECT_EQ(a.uids, std::vector<std::string>{"CNewNet000000001"});
  EXPECT_EQ(a.frames, std::vector<std::uint64_t>{4242});
  EXPECT_EQ(a.value, -1);  // never seen
  EXPECT_EQ(a.threshold, 90);
  EXPECT_EQ(text_field(a, "network"), "203.0.113.0/24");
  EXPECT_EQ(field(a, "country"), nullptr);
  EXPECT_EQ(field(a, "last_seen"), nullptr);
  EXPECT_EQ(int_field(a, "known_networks"), 1);
  EXPECT_NE(a.message.find("203.0.113.9"), std::string::npos) << a.message;
  EXPECT_NE(a.message.find("never seen before; window 90 days"), std::string::npos) << a.message;

  // 89 days after run 2 (read-only: learns nothing): still inside the window.
  EXPECT_TRUE(run_with_file(path, false, {{"198.51.100.1", t30 + 89 * kNsPerDay}}).empty());
  // 91 days after run 2: the first network alerts again.
  std::int64_t t121 = t30 + 91 * kNsPerDay;
  alerts = run_with_file(path, true, {{"198.51.100.1", t121}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NEAR(alerts[0].value, 91, 1e-6);
  EXPECT_EQ(alerts[0].threshold, 90);
  EXPECT_EQ(seconds_field_ns(alerts[0], "last_seen"), t30);
  EXPECT_EQ(int_field(alerts[0], "known_networks"), 2);
  EXPECT_EQ(text_field(alerts[0], "network"), "198.51.100.0/24");
  EXPECT_NE(alerts[0].message.find("last seen 91.0 days ago > 90"), std::string::npos) << alerts[0].message;
  // That login was learned: a day later it is known again.
  EXPECT_TRUE(run_with_file(path, true, {{"198.51.100.1", t121 + kNsPerDay}}).empty());
}

TEST(DetectSshNewNetwork, WindowEdgeIsInclusive) {
  // Seen exactly 90 days before: inside. 90 days and 1 ns: outside.
  Analysis at_edge;
  EXPECT_TRUE(at_edge.go({{"198.51.100.7", kT0}, {"203.0.113.1", kT0 + 1}, {"198.51.100.7", kT0 + 90 * kNsPerDay}})
                  .size() == 1u);  // only 203.0.113.1, new
  Analysis past;
  auto alerts = past.go({{"198.51.100.7", kT0}, {"198.51.100.7", kT0 + 90 * kNsPerDay + 1}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_GT(alerts[0].value, 90);
  EXPECT_EQ(seconds_field_ns(alerts[0], "last_seen"), kT0);
}

TEST(DetectSshNewNetwork, FailedLoginsAreIgnored) {
  Analysis run;
  auto alerts = run.go({{"198.51.100.7", kT0, SshLogRecord::Auth::kFailure},   // does not make the server known
                        {"203.0.113.9", kT0 + kHour},                         // first success: learned
                        {"192.0.2.77", kT0 + 2 * kHour, SshLogRecord::Auth::kFailure},
                        {"192.0.2.78", kT0 + 3 * kHour, SshLogRecord::Auth::kUnset}});
  EXPECT_TRUE(alerts.empty());
  EXPECT_NE(run.stats.find("1 successful logins judged (0 alerts); 1 to servers seen for the first time"),
            std::string::npos)
      << run.stats;
}

TEST(DetectSshNewNetwork, ServersAreJudgedSeparately) {
  Analysis run;
  auto alerts = run.go({{"198.51.100.7", kT0},
                        {"203.0.113.9", kT0 + kHour, SshLogRecord::Auth::kSuccess, "192.0.2.20"},  // new server
                        {"203.0.113.9", kT0 + 2 * kHour}});  // known server, network new to it
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].dst, ip(kServer));
  EXPECT_EQ(alerts[0].ts_ns, kT0 + 2 * kHour);
}

TEST(DetectSshNewNetwork, Ipv6NetworksArePrefixes) {
  Analysis run;
  auto alerts = run.go({{"2001:db8:1::5", kT0, SshLogRecord::Auth::kSuccess, "2001:db8:ff::22"},
                        {"2001:db8:1:ff::9", kT0 + kHour, SshLogRecord::Auth::kSuccess, "2001:db8:ff::22"},
                        {"2001:db8:2::1", kT0 + 2 * kHour, SshLogRecord::Auth::kSuccess, "2001:db8:ff::22"}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("2001:db8:2::1"));
  EXPECT_EQ(alerts[0].dst, ip("2001:db8:ff::22"));
  EXPECT_EQ(text_field(alerts[0], "network"), "2001:db8:2::/48");
}

TEST(DetectSshNewNetwork, OutOfOrderRecordsAreJudgedInCaptureTimeOrder) {
  Analysis run;
  // The later login's session ended first.
  auto alerts = run.go({{"203.0.113.9", kT0 + kHour}, {"198.51.100.7", kT0}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src, ip("203.0.113.9"));
}

TEST(DetectSshNewNetwork, SameCaptureTwiceGivesTheSameAlerts) {
  std::string path = temp_dir() + "/baseline.sqlite";
  std::vector<Login> capture = {
      {"203.0.113.9", kT0 + kHour, SshLogRecord::Auth::kSuccess, kServer, 22, "CB", 2},
      {"198.51.100.7", kT0, SshLogRecord::Auth::kSuccess, kServer, 22, "CA", 1},
      {"198.51.100.8", kT0 + 2 * kHour, SshLogRecord::Auth::kSuccess, kServer, 22, "CC", 3},
      {"192.0.2.200", kT0 + 3 * kHour, SshLogRecord::Auth::kSuccess, kServer, 22, "CD", 4},
      {"192.0.2.201", kT0 + 3 * kHour, SshLogRecord::Auth::kSuccess, kServer, 22, "CE", 5},  // same time and network
  };
  auto describe = [](const std::vector<Alert>& alerts) {
    std::vector<std::string> out;
    for (const Alert& a : alerts) {
      out.push_back(fmt::format("{} {} {} {} {}", a.uids.at(0), a.ts_ns, a.value, text_field(a, "network"),
                                int_field(a, "known_networks")));
    }
    return out;
  };
  auto first = describe(run_with_file(path, true, capture));
  EXPECT_EQ(first, (std::vector<std::string>{
                       fmt::format("CB {} -1 203.0.113.0/24 1", kT0 + kHour),
                       fmt::format("CD {} -1 192.0.2.0/24 2", kT0 + 3 * kHour),
                       fmt::format("CE {} -1 192.0.2.0/24 2", kT0 + 3 * kHour),
                   }));
  EXPECT_EQ(describe(run_with_file(path, true, capture)), first);
  EXPECT_EQ(describe(run_with_file(path, false, capture)), first);
}

TEST(DetectSshNewNetwork, SettingDaysChangesTheWindow) {
  Analysis inside;
  inside.h.set("ssh_new_network_days", "10");
  EXPECT_TRUE(inside.go({{"198.51.100.7", kT0}, {"198.51.100.7", kT0 + 9 * kNsPerDay}}).empty());
  Analysis outside;
  outside.h.set("ssh_new_network_days", "10");
  auto alerts = outside.go({{"198.51.100.7", kT0}, {"198.51.100.7", kT0 + 11 * kNsPerDay}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NEAR(alerts[0].value, 11, 1e-9);
  EXPECT_EQ(alerts[0].threshold, 10);
  // The default (90) keeps it known.
  Analysis by_default;
  EXPECT_TRUE(by_default.go({{"198.51.100.7", kT0}, {"198.51.100.7", kT0 + 11 * kNsPerDay}}).empty());
}

TEST(DetectSshNewNetwork, SettingPrefix4ChangesTheNetwork) {
  std::vector<Login> logins = {{"198.51.100.7", kT0}, {"198.51.200.7", kT0 + kHour}};
  Analysis by_default;
  EXPECT_EQ(by_default.go(logins).size(), 1u);
  Analysis wide;
  wide.h.set("ssh_new_network_prefix4", "16");
  EXPECT_TRUE(wide.go(logins).empty());
  Analysis narrow;
  narrow.h.set("ssh_new_network_prefix4", "32");
  auto alerts = narrow.go({{"198.51.100.7", kT0}, {"198.51.100.8", kT0 + kHour}});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(text_field(alerts[0], "network"), "198.51.100.8/32");
}

TEST(DetectSshNewNetwork, SettingPrefix6ChangesTheNetwork) {
  std::vector<Login> logins = {{"2001:db8:1::5", kT0}, {"2001:db8:2::5", kT0 + kHour}};
  Analysis by_default;
  EXPECT_EQ(by_default.go(logins).size(), 1u);
  Analysis wide;
  wide.h.set("ssh_new_network_prefix6", "32");
  EXPECT_TRUE(wide.go(logins).empty());
}

TEST(DetectSshNewNetwork, SettingMaxPendingJudgesEarly) {
  // With room to buffer, the late-arriving earlier login is judged first; with a cap of 1 each login is judged on
  // arrival, so the out-of-order pair both look like a first-seen server.
  std::vector<Login> logins = {{"203.0.113.9", kT0 + kHour}, {"198.51.100.7", kT0}};
  Analysis by_default;
  EXPECT_EQ(by_default.go(logins).size(), 1u);
  Analysis capped;
  capped.h.set("ssh_new_network_max_pending", "1");
  EXPECT_TRUE(capped.go(logins).empty());
  EXPECT_NE(capped.stats.find("2 judged before the end of input at the pending cap"), std::string::npos)
      << capped.stats;
}

TEST(DetectSshNewNetwork, SettingsHaveBounds) {
  Harness h(ssh_new_network_settings());
  EXPECT_FALSE(h.config.set("ssh_new_network_days", "0", config::Source::kEnvironment).ok());
  EXPECT_FALSE(h.config.set("ssh_new_network_prefix4", "33", config::Source::kEnvironment).ok());
  EXPECT_FALSE(h.config.set("ssh_new_network_prefix6", "129", config::Source::kEnvironment).ok());
  EXPECT_EQ(h.config.count("ssh_new_network_days"), 90u);
  EXPECT_EQ(h.config.count("ssh_new_network_prefix4"), 24u);
  EXPECT_EQ(h.config.count("ssh_new_network_prefix6"), 48u);
}

// The test MaxMind DB, written by the Perl script next to these tests (see its header for the networks).
std::string make_mmdb(const std::string& dir) {
  fs::path script = fs::path(__FILE__).parent_path().parent_path() / "tools" / "make_test_mmdb.pl";
  std::string out = dir + "/test-country.mmdb";
  std::string cmd = fmt::format("perl '{}' '{}'", script.string(), out);
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd << " failed (needs perl and libmaxmind-db-writer-perl)";
  return out;
}

TEST(DetectSshNewNetwork, GeoIpCountryLookups) {
  std::string db = make_mmdb(temp_dir());
  auto geo = GeoIp::open(db);
  ASSERT_TRUE(geo.ok()) << geo.error().message;
  EXPECT_EQ((*geo)->database_type(), "GeoLite2-Country");
  EXPECT_EQ((*geo)->country(ip("198.51.100.7")), "DE");
  EXPECT_EQ((*geo)->country(ip("198.51.101.200")), "DE");
  EXPECT_EQ((*geo)->country(ip("203.0.113.5")), "US");  // registered_country only
  EXPECT_EQ((*geo)->country(ip("2001:db8:1:2::5")), "FR");
  EXPECT_EQ((*geo)->country(ip("192.0.2.1")), std::nullopt);
  EXPECT_EQ((*geo)->country(ip("2001:db8:2::1")), std::nullopt);

  auto missing = GeoIp::open(db + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(db + ".missing"), std::string::npos) << missing.error().message;
  std::string text = db + ".txt";
  std::ofstream(text) << "not a MaxMind database\n";
  auto bad = GeoIp::open(text);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(text), std::string::npos) << bad.error().message;
}

TEST(DetectSshNewNetwork, GeoIpCountriesAreTheNetworks) {
  std::string db = make_mmdb(temp_dir());
  auto geo = GeoIp::open(db);
  ASSERT_TRUE(geo.ok()) << geo.error().message;
  Analysis run;
  auto alerts = run.go({{"198.51.100.7", kT0},                // DE: learned
                        {"198.51.101.9", kT0 + kHour},        // another /24, same country: known
                        {"2001:db8:1::5", kT0 + 2 * kHour},   // FR: new
                        {"203.0.113.5", kT0 + 3 * kHour},     // US by registered_country: new
                        {"192.0.2.55", kT0 + 4 * kHour}},     // no country: its /24, new
                       nullptr, geo->get());
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(text_field(alerts[0], "network"), "country:FR");
  EXPECT_EQ(text_field(alerts[0], "country"), "FR");
  EXPECT_EQ(int_field(alerts[0], "known_networks"), 1);
  EXPECT_EQ(text_field(alerts[1], "network"), "country:US");
  EXPECT_EQ(text_field(alerts[1], "country"), "US");
  EXPECT_EQ(int_field(alerts[1], "known_networks"), 2);
  EXPECT_EQ(text_field(alerts[2], "network"), "192.0.2.0/24");
  EXPECT_EQ(field(alerts[2], "country"), nullptr);
  EXPECT_EQ(int_field(alerts[2], "known_networks"), 3);
  EXPECT_NE(alerts[0].message.find("(country:FR)"), std::string::npos) << alerts[0].message;
}

}  // namespace
}  // namespace pcapscope::detect
