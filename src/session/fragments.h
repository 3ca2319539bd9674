// Session stage: IPv4 and IPv6 fragment reassembly.
//
// add() takes every decoded packet. When a packet has a fragmented IP layer
// (IPv4 with MF set or a non-zero offset, IPv6 with a Fragment header; the
// outermost such layer counts, one quoted inside an ICMP error never does),
// its fragment bytes are copied into a partial datagram; the packet that
// completes a datagram comes back as a synthetic packet to decode again:
//
//   bytes before the completing fragment's IP header (its link layer and any
//   enclosing tunnel headers, whose IPv4/IPv6/UDP/PPPoE/GTP-U/802.3 length
//   fields are fixed to cover the bigger datagram; a fixed enclosing IPv4
//   header gets a new checksum, an enclosing UDP checksum is zeroed)
//   + the IP header of the fragment at offset 0
//       IPv4: total length fixed, MF and offset cleared, checksum recomputed
//       IPv6: the unfragmentable part kept, the Fragment header removed, the
//             next-header byte that named it set to the Fragment header's
//             next header, payload length fixed
//   + the reassembled payload.
//
// Typical loop. An inner IP layer of a reassembled packet may be a fragment
// itself; each round removes one Fragment header or fragmented IPv4 header,
// and the next round only looks deeper, so the rounds are bounded by what
// decode() walks: 5 IP levels (4 tunnels), each IPv6 one with at most 8
// extension headers (nested Fragment headers are legal bytes, if odd).
//
//   decode(pkt, d);
//   for (;;) {
//     auto o = frags.add(d, synth);        // synth may be what d.packet points to
//     if (o == Outcome::kComplete) { decode(synth, d); continue; }
//     if (o == Outcome::kNotFragment) process(d);   // whole packet (maybe synthetic)
//     break;                               // kHeld/kDropped: nothing to process yet
//   }
//
// Overlaps: the first-received bytes win. A responder wants to see what an
// evasion attempt sent, and the disagreement is the evidence: every overlap
// whose bytes differ is reported ("fragment_overlap_differs") and counted,
// and keeping the first copy makes the result independent of what a later,
// possibly forged, fragment says. Same-byte overlaps (retransmissions,
// duplicates from merged captures) are only counted and reported as
// "fragment_overlap". The same rule applies to the datagram's end: a second,
// different last fragment is "fragment_inconsistent" and ignored.
//
// Limits keep memory bounded whatever the capture holds: a partial datagram
// lives at most timeout_ns of capture time after its first fragment (checked
// by expire() and, for its own datagram, by add()), and the oldest partial
// datagrams are evicted when max_datagrams or max_bytes would be passed.
// A datagram dropped for too many fragments, a truncated fragment or a
// too-large size stays as a bodiless tombstone until it times out, so its
// remaining fragments are dropped quietly instead of starting a new datagram
// that could only time out.
//
// Not thread-safe; one reassembler per packet stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"

