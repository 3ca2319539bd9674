#include "session/reassembly.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

namespace pcapscope::session {
namespace {

// A segment cannot meaningfully span more than half the sequence space; anything longer than this is
// a broken length, and clipping it keeps every offset sum far from overflow.
constexpr std::size_t kMaxSegment = std::size_t{1} << 30;
// The largest window TCP can advertise (65535 << 14): an ack further than this beyond everything the
// sender was seen to send is not an ack of this stream (spoofed, or a reused port).
constexpr std::uint64_t kMaxAckAhead = std::uint64_t{1} << 30;
constexpr std::size_t kMinHistory = 512;
constexpr std::size_t kMaxHistory = std::size_t{1} << 30;

// Compares N bytes; returns how many differ (0 = identical). memcmp first: the usual answer is "same".
std::uint64_t count_differences(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  if (n == 0 || std::memcmp(a, b, n) == 0) return 0;
  std::uint64_t differ = 0;
  for (std::size_t i = 0; i < n; ++i) differ += a[i] != b[i] ? 1 : 0;
  return differ;
}

}  // namespace

TcpStream::Charge::Charge(Charge&& o) noexcept
    : budget_(o.budget_), bytes_(std::exchange(o.bytes_, 0)) {}

TcpStream::Charge& TcpStream::Charge::operator=(Charge&& o) noexcept {
  if (this != &o) {
    clear();
    budget_ = o.budget_;
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void TcpStream::Charge::rebind(ReassemblyBudget* budget) {
  if (budget == budget_) return;
  if (budget_ != nullptr) budget_->release(bytes_);
  budget_ = budget;
  if (budget_ != nullptr) budget_->add(bytes_);
}

void TcpStream::Charge::add(std::size_t n) {
  bytes_ += n;
  if (budget_ != nullptr) budget_->add(n);
}

void TcpStream::Charge::sub(std::size_t n) {
  n = std::min(n, bytes_);
  bytes_ -= n;
  if (budget_ != nullptr) budget_->release(n);
}

void TcpStream::Charge::clear() {
  if (budget_ != nullptr) budget_->release(bytes_);
  bytes_ = 0;
}

TcpStream::TcpStream(const ReassemblyConfig& config)
    : config_(config),
      history_max_(config.history == 0 ? 0 : std::bit_ceil(std::min(config.history, kMaxHistory))) {}

void TcpStream::attach(StreamReceiver* receiver, ReassemblyBudget* budget) {
  receiver_ = receiver;
  charge_.rebind(budget);
}

void TcpStream::begin(std::uint32_t seq, bool syn) {
  started_ = true;
  if (syn) {
    has_isn_ = true;
    isn_ = seq;
    base_raw_ = seq + 1;
  } else {
    base_raw_ = seq;
  }
}

TcpStream::Placed TcpStream::place(std::uint32_t raw) const {
  // The signed 32-bit distance from the frontier picks the nearest 64-bit offset; the conversion is
  // modular (C++20), and every sum below stays unsigned.
  const auto d = static_cast<std::int32_t>(raw - raw_at(delivered_));
  if (d >= 0) return {delivered_ + static_cast<std::uint64_t>(d), 0};
  const auto back = static_cast<std::uint64_t>(-static_cast<std::int64_t>(d));
  if (back <= delivered_) return {delivered_ - back, 0};
  return {0, back - delivered_};
}

SegmentResult TcpStream::add(std::uint32_t seq, std::uint8_t tcp_flags, Bytes payload,
                             std::uint64_t frame) {
  const bool syn = (tcp_flags & kSyn) != 0;
  if (!started_) {
    begin(seq, syn);
  } else if (syn && !(has_isn_ && seq == isn_)) {
    if (!has_isn_ && static_cast<std::uint32_t>(seq + 1) == base_raw_) {
      // The SYN of the connection we joined midway, captured late: it fits, adopt its ISN.
      has_isn_ = true;
      isn_ = seq;
    } else {
      ++counters_.isn_changes;
      SegmentResult r;
      r.isn_changed = true;
      return r;
    }
  }
  if (payload.size() > kMaxSegment) payload = payload.first(kMaxSegment);
  const std::uint32_t data_seq = seq + (syn ? 1u : 0u);
  // The common case, kept to a few comparisons: the next bytes, nothing pending, no FIN/RST involved.
  if (data_seq == raw_at(delivered_) && pending_.empty() && !fin_seen_ && !reset_seen_ &&
      (tcp_flags & (kFin | kRst)) == 0) {
    SegmentResult r;
    if (!payload.empty()) {
      deliver(payload, frame);
      if (delivered_ > seq_extent_) seq_extent_ = delivered_;
      r.new_bytes = static_cast<std::uint32_t>(payload.size());
    }
    return r;
  }
  return add_slow(data_seq, tcp_flags, payload, frame);
}

SegmentResult TcpStream::add_slow(std::uint32_t data_seq, std::uint8_t flags, Bytes payload,
                                  std::uint64_t frame) {
  SegmentResult r;
  const Placed at = place(data_seq);
  const std::uint64_t full_len = payload.size();

  if (at.before == 0 && full_len <= 1 && at.offset + 1 == delivered_ && delivered_ == seq_extent_ &&
      (flags & (kSyn | kFin | kRst)) == 0) {
    ++counters_.keepalives;
    r.keepalive = true;
    return r;
  }

  // Bytes before offset 0 (the capture joined midway, or a bogus sequence number) have nowhere to go.
  if (at.before > 0) {
    const std::uint64_t skip = std::min(at.before, full_len);
    if (skip > 0) {
      r.retransmission = true;
      counters_.retransmitted_bytes += skip;
      counters_.unverified_bytes += skip;
    }
    payload = payload.subspan(skip);
  }
  const std::uint64_t s = at.offset;
  std::uint64_t e = s + payload.size();
  if (fin_seen_ && e > end_) {
    const std::uint64_t cut = std::max(s, end_);
    counters_.data_after_fin += e - cut;
    r.after_close = true;
    e = cut;
  }

  bool same = false;
  bool differ = false;
  if (s < e && s < delivered_) {
    const std::uint64_t below = std::min(e, delivered_);
    r.retransmission = true;
    counters_.retransmitted_bytes += below - s;
    compare_delivered(s, payload.first(below - s), same, differ);
  }

  // Walk [max(s, delivered_), e) against the pending pieces: covered stretches are compared (the
  // pending bytes stay), uncovered ones are new. Only the first uncovered stretch can start at the
  // frontier, and it is delivered from the caller's view after the walk; the others are copied.
  std::uint64_t pos = std::max(s, delivered_);
  std::uint64_t direct_end = 0;
  bool direct = false;
  bool buffered_any = false;
  std::uint64_t fresh = 0;
  while (pos < e) {
    auto next = pending_.upper_bound(pos);
    if (next != pending_.begin()) {
      const auto prev = std::prev(next);
      const std::uint64_t prev_end = prev->first + prev->second.bytes.size();
      if (prev_end > pos) {
        const std::uint64_t stop = std::min(e, prev_end);
        r.retransmission = true;
        counters_.retransmitted_bytes += stop - pos;
        const std::uint64_t d = count_differences(prev->second.bytes.data() + (pos - prev->first),
                                                  payload.data() + (pos - s), stop - pos);
        note_overlap(d, same, differ);
        pos = stop;
        continue;
      }
    }
    const std::uint64_t stop = next == pending_.end() ? e : std::min(e, next->first);
    if (pos == delivered_) {
      direct = true;
      direct_end = stop;
    } else {
      const std::uint8_t* p = payload.data() + (pos - s);
      pending_.emplace_hint(next, pos, Piece{std::vector<std::uint8_t>(p, p + (stop - pos)), frame});
      buffered_ += stop - pos;
      charge_.add(stop - pos);
      buffered_any = true;
    }
    fresh += stop - pos;
    pos = stop;
  }
  if (direct) deliver(payload.subspan(delivered_ - s, direct_end - delivered_), frame);
  // With a direct stretch, everything copied after it is contiguous with it and drains right away:
  // that segment filled a hole rather than waiting ahead of one.
  if (buffered_any && !direct) {
    r.out_of_order = true;
    ++counters_.out_of_order_segments;
  }
  drain();

  if (e > s && e > seq_extent_) seq_extent_ = e;
  r.new_bytes = static_cast<std::uint32_t>(fresh);
  if (fresh > 0 && reset_seen_) {
    counters_.data_after_reset += fresh;
    r.after_close = true;
  }
  if (differ) {
    ++counters_.overlaps_differ;
    r.overlap_differs = true;
  } else if (same) {
    ++counters_.overlaps_same;
  }

  // The FIN takes the sequence number after the segment's data, clipped or not.
  if ((flags & kFin) != 0 && !fin_seen_ && at.before <= full_len) {
    if (close_at_fin(at.before > 0 ? full_len - at.before : at.offset + full_len)) r.after_close = true;
  }
  if ((flags & kRst) != 0) reset_seen_ = true;
  r.gap = enforce_limits();
  return r;
}

void TcpStream::compare_delivered(std::uint64_t from, Bytes data, bool& same, bool& differ) {
  const std::uint64_t to = from + data.size();
  const std::uint64_t lo = history_low();
  if (from < lo) counters_.unverified_bytes += std::min(to, lo) - from;
  const std::size_t mask = ring_.size() - 1;
  for (std::uint64_t o = std::max(from, lo); o < to;) {
    const std::size_t idx = static_cast<std::size_t>(o) & mask;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(to - o, ring_.size() - idx));
    const std::uint64_t d = count_differences(ring_.data() + idx, data.data() + (o - from), n);
    note_overlap(d, same, differ);
    o += n;
  }
}

void TcpStream::note_overlap(std::uint64_t differing, bool& same, bool& differ) {
  if (differing == 0) {
    same = true;
  } else {
    differ = true;
    counters_.differing_bytes += differing;
  }
}

void TcpStream::deliver(Bytes data, std::uint64_t frame) {
  remember(data);
  if (receiver_ != nullptr) receiver_->on_data(delivered_, data, frame);
  delivered_ += data.size();
}

void TcpStream::drain() {
  while (!pending_.empty() && pending_.begin()->first == delivered_) {
    Piece piece = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    // Released before delivery so the history may grow into the room this frees.
    buffered_ -= piece.bytes.size();
    charge_.sub(piece.bytes.size());
    deliver(piece.bytes, piece.frame);
  }
}

void TcpStream::declare_gap(std::uint64_t upto) {
  const std::uint64_t len = upto - delivered_;
  missed_ += len;
  ++counters_.gaps;
  if (receiver_ != nullptr) receiver_->on_gap(delivered_, len);
  delivered_ = upto;
  if (delivered_ > seq_extent_) seq_extent_ = delivered_;
  history_from_ = upto;  // the ring's older bytes are no longer contiguous with what comes next
}

bool TcpStream::enforce_limits() {
  bool gap = false;
  if (has_ack_) {
    // The peer has everything below acked_: a hole there was lost by the capture, not the network.
    while (!pending_.empty() && acked_ > delivered_) {
      declare_gap(std::min(acked_, pending_.begin()->first));
      drain();
      gap = true;
    }
  }
  const ReassemblyBudget* budget = charge_.budget();
  while (!pending_.empty() &&
         (buffered_ > config_.max_buffered || (budget != nullptr && budget->over_limit()))) {
    // This gap is ours, not the capture's: a memory limit gave up waiting for the hole.
    ++counters_.forced_gaps;
    declare_gap(pending_.begin()->first);
    drain();
    gap = true;
  }
  return gap;
}

bool TcpStream::close_at_fin(std::uint64_t fin_offset) {
  fin_seen_ = true;
  std::uint64_t beyond = 0;
  if (fin_offset < delivered_) {  // delivered before the FIN said where the stream ends
    beyond += delivered_ - fin_offset;
    fin_offset = delivered_;
  }
  end_ = fin_offset;
  auto it = pending_.lower_bound(end_);
  if (it != pending_.begin()) {
    const auto prev = std::prev(it);
    const std::uint64_t prev_end = prev->first + prev->second.bytes.size();
    if (prev_end > end_) {
      const std::uint64_t cut = prev_end - end_;
      prev->second.bytes.resize(static_cast<std::size_t>(end_ - prev->first));
      beyond += cut;
      buffered_ -= cut;
      charge_.sub(cut);
    }
  }
  while (it != pending_.end()) {
    const std::size_t n = it->second.bytes.size();
    beyond += n;
    buffered_ -= n;
    charge_.sub(n);
    it = pending_.erase(it);
  }
  counters_.data_after_fin += beyond;
  seq_extent_ = end_;
  return beyond > 0;
}

bool TcpStream::on_peer_ack(std::uint32_t ack) {
  if (!started_) return false;
  const Placed at = place(ack);
  if (at.before > 0) return false;
  std::uint64_t offset = at.offset;
  const std::uint64_t sent = std::max(seq_extent_, delivered_);
  if (offset > sent && offset - sent > kMaxAckAhead) {
    ++counters_.implausible_acks;
    return false;
  }
  if (fin_seen_ && offset > end_) offset = end_;  // the FIN's own sequence number is not a byte
  if (!has_ack_ || offset > acked_) {
    acked_ = offset;
    has_ack_ = true;
  }
  return !pending_.empty() && enforce_limits();
}

void TcpStream::flush() {
  while (!pending_.empty()) {
    declare_gap(pending_.begin()->first);
    drain();
  }
  // Bytes the sender is known to have sent (up to its FIN, or acknowledged by the peer) but the
  // capture never showed are missed too: Zeek counts them in missed_bytes the same way.
  std::uint64_t tail = fin_seen_ ? end_ : 0;
  if (has_ack_) {
    std::uint64_t acked = acked_;
    // An ack one past everything sent acknowledges a FIN the capture missed, not a missing byte.
    if (!fin_seen_ && acked == seq_extent_ + 1) acked = seq_extent_;
    tail = std::max(tail, acked);
  }
  if (tail > delivered_) declare_gap(tail);
  release_history();
}

void TcpStream::restart() {
  flush();
  StreamReceiver* receiver = receiver_;
  ReassemblyBudget* budget = charge_.budget();
  *this = TcpStream(config_);
  attach(receiver, budget);
}

std::uint64_t TcpStream::history_low() const {
  if (ring_.empty()) return delivered_;
  const std::uint64_t window = delivered_ > ring_.size() ? delivered_ - ring_.size() : 0;
  return std::max(history_from_, window);
}

void TcpStream::remember(Bytes data) {
  if (history_max_ == 0 || data.empty()) return;
  const std::uint64_t end = delivered_ + data.size();
  if (ring_.size() < history_max_) {
    const std::uint64_t needed = end - history_low();
    if (needed > ring_.size()) grow_history(needed);
    if (ring_.empty()) return;
  }
  const std::size_t size = ring_.size();
  const std::size_t mask = size - 1;
  const std::uint8_t* p = data.data();
  std::uint64_t o = delivered_;
  std::size_t n = data.size();
  if (n > size) {  // only the last SIZE bytes can be kept
    p += n - size;
    o = end - size;
    n = size;
  }
  const std::size_t idx = static_cast<std::size_t>(o) & mask;
  const std::size_t first = std::min(n, size - idx);
  std::memcpy(ring_.data() + idx, p, first);
  std::memcpy(ring_.data(), p + first, n - first);
}

void TcpStream::grow_history(std::uint64_t needed) {
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(needed, history_max_));
  const std::size_t target = std::min(history_max_, std::max(kMinHistory, std::bit_ceil(want)));
  if (target <= ring_.size()) return;
  const std::size_t extra = target - ring_.size();
  // History is best effort: under memory pressure overlaps are counted as unverified instead.
  const ReassemblyBudget* budget = charge_.budget();
  if (budget != nullptr && !budget->has_room(extra)) return;
  HistoryRing bigger(target);
  const std::uint64_t lo = history_low();
  if (!ring_.empty()) {
    // Copy [lo, delivered_) in runs that wrap neither ring (at most three).
    const std::size_t old_mask = ring_.size() - 1;
    const std::size_t new_mask = target - 1;
    for (std::uint64_t o = lo; o < delivered_;) {
      const std::size_t from = static_cast<std::size_t>(o) & old_mask;
      const std::size_t to = static_cast<std::size_t>(o) & new_mask;
      const auto run = static_cast<std::size_t>(
          std::min<std::uint64_t>({delivered_ - o, ring_.size() - from, target - to}));
      std::memcpy(bigger.data() + to, ring_.data() + from, run);
      o += run;
    }
  }
  history_from_ = lo;
  ring_.swap(bigger);
  charge_.add(extra);
}

void TcpStream::release_history() {
  charge_.sub(ring_.size());
  HistoryRing().swap(ring_);
  history_from_ = delivered_;
}

}  // namespace pcapscope::session
