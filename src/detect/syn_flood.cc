// syn_flood: one target address:port receiving many half-open TCP sessions
// in a time window, from many sources, while few sessions get established.
//
// Design choices:
// - What a session is, from its history (Zeek letters; uppercase is the
//   originator), because conn_state alone hides the case that matters most:
//   in this implementation (as in Zeek) a SYN answered by a SYN-ACK that is
//   never ACKed ends as S1 with history "Sh", the same state as a live
//   connection that carried no data yet.
//     half-open:   the originator sent a SYN ('S'), never a pure ACK ('A') nor
//                  data ('D'), and did not FIN after a SYN-ACK ('F' with 'h';
//                  a FIN after the SYN-ACK carries the completing ACK), and
//                  the responder did not refuse it (REJ is a closed port's
//                  answer: nothing was held open). This covers S0 "S",
//                  S1 "Sh", SH "SF", RSTOS0 "SR", RSTO "ShR" (a spoofed source's
//                  kernel resetting the unexpected SYN-ACK), RSTR "Shr" (the
//                  server giving up on the half-open slot), and OTH oddities.
//                  RSTRH with no originator SYN ("^hr", backscatter) is not: the
//                  SYN was never seen, so the target of that session is not
//                  the flooded server.
//     established: the originator ACKed or sent data ('A' or 'D') and the
//                  responder answered ('h', 'a' or 'd'): a completed handshake,
//                  or a connection caught mid-stream that plainly worked.
//   Everything else (REJ, UDP, ICMP) is neither and is ignored.
// - Buckets: (resp_h, resp_p, ts_ns / window). Records arrive at session end,
//   so a half-open session reaches us a timeout after its SYN, mixed with
//   later sessions: buckets are kept and judged in finish(). A window floods
//   when half_open >= syn_flood_min_half_open, distinct sources >=
//   syn_flood_min_sources and established <= syn_flood_max_established_ratio
//   * half_open. The source floor separates a flood (spoofed or botnet
//   sources) from one client's retry storm or a port scan, which reach a
//   target port once from one source; the established ratio separates it
//   from a busy server whose clients complete their handshakes (a flash
//   crowd). Tumbling windows like Zeek's SumStats epochs: a flood is long
//   enough that the split at a window edge does not hide it.
// - Consecutive flooding windows of one target make one alert: ts = first
//   half-open SYN, last_ns = the last, value = the peak half-open count in a
//   window, threshold = syn_flood_min_half_open. Severity high; critical at
//   10x the threshold. src is set only when a single source did it; the most
//   active source is in extra (top_source) either way.
// - Memory: at most syn_flood_max_targets buckets (sessions of new buckets
//   beyond it are counted as dropped), and at most syn_flood_max_sources
//   (bucket, source) entries over all buckets. A bucket also tracks at most
//   kExactSources sources: past that the verdict (>= 10 sources by default)
//   cannot change, and the count is reported as "at least" (sources_exact 0).
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
    {"syn_flood_window", config::Kind::kSeconds, "60",
     "SYN flood: length of the time windows in which half-open sessions to one address:port are counted",
     "a number of seconds greater than 0 (suffix s, m, h or d allowed)", 0, 1e300, true},
    {"syn_flood_min_half_open", config::Kind::kCount, "200",
     "SYN flood: half-open sessions to one address:port in a window needed for an alert", {}, 1},
    {"syn_flood_min_sources", config::Kind::kCount, "10",
     "SYN flood: distinct source addresses of those half-open sessions needed for an alert", {}, 1},
    {"syn_flood_max_established_ratio", config::Kind::kNumber, "0.1",
     "SYN flood: established sessions over half-open ones in the window must be at most this", {}, 0, 1},
    {"syn_flood_max_targets", config::Kind::kCount, "100000",
     "SYN flood: most (address:port, window) buckets tracked; sessions of new ones beyond it are ignored", {}, 1},
    {"syn_flood_max_sources", config::Kind::kCount, "1000000",
     "SYN flood: most (bucket, source address) entries tracked over all buckets; beyond it sources are "
     "counted as 'at least'",
     {}, 1},
};

// Sources a single bucket tracks exactly; beyond it its count is a lower bound.
constexpr std::size_t kExactSources = 4096;
// At this multiple of syn_flood_min_half_open an alert is critical.
constexpr double kCriticalFactor = 10;

struct Key {
  IpAddress host;
  std::uint16_t port = 0;
  std::int64_t window = 0;
  friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    return IpHash{}(k.host) ^ (static_cast<std::size_t>(k.port) * 0x100000001B3ULL) ^
           (static_cast<std::size_t>(k.window) * 0xC2B2AE3D27D4EB4FULL);
  }
};