namespace pcapscope::session {

// Names passed to the anomaly handler. Stable: they appear in output.
namespace fragment_anomaly {
inline constexpr std::string_view kOverlap = "fragment_overlap";               // overlap, same bytes
inline constexpr std::string_view kOverlapDiffers = "fragment_overlap_differs";  // first bytes kept
inline constexpr std::string_view kTimeout = "fragment_timeout";
inline constexpr std::string_view kEvicted = "fragment_evicted";
inline constexpr std::string_view kIncomplete = "fragment_incomplete";  // still partial at the end of input
inline constexpr std::string_view kTooLarge = "fragment_too_large";    // > 65535 IPv4 total / IPv6 payload
inline constexpr std::string_view kTooMany = "fragment_too_many";
inline constexpr std::string_view kInconsistent = "fragment_inconsistent";
inline constexpr std::string_view kTruncated = "fragment_truncated";   // captured shorter than its IP length
}  // namespace fragment_anomaly

struct FragmentLimits {
  std::size_t max_datagrams = 8192;          // live partial datagrams; oldest evicted beyond
  std::size_t max_bytes = 32u << 20;         // bytes buffered in total; oldest evicted beyond
  std::uint16_t max_fragments = 512;         // per datagram; more = datagram dropped (anomaly)
  std::int64_t timeout_ns = 30'000'000'000;  // partial datagram dropped after this since its first fragment
};

// Running counters (never reset).
struct FragmentStats {
  std::uint64_t fragments = 0;          // fragments seen by add()
  std::uint64_t held = 0;               // add() calls that returned kHeld
  std::uint64_t completed = 0;          // datagrams reassembled (kComplete)
  std::uint64_t atomic = 0;             // IPv6 atomic fragments (offset 0, M clear; RFC 6946), kComplete too
  std::uint64_t timed_out = 0;          // partial datagrams dropped by timeout
  std::uint64_t evicted = 0;            // partial datagrams dropped by max_datagrams / max_bytes
  std::uint64_t incomplete = 0;         // partial datagrams left at the end of input (finish())
  std::uint64_t dropped_too_large = 0;  // datagrams
  std::uint64_t dropped_too_many = 0;   // datagrams
  std::uint64_t dropped_truncated = 0;  // datagrams (or IPv6 atomic fragments)
  std::uint64_t overlaps_same = 0;      // fragments overlapping held bytes, all equal
  std::uint64_t overlaps_differ = 0;    // fragments overlapping held bytes, some different
  std::uint64_t inconsistent = 0;       // fragments with an inconsistent length, end or header
};

class FragmentReassembler {
 public:
  explicit FragmentReassembler(FragmentLimits limits = {});

  enum class Outcome : std::uint8_t {
    kNotFragment,  // no fragmented IP layer (or one whose header is too cut short to name it)
    kHeld,         // a fragment, buffered; its datagram is not complete yet
    kComplete,     // a fragment that completed its datagram: OUT holds the synthetic packet
    kDropped,      // a fragment that was not kept (unusable header, dropped or tombstoned datagram)
  };

  // Takes one decoded packet (DPKT.packet must be set). On kComplete, OUT is a
  // copy of the completing packet's metadata (ts, frame, link type, interface,
  // source, offset, record flags) whose data points to a buffer owned by the
  // reassembler, orig_len = data size. OUT.data stays valid until the next
  // call to add() returns; that call may itself be given OUT's decode (the
  // reassembler alternates two buffers), and OUT may be the very Packet that
  // DPKT.packet points to. Fragment bytes are copied: DPKT need not outlive the call.
  Outcome add(const DecodedPacket& dpkt, Packet& out);

  // Drops partial datagrams whose first fragment is older than NOW_NS - timeout
  // (capture time, not wall time). O(expired): datagrams are kept in arrival
  // order, so with timestamps out of order a datagram may outlive its timeout
  // until those that arrived before it expire (add() still times out the one it matches).
  void expire(std::int64_t now_ns);

  // End of input: every partial datagram left is dropped and reported (fragment_incomplete), oldest
  // first, so no fragment goes unaccounted for.
  void finish();

  const FragmentStats& stats() const { return stats_; }
  // Fragment data, IP headers and the first fragment's leading bytes (kept for
  // anomaly reports) held now; allocator overhead is not counted.
  std::size_t buffered_bytes() const { return bytes_; }
  // Partial datagrams held now, tombstones included.
  std::size_t pending_datagrams() const { return age_.size(); }

  // Called for every anomaly with the packet concerned and one of the
  // fragment_anomaly names. For fragment_timeout and fragment_evicted the packet
  // is the datagram's first-received fragment: its metadata, and as data only its
  // bytes up to the fragment payload (enough to decode the addresses), valid
  // during the call. The handler must not call back into the reassembler.
  using AnomalyFn = std::function<void(const Packet&, std::string_view)>;
  void set_anomaly_handler(AnomalyFn fn) { on_anomaly_ = std::move(fn); }

