// QUIC Initial packet protection and CRYPTO reassembly.
//
// Expectations are published values, never computed here:
//  - RFC 9001 Appendix A (v1): A.1 keys, A.2 the protected client Initial
//    (ClientHello for example.com), A.3 the protected server Initial.
//  - RFC 9369 Appendix A (v2): A.1 keys, the first bytes of the A.2 packet.
//  - Corpus captures (../shared/corpus/suricata/*quic*): SNI, JA3 and JA3S
//    from tshark 4.0 (tls.handshake.extensions_server_name, ja3, ja3s, and
//    frame.number, the frame that completes the hello).
// Synthetic packets (out-of-order CRYPTO, bad frames) are protected by a
// small encryptor here, which first has to reproduce the RFC packets.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "proto/quic/quic_initial.h"
#include "proto/tls/fingerprints.h"
#include "proto/tls/tls_hello.h"

namespace pcapscope::proto::quic {
namespace {

using ByteVec = std::vector<std::uint8_t>;

ByteVec unhex(std::string_view s) {
  ByteVec out;
  auto nib = [](char c) -> int { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(nib(s[i]) << 4 | nib(s[i + 1])));
  return out;
}
template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& a) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto b : a) {
    s += d[b >> 4];
    s += d[b & 15];
  }
  return s;
}
void append(ByteVec& b, const ByteVec& more) { b.insert(b.end(), more.begin(), more.end()); }
void put_varint(ByteVec& b, std::uint64_t v) {
  if (v < 64) {
    b.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 16384) {
    b.push_back(static_cast<std::uint8_t>(0x40 | (v >> 8)));
    b.push_back(static_cast<std::uint8_t>(v));
  } else {
    b.push_back(static_cast<std::uint8_t>(0x80 | (v >> 24)));
    b.push_back(static_cast<std::uint8_t>(v >> 16));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  }
}

// ------------------------------------------------------------ RFC 9001 / 9369 vectors

const ByteVec kRfcDcid = unhex("8394c8f03e515708");

// RFC 9001 A.2: the CRYPTO frame (ClientHello, 241 bytes) of the client Initial.
const char* kA2CryptoFrame =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

const char* kA2Protected =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";

// RFC 9001 A.3: the server Initial (ACK + CRYPTO with the ServerHello).
const char* kA3Protected =
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";

