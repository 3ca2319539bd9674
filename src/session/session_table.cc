// The session engine: packets in, sessions out.
//
// Per packet: IP fragments go to the fragment reassembler first (a datagram
// is counted once, when complete, as tshark and Zeek count it); the packet's
// flow is looked up by its canonical key; the session's counters, TCP state
// and history advance, and TCP payload goes to that direction's stream
// reassembler. Sessions idle past their protocol's timeout end; when the
// live-session cap is reached the session idle longest ends early (flagged
// kEvicted) so a flood costs records, never memory.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "core/ip_hash.h"
#include "decode/dispatch.h"
#include "pcapscope/session.h"
#include "session/flow_table.h"
#include "session/fragments.h"
#include "session/reassembly.h"
#include "session/session_internal.h"
#include "session/tcp_state.h"

namespace pcapscope {

using namespace session;

class SessionTableImpl {
  static constexpr int kMaxFragmentRounds = 256;
  __extension__ using i128 = __int128;
  static constexpr i128 kNotDue = static_cast<i128>(std::numeric_limits<std::int64_t>::max()) * 4;

 public:
  SessionTableImpl(SessionOptions opt, SessionObserver* obs)
      : opt_(opt),
        obs_(obs),
        budget_(opt.reassembly_memory),
        fragments_(fragment_limits(opt)) {
    stream_config_.max_buffered = opt.reassembly_per_stream;
    fragments_.set_anomaly_handler([this](const Packet& p, std::string_view name) { anomaly(p, {}, name); });
  }

  const SessionRecord* process(const DecodedPacket& pkt) {
    ++stats_.packets;
    if (pkt.packet) advance_clock(*pkt.packet);
    const DecodedPacket* whole = nullptr;
    switch (defragment(pkt, whole)) {
      case SessionTable::Defrag::kWhole: return process_flow(*whole);
      case SessionTable::Defrag::kFirstFragmentOnly: return process_flow(*whole, /*first_fragment_only=*/true);
      case SessionTable::Defrag::kNothing: return nullptr;
    }
    return nullptr;
  }

  void advance_clock(const Packet& p) {
    // A timestamp the reader found far from its neighbours (damage, clock
    // jumps) must not time every live session out at once: it does not move
    // the clock.
    if (p.record_flags & record_flag::kTimestampJump) return;
    clock_ = p.ts_ns;
    expire(clock_);
  }

  SessionTable::Defrag defragment(const DecodedPacket& pkt, const DecodedPacket*& out) {
    switch (fragments_.add(pkt, whole_)) {
      case FragmentReassembler::Outcome::kNotFragment:
        out = &pkt;
        return SessionTable::Defrag::kWhole;
      case FragmentReassembler::Outcome::kHeld:
        ++stats_.fragments;
        return SessionTable::Defrag::kNothing;
      case FragmentReassembler::Outcome::kDropped:
        // A first fragment whose datagram cannot be rebuilt (cut short by the
        // capture, too large ...) still shows its transport header: the
        // conversation it belongs to is known, so it counts there, as tshark
        // counts it. Later fragments carry no ports and stay out.
        ++stats_.fragments;
        out = &pkt;
        return SessionTable::Defrag::kFirstFragmentOnly;
      case FragmentReassembler::Outcome::kComplete:
        break;
    }
    ++stats_.fragments;
    ++stats_.reassembled;
    // The rebuilt datagram may carry a tunnel whose inner datagram is itself
    // fragmented, and evasion tests stack atomic fragment headers (one is
    // stripped a round: 150 of them in Suricata's ipv6-malformed-fragments).
    // Each round costs one packet copy, so the bound keeps a hostile packet
    // linear in practice; past it the packet is reported, not processed.
    for (int round = 0; round < kMaxFragmentRounds; ++round) {
      decode(whole_, redecoded_);
      const auto outcome = fragments_.add(redecoded_, whole_);  // the reassembler alternates buffers
      if (outcome == FragmentReassembler::Outcome::kNotFragment) {
        out = &redecoded_;
        return SessionTable::Defrag::kWhole;
      }
      if (outcome != FragmentReassembler::Outcome::kComplete) return SessionTable::Defrag::kNothing;
    }
    anomaly(*pkt.packet, {}, "fragment_nesting_too_deep");
    return SessionTable::Defrag::kNothing;
  }