 private:
  // Datagram identity, compared in full: IPv4 (src, dst, protocol, id),
  // IPv6 (src, dst, identification); IPv4 addresses use the first 4 bytes.
  struct Key {
    std::array<std::uint8_t, 16> src{}, dst{};
    std::uint32_t id = 0;
    std::uint8_t version = 0;
    std::uint8_t protocol = 0;
    bool operator==(const Key&) const = default;
  };
  // Seeded per reassembler: keys come from hostile packets, and a fixed hash
  // would let a crafted capture pile its datagrams into one bucket.
  struct KeyHash {
    std::uint64_t seed = 0;
    std::size_t operator()(const Key& k) const;
  };
  // A run of datagram payload [start, end) held at bytes[at, at + end - start).
  struct Piece {
    std::uint32_t start = 0, end = 0, at = 0;
  };
  struct Datagram {
    Key key;
    Packet first;                     // first-received fragment's metadata (data unset)
    std::vector<std::uint8_t> bytes;  // its leading bytes, then pieces and the offset-0 IP header
    std::vector<Piece> pieces;        // sorted by start, disjoint
    std::uint32_t head_len = 0;       // leading bytes of `first` at bytes[0, head_len)
    std::uint32_t header_at = 0, header_len = 0;  // offset-0 fragment's IP header (IPv6: + unfragmentable part)
    std::uint32_t next_header_pos = 0;  // IPv6: byte within that header naming the Fragment header
    std::uint8_t next_header = 0;       // IPv6: the Fragment header's next header
    std::uint32_t covered = 0;        // payload bytes held
    std::uint32_t max_end = 0;        // furthest payload byte held
    std::uint32_t end = 0;            // payload length, once a last fragment set it
    std::uint32_t fragments = 0;
    bool has_end = false, has_header = false;
    bool dead = false;                // tombstone: dropped, absorbs its remaining fragments
  };
  using AgeList = std::list<Datagram>;
  struct Fragment;  // one parsed fragment (fragments.cc)
  enum class Found : std::uint8_t { kNone, kFragment, kUnusable };
  enum class Overlap : std::uint8_t { kNone, kSame, kDiffers };

  static Found find_fragment(const DecodedPacket& dpkt, Fragment& f);
  static Found parse_ipv4(const DecodedPacket& dpkt, std::size_t i, Fragment& f);
  static Found parse_ipv6(const DecodedPacket& dpkt, std::size_t i, Fragment& f);
  Outcome add_fragment(const DecodedPacket& dpkt, const Fragment& f, Packet& out);
  std::uint8_t* emit(const DecodedPacket& dpkt, const Fragment& f, Bytes header, std::uint32_t next_header_pos,
                     std::uint8_t next_header, std::uint32_t payload_len, Packet& out);
  Overlap merge(Datagram& dg, std::uint32_t start, const std::uint8_t* data, std::uint32_t len);
  void kill(AgeList::iterator it);
  void remove(AgeList::iterator it);
  void drop_aged(AgeList::iterator it, std::string_view why);  // timeout or eviction
  bool enforce_limits(AgeList::iterator current);               // true if CURRENT was evicted
  void report(const Packet& pkt, std::string_view name) const;
  Packet first_packet(const Datagram& dg) const;

  FragmentLimits limits_;
  FragmentStats stats_;
  AnomalyFn on_anomaly_;
  AgeList age_;  // arrival order of each datagram's first fragment
  std::unordered_map<Key, AgeList::iterator, KeyHash> index_;
  std::size_t bytes_ = 0;
  std::vector<Piece> gaps_;  // scratch for merge()
  // Synthetic packets alternate between two buffers so that the previous one
  // can be handed back to add() while the next one is built.
  std::array<std::vector<std::uint8_t>, 2> out_buf_;
  unsigned out_cur_ = 0;
};

}  // namespace pcapscope::session
