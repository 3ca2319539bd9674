// Fuzz harnesses; see harness.h for the input layout.
//
// Invariants come in two kinds:
//  - bounds every parser promises in its header (counts, lengths, formats);
//  - segmentation independence: without a gap, the same stream fed whole and
//    fed in the fuzzed chunks (with retransmitted overlaps) must give the same
//    transcript. Reassembly hands parsers whatever segmentation the capture
//    had, so a parser whose output depends on it is wrong.
#include "fuzz/harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/dns/dns_message.h"
#include "proto/http/http_parser.h"
#include "proto/ssh/ssh_parser.h"
#include "proto/tls/fingerprints.h"
#include "proto/tls/tls_hello.h"

namespace pcapscope::fuzz {
namespace {

using Bytes = std::span<const std::uint8_t>;

[[noreturn]] void check_failed(const char* what, int line) {
  std::fprintf(stderr, "fuzz invariant failed: %s (harness.cc:%d)\n", what, line);
  std::fflush(stderr);
  __builtin_trap();
}

#define FUZZ_CHECK(cond)                             \
  do {                                               \
    if (!(cond)) check_failed(#cond, __LINE__);      \
  } while (0)

// ------------------------------------------------------------ input layout

struct Control {
  unsigned mode = 0;       // 0 whole, 1 one byte, 2 sizes 1..16, 3 sizes 1..2048
  std::uint32_t seed = 0;  // chunk-size generator
  bool gap = false;
  unsigned gap_chunk = 0;
  bool gap_explicit = false;
  bool overlap = false;
};

Bytes take_control(const std::uint8_t* data, std::size_t size, Control& c) {
  if (size < 2) return {data, size};
  c.mode = data[0] & 3u;
  c.seed = (std::uint32_t{data[0]} << 8 | data[1]) * 2654435761u + 1u;
  c.gap = (data[1] & 1u) != 0;
  c.gap_chunk = (data[1] >> 1) & 7u;
  c.gap_explicit = (data[1] & 0x10u) != 0;
  c.overlap = (data[1] & 0x20u) != 0;
  return {data + 2, size - 2};
}

// be16 client length, client bytes, server bytes (the length is clamped).
void split_directions(Bytes in, Bytes& client, Bytes& server) {
  if (in.size() < 2) {
    client = in;
    server = {};
    return;
  }
  std::size_t n = std::size_t{in[0]} << 8 | in[1];
  in = in.subspan(2);
  n = std::min(n, in.size());
  client = in.first(n);
  server = in.subspan(n);
}

class Rng {
 public:
  explicit Rng(std::uint32_t seed) : s_(seed ? seed : 0x9e3779b9u) {}
  std::uint32_t next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }

 private:
  std::uint32_t s_;
};

// One delivery to a stream parser: bytes [begin, begin+len) of the stream at
// offset begin, or an announced gap of len bytes at begin.
struct Event {
  bool gap = false;
  std::size_t begin = 0, len = 0;
};

struct Plan {
  std::vector<Event> events;
  bool has_gap = false;  // some bytes never delivered (announced or not)
};

Plan make_plan(std::size_t n, const Control& c, std::uint32_t salt) {
  Plan p;
  Rng r(c.seed ^ salt);
  std::size_t off = 0;
  for (unsigned idx = 0; off < n; ++idx) {
    std::size_t len;
    switch (c.mode) {
      case 0: len = n - off; break;
      case 1: len = 1; break;
      case 2: len = 1 + r.next() % 16; break;
      default: len = 1 + r.next() % 2048; break;
    }
    len = std::min(len, n - off);
    if (c.gap && idx == c.gap_chunk) {
      p.has_gap = true;
      if (c.gap_explicit) p.events.push_back({true, off, len});
    } else {
      const std::size_t back = (c.overlap && off > 0) ? std::min<std::size_t>(off, 1 + r.next() % 7) : 0;
      p.events.push_back({false, off - back, len + back});
    }
    off += len;
  }
  return p;
}

// FNV-1a, to keep transcripts short.
std::uint64_t fnv(Bytes b) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t x : b) h = (h ^ x) * 1099511628211ull;
  return h;
}

