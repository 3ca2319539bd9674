#include "proto/quic/quic_initial.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "proto/tls/tls_hello.h"

namespace pcapscope::proto::quic {
namespace {

// RFC 9001 5.2, RFC 9369 3.3.1, draft-ietf-quic-tls-29 5.2. v2 moved the
// packet types around (Initial is 0b01) so v1 middleboxes cannot ossify on them.
constexpr QuicVersionInfo kVersions[] = {
    {kVersion1, "v1",
     {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
     "quic key", "quic iv", "quic hp", 0, 3},
    {kVersion2, "v2",
     {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
     "quicv2 key", "quicv2 iv", "quicv2 hp", 1, 0},
    {kVersionDraft29, "draft-29",
     {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
     "quic key", "quic iv", "quic hp", 0, 3},
};

// Client Initials to a new DCID that the current keys do not open get keys
// of their own (Retry; a new connection on a reused 5-tuple). Each attempt
// costs a key derivation, so a stream of garbage Initials with ever new
// DCIDs cannot make every packet pay for one.
constexpr std::uint8_t kMaxDcidSwitches = 4;
constexpr std::size_t kTagLen = 16;
constexpr std::size_t kSampleLen = 16;
using tls::kMaxHandshakeMessage;
static_assert(kMaxCryptoBuffer == kMaxHandshakeMessage + 4, "the window holds one whole handshake message");

// Bounded reader over a span; every read checks what is left.
struct Cursor {
  Bytes b;
  std::size_t pos = 0;

  std::size_t left() const { return b.size() - pos; }
  bool u8(std::uint8_t& v) {
    if (left() < 1) return false;
    v = b[pos++];
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (left() < 4) return false;
    v = (std::uint32_t{b[pos]} << 24) | (std::uint32_t{b[pos + 1]} << 16) | (std::uint32_t{b[pos + 2]} << 8) |
        b[pos + 3];
    pos += 4;
    return true;
  }
  // RFC 9000 16: the two top bits give the length (1, 2, 4, 8 bytes).
  bool varint(std::uint64_t& v) {
    if (left() < 1) return false;
    const std::size_t n = std::size_t{1} << (b[pos] >> 6);
    if (left() < n) return false;
    v = b[pos] & 0x3f;
    for (std::size_t i = 1; i < n; ++i) v = (v << 8) | b[pos + i];
    pos += n;
    return true;
  }
  bool take(std::uint64_t n, Bytes& out) {
    if (n > left()) return false;
    out = b.subspan(pos, static_cast<std::size_t>(n));
    pos += static_cast<std::size_t>(n);
    return true;
  }
  bool skip(std::uint64_t n) {
    Bytes ignored;
    return take(n, ignored);
  }
};

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// Fetched once: a provider lookup per derivation would cost more than the HKDF.
EVP_KDF* hkdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

bool hkdf_run(int mode, Bytes key, Bytes salt, Bytes info, std::uint8_t* out, std::size_t out_len) {
  if (hkdf() == nullptr) return false;
  KdfCtx ctx(EVP_KDF_CTX_new(hkdf()));
  if (!ctx) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[6];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()), key.size());
  if (!salt.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                                    salt.size());
  if (!info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                                    info.size());
  params[n] = OSSL_PARAM_construct_end();
  return EVP_KDF_derive(ctx.get(), out, out_len, params) == 1;
}

// TLS 1.3 HKDF-Expand-Label (RFC 8446 7.1) with an empty context.
bool expand_label(Bytes secret, std::string_view label, std::uint8_t* out, std::size_t out_len) {
  std::array<std::uint8_t, 64> info{};
  const std::string_view prefix = "tls13 ";
  const std::size_t label_len = prefix.size() + label.size();
  if (label_len > 40) return false;
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out_len >> 8);
  info[n++] = static_cast<std::uint8_t>(out_len);
  info[n++] = static_cast<std::uint8_t>(label_len);
  for (char c : prefix) info[n++] = static_cast<std::uint8_t>(c);
  for (char c : label) info[n++] = static_cast<std::uint8_t>(c);
  info[n++] = 0;  // context length
  return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, {}, Bytes(info.data(), n), out, out_len);
}

bool hp_mask(const InitialKeys& keys, const std::uint8_t* sample, std::array<std::uint8_t, 16>& mask) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  return ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, keys.hp.data(), nullptr) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
         EVP_EncryptUpdate(ctx.get(), mask.data(), &len, sample, static_cast<int>(kSampleLen)) == 1 &&
         len == static_cast<int>(kSampleLen);
}

