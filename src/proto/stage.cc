// The protocol stage: per session, which application it speaks and which
// analyzer gets its bytes.
//
// TCP: each direction's first bytes (up to kHeadBytes, held back however the
// segments cut them) are classified by content (service.h). The first
// direction to be recognised picks the session's analyzer; the other
// direction feeds it too, the held bytes first, unless its own first bytes
// say another protocol (an HTTP probe answered by an SSH banner): that side
// gets a second analyzer and the session both services. A direction
// recognised as nothing keeps its head in case the other side names the
// protocol later (a server that speaks first with something unrecognised
// loses nothing but what came after its head, reported to the parser as a
// gap).
// Protocols that turn into TLS midway are followed: STARTTLS (SMTP, IMAP,
// LDAP, PostgreSQL ...: a session of unrecognised text whose next segment
// starts with a ClientHello) and HTTP tunnels (CONNECT answered 2xx, or 101
// Switching Protocols): TLS is then looked for at the start of each side's
// next segment, and fed to a TLS analyzer from there.
// UDP: the first datagram with payload decides: a DNS port, or a payload
// that is a DNS message by content (looks_like_dns), makes it DNS; a QUIC
// Initial (any port) makes it QUIC, whose Initial packets hold a TLS
// handshake anyone can decrypt (RFC 9001 §5.2): an ssl record follows.
//
// Sessions without payload cost nothing here: state is made when the first
// stream or datagram arrives and dropped when the session ends.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pcapscope/proto.h"
#include "proto/analyzer.h"
#include "proto/dns/dns_analyzer.h"
#include "proto/http/http_analyzer.h"
#include "proto/quic/quic_initial.h"
#include "proto/service.h"
#include "proto/ssh/ssh_analyzer.h"
#include "proto/tls/tls_analyzer.h"

namespace pcapscope {

namespace proto {
RecordHeader make_header(const SessionRecord& live, std::int64_t ts_ns, std::uint64_t frame) {
  RecordHeader h;
  h.ts_ns = ts_ns;
  h.uid = live.uid;
  h.id = ConnTuple{live.orig_h, live.resp_h, live.orig_p, live.resp_p, live.proto};
  h.frame = frame;
  return h;
}
}  // namespace proto

using namespace proto;

namespace {

struct SessionState;

class DirReceiver final : public session::StreamReceiver {
 public:
  void on_data(std::uint64_t offset, Bytes data, std::uint64_t frame) override;
  void on_gap(std::uint64_t offset, std::uint64_t len) override;
  SessionState* state = nullptr;
  int side = 0;
};

enum class DirMode : std::uint8_t {
  kClassifying,  // holding the first bytes until they say what they are
  kFeeding,      // bytes go to `sink`
  kUnknown,      // none of ours (so far)
  kAwaitTls,     // the protocol switched: TLS expected at the start of a segment
};

struct Direction {
  std::array<std::uint8_t, kHeadBytes> head{};
  std::uint8_t head_len = 0;
  bool started = false;
  bool gap_first = false;          // the direction's first event was a gap: its start is not in the capture
  DirMode mode = DirMode::kClassifying;
  HeadVerdict verdict = HeadVerdict::kNeedMore;
  std::uint64_t head_offset = 0;
  std::uint64_t next_offset = 0;   // where the bytes seen so far end
  StreamAnalyzer* sink = nullptr;  // kFeeding: the analyzer this side's bytes go to
  std::uint64_t rebase = 0;        // stream offset the sink sees as 0 (TLS after STARTTLS starts mid-stream)
  std::span<const std::uint8_t> head_bytes() const { return {head.data(), head_len}; }
};

}  // namespace

class ProtocolStageImpl {
 public:
  ProtocolStageImpl(ProtocolOptions o, ProtocolObserver* out, SessionObserver* next) : opt_(o), next_(next) {
    ctx_.out = out;
    ctx_.frame_fields = o.frame_fields;
  }

  SessionState& state(const SessionRecord& rec);
  void data(SessionState& st, int side, std::uint64_t offset, Bytes data);
  void gap(SessionState& st, int side, std::uint64_t offset, std::uint64_t len);
  void datagram(const SessionRecord& rec, bool from_orig, Bytes payload);
  void end(const SessionRecord& rec);