void add(std::string& t, std::string_view s) {
  t += s;
  t += '|';
}
void add(std::string& t, std::uint64_t v) {
  t += std::to_string(v);
  t += '|';
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ------------------------------------------------------------ DNS

// Wire length of a name as parse_message renders it (labels joined by '.',
// "\xNN" for one escaped byte); checks each label is 1..63 bytes.
std::size_t dns_name_wire_length(std::string_view name) {
  if (name.empty()) return 1;  // the root
  std::size_t wire = 1, label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      FUZZ_CHECK(label >= 1 && label <= proto::dns::kMaxLabelLength);
      wire += label + 1;
      label = 0;
      continue;
    }
    if (name[i] == '\\') {
      // Always a complete "\xNN" escape: '\' itself is escaped.
      FUZZ_CHECK(i + 3 < name.size() && name[i + 1] == 'x' && is_lower_hex(name.substr(i + 2, 2)));
      i += 3;
    }
    ++label;
  }
  return wire;
}

void check_dns_name(std::string_view name) {
  FUZZ_CHECK(dns_name_wire_length(name) <= proto::dns::kMaxNameWireLength);
}

std::string dns_summary(const proto::dns::DnsMessage& m, const proto::dns::ParseStatus& st) {
  std::string t;
  add(t, st.error);
  add(t, m.id);
  add(t, std::uint64_t{m.flags.qr} | std::uint64_t{m.flags.opcode} << 1 | std::uint64_t{m.flags.aa} << 5 |
             std::uint64_t{m.flags.tc} << 6 | std::uint64_t{m.flags.rd} << 7 | std::uint64_t{m.flags.ra} << 8 |
             std::uint64_t{m.flags.z} << 9 | std::uint64_t{m.flags.ad} << 10 | std::uint64_t{m.flags.cd} << 11 |
             std::uint64_t{m.flags.rcode} << 12);
  add(t, std::uint64_t{m.qdcount} << 48 | std::uint64_t{m.ancount} << 32 | std::uint64_t{m.nscount} << 16 |
             m.arcount);
  add(t, std::uint64_t{m.edns.present} | std::uint64_t{m.edns.udp_payload_size} << 1 |
             std::uint64_t{m.edns.version} << 17 | std::uint64_t{m.edns.do_bit} << 25 |
             std::uint64_t{m.edns.extended_rcode} << 26);
  for (auto p : m.problems) add(t, p);
  for (const auto& q : m.questions()) {
    add(t, q.name);
    add(t, std::uint64_t{q.qtype} << 16 | q.qclass);
  }
  for (auto section : {m.answers(), m.authority(), m.additional()}) {
    add(t, "S");
    for (const auto& r : section) {
      add(t, r.name);
      add(t, std::uint64_t{r.type} << 48 | std::uint64_t{r.rclass} << 32 | r.ttl);
      add(t, std::uint64_t{r.rdlength} << 32 | r.rdata_offset);
      add(t, r.rdata);
      add(t, r.rendered);
    }
  }
  return t;
}