  const SessionRecord* process_defragmented(const DecodedPacket& pkt, bool first_fragment_only) {
    ++stats_.packets;
    return process_flow(pkt, first_fragment_only);
  }

  // process_flow() in two parts (SessionTable::process_outer_levels): the
  // same loop, stopped before the innermost level unless that one carries a
  // tunnel itself.
  SessionTable::InnerLevel process_outer_levels(const DecodedPacket& pkt, bool first_fragment_only) {
    ++stats_.packets;
    SessionTable::InnerLevel inner;
    std::array<int, kMaxIpLevels> levels;
    const int n = ip_levels(pkt, levels);
    if (n == 0) {
      ++stats_.not_ip;
      return inner;
    }
    const int innermost = levels[static_cast<std::size_t>(n - 1)];
    // This table keeps every flow that is, or could be, a tunnel: one whose
    // packet carries a tunnel here, and one whose key says it may (a GRE or
    // IP-in-IP flow, a UDP flow on a tunnel port) even when this packet's
    // payload is not one (a keepalive, a cut or broken inner packet). The
    // choice must depend on the flow alone, never on one packet: a flow
    // split between this table and a shard's would be two sessions where
    // one table has one.
    const bool inner_ok = extract_flow(pkt, innermost, inner_flow_);
    const bool keep_here = carries_tunnel(pkt, innermost) || (inner_ok && may_carry_tunnel(inner_flow_));
    const int outer = keep_here ? n : n - 1;
    for (int level = 0; level < outer; ++level) {
      if (!extract_flow(pkt, levels[static_cast<std::size_t>(level)], flow_)) return inner;
      level_ = static_cast<std::uint8_t>(level);
      if (first_fragment_only && level == n - 1 && !flow_.transport_layer) return inner;
      const SessionRecord* rec = process_level(pkt);
      if (!rec) continue;
      if (inner.parent[0] && !rec->tunnel_parent[0]) sessions_[current_].record.tunnel_parent = inner.parent;
      inner.parent = rec->uid;
    }
    if (outer == n || !inner_ok) return inner;
    if (first_fragment_only && !inner_flow_.transport_layer) return inner;
    inner.pending = true;
    inner.shard_hash = pair_hash(inner_flow_.src, inner_flow_.dst);
    return inner;
  }

  const SessionRecord* process_innermost(const DecodedPacket& pkt, bool first_fragment_only,
                                         const std::array<char, 20>& parent) {
    ++stats_.packets;
    std::array<int, kMaxIpLevels> levels;
    const int n = ip_levels(pkt, levels);
    if (n == 0 || !extract_flow(pkt, levels[static_cast<std::size_t>(n - 1)], flow_)) return nullptr;
    if (first_fragment_only && !flow_.transport_layer) return nullptr;
    level_ = static_cast<std::uint8_t>(n - 1);
    const SessionRecord* rec = process_level(pkt);
    if (rec && parent[0] && !rec->tunnel_parent[0]) sessions_[current_].record.tunnel_parent = parent;
    return rec;
  }

  void finish() {
    fragments_.finish();
    // Oldest first, so records come out in the order sessions went idle.
    while (live_ > 0) {
      const std::uint32_t i = oldest_idle();
      const Session& s = sessions_[i];
      if (overdue(s)) {  // idle past its timeout, not yet swept (see process_level)
        end_idle(i);
        continue;
      }
      // Only a TCP session can be seen to be still open; UDP and ICMP have no close.
      const bool open = s.transport == Transport::kTcp && !s.tcp.over();
      end_session(i, open ? session_flag::kEndOfInput : 0);
    }
  }

  const SessionStats& stats() const { return stats_; }
  std::size_t live() const { return live_; }

