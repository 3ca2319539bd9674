// TLS record reassembly (one direction of a TCP stream) and ClientHello /
// ServerHello parsing.
//
// TlsRecordReader is fed the stream in order (on_data with stream offsets, as
// reassembly delivers it) and hands every complete handshake message to a
// callback, however records and TCP segments cut it. It is bounded (one
// record, one handshake message) and never throws: garbage, an oversized
// length or a gap stops the direction with a named problem, because record
// boundaries cannot be found again without guessing.
//
// The hello structs own copies of their bytes (hellos are a few per
// connection), so they outlive the stream buffers they were parsed from.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/result.h"

namespace pcapscope::proto::tls {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kMaxRecordPayload = (1u << 14) + 2048;  // TLSCiphertext limit (RFC 8446 5.2)
inline constexpr std::size_t kMaxHandshakeMessage = 64 * 1024;

enum class ContentType : std::uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
};

enum class HandshakeType : std::uint8_t {
  kClientHello = 1,
  kServerHello = 2,
  kNewSessionTicket = 4,
  kEncryptedExtensions = 8,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kCertificateVerify = 15,
  kClientKeyExchange = 16,
  kFinished = 20,
};

// Why a direction stopped. Names (tls_problem_name) are stable: they appear in output.
enum class TlsProblem : std::uint8_t {
  kNone = 0,
  kBadContentType,       // "tls_bad_content_type": not a TLS record (or lost framing)
  kBadRecordVersion,     // "tls_bad_record_version": record version major is not 3
  kRecordTooLong,        // "tls_record_too_long": length over 2^14+2048
  kHandshakeTooLong,     // "tls_handshake_too_long": handshake message over 64 KiB
  kStreamGap,            // "tls_stream_gap": bytes missing, record framing lost
};
std::string_view tls_problem_name(TlsProblem p);

class TlsRecordReader {
 public:
  // Called once per complete handshake message; BODY excludes the 4-byte
  // handshake header and is valid only during the call.
  using HandshakeCallback = std::function<void(std::uint8_t type, Bytes body)>;

  explicit TlsRecordReader(HandshakeCallback on_handshake) : on_handshake_(std::move(on_handshake)) {}

  // DATA starts at stream OFFSET (relative, 0 = first byte of the direction).
  // Bytes already consumed (retransmissions) are skipped; a jump forward is a gap.
  void on_data(std::uint64_t offset, Bytes data);
  // LEN bytes at OFFSET will never arrive.
  void on_gap(std::uint64_t offset, std::uint64_t len);

  bool stopped() const { return problem_ != TlsProblem::kNone; }
  TlsProblem problem() const { return problem_; }
  std::uint64_t records() const { return records_; }
  std::uint64_t handshake_messages() const { return messages_; }
  // After ChangeCipherSpec, handshake records are encrypted and are not parsed
  // (except a record holding exactly one ClientHello: TLS 1.3 after HelloRetryRequest).
  bool encrypted() const { return encrypted_; }
  std::uint64_t next_offset() const { return next_offset_; }

 private:
  void consume(Bytes data);
  void on_record(std::uint8_t type, Bytes payload);
  void stop(TlsProblem p);

  HandshakeCallback on_handshake_;
  std::vector<std::uint8_t> record_;     // partial record (header + payload), bounded
  std::vector<std::uint8_t> handshake_;  // partial handshake message(s), bounded
  std::uint64_t next_offset_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t messages_ = 0;
  TlsProblem problem_ = TlsProblem::kNone;
  bool encrypted_ = false;
};

// RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ... 0xfafa.
constexpr bool is_grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

namespace ext {
inline constexpr std::uint16_t kServerName = 0;
inline constexpr std::uint16_t kSupportedGroups = 10;
inline constexpr std::uint16_t kEcPointFormats = 11;
inline constexpr std::uint16_t kSignatureAlgorithms = 13;
inline constexpr std::uint16_t kAlpn = 16;
inline constexpr std::uint16_t kSupportedVersions = 43;
}  // namespace ext

struct TlsExtension {
  std::uint16_t type = 0;
  std::vector<std::uint8_t> data;
};

struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};
  std::vector<std::uint8_t> session_id;
  std::vector<std::uint16_t> cipher_suites;          // wire order, GREASE included
  std::vector<std::uint8_t> compression_methods;
  std::vector<TlsExtension> extensions;              // wire order, GREASE included
  // Decoded from the extensions (empty when absent):
  bool has_sni = false;
  std::string sni;                                   // first host_name entry
  std::vector<std::string> alpn;                     // protocol names, wire order
  std::vector<std::uint16_t> supported_versions;     // GREASE included
  std::vector<std::uint16_t> supported_groups;       // GREASE included
  std::vector<std::uint8_t> ec_point_formats;
  std::vector<std::uint16_t> signature_algorithms;   // wire order
  bool malformed_extension = false;                  // a known extension's contents did not parse
};

struct ServerHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};
  std::vector<std::uint8_t> session_id;
  std::uint16_t cipher_suite = 0;
  std::uint8_t compression_method = 0;
  std::vector<TlsExtension> extensions;
  std::uint16_t selected_version = 0;  // supported_versions extension, 0 if absent
  std::string alpn;                    // selected protocol, empty if absent
  bool malformed_extension = false;
};

// BODY is a handshake message body (after the 4-byte header).
Result<ClientHello> parse_client_hello(Bytes body);
Result<ServerHello> parse_server_hello(Bytes body);

// TLS 1.3 negotiated version when present, else the legacy version.
inline std::uint16_t negotiated_version(const ServerHello& sh) {
  return sh.selected_version != 0 ? sh.selected_version : sh.legacy_version;
}

}  // namespace pcapscope::proto::tls
