#include "proto/dns/dns_analyzer.h"

#include <algorithm>

namespace pcapscope::proto::dns {
namespace {

constexpr std::uint16_t kTypeA = 1, kTypeAaaa = 28, kTypeMx = 15, kTypeSrv = 33, kTypeSoa = 6, kTypeOpt = 41;

// The reused message: parsing allocates only until its slots have grown.
DnsMessage& scratch() {
  thread_local DnsMessage m;
  return m;
}

// Zeek's answers entry for one record: the address or name the reply is
// about (MX exchange, SRV target, SOA mname), TXT as rendered, and
// "<unknown type=N>" for what it does not decode.
std::string zeek_answer(const DnsRecord& rr) {
  if (!rr.rendered) return "<unknown type=" + std::to_string(rr.type) + ">";
  const std::string& s = rr.rdata;
  switch (rr.type) {
    case kTypeMx: {
      const auto sp = s.find(' ');
      return sp == std::string::npos ? s : s.substr(sp + 1);
    }
    case kTypeSrv: {
      const auto sp = s.rfind(' ');
      return sp == std::string::npos ? s : s.substr(sp + 1);
    }
    case kTypeSoa: return s.substr(0, s.find(' '));
    default: return s;
  }
}

}  // namespace

void DnsAnalyzer::on_message(std::span<const std::uint8_t> msg) {
  DnsMessage& m = scratch();
  const ParseStatus st = parse_message(msg, m);
  for (std::string_view p : m.problems) ctx_.problem(live_->uid_view(), p);
  // A message cut short still has its header and what came before the cut;
  // without a header there is nothing to pair.
  if (!st && msg.size() < 12) return;
  if (st && m.problems.empty()) ++messages_ok_;
  frame_fields(m, msg);
  if (m.flags.qr) {
    response(m);
  } else {
    query(m);
  }
}

void DnsAnalyzer::on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) {
  framer_[side & 1].on_data(offset, data, [this](std::span<const std::uint8_t> msg) { on_message(msg); });
}

void DnsAnalyzer::on_gap(int side, std::uint64_t offset, std::uint64_t len) { framer_[side & 1].on_gap(offset, len); }

void DnsAnalyzer::finish(const SessionRecord& live) {
  live_ = &live;
  while (!pending_.empty()) {
    emit(pending_.front());
    pending_.pop_front();
  }
}

void DnsAnalyzer::query(const DnsMessage& m) {
  if (pending_.size() >= max_pending_) {
    emit(pending_.front());  // never answered within the window: logged without a response
    pending_.pop_front();
  }
  DnsLogRecord& r = pending_.emplace_back();
  start(r, m);
  r.Z = static_cast<std::uint8_t>((m.flags.z << 2) | (m.flags.ad << 1) | m.flags.cd);
}

void DnsAnalyzer::response(const DnsMessage& m) {
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const DnsLogRecord& r) { return r.trans_id == m.id; });
  if (it != pending_.end()) {
    DnsLogRecord r = std::move(*it);
    pending_.erase(it);
    r.has_rtt = true;
    r.rtt_ns = ctx_.now_ns - r.ts_ns;
    fill_response(r, m);
    emit(r);
    return;
  }
  // No query seen (capture started late, or spoofed): the response alone.
  DnsLogRecord r;
  start(r, m);
  fill_response(r, m);
  emit(r);
}

// What a record takes from the message that starts it (the query, or an unsolicited response).
void DnsAnalyzer::start(DnsLogRecord& r, const DnsMessage& m) {
  static_cast<RecordHeader&>(r) = make_header(*live_, ctx_.now_ns, ctx_.now_frame);
  r.trans_id = m.id;
  if (!m.questions().empty()) {
    const DnsQuestion& q = m.questions()[0];
    r.has_query = true;
    r.query = q.name;
    r.qclass = q.qclass;
    r.qtype = q.qtype;
  }
  r.RD = m.flags.rd;
}

void DnsAnalyzer::fill_response(DnsLogRecord& r, const DnsMessage& m) {
  r.has_rcode = true;
  r.rcode = m.flags.rcode;
  r.AA = m.flags.aa;
  r.TC = m.flags.tc;
  r.RA = m.flags.ra;
  r.Z = static_cast<std::uint8_t>((m.flags.z << 2) | (m.flags.ad << 1) | m.flags.cd);
  r.response_frame = ctx_.now_frame;
  for (const DnsRecord& rr : m.answers()) {
    r.answers.push_back(zeek_answer(rr));
    r.TTLs.push_back(rr.ttl);
  }
  // Zeek's dns_rejected: a response that carries no record at all.
  r.rejected = m.ancount == 0 && m.nscount == 0 && m.arcount == 0;
}

void DnsAnalyzer::frame_fields(const DnsMessage& m, std::span<const std::uint8_t> msg) {
  if (!ctx_.frame_fields) return;
  ctx_.field(AppField::kDnsId, FieldValue::of_uint(m.id));
  ctx_.field(AppField::kDnsResponse, FieldValue::of_bool(m.flags.qr));
  if (m.flags.qr) ctx_.field(AppField::kDnsRcode, FieldValue::of_uint(m.flags.rcode & 0xf));
  for (const DnsQuestion& q : m.questions()) {
    // tshark names the root "<Root>".
    ctx_.field(AppField::kDnsQryName, FieldValue::of_string(q.name.empty() ? std::string_view("<Root>") : q.name));
    ctx_.field(AppField::kDnsQryType, FieldValue::of_uint(q.qtype));
  }
  auto each_rr = [&](std::span<const DnsRecord> rrs) {
    for (const DnsRecord& rr : rrs) {
      if (rr.type == kTypeOpt) continue;  // the OPT pseudo-record has no TTL
      ctx_.field(AppField::kDnsRespTtl, FieldValue::of_uint(rr.ttl));
    }
  };
  // Addresses straight from the rdata bytes (tshark shows A/AAAA of every section's
  // records; the answers are what matters and what we show).
  for (const DnsRecord& rr : m.answers()) {
    const bool fits = std::size_t{rr.rdata_offset} + rr.rdlength <= msg.size();
    if (rr.type == kTypeA && rr.rdlength == 4 && fits) {
      ctx_.field(AppField::kDnsA, FieldValue::of_ipv4(msg.data() + rr.rdata_offset));
    } else if (rr.type == kTypeAaaa && rr.rdlength == 16 && fits) {
      ctx_.field(AppField::kDnsAaaa, FieldValue::of_ipv6(msg.data() + rr.rdata_offset));
    }
  }
  each_rr(m.answers());
  each_rr(m.authority());
  each_rr(m.additional());
}

void DnsAnalyzer::emit(DnsLogRecord& r) {
  ++ctx_.stats.dns;
  if (ctx_.out) ctx_.out->on_dns(r);
}

}  // namespace pcapscope::proto::dns
