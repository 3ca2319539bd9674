// Where the next byte of one direction's stream is expected, for the parsers
// that take stream chunks (on_data(offset, bytes) / on_gap(offset, len)).
//
// The session stage's StreamReceiver calls are contiguous, but parsers are
// also fed by tests and other callers, so each keeps one rule: the stream
// starts at the first offset seen, bytes already seen are skipped (the first
// copy wins), and a jump forward is a gap.
#pragma once

#include <algorithm>
#include <cstdint>

#include "pcapscope/capture.h"

namespace pcapscope::proto {

class StreamCursor {
 public:
  // The part of DATA (at stream OFFSET) not seen before. A jump past the
  // expected offset is reported first, as GAP(expected, length), and GAP
  // must call note_gap(). Bytes all seen before leave the cursor where it is.
  template <typename GapFn>
  Bytes admit(std::uint64_t offset, Bytes data, GapFn&& gap) {
    start_at(offset);
    if (offset > next_) {
      gap(next_, offset - next_);
    } else if (offset < next_) {
      const std::uint64_t seen = next_ - offset;
      if (seen >= data.size()) return {};
      data = data.subspan(static_cast<std::size_t>(seen));
      offset = next_;
    }
    next_ = offset + data.size();
    return data;
  }
  // LEN bytes at OFFSET will never arrive: the stream continues after them.
  void note_gap(std::uint64_t offset, std::uint64_t len) {
    start_at(offset);
    next_ = std::max(next_, offset + len);
  }
  bool started() const { return started_; }

 private:
  void start_at(std::uint64_t offset) {
    if (!started_) {
      started_ = true;
      next_ = offset;
    }
  }

  std::uint64_t next_ = 0;
  bool started_ = false;
};

}  // namespace pcapscope::proto
