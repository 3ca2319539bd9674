// Session stage: one direction of a TCP connection turned back into the byte stream the receiving
// application saw, with the evidence of what did not add up (gaps, retransmissions whose bytes differ).
//
// Sequence space: every raw 32-bit sequence number is unwrapped to the 64-bit offset nearest the current
// delivery frontier, so wraparound at 2^32 is an ordinary step and offsets only grow. Offset 0 is the
// first byte after the SYN (or the sequence number of the first segment seen when the capture starts
// mid-connection).
//
// Memory: in-order data is handed to the receiver straight from the packet (never copied). Only
// out-of-order segments and a short history of delivered bytes are copied; both are charged to a shared
// ReassemblyBudget and bounded per stream, and when a bound is hit the first hole becomes a gap: the
// stream always moves on instead of growing.
//
// Overlap policy: the bytes received first win, whether they were delivered already or are still
// buffered. Hosts disagree on overlaps (which is why Snort and Suricata carry per-OS target policies),
// so no single policy is "what the host saw" from a capture alone. First-wins is what Zeek does and what
// Snort's inline normaliser enforces; it makes the delivered stream immune to bytes injected later, it
// lets in-order data go out straight from the packet, and the disagreement is never hidden:
// SegmentResult::overlap_differs and StreamCounters::overlaps_differ report it.
//
// Not thread-safe: a stream and its budget belong to one pipeline thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/session.h"

namespace pcapscope::session {

using pcapscope::Bytes;

// StreamReceiver (what receives one direction's ordered bytes) is public: pcapscope/session.h.

// Bytes buffered by all streams of a pipeline (out-of-order segments and retransmission history), so one
// cap holds across them. Streams charge and release it themselves; the session table polls over_limit()
// to evict. Not copyable: streams keep a pointer to it, so it must outlive them.
class ReassemblyBudget {
 public:
  explicit ReassemblyBudget(std::size_t cap_bytes) : cap_(cap_bytes) {}
  ReassemblyBudget(const ReassemblyBudget&) = delete;
  ReassemblyBudget& operator=(const ReassemblyBudget&) = delete;

  void add(std::size_t n) {
    used_ += n;
    if (used_ > peak_) peak_ = used_;
  }
  void release(std::size_t n) { used_ -= n < used_ ? n : used_; }
  bool over_limit() const { return used_ > cap_; }
  bool has_room(std::size_t n) const { return n <= cap_ && used_ <= cap_ - n; }
  std::size_t used() const { return used_; }
  std::size_t peak() const { return peak_; }
  std::size_t cap() const { return cap_; }
  void set_cap(std::size_t cap_bytes) { cap_ = cap_bytes; }

