// Fuzz harness for the filter language (src/filter), driven by filter_fuzzer
// and replayed by tests/unit/fuzz_regressions_test.cc: the input is an
// expression, compiled for every subject. A compiled filter is evaluated on
// fixed subjects (decoded packets with and without application fields,
// filled and empty records, an alert), so the evaluator's quantifiers,
// slices, sets, arithmetic and regular expressions run on real values. A
// failed compile must point inside the expression and render without
// crashing. Invariant failures trap (see harness.h).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "detect/alert.h"
#include "fuzz/harness.h"
#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "pcapscope/fields.h"
#include "pcapscope/filter.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace {

using namespace pcapscope;
using Bytes8 = std::vector<std::uint8_t>;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    __builtin_trap();
  }
}

void be16(Bytes8& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

Bytes8 cat(std::initializer_list<Bytes8> parts) {
  Bytes8 out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes8 eth(std::uint16_t type) {
  Bytes8 b = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0c, 0x29, 0x12, 0x34, 0x56, 0, 0};
  be16(b, 12, type);
  return b;
}

Bytes8 ipv4(std::uint8_t proto, std::size_t payload) {
  Bytes8 b = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 192, 168, 1, 2};
  be16(b, 2, static_cast<std::uint16_t>(20 + payload));
  return b;
}

Bytes8 ipv6(std::uint8_t next, std::size_t payload) {
  Bytes8 b(40, 0);
  b[0] = 0x60;
  be16(b, 4, static_cast<std::uint16_t>(payload));
  b[6] = next;
  b[7] = 255;
  b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
  b[24] = 0xff, b[25] = 0x02, b[39] = 0xfb;
  return b;
}

Bytes8 text(std::string_view s) { return Bytes8(s.begin(), s.end()); }

// A packet that owns its bytes, decoded once, optionally with application fields.
struct Sample {
  Bytes8 bytes;
  Packet packet;
  DecodedPacket decoded;
  AppFieldValues app;

  Sample(Bytes8 b, std::uint32_t link) : bytes(std::move(b)) {
    packet.data = pcapscope::Bytes(bytes.data(), bytes.size());
    packet.orig_len = static_cast<std::uint32_t>(bytes.size());
    packet.link_type = link;
    packet.ts_ns = 1'262'304'000'500'000'000;
    packet.frame = 1;
    decode(packet, decoded);
  }
  void add(std::string_view name, const FieldValue& v) {
    if (const FieldDef* f = find_field(name)) app.add(*f, v);
    decoded.app = &app;
  }
};

std::vector<Sample>& samples() {
  static std::vector<Sample>* s = [] {
    auto* v = new std::vector<Sample>();
    v->reserve(4);
    const std::string http = "GET /index.html HTTP/1.1\r\nHost: Www.Example.COM\r\nUser-Agent: curl/8\r\n\r\n";
    Bytes8 tcp = {0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0xfa, 0xf0, 0, 0, 0, 0};
    v->emplace_back(cat({eth(0x0800), ipv4(6, tcp.size() + http.size()), tcp, text(http)}), linktype::kEthernet);
    Sample& h = v->back();
    h.add("http.request.method", FieldValue::of_string("GET"));
    h.add("http.host", FieldValue::of_string("Www.Example.COM"));
    h.add("http.request.uri", FieldValue::of_string("/index.html"));
    h.add("http.user_agent", FieldValue::of_string("curl/8"));

    Bytes8 dns = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 3, 'w', 'w', 'w', 6, 'g', 'o', 'o', 'g', 'l', 'e',
                  3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    Bytes8 udp = {0, 53, 0xd4, 0x31, 0, 0, 0, 0};
    be16(udp, 4, static_cast<std::uint16_t>(8 + dns.size()));
    v->emplace_back(cat({eth(0x86dd), ipv6(17, udp.size() + dns.size()), udp, dns}), linktype::kEthernet);
    Sample& d = v->back();
    const std::uint8_t a1[4] = {8, 8, 8, 8}, a2[4] = {8, 8, 4, 4};
    d.add("dns.qry.name", FieldValue::of_string("www.google.com"));
    d.add("dns.flags.response", FieldValue::of_bool(true));
    d.add("dns.a", FieldValue::of_ipv4(a1));
    d.add("dns.a", FieldValue::of_ipv4(a2));
    d.add("dns.resp.ttl", FieldValue::of_uint(300));

    Bytes8 arp = {0, 1, 8, 0, 6, 4, 0, 2, 0x00, 0x0c, 0x29, 0x12, 0x34, 0x56, 10, 0, 0, 1,
                  0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 10, 0, 0, 2};
    v->emplace_back(cat({eth(0x0806), arp}), linktype::kEthernet);
    v->emplace_back(Bytes8{0x45, 0}, linktype::kEthernet);  // truncated: nearly every field absent
    return v;
  }();
  return *s;
}