 private:
  // Whether an encapsulation follows the IP layer at INDEX (a GRE keepalive,
  // VXLAN carrying ARP): its session is a tunnel's, wherever the packet ends.
  static bool carries_tunnel(const DecodedPacket& pkt, int index) {
    for (std::size_t i = static_cast<std::size_t>(index) + 1; i < pkt.layer_count; ++i) {
      switch (pkt.layers[i].proto) {
        case Proto::kGre:
        case Proto::kErspan:
        case Proto::kVxlan:
        case Proto::kGeneve:
        case Proto::kGtpU:
        case Proto::kTeredo: return true;
        default: break;
      }
    }
    return false;
  }

  // Whether a flow's key alone says it may carry a tunnel: by the decoder's
  // own tables (IP-in-IP, 6in4 and GRE by protocol, VXLAN, Geneve, GTP-U and
  // Teredo by UDP port), so the two cannot disagree.
  static bool may_carry_tunnel(const PacketFlow& f) {
    using decode_detail::proto_for_ip_protocol;
    using decode_detail::proto_for_udp_port;
    switch (proto_for_ip_protocol(f.ip_proto, f.ip && f.ip->proto == Proto::kIpv6)) {
      case Proto::kIpv4:
      case Proto::kIpv6:
      case Proto::kGre: return true;
      case Proto::kUdp: return proto_for_udp_port(f.sport) != Proto::kNone || proto_for_udp_port(f.dport) != Proto::kNone;
      default: return false;
    }
  }

  // The same for both directions. Not seeded: a shard is a unit of work, not
  // a table an attacker can overfill (each shard's own tables are seeded).
  static std::uint64_t pair_hash(const IpAddress& x, const IpAddress& y) {
    const std::uint64_t a = IpHash{}(x), b = IpHash{}(y);
    std::uint64_t h = (a ^ b) + std::min(a, b) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    return h * 0x94D049BB133111EBULL;
  }

  static FragmentLimits fragment_limits(const SessionOptions& o) {
    FragmentLimits l;
    l.max_bytes = o.fragment_memory;
    return l;
  }

  std::int64_t timeout_for(const Session& s) const {
    if (s.closed) return opt_.tcp_close_timeout_ns;
    switch (s.transport) {
      case Transport::kTcp: return opt_.tcp_timeout_ns;
      case Transport::kUdp: return opt_.udp_timeout_ns;
      default: return opt_.icmp_timeout_ns;
    }
  }
  // One activity list per timeout: TCP, UDP, ICMP and other, closed TCP.
  static int lru_class(const Session& s) {
    if (s.closed) return 3;
    return s.transport == Transport::kTcp ? 0 : s.transport == Transport::kUdp ? 1 : 2;
  }

  // Every tunnel level of the packet is a session (outermost first); the
  // innermost is the packet's own, and names the level around it as its
  // tunnel parent (Zeek's tunnel_parents).
  const SessionRecord* process_flow(const DecodedPacket& pkt, bool first_fragment_only = false) {
    std::array<int, kMaxIpLevels> levels;
    const int n = ip_levels(pkt, levels);
    if (n == 0) {
      ++stats_.not_ip;
      return nullptr;
    }
    const SessionRecord* rec = nullptr;
    std::array<char, 20> parent{};
    for (int level = 0; level < n; ++level) {
      if (!extract_flow(pkt, levels[static_cast<std::size_t>(level)], flow_)) break;
      level_ = static_cast<std::uint8_t>(level);
      // A fragment that could not be rebuilt counts only where it shows its
      // transport header (the first fragment): later fragments carry no ports.
      if (first_fragment_only && level == n - 1 && !flow_.transport_layer) break;
      rec = process_level(pkt);
      if (!rec) continue;
      if (parent[0] && !rec->tunnel_parent[0]) sessions_[current_].record.tunnel_parent = parent;
      parent = rec->uid;
    }
    return rec;
  }

