#include "proto/tls/fingerprints.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <iterator>

namespace pcapscope::proto::tls {

namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(std::size_t{len} * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    s[2 * i] = kHex[out[i] >> 4];
    s[2 * i + 1] = kHex[out[i] & 0xf];
  }
  return s;
}

template <typename T>
void append_decimal_list(std::string& out, const std::vector<T>& values, bool skip_grease) {
  bool first = true;
  for (T v : values) {
    if (skip_grease && is_grease(static_cast<std::uint16_t>(v))) continue;
    if (!first) out += '-';
    fmt::format_to(std::back_inserter(out), "{}", v);
    first = false;
  }
}

std::vector<std::uint16_t> extension_types(const std::vector<TlsExtension>& exts) {
  std::vector<std::uint16_t> types;
  types.reserve(exts.size());
  for (const auto& x : exts) types.push_back(x.type);
  return types;
}

// Every ClientHello lists dozens of ciphers and extensions: no printf per value.
void append_hex4(std::string& out, std::uint16_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char digits[4] = {kHex[v >> 12], kHex[(v >> 8) & 0xf], kHex[(v >> 4) & 0xf], kHex[v & 0xf]};
  out.append(digits, 4);
}

std::string hex4_list(const std::vector<std::uint16_t>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) s += ',';
    append_hex4(s, values[i]);
  }
  return s;
}

// JA4's truncated hash: first 12 hex digits of SHA-256, or twelve zeros for an empty list.
std::string hash12(std::string_view s) {
  if (s.empty()) return "000000000000";
  return sha256_hex(s).substr(0, 12);
}

std::vector<std::uint16_t> without_grease(const std::vector<std::uint16_t>& values) {
  std::vector<std::uint16_t> out;
  out.reserve(values.size());
  for (std::uint16_t v : values) {
    if (!is_grease(v)) out.push_back(v);
  }
  return out;
}

bool is_alnum(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// First and last character of the first ALPN value; when either is not ASCII
// alphanumeric, the first and last hex digits of the value instead; "00" without ALPN.
std::string ja4_alpn(const ClientHello& ch) {
  if (ch.alpn.empty() || ch.alpn[0].empty()) return "00";
  const std::string& v = ch.alpn[0];
  const auto first = static_cast<std::uint8_t>(v.front());
  const auto last = static_cast<std::uint8_t>(v.back());
  if (is_alnum(first) && is_alnum(last)) return {static_cast<char>(first), static_cast<char>(last)};
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[first >> 4], kHex[last & 0xf]};
}

std::uint16_t ja4_version(const ClientHello& ch) {
  std::uint16_t best = 0;
  for (std::uint16_t v : ch.supported_versions) {
    if (is_grease(v)) continue;
    // DTLS versions count down (0xfeff = 1.0, 0xfefd = 1.2): the highest is the lowest number.
    const bool dtls = v >= 0xfe00;
    if (best == 0 || (dtls ? v < best : v > best)) best = v;
  }
  return best != 0 ? best : ch.legacy_version;
}

std::string two_digits(std::size_t n) {
  n = std::min<std::size_t>(n, 99);
  return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

}  // namespace

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

Ja3 ja3(const ClientHello& ch) {
  Ja3 r;
  r.full = std::to_string(ch.legacy_version) + ',';
  append_decimal_list(r.full, ch.cipher_suites, true);
  r.full += ',';
  append_decimal_list(r.full, extension_types(ch.extensions), true);
  r.full += ',';
  append_decimal_list(r.full, ch.supported_groups, true);
  r.full += ',';
  append_decimal_list(r.full, ch.ec_point_formats, false);
  r.md5 = md5_hex(r.full);
  return r;
}

Ja3 ja3s(const ServerHello& sh) {
  Ja3 r;
  r.full = std::to_string(sh.legacy_version) + ',' + std::to_string(sh.cipher_suite) + ',';
  append_decimal_list(r.full, extension_types(sh.extensions), true);
  r.md5 = md5_hex(r.full);
  return r;
}

std::string_view ja4_version_code(std::uint16_t version) {
  switch (version) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0200: return "s2";
    case 0x0002: return "s2";  // an SSL 2 hello's version field
    case 0x0100: return "s1";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

Ja4 ja4(const ClientHello& ch, Ja4Transport transport) {
  const std::vector<std::uint16_t> ciphers = without_grease(ch.cipher_suites);
  const std::vector<std::uint16_t> exts = without_grease(extension_types(ch.extensions));

  std::string a;
  a += static_cast<char>(transport);
  a += ja4_version_code(ja4_version(ch));
  a += ch.has_sni ? 'd' : 'i';
  a += two_digits(ciphers.size());
  a += two_digits(exts.size());
  a += ja4_alpn(ch);

  const std::vector<std::uint16_t> sigs = without_grease(ch.signature_algorithms);
  const std::string sig_suffix = sigs.empty() ? std::string() : '_' + hex4_list(sigs);

  std::vector<std::uint16_t> sorted_ciphers = ciphers;
  std::sort(sorted_ciphers.begin(), sorted_ciphers.end());
  const std::string b = hex4_list(sorted_ciphers);
  std::vector<std::uint16_t> sorted_exts;
  for (std::uint16_t t : exts) {
    if (t != ext::kServerName && t != ext::kAlpn) sorted_exts.push_back(t);
  }
  std::sort(sorted_exts.begin(), sorted_exts.end());
  const std::string c = hex4_list(sorted_exts) + sig_suffix;

  const std::string b_original = hex4_list(ciphers);
  const std::string c_original = hex4_list(exts) + sig_suffix;

  Ja4 r;
  r.fingerprint = a + '_' + hash12(b) + '_' + hash12(c);
  r.raw = a + '_' + b + '_' + c;
  r.original = a + '_' + hash12(b_original) + '_' + hash12(c_original);
  r.raw_original = a + '_' + b_original + '_' + c_original;
  return r;
}

}  // namespace pcapscope::proto::tls
