// Session stage: packets grouped into bidirectional conversations, with the
// meaning Zeek's conn.log gives them.
//
// SessionTable takes decoded packets in capture order and keeps one Session
// per canonical flow key (both directions are one session; the key is
// compared in full, never only by hash). TCP endpoints follow Zeek's state
// machine, so conn_state and history mean exactly what they mean in Zeek.
// Fragmented IP datagrams are reassembled first; TCP payload goes through a
// per-direction reassembler that can hand ordered bytes to the protocol stage.
//
// Memory is bounded: the number of live sessions, the bytes buffered for
// reassembly and for fragments are capped. When a cap is reached the session
// idle longest is finished early and still reported (flag kEvicted), so a
// SYN flood or a scan costs records, not the analyzer.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "pcapscope/decode.h"
#include "pcapscope/result.h"

namespace pcapscope {

// An IP address: IPv4 in the first four bytes, or a full IPv6 address.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  std::string to_string() const;  // "10.0.0.1", "2001:db8::1"
};

// Zeek's transport_proto: tcp, udp, icmp (ICMPv6 too), unknown_transport.
enum class Transport : std::uint8_t { kTcp, kUdp, kIcmp, kUnknown };
std::string_view transport_name(Transport t);

// Zeek's conn_state codes (base/protocols/conn/main.zeek).
enum class ConnState : std::uint8_t { kS0, kS1, kSF, kREJ, kS2, kS3, kRSTO, kRSTR, kRSTOS0, kRSTRH, kSH, kSHR, kOTH };
std::string_view conn_state_name(ConnState s);  // "S0", "SF", "RSTOS0" ...

// Why a session ended, and what happened to it on the way (bits).
namespace session_flag {
inline constexpr std::uint16_t kTimedOut = 1 << 0;     // inactivity timeout
inline constexpr std::uint16_t kEvicted = 1 << 1;      // finished early: live-session or memory cap reached
inline constexpr std::uint16_t kEndOfInput = 1 << 2;   // still open when the input ended
inline constexpr std::uint16_t kReused = 1 << 3;       // a new SYN on the same tuple ended it
inline constexpr std::uint16_t kFlipped = 1 << 4;      // originator/responder swapped ('^' in history)
inline constexpr std::uint16_t kOverlapDiffers = 1 << 5;   // TCP or fragment overlap with different bytes
inline constexpr std::uint16_t kReassemblyLimit = 1 << 6;  // a reassembly cap forced a gap
// Set by the protocol stage: the content is not what the responder's port
// says (HTTP on 8081, SSH on 443, something that is not TLS on 443).
inline constexpr std::uint16_t kServiceMismatch = 1 << 7;
}  // namespace session_flag

// One finished (or, for packets' uid, live) session: a conn.log record.
// SessionRecord's end order (idle_ns, idle_frame, level) as one value,
// compared in that order.
struct EndOrder {
  std::int64_t idle_ns = 0;
  std::uint64_t idle_frame = 0;
  std::uint8_t level = 0;
  friend auto operator<=>(const EndOrder&, const EndOrder&) = default;
};

struct SessionRecord {
  std::int64_t ts_ns = 0;        // first packet
  std::int64_t last_ns = 0;      // last packet that counts for Zeek's duration
  IpAddress orig_h, resp_h;
  std::uint16_t orig_p = 0, resp_p = 0;  // ICMP: type and counterpart type (or code), as Zeek
  Transport proto = Transport::kUnknown;
  std::uint8_t ip_proto = 0;     // protocol number from the IP header
  ConnState conn_state = ConnState::kOTH;
  Proto tunnel = Proto::kNone;   // outermost tunnel the session was first seen in (kNone: not tunnelled)
  std::uint16_t flags = 0;       // session_flag bits
  std::uint64_t orig_bytes = 0, resp_bytes = 0;  // payload bytes (TCP: from the sequence space)
  std::uint64_t missed_bytes = 0;
  std::uint64_t orig_pkts = 0, orig_ip_bytes = 0, resp_pkts = 0, resp_ip_bytes = 0;
  std::uint64_t first_frame = 0, last_frame = 0;  // 1-based frame numbers (timeline order)
  std::uint64_t index = 0;       // 0-based order in which sessions started
  // Sessions that end at one packet (idle), or at the end of input, end in
  // this order: idle clock (the latest trusted time the session saw), then
  // the frame that set it, then outer tunnel levels first. It does not depend
  // on which other sessions share a table, so the records of sharded tables
  // merge into the order of one (cli/sharded_sessions).
  std::int64_t idle_ns = 0;
  std::uint64_t idle_frame = 0;
  std::uint8_t level = 0;        // IP level in its packets: 0 outermost, tunnelled sessions deeper
  std::array<char, 20> uid{};    // "C" + 17 base62 characters, NUL-terminated
  std::array<char, 32> history{};  // NUL-terminated; capped at 31 letters
  std::array<char, 20> tunnel_parent{};  // uid of the enclosing tunnel's session (first seen), or empty
  std::string_view service;      // "http", "ssl,http" ...: filled by the protocol stage at the session's
                                 // end, empty until then (static storage: records may be kept)