  const SessionRecord* process_level(const DecodedPacket& pkt) {
    if (flow_.unusable) {
      ++stats_.unusable;
      anomaly(*pkt.packet, {}, "tcp_header_unusable");
      return nullptr;
    }
    bool src_is_a = true;
    make_key(flow_, key_, src_is_a);
    const std::uint64_t h = hash_key(key_, seed_);
    std::uint32_t i = index_.find(key_, h, [&](std::uint32_t j) { return sessions_[j].key == key_; });
    const Packet& p = *pkt.packet;
    if (i != kNoSession && overdue(sessions_[i])) {
      // The sweep goes down each list in order of activity and stops at the
      // first session not yet due; with timestamps out of order, one behind
      // it can be overdue. Its own next packet must not revive it: whether a
      // session times out depends on its idle time alone, never on its
      // neighbours (which is also what lets sharded tables agree with one).
      end_idle(i);
      i = kNoSession;
    }
    if (i != kNoSession) {
      Session& s = sessions_[i];
      if (s.transport == Transport::kTcp && s.tcp.is_reuse(tcp_segment())) {
        ++stats_.reused;
        end_session(i, session_flag::kReused);
        i = kNoSession;
      }
    }
    if (i == kNoSession) i = start_session(p, h, src_is_a);
    Session& s = sessions_[i];
    // The idle clock follows trustworthy time only: a jumping timestamp would
    // park the session at the head of its list and stall every expiry behind it.
    const bool trusted = !(p.record_flags & record_flag::kTimestampJump) || clock_ == kNeverSeen;
    touch(i, trusted ? p.ts_ns : clock_, p.frame);
    const bool from_orig = s.orig_is_a == src_is_a;
    if (obs_) obs_->on_packet(s.record, pkt, from_orig);
    update(s, pkt, from_orig);
    s.record.last_frame = p.frame;
    if (s.transport == Transport::kTcp && !s.closed && s.tcp.over()) {
      // Both sides closed, or a RST: the session ends after Zeek's
      // tcp_close_delay / tcp_reset_delay of quiet, not the inactivity timeout.
      unlink(i);
      s.closed = true;
      link(i);
    }
    if (budget_.over_limit()) enforce_reassembly_budget(i);
    current_ = i;
    return &s.record;
  }

  TcpSegment tcp_segment() const {
    TcpSegment seg;
    seg.seq = flow_.seq;
    seg.ack = flow_.ack;
    seg.len = flow_.payload_len;
    seg.window = flow_.window;
    seg.flags = flow_.tcp_flags;
    seg.checksum_bad = flow_.checksum_bad;
    return seg;
  }

  std::uint32_t start_session(const Packet& p, std::uint64_t h, bool src_is_a) {
    if (live_ >= opt_.max_sessions && live_ > 0) {
      ++stats_.evicted;
      end_session(oldest_idle(), session_flag::kEvicted);
    }
    const std::uint32_t i = sessions_.acquire();
    Session& s = sessions_[i];
    s.key = key_;
    s.hash = h;
    s.transport = flow_.transport;
    s.orig_is_a = src_is_a;
    SessionRecord& r = s.record;
    r.ts_ns = r.last_ns = p.ts_ns;
    r.first_frame = r.last_frame = p.frame;
    r.index = stats_.sessions++;
    r.proto = flow_.transport;
    r.ip_proto = flow_.ip_proto;
    r.tunnel = flow_.tunnel;
    make_uid(key_, p.ts_ns, p.frame, r.uid);
    if (initial_flip(s)) {
      s.orig_is_a = !s.orig_is_a;
      s.history.flip();
      r.flags |= session_flag::kFlipped;
    }
    set_endpoints(s, src_is_a);
    if (index_.needs_growth()) index_.grow();
    index_.insert(h, i);
    ++live_;
    if (live_ > stats_.peak_live) stats_.peak_live = live_;
    link(i);
    return i;
  }

