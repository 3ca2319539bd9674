// beacon: an internal host that connects to the same external service at
// regular intervals with regular sizes, as command-and-control implants do.
//
// Scoring is RITA's (activecm/rita v4, pkg/beacon/analyzer.go), evaluated
// per (orig_h, resp_h, resp_p, proto) once the capture is over, since
// sessions arrive at their end and out of order:
//   timestamps: intervals between sorted connection times
//     ts_skew  = 1 - |Bowley skewness| (Q1 + Q3 - 2 Q2) / (Q3 - Q1); a
//                beacon's intervals, jittered or not, are symmetric
//     ts_madm  = 1 - MADM / cut-off, floored at 0 (MADM: median absolute
//                deviation about the median interval)
//     ts_count = how many of the expected connections are there
//     ts_score = mean of the three
//   sizes: orig_bytes of every session
//     ds_skew  = 1 - |Bowley skewness|
//     ds_madm  = 1 - MADM / 32 bytes, floored at 0
//     ds_small = 1 - mode / 65535, floored at 0 (implants send little)
//     size_score = mean of the three
//   score = mean of all six, rounded up to 3 decimals (as RITA).
// Quartiles and medians pick the element at round(q * (n - 1)) of the
// sorted list, as RITA does. Where this port departs from RITA v4, and why:
// - ts_count. RITA divides the connection count by (dataset span / 10 s),
//   which assumes day-long Zeek datasets and caps any beacon slower than
//   one every 10 s well below 1 (a 60 s beacon gets 0.17). A capture lasts
//   minutes to days, so the count is instead compared with what the pair's
//   own median interval predicts over its own span: beats / (span / median
//   + 1). A beacon with no missed beats scores 1; a Poisson (random) process
//   scores about ln 2 = 0.69, since its median interval is ln 2 of its mean.
// - ts_madm cut-off. RITA v4 cuts off at 30 s whatever the interval; RITA v5
//   made the dispersion relative to the median. Here the cut-off is half the
//   median interval, which is RITA v4's 30 s for the common 60 s beacon, and
//   scales so an hourly beacon with 10% jitter still scores while random
//   intervals (MADM about 0.7 of the median) score 0 at any rate.
// - Bowley guard. RITA zeroes the skew when Q3 = Q1, Q2 = Q1 or Q2 = Q3 on
//   whole seconds, and v5 also when Q3 - Q1 < 10. On nanosecond timestamps
//   a +-1 s jitter gives a tiny, noisy IQR, so the interval skew counts only
//   when the IQR is at least 10% of the median (and 1 s); sizes keep RITA
//   v5's 10 bytes.
// - Beats. RITA works on distinct whole-second timestamps; here connections
//   closer than 1 s to the previous one belong to the same beat (an implant
//   that opens two connections per check-in beats once). The minimum
//   (beacon_min_connections) applies to beats, so a burst is not a beacon.
// - Sizes are orig_bytes (payload the implant chose to send), not
//   orig_ip_bytes: IP bytes move with retransmissions, TCP options and the
//   number of pure ACKs (delayed ACK), by 40+ bytes at a time, beyond RITA's
//   32-byte dispersion cut-off, so they would hide constant-size beacons.
// - Only internal -> external pairs, as RITA filters internal-internal and
//   external-external connections out of beacon analysis.
// Severity: medium; high at score >= 0.95 (regular to within noise).
// Known false positives, as with RITA: NTP, update checks, telemetry;
// whitelist them (PCAPSCOPE_WHITELIST).
// Memory: one entry per pair (beacon_max_pairs) with at most
// beacon_max_samples (time, size) samples, and beacon_max_total_samples over
// all pairs; what is dropped at a cap is counted in stats(). A pair that hit
// its cap is scored on the samples it kept.
#include <algorithm>
#include <array>
#include <cmath>
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
    {"beacon_min_connections", config::Kind::kCount, "20",
     "Beacon: fewest connection times (beats, 1 s apart or more) to a service before it is scored", {}, 4},
    {"beacon_min_score", config::Kind::kNumber, "0.8", "Beacon: RITA-style score (0..1) from which a pair alerts",
     {}, 0, 1},
    {"beacon_max_pairs", config::Kind::kCount, "100000",
     "Beacon: most (source, destination, port, protocol) pairs tracked; beyond it new pairs are ignored", {}, 1},
    {"beacon_max_samples", config::Kind::kCount, "10000",
     "Beacon: most connections kept per pair (a week of a 1-minute beacon); later ones are dropped", {}, 4},
    {"beacon_max_total_samples", config::Kind::kCount, "4000000",
     "Beacon: most connections kept over all pairs (16 bytes each); later ones are dropped", {}, 4},
};