TEST(QuicKeys, Rfc9001AppendixA1) {
  InitialKeys c, s;
  ASSERT_TRUE(derive_initial_keys(kVersion1, kRfcDcid, Side::kClient, c));
  EXPECT_EQ(hex(c.key), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(hex(c.iv), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(hex(c.hp), "9f50449e04a0e810283a1e9933adedd2");
  ASSERT_TRUE(derive_initial_keys(kVersion1, kRfcDcid, Side::kServer, s));
  EXPECT_EQ(hex(s.key), "cf3a5331653c364c88f0f379b6067e37");
  EXPECT_EQ(hex(s.iv), "0ac1493ca1905853b0bba03e");
  EXPECT_EQ(hex(s.hp), "c206b8d9b9f0f37644430b490eeaa314");
}

TEST(QuicKeys, Rfc9369AppendixA1) {
  InitialKeys c, s;
  ASSERT_TRUE(derive_initial_keys(kVersion2, kRfcDcid, Side::kClient, c));
  EXPECT_EQ(hex(c.key), "8b1a0bc121284290a29e0971b5cd045d");
  EXPECT_EQ(hex(c.iv), "91f73e2351d8fa91660e909f");
  EXPECT_EQ(hex(c.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
  ASSERT_TRUE(derive_initial_keys(kVersion2, kRfcDcid, Side::kServer, s));
  EXPECT_EQ(hex(s.key), "82db637861d55e1d011f19ea71d5d2a7");
  EXPECT_EQ(hex(s.iv), "dd13c276499c0249d3310652");
  EXPECT_EQ(hex(s.hp), "edf6d05c83121201b436e16877593c3a");
}

TEST(QuicKeys, VersionTable) {
  InitialKeys k;
  EXPECT_TRUE(derive_initial_keys(kVersionDraft29, kRfcDcid, Side::kClient, k));
  EXPECT_FALSE(derive_initial_keys(0x12345678, kRfcDcid, Side::kClient, k));
  ASSERT_NE(quic_version_info(kVersion2), nullptr);
  EXPECT_EQ(quic_version_info(kVersion2)->initial_type, 1);
  EXPECT_EQ(quic_version_info(0xff00001c), nullptr);
  EXPECT_EQ(quic_problem_name(QuicProblem::kDecryptFailed), "quic_decrypt_failed");
  EXPECT_EQ(quic_problem_name(QuicProblem::kBadFrame), "quic_bad_frame");
}

// ------------------------------------------------------------ test-side protection

// Protects HEADER (unprotected, ending with a PN_LEN-byte packet number PN)
// and PAYLOAD as RFC 9001 5.3/5.4 say.
ByteVec protect(const InitialKeys& k, ByteVec header, std::size_t pn_len, std::uint64_t pn, const ByteVec& payload) {
  std::array<std::uint8_t, 12> nonce = k.iv;
  for (std::size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  ByteVec ct(payload.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, k.key.data(), nonce.data());
  EVP_EncryptUpdate(ctx, nullptr, &len, header.data(), static_cast<int>(header.size()));
  EVP_EncryptUpdate(ctx, ct.data(), &len, payload.data(), static_cast<int>(payload.size()));
  EVP_EncryptFinal_ex(ctx, ct.data() + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, ct.data() + payload.size());
  EVP_CIPHER_CTX_free(ctx);

  const std::size_t pn_offset = header.size() - pn_len;
  std::array<std::uint8_t, 16> mask{};
  ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, k.hp.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  EVP_EncryptUpdate(ctx, mask.data(), &len, ct.data() + (4 - pn_len), 16);
  EVP_CIPHER_CTX_free(ctx);
  header[0] ^= mask[0] & 0x0f;
  for (std::size_t i = 0; i < pn_len; ++i) header[pn_offset + i] ^= mask[1 + i];
  append(header, ct);
  return header;
}

// A protected Initial of VERSION from SIDE with FRAMES (padded so a sample exists).
ByteVec initial_packet(std::uint32_t version, Side side, const ByteVec& client_dcid, const ByteVec& dcid,
                       const ByteVec& scid, std::uint64_t pn, ByteVec frames) {
  InitialKeys k;
  EXPECT_TRUE(derive_initial_keys(version, client_dcid, side, k));
  const std::size_t pn_len = 4;
  while (frames.size() < 32) frames.push_back(0);  // PADDING
  ByteVec h;
  h.push_back(static_cast<std::uint8_t>(0xC0 | (quic_version_info(version)->initial_type << 4) | (pn_len - 1)));
  for (int i = 3; i >= 0; --i) h.push_back(static_cast<std::uint8_t>(version >> (8 * i)));
  h.push_back(static_cast<std::uint8_t>(dcid.size()));
  append(h, dcid);
  h.push_back(static_cast<std::uint8_t>(scid.size()));
  append(h, scid);
  h.push_back(0);  // token length
  const std::size_t length = pn_len + frames.size() + 16;
  h.push_back(static_cast<std::uint8_t>(0x40 | (length >> 8)));
  h.push_back(static_cast<std::uint8_t>(length));
  for (int i = static_cast<int>(pn_len) - 1; i >= 0; --i) h.push_back(static_cast<std::uint8_t>(pn >> (8 * i)));
  return protect(k, h, pn_len, pn, frames);
}

ByteVec crypto_frame(std::uint64_t offset, const ByteVec& data) {
  ByteVec f{0x06};
  put_varint(f, offset);
  put_varint(f, data.size());
  append(f, data);
  return f;
}

ByteVec a2_plaintext() {
  ByteVec p = unhex(kA2CryptoFrame);
  p.resize(1162, 0);
  return p;
}
// The ClientHello handshake message (header included) of A.2.
ByteVec a2_client_hello() {
  ByteVec f = unhex(kA2CryptoFrame);
  return ByteVec(f.begin() + 4, f.end());  // type 06, offset 00, length 40f1
}

struct Message {
  std::uint8_t type;
  ByteVec body;
};
QuicInitialReader::HandshakeCallback collect(std::vector<Message>& out) {
  return [&out](std::uint8_t t, Bytes body) { out.push_back({t, ByteVec(body.begin(), body.end())}); };
}

TEST(QuicProtection, EncryptorReproducesRfcPackets) {
  InitialKeys k;
  ASSERT_TRUE(derive_initial_keys(kVersion1, kRfcDcid, Side::kClient, k));
  EXPECT_EQ(protect(k, unhex("c300000001088394c8f03e5157080000449e00000002"), 4, 2, a2_plaintext()),
            unhex(kA2Protected));
  // RFC 9369 A.2: the same ClientHello under v2 (header type bits 0b01).
  ASSERT_TRUE(derive_initial_keys(kVersion2, kRfcDcid, Side::kClient, k));
  ByteVec v2 = protect(k, unhex("d36b3343cf088394c8f03e5157080000449e00000002"), 4, 2, a2_plaintext());
  ByteVec want = unhex(
      "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
      "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04");
  ASSERT_EQ(v2.size(), 1200u);
  EXPECT_EQ(ByteVec(v2.begin(), v2.begin() + 64), want);
}

TEST(QuicInitial, Rfc9001ClientInitial) {
  ByteVec pkt = unhex(kA2Protected);
  ASSERT_EQ(pkt.size(), 1200u);
  EXPECT_TRUE(looks_like_quic_initial(pkt));
  std::vector<Message> msgs;
  QuicInitialReader r(Side::kClient, collect(msgs));
  r.on_datagram(pkt);
  EXPECT_EQ(r.problem(), QuicProblem::kNone) << quic_problem_name(r.problem());
  EXPECT_EQ(r.initial_packets(), 1u);
  EXPECT_EQ(r.decrypted_packets(), 1u);
  EXPECT_EQ(r.version(), kVersion1);
  EXPECT_EQ(ByteVec(r.client_dcid().begin(), r.client_dcid().end()), kRfcDcid);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, 1);
  const ByteVec hello = a2_client_hello();
  EXPECT_EQ(msgs[0].body, ByteVec(hello.begin() + 4, hello.end()));
  auto ch = tls::parse_client_hello(msgs[0].body);
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_TRUE(ch->has_sni);
  EXPECT_EQ(ch->sni, "example.com");
  EXPECT_EQ(ch->alpn, std::vector<std::string>{"alpn"});
  EXPECT_EQ(ch->cipher_suites, (std::vector<std::uint16_t>{0x1301, 0x1302}));
  // JA4 prefix read off the RFC bytes: QUIC, TLS 1.3, SNI, 2 suites, 11 extensions
  // (0000 ff01 000a 0010 0005 0033 002b 000d 002d 001c 0039), ALPN "alpn".
  EXPECT_EQ(tls::ja4(*ch, tls::Ja4Transport::kQuic).fingerprint.substr(0, 10), "q13d0211an");
}

TEST(QuicInitial, Rfc9001ServerInitialNeedsClientDcid) {
  ByteVec pkt = unhex(kA3Protected);
  EXPECT_TRUE(looks_like_quic_initial(pkt));
  std::vector<Message> msgs;
  QuicInitialReader untold(Side::kServer, collect(msgs));
  untold.on_datagram(pkt);
  EXPECT_EQ(untold.problem(), QuicProblem::kNoKeys);
  EXPECT_TRUE(msgs.empty());

  QuicInitialReader r(Side::kServer, collect(msgs));
  r.set_client_dcid(kRfcDcid);
  r.on_datagram(pkt);
  EXPECT_EQ(r.problem(), QuicProblem::kNone) << quic_problem_name(r.problem());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, 2);
  auto sh = tls::parse_server_hello(msgs[0].body);
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  EXPECT_EQ(sh->cipher_suite, 0x1301);
  EXPECT_EQ(tls::negotiated_version(*sh), 0x0304);
}

TEST(QuicInitial, SessionPassesClientDcidToServer) {
  std::vector<Message> c, s;
  QuicInitialSession session(collect(c), collect(s));
  session.on_datagram(true, unhex(kA2Protected));
  session.on_datagram(false, unhex(kA3Protected));
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(c[0].type, 1);
  EXPECT_EQ(s[0].type, 2);
  EXPECT_EQ(session.server().problem(), QuicProblem::kNone);
}

// A snaplen-cut client Initial cannot be opened, but its DCID still opens
// the server's Initial (tshark does the same).
TEST(QuicInitial, TruncatedClientInitialStillKeysServer) {
  std::vector<Message> c, s;
  QuicInitialSession session(collect(c), collect(s));
  const ByteVec pkt = unhex(kA2Protected);
  session.on_datagram(true, Bytes(pkt.data(), 256));
  EXPECT_EQ(session.client().problem(), QuicProblem::kTruncated);
  EXPECT_EQ(session.client().initial_packets(), 1u);
  session.on_datagram(false, unhex(kA3Protected));
  EXPECT_TRUE(c.empty());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].type, 2);
}

TEST(QuicInitial, Version2RoundTrip) {
  std::vector<Message> msgs;
  QuicInitialReader r(Side::kClient, collect(msgs));
  InitialKeys k;
  ASSERT_TRUE(derive_initial_keys(kVersion2, kRfcDcid, Side::kClient, k));
  ByteVec v2 = protect(k, unhex("d36b3343cf088394c8f03e5157080000449e00000002"), 4, 2, a2_plaintext());
  EXPECT_TRUE(looks_like_quic_initial(v2));
  ByteVec v1_type_bits = v2;
  v1_type_bits[0] = 0xc0;  // v1's Initial bits mean 0-RTT in v2: not an Initial
  EXPECT_FALSE(looks_like_quic_initial(v1_type_bits));
  r.on_datagram(v2);
  EXPECT_EQ(r.version(), kVersion2);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(tls::parse_client_hello(msgs[0].body)->sni, "example.com");
}

TEST(QuicInitial, LooksLikeInitial) {
  ByteVec pkt = unhex(kA2Protected);
  EXPECT_FALSE(looks_like_quic_initial({}));
  // Cut by a snaplen after the Length field: still an Initial; inside it: not.
  EXPECT_TRUE(looks_like_quic_initial(ByteVec(pkt.begin(), pkt.begin() + 30)));
  EXPECT_FALSE(looks_like_quic_initial(ByteVec(pkt.begin(), pkt.begin() + 17)));
  ByteVec b = pkt;
  b[0] = 0x40;  // short header
  EXPECT_FALSE(looks_like_quic_initial(b));
  b = pkt;
  b[4] = 0x02;  // unknown version
  EXPECT_FALSE(looks_like_quic_initial(b));
  b = pkt;
  b[5] = 21;  // DCID over 20
  EXPECT_FALSE(looks_like_quic_initial(b));
  b = pkt;
  b[0] = 0xe0;  // v1 Handshake
  EXPECT_FALSE(looks_like_quic_initial(b));
}

// Chrome-style: the ClientHello cut into CRYPTO frames sent in shuffled
// order, over several packets and datagrams, with ACK/PING mixed in.
TEST(QuicInitial, OutOfOrderCryptoAcrossPackets) {
  const ByteVec hello = a2_client_hello();
  const ByteVec scid = unhex("0102030405060708");
  auto piece = [&](std::size_t from, std::size_t to) {
    return crypto_frame(from, ByteVec(hello.begin() + static_cast<std::ptrdiff_t>(from),
                                      hello.begin() + static_cast<std::ptrdiff_t>(to)));
  };
  ByteVec f3 = piece(150, hello.size());
  ByteVec f1{0x01};  // PING
  append(f1, piece(0, 60));
  ByteVec f2 = piece(50, 160);  // overlaps both neighbours
  append(f2, {0x02, 0x09, 0x00, 0x02, 0x00, 0x01, 0x01, 0x01, 0x01});  // ACK with two more ranges
  append(f2, {0x03, 0x05, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03});  // ACK_ECN
  std::vector<Message> msgs;
  QuicInitialReader r(Side::kClient, collect(msgs));
  r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 2, f3));
  EXPECT_TRUE(msgs.empty());
  // Two coalesced Initials in one datagram, then zero padding.
  ByteVec dgram = initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, f1);
  append(dgram, initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 1, f2));
  dgram.resize(dgram.size() + 100, 0);
  r.on_datagram(dgram);
  EXPECT_EQ(r.problem(), QuicProblem::kNone) << quic_problem_name(r.problem());
  EXPECT_EQ(r.decrypted_packets(), 3u);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].body, ByteVec(hello.begin() + 4, hello.end()));
  // A retransmission changes nothing.
  r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 3, piece(0, hello.size())));
  EXPECT_EQ(msgs.size(), 1u);
}

