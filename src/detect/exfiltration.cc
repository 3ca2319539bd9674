// exfiltration: an internal host that sends far more to an external host
// than it receives back, above a minimum volume.
//
// Design choices:
// - "Leaving" means the internal side's payload bytes towards the external
//   side, whoever opened the connection: orig_bytes when the originator is
//   internal (an upload, a POST, an scp push), resp_bytes when the responder
//   is internal (an external client pulling a dump from an exposed server).
//   Payload bytes, not IP bytes, as Zeek's orig_bytes/resp_bytes: headers and
//   pure ACKs of a large download would otherwise count as "sent" by the
//   downloader. Sessions with both or neither side inside are not
//   exfiltration (east-west traffic and transit are other questions), the
//   same internal/external split RITA and Zeek's Site::local_nets make.
// - ratio = sent / max(received, 1): a one-way transfer has a huge ratio
//   rather than a division by zero.
// - Two scopes. A session alerts on its own when it sent at least
//   exfil_min_bytes with ratio > exfil_ratio: the classic single bulk
//   upload. Exfiltration is often spread over many sessions (chunked
//   uploads, one HTTPS POST a file, a DNS-over-HTTPS channel), each under
//   the volume floor, so every (internal, external) pair also keeps totals
//   over the capture and is judged in finish(), when all sessions are in
//   (records arrive at session end, out of order). The pair totals count
//   only the sessions that did NOT alert on their own, so one piece of
//   evidence never yields two alerts: a pair alert says "and this much more
//   left in pieces". A single session that meets the thresholds always
//   alerts itself, so a pair alert always spans several sessions.
// - Severity: medium; high when the data sent is at least 100x the minimum
//   volume (100 MB by default), since volume is what makes a leak costly.
// - Memory: one entry per pair, capped by exfil_max_pairs; sessions of new
//   pairs beyond the cap are counted in stats() and not tracked (their
//   session-scope alerts still fire, they need no state). Each pair keeps at
//   most kPairEvidence uids/frames for the alert.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "detect/detectors.h"

namespace pcapscope::detect {

namespace {

constexpr config::SettingSpec kSettings[] = {
    {"exfil_ratio", config::Kind::kNumber, "10",
     "Exfiltration: bytes an internal host sent to an external one over bytes it received must exceed this",
     "a number greater than 1", 1, 1e300, true},
    {"exfil_min_bytes", config::Kind::kBytes, "1000000",
     "Exfiltration: minimum bytes sent (by a session, or a host pair over the capture) before the ratio counts",
     {}, 1},
    {"exfil_max_pairs", config::Kind::kCount, "100000",
     "Exfiltration: most (internal, external) host pairs tracked over the capture; beyond it new pairs are ignored",
     {}, 1},
};

// Uids and frames a pair keeps for its alert: enough to open the sessions.
constexpr std::size_t kPairEvidence = 10;
// At this multiple of exfil_min_bytes an alert is high rather than medium.
constexpr double kHighVolumeFactor = 100;

std::string human_bytes(std::uint64_t n) {
  constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  if (n < 1000) return fmt::format("{} B", n);
  double v = static_cast<double>(n);
  std::size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(kUnits)) {
    v /= 1000;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, kUnits[u]);
}

std::string ratio_text(double r) { return r >= 100 ? fmt::format("{:.0f}", r) : fmt::format("{:.1f}", r); }

struct PairKey {
  IpAddress internal, external;
  friend bool operator==(const PairKey&, const PairKey&) = default;
};

struct PairKeyHash {
  std::size_t operator()(const PairKey& k) const noexcept {
    // FNV-1a over both addresses: cheap, and good enough for host addresses.
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const IpAddress& a) {
      for (std::uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ull;
      h = (h ^ static_cast<std::uint8_t>(a.v6)) * 1099511628211ull;
    };
    mix(k.internal);
    mix(k.external);
    return static_cast<std::size_t>(h);
  }
};

struct Evidence {
  std::array<char, 20> uid{};
  std::uint64_t frame = 0;
};

struct PairState {
  std::uint64_t sent = 0, received = 0;
  std::uint64_t sessions = 0;     // sessions counted in the totals (those that did not alert alone)
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint16_t port = 0;         // the service port when the internal side originated
  bool port_known = false, port_mixed = false;
  std::uint8_t proto = 0;
  bool proto_mixed = false;
  std::vector<Evidence> evidence;  // at most kPairEvidence
};

class ExfiltrationDetector final : public Detector {
 public:
  explicit ExfiltrationDetector(const DetectContext& ctx)
      : ctx_(ctx),
        ratio_(ctx.config.number("exfil_ratio")),
        min_bytes_(ctx.config.count("exfil_min_bytes")),
        max_pairs_(ctx.config.count("exfil_max_pairs")) {}