void check_dns(Bytes msg, const proto::dns::DnsMessage& m, const proto::dns::ParseStatus& st) {
  using proto::dns::kMaxRecordsPerSection;
  const std::size_t claimed[4] = {m.qdcount, m.ancount, m.nscount, m.arcount};
  const std::size_t parsed[4] = {m.questions().size(), m.answers().size(), m.authority().size(),
                                 m.additional().size()};
  for (int s = 0; s < 4; ++s) {
    const std::size_t cap = std::min(claimed[s], kMaxRecordsPerSection);
    FUZZ_CHECK(parsed[s] <= cap);
    if (st.ok()) FUZZ_CHECK(parsed[s] == cap);
  }
  // A question is at least 5 bytes, a record at least 11: what was parsed fits the message.
  if (st.ok()) FUZZ_CHECK(12 + parsed[0] * 5 + (parsed[1] + parsed[2] + parsed[3]) * 11 <= msg.size());
  if (!st.ok()) FUZZ_CHECK(std::find(m.problems.begin(), m.problems.end(), st.error) != m.problems.end());
  for (std::size_t i = 0; i < m.problems.size(); ++i)
    for (std::size_t j = i + 1; j < m.problems.size(); ++j) FUZZ_CHECK(m.problems[i] != m.problems[j]);

  for (const auto& q : m.questions()) check_dns_name(q.name);
  const std::size_t records = parsed[1] + parsed[2] + parsed[3];
  std::size_t i = 0;
  for (auto section : {m.answers(), m.authority(), m.additional()}) {
    for (const auto& r : section) {
      check_dns_name(r.name);
      // The record that failed half-way may have a header that did not fit; every other one fits.
      const bool complete = st.ok() || i + 1 < records;
      if (complete) {
        FUZZ_CHECK(std::size_t{r.rdata_offset} + r.rdlength <= msg.size());
        FUZZ_CHECK(r.rdata_offset >= 12 + 10);
      }
      if (!r.rendered) FUZZ_CHECK(r.rdata.empty());
      // Names in rdata are at most 255 wire bytes (4 text bytes each when escaped), TXT expands 4x plus "TXT n ".
      FUZZ_CHECK(r.rdata.size() <= 2 * 4 * 256 + 12 * std::size_t{r.rdlength} + 64);
      ++i;
    }
  }
  if (m.edns.present) FUZZ_CHECK((m.flags.rcode >> 4) == m.edns.extended_rcode);
  FUZZ_CHECK(m.flags.rcode < (1u << 12));
}

void dns_framer_run(proto::dns::TcpDnsFramer& f, Bytes stream, const Plan* plan, std::vector<std::string>& out) {
  auto collect = [&out](Bytes msg) { out.emplace_back(reinterpret_cast<const char*>(msg.data()), msg.size()); };
  if (plan == nullptr) {
    f.on_data(0, stream, collect);
    return;
  }
  for (const Event& e : plan->events) {
    if (e.gap) {
      f.on_gap(e.begin, e.len);
    } else {
      f.on_data(e.begin, stream.subspan(e.begin, e.len), collect);
    }
  }
}

}  // namespace

void fuzz_dns(const std::uint8_t* data, std::size_t size) {
  using namespace proto::dns;
  Control c;
  const Bytes msg = take_control(data, size, c);

  // The input as one message (a UDP payload).
  DnsMessage reused;
  const ParseStatus st = parse_message(msg, reused);
  check_dns(msg, reused, st);

  // The input as a TCP stream: whole, then in the fuzzed chunks.
  std::vector<std::string> whole, chunked;
  TcpDnsFramer f1, f2;
  dns_framer_run(f1, msg, nullptr, whole);
  const Plan plan = make_plan(msg.size(), c, 0x646e73);
  dns_framer_run(f2, msg, &plan, chunked);
  FUZZ_CHECK(f1.messages() == whole.size() && f2.messages() == chunked.size());
  FUZZ_CHECK(f1.partial_dropped() == 0 && !f1.resyncing());
  std::size_t framed = 0;
  for (const auto& m : whole) framed += 2 + m.size();
  FUZZ_CHECK(framed <= msg.size());
  if (!plan.has_gap) {
    FUZZ_CHECK(whole == chunked);
    FUZZ_CHECK(f2.partial_dropped() == 0);
  }
  FUZZ_CHECK(f2.partial_dropped() <= 1);  // one gap at most drops one partial message

  // Every framed message, parsed into the reused message (slots kept from
  // bigger messages) and into a fresh one: the same result.
  std::size_t parsed = 0;
  for (const auto& m : chunked) {
    if (++parsed > 32) break;
    const Bytes b(reinterpret_cast<const std::uint8_t*>(m.data()), m.size());
    const ParseStatus s1 = parse_message(b, reused);
    check_dns(b, reused, s1);
    DnsMessage fresh;
    const ParseStatus s2 = parse_message(b, fresh);
    FUZZ_CHECK(dns_summary(reused, s1) == dns_summary(fresh, s2));
  }

  // The input as one framed message, twice: exactly those two messages come out.
  if (msg.size() <= 65535) {
    std::vector<std::uint8_t> stream;
    for (int k = 0; k < 2; ++k) {
      stream.push_back(static_cast<std::uint8_t>(msg.size() >> 8));
      stream.push_back(static_cast<std::uint8_t>(msg.size()));
      stream.insert(stream.end(), msg.begin(), msg.end());
    }
    Control no_gap = c;
    no_gap.gap = false;
    const Plan p2 = make_plan(stream.size(), no_gap, 0x746370);
    std::vector<std::string> out;
    TcpDnsFramer f3;
    dns_framer_run(f3, stream, &p2, out);
    FUZZ_CHECK(out.size() == 2);
    for (const auto& m : out)
      FUZZ_CHECK(m.size() == msg.size() && (m.empty() || std::memcmp(m.data(), msg.data(), m.size()) == 0));
  }
}