TEST(QuicInitial, CoalescedHandshakePacketSkipped) {
  ByteVec dgram = unhex(kA2Protected);
  // A v1 Handshake packet (type 0b10): header, Length 20, 20 opaque bytes.
  ByteVec hs = unhex("e000000001088394c8f03e5157080014");
  hs.resize(hs.size() + 20, 0xab);
  ByteVec d = hs;
  append(d, dgram);
  std::vector<Message> msgs;
  QuicInitialReader r(Side::kClient, collect(msgs));
  r.on_datagram(d);
  EXPECT_EQ(r.initial_packets(), 1u);
  EXPECT_EQ(msgs.size(), 1u);
}

TEST(QuicInitial, RetryChangesClientDcid) {
  const ByteVec first = unhex("1111111111111111");
  const ByteVec retry_scid = unhex("2222222222222222");
  const ByteVec hello = a2_client_hello();
  std::vector<Message> c, s;
  QuicInitialSession session(collect(c), collect(s));
  // The first Initial goes unanswered but for a Retry; the second goes to the Retry's SCID.
  session.on_datagram(true, initial_packet(kVersion1, Side::kClient, first, first, {}, 0, crypto_frame(0, ByteVec(hello.begin(), hello.begin() + 10))));
  session.on_datagram(true, initial_packet(kVersion1, Side::kClient, retry_scid, retry_scid, {}, 1, crypto_frame(0, hello)));
  EXPECT_EQ(session.client().problem(), QuicProblem::kNone);
  EXPECT_EQ(ByteVec(session.client().client_dcid().begin(), session.client().client_dcid().end()), retry_scid);
  ASSERT_EQ(c.size(), 1u);
  // The server encrypts with keys from the Retry's SCID.
  ByteVec sh = unhex("020000260303");
  sh.resize(4 + 38, 0);
  sh[3] = 38;
  session.on_datagram(false, initial_packet(kVersion1, Side::kServer, retry_scid, {}, retry_scid, 0, crypto_frame(0, sh)));
  EXPECT_EQ(session.server().problem(), QuicProblem::kNone) << quic_problem_name(session.server().problem());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].type, 2);
}

