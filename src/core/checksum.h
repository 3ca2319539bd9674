// The Internet checksum (RFC 1071) over packet bytes.
//
// Every TCP and UDP segment and every IPv4 header is verified, so this loop
// is a per-byte cost of the whole pipeline. Words are summed in native
// (little-endian) order 64 bits at a time with end-around carry; RFC 1071
// section 2(B) makes the folded sum byte-order independent, so it is swapped
// once at the end rather than per word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace pcapscope::checksum {

// Adds BYTES to the native-order accumulator ACC (ones-complement, carries folded back in).
inline std::uint64_t add_native(std::span<const std::uint8_t> bytes, std::uint64_t acc) {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t carry = 0;
  for (; n >= 16; p += 16, n -= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    carry += __builtin_add_overflow(acc, a, &acc);
    carry += __builtin_add_overflow(acc, b, &acc);
  }
  if (n >= 8) {
    std::uint64_t a;
    std::memcpy(&a, p, 8);
    carry += __builtin_add_overflow(acc, a, &acc);
    p += 8;
    n -= 8;
  }
  // The tail, little-endian like the words above (IPv4 headers end here with 4 bytes).
  std::uint64_t tail = 0;
  std::size_t i = 0;
  if (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    tail = w;
    i = 4;
  }
  for (; i < n; ++i) tail |= std::uint64_t{p[i]} << (8 * i);
  carry += __builtin_add_overflow(acc, tail, &acc);
  // End-around carry: adding the carries can carry once more (then by one, which cannot).
  while (carry != 0) carry = __builtin_add_overflow(acc, carry, &acc) ? 1 : 0;
  return acc;
}

// ACC folded to 16 bits (still native order).
inline std::uint16_t fold(std::uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// A native-order folded sum as the big-endian (network-order) value.
inline std::uint16_t to_network(std::uint16_t native) {
  return static_cast<std::uint16_t>((native << 8) | (native >> 8));
}

}  // namespace pcapscope::checksum