// ------------------------------------------------------------ HTTP

namespace {

void http_describe(std::string& t, const proto::http::Message& m) {
  add(t, m.is_response);
  add(t, m.method);
  add(t, m.uri);
  add(t, m.version);
  add(t, static_cast<std::uint64_t>(m.status_code));
  add(t, m.status_msg);
  add(t, m.host);
  add(t, m.user_agent);
  add(t, m.referrer);
  add(t, m.content_type);
  add(t, std::uint64_t{m.chunked} | std::uint64_t{m.expect_continue} << 1 | std::uint64_t{m.connection_close} << 2 |
             std::uint64_t{m.body_gap} << 3 | std::uint64_t{m.complete} << 4);
  add(t, m.body_len);
}

void check_http_message(const proto::http::Message& m, std::size_t stream_size) {
  using proto::http::kMaxLine;
  for (const std::string* s : {&m.method, &m.uri, &m.version, &m.status_msg, &m.host, &m.user_agent, &m.referrer,
                               &m.content_type})
    FUZZ_CHECK(s->size() <= kMaxLine);
  FUZZ_CHECK(m.status_code >= 0 && m.status_code <= 999);
  FUZZ_CHECK(m.body_len <= stream_size);
  FUZZ_CHECK(m.is_response ? m.method.empty() : m.status_code == 0);
}

// One direction through a standalone parser; returns its transcript.
std::string http_direction(bool is_response, Bytes stream, const Plan* plan) {
  std::string t;
  std::uint64_t body_total = 0;
  proto::http::HttpParser p(
      is_response,
      [&](const proto::http::Message& m) {
        check_http_message(m, stream.size());
        add(t, "H");
        http_describe(t, m);
      },
      [&](const proto::http::Message& m) {
        check_http_message(m, stream.size());
        body_total += m.body_len;
        add(t, "M");
        http_describe(t, m);
      },
      [&](std::string_view problem) {
        add(t, "P");
        add(t, problem);
      });
  if (plan == nullptr) {
    p.on_data(0, stream);
  } else {
    for (const Event& e : plan->events) {
      if (e.gap) {
        p.on_gap(e.begin, e.len);
      } else {
        p.on_data(e.begin, stream.subspan(e.begin, e.len));
      }
    }
  }
  p.on_close();
  // Bodies are counted from delivered bytes only: never more than the stream.
  FUZZ_CHECK(body_total <= stream.size());
  return t;
}

}  // namespace

