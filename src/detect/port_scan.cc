// port_scan: one source probing many ports of one host (vertical) or one
// port on many hosts (horizontal) in a time window, mostly failing.
//
// Design choices:
// - A probe is a finished TCP or UDP session; ICMP is left out (its "ports"
//   are types and codes). A probe failed when nothing listened, the way
//   Zeek's policy/misc/scan.zeek reads conn_state: TCP REJ (closed port), S0
//   (filtered: no answer), RSTOS0, RSTRH, SH, and RSTR or OTH with no
//   responder payload; UDP with no responder packet at all (an ICMP port
//   unreachable is a session of its own). Anything else answered, including
//   S1 "Sh" and RSTO "ShR": a SYN scan that resets an open port's SYN-ACK
//   found that port open.
// - Two series per source, both bucketed by ts_ns / port_scan_window:
//     vertical   (orig_h, resp_h): distinct (port, transport) probed;
//     horizontal (orig_h, resp_p, transport): distinct hosts probed.
//   A port counts as "80/tcp" as in Zeek (53/udp and 53/tcp are two ports).
//   Distinct targets, not sessions: retries of one port or a client's
//   thousand connections to one service add nothing. The failed ratio is
//   over distinct targets too (a target answered if any probe to it did),
//   so a scanner that also uses one service heavily is still judged by the
//   breadth of what it touched. Zeek counts only failed targets; the ratio
//   (port_scan_min_failed_ratio) additionally keeps busy clients that reach
//   many working services (a browser on 60 web servers, a monitoring system
//   polling many ports) from looking like scanners.
// - Records arrive at session end, out of time order, so buckets are kept
//   and judged in finish(). Windows are tumbling, like SumStats epochs: a
//   slow scan split by a window edge so that neither half reaches the
//   threshold is missed, the price of bounded, order-independent state.
//   Consecutive qualifying windows of one series make one alert; value is
//   the distinct ports (hosts) over the whole run, threshold the minimum.
//   Severity medium; high at 10x the threshold. A source doing both kinds
//   gets both alerts; the alert's `kind` says which.
// - Memory: at most port_scan_max_keys buckets (sessions of new ones beyond
//   it are dropped and counted) and port_scan_max_entries (bucket, port or
//   host) entries over all buckets; probes to new targets beyond that are
//   counted in their bucket but not told apart (counts become "at least").
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/ip_hash.h"
#include "detect/detectors.h"

