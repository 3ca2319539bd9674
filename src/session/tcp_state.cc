// Zeek's TCP endpoint state machine, history letters and conn_state, rebuilt
// from Zeek's TCP analyzer and base/protocols/conn/main.zeek. Comments name
// the Zeek function each piece corresponds to, so the two can be compared.
#include "session/tcp_state.h"

namespace pcapscope::session {
namespace {

using S = TcpEndpointState;

// Sequence numbers further apart than this in a SYN or RST are not trusted
// (Zeek's TOO_LARGE_SEQ_DELTA).
constexpr std::int32_t kTooLargeSeqDelta = 1048576;

std::int32_t seq_delta(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

std::uint64_t full_seq(std::uint32_t seq, std::uint32_t wraps) {
  return (static_cast<std::uint64_t>(wraps) << 32) + seq;
}

bool has(std::uint8_t flags, std::uint8_t f) { return (flags & f) != 0; }

// TCP_Analyzer::get_relative_seq: the 64-bit sequence number relative to the
// endpoint's start, counting wraps around 2^32.
std::uint64_t relative_seq(const TcpEndpoint& e, std::uint32_t cur, std::uint32_t last, std::uint32_t wraps) {
  const std::int32_t d = seq_delta(cur, last);
  if (d < 0) {
    if (wraps && cur > last) --wraps;  // part of the previous 32-bit space
  } else if (d > 0) {
    if (cur < last) ++wraps;  // wrapped around
  }
  if (wraps == 0) return static_cast<std::uint64_t>(static_cast<std::int64_t>(seq_delta(cur, e.start_seq)));
  return full_seq(cur, wraps) - e.start_seq;
}

void update_last_seq_value(TcpEndpoint& e, std::uint32_t seq) {
  if (seq < e.last_seq) ++e.seq_wraps;
  e.last_seq = seq;
}

void init_seqs(TcpEndpoint& e, std::uint32_t start, std::uint32_t last) {
  e.start_seq = start;
  e.ack_seq = start;
  e.last_seq = last;
  e.seq_wraps = e.ack_wraps = 0;
}

// init_endpoint: sequence numbers are set up by the first packet of a side,
// and again by a SYN that restarts it.
void init_endpoint(TcpEndpoint& e, std::uint8_t flags, std::uint32_t seq, std::uint32_t last_seq) {
  switch (e.state) {
    case S::kInactive:
      if (has(flags, tcp_flag::kSyn)) {
        init_seqs(e, seq, last_seq);
      } else {
        // Partial connection: number as though a SYN had been seen, so
        // relative numbers stay consistent; the first packet is not a rexmit.
        init_seqs(e, seq - 1, seq);
      }
      break;
    case S::kSynSent:
    case S::kSynAckSent:
      if (has(flags, tcp_flag::kSyn) && seq != e.start_seq) init_seqs(e, seq, last_seq);
      break;
    case S::kEstablished:
    case S::kPartial:
      if (has(flags, tcp_flag::kSyn)) init_seqs(e, seq, last_seq);
      break;
    case S::kReset:
      if (has(flags, tcp_flag::kSyn) && e.prev_state == S::kInactive) init_seqs(e, seq, last_seq);
      break;
    default:
      break;
  }
}

// update_history: which letter this packet adds, and when it repeats.
void update_history(std::uint8_t flags, TcpEndpoint& e, bool orig, std::uint64_t rel_seq, std::uint32_t len,
                    History& h) {
  const int bits = has(flags, tcp_flag::kSyn) + has(flags, tcp_flag::kFin) + has(flags, tcp_flag::kRst);
  if (bits > 1) {
    if (has(flags, tcp_flag::kFin) && has(flags, tcp_flag::kRst)) {
      h.check(hist::kFinRst, 'I', orig);
    } else {
      h.check(hist::kMultiFlag, 'Q', orig);
    }
  } else if (bits == 1) {
    if (has(flags, tcp_flag::kSyn)) {
      const char code = has(flags, tcp_flag::kAck) ? 'H' : 'S';
      if (h.check(hist::kSyn, code, orig) && rel_seq != e.hist_last_syn) h.add_side(code, orig);
      e.hist_last_syn = rel_seq;
    }
    if (has(flags, tcp_flag::kFin)) {
      // A FIN's sequence number is at the end of its data.
      if (h.check(hist::kFin, 'F', orig) && rel_seq + len != e.hist_last_fin) h.add_side('F', orig);
      e.hist_last_fin = rel_seq + len;
    }
    if (has(flags, tcp_flag::kRst)) {
      if (h.check(hist::kRst, 'R', orig) && rel_seq != e.hist_last_rst) h.add_side('R', orig);
      e.hist_last_rst = rel_seq;
    }
  } else if (len > 0) {
    h.check(hist::kData, 'D', orig);
  } else if (has(flags, tcp_flag::kAck)) {
    h.check(hist::kAck, 'A', orig);
  }
}

// update_last_seq: advances the endpoint's highest sequence number; a
// payload that does not advance it is a retransmission ('T').
void update_last_seq(TcpEndpoint& e, std::uint32_t last_seq, std::uint8_t flags, std::uint32_t len, bool orig,
                     History& h) {
  const std::int32_t d = seq_delta(last_seq, e.last_seq);
  if ((has(flags, tcp_flag::kSyn) || has(flags, tcp_flag::kRst)) && (d > kTooLargeSeqDelta || d < -kTooLargeSeqDelta)) {
    // An outlandish SYN/RST sequence number is not trusted.
  } else if (has(flags, tcp_flag::kFin) && e.last_seq == e.start_seq + 1) {
    update_last_seq_value(e, last_seq);  // > 2 GB connections seen only as SYN and FIN
  } else if (e.state == S::kReset) {
    // Nothing after a RST is trusted.
  } else if (d > 0) {
    update_last_seq_value(e, last_seq);
  } else if (len > 0) {
    h.scaled('T', orig, e.rxmt);
  }
}

}  // namespace

std::uint64_t TcpEndpoint::size(const TcpEndpoint& peer) const {
  const bool no_data_acked = full_seq(ack_seq, ack_wraps) == start_seq || full_seq(ack_seq, ack_wraps) == start_seq + 1ULL;
  if (prev_state == S::kSynSent && state == S::kReset && peer.state == S::kInactive && !no_data_acked) {
    return 0;  // a half-open connection discovered and aborted: sequence numbers mean nothing
  }
  const std::uint64_t last = full_seq(last_seq, seq_wraps);
  const std::uint64_t ack = full_seq(ack_seq, ack_wraps);
  const std::uint64_t top = last > ack ? last : ack;
  if (top < start_seq) return 0;
  std::uint64_t n = top - start_seq;
  if (n != 0) --n;                   // the SYN's octet
  if (fin_cnt > 0 && n != 0) --n;    // the FIN's octet
  return n;
}

TcpConnection::Outcome TcpConnection::packet(const TcpSegment& seg, bool is_orig, History& h) {
  Outcome out;
  TcpEndpoint& ep = is_orig ? orig : resp;
  TcpEndpoint& peer = is_orig ? resp : orig;
  const std::uint8_t f = seg.flags;
  const bool syn = has(f, tcp_flag::kSyn), fin = has(f, tcp_flag::kFin), rst = has(f, tcp_flag::kRst),
             ack = has(f, tcp_flag::kAck);

  if (seg.checksum_bad) h.scaled('C', is_orig, ep.chk);

  // SetPartialStatus: a side whose first packet is not a plain SYN makes the connection partial.
  if (is_orig) {
    if (!(first_packet_seen & 1)) is_partial = !syn || ack;
  } else if (!(first_packet_seen & 2) && !is_partial) {
    is_partial = !syn;
  }
  first_packet_seen |= is_orig ? 1 : 2;

  std::uint32_t seg_len = seg.len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
  if (rst) seg_len -= seg.len;  // a RST's data is not part of the stream
  init_endpoint(ep, f, seg.seq, seg.seq + seg_len);
  if (syn) ep.syn_seen = true;
  const std::uint64_t rel_seq = relative_seq(ep, seg.seq, ep.last_seq, ep.seq_wraps);
  update_history(f, ep, is_orig, rel_seq, seg.len, h);

  // update_window: zero windows are interesting unless they come with or
  // after a RST, or after the peer's FIN.
  if (seg.window == 0 && !rst && peer.state != S::kClosed && ep.state != S::kReset) h.scaled('W', is_orig, ep.win0);

  out.update_last_time = !both_closed();
  if (fin) ++ep.fin_cnt;

  if (ack) {
    if (peer.state == S::kInactive) {
      // init_peer: start the peer's numbering as if its SYN had been seen.
      init_seqs(peer, seg.ack - 1, seg.ack - 1);
    } else if (!rst) {
      // update_ack_seq (acks in RSTs are not trusted).
      const std::int32_t d = seq_delta(seg.ack, peer.ack_seq);
      if (seg.ack == 0 && d > kTooLargeSeqDelta) {
        // More likely a broken ack than a wrap landing on 0.
      } else if (d > 0) {
        if (seg.ack < peer.ack_seq) ++peer.ack_wraps;
        peer.ack_seq = seg.ack;
      }
    }
  }
  update_last_seq(ep, seg.seq + seg_len, f, seg.len, is_orig, h);

  // UpdateStateMachine.
  bool do_close = false;
  switch (ep.state) {
    case S::kInactive:
      if (syn) {
        if (is_orig) {
          ep.set_state(ack ? S::kSynAckSent : S::kSynSent);
        } else {
          if (!ack && peer.state == S::kSynAckSent && seg.seq == ep.start_seq) {
            // SYN / SYN-ACK reversal: the "originator" answered a SYN. Flip
            // the roles and establish (Zeek's UpdateInactiveState).
            is_partial = false;
            out.flip = true;
            peer.set_state(S::kEstablished);
          }
          if (peer.state == S::kSynSent) peer.set_state(S::kEstablished);
          ep.set_state(S::kEstablished);
        }
      }
      if (fin) {
        ep.set_state(S::kClosed);
        do_close = true;
      }
      if (rst) {
        ep.set_state(S::kReset);
        do_close = true;
      }
      if (ep.state == S::kInactive) {
        if (!is_orig && seg.len == 0 && orig.state == S::kSynSent) {
          // Some stacks ack a SYN before answering it: not a partial connection.
        } else if (ack && peer.state == S::kEstablished) {
          // SYN-ACK seen without the SYN, now a pure ACK: the SYN was missed.
          ep.set_state(S::kEstablished);
          is_partial = false;
        } else {
          ep.set_state(S::kPartial);
        }
      }
      break;
    case S::kSynSent:
    case S::kSynAckSent:
      if (fin) {
        ep.set_state(S::kClosed);
        do_close = true;
      }
      if (rst) {
        ep.set_state(S::kReset);
        do_close = true;
      }
      break;
    case S::kEstablished:
    case S::kPartial:
      if (syn && ep.state == S::kPartial && peer.state == S::kInactive && !ack) ep.set_state(S::kSynSent);
      if (fin && !rst) {
        ep.set_state(S::kClosed);
        // A FIN followed by a RST from the peer was a normal close after all.
        if (peer.state == S::kReset && peer.prev_state == S::kClosed) peer.set_state(S::kClosed);
        do_close = true;
      }
      if (rst) {
        ep.set_state(S::kReset);
        do_close = true;
      }
      break;
    case S::kClosed:
      // After both sides closed, a RST changes nothing.
      if (rst && peer.state != S::kClosed) {
        ep.set_state(S::kReset);
        do_close = true;
      }
      break;
    case S::kReset:
      break;
  }
  if (do_close && !ep.did_close) {
    ep.did_close = true;
    out.closed = true;
  }
  return out;
}

void TcpConnection::flip_roles() {
  std::swap(orig, resp);
  first_packet_seen = static_cast<std::uint8_t>(((first_packet_seen & 1) << 1) | ((first_packet_seen & 2) >> 1));
}

// TCPSessionAdapter::IsReuse: a SYN that does not belong to this connection.
bool TcpConnection::is_reuse(const TcpSegment& seg) const {
  if (!has(seg.flags, tcp_flag::kSyn)) return false;
  const TcpEndpoint* conn_orig = &orig;
  if (has(seg.flags, tcp_flag::kAck)) {
    // Only a half connection (nothing from the originator yet) is reused by a SYN-ACK.
    if (orig.state != S::kInactive) return false;
    conn_orig = &resp;
  }
  // Once either side closed, any SYN starts a new connection.
  if (orig.did_close || resp.did_close) return true;
  if (seg.seq == conn_orig->start_seq) return false;  // a retransmission
  // The SYN answering a SYN-ACK that came first: the reversal UpdateStateMachine handles.
  if (!has(seg.flags, tcp_flag::kAck) && conn_orig->state == S::kSynAckSent && resp.state == S::kInactive &&
      seg.seq == resp.start_seq) {
    return false;
  }
  return true;  // a SYN with another sequence number while open (Zeek's SYN_seq_jump)
}

bool TcpConnection::clean(const TcpEndpoint& e) {
  return e.state == S::kEstablished || (e.state == S::kClosed && e.prev_state == S::kEstablished);
}

// Conn::conn_state in base/protocols/conn/main.zeek.
ConnState TcpConnection::conn_state(std::string_view history) const {
  const S os = orig.state, rs = resp.state;
  const bool o_inactive = os == S::kInactive || os == S::kPartial;
  const bool r_inactive = rs == S::kInactive || rs == S::kPartial;
  if (rs == S::kReset) {
    if (os == S::kSynSent || os == S::kSynAckSent || (os == S::kReset && orig.size(resp) == 0 && resp.size(orig) == 0))
      return ConnState::kREJ;
    return o_inactive ? ConnState::kRSTRH : ConnState::kRSTR;
  }
  if (os == S::kReset) {
    if (r_inactive) {
      // /^\^?S[^HAFGIQ]*R.*/: a SYN, then the originator's RST, nothing from the responder.
      std::size_t i = 0;
      if (i < history.size() && history[i] == '^') ++i;
      if (i < history.size() && history[i] == 'S') {
        for (++i; i < history.size(); ++i) {
          const char c = history[i];
          if (c == 'R') return ConnState::kRSTOS0;
          if (c == 'H' || c == 'A' || c == 'F' || c == 'G' || c == 'I' || c == 'Q') break;
        }
      }
      return ConnState::kOTH;
    }
    return ConnState::kRSTO;
  }
  if (rs == S::kClosed && os == S::kClosed) return ConnState::kSF;
  if (os == S::kClosed) return r_inactive ? ConnState::kSH : ConnState::kS2;
  if (rs == S::kClosed) return o_inactive ? ConnState::kSHR : ConnState::kS3;
  if (os == S::kSynSent && rs == S::kInactive) return ConnState::kS0;
  if (os == S::kEstablished && rs == S::kEstablished) return ConnState::kS1;
  return ConnState::kOTH;
}

}  // namespace pcapscope::session