void fuzz_http(const std::uint8_t* data, std::size_t size) {
  using namespace proto::http;
  Control c;
  Bytes client, server;
  split_directions(take_control(data, size, c), client, server);
  const Plan pc = make_plan(client.size(), c, 0x717565);
  const Plan ps = make_plan(server.size(), c, 0x726573);

  // Each direction alone: segmentation must not change what is parsed.
  const std::string req_chunked = http_direction(false, client, &pc);
  const std::string resp_chunked = http_direction(true, server, &ps);
  if (!pc.has_gap) FUZZ_CHECK(req_chunked == http_direction(false, client, nullptr));
  if (!ps.has_gap) FUZZ_CHECK(resp_chunked == http_direction(true, server, nullptr));

  // The conversation, directions interleaved as the fuzzer decides.
  std::vector<Transaction> txs;
  std::size_t final_responses = 0, requests = 0;
  HttpConversation conv([&txs](const Transaction& t) { txs.push_back(t); }, [](std::string_view) {});
  conv.set_message_hooks([&requests](const Message&) { ++requests; },
                         [&final_responses](const Message& m) {
                           if (m.status_code < 100 || m.status_code >= 200) ++final_responses;
                         });
  Rng r(c.seed ^ 0x636f6e76);
  std::size_t ic = 0, is = 0;
  std::uint64_t clock = 0;
  while (ic < pc.events.size() || is < ps.events.size()) {
    const bool from_client = is >= ps.events.size() || (ic < pc.events.size() && (r.next() & 1));
    const Event& e = from_client ? pc.events[ic++] : ps.events[is++];
    HttpParser& p = from_client ? conv.requests() : conv.responses();
    const Bytes s = from_client ? client : server;
    ++clock;
    conv.set_clock(static_cast<std::int64_t>(clock), clock);
    if (e.gap) {
      p.on_gap(e.begin, e.len);
    } else {
      p.on_data(e.begin, s.subspan(e.begin, e.len));
    }
  }
  conv.on_close();

  unsigned last_depth = 0;
  std::size_t with_request = 0, with_response = 0;
  for (const Transaction& t : txs) {
    FUZZ_CHECK(t.trans_depth > last_depth);  // each transaction logged once, in order
    last_depth = t.trans_depth;
    FUZZ_CHECK(t.has_request || t.has_response);
    with_request += t.has_request;
    with_response += t.has_response;
    FUZZ_CHECK(t.request_body_len <= client.size() && t.response_body_len <= server.size());
    FUZZ_CHECK(t.ts_ns >= 1 && static_cast<std::uint64_t>(t.ts_ns) <= clock);
  }
  FUZZ_CHECK(last_depth == txs.size());
  // Every request whose headers ended, and every final response, is in exactly one transaction.
  FUZZ_CHECK(with_request == requests);
  FUZZ_CHECK(with_response == final_responses);
}

// ------------------------------------------------------------ TLS

