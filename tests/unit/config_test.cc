// Settings: each kind's parser and its one-line rejections, precedence of the
// four sources, the TOML file (flat keys, tables, arrays, errors with line
// numbers), and the session stage's settings (table, session_options,
// session_options_from_env over the same parser).
//
// Tests that touch the process environment restore it (EnvGuard), and use
// variables for settings of a private table where they can, so they cannot
// leak into other tests in the same binary.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>

#include "config/config.h"
#include "config/settings.h"
#include "pcapscope/session.h"

namespace pcapscope::config {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets, with nullopt) an environment variable for the test's lifetime.
class EnvGuard {
 public:
  EnvGuard(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A file under the test tmpdir with TEXT, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::create_directories(PCAPSCOPE_TEST_TMPDIR);
    path_ = (fs::path(PCAPSCOPE_TEST_TMPDIR) / fmt::format("config-{}-{}.toml", info->name(), ::getpid())).string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { fs::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A private table: names no other code uses, so environment tests stay local.
constexpr SettingSpec kTest[] = {
    {"cfgtest_ratio", Kind::kNumber, "10", "a ratio", {}, 1, 1e300, true},
    {"cfgtest_count", Kind::kCount, "5", "a count", {}, 1, 100},
    {"cfgtest_bytes", Kind::kBytes, "1M", "bytes", {}, 1},
    {"cfgtest_secs", Kind::kSeconds, "60", "seconds", {}, 0, 1e300, true},
    {"cfgtest_on", Kind::kBool, "true", "a switch", {}},
    {"cfgtest_name", Kind::kText, "abc", "text", {}},
    {"cfgtest_file", Kind::kPath, "", "a path", {}},
    {"cfgtest_nets", Kind::kNetworks, "10.0.0.0/8", "networks", {}},
    {"cfgtest_sev", Kind::kSeverity, "medium", "severity", {}},
    {"cfgtest_worded", Kind::kNumber, "2", "custom text", "a ratio above one, like 3.5", 1, 1e300, true},
};

std::vector<const SettingSpec*> test_specs() {
  std::vector<const SettingSpec*> out;
  for (const SettingSpec& s : kTest) out.push_back(&s);
  return out;
}

const SettingSpec& spec(std::string_view name) {
  for (const SettingSpec& s : kTest) {
    if (s.name == name) return s;
  }
  std::abort();
}

IpAddress ip(std::string_view text) { return parse_ip_address(text).value(); }

std::string reject(std::string_view name, std::string_view text) {
  auto v = parse_value(spec(name), text);
  return v ? std::string("accepted") : v.error().message;
}

TEST(ConfigParse, Number) {
  auto v = parse_value(spec("cfgtest_ratio"), " 2.5 ");
  ASSERT_TRUE(v);
  EXPECT_DOUBLE_EQ(v->number, 2.5);
  EXPECT_EQ(v->text, "2.5");
  EXPECT_EQ(reject("cfgtest_ratio", "abc"), "expected a number greater than 1");
  EXPECT_EQ(reject("cfgtest_ratio", "1"), "expected a number greater than 1");  // exclusive bound
  EXPECT_EQ(reject("cfgtest_ratio", "inf"), "expected a number greater than 1");
  EXPECT_EQ(reject("cfgtest_ratio", "nan"), "expected a number greater than 1");
  EXPECT_EQ(reject("cfgtest_ratio", "0x10"), "expected a number greater than 1");
  EXPECT_EQ(reject("cfgtest_ratio", ""), "expected a number greater than 1");
  EXPECT_EQ(reject("cfgtest_worded", "0.5"), "expected a ratio above one, like 3.5");
}

TEST(ConfigParse, Count) {
  auto v = parse_value(spec("cfgtest_count"), "100");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->count, 100u);
  EXPECT_EQ(reject("cfgtest_count", "101"), "expected a whole number from 1 to 100");
  EXPECT_EQ(reject("cfgtest_count", "0"), "expected a whole number from 1 to 100");
  EXPECT_EQ(reject("cfgtest_count", "2.5"), "expected a whole number from 1 to 100");
  EXPECT_EQ(reject("cfgtest_count", "5K"), "expected a whole number from 1 to 100");  // no suffixes
  EXPECT_EQ(reject("cfgtest_count", "-3"), "expected a whole number from 1 to 100");
}

TEST(ConfigParse, Bytes) {
  auto v = parse_value(spec("cfgtest_bytes"), "2k");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->count, 2048u);
  EXPECT_EQ(parse_value(spec("cfgtest_bytes"), "1.5M")->count, 1572864u);
  EXPECT_EQ(parse_value(spec("cfgtest_bytes"), "3G")->count, 3ull << 30);
  EXPECT_EQ(parse_value(spec("cfgtest_bytes"), "5T")->count, 5ull << 40);
  EXPECT_EQ(parse_value(spec("cfgtest_bytes"), "0.001K")->count, 1u);  // a suffix rounds down
  const std::string want = "expected a number of bytes of at least 1 (suffix K, M, G or T allowed)";
  EXPECT_EQ(reject("cfgtest_bytes", "lots"), want);
  EXPECT_EQ(reject("cfgtest_bytes", "1.5"), want);  // a bare count is exact
  EXPECT_EQ(reject("cfgtest_bytes", "5P"), want);
  EXPECT_EQ(reject("cfgtest_bytes", "0"), want);
  EXPECT_EQ(reject("cfgtest_bytes", "M"), want);
}

TEST(ConfigParse, Seconds) {
  auto v = parse_value(spec("cfgtest_secs"), "2m");
  ASSERT_TRUE(v);
  EXPECT_DOUBLE_EQ(v->number, 120);
  EXPECT_DOUBLE_EQ(parse_value(spec("cfgtest_secs"), "1.5h")->number, 5400);
  EXPECT_DOUBLE_EQ(parse_value(spec("cfgtest_secs"), "1d")->number, 86400);
  EXPECT_DOUBLE_EQ(parse_value(spec("cfgtest_secs"), "0.25s")->number, 0.25);
  // The 9e9 ceiling (int64 nanoseconds) applies even when the table gives no maximum.
  const std::string want = "expected a number of seconds greater than 0 and at most 9e9 (suffix s, m, h or d allowed)";
  EXPECT_EQ(reject("cfgtest_secs", "1e12"), want);
  EXPECT_EQ(reject("cfgtest_secs", "soon"), want);
  EXPECT_EQ(reject("cfgtest_secs", "0"), want);
  EXPECT_EQ(reject("cfgtest_secs", "5w"), want);
}

TEST(ConfigParse, BoolTextPath) {
  for (const char* t : {"true", "YES", "on", "1"}) EXPECT_TRUE(parse_value(spec("cfgtest_on"), t)->flag) << t;
  for (const char* t : {"false", "No", "off", "0"}) EXPECT_FALSE(parse_value(spec("cfgtest_on"), t)->flag) << t;
  EXPECT_EQ(reject("cfgtest_on", "maybe"), "expected true or false");
  EXPECT_EQ(parse_value(spec("cfgtest_name"), "")->text, "");
  EXPECT_EQ(parse_value(spec("cfgtest_file"), "/tmp/x y")->text, "/tmp/x y");
}

TEST(ConfigParse, NetworksAndSeverity) {
  auto v = parse_value(spec("cfgtest_nets"), "192.0.2.0/24, 2001:db8::/32,198.51.100.7");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->networks.contains(ip("192.0.2.99")));
  EXPECT_TRUE(v->networks.contains(ip("2001:db8::5")));
  EXPECT_FALSE(v->networks.contains(ip("198.51.100.8")));
  const std::string bad = reject("cfgtest_nets", "192.0.2.0/99");
  EXPECT_EQ(bad.rfind("expected comma-separated addresses and CIDRs: ", 0), 0u) << bad;
  auto s = parse_value(spec("cfgtest_sev"), "HIGH");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->severity, 3);
  EXPECT_EQ(s->text, "high");
  EXPECT_EQ(reject("cfgtest_sev", "severe"), "expected one of info, low, medium, high, critical");
}

