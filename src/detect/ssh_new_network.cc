// ssh_new_network: a successful SSH login to a server from a client network
// that the baseline has not seen log in to that server in the previous N days.
//
// The idea is Zeek's known-hosts/known-services pattern (policy/protocols/
// ssh/interesting-hostnames, detect-bruteforcing's "successful login after
// failures") turned into "login from somewhere new", the way RITA and most
// UEBA tools flag first-seen access paths. A network is the client's country
// when a GeoIP database is configured ("country:DE": people travel within a
// country and change address often, so a /24 would be noisy) and otherwise
// its covering prefix, /24 for IPv4 and /48 for IPv6 (the usual size of one
// site's allocation).
//
// Choices:
// - Records arrive when sessions end, so logins are buffered and judged in
//   finish() in capture-time order; each is judged against what was seen
//   strictly before it (baseline plus earlier logins of this capture), then
//   learned. Analysing the same capture twice therefore gives the same alerts.
//   At the pending cap (a setting) the buffer is judged early, still sorted,
//   and stats() counts it.
// - A server never seen with a successful login before gives no alert: every
//   network would be new to it. Its logins are learned and counted in stats().
// - value is the days since the network last logged in to this server (more
//   than N when it was seen long ago) or -1 when it never did; threshold is N.
//   extra: network, country (with GeoIP), last_seen (seconds since the epoch, as ts; when seen before),
//   known_networks (networks seen for this server before this login).
// - Without a baseline store (tests, or no file), a MemoryObservations of the
//   detector's own is the memory, bounded by the same cap.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "detect/baseline.h"
#include "detect/detectors.h"
#include "detect/geoip.h"

namespace pcapscope::detect {

namespace {

using config::Kind;

constexpr config::SettingSpec kSettings[] = {
    {"ssh_new_network_days", Kind::kCount, "90",
     "ssh_new_network: a client network not seen logging in to the server in this many days is new", {}, 1, 36500},
    {"ssh_new_network_prefix4", Kind::kCount, "24",
     "ssh_new_network: IPv4 prefix length that makes a client network (without a GeoIP country)", {}, 1, 32},
    {"ssh_new_network_prefix6", Kind::kCount, "48",
     "ssh_new_network: IPv6 prefix length that makes a client network (without a GeoIP country)", {}, 1, 128},
    {"ssh_new_network_max_pending", Kind::kCount, "100000",
     "ssh_new_network: successful logins buffered to be judged in time order (and networks remembered without a "
     "baseline)",
     {}, 1, 1e9},
};

constexpr std::string_view kKind = "ssh_client_network";

struct Login {
  std::int64_t ts_ns = 0;
  IpAddress client, server;
  std::uint16_t port = 0;
  std::array<char, 20> uid{};
  std::uint64_t frame = 0;
};

class SshNewNetwork final : public Detector {
 public:
  explicit SshNewNetwork(const DetectContext& ctx)
      : sink_(ctx.alerts),
        geoip_(ctx.geoip),
        days_(ctx.config.count("ssh_new_network_days")),
        window_ns_(static_cast<std::int64_t>(days_) * kNsPerDay),
        prefix4_(static_cast<std::uint8_t>(ctx.config.count("ssh_new_network_prefix4"))),
        prefix6_(static_cast<std::uint8_t>(ctx.config.count("ssh_new_network_prefix6"))),
        max_pending_(ctx.config.count("ssh_new_network_max_pending")),
        own_(max_pending_) {
    store_ = ctx.baseline ? static_cast<Observations*>(ctx.baseline) : &own_;
  }

  std::string_view name() const override { return "ssh_new_network"; }

  void on_ssh(const SshLogRecord& rec) override {
    if (rec.auth_success != SshLogRecord::Auth::kSuccess) return;
    Login l;
    l.ts_ns = rec.ts_ns;
    l.client = rec.id.orig_h;
    l.server = rec.id.resp_h;
    l.port = rec.id.resp_p;
    l.uid = rec.uid;
    l.frame = rec.frame;
    pending_.push_back(l);
    if (pending_.size() >= max_pending_) {
      early_ += pending_.size();
      judge_pending();
    }
  }