bool aead_open(const InitialKeys& keys, const std::array<std::uint8_t, 12>& nonce, Bytes aad, Bytes ciphertext,
               Bytes tag, std::uint8_t* out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  int len = 0;
  std::array<std::uint8_t, kTagLen> tag_copy{};  // SET_TAG takes a non-const pointer
  std::copy(tag.begin(), tag.end(), tag_copy.begin());
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, keys.key.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1)
    return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagLen), tag_copy.data()) != 1)
    return false;
  int final_len = 0;
  return EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) == 1;
}

// RFC 9000 A.3: the full packet number closest to the next one expected.
std::uint64_t decode_packet_number(bool have_largest, std::uint64_t largest, std::uint64_t truncated,
                                   std::size_t pn_len) {
  const std::uint64_t expected = have_largest ? largest + 1 : 0;
  const std::uint64_t win = std::uint64_t{1} << (pn_len * 8);
  const std::uint64_t hwin = win / 2;
  const std::uint64_t candidate = (expected & ~(win - 1)) | truncated;
  if (candidate + hwin <= expected && candidate < (std::uint64_t{1} << 62) - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

}  // namespace

// The parts of a long header the reader needs; offsets are within the packet.
struct QuicInitialReader::Header {
  std::uint32_t version = 0;
  Bytes dcid;
  std::size_t pn_offset = 0;
};

const QuicVersionInfo* quic_version_info(std::uint32_t version) {
  for (const auto& v : kVersions)
    if (v.version == version) return &v;
  return nullptr;
}

std::string_view quic_problem_name(QuicProblem p) {
  switch (p) {
    case QuicProblem::kNone: return "none";
    case QuicProblem::kBadHeader: return "quic_bad_header";
    case QuicProblem::kUnknownVersion: return "quic_unknown_version";
    case QuicProblem::kNoKeys: return "quic_no_keys";
    case QuicProblem::kDecryptFailed: return "quic_decrypt_failed";
    case QuicProblem::kBadFrame: return "quic_bad_frame";
    case QuicProblem::kCryptoTooFar: return "quic_crypto_too_far";
    case QuicProblem::kCryptoFragmented: return "quic_crypto_fragmented";
    case QuicProblem::kHandshakeTooLong: return "quic_handshake_too_long";
    case QuicProblem::kTruncated: return "quic_truncated";
    case QuicProblem::kCount: break;
  }
  return "unknown";
}

bool derive_initial_keys(std::uint32_t version, Bytes client_dcid, Side side, InitialKeys& out) {
  const QuicVersionInfo* info = quic_version_info(version);
  if (info == nullptr) return false;
  std::array<std::uint8_t, 32> initial_secret{};
  std::array<std::uint8_t, 32> secret{};
  if (!hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, client_dcid, Bytes(info->salt), {}, initial_secret.data(),
                initial_secret.size()))
    return false;
  const std::string_view label = side == Side::kClient ? "client in" : "server in";
  return expand_label(initial_secret, label, secret.data(), secret.size()) &&
         expand_label(secret, info->key_label, out.key.data(), out.key.size()) &&
         expand_label(secret, info->iv_label, out.iv.data(), out.iv.size()) &&
         expand_label(secret, info->hp_label, out.hp.data(), out.hp.size());
}

