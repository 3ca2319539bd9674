// Shared scaffolding for detector tests: a detector's settings at their
// defaults (override with set()), an alert collector, and records built
// from readable arguments.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/cidr.h"
#include "detect/detector.h"

namespace pcapscope::detect::testing {

inline IpAddress ip(std::string_view text) {
  auto a = parse_ip_address(text);
  if (!a) ADD_FAILURE() << "bad address in test: " << text;
  return a ? *a : IpAddress{};
}

// An alert's detector-specific key, or null.
inline const AlertField* field(const Alert& a, std::string_view key) {
  for (const AlertField& f : a.extra) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

struct Collector : AlertSink {
  std::vector<Alert> alerts;
  void emit(Alert a) override { alerts.push_back(std::move(a)); }
  std::size_t count(std::string_view detector) const {
    std::size_t n = 0;
    for (const Alert& a : alerts) n += a.detector == detector;
    return n;
  }
};

// The default inside: RFC 1918, RFC 4193, loopback, link-local (PCAPSCOPE_INTERNAL's default).
inline constexpr std::string_view kDefaultInternal =
    "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,127.0.0.0/8,::1/128,169.254.0.0/16,fe80::/10";

struct Harness {
  config::Config config;
  NetworkSet internal;
  Collector sink;

  explicit Harness(std::span<const config::SettingSpec> specs)
      : config(config::Config::defaults(pointers(specs))), internal(NetworkSet::parse(kDefaultInternal).value()) {}

  // Overrides a setting as an environment variable would; fails the test on a bad value.
  void set(std::string_view name, std::string_view text) {
    auto r = config.set(name, text, config::Source::kEnvironment);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  DetectContext context() { return DetectContext{config, internal, sink}; }

  static std::vector<const config::SettingSpec*> pointers(std::span<const config::SettingSpec> specs) {
    std::vector<const config::SettingSpec*> out;
    for (const auto& s : specs) out.push_back(&s);
    return out;
  }
};

struct SessionSpec {
  std::string_view orig = "10.0.0.1", resp = "203.0.113.1";
  std::uint16_t orig_p = 40000, resp_p = 443;
  Transport proto = Transport::kTcp;
  ConnState state = ConnState::kSF;
  std::string_view history = "ShADadFf";
  std::int64_t ts_ns = 1'700'000'000'000'000'000;
  std::int64_t duration_ns = 1'000'000'000;
  std::uint64_t orig_bytes = 100, resp_bytes = 1000;
  std::uint64_t orig_pkts = 5, resp_pkts = 5;
  std::uint64_t first_frame = 1, last_frame = 10;
  std::string_view uid = "CTestSession00001";
  std::string_view service = {};
  std::uint16_t flags = 0;
};

inline SessionRecord session(const SessionSpec& s) {
  SessionRecord r;
  r.orig_h = ip(s.orig);
  r.resp_h = ip(s.resp);
  r.orig_p = s.orig_p;
  r.resp_p = s.resp_p;
  r.proto = s.proto;
  r.ip_proto = s.proto == Transport::kTcp ? 6 : s.proto == Transport::kUdp ? 17 : 1;
  r.conn_state = s.state;
  r.ts_ns = s.ts_ns;
  r.last_ns = s.ts_ns + s.duration_ns;
  r.orig_bytes = s.orig_bytes;
  r.resp_bytes = s.resp_bytes;
  r.orig_pkts = s.orig_pkts;
  r.resp_pkts = s.resp_pkts;
  r.orig_ip_bytes = s.orig_bytes + 40 * s.orig_pkts;
  r.resp_ip_bytes = s.resp_bytes + 40 * s.resp_pkts;
  r.first_frame = s.first_frame;
  r.last_frame = s.last_frame;
  r.flags = s.flags;
  r.service = s.service;
  std::strncpy(r.uid.data(), std::string(s.uid).c_str(), r.uid.size() - 1);
  std::strncpy(r.history.data(), std::string(s.history).c_str(), r.history.size() - 1);
  return r;
}

// Fills a record header (dns, http, ssl, ssh records) from the same kind of arguments.
inline void header(RecordHeader& h, std::string_view orig, std::uint16_t orig_p, std::string_view resp,
                   std::uint16_t resp_p, Transport proto, std::int64_t ts_ns, std::string_view uid,
                   std::uint64_t frame) {
  h.ts_ns = ts_ns;
  h.id.orig_h = ip(orig);
  h.id.resp_h = ip(resp);
  h.id.orig_p = orig_p;
  h.id.resp_p = resp_p;
  h.id.proto = proto;
  std::strncpy(h.uid.data(), std::string(uid).c_str(), h.uid.size() - 1);
  h.frame = frame;
}

}  // namespace pcapscope::detect::testing
