#include "proto/tls/tls_hello.h"

#include <algorithm>

#include "core/bytes.h"

namespace pcapscope::proto::tls {

std::string_view tls_problem_name(TlsProblem p) {
  switch (p) {
    case TlsProblem::kNone: return "none";
    case TlsProblem::kBadContentType: return "tls_bad_content_type";
    case TlsProblem::kBadRecordVersion: return "tls_bad_record_version";
    case TlsProblem::kRecordTooLong: return "tls_record_too_long";
    case TlsProblem::kHandshakeTooLong: return "tls_handshake_too_long";
    case TlsProblem::kStreamGap: return "tls_stream_gap";
  }
  return "unknown";
}

// ---------------------------------------------------------------- records

void TlsRecordReader::stop(TlsProblem p) {
  if (problem_ == TlsProblem::kNone) problem_ = p;
  record_.clear();
  record_.shrink_to_fit();
  handshake_.clear();
  handshake_.shrink_to_fit();
}

void TlsRecordReader::on_data(std::uint64_t offset, Bytes data) {
  if (stopped() || data.empty()) return;
  if (offset > next_offset_) {
    stop(TlsProblem::kStreamGap);
    return;
  }
  const std::uint64_t already = next_offset_ - offset;  // retransmitted prefix
  if (already >= data.size()) return;
  data = data.subspan(static_cast<std::size_t>(already));
  next_offset_ += data.size();
  consume(data);
}

void TlsRecordReader::on_gap(std::uint64_t offset, std::uint64_t len) {
  if (stopped() || len == 0) return;
  if (offset + len <= next_offset_) return;  // a hole in bytes we already have
  stop(TlsProblem::kStreamGap);
}

namespace {

// The 5-byte record header: content type, version (major 3), length.
TlsProblem check_record_header(const std::uint8_t* h) {
  if (h[0] < static_cast<std::uint8_t>(ContentType::kChangeCipherSpec) ||
      h[0] > static_cast<std::uint8_t>(ContentType::kHeartbeat)) {
    return TlsProblem::kBadContentType;
  }
  if (h[1] != 3) return TlsProblem::kBadRecordVersion;
  if (load_be16(h + 3) > kMaxRecordPayload) return TlsProblem::kRecordTooLong;
  return TlsProblem::kNone;
}

constexpr std::size_t kRecordHeader = 5;

}  // namespace

void TlsRecordReader::consume(Bytes data) {
  while (!data.empty() && !stopped()) {
    // Fast path: a whole record in DATA is handled in place, without copying.
    if (record_.empty() && data.size() >= kRecordHeader) {
      if (TlsProblem p = check_record_header(data.data()); p != TlsProblem::kNone) return stop(p);
      const std::size_t total = kRecordHeader + load_be16(data.data() + 3);
      if (data.size() >= total) {
        on_record(data[0], data.subspan(kRecordHeader, total - kRecordHeader));
        data = data.subspan(total);
        continue;
      }
    }
    // Slow path: the record continues in a later chunk; buffer it (bounded by the header check).
    if (record_.size() < kRecordHeader) {
      const std::size_t n = std::min(kRecordHeader - record_.size(), data.size());
      record_.insert(record_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      data = data.subspan(n);
      if (record_.size() < kRecordHeader) return;
      if (TlsProblem p = check_record_header(record_.data()); p != TlsProblem::kNone) return stop(p);
    }
    const std::size_t total = kRecordHeader + load_be16(record_.data() + 3);
    const std::size_t n = std::min(total - record_.size(), data.size());
    record_.insert(record_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
    if (record_.size() == total) {
      on_record(record_[0], Bytes(record_).subspan(kRecordHeader));
      record_.clear();
    }
  }
}

void TlsRecordReader::on_record(std::uint8_t type, Bytes payload) {
  ++records_;
  if (type == static_cast<std::uint8_t>(ContentType::kChangeCipherSpec)) {
    encrypted_ = true;
    return;
  }
  // Alerts, application data and heartbeats carry nothing for the hellos.
  if (type != static_cast<std::uint8_t>(ContentType::kHandshake)) return;
  if (encrypted_) {
    // After ChangeCipherSpec a TLS 1.2 handshake record is the encrypted
    // Finished. The one plaintext exception is TLS 1.3's second ClientHello
    // after a HelloRetryRequest, sent after a compatibility CCS (RFC 8446
    // D.4): accept a record holding exactly one whole ClientHello.
    const bool second_client_hello =
        handshake_.empty() && payload.size() >= 4 &&
        payload[0] == static_cast<std::uint8_t>(HandshakeType::kClientHello) &&
        ((std::size_t{payload[1]} << 16) | (std::size_t{payload[2]} << 8) | payload[3]) == payload.size() - 4;
    if (!second_client_hello) return;
  }

  handshake_.insert(handshake_.end(), payload.begin(), payload.end());
  std::size_t pos = 0;
  while (handshake_.size() - pos >= 4) {
    const std::uint8_t* h = handshake_.data() + pos;
    const std::size_t len = (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
    if (len > kMaxHandshakeMessage) return stop(TlsProblem::kHandshakeTooLong);
    if (handshake_.size() - pos < 4 + len) break;
    ++messages_;
    if (on_handshake_) on_handshake_(h[0], Bytes(h + 4, len));
    pos += 4 + len;
  }
  handshake_.erase(handshake_.begin(), handshake_.begin() + static_cast<std::ptrdiff_t>(pos));
}

// ---------------------------------------------------------------- hellos

namespace {

std::vector<std::uint8_t> to_vec(Bytes b) { return {b.begin(), b.end()}; }

// A list of big-endian 16-bit values of BYTES length (must be even).
bool read_u16_list(ByteCursor& c, std::size_t bytes, std::vector<std::uint16_t>& out) {
  if (bytes % 2 != 0 || !c.has(bytes)) return false;
  for (std::size_t i = 0; i < bytes; i += 2) out.push_back(c.be16());
  return c.ok();
}

// u16-length-prefixed list of u16 values that must fill DATA exactly.
bool parse_u16_vector16(Bytes data, std::vector<std::uint16_t>& out) {
  ByteCursor c(data);
  const std::size_t n = c.be16();
  return c.ok() && read_u16_list(c, n, out) && c.remaining() == 0;
}

bool parse_sni(Bytes data, std::string& host) {
  ByteCursor c(data);
  const std::size_t list_len = c.be16();
  if (!c.ok() || list_len != c.remaining()) return false;
  bool found = false;
  while (c.remaining() > 0) {
    const std::uint8_t name_type = c.u8();
    const std::size_t len = c.be16();
    auto name = c.bytes(len);
    if (!c.ok()) return false;
    if (name_type == 0 && !found) {
      host.assign(name.begin(), name.end());
      found = true;
    }
  }
  return true;
}

bool parse_alpn(Bytes data, std::vector<std::string>& out) {
  ByteCursor c(data);
  const std::size_t list_len = c.be16();
  if (!c.ok() || list_len != c.remaining()) return false;
  while (c.remaining() > 0) {
    const std::size_t len = c.u8();
    auto name = c.bytes(len);
    if (!c.ok()) return false;
    out.emplace_back(name.begin(), name.end());
  }
  return true;
}

// The extensions block: u16 total length, then (type u16, length u16, data)*.
// Absent block (hello ends after compression) is fine; a block that does not
// add up is an error.
bool parse_extension_block(ByteCursor& c, std::vector<TlsExtension>& out) {
  if (c.remaining() == 0) return true;
  const std::size_t block_len = c.be16();
  Bytes block = c.bytes(block_len);
  if (!c.ok()) return false;
  ByteCursor e(block);
  while (e.remaining() > 0) {
    TlsExtension x;
    x.type = e.be16();
    const std::size_t len = e.be16();
    auto data = e.bytes(len);
    if (!e.ok()) return false;
    x.data = to_vec(data);
    out.push_back(std::move(x));
  }
  return true;
}

void decode_client_extension(ClientHello& ch, const TlsExtension& x) {
  Bytes d(x.data);
  bool ok = true;
  switch (x.type) {
    case ext::kServerName:
      ch.has_sni = true;
      ok = parse_sni(d, ch.sni);
      break;
    case ext::kAlpn:
      ok = parse_alpn(d, ch.alpn);
      break;
    case ext::kSupportedVersions: {
      ByteCursor c(d);
      const std::size_t n = c.u8();
      ok = c.ok() && read_u16_list(c, n, ch.supported_versions) && c.remaining() == 0;
      break;
    }
    case ext::kSupportedGroups:
      ok = parse_u16_vector16(d, ch.supported_groups);
      break;
    case ext::kEcPointFormats: {
      ByteCursor c(d);
      const std::size_t n = c.u8();
      auto f = c.bytes(n);
      ok = c.ok() && c.remaining() == 0;
      if (ok) ch.ec_point_formats = to_vec(f);
      break;
    }
    case ext::kSignatureAlgorithms:
      ok = parse_u16_vector16(d, ch.signature_algorithms);
      break;
    default:
      break;
  }
  if (!ok) ch.malformed_extension = true;
}

// Not inlined: GCC 12 at -O2 with the sanitizers reports a false
// -Wfree-nonheap-object for the local vector once this is inlined into
// parse_server_hello (the same family of false positives as GCC bug 107852).
[[gnu::noinline]] void decode_server_extension(ServerHello& sh, const TlsExtension& x) {
  Bytes d(x.data);
  bool ok = true;
  if (x.type == ext::kSupportedVersions) {
    ok = d.size() == 2;
    if (ok) sh.selected_version = load_be16(d.data());
  } else if (x.type == ext::kAlpn) {
    std::vector<std::string> names;
    ok = parse_alpn(d, names) && names.size() == 1;
    if (ok) sh.alpn = names[0];
  }
  if (!ok) sh.malformed_extension = true;
}

}  // namespace

Result<ClientHello> parse_client_hello(Bytes body) {
  ClientHello ch;
  ByteCursor c(body);
  ch.legacy_version = c.be16();
  auto random = c.bytes(32);
  if (!c.ok()) return Error{"truncated client hello"};
  std::copy(random.begin(), random.end(), ch.random.begin());
  const std::size_t sid_len = c.u8();
  if (sid_len > 32) return Error{"client hello session id longer than 32 bytes"};
  ch.session_id = to_vec(c.bytes(sid_len));
  const std::size_t cs_len = c.be16();
  if (!c.ok()) return Error{"truncated client hello"};
  if (cs_len % 2 != 0) return Error{"client hello cipher suites length is odd"};
  if (!read_u16_list(c, cs_len, ch.cipher_suites)) return Error{"truncated client hello cipher suites"};
  const std::size_t comp_len = c.u8();
  ch.compression_methods = to_vec(c.bytes(comp_len));
  if (!c.ok()) return Error{"truncated client hello compression methods"};
  if (!parse_extension_block(c, ch.extensions)) return Error{"malformed client hello extensions"};
  for (const auto& x : ch.extensions) decode_client_extension(ch, x);
  return ch;
}

Result<ServerHello> parse_server_hello(Bytes body) {
  ServerHello sh;
  ByteCursor c(body);
  sh.legacy_version = c.be16();
  auto random = c.bytes(32);
  if (!c.ok()) return Error{"truncated server hello"};
  std::copy(random.begin(), random.end(), sh.random.begin());
  const std::size_t sid_len = c.u8();
  if (sid_len > 32) return Error{"server hello session id longer than 32 bytes"};
  sh.session_id = to_vec(c.bytes(sid_len));
  sh.cipher_suite = c.be16();
  sh.compression_method = c.u8();
  if (!c.ok()) return Error{"truncated server hello"};
  if (!parse_extension_block(c, sh.extensions)) return Error{"malformed server hello extensions"};
  for (const auto& x : sh.extensions) decode_server_extension(sh, x);
  return sh;
}

}  // namespace pcapscope::proto::tls
