// The field tables of dns.log, http.log, ssl.log and ssh.log: Zeek's names,
// order and types (as in the #types lines Zeek writes), and Zeek's rule for
// when each field is unset.
#include <fmt/format.h>

#include "output/proto_log_schema.h"
#include "proto/dns/dns_message.h"

namespace pcapscope::logschema {
namespace {

using V = Value;

// ts, uid and the conn_id every record starts with.
template <class R>
std::vector<Field<R>> conn_fields(std::string_view ts_description) {
  return {
      {"ts", "time", ts_description, [](const R& r, V& v, std::string&) { v.set_time(r.ts_ns); }},
      {"uid", "string", "Session id (as in sessions' uid)",
       [](const R& r, V& v, std::string&) { v.set_string(r.uid_view()); }},
      {"id.orig_h", "addr", "Originator address", [](const R& r, V& v, std::string&) { v.set_addr(r.id.orig_h); }},
      {"id.orig_p", "port", "Originator port", [](const R& r, V& v, std::string&) { v.set_port(r.id.orig_p); }},
      {"id.resp_h", "addr", "Responder address", [](const R& r, V& v, std::string&) { v.set_addr(r.id.resp_h); }},
      {"id.resp_p", "port", "Responder port", [](const R& r, V& v, std::string&) { v.set_port(r.id.resp_p); }},
  };
}

template <class R>
void append(std::vector<Field<R>>& to, std::vector<Field<R>> more) {
  to.insert(to.end(), more.begin(), more.end());
}

}  // namespace

std::string_view dns_qtype_name(std::uint16_t qtype, std::string& scratch) {
  std::string_view n = proto::dns::qtype_name(qtype);
  if (!n.empty()) return n;
  scratch = fmt::format("query-{}", qtype);  // Zeek's DNS::query_types &default
  return scratch;
}

std::string_view dns_rcode_name(std::uint16_t rcode, std::string& scratch) {
  std::string_view n = proto::dns::rcode_name(rcode);
  if (!n.empty()) return n;
  // Zeek's DNS::base_errors names 11..15 "unassigned-<n>"; its &default is "rcode-<n>".
  scratch = fmt::format("{}-{}", rcode >= 11 && rcode <= 15 ? "unassigned" : "rcode", rcode);
  return scratch;
}

std::string_view dns_qclass_name(std::uint16_t qclass, std::string& scratch) {
  std::string_view n = proto::dns::qclass_name(qclass);
  if (!n.empty()) return n;
  scratch = fmt::format("qclass-{}", qclass);  // Zeek's DNS::classes &default
  return scratch;
}

const Schema<DnsLogRecord>& dns_schema() {
  using R = DnsLogRecord;
  static const Schema<R> kSchema = [] {
    Schema<R> s{"dns", conn_fields<R>("Time of the query (of the response when no query was seen)"), {}};
    append<R>(s.fields, {
        {"proto", "enum", "Transport protocol",
         [](const R& r, V& v, std::string&) { v.set_enum(transport_name(r.id.proto)); }},
        {"trans_id", "count", "DNS transaction id", [](const R& r, V& v, std::string&) { v.set_count(r.trans_id); }},
        {"rtt", "interval", "Query to response time",
         [](const R& r, V& v, std::string&) {
           if (r.has_rtt) v.set_interval(r.rtt_ns);
         }},
        {"query", "string", "Name queried",
         [](const R& r, V& v, std::string&) {
           if (r.has_query) v.set_string(r.query);
         }},
        {"qclass", "count", "Query class",
         [](const R& r, V& v, std::string&) {
           if (r.has_query) v.set_count(r.qclass);
         }},
        {"qclass_name", "string", "Query class name",
         [](const R& r, V& v, std::string& sc) {
           if (r.has_query) v.set_enum(dns_qclass_name(r.qclass, sc));
         }},
        {"qtype", "count", "Query type",
         [](const R& r, V& v, std::string&) {
           if (r.has_query) v.set_count(r.qtype);
         }},
        {"qtype_name", "string", "Query type name",
         [](const R& r, V& v, std::string& sc) {
           if (r.has_query) v.set_enum(dns_qtype_name(r.qtype, sc));
         }},
        {"rcode", "count", "Response code",
         [](const R& r, V& v, std::string&) {
           if (r.has_rcode) v.set_count(r.rcode);
         }},
        {"rcode_name", "string", "Response code name",
         [](const R& r, V& v, std::string& sc) {
           if (r.has_rcode) v.set_enum(dns_rcode_name(r.rcode, sc));
         }},
        {"AA", "bool", "Authoritative answer", [](const R& r, V& v, std::string&) { v.set_bool(r.AA); }},
        {"TC", "bool", "Truncated", [](const R& r, V& v, std::string&) { v.set_bool(r.TC); }},
        {"RD", "bool", "Recursion desired", [](const R& r, V& v, std::string&) { v.set_bool(r.RD); }},
        {"RA", "bool", "Recursion available", [](const R& r, V& v, std::string&) { v.set_bool(r.RA); }},
        {"Z", "count", "The three bits after RA (Z, AD, CD)", [](const R& r, V& v, std::string&) { v.set_count(r.Z); }},
        {"answers", "vector[string]", "Answer section, rendered",
         [](const R& r, V& v, std::string&) {
           if (!r.answers.empty()) v.set_strings(r.answers);
         }},
        {"TTLs", "vector[interval]", "TTL of each answer",
         [](const R& r, V& v, std::string&) {
           if (!r.TTLs.empty()) v.set_intervals(r.TTLs);
         }},
        {"rejected", "bool", "A response with no records at all",
         [](const R& r, V& v, std::string&) { v.set_bool(r.rejected); }},
    });
    s.text = {{"proto", 5}, {"query", 32}, {"qtype_name", 6}, {"rcode_name", 9}, {"rtt", 9, true}, {"answers", 0}};
    return s;
  }();
  return kSchema;
}

const Schema<HttpLogRecord>& http_schema() {
  using R = HttpLogRecord;
  static const Schema<R> kSchema = [] {
    Schema<R> s{"http", conn_fields<R>("Time of the request (of the response when no request was seen)"), {}};
    append<R>(s.fields, {
        {"trans_depth", "count", "Position of the transaction in the session (1: first)",
         [](const R& r, V& v, std::string&) { v.set_count(r.trans_depth); }},
        {"method", "string", "Request method", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.method); }},
        {"host", "string", "Host header", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.host); }},
        {"uri", "string", "Request target as sent", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.uri); }},
        {"referrer", "string", "Referer header",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.referrer); }},
        {"version", "string", "HTTP version", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.version); }},
        {"user_agent", "string", "User-Agent header",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.user_agent); }},
        {"request_body_len", "count", "Request body bytes (decoded from chunking)",
         [](const R& r, V& v, std::string&) { v.set_count(r.request_body_len); }},
        {"response_body_len", "count", "Response body bytes (decoded from chunking)",
         [](const R& r, V& v, std::string&) { v.set_count(r.response_body_len); }},
        {"status_code", "count", "Response status code",
         [](const R& r, V& v, std::string&) {
           if (r.status_code > 0) v.set_count(static_cast<std::uint64_t>(r.status_code));
         }},
        {"status_msg", "string", "Response reason phrase",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.status_msg); }},
        {"request_content_type", "string", "Request Content-Type header (ours; Zeek sniffs orig_mime_types)",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.request_content_type); }},
        {"response_content_type", "string", "Response Content-Type header (ours; Zeek sniffs resp_mime_types)",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.response_content_type); }},
    });
    s.text = {{"method", 7}, {"host", 24}, {"uri", 40}, {"status_code", 3, true}, {"response_body_len", 10, true},
              {"user_agent", 0}};
    return s;
  }();
  return kSchema;
}