TEST(ConfigNames, EnvAndKindNames) {
  EXPECT_EQ(env_name("exfil_ratio"), "PCAPSCOPE_EXFIL_RATIO");
  EXPECT_EQ(kind_name(Kind::kSeconds), "seconds");
  EXPECT_EQ(source_name(Source::kEnvironment), "environment");
}

TEST(ConfigLoad, DefaultsOnly) {
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), "");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_DOUBLE_EQ(c->number("cfgtest_ratio"), 10);
  EXPECT_EQ(c->count("cfgtest_bytes"), 1u << 20);
  EXPECT_EQ(c->nanoseconds("cfgtest_secs"), 60'000'000'000);
  EXPECT_EQ(c->value("cfgtest_ratio").source, Source::kDefault);
  EXPECT_EQ(c->value("cfgtest_ratio").origin, "");
  EXPECT_EQ(c->file(), "");
}

TEST(ConfigLoad, PrecedenceFlagOverEnvironmentOverFileOverDefault) {
  TempFile f("cfgtest_ratio = 3\ncfgtest_count = 7\ncfgtest_secs = \"90s\"\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  EnvGuard r("PCAPSCOPE_CFGTEST_RATIO", "4");
  EnvGuard n("PCAPSCOPE_CFGTEST_COUNT", "8");
  std::map<std::string, Config::Flag, std::less<>> flags;
  flags["cfgtest_ratio"] = {"5", "--cfgtest-ratio"};
  auto c = Config::load(test_specs(), f.path(), flags);
  ASSERT_TRUE(c) << c.error().message;
  // flag > environment > file > default, each with its origin.
  EXPECT_DOUBLE_EQ(c->number("cfgtest_ratio"), 5);
  EXPECT_EQ(c->value("cfgtest_ratio").source, Source::kFlag);
  EXPECT_EQ(c->value("cfgtest_ratio").origin, "--cfgtest-ratio");
  EXPECT_EQ(c->count("cfgtest_count"), 8u);
  EXPECT_EQ(c->value("cfgtest_count").source, Source::kEnvironment);
  EXPECT_EQ(c->value("cfgtest_count").origin, "PCAPSCOPE_CFGTEST_COUNT");
  EXPECT_EQ(c->nanoseconds("cfgtest_secs"), 90'000'000'000);
  EXPECT_EQ(c->value("cfgtest_secs").source, Source::kFile);
  EXPECT_EQ(c->value("cfgtest_secs").origin, f.path() + ":3");
  EXPECT_EQ(c->value("cfgtest_bytes").source, Source::kDefault);
  EXPECT_EQ(c->file(), f.path());
}

TEST(ConfigLoad, ConfigFileFromEnvironment) {
  TempFile f("cfgtest_count = 9\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", f.path());
  auto c = Config::load(test_specs(), "");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->count("cfgtest_count"), 9u);
  EXPECT_EQ(c->file(), f.path());
}

TEST(ConfigLoad, InvalidEnvironmentValueNamesVariableAndValue) {
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  EnvGuard r("PCAPSCOPE_CFGTEST_RATIO", "abc");
  auto c = Config::load(test_specs(), "");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "PCAPSCOPE_CFGTEST_RATIO=abc: expected a number greater than 1");
}