namespace {

enum class LongType : std::uint8_t { kInitial, kOther, kRetry };

// Parses the long header at the start of DATA up to the packet number. Sets
// END to the packet's end (pn_offset + Length), which may lie past DATA (the
// caller decides what a cut packet is worth). Retry packets have no Length.
enum class HeaderResult : std::uint8_t { kOk, kBad, kUnknownVersion, kVersionNegotiation };
HeaderResult parse_long_header(Bytes data, std::uint32_t& version, Bytes& dcid, LongType& type,
                               std::size_t& pn_offset, std::size_t& end) {
  Cursor c{data};
  std::uint8_t b0 = 0, dcid_len = 0, scid_len = 0;
  Bytes scid;
  if (!c.u8(b0) || !c.u32(version)) return HeaderResult::kBad;
  if (version == 0) return HeaderResult::kVersionNegotiation;
  const QuicVersionInfo* info = quic_version_info(version);
  if (info == nullptr) return HeaderResult::kUnknownVersion;
  if (!c.u8(dcid_len) || dcid_len > kMaxCidLength || !c.take(dcid_len, dcid)) return HeaderResult::kBad;
  if (!c.u8(scid_len) || scid_len > kMaxCidLength || !c.take(scid_len, scid)) return HeaderResult::kBad;
  const std::uint8_t bits = (b0 >> 4) & 3;
  if (bits == info->retry_type) {
    type = LongType::kRetry;
    return HeaderResult::kOk;
  }
  type = bits == info->initial_type ? LongType::kInitial : LongType::kOther;
  std::uint64_t token_len = 0, length = 0;
  if (type == LongType::kInitial && (!c.varint(token_len) || !c.skip(token_len))) return HeaderResult::kBad;
  if (!c.varint(length) || length > 65535) return HeaderResult::kBad;  // a UDP payload is smaller
  pn_offset = c.pos;
  end = c.pos + static_cast<std::size_t>(length);
  return HeaderResult::kOk;
}

}  // namespace

bool looks_like_quic_initial(Bytes udp_payload) {
  if (udp_payload.empty() || (udp_payload[0] & 0xC0) != 0xC0) return false;
  std::uint32_t version = 0;
  Bytes dcid;
  LongType type = LongType::kOther;
  std::size_t pn_offset = 0, end = 0;
  if (parse_long_header(udp_payload, version, dcid, type, pn_offset, end) != HeaderResult::kOk) return false;
  // Header protection samples 16 bytes 4 after the packet number start.
  return type == LongType::kInitial && end - pn_offset >= 4 + kSampleLen;
}

void QuicInitialReader::note(QuicProblem p) {
  if (problem_ == QuicProblem::kNone) problem_ = p;
  ++problem_counts_[static_cast<std::size_t>(p)];
}

void QuicInitialReader::stop_crypto(QuicProblem p) {
  note(p);
  crypto_stopped_ = true;
  crypto_.clear();
  crypto_.shrink_to_fit();
  ranges_.clear();
}

void QuicInitialReader::set_client_dcid(Bytes dcid) {
  if (dcid.size() > kMaxCidLength) return;
  if (std::equal(dcid.begin(), dcid.end(), dcid_.begin(), dcid_.begin() + dcid_len_)) return;
  std::copy(dcid.begin(), dcid.end(), dcid_.begin());
  dcid_len_ = static_cast<std::uint8_t>(dcid.size());
  keys_valid_ = false;
}

void QuicInitialSession::on_datagram(bool from_client, Bytes payload) {
  if (from_client) {
    client_.on_datagram(payload);
    if (!client_.client_dcid().empty()) server_.set_client_dcid(client_.client_dcid());
  } else {
    server_.on_datagram(payload);
  }
}

void QuicInitialReader::on_datagram(Bytes payload) {
  std::size_t pos = 0;
  while (pos < payload.size()) {
    // A short header (1-RTT) has no length and runs to the end of the
    // datagram; so does trailing zero padding after coalesced packets.
    if ((payload[pos] & 0x80) == 0) return;
    Bytes rest = payload.subspan(pos);
    Header h;
    LongType type = LongType::kOther;
    std::size_t end = 0;
    switch (parse_long_header(rest, h.version, h.dcid, type, h.pn_offset, end)) {
      case HeaderResult::kOk: break;
      case HeaderResult::kBad: note(QuicProblem::kBadHeader); return;
      case HeaderResult::kUnknownVersion: note(QuicProblem::kUnknownVersion); return;
      case HeaderResult::kVersionNegotiation: return;
    }
    if (type == LongType::kRetry) return;  // Retry runs to the end of the datagram
    if (end > rest.size()) {
      // Cut by the capture: undecryptable (the tag is gone), but the header
      // is intact, and the client's first DCID is all the server side needs.
      if (type == LongType::kInitial) {
        ++initial_packets_;
        if (side_ == Side::kClient && dcid_len_ == 0) set_client_dcid(h.dcid);
      }
      note(QuicProblem::kTruncated);
      return;
    }
    if (type == LongType::kInitial) on_initial(rest.first(end), h);
    pos += end;
  }
}

bool QuicInitialReader::ensure_keys(std::uint32_t version, Bytes dcid) {
  if (keys_valid_ && keys_version_ == version) return true;
  keys_valid_ = derive_initial_keys(version, dcid, side_, keys_);
  keys_version_ = version;
  return keys_valid_;
}

