// Builders for the decode tests: packets assembled from readable parts, with
// lengths and checksums filled in, decoded and read back by field name.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "pcapscope/decode.h"
#include "pcapscope/fields.h"

namespace pcapscope::test {

using ByteVec = std::vector<std::uint8_t>;

inline ByteVec cat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline void put16(ByteVec& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

inline ByteVec eth(std::uint16_t type) {
  ByteVec b = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0};
  put16(b, 12, type);
  return b;
}

inline std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// IPv4 header 10.0.0.1 -> 10.0.0.2 carrying PAYLOAD_LEN bytes of PROTO.
inline ByteVec ipv4(std::uint8_t proto, std::size_t payload_len, ByteVec options = {},
                    std::uint16_t frag = 0x4000) {
  ByteVec b = {0x45, 0x00, 0, 0, 0x12, 0x34, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  b.insert(b.end(), options.begin(), options.end());
  b[0] = static_cast<std::uint8_t>(0x40 | (b.size() / 4));
  put16(b, 2, static_cast<std::uint16_t>(b.size() + payload_len));
  put16(b, 6, frag);
  put16(b, 10, checksum(b.data(), b.size()));
  return b;
}

// IPv6 header 2001:db8::1 -> 2001:db8::2.
inline ByteVec ipv6(std::uint8_t next, std::size_t payload_len) {
  ByteVec b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<std::uint16_t>(payload_len));
  b[6] = next;
  b[7] = 64;
  const std::uint8_t prefix[] = {0x20, 0x01, 0x0d, 0xb8};
  for (int i = 0; i < 4; ++i) b[8 + i] = b[24 + i] = prefix[i];
  b[23] = 1;
  b[39] = 2;
  return b;
}

inline ByteVec tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, ByteVec options = {}) {
  ByteVec b = {0, 0, 0, 0, 0, 0, 0, 123, 0, 0, 1, 0xc8, 0x50, 0, 0xfa, 0xf0, 0, 0, 0, 0};
  put16(b, 0, sport);
  put16(b, 2, dport);
  b[13] = flags;
  b.insert(b.end(), options.begin(), options.end());
  b[12] = static_cast<std::uint8_t>((b.size() / 4) << 4);
  return b;
}

inline ByteVec udp(std::uint16_t sport, std::uint16_t dport, std::size_t payload_len) {
  ByteVec b(8, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<std::uint16_t>(8 + payload_len));
  return b;
}

// A decoded packet that owns its bytes.
struct Decoded {
  ByteVec bytes;
  Packet packet;
  DecodedPacket d;

  explicit Decoded(ByteVec b, std::uint32_t link_type = linktype::kEthernet, std::uint32_t orig_len = 0)
      : bytes(std::move(b)) {
    packet.data = Bytes(bytes.data(), bytes.size());
    packet.orig_len = orig_len ? orig_len : static_cast<std::uint32_t>(bytes.size());
    packet.link_type = link_type;
    packet.frame = 1;
    decode(packet, d);
  }
  Decoded(const Decoded&) = delete;

  // The field formatted as tshark -T fields prints it; "" when absent.
  std::string f(std::string_view name, unsigned occurrence = 0) const {
    const FieldDef* def = find_field(name);
    EXPECT_NE(def, nullptr) << name;
    if (!def) return "<unknown>";
    return format_value(*def, get_field(d, *def, occurrence));
  }
  std::string protos() const {
    std::string s;
    for (std::size_t i = 0; i < d.layer_count; ++i) {
      if (i) s += ':';
      s += proto_name(d.layers[i].proto);
    }
    return s;
  }
  std::string anomalies() const {
    std::string s;
    for (std::size_t i = 0; i < d.anomaly_count; ++i) {
      if (i) s += ',';
      s += anomaly_name(d.anomalies[i]);
    }
    return s;
  }
};

// Decodes every prefix of B and reads every field of every layer: the
// decoder must neither crash nor read outside (run under ASan to prove the
// latter) and must keep its invariants.
inline void check_all_prefixes(const ByteVec& b, std::uint32_t link_type = linktype::kEthernet) {
  for (std::size_t n = 0; n <= b.size(); ++n) {
    // An exact-size heap copy so ASan sees any read past the end.
    auto* copy = new std::uint8_t[n ? n : 1];
    std::copy(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n), copy);
    Packet p;
    p.data = Bytes(copy, n);
    p.orig_len = static_cast<std::uint32_t>(b.size());
    p.link_type = link_type;
    DecodedPacket d;
    decode(p, d);
    ASSERT_GE(d.layer_count, 1);
    EXPECT_EQ(d.layers[0].proto, Proto::kFrame);
    for (std::size_t i = 0; i < d.layer_count; ++i) {
      const Layer& l = d.layers[i];
      EXPECT_LE(l.offset + l.header_len, n) << "prefix " << n;
      EXPECT_LE(l.end, n) << "prefix " << n;
    }
    EXPECT_LE(d.payload_offset + d.payload_len, n);
    std::string out;
    for (const FieldDef& f : all_fields()) {
      for (unsigned occ = 0; occ < 3; ++occ) append_value(out, f, get_field(d, f, occ));
    }
    Summary s;
    summarize(d, s);
    delete[] copy;
  }
}

}  // namespace pcapscope::test