  // Zeek's first-packet heuristics (TCPAnalyzer/UDPAnalyzer::WantConnection):
  // a connection that does not start with a plain SYN, or a UDP flow, is
  // flipped when its first packet comes from a likely server port to one that
  // is not; from one server port to another, only a midstream TCP packet
  // (never a SYN-ACK: stealth scans send those) to the higher port is.
  // A SYN-ACK between client ports is not flipped here; the SYN that answers
  // it reverses the roles then (tcp_state.cc).
  bool initial_flip(const Session& s) const {
    const bool src_server = likely_server_port(flow_.sport, flow_.transport);
    const bool dst_server = likely_server_port(flow_.dport, flow_.transport);
    if (s.transport == Transport::kTcp) {
      const bool syn = flow_.tcp_flags & tcp_flag::kSyn, ack = flow_.tcp_flags & tcp_flag::kAck;
      if (syn && !ack) return false;
      if (!src_server) return false;
      return dst_server ? !syn && flow_.sport < flow_.dport : true;
    }
    if (s.transport == Transport::kUdp) return src_server && !dst_server;
    return false;
  }

  void set_endpoints(Session& s, bool src_is_a) {
    SessionRecord& r = s.record;
    const bool src_is_orig = s.orig_is_a == src_is_a;
    r.orig_h = src_is_orig ? flow_.src : flow_.dst;
    r.resp_h = src_is_orig ? flow_.dst : flow_.src;
    r.orig_p = src_is_orig ? flow_.sport : flow_.dport;
    r.resp_p = src_is_orig ? flow_.dport : flow_.sport;
  }

  void update(Session& s, const DecodedPacket& pkt, bool from_orig) {
    SessionRecord& r = s.record;
    const Packet& p = *pkt.packet;
    (from_orig ? r.orig_pkts : r.resp_pkts) += 1;
    (from_orig ? r.orig_ip_bytes : r.resp_ip_bytes) += flow_.ip_bytes;
    switch (s.transport) {
      case Transport::kTcp: {
        const TcpSegment seg = tcp_segment();
        const TcpConnection::Outcome out = s.tcp.packet(seg, from_orig, s.history);
        if (out.update_last_time) r.last_ns = p.ts_ns;
        if (out.flip) flip(s);
        const bool orig_side = out.flip ? !from_orig : from_orig;
        if (opt_.reassemble) reassemble(s, pkt, seg, orig_side);
        break;
      }
      case Transport::kUdp:
        r.last_ns = p.ts_ns;
        (from_orig ? s.orig_payload : s.resp_payload) += flow_.payload_len;
        s.history.check(hist::kData, 'D', from_orig);
        if (flow_.checksum_bad) s.history.scaled('C', from_orig, from_orig ? s.tcp.orig.chk : s.tcp.resp.chk);
        if (obs_) obs_->on_datagram(r, from_orig, flow_.payload, p);
        break;
      default:
        r.last_ns = p.ts_ns;
        (from_orig ? s.orig_payload : s.resp_payload) += flow_.payload_len;
        break;
    }
  }

  void flip(Session& s) {
    SessionRecord& r = s.record;
    s.orig_is_a = !s.orig_is_a;
    std::swap(r.orig_h, r.resp_h);
    std::swap(r.orig_p, r.resp_p);
    std::swap(r.orig_pkts, r.resp_pkts);
    std::swap(r.orig_ip_bytes, r.resp_ip_bytes);
    std::swap(s.orig_payload, s.resp_payload);
    s.tcp.flip_roles();
    if (s.streams) std::swap(s.streams->dir[0], s.streams->dir[1]);
    s.history.flip();
    r.flags |= session_flag::kFlipped;
  }