namespace {

void check_ja4(const proto::tls::Ja4& j, const proto::tls::ClientHello& ch) {
  // "t13d1516h2_8daaf6152771_e5627efa2ab1": 10-character prefix, two 12-digit hashes.
  const std::string& f = j.fingerprint;
  FUZZ_CHECK(f.size() == 36 && f[0] == 't' && f[10] == '_' && f[23] == '_');
  FUZZ_CHECK(is_lower_hex(std::string_view(f).substr(11, 12)) && is_lower_hex(std::string_view(f).substr(24)));
  FUZZ_CHECK(f[3] == (ch.has_sni ? 'd' : 'i'));
  for (int k : {4, 5, 6, 7}) FUZZ_CHECK(f[static_cast<std::size_t>(k)] >= '0' && f[static_cast<std::size_t>(k)] <= '9');
  std::size_t ciphers = 0;
  for (auto v : ch.cipher_suites) ciphers += !proto::tls::is_grease(v);
  FUZZ_CHECK(static_cast<std::size_t>((f[4] - '0') * 10 + (f[5] - '0')) == std::min<std::size_t>(ciphers, 99));
  for (const std::string* s : {&j.raw, &j.original, &j.raw_original}) FUZZ_CHECK(s->compare(0, 11, f, 0, 11) == 0);
}

void put16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_extensions(std::vector<std::uint8_t>& out, const std::vector<proto::tls::TlsExtension>& exts) {
  std::size_t len = 0;
  for (const auto& x : exts) len += 4 + x.data.size();
  put16(out, len);
  for (const auto& x : exts) {
    put16(out, x.type);
    put16(out, x.data.size());
    out.insert(out.end(), x.data.begin(), x.data.end());
  }
}

// A parsed hello encoded again must be the start of the body it came from
// (the extension block is optional when nothing follows the compression).
bool reencodes_to_prefix(Bytes body, std::vector<std::uint8_t> head, const std::vector<proto::tls::TlsExtension>& exts) {
  if (!exts.empty() || body.size() > head.size()) put_extensions(head, exts);
  return head.size() <= body.size() && std::equal(head.begin(), head.end(), body.begin());
}

void check_client_hello(Bytes body, const proto::tls::ClientHello& ch) {
  {
    std::vector<std::uint8_t> head;
    put16(head, ch.legacy_version);
    head.insert(head.end(), ch.random.begin(), ch.random.end());
    head.push_back(static_cast<std::uint8_t>(ch.session_id.size()));
    head.insert(head.end(), ch.session_id.begin(), ch.session_id.end());
    put16(head, 2 * ch.cipher_suites.size());
    for (auto v : ch.cipher_suites) put16(head, v);
    head.push_back(static_cast<std::uint8_t>(ch.compression_methods.size()));
    head.insert(head.end(), ch.compression_methods.begin(), ch.compression_methods.end());
    FUZZ_CHECK(reencodes_to_prefix(body, std::move(head), ch.extensions));
  }
  FUZZ_CHECK(ch.session_id.size() <= 32);
  FUZZ_CHECK(2 + 32 + 1 + ch.session_id.size() + 2 + 2 * ch.cipher_suites.size() + 1 +
                 ch.compression_methods.size() <= body.size());
  std::size_t ext_bytes = 0;
  for (const auto& x : ch.extensions) ext_bytes += 4 + x.data.size();
  FUZZ_CHECK(ext_bytes <= body.size());
  FUZZ_CHECK(ch.sni.size() <= ext_bytes && ch.alpn.size() <= ext_bytes);
  if (!ch.sni.empty()) FUZZ_CHECK(ch.has_sni);

  const proto::tls::Ja3 j = proto::tls::ja3(ch);
  FUZZ_CHECK(j.md5.size() == 32 && is_lower_hex(j.md5));
  FUZZ_CHECK(std::count(j.full.begin(), j.full.end(), ',') == 4);
  FUZZ_CHECK(j.full.rfind(std::to_string(ch.legacy_version) + ",", 0) == 0);
  check_ja4(proto::tls::ja4(ch), ch);
}

void check_server_hello(Bytes body, const proto::tls::ServerHello& sh) {
  {
    std::vector<std::uint8_t> head;
    put16(head, sh.legacy_version);
    head.insert(head.end(), sh.random.begin(), sh.random.end());
    head.push_back(static_cast<std::uint8_t>(sh.session_id.size()));
    head.insert(head.end(), sh.session_id.begin(), sh.session_id.end());
    put16(head, sh.cipher_suite);
    head.push_back(sh.compression_method);
    FUZZ_CHECK(reencodes_to_prefix(body, std::move(head), sh.extensions));
  }
  FUZZ_CHECK(sh.session_id.size() <= 32);
  std::size_t ext_bytes = 0;
  for (const auto& x : sh.extensions) ext_bytes += 4 + x.data.size();
  FUZZ_CHECK(2 + 32 + 1 + sh.session_id.size() + 3 + ext_bytes <= body.size());
  FUZZ_CHECK(sh.alpn.size() <= ext_bytes);
  const proto::tls::Ja3 j = proto::tls::ja3s(sh);
  FUZZ_CHECK(j.md5.size() == 32 && is_lower_hex(j.md5));
  FUZZ_CHECK(std::count(j.full.begin(), j.full.end(), ',') == 2);
}

void parse_hellos(std::uint8_t type, Bytes body) {
  if (type == 1) {
    if (auto ch = proto::tls::parse_client_hello(body)) check_client_hello(body, *ch);
  } else if (type == 2) {
    if (auto sh = proto::tls::parse_server_hello(body)) check_server_hello(body, *sh);
  }
}

std::string tls_direction(Bytes stream, const Plan* plan, bool parse) {
  using namespace proto::tls;
  std::string t;
  std::size_t calls = 0;
  TlsRecordReader reader([&](std::uint8_t type, Bytes body) {
    ++calls;
    FUZZ_CHECK(body.size() <= kMaxHandshakeMessage);
    add(t, type);
    add(t, body.size());
    add(t, fnv(body));
    if (parse && calls <= 16) parse_hellos(type, body);
  });
  std::uint64_t delivered_end = 0;
  if (plan == nullptr) {
    reader.on_data(0, stream);
    delivered_end = stream.size();
  } else {
    for (const Event& e : plan->events) {
      if (e.gap) {
        reader.on_gap(e.begin, e.len);
      } else {
        reader.on_data(e.begin, stream.subspan(e.begin, e.len));
        if (!reader.stopped()) delivered_end = e.begin + e.len;
      }
    }
  }
  FUZZ_CHECK(reader.handshake_messages() == calls);
  FUZZ_CHECK(reader.records() * 5 <= stream.size());
  FUZZ_CHECK(reader.stopped() == (reader.problem() != TlsProblem::kNone));
  if (!reader.stopped()) FUZZ_CHECK(reader.next_offset() == delivered_end);
  add(t, reader.records());
  add(t, tls_problem_name(reader.problem()));
  add(t, reader.encrypted());
  return t;
}

}  // namespace

