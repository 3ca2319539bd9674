#include "proto/tls/tls_analyzer.h"

#include <openssl/ssl.h>

#include <string>

namespace pcapscope::proto::tls {

std::string version_name(std::uint16_t v) {
  switch (v) {
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv10";
    case 0x0302: return "TLSv11";
    case 0x0303: return "TLSv12";
    case 0x0304: return "TLSv13";
    case 0xfeff: return "DTLSv10";
    case 0xfefd: return "DTLSv12";
    case 0xfefc: return "DTLSv13";
    default: break;
  }
  if ((v >> 8) == 0x7f) return "TLSv13-draft" + std::to_string(v & 0xff);
  return "unknown-" + std::to_string(v);
}

std::string cipher_name(std::uint16_t suite) {
  // OpenSSL's cipher table knows the IANA ("standard") names of every suite it
  // implements; SSL_CIPHER_find needs an SSL object, made once and only read.
  static SSL* ssl = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_method());
    return ctx ? SSL_new(ctx) : nullptr;
  }();
  if (ssl) {
    const unsigned char id[2] = {static_cast<unsigned char>(suite >> 8), static_cast<unsigned char>(suite)};
    if (const SSL_CIPHER* c = SSL_CIPHER_find(ssl, id)) {
      if (const char* name = SSL_CIPHER_standard_name(c)) return name;
    }
  }
  switch (suite) {
    // Signalling values OpenSSL keeps out of its table, named as IANA does.
    case 0x00ff: return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
    case 0x5600: return "TLS_FALLBACK_SCSV";
    default: break;
  }
  return "unknown-" + std::to_string(suite);
}

TlsAnalyzer::TlsAnalyzer(StageContext& ctx, const SessionRecord& live, bool quic)
    : ctx_(ctx),
      live_(&live),
      reader_{TlsRecordReader([this](std::uint8_t t, Bytes b) { handshake(0, t, b); }),
              TlsRecordReader([this](std::uint8_t t, Bytes b) { handshake(1, t, b); })},
      quic_(quic) {
  if (quic) {
    quic_session_ = std::make_unique<quic::QuicInitialSession>(
        [this](std::uint8_t t, Bytes b) { handshake(0, t, b); }, [this](std::uint8_t t, Bytes b) { handshake(1, t, b); });
  }
}

void TlsAnalyzer::on_quic_datagram(bool client, std::span<const std::uint8_t> payload) {
  if (!quic_session_) return;
  // The session hands the client's DCID (the key material of both sides, a
  // Retry's new one included) to the server side.
  quic_session_->on_datagram(client, payload);
  const quic::QuicInitialReader& r = client ? quic_session_->client() : quic_session_->server();
  bool& reported = quic_problem_reported_[client ? 0 : 1];
  if (!reported && r.problem() != quic::QuicProblem::kNone) {
    reported = true;
    ctx_.problem(live_->uid_view(), quic::quic_problem_name(r.problem()));
  }
}

void TlsAnalyzer::on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) {
  TlsRecordReader& r = reader_[side & 1];
  r.on_data(offset, data);
  if (r.stopped() && !problem_reported_[side & 1]) {
    problem_reported_[side & 1] = true;
    ctx_.problem(live_->uid_view(), tls_problem_name(r.problem()));
  }
}

void TlsAnalyzer::on_gap(int side, std::uint64_t offset, std::uint64_t len) { reader_[side & 1].on_gap(offset, len); }

void TlsAnalyzer::handshake(int, std::uint8_t type, Bytes body) {
  ctx_.field(AppField::kTlsHandshakeType, FieldValue::of_uint(type));
  if (!started_) {
    started_ = true;
    static_cast<RecordHeader&>(rec_) = make_header(*live_, ctx_.now_ns, ctx_.now_frame);
  }
  if (type == static_cast<std::uint8_t>(HandshakeType::kClientHello)) {
    auto ch = parse_client_hello(body);
    if (!ch) {
      ctx_.problem(live_->uid_view(), "tls_bad_client_hello");
      return;
    }
    const Ja3 j = ja3(*ch);
    if (ch->has_sni) ctx_.field(AppField::kTlsSni, FieldValue::of_string(ch->sni));
    ctx_.field(AppField::kTlsJa3, FieldValue::of_string(j.md5));
    if (rec_.client_hello) return;  // the second ClientHello (after HelloRetryRequest) changes nothing logged
    rec_.client_hello = true;
    rec_.has_sni = ch->has_sni;
    rec_.server_name = ch->sni;
    rec_.ja3 = j.md5;
    rec_.ja4 = ja4(*ch, quic_ ? Ja4Transport::kQuic : Ja4Transport::kTcp).fingerprint;
    if (ctx_.frame_fields) ctx_.field(AppField::kTlsJa4, FieldValue::of_string(rec_.ja4));
  } else if (type == static_cast<std::uint8_t>(HandshakeType::kServerHello)) {
    auto sh = parse_server_hello(body);
    if (!sh) {
      ctx_.problem(live_->uid_view(), "tls_bad_server_hello");
      return;
    }
    const Ja3 j = ja3s(*sh);
    ctx_.field(AppField::kTlsJa3s, FieldValue::of_string(j.md5));
    if (rec_.server_hello) return;
    rec_.server_hello = true;
    rec_.version = version_name(negotiated_version(*sh));
    rec_.cipher = cipher_name(sh->cipher_suite);
    rec_.next_protocol = sh->alpn;
    rec_.ja3s = j.md5;
  }
}

void TlsAnalyzer::finish(const SessionRecord& live) {
  live_ = &live;
  if (!rec_.client_hello && !rec_.server_hello) return;  // records without hellos: nothing to log
  // Both sides switched to protected records (ChangeCipherSpec; TLS 1.3 peers send it for middlebox
  // compatibility, RFC 8446 D.4).
  // QUIC: the Initial exchange is all that is visible; both hellos mean the handshake went ahead.
  rec_.established = quic_ ? rec_.client_hello && rec_.server_hello
                           : reader_[0].encrypted() && reader_[1].encrypted();
  // The id is the session's as it ended (it may have flipped since the hello).
  rec_.id = make_header(live, 0, 0).id;
  ++ctx_.stats.ssl;
  if (ctx_.out) ctx_.out->on_ssl(rec_);
}

}  // namespace pcapscope::proto::tls
