#include "proto/app_fields.h"

#include <array>
#include <span>

#include "decode/dispatch.h"

namespace pcapscope {
namespace {

// Values come from DecodedPacket::app (get_field looks there for app fields).
FieldValue from_app(const DecodedPacket&, const Layer&) { return FieldValue::absent(); }

// Order and names follow proto::AppField; types as tshark prints them
// (dns.id in hex, dns.flags.response as 1/0, dns.a as an address ...).
constexpr std::array<FieldDef, static_cast<std::size_t>(proto::AppField::kCount)> kAppFields = {{
    {"dns.id", FieldType::kUInt, Proto::kFrame, from_app, "DNS transaction ID", true, 4, true},
    {"dns.flags.response", FieldType::kBool, Proto::kFrame, from_app, "DNS message is a response", false, 0, true},
    {"dns.flags.rcode", FieldType::kUInt, Proto::kFrame, from_app, "DNS reply code", false, 0, true},
    {"dns.qry.name", FieldType::kString, Proto::kFrame, from_app, "DNS query name", false, 0, true},
    {"dns.qry.type", FieldType::kUInt, Proto::kFrame, from_app, "DNS query type", false, 0, true},
    {"dns.a", FieldType::kIpv4, Proto::kFrame, from_app, "DNS A record address", false, 0, true},
    {"dns.aaaa", FieldType::kIpv6, Proto::kFrame, from_app, "DNS AAAA record address", false, 0, true},
    {"dns.resp.ttl", FieldType::kUInt, Proto::kFrame, from_app, "DNS resource record TTL", false, 0, true},
    {"http.request.method", FieldType::kString, Proto::kFrame, from_app, "HTTP request method", false, 0, true},
    {"http.host", FieldType::kString, Proto::kFrame, from_app, "HTTP Host header", false, 0, true},
    {"http.request.uri", FieldType::kString, Proto::kFrame, from_app, "HTTP request URI", false, 0, true},
    {"http.user_agent", FieldType::kString, Proto::kFrame, from_app, "HTTP User-Agent header", false, 0, true},
    {"http.response.code", FieldType::kUInt, Proto::kFrame, from_app, "HTTP response status code", false, 0, true},
    {"tls.handshake.type", FieldType::kUInt, Proto::kFrame, from_app, "TLS handshake message type", false, 0, true},
    {"tls.handshake.extensions_server_name", FieldType::kString, Proto::kFrame, from_app, "TLS SNI host name", false, 0,
     true},
    {"tls.handshake.ja3", FieldType::kString, Proto::kFrame, from_app, "JA3 fingerprint of a ClientHello (MD5)", false,
     0, true},
    {"tls.handshake.ja3s", FieldType::kString, Proto::kFrame, from_app, "JA3S fingerprint of a ServerHello (MD5)",
     false, 0, true},
    {"tls.handshake.ja4", FieldType::kString, Proto::kFrame, from_app, "JA4 fingerprint of a ClientHello", false, 0,
     true},
    {"ssh.protocol", FieldType::kString, Proto::kFrame, from_app, "SSH version banner", false, 0, true},
}};

}  // namespace

namespace decode_detail {
std::span<const FieldDef> app_fields() { return kAppFields; }
}  // namespace decode_detail

namespace proto {
// The registry copies the table; its copies are the ones find_field hands out
// and AppFieldValues entries must point to, so look them up once by name.
const FieldDef& app_field(AppField f) {
  static const std::array<const FieldDef*, kAppFields.size()> resolved = [] {
    std::array<const FieldDef*, kAppFields.size()> r{};
    for (std::size_t i = 0; i < kAppFields.size(); ++i) r[i] = find_field(kAppFields[i].name);
    return r;
  }();
  return *resolved[static_cast<std::size_t>(f)];
}
}  // namespace proto

}  // namespace pcapscope
