// DNS message parsing; see dns_message.h for the contract.
//
// Name text: labels joined by '.', case preserved. Bytes outside 0x20..0x7e,
// and '.' or '\' inside a label, are written as "\xNN" (lower-case hex), as
// Zeek escapes non-printable bytes, so label boundaries stay unambiguous. The
// root name is the empty string.
#include "proto/dns/dns_message.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "core/bytes.h"

namespace pcapscope::proto::dns {

namespace {

constexpr std::uint16_t kTypeA = 1, kTypeNs = 2, kTypeCname = 5, kTypeSoa = 6, kTypePtr = 12, kTypeMx = 15,
                        kTypeTxt = 16, kTypeAaaa = 28, kTypeSrv = 33, kTypeOpt = 41;

constexpr std::string_view kTruncated = "dns_truncated";
constexpr std::string_view kNameLoop = "dns_name_loop";
constexpr std::string_view kBadPointer = "dns_bad_pointer";
constexpr std::string_view kNameTooLong = "dns_name_too_long";
constexpr std::string_view kLabelTooLong = "dns_label_too_long";
constexpr std::string_view kBadRdlength = "dns_bad_rdlength";
constexpr std::string_view kTooManyRecords = "dns_too_many_records";
constexpr std::string_view kMultipleOpt = "dns_multiple_opt";
constexpr std::string_view kTrailingBytes = "dns_trailing_bytes";

constexpr char kHex[] = "0123456789abcdef";

void append_hex_escape(std::string& out, std::uint8_t b) {
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

void append_label(std::string& out, std::span<const std::uint8_t> label) {
  for (std::uint8_t b : label) {
    if (b < 0x20 || b > 0x7e || b == '.' || b == '\\') {
      append_hex_escape(out, b);
    } else {
      out += static_cast<char>(b);
    }
  }
}

void append_text(std::string& out, std::span<const std::uint8_t> s) {
  for (std::uint8_t b : s) {
    if (b < 0x20 || b > 0x7e || b == '\\') {
      append_hex_escape(out, b);
    } else {
      out += static_cast<char>(b);
    }
  }
}

template <typename T>
void append_uint(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

// The parsing state over one message; a friend of DnsMessage to fill its slots.
class MessageParser {
 public:
  MessageParser(std::span<const std::uint8_t> msg, DnsMessage& out) : msg_(msg), out_(out) {}

  ParseStatus run();

 private:
  // Reads the name at POS (advancing POS past its in-place bytes), appending its text to OUT.
  // Returns an empty view on success, else the problem name.
  std::string_view read_name(std::size_t& pos, std::string& out) const;
  std::string_view read_question();
  std::string_view read_record(int section);
  // Renders rdata of R at [begin, end); false when it does not fit.
  bool render_rdata(DnsRecord& r, std::size_t begin, std::size_t end);
  bool render_name(std::size_t& pos, std::size_t end, std::string& out);
  void note_opt(const DnsRecord& r);

  std::span<const std::uint8_t> msg_;
  DnsMessage& out_;
  std::size_t pos_ = 12;
  std::string_view rdata_name_problem_;
};

std::string_view MessageParser::read_name(std::size_t& pos, std::string& out) const {
  std::size_t p = pos;
  bool first = true;
  std::size_t floor = 0;  // the next pointer target must be below this (strictly backwards)
  bool jumped = false;
  unsigned jumps = 0;
  std::size_t wire_len = 1;  // the root label
  while (true) {
    if (p >= msg_.size()) return kTruncated;
    std::uint8_t len = msg_[p];
    if (len == 0) {
      if (!jumped) pos = p + 1;
      return {};
    }
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg_.size()) return kTruncated;
      std::size_t target = load_be16(msg_.data() + p) & 0x3fff;
      if (!jumped) {
        pos = p + 2;
        floor = p;
      }
      if (target >= msg_.size()) return kBadPointer;
      if (target >= floor) return (jumped || target == p) ? kNameLoop : kBadPointer;
      if (++jumps > kMaxPointerJumps) return kNameLoop;
      jumped = true;
      floor = target;
      p = target;
      continue;
    }
    if (len > kMaxLabelLength) return kLabelTooLong;  // 0x40/0x80: reserved label types
    wire_len += len + 1u;
    if (wire_len > kMaxNameWireLength) return kNameTooLong;
    if (p + 1 + len > msg_.size()) return kTruncated;
    if (!first) out += '.';
    first = false;
    append_label(out, msg_.subspan(p + 1, len));
    p += 1 + len;
  }
}

ParseStatus MessageParser::run() {
  if (msg_.size() < 12) {
    out_.add_problem(kTruncated);
    return {kTruncated};
  }
  const std::uint8_t* h = msg_.data();
  out_.id = load_be16(h);
  std::uint16_t f = load_be16(h + 2);
  out_.flags.qr = (f >> 15) & 1;
  out_.flags.opcode = static_cast<std::uint8_t>((f >> 11) & 0xf);
  out_.flags.aa = (f >> 10) & 1;
  out_.flags.tc = (f >> 9) & 1;
  out_.flags.rd = (f >> 8) & 1;
  out_.flags.ra = (f >> 7) & 1;
  out_.flags.z = (f >> 6) & 1;
  out_.flags.ad = (f >> 5) & 1;
  out_.flags.cd = (f >> 4) & 1;
  out_.flags.rcode = f & 0xf;
  out_.qdcount = load_be16(h + 4);
  out_.ancount = load_be16(h + 6);
  out_.nscount = load_be16(h + 8);
  out_.arcount = load_be16(h + 10);

  std::size_t qd = out_.qdcount;
  if (qd > kMaxRecordsPerSection) {
    out_.add_problem(kTooManyRecords);
    qd = kMaxRecordsPerSection;
  }
  for (std::size_t i = 0; i < qd; ++i) {
    if (auto e = read_question(); !e.empty()) {
      out_.add_problem(e);
      return {e};
    }
  }
  const std::uint16_t counts[3] = {out_.ancount, out_.nscount, out_.arcount};
  for (int s = 0; s < 3; ++s) {
    std::size_t n = counts[s];
    if (n > kMaxRecordsPerSection) {
      out_.add_problem(kTooManyRecords);
      n = kMaxRecordsPerSection;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (auto e = read_record(s); !e.empty()) {
        out_.add_problem(e);
        return {e};
      }
    }
  }
  if (pos_ < msg_.size()) out_.add_problem(kTrailingBytes);
  return {};
}

std::string_view MessageParser::read_question() {
  DnsQuestion& q = out_.next_question();
  // A question cut short is dropped, not shown half-read: its name alone
  // could be anything (a junk packet's first bytes).
  if (auto e = read_name(pos_, q.name); !e.empty()) {
    --out_.question_count_;
    return e;
  }
  if (msg_.size() - pos_ < 4) {
    --out_.question_count_;
    return kTruncated;
  }
  q.qtype = load_be16(msg_.data() + pos_);
  q.qclass = load_be16(msg_.data() + pos_ + 2);
  pos_ += 4;
  return {};
}

std::string_view MessageParser::read_record(int section) {
  DnsRecord& r = out_.next_record();
  // The slot counts as part of SECTION even when it fails half-way, so the
  // caller sees the name of a record whose body was cut off.
  out_.section_end_[section] = out_.record_count_;
  for (int s = section + 1; s < 3; ++s) out_.section_end_[s] = out_.record_count_;
  if (auto e = read_name(pos_, r.name); !e.empty()) return e;
  if (msg_.size() - pos_ < 10) return kTruncated;
  const std::uint8_t* p = msg_.data() + pos_;
  r.type = load_be16(p);
  r.rclass = load_be16(p + 2);
  r.ttl = load_be32(p + 4);
  r.rdlength = load_be16(p + 8);
  pos_ += 10;
  r.rdata_offset = static_cast<std::uint32_t>(pos_);
  if (msg_.size() - pos_ < r.rdlength) return kTruncated;
  std::size_t end = pos_ + r.rdlength;
  rdata_name_problem_ = {};
  if (!render_rdata(r, pos_, end)) {
    r.rdata.clear();
    r.rendered = false;
    out_.add_problem(rdata_name_problem_.empty() ? kBadRdlength : rdata_name_problem_);
  }
  if (section == 2 && r.type == kTypeOpt) note_opt(r);
  pos_ = end;
  return {};
}

bool MessageParser::render_name(std::size_t& pos, std::size_t end, std::string& out) {
  std::size_t p = pos;
  if (auto e = read_name(p, out); !e.empty()) {
    rdata_name_problem_ = e;
    return false;
  }
  if (p > end) return false;
  pos = p;
  return true;
}

bool MessageParser::render_rdata(DnsRecord& r, std::size_t begin, std::size_t end) {
  r.rdata.clear();
  r.rendered = false;
  const std::uint8_t* d = msg_.data() + begin;
  std::size_t n = end - begin;
  std::string& t = r.rdata;
  switch (r.type) {
    case kTypeA: {
      if (n != 4) return false;
      for (int i = 0; i < 4; ++i) {
        if (i) t += '.';
        append_uint(t, static_cast<unsigned>(d[i]));
      }
      break;
    }
    case kTypeAaaa: {
      if (n != 16) return false;
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, d, buf, sizeof buf) == nullptr) return false;
      t += buf;
      break;
    }
    case kTypeCname:
    case kTypeNs:
    case kTypePtr: {
      std::size_t p = begin;
      if (!render_name(p, end, t) || p != end) return false;
      break;
    }
    case kTypeMx: {
      if (n < 3) return false;
      append_uint(t, load_be16(d));
      t += ' ';
      std::size_t p = begin + 2;
      if (!render_name(p, end, t) || p != end) return false;
      break;
    }
    case kTypeSrv: {
      if (n < 7) return false;
      append_uint(t, load_be16(d));
      t += ' ';
      append_uint(t, load_be16(d + 2));
      t += ' ';
      append_uint(t, load_be16(d + 4));
      t += ' ';
      std::size_t p = begin + 6;
      if (!render_name(p, end, t) || p != end) return false;
      break;
    }
    case kTypeSoa: {
      std::size_t p = begin;
      if (!render_name(p, end, t)) return false;
      t += ' ';
      if (!render_name(p, end, t)) return false;
      if (end - p != 20) return false;
      for (int i = 0; i < 5; ++i) {
        t += ' ';
        append_uint(t, load_be32(msg_.data() + p + 4 * i));
      }
      break;
    }
    case kTypeTxt: {
      // Zeek's dns.log form: "TXT <len> <string>" per character-string, space separated.
      std::size_t p = begin;
      while (p < end) {
        std::size_t len = msg_[p];
        if (end - p - 1 < len) return false;
        if (p != begin) t += ' ';
        t += "TXT ";
        append_uint(t, len);
        t += ' ';
        append_text(t, msg_.subspan(p + 1, len));
        p += 1 + len;
      }
      break;
    }
    default:
      return true;  // kept as type + rdlength
  }
  r.rendered = true;
  return true;
}

