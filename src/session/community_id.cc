#include "session/community_id.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <utility>

namespace pcapscope::session {
namespace {

constexpr int kNoCounterpart = -1;

// Zeek's ICMP4_counterpart / ICMP6_counterpart, which pycommunityid mirrors.
// TYPE is unsigned rather than uint8_t so that an out-of-range "type" handed in
// through FlowEndpoints::sport behaves as in pycommunityid: no pair, one-way.
int icmp4_counterpart(unsigned type) {
  switch (type) {
    case 8: return 0;     // echo request -> echo reply
    case 0: return 8;
    case 13: return 14;   // timestamp
    case 14: return 13;
    case 15: return 16;   // information request
    case 16: return 15;
    case 10: return 9;    // router solicitation -> advertisement
    case 9: return 10;
    case 17: return 18;   // address mask
    case 18: return 17;
    default: return kNoCounterpart;
  }
}

int icmp6_counterpart(unsigned type) {
  switch (type) {
    case 128: return 129;  // echo request -> echo reply
    case 129: return 128;
    case 133: return 134;  // router solicitation -> advertisement
    case 134: return 133;
    case 135: return 136;  // neighbour solicitation -> advertisement
    case 136: return 135;
    case 130: return 131;  // MLD listener query -> report
    case 131: return 130;
    case 139: return 140;  // node information query -> response ("who are you")
    case 140: return 139;
    case 144: return 145;  // home agent address discovery request -> reply
    case 145: return 144;
    default: return kNoCounterpart;
  }
}

IcmpPorts map_icmp(bool v6, unsigned type, std::uint16_t code) {
  const int counter = v6 ? icmp6_counterpart(type) : icmp4_counterpart(type);
  if (counter == kNoCounterpart) return {static_cast<std::uint16_t>(type), code, true};
  return {static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(counter), false};
}

struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Fetched once: with OpenSSL 3, EVP_sha1() would repeat the provider lookup
// (under a lock) on every EVP_DigestInit_ex. Constructed after libcrypto has
// registered its atexit cleanup, so it is released before that runs.
const EVP_MD* sha1() {
  static const std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

EVP_MD_CTX* thread_ctx() {
  thread_local const std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

void put16(std::uint8_t*& p, std::uint16_t v) {
  *p++ = static_cast<std::uint8_t>(v >> 8);
  *p++ = static_cast<std::uint8_t>(v);
}

}  // namespace

IcmpPorts icmp_ports(bool v6, std::uint8_t type, std::uint8_t code) { return map_icmp(v6, type, code); }

void community_id_v1(const FlowEndpoints& f, std::uint16_t seed, std::string& out) {
  std::uint16_t port1 = f.sport, port2 = f.dport;
  bool one_way = false;
  if (f.has_ports && (f.proto == 1 || f.proto == 58)) {
    const IcmpPorts m = map_icmp(f.proto == 58, f.sport, f.dport);
    port1 = m.port1;
    port2 = m.port2;
    one_way = m.one_way;
  }

  const std::size_t alen = f.ipv6 ? 16 : 4;
  const int cmp = std::memcmp(f.src.data(), f.dst.data(), alen);
  // Without ports equal addresses leave nothing to order: either way hashes the same bytes.
  const bool keep = one_way || cmp < 0 || (cmp == 0 && f.has_ports && port1 < port2);
  const std::uint8_t* lo = keep ? f.src.data() : f.dst.data();
  const std::uint8_t* hi = keep ? f.dst.data() : f.src.data();
  if (!keep) std::swap(port1, port2);

  // 2 + 16 + 16 + 2 + 4 = 40 bytes at most; always a multiple of 4 as the spec requires.
  std::uint8_t input[40];
  std::uint8_t* p = input;
  put16(p, seed);
  std::memcpy(p, lo, alen);
  p += alen;
  std::memcpy(p, hi, alen);
  p += alen;
  *p++ = f.proto;
  *p++ = 0;  // padding
  if (f.has_ports) {
    put16(p, port1);
    put16(p, port2);
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX* ctx = thread_ctx();
  const EVP_MD* md = sha1();
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, input, static_cast<std::size_t>(p - input)) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 || digest_len != 20) {
    out.clear();
    return;
  }

  // "1:" + 28 base64 characters; EVP_EncodeBlock also writes a terminating NUL.
  char text[2 + 28 + 1] = {'1', ':'};
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text + 2), digest, 20);
  out.assign(text, 2 + static_cast<std::size_t>(n));
}

std::string community_id_v1(const FlowEndpoints& f, std::uint16_t seed) {
  std::string out;
  community_id_v1(f, seed, out);
  return out;
}

}  // namespace pcapscope::session