 private:
  std::size_t cap_;
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
};

struct ReassemblyConfig {
  // Out-of-order bytes one direction may hold; past it the first hole is declared a gap.
  std::size_t max_buffered = std::size_t{1} << 20;
  // Most recently delivered bytes kept to tell an identical retransmission from a differing one
  // (rounded up to a power of two; 0 = off). Allocated only once the stream carries data, starting
  // small and doubling, so short flows pay little.
  std::size_t history = std::size_t{16} << 10;
};

// What one add() saw: feeds the session's history letters and anomaly counters.
struct SegmentResult {
  bool retransmission = false;   // all/part of the payload was below the delivered/buffered frontier
  bool overlap_differs = false;  // bytes in the overlap differ from those seen before (evasion evidence)
  bool out_of_order = false;     // buffered ahead of a hole
  bool gap = false;              // a hole was declared by this call
  bool after_close = false;      // payload beyond the FIN (dropped) or new data after a RST (delivered)
  bool isn_changed = false;      // a SYN with another ISN: a new connection attempt, segment ignored;
                                 // the session layer decides (typically flush + restart())
  bool keepalive = false;        // 0/1 byte one below everything sent: a keep-alive probe, not a
                                 // retransmission (Windows puts a garbage byte in it)
  std::uint32_t new_bytes = 0;   // payload bytes not seen before (delivered or buffered now)
};

struct StreamCounters {
  std::uint64_t retransmitted_bytes = 0;    // payload bytes at or below data already delivered/buffered
  std::uint64_t unverified_bytes = 0;       // of those, bytes that could not be compared: older than the
                                            // history, inside a declared gap, or before offset 0
  std::uint64_t overlaps_same = 0;          // segments whose compared overlap matched
  std::uint64_t overlaps_differ = 0;        // segments whose compared overlap differed
  std::uint64_t differing_bytes = 0;        // bytes that differed in those overlaps
  std::uint64_t out_of_order_segments = 0;  // segments (partly) buffered ahead of a hole
  std::uint64_t gaps = 0;                   // holes declared
  std::uint64_t forced_gaps = 0;            // of those, holes a cap (per stream or budget) declared
  std::uint64_t data_after_fin = 0;         // payload bytes beyond the FIN (not delivered, unless they
                                            // had been before the FIN arrived)
  std::uint64_t data_after_reset = 0;       // new payload bytes after a RST (delivered)
  std::uint64_t isn_changes = 0;            // SYNs with another ISN (ignored)
  std::uint64_t implausible_acks = 0;       // peer acks over 2^30 beyond anything sent (ignored)
  std::uint64_t keepalives = 0;
};

// The bytes of a history ring. Not zero-filled: only offsets already
// delivered are read back, and a new session's ring would otherwise cost a
// memset of its whole size on every doubling.
class HistoryRing {
 public:
  HistoryRing() = default;
  explicit HistoryRing(std::size_t n) : bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(n)), size_(n) {}
  std::uint8_t* data() { return bytes_.get(); }
  const std::uint8_t* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void swap(HistoryRing& o) noexcept {
    bytes_.swap(o.bytes_);
    std::swap(size_, o.size_);
  }

 private:
  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
};

// One direction of one connection. Movable (the flow table may relocate it), not copyable.
class TcpStream {
 public:
  // TCP header flag bits as they are on the wire.
  static constexpr std::uint8_t kFin = 0x01;
  static constexpr std::uint8_t kSyn = 0x02;
  static constexpr std::uint8_t kRst = 0x04;

  explicit TcpStream(const ReassemblyConfig& config = {});

  // RECEIVER may be null (accounting only); BUDGET may be null (per-stream cap only). Charges already
  // made move to the new budget.
  void attach(StreamReceiver* receiver, ReassemblyBudget* budget);

  // Each segment of this direction, in capture order. SEQ is the raw sequence number; SYN and FIN consume
  // one sequence number each; data on a SYN is data (it starts at SEQ+1). The first segment without SYN
  // starts the stream midway (its SEQ is offset 0). PAYLOAD is read during the call only.
  // FIN ends the stream at its sequence number: later payload beyond it is counted, not delivered (the
  // receiving host discards it too). RST: new data afterwards is counted but still delivered, because a
  // RST's sequence number may be spoofed and is not ours to validate.
  SegmentResult add(std::uint32_t seq, std::uint8_t tcp_flags, Bytes payload, std::uint64_t frame);

  // The peer acknowledged up to ACK (raw). Bytes below an acknowledged point that are missing in front of
  // buffered data will never be captured: they become a gap now (as Zeek's "ack above hole") and what
  // follows is delivered. An acknowledged tail with nothing buffered after it waits for flush(), since a
  // capture may show an ack before the data it acknowledges. Returns true if a gap was declared.
  bool on_peer_ack(std::uint32_t ack);

  // End of connection or eviction: remaining holes (and an acknowledged or FIN-bounded tail never seen)
  // become gaps, everything buffered is delivered, all budget is released. The stream stays usable.
  void flush();
  // flush(), then forget everything (counters too): the next segment starts a new stream. For a SYN
  // with another ISN (SegmentResult::isn_changed) when the session layer reuses this stream.
  void restart();