  std::string_view name() const override { return "exfiltration"; }

  void on_session(const SessionRecord& rec) override {
    const bool orig_in = ctx_.is_internal(rec.orig_h), resp_in = ctx_.is_internal(rec.resp_h);
    if (orig_in == resp_in) return;
    const IpAddress& internal = orig_in ? rec.orig_h : rec.resp_h;
    const IpAddress& external = orig_in ? rec.resp_h : rec.orig_h;
    const std::uint64_t sent = orig_in ? rec.orig_bytes : rec.resp_bytes;
    const std::uint64_t received = orig_in ? rec.resp_bytes : rec.orig_bytes;
    ++considered_;

    if (meets(sent, received)) {
      emit_session(rec, internal, external, orig_in, sent, received);
      return;  // its evidence is spoken for: the pair totals leave it out
    }

    const PairKey key{internal, external};
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
      if (pairs_.size() >= max_pairs_) {
        ++dropped_sessions_;
        return;
      }
      it = pairs_.emplace(key, PairState{}).first;
      it->second.first_ns = rec.ts_ns;
      it->second.last_ns = rec.last_ns;
      it->second.proto = static_cast<std::uint8_t>(rec.proto);
    }
    PairState& p = it->second;
    p.sent += sent;
    p.received += received;
    ++p.sessions;
    p.first_ns = std::min(p.first_ns, rec.ts_ns);
    p.last_ns = std::max(p.last_ns, rec.last_ns);
    if (static_cast<std::uint8_t>(rec.proto) != p.proto) p.proto_mixed = true;
    // A destination port means something only when the internal host dialled out.
    if (!orig_in) {
      p.port_mixed = true;
    } else if (!p.port_known) {
      p.port_known = true;
      p.port = rec.resp_p;
    } else if (p.port != rec.resp_p) {
      p.port_mixed = true;
    }
    // Keep the earliest sessions (by start time) as evidence, whatever the arrival order.
    Evidence e;
    e.uid = rec.uid;
    e.frame = rec.first_frame;
    if (p.evidence.size() < kPairEvidence) {
      p.evidence.push_back(e);
    } else {
      auto latest = std::max_element(p.evidence.begin(), p.evidence.end(),
                                     [](const Evidence& a, const Evidence& b) { return a.frame < b.frame; });
      if (e.frame < latest->frame) *latest = e;
    }
  }

