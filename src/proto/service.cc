#include "proto/service.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>

#include "proto/dns/dns_message.h"

namespace pcapscope::proto {
namespace {

// Methods of RFC 9110, RFC 5789 and WebDAV (RFC 4918, 3253), which Zeek's and
// Suricata's HTTP probes also accept. Each is followed by one space.
constexpr std::string_view kMethods[] = {
    "GET",    "POST",   "HEAD",     "PUT",       "DELETE", "OPTIONS", "CONNECT",  "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY",    "MOVE",   "LOCK",    "UNLOCK",   "SEARCH", "REPORT",
    "CHECKOUT", "MERGE",  "MKACTIVITY", "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "POLL", "BCOPY", "BDELETE",
    "BMOVE", "BPROPFIND", "BPROPPATCH", "ACL", "LABEL", "UPDATE", "VERSION-CONTROL", "BASELINE-CONTROL",
};

// Compares HEAD with the signature SIG: kMatch when SIG is all there,
// kPrefix when HEAD is a (short) prefix of it, kNo otherwise.
enum class Cmp { kNo, kPrefix, kMatch };
Cmp compare(std::span<const std::uint8_t> head, std::string_view sig) {
  const std::size_t n = std::min(head.size(), sig.size());
  for (std::size_t i = 0; i < n; ++i)
    if (head[i] != static_cast<std::uint8_t>(sig[i])) return Cmp::kNo;
  return head.size() >= sig.size() ? Cmp::kMatch : Cmp::kPrefix;
}

// Most heads are not HTTP: one table lookup on the first byte spares them
// the comparison with every method.
constexpr std::array<bool, 256> kMethodInitials = [] {
  std::array<bool, 256> t{};
  for (std::string_view m : kMethods) t[static_cast<unsigned char>(m[0])] = true;
  return t;
}();

HeadVerdict http_request(std::span<const std::uint8_t> head) {
  if (head.empty()) return HeadVerdict::kNeedMore;
  if (!kMethodInitials[head[0]]) return HeadVerdict::kUnknown;
  bool prefix = false;
  for (std::string_view m : kMethods) {
    switch (compare(head, m)) {
      case Cmp::kNo: break;
      case Cmp::kPrefix: prefix = true; break;
      case Cmp::kMatch:
        // "GET" then a space then a target that is not another space.
        if (head.size() < m.size() + 2) {
          if (head.size() == m.size() || head[m.size()] == ' ') prefix = true;
          break;
        }
        if (head[m.size()] == ' ' && head[m.size() + 1] > ' ' && head[m.size() + 1] < 0x7f)
          return HeadVerdict::kHttpRequest;
        break;
    }
  }
  return prefix ? HeadVerdict::kNeedMore : HeadVerdict::kUnknown;
}

HeadVerdict http_response(std::span<const std::uint8_t> head) {
  switch (compare(head, "HTTP/1.")) {
    case Cmp::kNo: return HeadVerdict::kUnknown;
    case Cmp::kPrefix: return HeadVerdict::kNeedMore;
    case Cmp::kMatch: break;
  }
  if (head.size() < 9) return HeadVerdict::kNeedMore;
  return (head[7] == '0' || head[7] == '1') && head[8] == ' ' ? HeadVerdict::kHttpResponse : HeadVerdict::kUnknown;
}

// TLS record header: type 20..23, version 3.0..3.4 (and the 0x0301 of
// ClientHellos); for a handshake, the first message must be a hello.
HeadVerdict tls(std::span<const std::uint8_t> head) {
  if (head.empty()) return HeadVerdict::kNeedMore;
  if (head[0] < 20 || head[0] > 23) return HeadVerdict::kUnknown;
  if (head.size() < 2) return HeadVerdict::kNeedMore;
  if (head[1] != 3) return HeadVerdict::kUnknown;
  if (head.size() < 3) return HeadVerdict::kNeedMore;
  if (head[2] > 4) return HeadVerdict::kUnknown;
  if (head.size() < 5) return HeadVerdict::kNeedMore;
  const unsigned len = (unsigned{head[3]} << 8) | head[4];
  if (len == 0 || len > (1u << 14) + 2048) return HeadVerdict::kUnknown;
  if (head[0] != 22) return HeadVerdict::kTls;
  if (head.size() < 6) return HeadVerdict::kNeedMore;
  return head[5] == 1 || head[5] == 2 ? HeadVerdict::kTls : HeadVerdict::kUnknown;
}

HeadVerdict dns_tcp(std::span<const std::uint8_t> head) {
  if (head.size() < 2 + 12) return HeadVerdict::kNeedMore;
  const unsigned len = (unsigned{head[0]} << 8) | head[1];
  const unsigned opcode = (head[4] >> 3) & 0xf;
  const unsigned qd = (unsigned{head[6]} << 8) | head[7];
  if (len < 12 || opcode > 6 || qd > 16) return HeadVerdict::kUnknown;
  return HeadVerdict::kDnsTcp;
}

}  // namespace

std::string_view service_name(Service s) {
  switch (s) {
    case Service::kDns: return "dns";
    case Service::kHttp: return "http";
    case Service::kSsl: return "ssl";
    case Service::kSsh: return "ssh";
    case Service::kQuic: return "quic";
    case Service::kNone: break;
  }
  return "";
}

HeadVerdict classify_head(std::span<const std::uint8_t> head, bool final, bool dns_port) {
  if (head.size() > kHeadBytes) head = head.first(kHeadBytes);
  bool need_more = false;
  for (HeadVerdict v : {tls(head), http_request(head), http_response(head)}) {
    if (v == HeadVerdict::kNeedMore) need_more = true;
    else if (v != HeadVerdict::kUnknown) return v;
  }
  switch (compare(head, "SSH-")) {
    case Cmp::kMatch: return HeadVerdict::kSsh;
    case Cmp::kPrefix: need_more = true; break;
    case Cmp::kNo: break;
  }
  if (dns_port) {
    const HeadVerdict v = dns_tcp(head);
    if (v == HeadVerdict::kNeedMore) need_more = true;
    else if (v != HeadVerdict::kUnknown) return v;
  }
  return need_more && !final && head.size() < kHeadBytes ? HeadVerdict::kNeedMore : HeadVerdict::kUnknown;
}

Service service_of(HeadVerdict v) {
  switch (v) {
    case HeadVerdict::kHttpRequest:
    case HeadVerdict::kHttpResponse: return Service::kHttp;
    case HeadVerdict::kTls: return Service::kSsl;
    case HeadVerdict::kSsh: return Service::kSsh;
    case HeadVerdict::kDnsTcp: return Service::kDns;
    default: return Service::kNone;
  }
}

bool looks_like_dns(std::span<const std::uint8_t> payload) {
  if (payload.size() < 17 || payload.size() > 4096) return false;
  const unsigned opcode = (payload[2] >> 3) & 0xf;
  const bool z = payload[3] & 0x40;
  const unsigned qd = (unsigned{payload[4]} << 8) | payload[5];
  if (opcode != 0 || z || qd != 1) return false;
  thread_local dns::DnsMessage msg;
  if (!dns::parse_message(payload, msg) || !msg.problems.empty()) return false;
  if (msg.questions().size() != 1) return false;
  const dns::DnsQuestion& q = msg.questions()[0];
  if (q.name.empty() || dns::qtype_name(q.qtype).empty()) return false;
  if (q.qclass != 1 && (q.qclass & 0x7fff) != 1 && q.qclass != 255) return false;  // IN (mDNS sets the top bit)
  return msg.answers().size() == msg.ancount && msg.authority().size() == msg.nscount &&
         msg.additional().size() == msg.arcount;
}

Service port_service(Transport proto, std::uint16_t port) {
  // Zeek's analyzers' registered ports (base/protocols/*/main.zeek), with the
  // HTTP proxy ports and the implicit-TLS ports of RFC 8314 and friends.
  static constexpr std::uint16_t kHttp[] = {80, 81, 631, 1080, 3128, 8000, 8080, 8888};
  static constexpr std::uint16_t kSsl[] = {261, 443, 448, 465, 563, 585, 614, 636, 853, 989, 990,
                                           992, 993, 994, 995, 5061, 5223, 8443};
  static constexpr std::uint16_t kDns[] = {53, 5353, 5355};
  auto in = [port](const auto& list) { return std::find(std::begin(list), std::end(list), port) != std::end(list); };
  if (proto == Transport::kUdp) return in(kDns) ? Service::kDns : port == 443 ? Service::kQuic : Service::kNone;
  if (proto != Transport::kTcp) return Service::kNone;
  if (port == 22) return Service::kSsh;
  if (in(kDns)) return Service::kDns;  // DNS over TCP: RFC 7766; mDNS and LLMNR allow it too
  if (in(kHttp)) return Service::kHttp;
  if (in(kSsl)) return Service::kSsl;
  return Service::kNone;
}

std::string_view intern_service(std::string_view list) {
  // Few distinct lists exist (combinations of four names); a set keeps each once.
  static std::mutex mu;
  static std::set<std::string, std::less<>> names;
  std::lock_guard lock(mu);
  auto it = names.find(list);
  if (it == names.end()) it = names.emplace(list).first;
  return *it;
}

}  // namespace pcapscope::proto