  std::string_view uid_view() const { return uid.data(); }
  EndOrder end_order() const { return {idle_ns, idle_frame, level}; }
  std::string_view history_view() const { return history.data(); }
  std::int64_t duration_ns() const { return last_ns - ts_ns; }
  // Zeek logs duration, orig_bytes and resp_bytes only when the duration is positive.
  bool has_duration() const { return last_ns > ts_ns; }
};

// Community ID v1 of the session's flow (https://github.com/corelight/community-id-spec).
std::string community_id(const SessionRecord& r, std::uint16_t seed = 0);

struct SessionOptions {
  std::int64_t tcp_timeout_ns = 300'000'000'000;   // Zeek's tcp_inactivity_timeout
  std::int64_t udp_timeout_ns = 60'000'000'000;    // udp_inactivity_timeout
  std::int64_t icmp_timeout_ns = 60'000'000'000;   // icmp_inactivity_timeout (also other IP protocols)
  std::int64_t tcp_close_timeout_ns = 5'000'000'000;  // quiet after both FINs or a RST: Zeek's
                                                      // tcp_close_delay / tcp_reset_delay
  std::size_t max_sessions = 1'000'000;            // live sessions; ~600 bytes each
  std::size_t reassembly_memory = 256u << 20;      // bytes buffered by all TCP streams
  std::size_t reassembly_per_stream = 1u << 20;    // out-of-order bytes one direction may buffer
  std::size_t fragment_memory = 32u << 20;         // bytes buffered by IP fragment reassembly
  bool reassemble = true;                          // TCP stream reassembly (missed_bytes, protocol stage)
};

// Reads PCAPSCOPE_TCP_TIMEOUT, PCAPSCOPE_UDP_TIMEOUT, PCAPSCOPE_ICMP_TIMEOUT,
// PCAPSCOPE_TCP_CLOSE_TIMEOUT (seconds > 0, at most 9e9, optional suffix s/m/h/d),
// PCAPSCOPE_MAX_SESSIONS (a whole number >= 1), PCAPSCOPE_REASSEMBLY_MEMORY, PCAPSCOPE_REASSEMBLY_PER_STREAM
// and PCAPSCOPE_FRAGMENT_MEMORY (bytes >= 1, optional K/M/G/T suffix) over BASE, with the parser and table of the command line's settings
// (docs/configuration.md). A malformed value is an error naming the variable and value:
// "PCAPSCOPE_TCP_TIMEOUT=soon: expected ...". The config file is not read.
Result<SessionOptions> session_options_from_env(SessionOptions base = {});

namespace session {
// What the protocol stage implements to receive one direction's ordered bytes. Calls come from inside
// TcpStream::add/on_peer_ack/flush; a receiver must not call back into the same stream.
class StreamReceiver {
 public:
  virtual ~StreamReceiver() = default;
  // Contiguous in-order bytes starting at stream OFFSET (each call starts where the previous data or gap
  // ended). DATA is valid only during the call: it often points straight into the packet.
  // FRAME is the frame that carried these bytes.
  virtual void on_data(std::uint64_t offset, Bytes data, std::uint64_t frame) = 0;
  // LEN bytes at OFFSET will never arrive (not in the capture); the stream continues after them.
  virtual void on_gap(std::uint64_t offset, std::uint64_t len) = 0;
};
}  // namespace session