TEST(QuicInitial, NamedProblemsNeverCrash) {
  const ByteVec scid = unhex("01");
  std::vector<Message> msgs;
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec pkt = unhex(kA2Protected);
    pkt[600] ^= 1;
    r.on_datagram(pkt);
    EXPECT_EQ(r.problem(), QuicProblem::kDecryptFailed);
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec frames = crypto_frame(0, {0x01, 0x00});
    frames.push_back(0x08);  // STREAM: not allowed in Initial
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, frames));
    EXPECT_EQ(r.problem(), QuicProblem::kBadFrame);
    EXPECT_EQ(r.problem_count(QuicProblem::kBadFrame), 1u);
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec frames{0x06, 0x00, 0x44, 0x00, 0x01};  // CRYPTO claiming 1024 bytes, 1 present
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, frames));
    EXPECT_EQ(r.problem(), QuicProblem::kBadFrame);
    ByteVec ack{0x02, 0x00, 0x00, 0x3f};  // ACK with 63 ranges that are not there... then padding
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 1, ack));
    EXPECT_EQ(r.problem_count(QuicProblem::kBadFrame), 2u);
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec frames = crypto_frame(0, {0x01, 0x01, 0x00, 0x01});  // ClientHello of 65537 bytes
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, frames));
    EXPECT_EQ(r.problem(), QuicProblem::kHandshakeTooLong);
    EXPECT_TRUE(r.crypto_stopped());
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, crypto_frame(70000, {1})));
    EXPECT_EQ(r.problem(), QuicProblem::kCryptoTooFar);
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec frames;
    for (std::uint64_t i = 1; i <= kMaxCryptoFragments + 1; ++i) append(frames, crypto_frame(i * 10, {1}));
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, scid, 0, frames));
    EXPECT_EQ(r.problem(), QuicProblem::kCryptoFragmented);
    EXPECT_TRUE(r.crypto_stopped());
  }
  {
    QuicInitialReader r(Side::kClient, collect(msgs));
    ByteVec pkt = unhex(kA2Protected);
    pkt[4] = 0x0a;  // unknown version
    r.on_datagram(pkt);
    EXPECT_EQ(r.problem(), QuicProblem::kUnknownVersion);
  }
  EXPECT_TRUE(msgs.empty());

  // Every truncation and a sweep of single-byte damage of the RFC packet:
  // never a crash, never a message from a damaged packet.
  const ByteVec pkt = unhex(kA2Protected);
  for (std::size_t n = 0; n < pkt.size(); ++n) {
    QuicInitialReader r(Side::kClient, collect(msgs));
    r.on_datagram(Bytes(pkt.data(), n));
  }
  for (std::size_t i = 0; i < 64; ++i) {
    ByteVec b = pkt;
    b[i] ^= 0x55;
    QuicInitialReader r(Side::kClient, collect(msgs));
    r.on_datagram(b);
  }
  EXPECT_TRUE(msgs.empty());
  std::uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    ByteVec junk(1 + round * 7);
    for (auto& v : junk) v = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
    junk[0] |= 0xc0;
    if (junk.size() > 5) junk[1] = junk[2] = junk[3] = 0, junk[4] = 1;
    QuicInitialReader r(Side::kClient, collect(msgs));
    r.on_datagram(junk);
  }
  EXPECT_TRUE(msgs.empty());
}

