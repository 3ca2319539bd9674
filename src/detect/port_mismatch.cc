// port_mismatch: a service on a port that is not its own, or a port that
// carries another protocol.
//
// The protocol stage already decides this per session, from content as
// Zeek's dynamic protocol detection and Suricata's app-layer probing do, and
// marks the session with session_flag::kServiceMismatch (HTTP on 8081, SSH on
// 443, bytes that are none of ours on 443). This detector only aggregates:
// one alert per (server, port, transport, service found), because a proxy or
// a misfiled service is one finding however many sessions use it, evaluated
// in finish() so that record order does not matter.
//
// Severity: low by default -- a web server on 8081 is usually just that. Medium
// for SSH away from port 22 (the classic way to get a shell through a
// firewall that opens only web ports) and for content we recognise as
// nothing on 80 or 443 (a tunnel or a custom C2 protocol hiding on the ports
// every firewall lets out; Suricata's "applayer protocol mismatch" rules
// treat these as worth a look).
//
// Extra keys: service (what was found, "-" when nothing was recognised),
// expected (what the port is registered for, "-" when it is registered for
// nothing we know), sessions, clients (distinct originators, counted up to a
// cap).
#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "detect/detectors.h"
#include "proto/service.h"

namespace pcapscope::detect {

namespace {

using config::Kind;

constexpr config::SettingSpec kSettings[] = {
    {"port_mismatch_min_sessions", Kind::kCount, "1",
     "Sessions with unexpected content on one server port before it is reported", {}, 1},
    {"port_mismatch_max_groups", Kind::kCount, "10000",
     "(server, port, service) groups tracked; sessions of further groups are dropped and counted", {}, 1},
};

constexpr std::size_t kMaxClients = 64;  // distinct clients remembered per group

struct Group {
  IpAddress server;
  std::uint16_t port = 0;
  Transport proto = Transport::kTcp;
  std::string service;
  std::uint64_t sessions = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::vector<IpAddress> clients;  // at most kMaxClients
  bool clients_capped = false;
  std::vector<std::string> uids;
  std::vector<std::uint64_t> frames;
};

using Key = std::tuple<std::array<std::uint8_t, 16>, bool, std::uint16_t, std::uint8_t, std::string>;

class PortMismatch final : public Detector {
 public:
  explicit PortMismatch(const DetectContext& ctx)
      : sink_(ctx.alerts),
        min_sessions_(ctx.config.count("port_mismatch_min_sessions")),
        max_groups_(ctx.config.count("port_mismatch_max_groups")) {}

  std::string_view name() const override { return "port_mismatch"; }

  void on_session(const SessionRecord& r) override {
    if (!(r.flags & session_flag::kServiceMismatch)) return;
    Key key{r.resp_h.bytes, r.resp_h.v6, r.resp_p, static_cast<std::uint8_t>(r.proto), std::string(r.service)};
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      if (groups_.size() >= max_groups_) {
        ++dropped_;
        return;
      }
      Group g;
      g.server = r.resp_h;
      g.port = r.resp_p;
      g.proto = r.proto;
      g.service = std::string(r.service);
      g.first_ns = r.ts_ns;
      g.last_ns = r.last_ns;
      it = groups_.emplace(std::move(key), std::move(g)).first;
      ++groups_total_;
    }
    Group& g = it->second;
    ++g.sessions;
    g.first_ns = std::min(g.first_ns, r.ts_ns);
    g.last_ns = std::max(g.last_ns, r.last_ns);
    if (std::find(g.clients.begin(), g.clients.end(), r.orig_h) == g.clients.end()) {
      if (g.clients.size() < kMaxClients) {
        g.clients.push_back(r.orig_h);
      } else {
        g.clients_capped = true;
      }
    }
    if (g.uids.size() < kMaxEvidence) {
      g.uids.emplace_back(r.uid_view());
      if (r.first_frame) g.frames.push_back(r.first_frame);
    }
  }

  void finish() override {
    for (const auto& [key, g] : groups_) {
      if (g.sessions >= min_sessions_) emit(g);
    }
    groups_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} server ports with unexpected content; {} sessions dropped at the cap", groups_total_,
                       dropped_);
  }

 private:
  void emit(const Group& g) {
    const proto::Service expected = proto::port_service(g.proto, g.port);
    const std::string_view expected_name = expected == proto::Service::kNone ? "-" : proto::service_name(expected);
    const std::string_view found = g.service.empty() ? "-" : std::string_view(g.service);
    const bool ssh = g.service.find("ssh") != std::string::npos;
    const bool unknown_on_web = g.service.empty() && g.proto == Transport::kTcp && (g.port == 80 || g.port == 443);

    Alert a;
    a.detector = "port_mismatch";
    a.severity = (ssh || unknown_on_web) ? Severity::kMedium : Severity::kLow;
    a.ts_ns = g.first_ns;
    a.last_ns = g.last_ns;
    if (g.clients.size() == 1 && !g.clients_capped) a.src = g.clients.front();
    a.dst = g.server;
    a.dst_port = g.port;
    a.proto = g.proto;
    for (const std::string& u : g.uids) a.add_uid(u);
    a.uid_count = g.sessions;
    for (std::uint64_t f : g.frames) a.add_frame(f);
    a.value = static_cast<double>(g.sessions);
    a.threshold = static_cast<double>(min_sessions_);
    const std::string what = g.service.empty() ? std::string("unrecognised content") : g.service;
    const std::string port_says =
        expected == proto::Service::kNone ? std::string("a port registered for none of ours")
                                          : fmt::format("a port registered for {}", expected_name);
    a.message = fmt::format("{} on {}:{}/{} ({}) in {} session{} (>= {})", what, g.server.to_string(), g.port,
                            transport_name(g.proto), port_says, g.sessions, g.sessions == 1 ? "" : "s",
                            min_sessions_);
    a.extra.push_back({"service", std::string(found)});
    a.extra.push_back({"expected", std::string(expected_name)});
    a.extra.push_back({"sessions", static_cast<std::int64_t>(g.sessions)});
    a.extra.push_back({"clients", static_cast<std::int64_t>(g.clients.size())});
    sink_.emit(std::move(a));
  }

  AlertSink& sink_;
  const std::uint64_t min_sessions_, max_groups_;
  std::map<Key, Group> groups_;
  std::uint64_t dropped_ = 0, groups_total_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> port_mismatch_settings() { return kSettings; }

std::unique_ptr<Detector> make_port_mismatch_detector(const DetectContext& ctx) {
  return std::make_unique<PortMismatch>(ctx);
}

}  // namespace pcapscope::detect