  void finish() override { judge_pending(); }

  std::string stats() const override {
    std::string out = fmt::format("{} successful logins judged ({} alerts); {} to servers seen for the first time "
                                  "(learned, no alert); {} judged before the end of input at the pending cap",
                                  judged_, alerts_, first_seen_, early_);
    if (store_ == &own_ && own_.dropped()) {
      out += fmt::format("; {} networks not remembered at the cap", own_.dropped());
    }
    return out;
  }

 private:
  void judge_pending() {
    // Capture-time order; frame then uid only make the order of equal times stable.
    std::sort(pending_.begin(), pending_.end(), [](const Login& a, const Login& b) {
      if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
      if (a.frame != b.frame) return a.frame < b.frame;
      return std::string_view(a.uid.data()) < std::string_view(b.uid.data());
    });
    for (const Login& l : pending_) judge(l);
    pending_.clear();
  }

  void judge(const Login& l) {
    ++judged_;
    std::optional<std::string> country;
    if (geoip_) country = geoip_->country(l.client);
    std::string network = country ? fmt::format("country:{}", *country)
                                  : prefix_of(l.client, l.client.v6 ? prefix6_ : prefix4_).to_string();
    std::string server = l.server.to_string();

    if (!store_->subject_before(kKind, server, l.ts_ns)) {
      ++first_seen_;
      store_->observe(kKind, server, network, l.ts_ns);
      return;
    }
    std::optional<ObservationSummary> seen = store_->item_before(kKind, server, network, l.ts_ns);
    if (seen && seen->last_ns >= l.ts_ns - window_ns_) {
      store_->observe(kKind, server, network, l.ts_ns);
      return;
    }
    std::uint64_t known = store_->items_before(kKind, server, l.ts_ns);
    store_->observe(kKind, server, network, l.ts_ns);
    emit(l, network, country, seen, known);
  }

  void emit(const Login& l, const std::string& network, const std::optional<std::string>& country,
            const std::optional<ObservationSummary>& seen, std::uint64_t known) {
    ++alerts_;
    Alert a;
    a.detector = "ssh_new_network";
    a.severity = Severity::kHigh;
    a.ts_ns = a.last_ns = l.ts_ns;
    a.src = l.client;
    a.dst = l.server;
    a.dst_port = l.port;
    a.proto = Transport::kTcp;
    if (l.uid[0]) a.add_uid(l.uid.data());
    if (l.frame) a.add_frame(l.frame);
    a.threshold = static_cast<double>(days_);
    std::string when;
    if (seen) {
      a.value = static_cast<double>(l.ts_ns - seen->last_ns) / static_cast<double>(kNsPerDay);
      when = fmt::format("last seen {:.1f} days ago > {}", a.value, days_);
    } else {
      a.value = -1;
      when = fmt::format("never seen before; window {} days", days_);
    }
    a.message = fmt::format("successful SSH login to {} from {} ({}): network new for this server ({}; {} known "
                            "network{})",
                            l.server.to_string(), l.client.to_string(), network, when, known, known == 1 ? "" : "s");
    a.extra.push_back({"network", network});
    if (country) a.extra.push_back({"country", *country});
    if (seen) a.extra.push_back({"last_seen", static_cast<double>(seen->last_ns) / 1e9});  // seconds, as ts
    a.extra.push_back({"known_networks", static_cast<std::int64_t>(known)});
    sink_.emit(std::move(a));
  }

  AlertSink& sink_;
  const GeoIp* geoip_;
  std::uint64_t days_;
  std::int64_t window_ns_;
  std::uint8_t prefix4_, prefix6_;
  std::size_t max_pending_;
  MemoryObservations own_;
  Observations* store_ = nullptr;
  std::vector<Login> pending_;
  std::uint64_t judged_ = 0, alerts_ = 0, first_seen_ = 0, early_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> ssh_new_network_settings() { return kSettings; }

std::unique_ptr<Detector> make_ssh_new_network_detector(const DetectContext& ctx) {
  return std::make_unique<SshNewNetwork>(ctx);
}

}  // namespace pcapscope::detect