void fuzz_tls(const std::uint8_t* data, std::size_t size) {
  Control c;
  Bytes client, server;
  split_directions(take_control(data, size, c), client, server);
  const Plan pc = make_plan(client.size(), c, 0x746c73);
  const Plan ps = make_plan(server.size(), c, 0x736c74);
  const std::string tc = tls_direction(client, &pc, true);
  const std::string ts = tls_direction(server, &ps, true);
  if (!pc.has_gap) FUZZ_CHECK(tc == tls_direction(client, nullptr, false));
  if (!ps.has_gap) FUZZ_CHECK(ts == tls_direction(server, nullptr, false));

  // The hello parsers on their own, on the bytes after a record and handshake
  // header (where a hello body sits in most streams) and on the raw bytes.
  for (Bytes d : {client, server}) {
    if (d.size() > 9) {
      parse_hellos(1, d.subspan(9));
      parse_hellos(2, d.subspan(9));
    }
  }
  parse_hellos(1, client);
  parse_hellos(2, server);
}

// ------------------------------------------------------------ SSH

namespace {

void add_list(std::string& t, const std::vector<std::string>& v) {
  add(t, v.size());
  for (const auto& s : v) add(t, s);
}

std::string kexinit_summary(const proto::ssh::Kexinit& k) {
  std::string t;
  add(t, fnv(Bytes(k.cookie)));
  for (const auto* l : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c,
                        &k.compression_c2s, &k.compression_s2c, &k.languages_c2s, &k.languages_s2c})
    add_list(t, *l);
  add(t, k.first_kex_packet_follows);
  return t;
}

void check_kexinit(const proto::ssh::Kexinit& k, std::size_t payload_size) {
  std::size_t bytes = 1 + 16 + 10 * 4 + 1 + 4;
  for (const auto* l : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c,
                        &k.compression_c2s, &k.compression_s2c, &k.languages_c2s, &k.languages_s2c}) {
    for (const auto& s : *l) bytes += s.size();
    if (!l->empty()) bytes += l->size() - 1;  // the commas
  }
  FUZZ_CHECK(bytes <= payload_size);
}