// Garbage that decrypts: the frame parser and CRYPTO reassembly see random
// frames (biased towards the allowed types) with random varints.
TEST(QuicInitial, RandomFramesInsideValidPackets) {
  std::uint32_t x = 777;
  auto rnd = [&x] { return (x = x * 1103515245 + 12345) >> 16; };
  std::uint64_t delivered = 0;
  QuicInitialReader r(Side::kClient, [&](std::uint8_t, Bytes body) { delivered += body.size() + 4; });
  for (std::uint64_t pn = 0; pn < 300; ++pn) {
    ByteVec frames;
    const unsigned n = 1 + rnd() % 6;
    for (unsigned i = 0; i < n; ++i) {
      static const std::uint8_t kTypes[] = {0x00, 0x01, 0x02, 0x03, 0x06, 0x06, 0x06, 0x1c, 0x1d, 0x40};
      frames.push_back(kTypes[rnd() % sizeof kTypes]);
      const unsigned len = rnd() % 12;
      for (unsigned j = 0; j < len; ++j) frames.push_back(static_cast<std::uint8_t>(rnd() & (j % 2 ? 0xff : 0x3f)));
    }
    r.on_datagram(initial_packet(kVersion1, Side::kClient, kRfcDcid, kRfcDcid, {}, pn, frames));
  }
  EXPECT_EQ(r.decrypted_packets(), 300u);
  EXPECT_EQ(r.problem_count(QuicProblem::kDecryptFailed), 0u);
  EXPECT_LE(delivered, 300u * 64);
}