  ProtocolOptions opt_;
  SessionObserver* next_;
  StageContext ctx_;
  std::unordered_map<std::uint64_t, std::unique_ptr<SessionState>> sessions_;  // by SessionRecord::index

 private:
  void decide(SessionState& st, int side, bool final);
  StreamAnalyzer* start_analyzer(SessionState& st, int side, Service s, HeadVerdict v);
  void feed_held(SessionState& st, int side);
  void feed(SessionState& st, int side, std::uint64_t offset, Bytes bytes);
  bool try_switch(SessionState& st, int side, std::uint64_t offset, Bytes bytes, bool need_client_hello);
  std::string_view service_list(const SessionState& st) const;
  bool mismatch(const SessionState& st, const SessionRecord& rec) const;
};

namespace {

struct SessionState {
  ProtocolStageImpl* stage = nullptr;
  const SessionRecord* live = nullptr;
  std::vector<Service> services;  // identification order
  std::unique_ptr<StreamAnalyzer> analyzer;   // the first protocol identified
  std::unique_ptr<StreamAnalyzer> secondary;  // one more: the other side's own protocol, or TLS after a switch
  Service primary_service = Service::kNone;
  dns::DnsAnalyzer* dns = nullptr;    // the analyzer, when one is DNS
  http::HttpAnalyzer* http = nullptr;  // the analyzer, when one is HTTP (watched for a protocol switch)
  tls::TlsAnalyzer* tls = nullptr;
  Direction dir[2];
  DirReceiver rx[2];
  bool udp_decided = false;
  bool unknown_payload = false;   // a stream start (or first datagram) that is none of ours
  bool starttls = false;          // TLS began mid-stream after unrecognised text
  bool quic_client_is_orig = true;  // QUIC: the side that sent the first Initial
};

void DirReceiver::on_data(std::uint64_t offset, Bytes data, std::uint64_t) { state->stage->data(*state, side, offset, data); }
void DirReceiver::on_gap(std::uint64_t offset, std::uint64_t len) { state->stage->gap(*state, side, offset, len); }

}  // namespace

SessionState& ProtocolStageImpl::state(const SessionRecord& rec) {
  auto& slot = sessions_[rec.index];
  if (!slot) {
    slot = std::make_unique<SessionState>();
    slot->stage = this;
    slot->live = &rec;
    for (int d = 0; d < 2; ++d) {
      slot->rx[d].state = slot.get();
      slot->rx[d].side = d;
    }
  }
  return *slot;
}

void ProtocolStageImpl::data(SessionState& st, int side, std::uint64_t offset, Bytes bytes) {
  Direction& d = st.dir[side];
  if (!d.started) {
    d.started = true;
    d.head_offset = offset;
  }
  switch (d.mode) {
    case DirMode::kFeeding:
      d.next_offset = offset + bytes.size();
      feed(st, side, offset, bytes);
      return;
    case DirMode::kUnknown:
      // STARTTLS: a session nothing recognised whose next segment is a ClientHello.
      if (!st.analyzer && try_switch(st, side, offset, bytes, /*need_client_hello=*/true)) return;
      d.next_offset = offset + bytes.size();  // the held head is kept; the rest is a gap if an analyzer comes
      return;
    case DirMode::kAwaitTls:
      d.next_offset = offset + bytes.size();
      try_switch(st, side, offset, bytes, /*need_client_hello=*/false);
      return;
    case DirMode::kClassifying: break;
  }
  const std::size_t take = std::min<std::size_t>(kHeadBytes - d.head_len, bytes.size());
  std::copy_n(bytes.data(), take, d.head.data() + d.head_len);
  d.head_len = static_cast<std::uint8_t>(d.head_len + take);
  d.next_offset = offset + take;
  decide(st, side, false);
  if (take < bytes.size()) {
    if (d.mode == DirMode::kFeeding) feed(st, side, offset + take, bytes.subspan(take));
    d.next_offset = offset + bytes.size();
  }
}

void ProtocolStageImpl::feed(SessionState& st, int side, std::uint64_t offset, Bytes bytes) {
  Direction& d = st.dir[side];
  d.sink->on_data(side, offset - d.rebase, bytes);
  // HTTP that switched protocols (CONNECT tunnel, 101): stop feeding it, look for what comes next.
  if (st.http && d.sink == st.http && st.http->switched() != http::HttpConversation::Switch::kNone) {
    for (Direction& x : st.dir) {
      if (x.sink == st.http || x.mode == DirMode::kClassifying) x.mode = DirMode::kAwaitTls;
    }
  }
}

// After a switch (STARTTLS, a CONNECT tunnel, an upgrade) the next protocol
// starts at a segment boundary: this segment is classified on its own and,
// when it is TLS (a ClientHello when NEED_CLIENT_HELLO) or HTTP, fed to that
// analyzer from here; the other side then waits for its own first message.
bool ProtocolStageImpl::try_switch(SessionState& st, int side, std::uint64_t offset, Bytes bytes,
                                       bool need_client_hello) {
  const Bytes head = bytes.first(std::min(bytes.size(), kHeadBytes));
  const HeadVerdict v = classify_head(head, true, false);
  const Service s = service_of(v);
  if (s != Service::kSsl && (need_client_hello || s != Service::kHttp)) return false;
  if (need_client_hello && (head.size() < 6 || head[0] != 22 || head[5] != 1)) return false;
  StreamAnalyzer* sink = nullptr;
  if (s == Service::kSsl) {
    sink = st.tls ? st.tls : start_analyzer(st, side, Service::kSsl, v);
  } else if (st.secondary && st.services.back() == Service::kHttp) {
    sink = st.secondary.get();  // the tunnel's HTTP, started by the other side
  } else {
    sink = start_analyzer(st, side, Service::kHttp, v);  // HTTP inside the tunnel
  }
  if (!sink) return false;
  if (need_client_hello) st.starttls = true;
  Direction& d = st.dir[side];
  d.mode = DirMode::kFeeding;
  d.sink = sink;
  d.rebase = offset;
  d.head_len = 0;
  Direction& o = st.dir[1 - side];
  if (o.mode != DirMode::kFeeding || o.sink != sink) {
    o.mode = DirMode::kAwaitTls;
    o.head_len = 0;
  }
  d.next_offset = offset + bytes.size();
  feed(st, side, offset, bytes);
  return true;
}

void ProtocolStageImpl::gap(SessionState& st, int side, std::uint64_t offset, std::uint64_t len) {
  Direction& d = st.dir[side];
  if (!d.started) {
    d.started = true;
    d.gap_first = true;
    d.head_offset = offset + len;
  }
  d.next_offset = offset + len;
  if (d.mode == DirMode::kClassifying && d.head_len > 0) decide(st, side, true);
  if (d.mode == DirMode::kFeeding && offset >= d.rebase) d.sink->on_gap(side, offset - d.rebase, len);
}

void ProtocolStageImpl::decide(SessionState& st, int side, bool final) {
  Direction& d = st.dir[side];
  const bool dns_port = port_service(Transport::kTcp, st.live->resp_p) == Service::kDns ||
                        port_service(Transport::kTcp, st.live->orig_p) == Service::kDns;
  d.verdict = classify_head(d.head_bytes(), final, dns_port);
  if (d.verdict == HeadVerdict::kNeedMore) return;
  const Service s = service_of(d.verdict);
  if (st.analyzer) {
    // The session already speaks something: this side follows it, unless its
    // own first bytes name another protocol of ours.
    d.sink = st.analyzer.get();
    if (s != Service::kNone && s != st.primary_service && !st.secondary) {
      if (StreamAnalyzer* a = start_analyzer(st, side, s, d.verdict)) d.sink = a;
    }
    d.mode = DirMode::kFeeding;
    feed_held(st, side);
    return;
  }
  if (s == Service::kNone) {
    d.mode = DirMode::kUnknown;
    if (!d.gap_first) st.unknown_payload = true;
    return;
  }
  d.sink = start_analyzer(st, side, s, d.verdict);
  d.mode = DirMode::kFeeding;
  feed_held(st, side);
  for (int other = 0; other < 2; ++other) {
    Direction& o = st.dir[other];
    if (other == side || !o.started) continue;
    if (o.mode == DirMode::kUnknown) {
      o.sink = d.sink;
      o.mode = DirMode::kFeeding;
      feed_held(st, other);
    } else if (o.mode == DirMode::kClassifying && o.head_len > 0) {
      decide(st, other, false);
    }
  }
}

// The analyzer for S, as the session's first or second one (nullptr when both are taken).
StreamAnalyzer* ProtocolStageImpl::start_analyzer(SessionState& st, int side, Service s, HeadVerdict v) {
  if (st.analyzer && st.secondary) return nullptr;
  std::unique_ptr<StreamAnalyzer> a;
  switch (s) {
    case Service::kHttp: {
      auto h = std::make_unique<http::HttpAnalyzer>(ctx_, *st.live, v == HeadVerdict::kHttpResponse ? 1 - side : side);
      st.http = h.get();
      a = std::move(h);
      break;
    }
    case Service::kSsl: {
      auto t = std::make_unique<tls::TlsAnalyzer>(ctx_, *st.live);
      st.tls = t.get();
      a = std::move(t);
      break;
    }
    case Service::kSsh: a = std::make_unique<ssh::SshAnalyzer>(ctx_, *st.live); break;
    case Service::kQuic: {
      auto t = std::make_unique<tls::TlsAnalyzer>(ctx_, *st.live, /*quic=*/true);
      st.tls = t.get();
      a = std::move(t);
      break;
    }
    case Service::kDns: {
      auto n = std::make_unique<dns::DnsAnalyzer>(ctx_, *st.live, opt_.max_pending_dns);
      st.dns = n.get();
      a = std::move(n);
      break;
    }
    case Service::kNone: return nullptr;
  }
  st.services.push_back(s);
  if (st.services.size() == 1) ++ctx_.stats.sessions_identified;
  StreamAnalyzer* raw = a.get();
  if (!st.analyzer) {
    st.analyzer = std::move(a);
    st.primary_service = s;
  } else {
    st.secondary = std::move(a);
  }
  return raw;
}

// Hands a direction's held head to its sink, and reports what was seen but
// not held (a side that was unrecognised until its peer decided) as a gap.
void ProtocolStageImpl::feed_held(SessionState& st, int side) {
  Direction& d = st.dir[side];
  if (d.head_len > 0) d.sink->on_data(side, d.head_offset - d.rebase, d.head_bytes());
  const std::uint64_t held_end = d.head_offset + d.head_len;
  if (d.next_offset > held_end) d.sink->on_gap(side, held_end - d.rebase, d.next_offset - held_end);
  d.head_len = 0;
}

void ProtocolStageImpl::datagram(const SessionRecord& rec, bool from_orig, Bytes payload) {
  auto it = sessions_.find(rec.index);
  if (it == sessions_.end()) {
    if (payload.empty()) return;
    SessionState& st = state(rec);
    st.udp_decided = true;
    const bool dns_port = port_service(Transport::kUdp, rec.resp_p) == Service::kDns ||
                          port_service(Transport::kUdp, rec.orig_p) == Service::kDns;
    if (dns_port || looks_like_dns(payload)) {
      start_analyzer(st, 0, Service::kDns, HeadVerdict::kDnsTcp);
    } else if (quic::looks_like_quic_initial(payload)) {
      st.quic_client_is_orig = from_orig;
      start_analyzer(st, 0, Service::kQuic, HeadVerdict::kTls);
    } else {
      st.unknown_payload = true;
    }
    it = sessions_.find(rec.index);
  }
  SessionState& st = *it->second;
  st.live = &rec;
  if (payload.empty()) return;
  if (st.dns) {
    st.dns->on_message(payload);
  } else if (st.tls) {
    st.tls->on_quic_datagram(from_orig == st.quic_client_is_orig, payload);
  }
}

std::string_view ProtocolStageImpl::service_list(const SessionState& st) const {
  std::string list;
  for (Service s : st.services) {
    // DNS chosen by port alone but never parsed: not DNS after all.
    if (s == Service::kDns && st.dns && st.dns->messages_ok() == 0) continue;
    if (list.find(service_name(s)) != std::string::npos) continue;  // HTTP inside an HTTP tunnel: once
    if (!list.empty()) list += ',';
    list += service_name(s);
  }
  return list.empty() ? std::string_view{} : intern_service(list);
}

bool ProtocolStageImpl::mismatch(const SessionState& st, const SessionRecord& rec) const {
  // STARTTLS: the session's own protocol was never named, its port cannot be judged.
  if (st.starttls) return false;
  const Service expected = port_service(rec.proto, rec.resp_p);
  Service found = Service::kNone;
  for (Service s : st.services) {
    if (s == Service::kDns && st.dns && st.dns->messages_ok() == 0) continue;
    found = s;
    break;
  }
  if (found != Service::kNone) return found != expected;  // HTTP on 8081, SSH on 443
  if (expected == Service::kNone) return false;
  // Payload that is none of ours on a port that promises one of ours (not
  // TLS on 443) -- judged only when the stream's start was captured, so a
  // capture that begins mid-conversation does not count.
  if (rec.proto == Transport::kTcp) {
    const std::string_view h = rec.history_view();
    return st.unknown_payload && h.find('S') != std::string_view::npos;
  }
  return st.unknown_payload || (st.dns && st.dns->messages_ok() == 0);
}

void ProtocolStageImpl::end(const SessionRecord& rec) {
  auto it = sessions_.find(rec.index);
  if (it == sessions_.end()) {
    if (next_) next_->on_session_end(rec);
    return;
  }
  SessionState& st = *it->second;
  st.live = &rec;
  for (int side = 0; side < 2; ++side) {
    Direction& d = st.dir[side];
    if (d.mode == DirMode::kClassifying && d.head_len > 0) decide(st, side, true);
  }
  if (st.analyzer) st.analyzer->finish(rec);
  if (st.secondary) st.secondary->finish(rec);
  SessionRecord out = rec;
  out.service = service_list(st);
  if (mismatch(st, rec)) {
    out.flags |= session_flag::kServiceMismatch;
    ++ctx_.stats.service_mismatch;
  }
  sessions_.erase(it);
  if (next_) next_->on_session_end(out);
}

ProtocolStage::ProtocolStage(ProtocolOptions options, ProtocolObserver* records, SessionObserver* next)
    : impl_(new ProtocolStageImpl(options, records, next)) {}

ProtocolStage::~ProtocolStage() { delete impl_; }

void ProtocolStage::on_session_end(const SessionRecord& rec) { impl_->end(rec); }

void ProtocolStage::on_session_ending(const SessionRecord& rec) {
  // Records made from here on (flushed stream bytes, messages a close
  // completes) carry the session's own last packet, whichever packet ends
  // it: a timestamp that depends on other sessions' traffic would differ
  // with the table (or shard) the session shares.
  impl_->ctx_.now_ns = rec.idle_ns;
  impl_->ctx_.now_frame = rec.idle_frame;
  if (impl_->next_) impl_->next_->on_session_ending(rec);
}

void ProtocolStage::on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) {
  if (pkt.packet) {
    impl_->ctx_.now_ns = pkt.packet->ts_ns;
    impl_->ctx_.now_frame = pkt.packet->frame;
  }
  if (impl_->next_) impl_->next_->on_packet(rec, pkt, from_orig);
}

void ProtocolStage::on_datagram(const SessionRecord& rec, bool from_orig, Bytes payload, const Packet& pkt) {
  impl_->datagram(rec, from_orig, payload);
  if (impl_->next_) impl_->next_->on_datagram(rec, from_orig, payload, pkt);
}

session::StreamReceiver* ProtocolStage::stream_receiver(const SessionRecord& rec, bool orig) {
  SessionState& st = impl_->state(rec);
  st.live = &rec;
  return &st.rx[orig ? 0 : 1];
}

void ProtocolStage::on_anomaly(const Packet& pkt, std::string_view uid, std::string_view name) {
  if (impl_->next_) impl_->next_->on_anomaly(pkt, uid, name);
}

const ProtocolStats& ProtocolStage::stats() const { return impl_->ctx_.stats; }

}  // namespace pcapscope