  void reassemble(Session& s, const DecodedPacket& pkt, const TcpSegment& seg, bool orig_side) {
    if (!s.streams) {
      if (seg.len == 0) return;  // no payload yet: nothing to reassemble
      s.streams = std::make_unique<TcpStreams>(stream_config_);
      for (int d = 0; d < 2; ++d) {
        StreamReceiver* rx = obs_ ? obs_->stream_receiver(s.record, d == 0) : nullptr;
        TcpStream& st = s.streams->dir[d];
        st.attach(rx, &budget_);
        // Streams start with the first payload (SYN-only flows never pay for
        // them); a side whose SYN was seen is told its ISN first, so data
        // that arrives out of order is still placed right.
        const TcpEndpoint& ep = d == 0 ? s.tcp.orig : s.tcp.resp;
        if (ep.syn_seen) st.add(ep.start_seq, TcpStream::kSyn, {}, s.record.first_frame);
      }
    }
    TcpStream& st = s.streams->dir[orig_side ? 0 : 1];
    TcpStream& peer = s.streams->dir[orig_side ? 1 : 0];
    const std::uint64_t st_before = st.missed_bytes(), peer_before = peer.missed_bytes();
    const SegmentResult res = st.add(seg.seq, seg.flags, flow_.payload, pkt.packet->frame);
    if ((seg.flags & tcp_flag::kAck) && !(seg.flags & tcp_flag::kRst)) peer.on_peer_ack(seg.ack);
    if (res.overlap_differs) {
      s.record.flags |= session_flag::kOverlapDiffers;
      anomaly(*pkt.packet, s.record.uid_view(), "tcp_overlap_differs");
    }
    // A gap belongs to the side whose bytes are missing.
    gap(s, orig_side, st.missed_bytes() - st_before);
    gap(s, !orig_side, peer.missed_bytes() - peer_before);
    // A gap a cap forced is not capture loss: the record says so.
    if (st.counters().forced_gaps + peer.counters().forced_gaps > 0) s.record.flags |= session_flag::kReassemblyLimit;
  }

  // The reassembly budget is over its cap: sessions idle longest give their
  // buffers back (they end early, flagged) until it fits. The session of the
  // packet being processed is the most recently active, so it goes last.
  void enforce_reassembly_budget(std::uint32_t current) {
    while (budget_.over_limit()) {
      const std::uint32_t victim = oldest_idle();
      if (victim == kNoSession || victim == current) break;
      ++stats_.evicted;
      sessions_[victim].record.flags |= session_flag::kReassemblyLimit;
      end_session(victim, session_flag::kEvicted);
    }
  }

  void gap(Session& s, bool orig_side, std::uint64_t bytes) {
    if (bytes == 0) return;
    if (!s.tcp.gaps_reportable()) return;
    s.record.missed_bytes += bytes;
    s.history.scaled('G', orig_side, orig_side ? s.tcp.orig.gap : s.tcp.resp.gap);
  }

  void end_session(std::uint32_t i, std::uint16_t why) {
    Session& s = sessions_[i];
    SessionRecord& r = s.record;
    r.flags |= why;
    // Zeek's 'x': analysis of this session was cut short by a limit (not for
    // a session already closed, which lost nothing).
    if (!s.closed && (r.flags & (session_flag::kEvicted | session_flag::kReassemblyLimit))) s.history.add('x');
    if (obs_) obs_->on_session_ending(r);
    if (s.streams) {
      TcpStream* dirs[2] = {&s.streams->dir[0], &s.streams->dir[1]};
      const std::uint64_t before = dirs[0]->missed_bytes() + dirs[1]->missed_bytes();
      dirs[0]->flush();
      dirs[1]->flush();
      const std::uint64_t after = dirs[0]->missed_bytes() + dirs[1]->missed_bytes();
      if (s.tcp.gaps_reportable()) r.missed_bytes += after - before;
    }
    finalize(s);
    if (obs_) obs_->on_session_end(r);
    unlink(i);
    index_.erase(s.hash, i);
    sessions_.release(i);
    --live_;
  }

  void finalize(Session& s) {
    SessionRecord& r = s.record;
    s.history.copy_to(r.history);
    switch (s.transport) {
      case Transport::kTcp:
        r.orig_bytes = s.tcp.orig.size(s.tcp.resp);
        r.resp_bytes = s.tcp.resp.size(s.tcp.orig);
        r.conn_state = s.tcp.conn_state(s.history.view());
        break;
      case Transport::kUdp:
        r.orig_bytes = s.orig_payload;
        r.resp_bytes = s.resp_payload;
        r.conn_state = r.orig_pkts > 0 ? (r.resp_pkts > 0 ? ConnState::kSF : ConnState::kS0)
                                       : (r.resp_pkts > 0 ? ConnState::kSHR : ConnState::kOTH);
        break;
      default:
        r.orig_bytes = s.orig_payload;
        r.resp_bytes = s.resp_payload;
        r.conn_state = ConnState::kOTH;
        break;
    }
  }

