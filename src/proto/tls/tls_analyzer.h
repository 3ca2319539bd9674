// TLS for one session: both directions' record layers (TCP) or QUIC Initial
// packets (UDP), the hellos, the fingerprints, and one ssl.log record when
// the session ends. QUIC's handshake is TLS 1.3 carried in CRYPTO frames, so
// the same hellos give the same record (JA4 with transport 'q').
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "proto/analyzer.h"
#include "proto/quic/quic_initial.h"
#include "proto/tls/fingerprints.h"
#include "proto/tls/tls_hello.h"

namespace pcapscope::proto::tls {

// Zeek's SSL::version_strings name ("TLSv12", "SSLv3", "DTLSv12", "TLSv13-draft23",
// "unknown-<n>").
std::string version_name(std::uint16_t v);
// The IANA name of a cipher suite ("TLS_AES_128_GCM_SHA256"), from OpenSSL's
// table; "unknown-<n>" (Zeek's form) for suites OpenSSL does not know.
std::string cipher_name(std::uint16_t suite);

class TlsAnalyzer final : public StreamAnalyzer {
 public:
  TlsAnalyzer(StageContext& ctx, const SessionRecord& live, bool quic = false);

  // QUIC: one UDP payload; CLIENT says which side sent it (the side of the first Initial).
  void on_quic_datagram(bool client, std::span<const std::uint8_t> payload);

  void on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) override;
  void on_gap(int side, std::uint64_t offset, std::uint64_t len) override;
  void finish(const SessionRecord& live) override;

 private:
  void handshake(int side, std::uint8_t type, Bytes body);

  StageContext& ctx_;
  const SessionRecord* live_;
  TlsRecordReader reader_[2];
  bool quic_ = false;
  std::unique_ptr<quic::QuicInitialSession> quic_session_;  // QUIC: both directions' Initial readers
  bool quic_problem_reported_[2] = {false, false};
  SslLogRecord rec_;
  bool started_ = false;  // header (ts, frame) taken from the first hello
  bool problem_reported_[2] = {false, false};
};

}  // namespace pcapscope::proto::tls