void MessageParser::note_opt(const DnsRecord& r) {
  if (out_.edns.present) {
    out_.add_problem(kMultipleOpt);
    return;
  }
  out_.edns.present = true;
  out_.edns.udp_payload_size = r.rclass;
  out_.edns.extended_rcode = static_cast<std::uint8_t>(r.ttl >> 24);
  out_.edns.version = static_cast<std::uint8_t>(r.ttl >> 16);
  out_.edns.do_bit = (r.ttl >> 15) & 1;
  out_.flags.rcode = static_cast<std::uint16_t>((out_.edns.extended_rcode << 4) | (out_.flags.rcode & 0xf));
}

bool DnsMessage::has_problem(std::string_view name) const {
  return std::find(problems.begin(), problems.end(), name) != problems.end();
}

void DnsMessage::clear() {
  id = 0;
  flags = {};
  qdcount = ancount = nscount = arcount = 0;
  edns = {};
  problems.clear();
  question_count_ = 0;
  record_count_ = 0;
  section_end_[0] = section_end_[1] = section_end_[2] = 0;
}

DnsQuestion& DnsMessage::next_question() {
  if (question_count_ == questions_.size()) questions_.emplace_back();
  DnsQuestion& q = questions_[question_count_++];
  q.name.clear();
  q.qtype = q.qclass = 0;
  return q;
}