// What later stages (protocols, detectors, output) implement to follow sessions.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // A session ended. The record is valid during the call only.
  virtual void on_session_end(const SessionRecord& rec) = 0;
  // A session is about to end: what its streams still hold is flushed next,
  // then on_session_end. It may end at another session's packet (timeout,
  // cap) or at the end of input: what is made now belongs to the session's
  // own last packet (REC's idle_ns, idle_frame), not to the packet at hand.
  virtual void on_session_ending(const SessionRecord& /*rec*/) {}
  // A packet of session REC arrives (live record; counters before this packet), before its
  // payload reaches on_datagram or a stream receiver. FROM_ORIG tells the side.
  virtual void on_packet(const SessionRecord& /*rec*/, const DecodedPacket& /*pkt*/, bool /*from_orig*/) {}
  // A UDP datagram of session REC (live record), its payload as captured.
  virtual void on_datagram(const SessionRecord& /*rec*/, bool /*from_orig*/, Bytes /*payload*/,
                           const Packet& /*pkt*/) {}
  // For a TCP session whose payload starts: where each direction's reassembled bytes go (nullptr: nowhere).
  virtual session::StreamReceiver* stream_receiver(const SessionRecord& /*rec*/, bool /*orig*/) { return nullptr; }
  // Something odd about a packet that the session stage noticed ("fragment_overlap_differs",
  // "tcp_overlap_differs" ...). UID is empty when the packet belongs to no session yet.
  virtual void on_anomaly(const Packet& /*pkt*/, std::string_view /*uid*/, std::string_view /*name*/) {}
};

struct SessionStats {
  std::uint64_t packets = 0;          // packets given to process()
  std::uint64_t not_ip = 0;           // no IP layer: not part of any session
  std::uint64_t unusable = 0;         // TCP header truncated or malformed: reported, not in a session
  std::uint64_t fragments = 0;        // IP fragments taken by the reassembler
  std::uint64_t reassembled = 0;      // datagrams rebuilt from fragments
  std::uint64_t sessions = 0;         // sessions started
  std::uint64_t timed_out = 0, evicted = 0, reused = 0;
  std::uint64_t peak_live = 0;        // most sessions live at once
  std::uint64_t anomalies = 0;
};

class SessionTableImpl;

class SessionTable {
 public:
  explicit SessionTable(SessionOptions options = {}, SessionObserver* observer = nullptr);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Adds one decoded packet (capture order). Returns the live record of the
  // session the packet went to, or nullptr (not IP, or a fragment held back).
  // The pointer is valid until the next call.
  const SessionRecord* process(const DecodedPacket& pkt);
  // End of input: every live session ends, oldest first.
  void finish();

  // process() in parts, for a caller that divides packets among several
  // tables by shard_hash() (cli/sharded_sessions.h). One table defragments
  // the whole capture, so that every fragment meets its datagram whatever
  // the shards; every table's clock moves with every packet of the capture
  // (advance_clock), so sessions time out as they would in one table; each
  // table then processes the packets of its shard (process_defragmented).
  // process(pkt) is advance_clock(pkt), defragment(pkt), process_defragmented(result).
  enum class Defrag : std::uint8_t {
    kWhole,              // OUT: PKT itself, or the rebuilt datagram (valid until the next call)
    kFirstFragmentOnly,  // OUT: PKT, a first fragment whose datagram cannot be rebuilt
    kNothing,            // a fragment held back or dropped: nothing to process
  };
  void advance_clock(const Packet& pkt);
  Defrag defragment(const DecodedPacket& pkt, const DecodedPacket*& out);
  const SessionRecord* process_defragmented(const DecodedPacket& pkt, bool first_fragment_only = false);

  // Tunnels make one packet part of several sessions (one per IP level), and
  // an inner session can cross several tunnels: no one address pair keeps
  // every session of a tunnelled packet in one shard. So the table that sees
  // every packet (the defragmenting one) also keeps the tunnels' own
  // sessions: process_outer_levels() processes every level but the innermost
  // (that one too when it carries a tunnel, a GRE keepalive) and says what is
  // left; the innermost level's table, chosen by shard_hash (its address
  // pair, the same in both directions), takes it with process_innermost(),
  // PARENT being the uid of the tunnel session around it.
  // process_defragmented(pkt) is process_outer_levels then process_innermost
  // in one table.
  struct InnerLevel {
    bool pending = false;             // an innermost level is left for a shard
    std::array<char, 20> parent{};    // uid of the session around it (empty: none)
    std::uint64_t shard_hash = 0;
  };
  InnerLevel process_outer_levels(const DecodedPacket& pkt, bool first_fragment_only);
  const SessionRecord* process_innermost(const DecodedPacket& pkt, bool first_fragment_only,
                                         const std::array<char, 20>& parent);
  const SessionStats& stats() const;
  std::size_t live() const;

 private:
  SessionTableImpl* impl_;
};

}  // namespace pcapscope
