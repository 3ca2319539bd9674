// TLS record reassembly, hello parsing and JA3/JA3S/JA4.
//
// Fingerprint expectations are published values, never computed here:
//  - JA3 README examples (salesforce/ja3 README.md).
//  - JA4 spec example (FoxIO-LLC/ja4 technical details: the ja4_r / ja4 pair
//    t13d1516h2_..._e5627efa2ab1; the same value is in OISF/suricata-verify
//    tests/ja4-rules/test.yaml for the capture below).
//  - Corpus captures (../shared/corpus/suricata/): JA4 from suricata-verify
//    tests/ja4-tls/test.yaml and tests/ja4-rules/test.yaml; JA3/JA3S from
//    tshark 4.0 (tls.handshake.ja3, ja3_full, ja3s, ja3s_full).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "proto/tls/fingerprints.h"
#include "proto/tls/tls_hello.h"

namespace pcapscope::proto::tls {
namespace {

using ByteVec = std::vector<std::uint8_t>;

void put16(ByteVec& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put24(ByteVec& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void append(ByteVec& b, const ByteVec& more) { b.insert(b.end(), more.begin(), more.end()); }

using Ext = std::pair<std::uint16_t, ByteVec>;

ByteVec u16_list16(const std::vector<std::uint16_t>& v) {
  ByteVec b;
  put16(b, static_cast<std::uint16_t>(v.size() * 2));
  for (auto x : v) put16(b, x);
  return b;
}
Ext sni_ext(const std::string& host) {
  ByteVec b;
  put16(b, static_cast<std::uint16_t>(host.size() + 3));
  b.push_back(0);
  put16(b, static_cast<std::uint16_t>(host.size()));
  b.insert(b.end(), host.begin(), host.end());
  return {ext::kServerName, b};
}
Ext alpn_ext(const std::vector<std::string>& names) {
  ByteVec list;
  for (const auto& n : names) {
    list.push_back(static_cast<std::uint8_t>(n.size()));
    list.insert(list.end(), n.begin(), n.end());
  }
  ByteVec b;
  put16(b, static_cast<std::uint16_t>(list.size()));
  append(b, list);
  return {ext::kAlpn, b};
}
Ext groups_ext(const std::vector<std::uint16_t>& g) { return {ext::kSupportedGroups, u16_list16(g)}; }
Ext sigalgs_ext(const std::vector<std::uint16_t>& s) { return {ext::kSignatureAlgorithms, u16_list16(s)}; }
Ext points_ext(const ByteVec& p) {
  ByteVec b{static_cast<std::uint8_t>(p.size())};
  append(b, p);
  return {ext::kEcPointFormats, b};
}
Ext versions_ext(const std::vector<std::uint16_t>& v) {
  ByteVec b{static_cast<std::uint8_t>(v.size() * 2)};
  for (auto x : v) put16(b, x);
  return {ext::kSupportedVersions, b};
}

// A ClientHello body; WITH_EXT_BLOCK=false ends it after compression methods.
ByteVec client_hello(std::uint16_t version, const std::vector<std::uint16_t>& ciphers, const std::vector<Ext>& exts,
                     bool with_ext_block = true) {
  ByteVec b;
  put16(b, version);
  for (int i = 0; i < 32; ++i) b.push_back(static_cast<std::uint8_t>(i));
  b.push_back(4);
  append(b, {0xde, 0xad, 0xbe, 0xef});
  append(b, u16_list16(ciphers));
  append(b, {1, 0});
  if (!with_ext_block) return b;
  ByteVec block;
  for (const auto& [type, data] : exts) {
    put16(block, type);
    put16(block, static_cast<std::uint16_t>(data.size()));
    append(block, data);
  }
  put16(b, static_cast<std::uint16_t>(block.size()));
  append(b, block);
  return b;
}

ByteVec server_hello(std::uint16_t version, std::uint16_t cipher, const std::vector<Ext>& exts) {
  ByteVec b;
  put16(b, version);
  b.insert(b.end(), 32, 0x42);
  b.push_back(0);
  put16(b, cipher);
  b.push_back(0);
  ByteVec block;
  for (const auto& [type, data] : exts) {
    put16(block, type);
    put16(block, static_cast<std::uint16_t>(data.size()));
    append(block, data);
  }
  put16(b, static_cast<std::uint16_t>(block.size()));
  append(b, block);
  return b;
}

ByteVec handshake(std::uint8_t type, const ByteVec& body) {
  ByteVec b{type};
  put24(b, body.size());
  append(b, body);
  return b;
}
ByteVec record(std::uint8_t type, const ByteVec& payload) {
  ByteVec b{type, 3, 1};
  put16(b, static_cast<std::uint16_t>(payload.size()));
  append(b, payload);
  return b;
}

struct Collected {
  std::vector<std::pair<std::uint8_t, ByteVec>> messages;
  TlsRecordReader reader{
      [this](std::uint8_t t, Bytes body) { messages.emplace_back(t, ByteVec(body.begin(), body.end())); }};
};

ClientHello parse_ch(const ByteVec& body) {
  auto r = parse_client_hello(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : ClientHello{};
}

// ---------------------------------------------------------------- records

TEST(TlsRecordReader, ReassemblesHelloFedOneByteAtATime) {
  ByteVec body = client_hello(0x0303, {0x1301, 0xc02f}, {sni_ext("example.com")});
  ByteVec stream = record(22, handshake(1, body));
  Collected c;
  for (std::size_t i = 0; i < stream.size(); ++i) c.reader.on_data(i, Bytes(&stream[i], 1));
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].first, 1);
  EXPECT_EQ(c.messages[0].second, body);
  EXPECT_FALSE(c.reader.stopped());
  EXPECT_EQ(c.reader.records(), 1u);
}

TEST(TlsRecordReader, ReassemblesMessageSplitAcrossRecordsAndSeveralInOne) {
  ByteVec big(20000, 0x5a);  // certificate-sized: spans two records
  ByteVec msgs = handshake(2, server_hello(0x0303, 0xc02f, {}));
  append(msgs, handshake(11, big));
  append(msgs, handshake(14, {}));
  ByteVec stream;
  for (std::size_t pos = 0; pos < msgs.size(); pos += 7000) {
    std::size_t n = std::min<std::size_t>(7000, msgs.size() - pos);
    const auto first = msgs.begin() + static_cast<std::ptrdiff_t>(pos);
    append(stream, record(22, ByteVec(first, first + static_cast<std::ptrdiff_t>(n))));
  }
  Collected c;
  // Odd chunk sizes so record and segment boundaries never line up.
  for (std::size_t pos = 0; pos < stream.size(); pos += 1499) {
    std::size_t n = std::min<std::size_t>(1499, stream.size() - pos);
    c.reader.on_data(pos, Bytes(stream.data() + pos, n));
  }
  ASSERT_EQ(c.messages.size(), 3u);
  EXPECT_EQ(c.messages[0].first, 2);
  EXPECT_EQ(c.messages[1].first, 11);
  EXPECT_EQ(c.messages[1].second, big);
  EXPECT_EQ(c.messages[2].first, 14);
  EXPECT_TRUE(c.messages[2].second.empty());
  EXPECT_EQ(c.reader.records(), 3u);
  EXPECT_FALSE(c.reader.stopped());
}

TEST(TlsRecordReader, RetransmittedBytesAreSkipped) {
  ByteVec stream = record(22, handshake(1, client_hello(0x0303, {0x002f}, {})));
  Collected c;
  c.reader.on_data(0, Bytes(stream.data(), 10));
  c.reader.on_data(0, Bytes(stream.data(), 20));  // overlaps 10 old bytes
  c.reader.on_data(5, Bytes(stream.data() + 5, stream.size() - 5));
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_FALSE(c.reader.stopped());
}

TEST(TlsRecordReader, GapStopsTheDirection) {
  ByteVec stream = record(22, handshake(1, client_hello(0x0303, {0x002f}, {})));
  append(stream, stream);
  {
    Collected c;
    c.reader.on_data(0, Bytes(stream.data(), 10));
    c.reader.on_gap(10, 5);
    EXPECT_EQ(c.reader.problem(), TlsProblem::kStreamGap);
    EXPECT_EQ(tls_problem_name(c.reader.problem()), "tls_stream_gap");
    c.reader.on_data(15, Bytes(stream.data() + 15, stream.size() - 15));
    EXPECT_TRUE(c.messages.empty());
  }
  {
    Collected c;  // a jump forward in offsets is a gap too
    c.reader.on_data(0, Bytes(stream.data(), stream.size() / 2));
    c.reader.on_data(stream.size() / 2 + 3, Bytes(stream.data() + stream.size() / 2 + 3, 3));
    EXPECT_EQ(c.reader.problem(), TlsProblem::kStreamGap);
    EXPECT_EQ(c.messages.size(), 1u);  // the first hello was complete before the gap
  }
  {
    Collected c;  // a gap inside bytes already delivered changes nothing
    c.reader.on_data(0, Bytes(stream.data(), 20));
    c.reader.on_gap(5, 5);
    EXPECT_FALSE(c.reader.stopped());
  }
}

TEST(TlsRecordReader, MalformedLengthsAndGarbageStopWithNamedProblem) {
  struct Case {
    ByteVec bytes;
    TlsProblem want;
  };
  ByteVec too_long_record = {22, 3, 3, 0x48, 0x01};  // 18433 > 2^14+2048
  ByteVec too_long_handshake = record(22, {1, 0x01, 0x00, 0x01});  // 65537-byte message
  ByteVec http = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'};
  ByteVec sslv2ish = {22, 2, 0, 0, 4, 1, 0, 0, 0};
  const Case cases[] = {
      {too_long_record, TlsProblem::kRecordTooLong},
      {too_long_handshake, TlsProblem::kHandshakeTooLong},
      {http, TlsProblem::kBadContentType},
      {sslv2ish, TlsProblem::kBadRecordVersion},
  };
  for (const auto& tc : cases) {
    for (std::size_t chunk : {std::size_t{1}, tc.bytes.size()}) {
      Collected c;
      for (std::size_t pos = 0; pos < tc.bytes.size(); pos += chunk) {
        c.reader.on_data(pos, Bytes(tc.bytes.data() + pos, std::min(chunk, tc.bytes.size() - pos)));
      }
      EXPECT_EQ(c.reader.problem(), tc.want) << tls_problem_name(tc.want) << " chunk " << chunk;
      EXPECT_TRUE(c.messages.empty());
    }
  }
  // The largest legal record is accepted.
  Collected ok;
  ByteVec max_record = {23, 3, 3, 0x48, 0x00};
  max_record.resize(5 + kMaxRecordPayload, 0);
  ok.reader.on_data(0, max_record);
  EXPECT_FALSE(ok.reader.stopped());
  EXPECT_EQ(ok.reader.records(), 1u);
}

TEST(TlsRecordReader, EncryptedHandshakeAfterChangeCipherSpecIsNotParsed) {
  ByteVec stream = record(22, handshake(16, ByteVec(70, 1)));
  append(stream, record(20, {1}));
  append(stream, record(22, ByteVec(40, 0xee)));  // encrypted Finished: garbage as handshake
  Collected c;
  c.reader.on_data(0, stream);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].first, 16);
  EXPECT_TRUE(c.reader.encrypted());
  EXPECT_FALSE(c.reader.stopped());
}

// RFC 8446 D.4: after a HelloRetryRequest the client sends a compatibility CCS
// and then its second ClientHello in plaintext; that one is still delivered.
TEST(TlsRecordReader, SecondClientHelloAfterCompatibilityCcsIsDelivered) {
  ByteVec ch2 = client_hello(0x0303, {0x1301}, {versions_ext({0x0304})});
  ByteVec stream = record(22, handshake(1, client_hello(0x0303, {0x1301}, {})));
  append(stream, record(20, {1}));
  append(stream, record(22, handshake(1, ch2)));
  Collected c;
  c.reader.on_data(0, stream);
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[1].second, ch2);
}