  // Inactivity: each protocol class has one timeout, so each class's list,
  // kept in order of last activity, expires from its head.
  void expire(std::int64_t now) {
    fragments_.expire(now);
    if (static_cast<i128>(now) <= next_expiry_) return;  // no head can be due yet
    // The lists' due heads end in end order (ends_before), merged across the
    // lists: what ends at one packet comes out in an order that does not
    // depend on which other sessions share the table, so sharded tables merge
    // into this same order.
    while (true) {
      std::uint32_t best = kNoSession;
      for (const Lru& l : lru_) {
        if (l.head == kNoSession || static_cast<i128>(now) <= due(sessions_[l.head])) continue;
        if (best == kNoSession || ends_before(sessions_[l.head], sessions_[best])) best = l.head;
      }
      if (best == kNoSession) break;
      end_idle(best);
    }
    next_expiry_ = kNotDue;
    for (const Lru& l : lru_)
      if (l.head != kNoSession) next_expiry_ = std::min(next_expiry_, due(sessions_[l.head]));
  }

  // SessionRecord's end order: the order the lists hold their sessions in
  // (link() walks by idle clock, ties stay in the order they were touched,
  // which is frame order, outer levels first).
  static bool ends_before(const Session& a, const Session& b) { return a.record.end_order() < b.record.end_order(); }

  // The capture time after which S times out. 128-bit: hostile timestamps sit at both ends of int64.
  i128 due(const Session& s) const { return static_cast<i128>(s.last_seen) + timeout_for(s); }
  bool overdue(const Session& s) const { return clock_ != kNeverSeen && static_cast<i128>(clock_) > due(s); }

  // Ends a session idle past its timeout: a closed one normally, any other as timed out.
  void end_idle(std::uint32_t i) {
    if (sessions_[i].closed) {
      end_session(i, 0);  // closed and quiet: its normal end
      return;
    }
    ++stats_.timed_out;
    end_session(i, session_flag::kTimedOut);
  }

  std::uint32_t oldest_idle() const {
    std::uint32_t best = kNoSession;
    for (const auto& l : lru_) {
      if (l.head == kNoSession) continue;
      if (best == kNoSession || ends_before(sessions_[l.head], sessions_[best])) best = l.head;
    }
    return best;
  }

  // Each list is kept in end order (idle clock first), not of activity:
  // a class has one timeout, so the sweep then ends exactly the sessions idle
  // past it and stops at the first that is not (with timestamps out of order,
  // an activity-ordered list would hide an overdue session behind a younger
  // one, and whether it timed out would depend on its neighbours, which
  // sharded tables do not share). In capture order a session goes to the
  // tail; one whose end order is behind walks back, at most kMaxWalk places
  // (a hostile capture cannot make linking cost more than that). The whole
  // end order, not the clock alone, decides: a session that closes moves to
  // the closed list at a later frame than its idle frame, and among equal
  // clocks it belongs before the ones idle since later frames (the sessions
  // fuzzer's finding: two sessions closing within one timestamp).
  static constexpr int kMaxWalk = 64;
  void link(std::uint32_t i) {
    Session& s = sessions_[i];
    next_expiry_ = std::min(next_expiry_, due(s));
    Lru& l = lru_[lru_class(s)];
    std::uint32_t after = l.tail;
    if (s.last_seen != kNeverSeen) {
      for (int walked = 0; after != kNoSession && ends_before(s, sessions_[after]) && walked < kMaxWalk; ++walked)
        after = sessions_[after].prev;
    }
    s.prev = after;
    s.next = after == kNoSession ? l.head : sessions_[after].next;
    if (after == kNoSession) l.head = i;
    else sessions_[after].next = i;
    if (s.next == kNoSession) l.tail = i;
    else sessions_[s.next].prev = i;
  }
  void unlink(std::uint32_t i) {
    Session& s = sessions_[i];
    Lru& l = lru_[lru_class(s)];
    if (s.prev != kNoSession) sessions_[s.prev].next = s.next;
    else l.head = s.next;
    if (s.next != kNoSession) sessions_[s.next].prev = s.prev;
    else l.tail = s.prev;
    s.prev = s.next = kNoSession;
  }
  void touch(std::uint32_t i, std::int64_t now, std::uint64_t frame) {
    Session& s = sessions_[i];
    // Capture time can step backwards (merged or unsorted inputs): activity
    // never moves a session's idle clock back, nor its place in its list.
    if (!(now > s.last_seen || s.last_seen == kNeverSeen)) return;
    s.last_seen = now;
    s.record.idle_ns = now;
    s.record.idle_frame = frame;
    s.record.level = level_;
    const bool in_place = lru_[lru_class(s)].tail == i && (s.prev == kNoSession || !ends_before(s, sessions_[s.prev]));
    if (!in_place) {
      unlink(i);
      link(i);
    }
  }

