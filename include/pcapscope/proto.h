// Protocol stage: application records over the session stage.
//
// ProtocolStage is a SessionObserver. Given to a SessionTable, it identifies
// each session's application from its first bytes (HTTP, TLS, SSH, DNS on
// any port; the port is only a hint), feeds the reassembled streams and the
// datagrams to bounded parsers, and emits records named and shaped like
// Zeek's dns.log, http.log, ssl.log and ssh.log. Session records pass
// through to the next observer with `service` filled and, when the content
// is not what the responder's port says, session_flag::kServiceMismatch set.
//
// Everything is bounded per session (pending DNS queries, HTTP transactions
// in flight, one TLS record, one SSH packet) and parsers never trust a
// length; a parser that gives up on a session only stops that session.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/fields.h"
#include "pcapscope/session.h"

namespace pcapscope {

// Zeek's conn_id: the id.* fields of every record.
struct ConnTuple {
  IpAddress orig_h, resp_h;
  std::uint16_t orig_p = 0, resp_p = 0;
  Transport proto = Transport::kUnknown;
};

// What every record has: when, which session, which frame (evidence that
// `pcapscope packets` can open).
struct RecordHeader {
  std::int64_t ts_ns = 0;
  std::array<char, 20> uid{};  // the session's uid, NUL-terminated
  ConnTuple id;
  std::uint64_t frame = 0;     // frame of the first message of the record
  std::string_view uid_view() const { return uid.data(); }
};

// dns.log. Optional Zeek fields are unset when their has_* flag is false.
struct DnsLogRecord : RecordHeader {
  std::uint16_t trans_id = 0;
  bool has_rtt = false;
  std::int64_t rtt_ns = 0;
  bool has_query = false;        // query, qclass, qtype come from the question
  std::string query;
  std::uint16_t qclass = 0, qtype = 0;
  bool has_rcode = false;        // rcode and the flags below come from the response
  std::uint16_t rcode = 0;
  bool AA = false, TC = false, RD = false, RA = false;
  std::uint8_t Z = 0;            // the three bits after RA: Z, AD, CD
  std::vector<std::string> answers;  // answer section, rendered (A, AAAA, CNAME, ...)
  std::vector<std::uint32_t> TTLs;   // seconds, one per answer
  bool rejected = false;         // a response with no records at all (Zeek's dns_rejected)
  std::uint64_t response_frame = 0;
};

// http.log.
struct HttpLogRecord : RecordHeader {
  unsigned trans_depth = 0;
  std::string method, host, uri, referrer, version, user_agent;
  std::uint64_t request_body_len = 0, response_body_len = 0;
  int status_code = 0;           // 0: no response
  std::string status_msg;
  std::string request_content_type, response_content_type;  // Content-Type headers as sent
  bool has_request = false, has_response = false;
  // From "Authorization: Basic" (Zeek's username; its password is never kept,
  // only that one was sent). Raw bytes as decoded, at most 256.
  std::string username;
  bool password_seen = false;
};

// ssl.log, with JA3/JA3S/JA4 as the common Zeek packages add them.
struct SslLogRecord : RecordHeader {
  std::string version;           // Zeek's names: "TLSv12", "TLSv13", "SSLv3" ...; empty: no hello
  std::string cipher;            // IANA name ("TLS_AES_128_GCM_SHA256"), "unknown-<n>" otherwise
  bool has_sni = false;
  std::string server_name;
  std::string next_protocol;     // ALPN protocol the server chose
  bool established = false;      // both sides switched to encrypted records
  bool client_hello = false, server_hello = false;
  std::string ja3, ja3s, ja4;    // empty when the hello was not seen
};

// ssh.log.
struct SshLogRecord : RecordHeader {
  unsigned version = 0;          // 1 or 2 (0: unknown)
  enum class Auth : std::uint8_t { kUnset, kFailure, kSuccess } auth_success = Auth::kUnset;
  unsigned auth_attempts = 0;
  std::string client, server;    // banners without the trailing CR LF
  std::string cipher_alg, mac_alg, compression_alg, kex_alg, host_key_alg;  // negotiated (client to server)
};

// Where records go. Records are valid during the call only.
class ProtocolObserver {
 public:
  virtual ~ProtocolObserver() = default;
  virtual void on_dns(const DnsLogRecord&) {}
  virtual void on_http(const HttpLogRecord&) {}
  virtual void on_ssl(const SslLogRecord&) {}
  virtual void on_ssh(const SshLogRecord&) {}
  // A protocol field (dns.qry.name, tls.handshake.ja3 ...) found in FRAME, the
  // frame whose arrival completed the message, which is where tshark shows
  // it. Only when ProtocolOptions::frame_fields is set. V's strings live for
  // the call only.
  virtual void on_frame_field(std::uint64_t /*frame*/, const FieldDef& /*field*/, const FieldValue& /*v*/) {}
  // A parser noticed something wrong ("dns_name_loop", "http_bad_chunk_size" ...).
  virtual void on_problem(std::string_view /*uid*/, std::string_view /*name*/) {}
};

struct ProtocolOptions {
  bool frame_fields = false;         // report per-frame fields (costs formatting per message)
  std::size_t max_pending_dns = 64;  // unanswered DNS queries kept per session
};

struct ProtocolStats {
  std::uint64_t sessions_identified = 0;
  std::uint64_t dns = 0, http = 0, ssl = 0, ssh = 0;  // records emitted
  std::uint64_t service_mismatch = 0;
  std::uint64_t problems = 0;
};

class ProtocolStageImpl;

class ProtocolStage final : public SessionObserver {
 public:
  // RECORDS receives the application records; NEXT (may be null) receives
  // everything a SessionObserver gets, with service filled on session ends.
  ProtocolStage(ProtocolOptions options, ProtocolObserver* records, SessionObserver* next = nullptr);
  ~ProtocolStage() override;
  ProtocolStage(const ProtocolStage&) = delete;
  ProtocolStage& operator=(const ProtocolStage&) = delete;

  void on_session_end(const SessionRecord& rec) override;
  void on_session_ending(const SessionRecord& rec) override;
  void on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) override;
  void on_datagram(const SessionRecord& rec, bool from_orig, Bytes payload, const Packet& pkt) override;
  session::StreamReceiver* stream_receiver(const SessionRecord& rec, bool orig) override;
  void on_anomaly(const Packet& pkt, std::string_view uid, std::string_view name) override;

  const ProtocolStats& stats() const;

 private:
  ProtocolStageImpl* impl_;
};



}  // namespace pcapscope