struct Evidence {
  std::int64_t ts_ns = 0;
  std::uint64_t frame = 0;
  std::string uid;
};

struct Bucket {
  std::uint64_t half_open = 0, established = 0;
  std::unordered_map<IpAddress, std::uint32_t, IpHash> sources;  // half-open sessions per source
  bool sources_capped = false;
  std::int64_t first_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ns = std::numeric_limits<std::int64_t>::min();
  std::vector<Evidence> evidence;  // the earliest half-open sessions, at most kMaxEvidence
};

bool has_any(std::string_view s, std::string_view letters) { return s.find_first_of(letters) != s.npos; }

// The earliest kMaxEvidence by time survive, whatever order records arrive in.
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

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

bool half_open(const SessionRecord& r) {
  if (r.proto != Transport::kTcp || r.conn_state == ConnState::kREJ) return false;
  const std::string_view h = r.history_view();
  if (h.find('S') == h.npos || has_any(h, "AD")) return false;
  return !(h.find('F') != h.npos && h.find('h') != h.npos);
}

bool established(const SessionRecord& r) {
  if (r.proto != Transport::kTcp) return false;
  const std::string_view h = r.history_view();
  return has_any(h, "AD") && has_any(h, "had");
}

class SynFloodDetector final : public Detector {
 public:
  explicit SynFloodDetector(const DetectContext& ctx)
      : sink_(ctx.alerts),
        window_ns_(std::max<std::int64_t>(ctx.config.nanoseconds("syn_flood_window"), 1)),
        min_half_open_(ctx.config.count("syn_flood_min_half_open")),
        min_sources_(ctx.config.count("syn_flood_min_sources")),
        max_ratio_(ctx.config.number("syn_flood_max_established_ratio")),
        max_targets_(ctx.config.count("syn_flood_max_targets")),
        max_sources_(ctx.config.count("syn_flood_max_sources")) {}

  std::string_view name() const override { return "syn_flood"; }