namespace pcapscope::detect {

namespace {

constexpr config::SettingSpec kSettings[] = {
    {"port_scan_window", config::Kind::kSeconds, "300",
     "Port scan: length of the time windows in which one source's distinct ports and hosts are counted",
     "a number of seconds greater than 0 (suffix s, m, h or d allowed)", 0, 1e300, true},
    {"port_scan_min_ports", config::Kind::kCount, "100",
     "Port scan: distinct ports of one host one source probed in a window for a vertical scan", {}, 1},
    {"port_scan_min_hosts", config::Kind::kCount, "50",
     "Port scan: distinct hosts one source probed on one port in a window for a horizontal scan", {}, 1},
    {"port_scan_min_failed_ratio", config::Kind::kNumber, "0.8",
     "Port scan: share of those ports (hosts) that never answered needed for an alert", {}, 0, 1},
    {"port_scan_max_keys", config::Kind::kCount, "500000",
     "Port scan: most (source, host or port, window) buckets tracked; sessions of new ones beyond it are ignored",
     {}, 1},
    {"port_scan_max_entries", config::Kind::kCount, "4000000",
     "Port scan: most distinct ports and hosts tracked over all buckets; beyond it counts are 'at least'", {}, 1},
};

// At this multiple of the threshold an alert is high rather than medium.
constexpr double kHighFactor = 10;
// Ports or hosts listed in the alert.
constexpr std::size_t kListed = 20;

bool ip_less(const IpAddress& a, const IpAddress& b) {
  if (a.v6 != b.v6) return a.v6 < b.v6;
  return a.bytes < b.bytes;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

bool failed_probe(const SessionRecord& r) {
  if (r.proto == Transport::kUdp) return r.resp_pkts == 0;
  switch (r.conn_state) {
    case ConnState::kREJ:
    case ConnState::kS0:
    case ConnState::kRSTOS0:
    case ConnState::kRSTRH:
    case ConnState::kSH: return true;
    case ConnState::kRSTR:
    case ConnState::kOTH: return r.resp_bytes == 0;
    default: return false;
  }
}

// "80/tcp": a port as Zeek writes one, transport included.
std::uint32_t port_item(std::uint16_t port, Transport t) {
  return (static_cast<std::uint32_t>(t) << 16) | port;
}
std::string port_text(std::uint32_t item) {
  return fmt::format("{}/{}", item & 0xFFFF, transport_name(static_cast<Transport>(item >> 16)));
}

struct Evidence {
  std::int64_t ts_ns = 0;
  std::uint64_t frame = 0;
  std::string uid;
};

void keep_evidence(std::vector<Evidence>& ev, std::int64_t ts, std::uint64_t frame, std::string_view uid) {
  if (ev.size() < kMaxEvidence) {
    ev.push_back({ts, frame, std::string(uid)});
    return;
  }
  auto latest = std::max_element(ev.begin(), ev.end(), [](const Evidence& a, const Evidence& b) {
    return a.ts_ns < b.ts_ns;
  });
  if (ts < latest->ts_ns) *latest = {ts, frame, std::string(uid)};
}

template <class ItemT, class ItemHash>
struct Bucket {
  using Item = ItemT;
  using Hash = ItemHash;
  std::unordered_map<Item, bool, ItemHash> targets;  // true: some probe to it was answered
  std::uint64_t untracked = 0;                      // probes to new targets past the entry cap
  std::uint64_t failed_sessions = 0;
  std::int64_t first_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ns = std::numeric_limits<std::int64_t>::min();
  std::vector<Evidence> evidence;  // the earliest failed probes, at most kMaxEvidence
};

struct VKey {
  IpAddress src, dst;
  std::int64_t window = 0;
  friend bool operator==(const VKey&, const VKey&) = default;
  bool same_series(const VKey& o) const { return src == o.src && dst == o.dst; }
  bool operator<(const VKey& o) const {
    if (!(src == o.src)) return ip_less(src, o.src);
    if (!(dst == o.dst)) return ip_less(dst, o.dst);
    return window < o.window;
  }
};
struct VKeyHash {
  std::size_t operator()(const VKey& k) const noexcept {
    return IpHash{}(k.src) ^ (IpHash{}(k.dst) * 31) ^ (static_cast<std::size_t>(k.window) * 0xC2B2AE3D27D4EB4FULL);
  }
};

struct HKey {
  IpAddress src;
  std::uint32_t port = 0;  // port_item: port and transport
  std::int64_t window = 0;
  friend bool operator==(const HKey&, const HKey&) = default;
  bool same_series(const HKey& o) const { return src == o.src && port == o.port; }
  bool operator<(const HKey& o) const {
    if (!(src == o.src)) return ip_less(src, o.src);
    if (port != o.port) return port < o.port;
    return window < o.window;
  }
};
struct HKeyHash {
  std::size_t operator()(const HKey& k) const noexcept {
    return IpHash{}(k.src) ^ (static_cast<std::size_t>(k.port) * 0x100000001B3ULL) ^
           (static_cast<std::size_t>(k.window) * 0xC2B2AE3D27D4EB4FULL);
  }
};

struct PortHash {
  std::size_t operator()(std::uint32_t p) const noexcept { return std::hash<std::uint32_t>{}(p); }
};

using VBucket = Bucket<std::uint32_t, PortHash>;
using HBucket = Bucket<IpAddress, IpHash>;

// A run of consecutive qualifying windows of one series, merged.
template <class Item, class ItemHash>
struct Run {
  std::unordered_map<Item, bool, ItemHash> targets;
  std::uint64_t untracked = 0, failed_sessions = 0;
  std::int64_t first_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ns = std::numeric_limits<std::int64_t>::min();
  std::vector<Evidence> evidence;
  std::size_t windows = 0;

  void add(const Bucket<Item, ItemHash>& b) {
    for (const auto& [t, answered] : b.targets) targets[t] = targets[t] || answered;
    untracked += b.untracked;
    failed_sessions += b.failed_sessions;
    first_ns = std::min(first_ns, b.first_ns);
    last_ns = std::max(last_ns, b.last_ns);
    for (const Evidence& e : b.evidence) keep_evidence(evidence, e.ts_ns, e.frame, e.uid);
    ++windows;
  }
  std::size_t failed() const {
    std::size_t n = 0;
    for (const auto& kv : targets) n += !kv.second;
    return n;
  }
};

class PortScanDetector final : public Detector {
 public:
  explicit PortScanDetector(const DetectContext& ctx)
      : sink_(ctx.alerts),
        window_ns_(std::max<std::int64_t>(ctx.config.nanoseconds("port_scan_window"), 1)),
        min_ports_(ctx.config.count("port_scan_min_ports")),
        min_hosts_(ctx.config.count("port_scan_min_hosts")),
        min_failed_(ctx.config.number("port_scan_min_failed_ratio")),
        max_keys_(ctx.config.count("port_scan_max_keys")),
        max_entries_(ctx.config.count("port_scan_max_entries")) {}

  std::string_view name() const override { return "port_scan"; }

  void on_session(const SessionRecord& r) override {
    if (r.proto != Transport::kTcp && r.proto != Transport::kUdp) return;
    const bool failed = failed_probe(r);
    const std::int64_t w = floor_div(r.ts_ns, window_ns_);
    const std::uint32_t port = port_item(r.resp_p, r.proto);
    add(vertical_, VKey{r.orig_h, r.resp_h, w}, port, r, failed);
    add(horizontal_, HKey{r.orig_h, port, w}, r.resp_h, r, failed);
  }

  void finish() override {
    evaluate<VKey>(vertical_, true);
    evaluate<HKey>(horizontal_, false);
    tracked_done_ += vertical_.size() + horizontal_.size();
    vertical_.clear();
    horizontal_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} (source, target, window) buckets tracked, {} scans; {} sessions dropped at the key "
                       "cap, {} probes not told apart at the entry cap",
                       vertical_.size() + horizontal_.size() + tracked_done_, alerts_, dropped_sessions_,
                       untracked_probes_);
  }

