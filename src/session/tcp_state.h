// TCP connection state as Zeek tracks it: one endpoint state machine per
// side (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED,
// RESET), sequence bookkeeping with 32-bit wrap counts, the history letters,
// and the conn_state summary computed from both endpoints.
//
// The transitions follow Zeek's TCP analyzer (TCPSessionAdapter /
// TCP_Analyzer::UpdateStateMachine and friends) so that conn_state and
// history mean what a Zeek user expects. Deliberate difference: a packet with
// a bad checksum is marked ('C'/'c') but still tracked, where Zeek drops it.
// Checksum offload makes locally captured traffic look corrupt, and a
// forensic tool must not lose those packets from the conversation.
#pragma once

#include <cstdint>

#include "pcapscope/session.h"
#include "session/history.h"

namespace pcapscope::session {

enum class TcpEndpointState : std::uint8_t { kInactive, kSynSent, kSynAckSent, kPartial, kEstablished, kClosed, kReset };

struct TcpEndpoint {
  TcpEndpointState state = TcpEndpointState::kInactive;
  TcpEndpointState prev_state = TcpEndpointState::kInactive;
  bool did_close = false;
  bool syn_seen = false;  // this side sent a SYN (its start_seq is its ISN)
  std::uint32_t start_seq = 0, last_seq = 0, ack_seq = 0;
  std::uint32_t seq_wraps = 0, ack_wraps = 0;
  std::uint64_t hist_last_syn = 0, hist_last_fin = 0, hist_last_rst = 0;
  std::uint32_t fin_cnt = 0;
  ScaledCounter rxmt, win0, gap, chk;

  void set_state(TcpEndpointState s) {
    if (s != state) {
      prev_state = state;
      state = s;
    }
  }
  // Payload bytes sent, from the sequence space (Zeek's TCP_Endpoint::Size).
  std::uint64_t size(const TcpEndpoint& peer) const;
};

struct TcpSegment {
  std::uint32_t seq = 0, ack = 0;
  std::uint32_t len = 0;  // payload length on the wire
  std::uint16_t window = 0;
  std::uint8_t flags = 0;
  bool checksum_bad = false;
};

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;
}

// Both sides of one TCP connection.
struct TcpConnection {
  TcpEndpoint orig, resp;
  std::uint8_t first_packet_seen = 0;  // bit 1: orig, bit 2: resp
  bool is_partial = false;

  struct Outcome {
    bool update_last_time = false;  // counts for Zeek's duration
    bool flip = false;              // SYN / SYN-ACK reversal: caller swaps roles
    bool closed = false;            // this packet closed its direction (FIN or RST)
  };
  // One segment from the originator (IS_ORIG) or the responder.
  Outcome packet(const TcpSegment& seg, bool is_orig, History& history);
  // Swaps the sides (after the caller swapped addresses and counters).
  void flip_roles();

  bool both_closed() const { return orig.did_close && resp.did_close; }
  // Over: both sides closed, or either reset.
  bool over() const {
    return both_closed() || orig.state == TcpEndpointState::kReset || resp.state == TcpEndpointState::kReset;
  }
  // Whether a content gap counts (missed_bytes and 'g'): Zeek's
  // TCP_Reassembler::Gap reports it only while both endpoints are clean
  // (established, or closed after being established).
  bool gaps_reportable() const { return clean(orig) && clean(resp); }
  static bool clean(const TcpEndpoint& e);
  // A SYN that starts a new connection on this tuple (Zeek's IsReuse): the
  // caller ends this session (flag reused) and starts a new one.
  bool is_reuse(const TcpSegment& seg) const;
  ConnState conn_state(std::string_view history) const;
};

}  // namespace pcapscope::session