  void finish() override {
    // Emit in a stable order (first evidence, then addresses) so runs compare.
    std::vector<const std::pair<const PairKey, PairState>*> hits;
    for (const auto& kv : pairs_) {
      if (kv.second.sessions >= 2 && meets(kv.second.sent, kv.second.received)) hits.push_back(&kv);
    }
    std::sort(hits.begin(), hits.end(), [](const auto* a, const auto* b) {
      if (a->second.first_ns != b->second.first_ns) return a->second.first_ns < b->second.first_ns;
      if (a->first.internal.bytes != b->first.internal.bytes) return a->first.internal.bytes < b->first.internal.bytes;
      return a->first.external.bytes < b->first.external.bytes;
    });
    for (const auto* kv : hits) emit_pair(kv->first, kv->second);
    pairs_seen_ = std::max<std::uint64_t>(pairs_seen_, pairs_.size());
    pairs_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} internal/external sessions; {} host pairs tracked; {} sessions dropped at the pair cap; "
                       "{} session and {} pair alerts",
                       considered_, std::max<std::uint64_t>(pairs_seen_, pairs_.size()), dropped_sessions_,
                       session_alerts_, pair_alerts_);
  }

 private:
  bool meets(std::uint64_t sent, std::uint64_t received) const {
    return sent >= min_bytes_ && ratio_of(sent, received) > ratio_;
  }
  static double ratio_of(std::uint64_t sent, std::uint64_t received) {
    return static_cast<double>(sent) / static_cast<double>(std::max<std::uint64_t>(received, 1));
  }
  Severity severity_for(std::uint64_t sent) const {
    return static_cast<double>(sent) >= kHighVolumeFactor * static_cast<double>(min_bytes_) ? Severity::kHigh
                                                                                             : Severity::kMedium;
  }

  Alert base(const IpAddress& internal, const IpAddress& external, std::uint64_t sent, std::uint64_t received,
             std::uint64_t sessions, std::string_view scope) const {
    Alert a;
    a.detector = "exfiltration";
    a.severity = severity_for(sent);
    a.src = internal;
    a.dst = external;
    a.value = ratio_of(sent, received);
    a.threshold = ratio_;
    a.extra.push_back({"scope", std::string(scope)});
    a.extra.push_back({"sent_bytes", static_cast<std::int64_t>(sent)});
    a.extra.push_back({"received_bytes", static_cast<std::int64_t>(received)});
    a.extra.push_back({"sessions", static_cast<std::int64_t>(sessions)});
    a.extra.push_back({"min_bytes", static_cast<std::int64_t>(min_bytes_)});
    return a;
  }

  void emit_session(const SessionRecord& rec, const IpAddress& internal, const IpAddress& external, bool orig_in,
                    std::uint64_t sent, std::uint64_t received) {
    Alert a = base(internal, external, sent, received, 1, "session");
    a.ts_ns = rec.ts_ns;
    a.last_ns = std::max(rec.ts_ns, rec.last_ns);
    if (orig_in) a.dst_port = rec.resp_p;
    a.proto = rec.proto;
    a.add_uid(rec.uid_view());
    a.add_frame(rec.first_frame);
    if (rec.last_frame != rec.first_frame) a.add_frame(rec.last_frame);
    a.extra.push_back({"internal_role", std::string(orig_in ? "originator" : "responder")});
    a.message = fmt::format("{} sent {} to {} and received {} in one session (ratio {} > {})", internal.to_string(),
                            human_bytes(sent), external.to_string(), human_bytes(received), ratio_text(a.value),
                            fmt::format("{}", ratio_));
    ++session_alerts_;
    ctx_.alerts.emit(std::move(a));
  }

  void emit_pair(const PairKey& key, const PairState& p) {
    Alert a = base(key.internal, key.external, p.sent, p.received, p.sessions, "pair");
    a.ts_ns = p.first_ns;
    a.last_ns = std::max(p.first_ns, p.last_ns);
    if (p.port_known && !p.port_mixed) a.dst_port = p.port;
    if (!p.proto_mixed) a.proto = static_cast<Transport>(p.proto);
    std::vector<Evidence> ev = p.evidence;
    std::sort(ev.begin(), ev.end(), [](const Evidence& x, const Evidence& y) { return x.frame < y.frame; });
    for (const Evidence& e : ev) {
      a.add_uid(e.uid.data());
      a.add_frame(e.frame);
    }
    a.uid_count = p.sessions;  // every session in the totals is evidence, not only those listed
    a.message = fmt::format("{} sent {} to {} and received {} over {} sessions (ratio {} > {})",
                            key.internal.to_string(), human_bytes(p.sent), key.external.to_string(),
                            human_bytes(p.received), p.sessions, ratio_text(a.value), fmt::format("{}", ratio_));
    ++pair_alerts_;
    ctx_.alerts.emit(std::move(a));
  }

  const DetectContext ctx_;
  const double ratio_;
  const std::uint64_t min_bytes_;
  const std::uint64_t max_pairs_;
  std::unordered_map<PairKey, PairState, PairKeyHash> pairs_;
  std::uint64_t considered_ = 0, dropped_sessions_ = 0, pairs_seen_ = 0;
  std::uint64_t session_alerts_ = 0, pair_alerts_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> exfiltration_settings() { return kSettings; }

std::unique_ptr<Detector> make_exfiltration_detector(const DetectContext& ctx) {
  return std::make_unique<ExfiltrationDetector>(ctx);
}

}  // namespace pcapscope::detect