constexpr std::size_t kPairEvidence = 10;           // uids/frames a pair keeps for its alert
constexpr std::int64_t kBeatGapNs = 1'000'000'000;  // closer connections are one beat
constexpr double kHighScore = 0.95;

struct Key {
  IpAddress orig, resp;
  std::uint16_t port = 0;
  Transport proto = Transport::kUnknown;
  friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    auto byte = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
    for (std::uint8_t b : k.orig.bytes) byte(b);
    for (std::uint8_t b : k.resp.bytes) byte(b);
    byte(static_cast<std::uint8_t>(k.orig.v6));
    byte(static_cast<std::uint8_t>(k.port >> 8));
    byte(static_cast<std::uint8_t>(k.port));
    byte(static_cast<std::uint8_t>(k.proto));
    return static_cast<std::size_t>(h);
  }
};

struct Sample {
  std::int64_t ts_ns;
  std::uint64_t bytes;
};

struct Evidence {
  std::int64_t ts_ns = 0;
  std::uint64_t frame = 0;
  std::array<char, 20> uid{};
};

struct PairState {
  std::vector<Sample> samples;
  std::uint64_t sessions = 0;  // every session seen, kept or not
  std::vector<Evidence> evidence;
};

// RITA's quantile: the element at round(q * (n - 1)) of a sorted list (n > 0).
template <typename T>
T quantile(const std::vector<T>& sorted, double q) {
  const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1) + 0.5));
  return sorted[std::min(i, sorted.size() - 1)];
}

struct Spread {
  double q1 = 0, median = 0, q3 = 0, madm = 0;
};

Spread spread_of(const std::vector<double>& sorted) {
  Spread s{quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75), 0};
  std::vector<double> dev(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) dev[i] = std::fabs(sorted[i] - s.median);
  std::sort(dev.begin(), dev.end());
  s.madm = quantile(dev, 0.5);
  return s;
}

// 1 - |Bowley skewness|, with the skew taken as 0 when the quartiles are too close to mean anything.
double skew_score(const Spread& s, double min_iqr) {
  const double den = s.q3 - s.q1;
  if (den < min_iqr || den <= 0 || s.median == s.q1 || s.median == s.q3) return 1;
  return 1 - std::min(1.0, std::fabs((s.q1 + s.q3 - 2 * s.median) / den));
}

double floor0(double x) { return x < 0 ? 0 : x; }

// The score of one pair, and what the alert reports beside it.
struct BeaconScore {
  double score = 0, ts_score = 0, size_score = 0;
  double interval_s = 0, jitter_s = 0;
  std::uint64_t beats = 0, size_mode = 0;
};