  std::uint64_t delivered() const { return delivered_; }      // next offset to deliver
  std::uint64_t missed_bytes() const { return missed_; }      // bytes declared as gaps
  std::uint64_t seq_extent() const { return seq_extent_; }    // highest offset sent (data or FIN; excl.
                                                              // the SYN/FIN sequence numbers)
  std::size_t buffered() const { return buffered_; }          // out-of-order bytes held
  std::size_t history_bytes() const { return ring_.size(); }  // history ring allocated
  const StreamCounters& counters() const { return counters_; }
  std::uint64_t retransmitted_bytes() const { return counters_.retransmitted_bytes; }
  std::uint64_t overlaps_same() const { return counters_.overlaps_same; }
  std::uint64_t overlaps_differ() const { return counters_.overlaps_differ; }
  std::uint64_t out_of_order_segments() const { return counters_.out_of_order_segments; }
  std::uint64_t data_after_fin() const { return counters_.data_after_fin; }

  bool started() const { return started_; }
  bool has_isn() const { return has_isn_; }
  std::uint32_t isn() const { return isn_; }  // raw sequence number of the SYN (when has_isn())
  bool fin_seen() const { return fin_seen_; }
  bool reset_seen() const { return reset_seen_; }

 private:
  // Bytes charged to the budget by this stream; released on destruction, moved with the stream.
  class Charge {
   public:
    Charge() = default;
    Charge(Charge&& o) noexcept;
    Charge& operator=(Charge&& o) noexcept;
    ~Charge() { clear(); }
    void rebind(ReassemblyBudget* budget);
    void add(std::size_t n);
    void sub(std::size_t n);
    void clear();
    ReassemblyBudget* budget() const { return budget_; }

   private:
    ReassemblyBudget* budget_ = nullptr;
    std::size_t bytes_ = 0;
  };
  struct Piece {
    std::vector<std::uint8_t> bytes;
    std::uint64_t frame = 0;
  };
  struct Placed {                 // a sequence number placed in the offset space
    std::uint64_t offset = 0;     // 0 when it lies before the start
    std::uint64_t before = 0;     // how many sequence numbers it lies before offset 0
  };

  std::uint32_t raw_at(std::uint64_t offset) const {
    return base_raw_ + static_cast<std::uint32_t>(offset);
  }
  Placed place(std::uint32_t raw) const;
  void begin(std::uint32_t seq, bool syn);
  SegmentResult add_slow(std::uint32_t data_seq, std::uint8_t flags, Bytes payload, std::uint64_t frame);
  void compare_delivered(std::uint64_t from, Bytes data, bool& same, bool& differ);
  void note_overlap(std::uint64_t differing, bool& same, bool& differ);
  void deliver(Bytes data, std::uint64_t frame);
  void drain();
  void declare_gap(std::uint64_t upto);
  bool enforce_limits();
  bool close_at_fin(std::uint64_t fin_offset);  // true if bytes beyond it were dropped
  void remember(Bytes data);
  void grow_history(std::uint64_t needed);
  std::uint64_t history_low() const;
  void release_history();

  StreamReceiver* receiver_ = nullptr;
  Charge charge_;
  ReassemblyConfig config_;
  std::size_t history_max_ = 0;                 // config_.history rounded up to a power of two
  std::map<std::uint64_t, Piece> pending_;      // out-of-order pieces by offset, never overlapping,
                                                // all starting above delivered_
  HistoryRing ring_;                            // byte at offset o is ring_.data()[o & (size - 1)]
  std::uint64_t history_from_ = 0;              // oldest offset whose bytes the ring may hold
  std::uint64_t delivered_ = 0;
  std::uint64_t missed_ = 0;
  std::uint64_t seq_extent_ = 0;
  std::uint64_t acked_ = 0;                     // highest offset the peer acknowledged
  std::uint64_t end_ = 0;                       // FIN offset, when fin_seen_
  std::size_t buffered_ = 0;
  StreamCounters counters_;
  std::uint32_t base_raw_ = 0;                  // raw sequence number of offset 0
  std::uint32_t isn_ = 0;
  bool started_ = false;
  bool has_isn_ = false;
  bool has_ack_ = false;
  bool fin_seen_ = false;
  bool reset_seen_ = false;
};

}  // namespace pcapscope::session