DnsRecord& DnsMessage::next_record() {
  if (record_count_ == records_.size()) records_.emplace_back();
  DnsRecord& r = records_[record_count_++];
  r.name.clear();
  r.rdata.clear();
  r.type = r.rclass = r.rdlength = 0;
  r.ttl = r.rdata_offset = 0;
  r.rendered = false;
  return r;
}

void DnsMessage::add_problem(std::string_view name) {
  if (!has_problem(name)) problems.push_back(name);
}

ParseStatus parse_message(std::span<const std::uint8_t> msg, DnsMessage& out) {
  out.clear();
  return MessageParser(msg, out).run();
}

std::string_view qtype_name(std::uint16_t qtype) {
  // Zeek's DNS::query_types (base/protocols/dns/consts.zeek).
  static constexpr std::string_view kLow[] = {
      "",      "A",     "NS",    "MD",     "MF",       "CNAME", "SOA",   "MB",         "MG",     "MR",
      "NULL",  "WKS",   "PTR",   "HINFO",  "MINFO",    "MX",    "TXT",   "RP",         "AFSDB",  "X25",
      "ISDN",  "RT",    "NSAP",  "NSAP-PTR", "SIG",    "KEY",   "PX",    "GPOS",       "AAAA",   "LOC",
      "NXT",   "EID",   "NIMLOC", "SRV",   "ATMA",     "NAPTR", "KX",    "CERT",       "A6",     "DNAME",
      "SINK",  "OPT",   "APL",   "DS",     "SSHFP",    "IPSECKEY", "RRSIG", "NSEC",    "DNSKEY", "DHCID",
      "NSEC3", "NSEC3PARAM", "TLSA", "SMIMEA", "",     "HIP",   "NINFO", "RKEY",       "TALINK", "CDS",
      "CDNSKEY", "OPENPGPKEY", "CSYNC", "ZONEMD", "SVCB", "HTTPS"};
  if (qtype < std::size(kLow)) return kLow[qtype];
  static constexpr std::string_view kMid[] = {"SPF", "UINFO", "UID", "GID", "UNSPEC", "NID",
                                              "L32", "L64",   "LP",  "EUI48", "EUI64"};
  if (qtype >= 99 && qtype <= 109) return kMid[qtype - 99];
  static constexpr std::string_view kMeta[] = {"TKEY", "TSIG", "IXFR", "AXFR", "MAILB",
                                               "MAILA", "*",    "URI",  "CAA"};
  if (qtype >= 249 && qtype <= 257) return kMeta[qtype - 249];
  switch (qtype) {
    case 32768: return "TA";
    case 32769: return "DLV";
    case 65281: return "WINS";
    case 65282: return "WINS-R";
    case 65422: return "XPF";
    case 65521: return "INTEGRITY";
    default: return {};
  }
}