// SAMPLES sorted by time, at least 4 beats' worth; returns false when there are fewer than 4 beats.
bool score_pair(const std::vector<Sample>& samples, BeaconScore& out) {
  std::vector<double> intervals;
  intervals.reserve(samples.size());
  std::int64_t beat = samples.front().ts_ns;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].ts_ns - beat < kBeatGapNs) continue;
    intervals.push_back(static_cast<double>(samples[i].ts_ns - beat) / 1e9);
    beat = samples[i].ts_ns;
  }
  out.beats = intervals.size() + 1;
  if (intervals.size() < 3) return false;
  const double span_s = static_cast<double>(beat - samples.front().ts_ns) / 1e9;
  std::sort(intervals.begin(), intervals.end());
  const Spread ts = spread_of(intervals);

  const double ts_skew = skew_score(ts, std::max(1.0, 0.1 * ts.median));
  const double ts_madm = floor0(1 - ts.madm / (0.5 * ts.median));
  const double ts_count = std::min(1.0, static_cast<double>(out.beats) / (span_s / ts.median + 1));

  std::vector<double> sizes(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) sizes[i] = static_cast<double>(samples[i].bytes);
  std::sort(sizes.begin(), sizes.end());
  const Spread ds = spread_of(sizes);
  double mode = sizes.front();
  std::size_t best = 0;
  for (std::size_t i = 0; i < sizes.size();) {
    std::size_t j = i;
    while (j < sizes.size() && sizes[j] == sizes[i]) ++j;
    if (j - i > best) {
      best = j - i;
      mode = sizes[i];
    }
    i = j;
  }
  const double ds_skew = skew_score(ds, 10);
  const double ds_madm = floor0(1 - ds.madm / 32);
  const double ds_small = floor0(1 - mode / 65535);

  const double ts_sum = ts_skew + ts_madm + ts_count, ds_sum = ds_skew + ds_madm + ds_small;
  out.ts_score = std::ceil(ts_sum / 3 * 1000) / 1000;
  out.size_score = std::ceil(ds_sum / 3 * 1000) / 1000;
  out.score = std::ceil((ts_sum + ds_sum) / 6 * 1000) / 1000;
  out.interval_s = ts.median;
  out.jitter_s = ts.madm;
  out.size_mode = static_cast<std::uint64_t>(mode);
  return true;
}

class BeaconDetector final : public Detector {
 public:
  explicit BeaconDetector(const DetectContext& ctx)
      : ctx_(ctx),
        min_beats_(ctx.config.count("beacon_min_connections")),
        min_score_(ctx.config.number("beacon_min_score")),
        max_pairs_(ctx.config.count("beacon_max_pairs")),
        max_samples_(ctx.config.count("beacon_max_samples")),
        max_total_(ctx.config.count("beacon_max_total_samples")) {}

  std::string_view name() const override { return "beacon"; }