std::string ssh_direction(bool is_server, Bytes stream, const Plan* plan) {
  proto::ssh::SshParser p(is_server);
  if (plan == nullptr) {
    p.on_data(0, stream);
  } else {
    for (const Event& e : plan->events) {
      if (e.gap) {
        p.on_gap(e.begin, e.len);
      } else {
        p.on_data(e.begin, stream.subspan(e.begin, e.len));
      }
    }
  }
  using proto::ssh::kMaxBannerLine;
  FUZZ_CHECK(p.software().size() <= kMaxBannerLine && p.comments().size() <= kMaxBannerLine);
  FUZZ_CHECK(p.protocol_version().size() <= kMaxBannerLine);
  FUZZ_CHECK(p.pre_banner_lines().size() <= proto::ssh::kMaxPreBannerLines);
  for (const auto& l : p.pre_banner_lines()) FUZZ_CHECK(l.size() <= kMaxBannerLine + 1);
  if (!is_server) FUZZ_CHECK(p.pre_banner_lines().empty());
  if (p.banner_seen()) FUZZ_CHECK(!p.software().empty());
  if (p.packets() > 0) FUZZ_CHECK(p.banner_seen());
  FUZZ_CHECK(p.packets() * 9 <= stream.size());  // a packet is at least 4 + 5 bytes
  FUZZ_CHECK(p.encrypted_sizes().size() <= proto::ssh::kMaxEncryptedSizes);
  std::uint64_t enc = 0;
  for (auto n : p.encrypted_sizes()) {
    FUZZ_CHECK(n > 0);
    enc += n;
  }
  FUZZ_CHECK(enc <= stream.size());
  if (!p.encrypted_sizes().empty()) FUZZ_CHECK(p.newkeys_seen());
  if (p.kexinit()) check_kexinit(*p.kexinit(), stream.size());

  // Encrypted sizes are per delivery (Zeek's heuristic), so not in the transcript.
  std::string t;
  add(t, p.banner_seen());
  add(t, p.protocol_version());
  add(t, p.software());
  add(t, p.comments());
  add_list(t, p.pre_banner_lines());
  add(t, p.packets());
  add(t, p.newkeys_seen());
  add(t, p.failed());
  add_list(t, p.problems());
  if (p.kexinit()) add(t, kexinit_summary(*p.kexinit()));
  return t;
}

}  // namespace

void fuzz_ssh(const std::uint8_t* data, std::size_t size) {
  Control c;
  Bytes client, server;
  split_directions(take_control(data, size, c), client, server);
  const Plan pc = make_plan(client.size(), c, 0x737368);
  const Plan ps = make_plan(server.size(), c, 0x687373);
  const std::string tc = ssh_direction(false, client, &pc);
  const std::string ts = ssh_direction(true, server, &ps);
  if (!pc.has_gap) FUZZ_CHECK(tc == ssh_direction(false, client, nullptr));
  if (!ps.has_gap) FUZZ_CHECK(ts == ssh_direction(true, server, nullptr));

  // KEXINIT parsing on its own: the raw bytes, and the payload of the first
  // packet after a banner line (where a real KEXINIT sits).
  for (Bytes d : {client, server}) {
    if (auto k = proto::ssh::parse_kexinit(d)) check_kexinit(*k, d.size());
    const auto nl = std::find(d.begin(), d.end(), std::uint8_t{'\n'});
    const std::size_t at = static_cast<std::size_t>(nl - d.begin()) + 1 + 5;
    if (at < d.size()) {
      if (auto k = proto::ssh::parse_kexinit(d.subspan(at))) check_kexinit(*k, d.size() - at);
    }
  }
}

}  // namespace pcapscope::fuzz