std::string_view rcode_name(std::uint16_t rcode) {
  // Zeek's DNS::base_errors, spelling included.
  static constexpr std::string_view kNames[] = {
      "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
      "NXRRSet", "NOTAUTH", "NOTZONE",  "",         "",        "",        "",         "",
      "BADVERS", "BADKEY",  "BADTIME",  "BADMODE",  "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  if (rcode == 3842) return "BADSIG";
  return {};
}

std::string_view qclass_name(std::uint16_t qclass) {
  // Zeek's DNS::classes.
  switch (qclass) {
    case 1: return "C_INTERNET";
    case 2: return "C_CSNET";
    case 3: return "C_CHAOS";
    case 4: return "C_HESIOD";
    case 254: return "C_NONE";
    case 255: return "C_ANY";
    default: return {};
  }
}

// --- TcpDnsFramer -----------------------------------------------------------

std::span<const std::uint8_t> TcpDnsFramer::align(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  return cursor_.admit(offset, bytes, [this](std::uint64_t at, std::uint64_t len) { on_gap(at, len); });
}

void TcpDnsFramer::on_gap(std::uint64_t offset, std::uint64_t length) {
  cursor_.note_gap(offset, length);
  if (!buf_.empty() && !resyncing_) ++partial_dropped_;
  buf_.clear();
  complete_ = false;
  // Even a gap at a message boundary may have eaten a length prefix only, so
  // the bytes after it cannot be trusted to start a message: always resync.
  resyncing_ = true;
}

// True when buf_ (a 14-byte window) starts with a length and header a real
// DNS message would have: sane opcode/rcode, at most one question, and counts
// that fit the length.
bool TcpDnsFramer::try_resync() {
  const std::uint8_t* p = buf_.data();
  std::uint32_t len = load_be16(p);
  std::uint16_t f = load_be16(p + 4);
  std::uint32_t opcode = (f >> 11) & 0xf;
  std::uint32_t qd = load_be16(p + 6);
  std::uint32_t rrs = std::uint32_t{load_be16(p + 8)} + load_be16(p + 10) + load_be16(p + 12);
  return len >= 12 && (opcode <= 2 || (opcode >= 4 && opcode <= 6)) && ((f >> 6) & 1) == 0 && (f & 0xf) <= 10 &&
         qd <= 1 && qd * 5 + rrs * 11 <= len - 12;
}

std::size_t TcpDnsFramer::consume(std::span<const std::uint8_t> bytes) {
  if (resyncing_) {
    // One byte at a time through a 14-byte window: slow, but only while lost.
    buf_.push_back(bytes[0]);
    if (buf_.size() == 14) {
      if (try_resync()) {
        resyncing_ = false;
        complete_ = buf_.size() == 2u + load_be16(buf_.data());
      } else {
        buf_.erase(buf_.begin());
      }
    }
    return 1;
  }
  std::size_t take;
  if (buf_.size() < 2) {
    take = std::min<std::size_t>(2 - buf_.size(), bytes.size());
  } else {
    std::size_t need = 2u + load_be16(buf_.data());
    take = std::min(need - buf_.size(), bytes.size());
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
  complete_ = buf_.size() >= 2 && buf_.size() == 2u + load_be16(buf_.data());
  return take;
}

void TcpDnsFramer::reset_frame() {
  buf_.clear();
  complete_ = false;
}

}  // namespace pcapscope::proto::dns