  void anomaly(const Packet& p, std::string_view uid, std::string_view name) {
    ++stats_.anomalies;
    if (obs_) obs_->on_anomaly(p, uid, name);
  }

  struct Lru {
    std::uint32_t head = kNoSession, tail = kNoSession;
  };

  SessionOptions opt_;
  SessionObserver* obs_;
  ReassemblyBudget budget_;
  ReassemblyConfig stream_config_;  // per-direction cap (reassembly_per_stream) and retransmission history
  FragmentReassembler fragments_;
  FlowIndex index_;
  Slab<Session> sessions_;
  Lru lru_[4];
  std::size_t live_ = 0;
  SessionStats stats_;
  const std::uint64_t seed_ = hash_seed();
  PacketFlow flow_;
  PacketFlow inner_flow_;  // the innermost level's, while process_outer_levels() decides where it goes
  FlowKey key_;
  std::uint32_t current_ = kNoSession;  // session of the last process_level()
  std::uint8_t level_ = 0;                // IP level process_level() works on (0: outermost)
  std::int64_t clock_ = kNeverSeen;       // time of the last packet whose timestamp the reader trusted
  // A lower bound of the earliest due() of any live session, so that expire()
  // costs one comparison per packet instead of a look at every list: link()
  // lowers it, and a session's due time only moves later otherwise (its idle
  // clock never moves back). Recomputed from the list heads after each sweep.
  i128 next_expiry_ = kNotDue;
  Packet whole_;  // a rebuilt datagram (its bytes are the reassembler's), decoded into redecoded_
  DecodedPacket redecoded_;
};

SessionTable::SessionTable(SessionOptions options, SessionObserver* observer)
    : impl_(new SessionTableImpl(options, observer)) {}
SessionTable::~SessionTable() { delete impl_; }
const SessionRecord* SessionTable::process(const DecodedPacket& pkt) { return impl_->process(pkt); }
void SessionTable::finish() { impl_->finish(); }
const SessionStats& SessionTable::stats() const { return impl_->stats(); }
std::size_t SessionTable::live() const { return impl_->live(); }
void SessionTable::advance_clock(const Packet& pkt) { impl_->advance_clock(pkt); }
SessionTable::Defrag SessionTable::defragment(const DecodedPacket& pkt, const DecodedPacket*& out) {
  return impl_->defragment(pkt, out);
}
const SessionRecord* SessionTable::process_defragmented(const DecodedPacket& pkt, bool first_fragment_only) {
  return impl_->process_defragmented(pkt, first_fragment_only);
}
SessionTable::InnerLevel SessionTable::process_outer_levels(const DecodedPacket& pkt, bool first_fragment_only) {
  return impl_->process_outer_levels(pkt, first_fragment_only);
}
const SessionRecord* SessionTable::process_innermost(const DecodedPacket& pkt, bool first_fragment_only,
                                                     const std::array<char, 20>& parent) {
  return impl_->process_innermost(pkt, first_fragment_only, parent);
}

}  // namespace pcapscope