struct Records {
  SessionRecord conn_full, conn_empty;
  DnsLogRecord dns_full, dns_empty;
  HttpLogRecord http_full, http_empty;
  SslLogRecord ssl_full, ssl_empty;
  SshLogRecord ssh_full, ssh_empty;
  detect::Alert alert_full, alert_empty;
};

const Records& records() {
  static const Records* r = [] {
    auto* x = new Records();
    x->conn_full.ts_ns = 1'700'000'000'000'000'000;
    x->conn_full.last_ns = x->conn_full.ts_ns + 5'000'000'000;
    x->conn_full.orig_h.bytes = {10, 0, 0, 5};
    x->conn_full.resp_h.bytes = {203, 0, 113, 9};
    x->conn_full.orig_p = 50000;
    x->conn_full.resp_p = 443;
    x->conn_full.proto = Transport::kTcp;
    x->conn_full.orig_bytes = 5'000'000;
    x->conn_full.resp_bytes = 2'000;
    std::snprintf(x->conn_full.uid.data(), x->conn_full.uid.size(), "CabcDEF123");
    std::snprintf(x->conn_full.history.data(), x->conn_full.history.size(), "ShADadFf");
    x->dns_full.has_query = true;
    x->dns_full.query = "a9f3k2q8z7x1.tunnel.Example.co.uk";
    x->dns_full.has_rcode = true;
    x->dns_full.answers = {"10.1.2.3", "mail.example.co.uk"};
    x->dns_full.TTLs = {60, 3600};
    x->http_full.method = "POST";
    x->http_full.host = "example.com";
    x->http_full.uri = "/upload?x=1";
    x->http_full.user_agent = "Mozilla/5.0";
    x->http_full.status_code = 200;
    x->http_full.has_request = x->http_full.has_response = true;
    x->ssl_full.version = "TLSv13";
    x->ssl_full.has_sni = true;
    x->ssl_full.server_name = "example.org";
    x->ssl_full.ja3 = "771,4865-4866,0-23,29,0";
    x->ssh_full.version = 2;
    x->ssh_full.client = "SSH-2.0-OpenSSH_9.2";
    x->alert_full.detector = "dns_tunnel";
    x->alert_full.src = x->conn_full.orig_h;
    x->alert_full.dst_port = 53;
    x->alert_full.uids = {"CabcDEF123", "Cxyz"};
    x->alert_full.frames = {1, 5, 9};
    x->alert_full.value = 4.5;
    x->alert_full.message = "entropy 4.5 > 3.5";
    return x;
  }();
  return *r;
}

void evaluate(const filter::Filter& f, filter::Subject s) {
  const Records& r = records();
  switch (s) {
    case filter::Subject::kPacket:
      for (const Sample& p : samples()) (void)f.matches(p.decoded);
      break;
    case filter::Subject::kConn: (void)f.matches(r.conn_full), (void)f.matches(r.conn_empty); break;
    case filter::Subject::kDns: (void)f.matches(r.dns_full), (void)f.matches(r.dns_empty); break;
    case filter::Subject::kHttp: (void)f.matches(r.http_full), (void)f.matches(r.http_empty); break;
    case filter::Subject::kSsl: (void)f.matches(r.ssl_full), (void)f.matches(r.ssl_empty); break;
    case filter::Subject::kSsh: (void)f.matches(r.ssh_full), (void)f.matches(r.ssh_empty); break;
    case filter::Subject::kAlert:
      (void)f.matches_raw(s, &r.alert_full);
      (void)f.matches_raw(s, &r.alert_empty);
      break;
  }
}

}  // namespace

namespace pcapscope::fuzz {

void fuzz_filter(const std::uint8_t* data, std::size_t size) {
  const std::string_view expr(reinterpret_cast<const char*>(data), size);
  for (filter::Subject s : {filter::Subject::kPacket, filter::Subject::kConn, filter::Subject::kDns,
                            filter::Subject::kHttp, filter::Subject::kSsl, filter::Subject::kSsh,
                            filter::Subject::kAlert}) {
    auto compiled = filter::Filter::compile(expr, s);
    if (auto* e = std::get_if<filter::CompileError>(&compiled)) {
      check(e->column <= size, "error column beyond the expression");
      check(!e->message.empty(), "error without a message");
      check(!e->render(expr).empty(), "empty rendering");
      continue;
    }
    const filter::Filter& f = std::get<filter::Filter>(compiled);
    check(f.subject() == s, "filter compiled for another subject");
    evaluate(f, s);
    evaluate(f, s);  // twice: scratch buffers reused from the first run
  }
}

}  // namespace pcapscope::fuzz