  void on_session(const SessionRecord& rec) override {
    if (!ctx_.is_internal(rec.orig_h) || ctx_.is_internal(rec.resp_h)) return;
    ++considered_;
    const Key key{rec.orig_h, rec.resp_h, rec.resp_p, rec.proto};
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
      if (pairs_.size() >= max_pairs_) {
        ++dropped_pair_cap_;
        return;
      }
      it = pairs_.emplace(key, PairState{}).first;
    }
    PairState& p = it->second;
    ++p.sessions;
    if (p.samples.size() >= max_samples_ || total_samples_ >= max_total_) {
      ++dropped_sample_cap_;
    } else {
      p.samples.push_back({rec.ts_ns, rec.orig_bytes});
      ++total_samples_;
    }
    // Keep the earliest sessions as evidence, whatever the arrival order.
    Evidence e;
    e.ts_ns = rec.ts_ns;
    e.frame = rec.first_frame;
    e.uid = rec.uid;
    if (p.evidence.size() < kPairEvidence) {
      p.evidence.push_back(e);
    } else {
      auto latest = std::max_element(p.evidence.begin(), p.evidence.end(),
                                     [](const Evidence& a, const Evidence& b) { return a.ts_ns < b.ts_ns; });
      if (e.ts_ns < latest->ts_ns) *latest = e;
    }
  }

  void finish() override {
    struct Hit {
      const Key* key;
      const PairState* pair;
      BeaconScore s;
      std::int64_t first_ns, last_ns;
    };
    std::vector<Hit> hits;
    for (auto& [key, p] : pairs_) {
      if (p.samples.size() < min_beats_) continue;  // fewer samples than beats needed: cannot pass
      std::sort(p.samples.begin(), p.samples.end(),
                [](const Sample& a, const Sample& b) { return a.ts_ns < b.ts_ns; });
      BeaconScore s;
      if (!score_pair(p.samples, s) || s.beats < min_beats_) continue;
      ++scored_;
      if (s.score < min_score_) continue;
      hits.push_back({&key, &p, s, p.samples.front().ts_ns, p.samples.back().ts_ns});
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      if (a.first_ns != b.first_ns) return a.first_ns < b.first_ns;
      if (a.key->orig.bytes != b.key->orig.bytes) return a.key->orig.bytes < b.key->orig.bytes;
      if (a.key->resp.bytes != b.key->resp.bytes) return a.key->resp.bytes < b.key->resp.bytes;
      return a.key->port < b.key->port;
    });
    for (const Hit& h : hits) emit(*h.key, *h.pair, h.s, h.first_ns, h.last_ns);
    pairs_seen_ = std::max<std::uint64_t>(pairs_seen_, pairs_.size());
    pairs_.clear();
    total_samples_ = 0;
  }

  std::string stats() const override {
    return fmt::format("{} outbound sessions; {} service pairs tracked, {} scored; {} sessions dropped at the pair "
                       "cap, {} at the sample caps; {} alerts",
                       considered_, std::max<std::uint64_t>(pairs_seen_, pairs_.size()), scored_, dropped_pair_cap_,
                       dropped_sample_cap_, alerts_);
  }

 private:
  void emit(const Key& key, const PairState& p, const BeaconScore& s, std::int64_t first_ns, std::int64_t last_ns) {
    Alert a;
    a.detector = "beacon";
    a.severity = s.score >= kHighScore ? Severity::kHigh : Severity::kMedium;
    a.ts_ns = first_ns;
    a.last_ns = last_ns;
    a.src = key.orig;
    a.dst = key.resp;
    a.dst_port = key.port;
    a.proto = key.proto;
    std::vector<Evidence> ev = p.evidence;
    std::sort(ev.begin(), ev.end(), [](const Evidence& x, const Evidence& y) { return x.ts_ns < y.ts_ns; });
    for (const Evidence& e : ev) a.add_uid(e.uid.data());
    std::sort(ev.begin(), ev.end(), [](const Evidence& x, const Evidence& y) { return x.frame < y.frame; });
    for (const Evidence& e : ev) a.add_frame(e.frame);
    a.uid_count = p.sessions;
    a.value = s.score;
    a.threshold = min_score_;
    a.extra.push_back({"score", s.score});
    a.extra.push_back({"connections", static_cast<std::int64_t>(p.sessions)});
    a.extra.push_back({"beats", static_cast<std::int64_t>(s.beats)});
    a.extra.push_back({"interval", s.interval_s});
    a.extra.push_back({"jitter", s.jitter_s});
    a.extra.push_back({"size", static_cast<std::int64_t>(s.size_mode)});
    a.extra.push_back({"ts_score", s.ts_score});
    a.extra.push_back({"size_score", s.size_score});
    const std::string dst =
        key.resp.v6 ? fmt::format("[{}]:{}", key.resp.to_string(), key.port) : fmt::format("{}:{}", key.resp.to_string(), key.port);
    a.message = fmt::format("{} connected to {}/{} {} times, every {:.1f} s (+-{:.1f} s), {} bytes sent each (score "
                            "{:.3f} >= {})",
                            key.orig.to_string(), dst, transport_name(key.proto), s.beats, s.interval_s, s.jitter_s,
                            s.size_mode, s.score, min_score_);
    ++alerts_;
    ctx_.alerts.emit(std::move(a));
  }

  const DetectContext ctx_;
  const std::uint64_t min_beats_;
  const double min_score_;
  const std::uint64_t max_pairs_, max_samples_, max_total_;
  std::unordered_map<Key, PairState, KeyHash> pairs_;
  std::uint64_t total_samples_ = 0;
  std::uint64_t considered_ = 0, pairs_seen_ = 0, scored_ = 0, alerts_ = 0;
  std::uint64_t dropped_pair_cap_ = 0, dropped_sample_cap_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> beacon_settings() { return kSettings; }

std::unique_ptr<Detector> make_beacon_detector(const DetectContext& ctx) { return std::make_unique<BeaconDetector>(ctx); }

}  // namespace pcapscope::detect