void QuicInitialReader::on_initial(Bytes packet, const Header& h) {
  ++initial_packets_;
  if (packet.size() < h.pn_offset + 4 + kSampleLen) {
    note(QuicProblem::kBadHeader);
    return;
  }
  if (side_ == Side::kClient && dcid_len_ == 0) set_client_dcid(h.dcid);
  if (dcid_len_ == 0 || !ensure_keys(h.version, client_dcid())) {
    note(QuicProblem::kNoKeys);
    return;
  }
  bool opened = decrypt(packet, h, keys_);
  // A client Initial to a DCID other than the one the keys came from and
  // that the keys do not open: the client was sent a Retry (RFC 9000
  // 17.2.5.2) and derives new keys from the Retry's SCID, which is this DCID.
  if (!opened && side_ == Side::kClient && dcid_switches_ < kMaxDcidSwitches &&
      !std::equal(h.dcid.begin(), h.dcid.end(), dcid_.begin(), dcid_.begin() + dcid_len_)) {
    ++dcid_switches_;
    InitialKeys k;
    if (derive_initial_keys(h.version, h.dcid, side_, k) && decrypt(packet, h, k)) {
      set_client_dcid(h.dcid);
      keys_ = k;
      keys_valid_ = true;
      keys_version_ = h.version;
      opened = true;
    }
  }
  if (!opened) {
    note(QuicProblem::kDecryptFailed);
    return;
  }
  ++decrypted_packets_;
  version_ = h.version;
  parse_frames(Bytes(scratch_.data() + (scratch_.size() - plain_len_), plain_len_));
}

// Removes header protection (RFC 9001 5.4) and opens the AEAD (5.3); on
// success the plaintext is the last plain_len_ bytes of scratch_ and the
// packet number is recorded. Touches nothing else, so it can be tried with
// candidate keys.
bool QuicInitialReader::decrypt(Bytes packet, const Header& h, const InitialKeys& keys) {
  std::array<std::uint8_t, 16> mask{};
  if (!hp_mask(keys, packet.data() + h.pn_offset + 4, mask)) return false;
  const std::uint8_t b0 = packet[0] ^ (mask[0] & 0x0f);  // long header: low 4 bits protected
  const std::size_t pn_len = (b0 & 3) + 1;
  const std::size_t header_len = h.pn_offset + pn_len;
  if (packet.size() < header_len + kTagLen) return false;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < pn_len; ++i) truncated = (truncated << 8) | (packet[h.pn_offset + i] ^ mask[1 + i]);
  const std::uint64_t pn = decode_packet_number(have_largest_pn_, largest_pn_, truncated, pn_len);

  const std::size_t ct_len = packet.size() - header_len - kTagLen;
  scratch_.resize(header_len + ct_len);
  std::copy(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(header_len), scratch_.begin());
  scratch_[0] = b0;
  for (std::size_t i = 0; i < pn_len; ++i) scratch_[h.pn_offset + i] ^= mask[1 + i];

  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i) nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  if (!aead_open(keys, nonce, Bytes(scratch_.data(), header_len), packet.subspan(header_len, ct_len),
                 packet.subspan(header_len + ct_len, kTagLen), scratch_.data() + header_len))
    return false;
  plain_len_ = ct_len;
  if (!have_largest_pn_ || pn > largest_pn_) largest_pn_ = pn;
  have_largest_pn_ = true;
  return true;
}