// Mutated streams (deterministic xorshift): whatever the bytes, the reader and
// the parsers neither crash nor read out of bounds (run under ASan in `make test`).
TEST(TlsRecordReader, MutatedStreamsNeverMisbehave) {
  ByteVec hello = client_hello(0x0303, {0x1301, 0x1302, 0xc02f}, {sni_ext("a.example"), alpn_ext({"h2"})});
  ByteVec base = record(22, handshake(1, hello));
  append(base, record(22, handshake(2, server_hello(0x0303, 0x1301, {}))));
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int round = 0; round < 2000; ++round) {
    ByteVec s = base;
    for (int m = 0; m < 4; ++m) s[next() % s.size()] = static_cast<std::uint8_t>(next());
    s.resize(next() % (s.size() + 1));
    std::size_t parsed = 0;
    TlsRecordReader reader([&](std::uint8_t type, Bytes body) {
      if (type == 1) parsed += parse_client_hello(body).ok();
      if (type == 2) parsed += parse_server_hello(body).ok();
      if (auto ch = parse_client_hello(body); ch.ok()) {
        (void)ja3(*ch);
        (void)ja4(*ch);
      }
    });
    const std::size_t chunk = 1 + next() % 64;
    for (std::size_t pos = 0; pos < s.size(); pos += chunk) {
      reader.on_data(pos, Bytes(s.data() + pos, std::min(chunk, s.size() - pos)));
    }
    EXPECT_LE(parsed, 2u);
  }
}