TEST(ConfigLoad, InvalidFlagNamesFlag) {
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  std::map<std::string, Config::Flag, std::less<>> flags;
  flags["cfgtest_sev"] = {"loud", "--cfgtest-sev"};
  auto c = Config::load(test_specs(), "", flags);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "--cfgtest-sev=loud: expected one of info, low, medium, high, critical");
  flags.clear();
  flags["cfgtest_nope"] = {"1", "--set cfgtest_nope"};
  c = Config::load(test_specs(), "", flags);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.rfind("--set cfgtest_nope: unknown setting \"cfgtest_nope\"", 0), 0u)
      << c.error().message;
}

TEST(ConfigFile, TablesJoinWithUnderscoreAndArraysListNetworks) {
  TempFile f(
      "# comment\n"
      "[cfgtest]\n"
      "ratio = 2.5\n"
      "on = false\n"
      "nets = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
      "sev = \"critical\"\n"
      "bytes = \"4K\"\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_DOUBLE_EQ(c->number("cfgtest_ratio"), 2.5);
  EXPECT_FALSE(c->flag("cfgtest_on"));
  EXPECT_TRUE(c->networks("cfgtest_nets").contains(ip("2001:db8::1")));
  EXPECT_FALSE(c->networks("cfgtest_nets").contains(ip("10.1.2.3")));  // replaced, not added
  EXPECT_EQ(c->severity("cfgtest_sev"), 4);
  EXPECT_EQ(c->count("cfgtest_bytes"), 4096u);
  EXPECT_EQ(c->value("cfgtest_ratio").origin, f.path() + ":3");
}

TEST(ConfigFile, DottedKeysAreTablesToo) {
  TempFile f("cfgtest.count = 12\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->count("cfgtest_count"), 12u);
}

TEST(ConfigFile, UnknownKeyWithLineAndSuggestion) {
  TempFile f("cfgtest_ratio = 2\n\ncfgtest_rati = 3\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, f.path() + ":3: unknown setting \"cfgtest_rati\" (did you mean cfgtest_ratio?) "
                                          "(`pcapscope config` lists them)");
}

TEST(ConfigFile, InvalidValueWithLine) {
  TempFile f("[cfgtest]\ncount = 500\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, f.path() + ":2: cfgtest_count=500: expected a whole number from 1 to 100");
}

TEST(ConfigFile, SameSettingTwice) {
  TempFile f("cfgtest_count = 2\n[cfgtest]\ncount = 3\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("is set twice"), std::string::npos) << c.error().message;
}

TEST(ConfigFile, SyntaxErrorWithLine) {
  TempFile f("cfgtest_count = 2\ncfgtest_ratio = = 3\n");
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), f.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.rfind(f.path() + ":2: TOML syntax error: ", 0), 0u) << c.error().message;
}

TEST(ConfigFile, MissingFileAndBadTypes) {
  EnvGuard cfg("PCAPSCOPE_CONFIG", std::nullopt);
  auto c = Config::load(test_specs(), "/nonexistent/pcapscope.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "/nonexistent/pcapscope.toml: cannot open: No such file or directory");
  TempFile f("cfgtest_name = 1979-05-27\n");
  c = Config::load(test_specs(), f.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.rfind(f.path() + ":1: cfgtest_name: unsupported value type", 0), 0u)
      << c.error().message;
  TempFile g("cfgtest_nets = [[\"10.0.0.0/8\"]]\n");
  c = Config::load(test_specs(), g.path());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("arrays may hold only plain values"), std::string::npos) << c.error().message;
}

TEST(ConfigSet, SetKeepsSourceAndRejects) {
  Config c = Config::defaults(test_specs());
  ASSERT_TRUE(c.set("cfgtest_count", "42"));
  EXPECT_EQ(c.count("cfgtest_count"), 42u);
  EXPECT_EQ(c.value("cfgtest_count").source, Source::kFlag);
  auto r = c.set("cfgtest_count", "x", Source::kEnvironment);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "PCAPSCOPE_CFGTEST_COUNT=x: expected a whole number from 1 to 100");
  EXPECT_EQ(c.count("cfgtest_count"), 42u);  // a rejected value changes nothing
}

// The real tables: every default parses, names are unique and lower_snake_case, and the text of every
// "expected" reads after "expected " (starts lower-case).
TEST(ConfigTables, AllSettingsAreWellFormed) {
  const auto specs = all_settings();
  ASSERT_FALSE(specs.empty());
  std::set<std::string_view> seen;
  for (const SettingSpec* s : specs) {
    EXPECT_TRUE(seen.insert(s->name).second) << "duplicate " << s->name;
    for (char ch : s->name) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << s->name;
    EXPECT_TRUE(parse_value(*s, s->default_value)) << s->name;
    EXPECT_FALSE(s->help.empty()) << s->name;
    const std::string e = expected_text(*s);
    ASSERT_FALSE(e.empty()) << s->name;
    EXPECT_TRUE(e[0] >= 'a' && e[0] <= 'z') << s->name << ": " << e;
  }
  (void)Config::defaults(specs);  // aborts on a bad default
}

TEST(ConfigSession, DefaultsMatchSessionOptions) {
  std::vector<const SettingSpec*> specs;
  for (const SettingSpec& s : core_settings()) specs.push_back(&s);
  const SessionOptions o = session_options(Config::defaults(specs));
  const SessionOptions d;
  EXPECT_EQ(o.tcp_timeout_ns, d.tcp_timeout_ns);
  EXPECT_EQ(o.udp_timeout_ns, d.udp_timeout_ns);
  EXPECT_EQ(o.icmp_timeout_ns, d.icmp_timeout_ns);
  EXPECT_EQ(o.tcp_close_timeout_ns, d.tcp_close_timeout_ns);
  EXPECT_EQ(o.max_sessions, d.max_sessions);
  EXPECT_EQ(o.reassembly_memory, d.reassembly_memory);
  EXPECT_EQ(o.fragment_memory, d.fragment_memory);
  EXPECT_EQ(o.reassembly_per_stream, d.reassembly_per_stream);
}

TEST(ConfigSession, EachSettingReachesSessionOptions) {
  std::vector<const SettingSpec*> specs;
  for (const SettingSpec& s : core_settings()) specs.push_back(&s);
  Config c = Config::defaults(specs);
  ASSERT_TRUE(c.set("tcp_timeout", "10m"));
  ASSERT_TRUE(c.set("udp_timeout", "7"));
  ASSERT_TRUE(c.set("icmp_timeout", "8s"));
  ASSERT_TRUE(c.set("tcp_close_timeout", "0.5"));
  ASSERT_TRUE(c.set("max_sessions", "1234"));
  ASSERT_TRUE(c.set("reassembly_memory", "64K"));
  ASSERT_TRUE(c.set("fragment_memory", "2M"));
  ASSERT_TRUE(c.set("reassembly_per_stream", "3K"));
  const SessionOptions o = session_options(c);
  EXPECT_EQ(o.tcp_timeout_ns, 600'000'000'000);
  EXPECT_EQ(o.udp_timeout_ns, 7'000'000'000);
  EXPECT_EQ(o.icmp_timeout_ns, 8'000'000'000);
  EXPECT_EQ(o.tcp_close_timeout_ns, 500'000'000);
  EXPECT_EQ(o.max_sessions, 1234u);
  EXPECT_EQ(o.reassembly_memory, 65536u);
  EXPECT_EQ(o.fragment_memory, 2u << 20);
  EXPECT_EQ(o.reassembly_per_stream, 3u << 10);
}

TEST(ConfigSession, FromEnvUsesTheSameParser) {
  EnvGuard a("PCAPSCOPE_UDP_TIMEOUT", "2m");
  EnvGuard b("PCAPSCOPE_MAX_SESSIONS", std::nullopt);
  EnvGuard t("PCAPSCOPE_TCP_TIMEOUT", std::nullopt);
  SessionOptions base;
  base.tcp_timeout_ns = 1;
  base.max_sessions = 77;
  auto o = session_options_from_env(base);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->udp_timeout_ns, 120'000'000'000);
  EXPECT_EQ(o->tcp_timeout_ns, 1);  // unset: BASE stands
  EXPECT_EQ(o->max_sessions, 77u);
  {
    EnvGuard bad("PCAPSCOPE_MAX_SESSIONS", "0");
    auto e = session_options_from_env();
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message, "PCAPSCOPE_MAX_SESSIONS=0: expected a whole number of at least 1");
  }
  {
    EnvGuard bad("PCAPSCOPE_TCP_TIMEOUT", "soon");
    auto e = session_options_from_env();
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message,
              "PCAPSCOPE_TCP_TIMEOUT=soon: expected a number of seconds greater than 0 and at most 9e9 "
              "(suffix s, m, h or d allowed)");
  }
}

}  // namespace
}  // namespace pcapscope::config
