// The 64-bit Internet checksum against the RFC 1071 definition (16-bit words,
// big-endian), on lengths around every unrolling boundary and on data that
// carries at every step.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/checksum.h"
#include "decode/dispatch.h"

namespace pcapscope {
namespace {

std::uint16_t reference(const std::vector<std::uint8_t>& d, std::uint32_t initial = 0) {
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < d.size(); i += 2) sum += (std::uint32_t{d[i]} << 8) | d[i + 1];
  if (i < d.size()) sum += std::uint32_t{d[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint16_t fast(const std::vector<std::uint8_t>& d) {
  return checksum::to_network(checksum::fold(checksum::add_native(d, 0)));
}

TEST(Checksum, MatchesRfc1071OnRandomAndCarryingData) {
  std::mt19937 rng(1071);
  for (std::size_t len = 0; len <= 80; ++len) {
    for (int fill : {-1, 0x00, 0xff, 0x80}) {
      std::vector<std::uint8_t> d(len);
      for (auto& b : d) b = fill < 0 ? static_cast<std::uint8_t>(rng()) : static_cast<std::uint8_t>(fill);
      EXPECT_EQ(fast(d), reference(d)) << "len " << len << " fill " << fill;
      EXPECT_EQ(decode_detail::ones_complement_sum(d, 0x1234), reference(d, 0x1234)) << "len " << len;
    }
  }
}

TEST(Checksum, ZeroOnlyForAllZeroData) {
  // Ones-complement has two zeros: data summing to a multiple of 0xffff folds
  // to 0xffff (a valid checksum), and only all-zero data to 0.
  EXPECT_EQ(fast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
            0xffff);
  EXPECT_EQ(fast({0x00, 0x01, 0xff, 0xfe}), 0xffff);
  EXPECT_EQ(fast(std::vector<std::uint8_t>(33, 0)), 0);
}

}  // namespace
}  // namespace pcapscope