const Schema<SslLogRecord>& ssl_schema() {
  using R = SslLogRecord;
  static const Schema<R> kSchema = [] {
    Schema<R> s{"ssl", conn_fields<R>("Time of the first hello"), {}};
    append<R>(s.fields, {
        {"version", "string", "Protocol version negotiated (TLSv12, TLSv13 ...)",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.version); }},
        {"cipher", "string", "Cipher suite the server chose",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.cipher); }},
        {"server_name", "string", "Server name the client asked for (SNI)",
         [](const R& r, V& v, std::string&) {
           if (r.has_sni) v.set_string(r.server_name);
         }},
        {"next_protocol", "string", "Application protocol the server chose (ALPN)",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.next_protocol); }},
        {"established", "bool", "Both sides switched to encrypted records",
         [](const R& r, V& v, std::string&) { v.set_bool(r.established); }},
        {"ja3", "string", "JA3 of the ClientHello", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.ja3); }},
        {"ja3s", "string", "JA3S of the ServerHello",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.ja3s); }},
        {"ja4", "string", "JA4 of the ClientHello", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.ja4); }},
    });
    s.text = {{"version", 7}, {"established", 3}, {"server_name", 30}, {"next_protocol", 8}, {"cipher", 0}};
    return s;
  }();
  return kSchema;
}

const Schema<SshLogRecord>& ssh_schema() {
  using R = SshLogRecord;
  static const Schema<R> kSchema = [] {
    Schema<R> s{"ssh", conn_fields<R>("Time of the first banner"), {}};
    append<R>(s.fields, {
        {"version", "count", "SSH major version (1 or 2)",
         [](const R& r, V& v, std::string&) {
           if (r.version) v.set_count(r.version);
         }},
        {"auth_success", "bool", "Authentication result as inferred from the encrypted packets",
         [](const R& r, V& v, std::string&) {
           if (r.auth_success != SshLogRecord::Auth::kUnset) v.set_bool(r.auth_success == SshLogRecord::Auth::kSuccess);
         }},
        {"auth_attempts", "count", "Authentication attempts seen",
         [](const R& r, V& v, std::string&) { v.set_count(r.auth_attempts); }},
        // Zeek's INBOUND/OUTBOUND needs local networks; we have none configured yet.
        {"direction", "enum", "Direction relative to local networks (unset: none configured)",
         [](const R&, V&, std::string&) {}},
        {"client", "string", "Client banner", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.client); }},
        {"server", "string", "Server banner", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.server); }},
        {"cipher_alg", "string", "Encryption algorithm negotiated",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.cipher_alg); }},
        {"mac_alg", "string", "MAC algorithm negotiated",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.mac_alg); }},
        {"compression_alg", "string", "Compression algorithm negotiated",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.compression_alg); }},
        {"kex_alg", "string", "Key exchange algorithm negotiated",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.kex_alg); }},
        {"host_key_alg", "string", "Server host key algorithm",
         [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.host_key_alg); }},
    });
    s.text = {{"version", 1, true}, {"auth_success", 1}, {"auth_attempts", 3, true}, {"client", 32}, {"server", 0}};
    return s;
  }();
  return kSchema;
}

}  // namespace pcapscope::logschema