 private:
  template <class Map, class Key, class Item>
  void add(Map& map, const Key& key, const Item& item, const SessionRecord& r, bool failed) {
    auto it = map.find(key);
    if (it == map.end()) {
      if (vertical_.size() + horizontal_.size() >= max_keys_) {
        ++dropped_sessions_;
        return;
      }
      it = map.emplace(key, typename Map::mapped_type{}).first;
    }
    auto& b = it->second;
    b.first_ns = std::min(b.first_ns, r.ts_ns);
    b.last_ns = std::max(b.last_ns, r.ts_ns);
    auto t = b.targets.find(item);
    if (t != b.targets.end()) {
      t->second = t->second || !failed;
    } else if (entries_ < max_entries_) {
      b.targets.emplace(item, !failed);
      ++entries_;
    } else {
      ++b.untracked;
      ++untracked_probes_;
    }
    if (!failed) return;
    ++b.failed_sessions;
    keep_evidence(b.evidence, r.ts_ns, r.first_frame, r.uid_view());
  }

  template <class Bkt>
  bool qualifies(const Bkt& b, std::uint64_t min) const {
    const std::size_t n = b.targets.size();
    if (n < min || n == 0) return false;
    std::size_t failed = 0;
    for (const auto& kv : b.targets) failed += !kv.second;
    return static_cast<double>(failed) >= min_failed_ * static_cast<double>(n);
  }