// Initial packets may carry only PADDING, PING, ACK, CRYPTO and
// CONNECTION_CLOSE (RFC 9000 12.4); anything else means the plaintext is not
// what it claims, and without a frame's length the rest cannot be found.
void QuicInitialReader::parse_frames(Bytes plain) {
  Cursor c{plain};
  while (c.left() > 0) {
    std::uint64_t type = 0;
    if (!c.varint(type)) break;
    bool ok = true;
    switch (type) {
      case 0x00:  // PADDING: usually hundreds of bytes, skipped in one go
        while (c.left() > 0 && c.b[c.pos] == 0) ++c.pos;
        break;
      case 0x01:  // PING
        break;
      case 0x02:
      case 0x03: {  // ACK, ACK with ECN counts
        std::uint64_t largest = 0, delay = 0, count = 0, first = 0, v = 0;
        ok = c.varint(largest) && c.varint(delay) && c.varint(count) && c.varint(first);
        // Each range is two varints (at least 2 bytes), so COUNT cannot loop
        // longer than the plaintext does.
        for (std::uint64_t i = 0; ok && i < count; ++i) ok = c.varint(v) && c.varint(v);
        if (ok && type == 0x03) ok = c.varint(v) && c.varint(v) && c.varint(v);
        break;
      }
      case 0x06: {  // CRYPTO
        std::uint64_t offset = 0, length = 0;
        Bytes data;
        ok = c.varint(offset) && c.varint(length) && c.take(length, data) &&
             offset <= (std::uint64_t{1} << 62) - length;
        if (ok) on_crypto(offset, data);
        break;
      }
      case 0x1c:
      case 0x1d: {  // CONNECTION_CLOSE (transport; 0x1d, application, is not allowed here but harmless)
        std::uint64_t code = 0, frame_type = 0, reason_len = 0;
        ok = c.varint(code) && (type == 0x1d || c.varint(frame_type)) && c.varint(reason_len) && c.skip(reason_len);
        if (ok && !saw_close_) {
          saw_close_ = true;
          close_error_ = code;
        }
        break;
      }
      default:
        ok = false;
    }
    if (!ok) {
      note(QuicProblem::kBadFrame);
      return;
    }
  }
}

// Stores DATA at stream OFFSET, first copy wins, within the window starting
// at base_ (the first byte not yet handed out as part of a message).
void QuicInitialReader::on_crypto(std::uint64_t offset, Bytes data) {
  if (crypto_stopped_ || data.empty()) return;
  std::uint64_t start = offset;
  std::uint64_t end = offset + data.size();
  if (end <= base_) return;  // retransmission of bytes already delivered
  start = std::max(start, base_);
  const std::uint64_t limit = base_ + kMaxCryptoBuffer;
  if (end > limit) {
    note(QuicProblem::kCryptoTooFar);
    if (start >= limit) return;
    end = limit;
  }
  if (crypto_.size() < end - base_) crypto_.resize(static_cast<std::size_t>(end - base_));
  auto copy = [&](std::uint64_t from, std::uint64_t to) {
    if (from >= to) return;
    std::memcpy(crypto_.data() + (from - base_), data.data() + (from - offset), static_cast<std::size_t>(to - from));
  };
  // Fill only the holes: bytes already held stay as first received.
  std::uint64_t cur = start;
  for (const auto& [rs, re] : ranges_) {
    if (re <= cur) continue;
    if (rs >= end) break;
    copy(cur, std::min(rs, end));
    cur = std::max(cur, re);
    if (cur >= end) break;
  }
  copy(cur, end);

  // Insert [start, end) and merge whatever it touches.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), std::make_pair(start, std::uint64_t{0}));
  if (it != ranges_.begin() && std::prev(it)->second >= start) --it;
  auto last = it;
  std::uint64_t ms = start, me = end;
  while (last != ranges_.end() && last->first <= me) {
    ms = std::min(ms, last->first);
    me = std::max(me, last->second);
    ++last;
  }
  it = ranges_.erase(it, last);
  ranges_.insert(it, {ms, me});
  if (ranges_.size() > kMaxCryptoFragments) {
    stop_crypto(QuicProblem::kCryptoFragmented);
    return;
  }
  deliver();
}

// Hands out every complete handshake message at the front of the stream.
void QuicInitialReader::deliver() {
  if (ranges_.empty() || ranges_.front().first != base_) return;
  const std::size_t contiguous = static_cast<std::size_t>(ranges_.front().second - base_);
  std::size_t used = 0;
  while (contiguous - used >= 4) {
    const std::uint8_t* m = crypto_.data() + used;
    const std::size_t len = (std::size_t{m[1]} << 16) | (std::size_t{m[2]} << 8) | m[3];
    if (len > kMaxHandshakeMessage) {
      stop_crypto(QuicProblem::kHandshakeTooLong);
      return;
    }
    if (contiguous - used < 4 + len) break;
    ++messages_;
    if (on_handshake_) on_handshake_(m[0], Bytes(m + 4, len));
    used += 4 + len;
  }
  if (used == 0) return;
  crypto_.erase(crypto_.begin(), crypto_.begin() + static_cast<std::ptrdiff_t>(used));
  base_ += used;
  if (ranges_.front().second == base_)
    ranges_.erase(ranges_.begin());
  else
    ranges_.front().first = base_;
}

}  // namespace pcapscope::proto::quic