// ---------------------------------------------------------------- hellos

TEST(TlsClientHello, ParsesFieldsSniAndAlpn) {
  ByteVec body = client_hello(0x0303, {0x1301, 0x1302, 0xc02f},
                              {sni_ext("www.example.org"), alpn_ext({"h2", "http/1.1"}), groups_ext({29, 23}),
                               points_ext({0}), sigalgs_ext({0x0403, 0x0804}), versions_ext({0x0304, 0x0303}),
                               {0xff01, {0}}});
  ClientHello ch = parse_ch(body);
  EXPECT_EQ(ch.legacy_version, 0x0303);
  EXPECT_EQ(ch.random[31], 31);
  EXPECT_EQ(ch.session_id, (ByteVec{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(ch.cipher_suites, (std::vector<std::uint16_t>{0x1301, 0x1302, 0xc02f}));
  EXPECT_EQ(ch.compression_methods, (ByteVec{0}));
  ASSERT_EQ(ch.extensions.size(), 7u);
  EXPECT_EQ(ch.extensions[0].type, 0);
  EXPECT_EQ(ch.extensions[6].type, 0xff01);
  EXPECT_EQ(ch.extensions[6].data, (ByteVec{0}));
  EXPECT_TRUE(ch.has_sni);
  EXPECT_EQ(ch.sni, "www.example.org");
  EXPECT_EQ(ch.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(ch.supported_groups, (std::vector<std::uint16_t>{29, 23}));
  EXPECT_EQ(ch.ec_point_formats, (ByteVec{0}));
  EXPECT_EQ(ch.signature_algorithms, (std::vector<std::uint16_t>{0x0403, 0x0804}));
  EXPECT_EQ(ch.supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
  EXPECT_FALSE(ch.malformed_extension);
}

TEST(TlsClientHello, NoExtensionBlockIsValid) {
  ClientHello ch = parse_ch(client_hello(0x0301, {0x002f}, {}, false));
  EXPECT_TRUE(ch.extensions.empty());
  EXPECT_FALSE(ch.has_sni);
}

TEST(TlsClientHello, TruncatedAndInconsistentLengthsAreErrors) {
  ByteVec body = client_hello(0x0303, {0x1301, 0xc02f}, {sni_ext("a.example"), alpn_ext({"h2"})});
  // Every strict prefix that cuts a length-prefixed field must fail (or parse
  // without an extension block); none may read past the end.
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto r = parse_client_hello(Bytes(body.data(), n));
    if (r.ok()) {
      EXPECT_TRUE(r->extensions.empty()) << n;
    }
  }
  ByteVec odd = body;
  odd[2 + 32 + 1 + 4 + 1] = 3;  // cipher suites length 3
  EXPECT_FALSE(parse_client_hello(odd).ok());
  ByteVec long_sid = body;
  long_sid[2 + 32] = 33;
  EXPECT_FALSE(parse_client_hello(long_sid).ok());
}

TEST(TlsClientHello, MalformedSniIsFlaggedNotFatal) {
  ByteVec bad_sni = {0x00, 0x09, 0x00, 0x00, 0x20, 'a', 'b'};  // name length past the list
  ClientHello ch = parse_ch(client_hello(0x0303, {0x002f}, {{ext::kServerName, bad_sni}, alpn_ext({"h2"})}));
  EXPECT_TRUE(ch.malformed_extension);
  EXPECT_TRUE(ch.has_sni);
  EXPECT_EQ(ch.sni, "");
  EXPECT_EQ(ch.alpn, (std::vector<std::string>{"h2"}));
}

TEST(TlsServerHello, ParsesSelectedVersionCipherAndAlpn) {
  ByteVec sv;
  put16(sv, 0x0304);
  auto r = parse_server_hello(
      server_hello(0x0303, 0x1301, {{ext::kSupportedVersions, sv}, alpn_ext({"h2"}), {51, {0, 29}}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->legacy_version, 0x0303);
  EXPECT_EQ(r->cipher_suite, 0x1301);
  EXPECT_EQ(r->selected_version, 0x0304);
  EXPECT_EQ(negotiated_version(*r), 0x0304);
  EXPECT_EQ(r->alpn, "h2");
  ASSERT_EQ(r->extensions.size(), 3u);
  EXPECT_EQ(r->extensions[2].type, 51);
  EXPECT_FALSE(parse_server_hello(ByteVec(30, 3)).ok());
}

// ---------------------------------------------------------------- fingerprints

// salesforce/ja3 README.md: the two published string -> MD5 examples.
TEST(TlsFingerprint, Ja3ReadmeExamples) {
  ClientHello a = parse_ch(client_hello(769, {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
                                        {sni_ext("example.com"), groups_ext({23, 24, 25}), points_ext({0})}));
  Ja3 ja = ja3(a);
  EXPECT_EQ(ja.full, "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  EXPECT_EQ(ja.md5, "ada70206e40642a3e4461f35503241d5");

  ClientHello b = parse_ch(client_hello(769, {4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99}, {}, false));
  Ja3 jb = ja3(b);
  EXPECT_EQ(jb.full, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
  EXPECT_EQ(jb.md5, "de350869b8c85de67a350c8d186f11e6");
}

// FoxIO-LLC/ja4 technical_details/JA4.md (v0.18.2) example: extensions in the
// spec's JA4_ro order, GREASE sprinkled in; expected ja4, ja4_r, ja4_o, ja4_ro
// and the no-signature-algorithms extension hash are the spec's own values.
std::vector<Ext> spec_example_extensions(const std::vector<std::uint16_t>& sigalgs) {
  return {{0x0a0a, {}},  // GREASE: not counted, not hashed
          {0x001b, {2, 0, 2}}, sni_ext("example.com"), {0x0033, {0, 0}}, alpn_ext({"h2", "http/1.1"}),
          {0x4469, {}}, {0x0017, {}}, {0x002d, {1, 1}}, sigalgs_ext(sigalgs), {0x0005, {1, 0, 0, 0, 0}},
          {0x0023, {}}, {0x0012, {}}, versions_ext({0x2a2a, 0x0304, 0x0303}), {0xff01, {0}},
          points_ext({0}), groups_ext({0x1a1a, 29, 23, 24}), {0x0015, {0, 0}}, {0x4a4a, {0}}};
}
const std::vector<std::uint16_t> kSpecCiphers = {0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                                 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
const std::vector<std::uint16_t> kSpecSigalgs = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};

TEST(TlsFingerprint, Ja4SpecExample) {
  ClientHello ch = parse_ch(client_hello(0x0303, kSpecCiphers, spec_example_extensions(kSpecSigalgs)));
  Ja4 j = ja4(ch);
  EXPECT_EQ(j.fingerprint, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(j.raw,
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,"
            "000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601");
  EXPECT_EQ(j.original, "t13d1516h2_acb858a92679_18f69afefd3d");
  EXPECT_EQ(j.raw_original,
            "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,"
            "0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,"
            "0601");
  EXPECT_EQ(ja4(ch, Ja4Transport::kQuic).fingerprint, "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

// Same spec: "If there are no signature algorithms ... the string ends without an underscore":
// 0005,...,ff01 = 6d807ffa2a79.
TEST(TlsFingerprint, Ja4SpecExampleWithoutSignatureAlgorithms) {
  ClientHello ch = parse_ch(client_hello(0x0303, kSpecCiphers, spec_example_extensions({})));
  EXPECT_TRUE(ch.signature_algorithms.empty());
  EXPECT_EQ(ja4(ch).fingerprint, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

// GREASE (RFC 8701) changes neither JA3 nor JA4.
TEST(TlsFingerprint, GreaseValuesAreIgnored) {
  ClientHello plain = parse_ch(client_hello(0x0303, {0x1301, 0xc02f},
                                            {sni_ext("x.test"), groups_ext({29, 23}), points_ext({0}),
                                             versions_ext({0x0304, 0x0303})}));
  ClientHello greased = parse_ch(client_hello(0x0303, {0xdada, 0x1301, 0xc02f},
                                              {{0x2a2a, {}}, sni_ext("x.test"), groups_ext({0x8a8a, 29, 23}),
                                               points_ext({0}), versions_ext({0xfafa, 0x0304, 0x0303}),
                                               {0xbaba, {0}}}));
  EXPECT_TRUE(is_grease(0x0a0a));
  EXPECT_TRUE(is_grease(0xfafa));
  EXPECT_FALSE(is_grease(0x0a1a));
  EXPECT_FALSE(is_grease(0x1301));
  EXPECT_EQ(ja3(greased).full, ja3(plain).full);
  EXPECT_EQ(ja4(greased).fingerprint, ja4(plain).fingerprint);
  EXPECT_EQ(ja4(greased).fingerprint.substr(0, 10), "t13d020400");
}

// Prefix rules of the JA4 spec: IP/no SNI, missing lists, ALPN characters, counts capped at 99.
TEST(TlsFingerprint, Ja4PrefixRulesAndEmptyLists) {
  ClientHello empty = parse_ch(client_hello(0x0303, {}, {}, false));
  EXPECT_EQ(ja4(empty).fingerprint, "t12i000000_000000000000_000000000000");

  auto alpn_code = [](std::vector<std::string> alpn) {
    return ja4(parse_ch(client_hello(0x0303, {0x002f}, {alpn_ext(alpn)}))).fingerprint.substr(8, 2);
  };
  EXPECT_EQ(alpn_code({"http/1.1", "h2"}), "h1");
  EXPECT_EQ(alpn_code({"h"}), "hh");
  EXPECT_EQ(alpn_code({"h3-29"}), "h9");
  // Rule from the current FoxIO JA4.md (not in the v0.18.2 text): non-alphanumeric ends -> hex "ab61cd".
  EXPECT_EQ(alpn_code({std::string("\xab\x61\xcd", 3)}), "ad");

  std::vector<std::uint16_t> many;
  for (std::uint16_t i = 1; i <= 120; ++i) many.push_back(i);
  EXPECT_EQ(ja4(parse_ch(client_hello(0x0301, many, {}, false))).fingerprint.substr(0, 10), "t10i990000");
  EXPECT_EQ(ja4_version_code(0x0300), "s3");
  EXPECT_EQ(ja4_version_code(0x0200), "s2");
  EXPECT_EQ(ja4_version_code(0x0100), "s1");
  EXPECT_EQ(ja4_version_code(0xfefd), "d2");
  EXPECT_EQ(ja4_version_code(0x1234), "00");
}

// ---------------------------------------------------------------- corpus captures

std::filesystem::path shared_corpus() { return std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus"; }

// TCP payload of frame FRAME (1-based) of FILE; empty if absent.
ByteVec tcp_payload(const std::filesystem::path& file, std::uint64_t frame) {
  auto r = CaptureReader::open(file.string());
  if (!r.ok()) return {};
  Packet p;
  DecodedPacket d;
  while ((*r)->next(p)) {
    if (p.frame != frame) continue;
    decode(p, d);
    if (!d.has(Proto::kTcp)) return {};
    Bytes pl = d.payload();
    return ByteVec(pl.begin(), pl.end());
  }
  return {};
}

template <typename T, typename F>
Result<T> first_message(const ByteVec& segment, std::uint8_t type, F parse) {
  Result<T> out = Error{"no message"};
  TlsRecordReader reader([&](std::uint8_t t, Bytes body) {
    if (t == type && !out.ok()) out = parse(body);
  });
  reader.on_data(0, segment);
  return out;
}

void require_corpus(const std::filesystem::path& f) {
  ASSERT_TRUE(std::filesystem::exists(f)) << "corpus file missing (../shared/corpus is part of the test set-up): " << f;
}

// suricata-verify tests/ja4-tls: TLS 1.2 hello without SNI, ALPN spdy/3.1.
TEST(TlsCorpus, SuricataJa4TlsCapture) {
  auto file = shared_corpus() / "suricata/ja4-tls__input.pcap";
  ASSERT_NO_FATAL_FAILURE(require_corpus(file));
  if (IsSkipped()) return;
  auto ch = first_message<ClientHello>(tcp_payload(file, 4), 1, parse_client_hello);
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_FALSE(ch->has_sni);
  EXPECT_EQ(ch->alpn, (std::vector<std::string>{"spdy/3.1", "http/1.1"}));
  EXPECT_EQ(ja4(*ch).fingerprint, "t12i1810s1_27d4652c4487_06a4338d0495");  // suricata-verify test.yaml
  Ja3 j = ja3(*ch);                                                          // tshark 4.0
  EXPECT_EQ(j.full,
            "771,49195-49199-158-49162-49161-49171-49172-49159-49169-51-50-57-156-47-53-10-5-4,"
            "65281-10-11-35-13172-16-30032-5-18-13,23-24-25,0");
  EXPECT_EQ(j.md5, "308b0bd904abbef5e0034a1ff7a78920");

  auto sh = first_message<ServerHello>(tcp_payload(file, 6), 2, parse_server_hello);
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  Ja3 js = ja3s(*sh);  // tshark 4.0
  EXPECT_EQ(js.full, "771,49199,65281-11-35");
  EXPECT_EQ(js.md5, "ccc514751b175866924439bdbb5bba34");
}

// suricata-verify tests/ja4-rules: Chrome TLS 1.3 hello to cloudflare-quic.com.
TEST(TlsCorpus, SuricataJa4RulesCapture) {
  auto file = shared_corpus() / "suricata/ja4-rules__input.pcap";
  ASSERT_NO_FATAL_FAILURE(require_corpus(file));
  if (IsSkipped()) return;
  auto ch = first_message<ClientHello>(tcp_payload(file, 4), 1, parse_client_hello);
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(ch->sni, "cloudflare-quic.com");
  EXPECT_EQ(ch->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(ja4(*ch).fingerprint, "t13d1516h2_8daaf6152771_e5627efa2ab1");  // suricata-verify test.yaml
  Ja3 j = ja3(*ch);                                                          // tshark 4.0
  EXPECT_EQ(j.full,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0");
  EXPECT_EQ(j.md5, "cd08e31494f9531f560d64c695473da9");

  auto sh = first_message<ServerHello>(tcp_payload(file, 6), 2, parse_server_hello);
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  EXPECT_EQ(sh->selected_version, 0x0304);
  Ja3 js = ja3s(*sh);  // tshark 4.0
  EXPECT_EQ(js.full, "771,4865,51-43");
  EXPECT_EQ(js.md5, "eb1d94daa7e0344597e756a1fb6e7054");
}

}  // namespace
}  // namespace pcapscope::proto::tls
