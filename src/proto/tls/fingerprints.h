// TLS client and server fingerprints from parsed hellos.
//
// JA3 / JA3S (Salesforce): decimal fields joined by "," and "-", GREASE
// values (RFC 8701) left out, then MD5. JA4 (FoxIO, ja4_a_b_c): a readable
// prefix (transport, version, SNI, counts, ALPN) plus two truncated SHA-256
// hashes, of the sorted cipher suites and of the sorted extensions (SNI and
// ALPN excluded) followed by the signature algorithms in wire order.
#pragma once

#include <string>
#include <string_view>

#include "proto/tls/tls_hello.h"

namespace pcapscope::proto::tls {

struct Ja3 {
  std::string full;  // "771,4865-4866,0-23,29-23,0"
  std::string md5;   // 32 lowercase hex digits of MD5(full)
};

Ja3 ja3(const ClientHello& ch);
Ja3 ja3s(const ServerHello& sh);  // "771,49199,65281-11-35"

enum class Ja4Transport : char { kTcp = 't', kQuic = 'q', kDtls = 'd' };

struct Ja4 {
  std::string fingerprint;  // ja4:   "t13d1516h2_8daaf6152771_e5627efa2ab1"
  std::string raw;          // ja4_r: same prefix, lists in hex instead of hashes
  std::string original;     // ja4_o: lists in wire order (SNI and ALPN kept), hashed
  std::string raw_original; // ja4_ro: ja4_o unhashed
};

Ja4 ja4(const ClientHello& ch, Ja4Transport transport = Ja4Transport::kTcp);

// JA4's two-character version code: 0x0304 -> "13", 0x0300 -> "s3", 0x0200 -> "s2", 0xfefd -> "d2", unknown -> "00".
std::string_view ja4_version_code(std::uint16_t version);

// Lowercase hex digests (OpenSSL EVP).
std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

}  // namespace pcapscope::proto::tls