  template <class Key, class Map>
  void evaluate(const Map& map, bool vertical) {
    using Entry = typename Map::value_type;
    std::vector<const Entry*> order;
    order.reserve(map.size());
    for (const auto& kv : map) order.push_back(&kv);
    std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->first < b->first; });
    const std::uint64_t min = vertical ? min_ports_ : min_hosts_;
    using R = Run<typename Map::mapped_type::Item, typename Map::mapped_type::Hash>;
    R run;
    const Key* run_key = nullptr;
    std::int64_t last_window = 0;
    for (const Entry* kv : order) {
      const bool q = qualifies(kv->second, min);
      const bool continues = run_key && q && run_key->same_series(kv->first) && last_window + 1 == kv->first.window;
      if (run_key && !continues) {
        emit(*run_key, run, vertical);
        run = R{};
        run_key = nullptr;
      }
      if (!q) continue;
      if (!run_key) run_key = &kv->first;
      run.add(kv->second);
      last_window = kv->first.window;
    }
    if (run_key) emit(*run_key, run, vertical);
  }

  void emit(const VKey& key, const Run<std::uint32_t, PortHash>& run, bool) {
    std::vector<std::uint32_t> ports;
    for (const auto& kv : run.targets) ports.push_back(kv.first);
    std::sort(ports.begin(), ports.end());
    Alert a = base(key.src, run, static_cast<double>(min_ports_));
    a.dst = key.dst;
    bool one_proto = true;
    for (std::uint32_t p : ports) one_proto = one_proto && (p >> 16) == (ports.front() >> 16);
    if (!ports.empty() && one_proto) a.proto = static_cast<Transport>(ports.front() >> 16);
    std::vector<std::string> listed;
    for (std::size_t i = 0; i < ports.size() && i < kListed; ++i) listed.push_back(port_text(ports[i]));
    const double ratio = ports.empty() ? 0 : static_cast<double>(run.failed()) / static_cast<double>(ports.size());
    a.message = fmt::format("{} probed {}{} ports of {} in {} window(s), {:.0f}% failed ({} >= {} ports)",
                            key.src.to_string(), run.untracked ? "at least " : "", ports.size(), key.dst.to_string(),
                            run.windows, ratio * 100, ports.size(), min_ports_);
    finish_alert(a, "vertical", std::move(listed), static_cast<std::int64_t>(ports.size()), 1, ratio, run);
  }

  void emit(const HKey& key, const Run<IpAddress, IpHash>& run, bool) {
    std::vector<IpAddress> hosts;
    for (const auto& kv : run.targets) hosts.push_back(kv.first);
    std::sort(hosts.begin(), hosts.end(), ip_less);
    Alert a = base(key.src, run, static_cast<double>(min_hosts_));
    a.dst_port = static_cast<std::uint16_t>(key.port & 0xFFFF);
    a.proto = static_cast<Transport>(key.port >> 16);
    std::vector<std::string> listed_hosts;
    for (std::size_t i = 0; i < hosts.size() && i < kListed; ++i) listed_hosts.push_back(hosts[i].to_string());
    a.extra.push_back({"hosts", std::move(listed_hosts)});
    const double ratio = hosts.empty() ? 0 : static_cast<double>(run.failed()) / static_cast<double>(hosts.size());
    a.message = fmt::format("{} probed {} on {}{} hosts in {} window(s), {:.0f}% failed ({} >= {} hosts)",
                            key.src.to_string(), port_text(key.port), run.untracked ? "at least " : "", hosts.size(),
                            run.windows, ratio * 100, hosts.size(), min_hosts_);
    finish_alert(a, "horizontal", {port_text(key.port)}, 1, static_cast<std::int64_t>(hosts.size()), ratio, run);
  }

  template <class R>
  Alert base(const IpAddress& src, const R& run, double threshold) const {
    Alert a;
    a.detector = "port_scan";
    a.src = src;
    a.ts_ns = run.first_ns;
    a.last_ns = std::max(run.last_ns, run.first_ns);
    a.value = static_cast<double>(run.targets.size());
    a.threshold = threshold;
    a.severity = a.value >= kHighFactor * threshold ? Severity::kHigh : Severity::kMedium;
    std::vector<Evidence> ev = run.evidence;
    std::sort(ev.begin(), ev.end(), [](const Evidence& x, const Evidence& y) { return x.ts_ns < y.ts_ns; });
    for (const Evidence& e : ev) a.add_uid(e.uid);
    std::vector<std::uint64_t> frames;
    for (const Evidence& e : ev) frames.push_back(e.frame);
    std::sort(frames.begin(), frames.end());
    for (std::uint64_t f : frames) a.add_frame(f);
    return a;
  }

  template <class R>
  void finish_alert(Alert& a, std::string kind, std::vector<std::string> ports, std::int64_t port_count,
                    std::int64_t host_count, double ratio, const R& run) {
    a.uid_count = run.failed_sessions;  // every failed probe is evidence, not only the ones listed
    a.extra.push_back({"kind", std::move(kind)});
    a.extra.push_back({"ports", std::move(ports)});
    a.extra.push_back({"port_count", port_count});
    a.extra.push_back({"host_count", host_count});
    a.extra.push_back({"failed_ratio", ratio});
    a.extra.push_back({"windows", static_cast<std::int64_t>(run.windows)});
    a.extra.push_back({"counts_exact", static_cast<std::int64_t>(run.untracked ? 0 : 1)});
    sink_.emit(std::move(a));
    ++alerts_;
  }

  AlertSink& sink_;
  std::int64_t window_ns_;
  std::uint64_t min_ports_, min_hosts_;
  double min_failed_;
  std::uint64_t max_keys_, max_entries_;

  std::unordered_map<VKey, VBucket, VKeyHash> vertical_;
  std::unordered_map<HKey, HBucket, HKeyHash> horizontal_;
  std::uint64_t entries_ = 0;
  std::uint64_t dropped_sessions_ = 0, untracked_probes_ = 0;
  std::uint64_t tracked_done_ = 0, alerts_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> port_scan_settings() { return kSettings; }

std::unique_ptr<Detector> make_port_scan_detector(const DetectContext& ctx) {
  return std::make_unique<PortScanDetector>(ctx);
}

}  // namespace pcapscope::detect
