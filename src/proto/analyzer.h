// What the protocol stage gives each application analyzer: where records and
// per-frame fields go, the clock of the packet being processed, counters.
// Analyzers are per session and see one session's bytes only.
#pragma once

#include <cstdint>
#include <string_view>

#include "pcapscope/proto.h"
#include "proto/app_fields.h"

namespace pcapscope::proto {

struct StageContext {
  ProtocolObserver* out = nullptr;
  bool frame_fields = false;
  std::int64_t now_ns = 0;      // time of the packet being processed
  std::uint64_t now_frame = 0;  // its frame number: bytes it completes are "its" (tshark's rule)
  ProtocolStats stats;

  void field(AppField f, const FieldValue& v) const {
    if (frame_fields && out) out->on_frame_field(now_frame, app_field(f), v);
  }
  void problem(std::string_view uid, std::string_view name) {
    ++stats.problems;
    if (out) out->on_problem(uid, name);
  }
};

// The record header of a session's live record at TS / FRAME.
RecordHeader make_header(const SessionRecord& live, std::int64_t ts_ns, std::uint64_t frame);

// One direction of a TCP session as the stage hands it to an analyzer.
// SIDE is 0 for the direction that was the originator's when the session's
// streams started, 1 for the other (stable even if the session flips later).
class StreamAnalyzer {
 public:
  virtual ~StreamAnalyzer() = default;
  virtual void on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  virtual void on_gap(int side, std::uint64_t offset, std::uint64_t len) = 0;
  // The session ended: emit what is pending. LIVE is the final record.
  virtual void finish(const SessionRecord& live) = 0;
};

}  // namespace pcapscope::proto
