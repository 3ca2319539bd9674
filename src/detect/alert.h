// An alert: what a detector concluded, with the evidence to check it.
//
// Every alert says who (src, dst, dst_port), when (ts, the first evidence;
// last_ts), what was measured (value) against which threshold, and where
// to look: session uids that `pcapscope sessions`/`follow` open and frame
// numbers that `pcapscope packets` opens. Detector-specific facts (the
// domain of a DNS tunnel, the ports of a scan) go in `extra` under stable
// keys, which the JSON output writes as top-level keys (docs/output.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pcapscope/session.h"

namespace pcapscope::detect {

enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view severity_name(Severity s);                    // "info" ... "critical"
std::optional<Severity> parse_severity(std::string_view name);  // case-insensitive

// Evidence lists are capped: a scan over 60,000 ports needs its first uids
// and frames to be checked, not all of them; the counts say how many there were.
inline constexpr std::size_t kMaxEvidence = 20;

struct AlertField {
  std::string key;
  std::variant<std::string, double, std::int64_t, std::vector<std::string>> value;
};

struct Alert {
  std::string detector;           // "exfiltration", "dns_tunnel" ...
  Severity severity = Severity::kInfo;
  std::int64_t ts_ns = 0;         // first evidence
  std::int64_t last_ns = 0;       // last evidence (== ts_ns for a single event)
  std::optional<IpAddress> src, dst;
  std::optional<std::uint16_t> dst_port;
  std::optional<Transport> proto;
  std::vector<std::string> uids;        // at most kMaxEvidence
  std::uint64_t uid_count = 0;          // how many sessions are evidence in all
  std::vector<std::uint64_t> frames;    // at most kMaxEvidence, ascending
  double value = 0;                     // what was measured
  double threshold = 0;                 // what it was compared with
  std::string message;                  // one line for people, naming value and threshold
  std::vector<AlertField> extra;        // detector-specific keys

  // Adds evidence within the caps (uid_count still counts every uid added).
  void add_uid(std::string_view uid);
  void add_frame(std::uint64_t frame);
};

// Where detectors put alerts. The engine's sink drops alerts that involve a
// whitelisted endpoint (PCAPSCOPE_WHITELIST), so detectors need not know.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void emit(Alert alert) = 0;
};

}  // namespace pcapscope::detect
