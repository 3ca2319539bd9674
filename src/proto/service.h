// Service identification: what a session's first bytes say it speaks, and
// which ports each service is expected on.
//
// Content decides (as Zeek's dynamic protocol detection and Suricata's
// app-layer probing do); the port is a hint only for DNS over TCP, whose
// first bytes (a length and a header) are too weak a signature on their own.
// A direction is classified from at most kHeadBytes bytes, however the TCP
// segments cut them (a 1-byte first segment waits for more).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pcapscope/session.h"

namespace pcapscope::proto {

enum class Service : std::uint8_t { kNone = 0, kDns, kHttp, kSsl, kSsh, kQuic };
std::string_view service_name(Service s);  // Zeek's names: "dns", "http", "ssl", "ssh", "quic"

// What the start of one TCP direction looks like.
enum class HeadVerdict : std::uint8_t {
  kNeedMore,      // a prefix of some signature: wait for more bytes
  kUnknown,       // none of ours
  kHttpRequest,   // "GET /...", "POST ...": a method, a space, then the target
  kHttpResponse,  // "HTTP/1.x "
  kTls,           // a TLS record header (handshake, alert, CCS or application data; version 3.x)
  kSsh,           // "SSH-"
  kDnsTcp,        // 2-byte length + plausible DNS header, only on a DNS port
};

inline constexpr std::size_t kHeadBytes = 16;

// HEAD: the first bytes of the direction (up to kHeadBytes). FINAL: no more
// bytes will come before a decision is needed (gap, close): a prefix that
// still matches counts as unknown. DNS_PORT: the session is on a DNS port.
HeadVerdict classify_head(std::span<const std::uint8_t> head, bool final, bool dns_port);

Service service_of(HeadVerdict v);

// Whether a UDP payload is a DNS message by content alone (no port hint):
// one question, a sane opcode, a known query type, every count consumed
// and nothing left over. Strict on purpose: random UDP must not pass.
bool looks_like_dns(std::span<const std::uint8_t> payload);

// The service a responder port is registered for (Zeek's likely_server_ports
// of its analyzers), or kNone.
Service port_service(Transport proto, std::uint16_t port);

// An interned list of service names ("http", "ssl,http"): stable storage for
// SessionRecord::service, which records keep after the stage is gone.
std::string_view intern_service(std::string_view list);

}  // namespace pcapscope::proto