// ------------------------------------------------------------ corpus captures vs tshark

std::filesystem::path shared_corpus() { return std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus"; }

struct Hello {
  std::uint64_t frame;
  std::uint8_t type;
  std::string sni;  // ClientHello
  std::string ja3;  // ClientHello: ja3 md5; ServerHello: ja3s md5
  bool operator==(const Hello&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Hello& h) {
  return o << "{" << h.frame << ", " << int(h.type) << ", \"" << h.sni << "\", \"" << h.ja3 << "\"}";
}

// Every hello of every QUIC session in FILE, in callback order. The client of
// a UDP flow is whoever sent its first datagram that looks like an Initial.
std::vector<Hello> quic_hellos(const std::filesystem::path& file) {
  std::vector<Hello> out;
  auto r = CaptureReader::open(file.string());
  if (!r.ok()) return out;
  struct Flow {
    std::string client;
    std::unique_ptr<QuicInitialSession> session;
  };
  std::map<std::string, Flow> flows;
  Packet p;
  DecodedPacket d;
  std::uint64_t frame = 0;
  auto on_hello = [&](std::uint8_t type, Bytes body) {
    if (type == 1) {
      auto ch = tls::parse_client_hello(body);
      if (ch.ok()) out.push_back({frame, 1, ch->sni, tls::ja3(*ch).md5});
    } else if (type == 2) {
      auto sh = tls::parse_server_hello(body);
      if (sh.ok()) out.push_back({frame, 2, "", tls::ja3s(*sh).md5});
    }
  };
  while ((*r)->next(p)) {
    decode(p, d);
    const Layer* udp = d.find(Proto::kUdp);
    const Layer* ip4 = d.find(Proto::kIpv4);
    const Layer* ip6 = d.find(Proto::kIpv6);
    if (udp == nullptr || (ip4 == nullptr && ip6 == nullptr)) continue;
    frame = p.frame;
    Bytes ip = d.bytes(ip4 ? *ip4 : *ip6);
    Bytes u = d.bytes(*udp);
    const std::size_t alen = ip4 ? 4 : 16, aoff = ip4 ? 12 : 8;
    std::string src(reinterpret_cast<const char*>(ip.data() + aoff), alen);
    std::string dst(reinterpret_cast<const char*>(ip.data() + aoff + alen), alen);
    src.append(reinterpret_cast<const char*>(u.data()), 2);
    dst.append(reinterpret_cast<const char*>(u.data() + 2), 2);
    const std::string key = src < dst ? src + dst : dst + src;
    auto it = flows.find(key);
    if (it == flows.end()) {
      if (!looks_like_quic_initial(d.payload())) continue;
      it = flows.emplace(key, Flow{src, std::make_unique<QuicInitialSession>(on_hello, on_hello)}).first;
    }
    it->second.session->on_datagram(src == it->second.client, d.payload());
  }
  return out;
}

void require_corpus(const std::filesystem::path& f) {
  ASSERT_TRUE(std::filesystem::exists(f)) << "corpus file missing (../shared/corpus is part of the test set-up): " << f;
}

struct CorpusCase {
  const char* file;
  std::vector<Hello> want;
};

// tshark 4.0: -Y 'tls.handshake.type==1 || tls.handshake.type==2' -T fields -e frame.number
// -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.ja3 -e tls.handshake.ja3s
// (ja4-tls-quic's TCP hellos, frames 4 and 6, are not QUIC and left out;
// quic-alerts and quic-cyu are Google QUIC, which has no Initial packets).
const std::vector<CorpusCase>& corpus_cases() {
  static const std::vector<CorpusCase> cases = {
      {"suricata/ja4-quic__input.pcap",
       {{1, 1, "www.blogger.com", "248373eb19ca203170946b3085bd09ae"},
        {2, 1, "socpuppet.blogspot.com", "7ce1d0b5a39f63d19a78ab79d70cd950"},
        {3, 1, "apis.google.com", "ac8edf6f44100b606c78aaea40d9b195"},
        {4, 1, "www.blogger.com", "d86ac2107e0b397603466ab55852fc4a"},
        {5, 1, "apis.google.com", "e065f0e28edf0125603835c0a095cf88"},
        {6, 1, "www.google.com", "76453b37b3d5ed9c500eb8117683fdc3"},
        {7, 1, "www.gstatic.com", "6bf44e6f1f28fe2615dee4c3dce3e6c8"},
        {8, 1, "fonts.gstatic.com", "372a0343e82f54090f4f686f95bb940f"},
        {9, 1, "4.bp.blogspot.com", "1dd3c80662e23efa79a97a24df92d267"},
        {10, 1, "1.bp.blogspot.com", "de6bc290fc44158cc59aa51e8935f9f5"},
        {11, 1, "2.bp.blogspot.com", "324f8c50e267adba4b5dd06c964faf67"}}},
      {"suricata/ja4-tls-quic__input.pcap",
       {{47, 1, "cloudflare-quic.com", "3cbc33c648fe331404456f48a5a27170"},
        {49, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      {"suricata/quic-ack3__input.pcap",
       {{1, 1, "tether.edge.apple", "e211e1aff80aa0a71f03558619487658"},
        {3, 2, "", "f590053ff246338aff7c203dbe7164d6"}}},
      {"suricata/quic-alerts__input.pcap", {}},
      {"suricata/quic-cyu__input.pcap", {}},
      {"suricata/quic-frag-middle-gap__input.pcap",
       {{3, 1, "optimizationguide-pa.googleapis.com", "2adbc782adea01297ab7fcf01fe2acc1"},
        {9, 2, "", "2b0648ab686ee45e0e7c35fcfb0eea7e"}}},
      {"suricata/quic-frag-unordered__input.pcap",
       {{2, 1, "mastodon.social", "272f82e5021102e1a2dda48dca35e0a1"},
        {4, 2, "", "15af977ce25de452b96affa2addb1036"}}},
      {"suricata/quic-frag-wait__input.pcap",
       {{2, 1, "www.google.com", "4a6553630c18ffea07ed77ebed6f499b"},
        {6, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      {"suricata/quic-frag__input.pcap",
       {{2, 1, "token.services.mozilla.com", "2d95fd459df0b3bba123e69b002b3f92"},
        {5, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      {"suricata/quic-ietf-ja3__input.pcap",
       {{1, 1, "msquic.net", "292bd0719190dff4cb1033de8573310d"},
        {2, 2, "", "2253c82f03b621c5144709b393fde2c9"}}},
      {"suricata/quic-ietf__input.pcap",
       {{1, 1, "msquic.net", "292bd0719190dff4cb1033de8573310d"},
        {2, 2, "", "2253c82f03b621c5144709b393fde2c9"}}},
      {"suricata/quic-initial-not-first__input.pcap",
       {{1, 1, "scontent-ams4-1.xx.fbcdn.net", "9a78264e64e221797705e75a3c55df01"},
        {8, 2, "", "f4febc55ea12b31ae17cfb7e614afda8"}}},
      {"suricata/quic-retry-multiple__input.pcap",
       {{2, 1, "public-api.wordpress.com", "399f55fb0c66675d155fb160088d1143"},
        {8, 2, "", "f4febc55ea12b31ae17cfb7e614afda8"}}},
      {"suricata/quic-retry__input.pcap",
       {{2, 1, "www.gravatar.com", "0b0b4e88770444edb82150180c407471"},
        {8, 2, "", "f4febc55ea12b31ae17cfb7e614afda8"}}},
      {"suricata/quic-v2-ja3__input.pcap",
       {{1, 1, "", "ea0aece5703cb982b232a0684fc35b16"}, {2, 2, "", "f4febc55ea12b31ae17cfb7e614afda8"}}},
      {"suricata/quic-v2__input.pcap",
       {{1, 1, "", "ea0aece5703cb982b232a0684fc35b16"}, {2, 2, "", "f4febc55ea12b31ae17cfb7e614afda8"}}},
      // tcpdump's QUIC captures (gquic.pcap is Google QUIC, not in the table: nothing).
      {"tcpdump/quic_handshake.pcap",
       {{1, 1, "localhost", "9a78264e64e221797705e75a3c55df01"}, {2, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      {"tcpdump/quic_retry.pcap",
       {{1, 1, "localhost", "9a78264e64e221797705e75a3c55df01"}, {4, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      // Snaplen 256: the client Initials cannot be opened, but their DCID opens the server's.
      {"tcpdump/quic_handshake_truncated.pcap", {{2, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      // Frame 1 is an Initial of reserved version 0x1a2a3a4a, frame 2 Version
      // Negotiation, frame 3 the v1 Initial. tshark 4.0 reports only the
      // ServerHello ("Decryption (checktag) failed" on frame 3: it keeps frame
      // 1's version); the ClientHello is the same client's as in the two
      // captures above (same SNI and JA3), so the extra row is right.
      {"tcpdump/quic_vn.pcap",
       {{3, 1, "localhost", "9a78264e64e221797705e75a3c55df01"}, {4, 2, "", "eb1d94daa7e0344597e756a1fb6e7054"}}},
      {"tcpdump/gquic.pcap", {}},
  };
  return cases;
}

TEST(QuicCorpus, AgreesWithTshark) {
  for (const auto& c : corpus_cases()) {
    SCOPED_TRACE(c.file);
    auto file = shared_corpus() / c.file;
    ASSERT_NO_FATAL_FAILURE(require_corpus(file));
    EXPECT_EQ(quic_hellos(file), c.want);
  }
}

}  // namespace
}  // namespace pcapscope::proto::quic