  void on_session(const SessionRecord& r) override {
    const bool ho = half_open(r);
    if (!ho && !established(r)) return;
    const Key key{r.resp_h, r.resp_p, floor_div(r.ts_ns, window_ns_)};
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_targets_) {
        ++dropped_sessions_;
        return;
      }
      it = buckets_.emplace(key, Bucket{}).first;
    }
    Bucket& b = it->second;
    if (!ho) {
      ++b.established;
      return;
    }
    ++b.half_open;
    b.first_ns = std::min(b.first_ns, r.ts_ns);
    b.last_ns = std::max(b.last_ns, r.last_ns);
    keep_evidence(b.evidence, r.ts_ns, r.first_frame, r.uid_view());
    auto s = b.sources.find(r.orig_h);
    if (s != b.sources.end()) {
      ++s->second;
    } else if (b.sources.size() < kExactSources && source_entries_ < max_sources_) {
      b.sources.emplace(r.orig_h, 1);
      ++source_entries_;
    } else {
      b.sources_capped = true;
      ++dropped_sources_;
    }
  }

  void finish() override {
    // Group each target's windows in order, then walk runs of consecutive flooding windows.
    std::vector<const std::pair<const Key, Bucket>*> order;
    order.reserve(buckets_.size());
    for (const auto& kv : buckets_) order.push_back(&kv);
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      const Key &x = a->first, &y = b->first;
      if (x.host.v6 != y.host.v6) return x.host.v6 < y.host.v6;
      if (x.host.bytes != y.host.bytes) return x.host.bytes < y.host.bytes;
      if (x.port != y.port) return x.port < y.port;
      return x.window < y.window;
    });
    std::vector<const std::pair<const Key, Bucket>*> run;
    for (const auto* kv : order) {
      if (!floods(kv->second)) {
        flush(run);
        continue;
      }
      if (!run.empty()) {
        const Key& prev = run.back()->first;
        const Key& cur = kv->first;
        if (!(prev.host == cur.host && prev.port == cur.port && prev.window + 1 == cur.window)) flush(run);
      }
      run.push_back(kv);
    }
    flush(run);
    tracked_done_ += buckets_.size();
    buckets_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} target windows tracked, {} floods; {} sessions dropped at the target cap, "
                       "{} sources counted without tracking at the source cap",
                       buckets_.size() + tracked_done_, alerts_, dropped_sessions_, dropped_sources_);
  }

 private:
  bool floods(const Bucket& b) const {
    if (b.half_open < min_half_open_ || b.sources.size() < min_sources_) return false;
    return static_cast<double>(b.established) <= max_ratio_ * static_cast<double>(b.half_open);
  }

  void flush(std::vector<const std::pair<const Key, Bucket>*>& run) {
    if (run.empty()) return;
    const Key& key = run.front()->first;
    std::uint64_t half = 0, est = 0, peak = 0;
    std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
    bool capped = false;
    std::unordered_map<IpAddress, std::uint64_t, IpHash> sources;
    std::vector<Evidence> ev;
    for (const auto* kv : run) {
      const Bucket& b = kv->second;
      half += b.half_open;
      est += b.established;
      peak = std::max(peak, b.half_open);
      first = std::min(first, b.first_ns);
      last = std::max(last, b.last_ns);
      capped = capped || b.sources_capped;
      for (const auto& [src, n] : b.sources) {
        // The union is capped like a bucket: past it the count is a lower bound anyway.
        auto s = sources.find(src);
        if (s != sources.end()) {
          s->second += n;
        } else if (sources.size() < kExactSources) {
          sources.emplace(src, n);
        } else {
          capped = true;
        }
      }
      for (const Evidence& e : b.evidence) keep_evidence(ev, e.ts_ns, e.frame, e.uid);
    }
    const IpAddress* top = nullptr;
    std::uint64_t top_n = 0;
    for (const auto& [src, n] : sources) {
      if (n > top_n || (n == top_n && top && src.bytes < top->bytes)) {
        top = &src;
        top_n = n;
      }
    }

    Alert a;
    a.detector = "syn_flood";
    a.severity = static_cast<double>(peak) >= kCriticalFactor * static_cast<double>(min_half_open_) ? Severity::kCritical
                                                                                                     : Severity::kHigh;
    a.ts_ns = first;
    a.last_ns = std::max(last, first);
    if (sources.size() == 1 && !capped) a.src = *top;
    a.dst = key.host;
    a.dst_port = key.port;
    a.proto = Transport::kTcp;
    std::sort(ev.begin(), ev.end(), [](const Evidence& x, const Evidence& y) { return x.ts_ns < y.ts_ns; });
    for (const Evidence& e : ev) a.add_uid(e.uid);
    a.uid_count = half;  // every half-open session is evidence, not only the ones kept
    std::vector<std::uint64_t> frames;
    for (const Evidence& e : ev) frames.push_back(e.frame);
    std::sort(frames.begin(), frames.end());
    for (std::uint64_t f : frames) a.add_frame(f);
    a.value = static_cast<double>(peak);
    a.threshold = static_cast<double>(min_half_open_);
    const std::string where = key.host.v6 ? fmt::format("[{}]:{}", key.host.to_string(), key.port)
                                          : fmt::format("{}:{}", key.host.to_string(), key.port);
    a.message = fmt::format("{} got {} half-open TCP sessions in {} window(s) from {}{} sources, {} established "
                            "(peak {} in a window >= {})",
                            where, half, run.size(), capped ? "at least " : "", sources.size(), est, peak,
                            min_half_open_);
    a.extra.push_back({"sources", static_cast<std::int64_t>(sources.size())});
    a.extra.push_back({"sources_exact", static_cast<std::int64_t>(capped ? 0 : 1)});
    if (top) {
      a.extra.push_back({"top_source", top->to_string()});
      a.extra.push_back({"top_source_sessions", static_cast<std::int64_t>(top_n)});
    }
    a.extra.push_back({"half_open", static_cast<std::int64_t>(half)});
    a.extra.push_back({"established", static_cast<std::int64_t>(est)});
    a.extra.push_back({"windows", static_cast<std::int64_t>(run.size())});
    a.extra.push_back({"window_seconds", static_cast<double>(window_ns_) / 1e9});
    sink_.emit(std::move(a));
    ++alerts_;
    run.clear();
  }

  AlertSink& sink_;
  std::int64_t window_ns_;
  std::uint64_t min_half_open_, min_sources_;
  double max_ratio_;
  std::uint64_t max_targets_, max_sources_;

  std::unordered_map<Key, Bucket, KeyHash> buckets_;
  std::uint64_t source_entries_ = 0;
  std::uint64_t dropped_sessions_ = 0, dropped_sources_ = 0;
  std::uint64_t tracked_done_ = 0, alerts_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> syn_flood_settings() { return kSettings; }

std::unique_ptr<Detector> make_syn_flood_detector(const DetectContext& ctx) {
  return std::make_unique<SynFloodDetector>(ctx);
}

}  // namespace pcapscope::detect
